"""Reader of CMS's transaction reports: the ``.prn`` text reports and the ``*trans*`` spreadsheets.

Each report lists every code of a release with one "type of change" (``ADD``, ``Discontinued``,
``Long Description Change``, ...). Three layouts are real:

- 2018 ``.prn`` and ``.xlsx``: code and type of change only;
- 2019 and later ``.prn``: code, type, short and long description in columns placed by the header
  line, where a long type of change overruns its column and is cut (``Long Description Chang``),
  and the long description is cut at the line's end;
- 2019 and later ``.xlsx``: the same four columns, codes padded with leading spaces, disclaimer rows
  above the header.
"""

from __future__ import annotations

import re
from typing import Any

from ._errors import InputError
from ._models import ActionCode, ReportEntry, TransactionReport
from ._spreadsheet import cell_text, read_rows
from ._values import decode_cms_text

#: CMS's words for each action code, as its reports and the record layout's key spell them.
CHANGE_WORDS: dict[str, ActionCode | str] = {
    "add": "A",
    "coverage and long description change": "B",
    "coverage and long desc change": "B",
    "long description change": "C",
    "discontinued": "D",
    "coverage change": "F",
    "no change": "N",
    "payment change": "P",
    "re-activated": "R",
    "reactivated": "R",
    "short description change": "S",
    "miscellaneous change": "T",
}
_MIN_CUT = 12  # a type of change cut shorter than this is not trusted as a prefix
_CODE = re.compile(r"[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_HEADER_SCAN = 60


def read_report(data: bytes, source: str) -> TransactionReport:
    """Read a transaction report (``.prn``/``.txt`` text, or ``.xlsx``/``.xls``) into its entries."""
    lower = source.lower()
    if lower.endswith((".xlsx", ".xls", ".xlsm")):
        entries = _from_rows(read_rows(data, source), source)
    else:
        entries = _from_text(decode_cms_text(data), source)
    if not entries:
        raise InputError(source, "holds no transaction report lines (HCPCS code and type of change)")
    return TransactionReport(source, tuple(entries))


def action_for(text: str, source: str, line: int) -> ActionCode | str:
    """The action code for CMS's words, which the ``.prn`` reports may cut short."""
    words = " ".join(text.split()).lower()
    if words in CHANGE_WORDS:
        return CHANGE_WORDS[words]
    if words.startswith("miscellaneous"):
        return "T"
    if len(words) >= _MIN_CUT:
        found = {action for name, action in CHANGE_WORDS.items() if name.startswith(words)}
        if len(found) == 1:
            return found.pop()
    raise InputError(source, f"unknown type of change {text.strip()!r}", line=line)


def _from_text(text: str, source: str) -> list[ReportEntry]:
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines[:_HEADER_SCAN]) if _is_header(line)), None)
    if header is None:
        raise InputError(source, "no header line (HCPCS code and type of change) in the first "
                         f"{_HEADER_SCAN} lines: not a transaction report")
    head = lines[header].upper()
    short_at = head.find("SHORT DESCRIPTION")
    long_at = head.find("LONG DESCRIPTION")
    entries = []
    for number, line in enumerate(lines[header + 1:], start=header + 2):
        if not line.strip():
            continue
        left = line[:short_at] if short_at > 0 else line
        parts = left.split(None, 1)
        code = parts[0].upper()
        if not _CODE.fullmatch(code) or len(parts) < 2:
            raise InputError(source, f"not a report line (code, then type of change): {line.strip()[:60]!r}",
                             line=number)
        short = line[short_at:long_at].strip() if short_at > 0 else None
        long = line[long_at:].strip() if long_at > 0 else None
        entries.append(ReportEntry(code, action_for(parts[1], source, number),  # type: ignore[arg-type]
                                   " ".join(parts[1].split()), short or None, long or None, number))
    return entries


def _from_rows(rows: list[list[Any]], source: str) -> list[ReportEntry]:
    header = next((i for i, row in enumerate(rows[:_HEADER_SCAN])
                   if _is_header(" ".join(cell_text(c) for c in row[:2]))), None)
    if header is None:
        raise InputError(source, "no header row (HCPCS code and type of change) in the first "
                         f"{_HEADER_SCAN} rows: not a transaction report")
    names = [cell_text(c).upper() for c in rows[header]]
    short_at = names.index("SHORT DESCRIPTION") if "SHORT DESCRIPTION" in names else None
    long_at = names.index("LONG DESCRIPTION") if "LONG DESCRIPTION" in names else None
    entries = []
    for number, row in enumerate(rows[header + 1:], start=header + 2):
        code = cell_text(row[0]).upper() if row else ""
        change = cell_text(row[1]) if len(row) > 1 else ""
        if not code and not change:
            continue
        if not _CODE.fullmatch(code) or not change:
            raise InputError(source, f"not a report row (code, then type of change): {code!r}, {change!r}",
                             row=number)
        short = cell_text(row[short_at]) if short_at is not None and short_at < len(row) else ""
        long = cell_text(row[long_at]) if long_at is not None and long_at < len(row) else ""
        entries.append(ReportEntry(code, action_for(change, source, number),  # type: ignore[arg-type]
                                   " ".join(change.split()), short or None, long or None, number))
    return entries


def _is_header(text: str) -> bool:
    upper = " ".join(text.split()).upper()
    return upper.startswith("HCPC") and ("TYPE OF CHANGE" in upper or "ACTION CD" in upper)
