"""Reader of CMS's transaction reports: the ``.prn``/``.txt`` text reports and the ``*trans*`` spreadsheets.

Each report lists every code of a release with one "type of change". The layouts met so far:

- 2016 ``.txt``: tab-separated, ``HCPCS/Modifier Code`` and ``Type of Change``;
- 2016 and 2018 ``.xlsx``, 2018 ``.prn``: the same two columns (the ``.prn`` header runs them together:
  ``HCPCS/Modifier CodeType of Change``);
- 2019 and later ``.prn``: code, type of change, short and long description in columns placed by the
  header line, where a long type of change overruns its column and is cut (``Long Description Chang``),
  and the long description is cut at the line's end;
- 2019 and later ``.xlsx``: the same four columns (``HCPCS/MOD``/``TYPE OF CHANGE`` in 2019, ``HCPC/MOD``
  or ``HCPC``/``ACTION CD`` later), codes padded with leading spaces, disclaimer rows above the header.

CMS words the types of change differently from year to year (``Change in Long Description`` in 2016,
``Long Description Change`` later, ``Coverage and Long Desc Change`` once); ``action_of`` reads them by
their words. A type of change it cannot read is kept as written with the action ``?`` and a warning.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Literal

from .._errors import InputError
from ..model.records import PRECEDENCE, ActionCode, LoadWarning, ReportEntry, TransactionReport
from ..model.values import MAX_CELL, text_fault
from .notes import (
    HEADER_SCAN,
    SPREADSHEET,
    Meaning,
    Table,
    blank,
    header_labels,
    is_code_label,
    label_words,
    sheet_table,
    side_text,
    text_table,
)
from .spreadsheet import read_rows

Action = ActionCode | Literal["N", "?"]
UNKNOWN: Literal["?"] = "?"

_CODE = re.compile(r"[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_TEXT = re.compile(r"\S+(?: \S+)*")

# -- CMS's words for a type of change ------------------------------------------------------------------------

#: Words that alone say what happened to the code.
_STATUS: dict[str, Action] = {
    "add": "A", "added": "A", "addition": "A", "new": "A",
    "discontinued": "D", "discontinue": "D", "disc": "D", "deleted": "D", "delete": "D",
    "terminated": "D", "terminate": "D", "termination": "D",
    "reactivated": "R", "reactivate": "R", "reactivation": "R", "reinstated": "R",
}
#: Words naming what changed.
_TOPICS: dict[str, ActionCode] = {
    "coverage": "F", "cov": "F", "administrative": "F", "admin": "F",
    "payment": "P", "pricing": "P", "price": "P", "pmt": "P", "pymt": "P",
    "miscellaneous": "T", "misc": "T", "betos": "T", "tos": "T",
    "ld": "C", "sd": "S",
}
_DESCRIPTION = frozenset({"description", "descriptions", "desc", "descr", "descrip", "descriptor", "dsc"})
_SIDES = frozenset({"long", "short"})
_NO = frozenset({"no", "none", "unchanged"})
#: Words that say nothing on their own ("Change in ...", "... Changed", "both ... and ...").
_FILLER = frozenset({
    "change", "changes", "changed", "chg", "chgs", "chng", "in", "of", "to", "the", "both", "and", "or", "for",
    "this", "field", "fields", "data", "code", "codes", "procedure", "modifier", "hcpcs", "indicator",
    "indicators", "only", "revise", "revised", "revision", "update", "updated", "maintenance",
})
_KNOWN = frozenset({*_STATUS, *_TOPICS, *_DESCRIPTION, *_SIDES, *_NO, *_FILLER})
_VOCABULARY = sorted(_KNOWN)


def _role(word: str) -> str:
    """What a word stands for, to tell whether a word cut short can only be one thing."""
    if word in _STATUS:
        return _STATUS[word]
    if word in _TOPICS:
        return _TOPICS[word]
    if word in _DESCRIPTION:
        return "description"
    if word in _NO:
        return "no"
    return word if word in _SIDES else "filler"


@functools.lru_cache(maxsize=1024)  # a report words its few kinds of change thousands of times
def action_of(text: str) -> Action | None:
    """The action code for CMS's words for a type of change, ``None`` when they cannot be read.

    Reads word order variants (``Change in Long Description``, ``Long Description Change``,
    ``Long Description Changed``), abbreviations (``Desc``, ``Descr``, ``LD``), a last word cut short
    (``Long Description Chang``), explanations in parentheses (``Miscellaneous change (BETOS or Type of
    Service)``) and combined changes: coverage and long description is ``B``; any other combination is
    the first in CMS's order of precedence, as the report gives each code one action.
    """
    return _classify(_words(_without_parentheses(text))) or _classify(_words(text))


def _without_parentheses(text: str) -> str:
    return re.sub(r"\([^)]*(?:\)|$)", " ", text)


def _words(text: str) -> list[str]:
    lower = text.lower().replace("&", " and ")
    lower = re.sub(r"\bre-", "re", lower)
    lower = re.sub(r"\btype of service\b", "tos", lower)
    return re.findall(r"[a-z0-9]+", lower)


def _complete(words: list[str]) -> list[str] | None:
    """The words with the last one, when a ``.prn`` cut it short, read as the word it must be; ``None``
    when a word is unknown or the cut one could be words of different meanings."""
    if not words or any(word not in _KNOWN for word in words[:-1]):
        return None
    last = words[-1]
    if last in _KNOWN:
        return words
    could_be = [word for word in _VOCABULARY if word.startswith(last)]
    if not could_be or len({_role(word) for word in could_be}) > 1:
        return None
    return [*words[:-1], could_be[0]]


def _classify(raw: list[str]) -> Action | None:
    words = _complete(raw)
    if words is None:
        return None
    if words[0] in _NO:
        return "N" if all(_role(word) == "filler" for word in words[1:]) else None
    statuses = {_STATUS[word] for word in words if word in _STATUS}
    topics = _topics(words)
    if topics is None or any(word in _NO for word in words):
        return None
    if "R" in statuses:  # "Re-activate discontinued/deleted code"
        statuses = {"R"}
    if statuses:
        return statuses.pop() if len(statuses) == 1 and not topics else None
    if {"F", "C"} <= topics:
        topics = (topics - {"F", "C"}) | {"B"}
    return min(topics, key=PRECEDENCE.index) if topics else None


def _topics(words: list[str]) -> set[ActionCode] | None:
    """The changed things the words name; ``None`` for a description that is neither long nor short
    (or a long/short without a description)."""
    found: set[ActionCode] = {_TOPICS[word] for word in words if word in _TOPICS}
    described = any(word in _DESCRIPTION for word in words)
    sides = _SIDES.intersection(words)
    if described != bool(sides):
        return None
    if "long" in sides:
        found.add("C")
    if "short" in sides:
        found.add("S")
    return found


# -- reading a report ----------------------------------------------------------------------------------------

def read_report(data: bytes, source: str, *, warnings: list[LoadWarning]) -> TransactionReport:
    """Read a transaction report (``.prn``/``.txt`` text, or ``.xlsx``/``.xls``) into its entries.

    A line that is not a code and a type of change is skipped, and a type of change that cannot be read
    is kept with the action ``?``: both with a warning in ``warnings``."""
    if source.lower().endswith(SPREADSHEET):
        table = sheet_table(read_rows(data, source), source, _MEANINGS, _REQUIRED)
        entries = _from_table(table, source, warnings)
    else:
        text = side_text(data, source)
        if any("\t" in line for line in text.splitlines()[:HEADER_SCAN]):
            entries = _from_table(text_table(text, source, _MEANINGS, _REQUIRED, ()), source, warnings)
        else:
            entries = _from_text(text.splitlines(), source, warnings)
    if not entries:
        raise InputError(source, "holds a header but no transaction report lines (HCPCS code and type of change)")
    return TransactionReport(source, tuple(entries))


def _entry(code: str, change: str, short: str, long: str, line: int, warn: list[LoadWarning],
           where: dict[str, int], source: str) -> ReportEntry:
    change = " ".join(change.split())
    action = action_of(change)
    if action is None:
        warn.append(LoadWarning(source, f"unknown type of change {change!r} for {code}: kept as written, "
                                "action '?'", line=where.get("line"), row=where.get("row")))
    return ReportEntry(code, action or UNKNOWN, change, short or None, long or None, line)


def _from_table(table: Table | None, source: str, warnings: list[LoadWarning]) -> list[ReportEntry]:
    if table is None:
        raise InputError(source, f"no header row (HCPCS code and type of change) in the first {HEADER_SCAN} "
                         "rows: not a transaction report")
    entries = []
    for index in table.body(warnings):
        code, change = table.cell(index, "code").upper(), table.cell(index, "change")
        if not _CODE.fullmatch(code) or not change:
            table.warn(warnings, index, f"not a report line (code, then type of change), skipped: "
                                        f"{code[:20]!r}, {change[:40]!r}")
            continue
        where = {"line": index + 1} if table.by_line else {"row": index + 1}
        entries.append(_entry(code, change, table.cell(index, "short"), table.cell(index, "long"), index + 1,
                              warnings, where, source))
    return entries


def _from_text(lines: Sequence[str], source: str, warnings: list[LoadWarning]) -> list[ReportEntry]:
    """A fixed-width report: the code is the first word; the type of change runs to the short description's
    column (placed by its header label), or to the line's end when there is none."""
    header = next((i for i, line in enumerate(lines[:HEADER_SCAN]) if _is_text_header(line)), None)
    if header is None:
        raise InputError(source, "no header line (HCPCS code and type of change) in the first "
                         f"{HEADER_SCAN} lines: not a transaction report")
    head = lines[header].upper()
    short_at, long_at = _label_at(head, "SHORT DESC"), _label_at(head, "LONG DESC")
    labels = header_labels(lines[header], ())
    entries = []
    for number, line in enumerate(lines[header + 1:], start=header + 2):
        if fault := text_fault(line):
            # the field holding the control character, or the longest text of an over-long line
            at = fault[0] if fault[0] < MAX_CELL else max(_TEXT.finditer(line), key=lambda m: len(m.group())).start()
            field = next((label.name for label in reversed(labels) if label.start <= at), labels[0].name)
            warnings.append(LoadWarning(source, f"{fault[1]}: not stored", line=number, field=field))
            continue
        if blank(line):
            continue
        parts = (line[:short_at] if short_at else line).split(None, 1)
        code = parts[0].upper()
        if not _CODE.fullmatch(code) or len(parts) < 2:
            warnings.append(LoadWarning(source, f"not a report line (code, then type of change), skipped: "
                                        f"{line.strip()[:60]!r}", line=number))
            continue
        short = line[short_at:long_at].strip() if short_at else ""
        long = line[long_at:].strip() if long_at else ""
        entries.append(_entry(code, parts[1], short, long, number, warnings, {"line": number}, source))
    return entries


def _label_at(head: str, label: str) -> int | None:
    found = head.find(label)
    return found if found > 0 else None


def _is_text_header(line: str) -> bool:
    """``HCPCS/MOD  TYPE OF CHANGE ...``, ``HCPC/MOD  ACTION CD ...``, ``HCPCS/Modifier CodeType of Change``."""
    words = line.upper().split()
    return bool(words) and is_code_label(words[0]) and bool(label_words(" ".join(words[1:])) & _CHANGE_WORDS)


_CHANGE_WORDS = frozenset({"CHANGE", "ACTION"})
_MEANINGS: dict[str, Meaning] = {
    "short": lambda label: "SHORT" in label_words(label),
    "long": lambda label: "LONG" in label_words(label),
    "change": lambda label: bool(label_words(label) & {"CHANGE", "ACTION", "TYPE"}),
    "code": is_code_label,
}
_REQUIRED = frozenset({"code", "change"})
