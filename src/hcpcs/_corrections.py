"""Reader of CMS's corrections files (``*Corrections*.xlsx`` / ``.prn``), published after a release.

Each file is a header row (``CODE``, ``ACTION``, ``EFF DATE``, ``SHORT DESC``, ``LONG DESC``, then
the fields corrected: ``TOS``, ``BETOS``, ``COV``, ``PRICE``, ``XREF CODE``, ``ASC IND``, ...) under a
title, one row per correction. CMS reissues the file with more rows (2018: V1 to V4) or adds a second
file (2019: ``_v2``); rows repeated across files are kept once. The spreadsheet is read where there is
one: the ``.prn`` cuts every column short.
"""

from __future__ import annotations

import datetime as dt
import re

from ._errors import InputError
from ._models import Correction
from ._spreadsheet import cell_text, find_header, read_rows
from ._values import decode_cms_text

_REQUIRED = frozenset({"CODE", "ACTION", "EFF DATE"})
_CODE = re.compile(r"[A-Z]\d{4}|[A-Z0-9]{2}")


def read_corrections(data: bytes, source: str) -> list[Correction]:
    """Every correction row of one file; ``InputError`` naming the row when a code is malformed."""
    if source.lower().endswith((".xlsx", ".xls", ".xlsm")):
        rows = read_rows(data, source)
    else:
        rows = [[cell for cell in re.split(r"\s{2,}", line.strip())] for line in decode_cms_text(data).splitlines()]
    found = find_header(rows, _REQUIRED)
    if found is None:
        raise InputError(source, "no header row (CODE, ACTION, EFF DATE): not a corrections file")
    start, at = found
    columns = {name: position for name, position in at.items() if name}
    out = []
    for index in range(start + 1, len(rows)):
        row = rows[index]

        def cell(name: str, row: list[object] = row) -> str:
            position = columns.get(name)
            return cell_text(row[position]) if position is not None and position < len(row) else ""

        code = cell("CODE").upper()
        if not code:
            continue
        if not _CODE.fullmatch(code):
            raise InputError(source, f"not an HCPCS code: {code[:20]!r}", row=index + 1)
        effective_text = cell("EFF DATE")
        details = {name.title(): cell(name) for name in columns
                   if name not in ("CODE", "ACTION", "EFF DATE", "SHORT DESC", "LONG DESC") and cell(name)}
        out.append(Correction(code, " ".join(cell("ACTION").split()), _day(effective_text), effective_text,
                              cell("SHORT DESC") or None, cell("LONG DESC") or None, details, source, index + 1))
    if not out:
        raise InputError(source, "holds no corrections")
    return out


def merge(lists: list[list[Correction]]) -> list[Correction]:
    """Corrections from several files, each distinct row once (the first file's copy), in file order."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for entries in lists:
        for entry in entries:
            key = (entry.code, entry.action, entry.effective_text, entry.short_description, entry.long_description,
                   tuple(sorted(entry.details.items())))
            if key not in seen:
                seen.add(key)
                out.append(entry)
    return out


def _day(text: str) -> dt.date | None:
    """CMS writes these dates as YYYYMMDD (from a date cell) or MM/DD/YYYY, and once as ``01/0/12019``."""
    for form in ("%Y%m%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None
