"""Comparing CMS's text file with its spreadsheet of the same release, field by field."""

from __future__ import annotations

from ..model.layout import COLUMNS
from ..model.records import Disagreement, Record, Value
from ..model.values import cms_date

_COMPARED = tuple((index, column) for index, column in enumerate(COLUMNS) if column != "code")


def disagreements(text: list[Record], sheet: list[Record]) -> list[Disagreement]:
    """Every place where the spreadsheet differs from the (canonical) text file, in code order."""
    by_code = {r.code: r for r in sheet}
    found: list[Disagreement] = []
    for record in text:
        other = by_code.pop(record.code, None)
        if other is None:
            found.append(Disagreement(record.code, "code", "present", "missing"))
            continue
        if record.row != other.row:  # most records read the same in both: one comparison of whole rows
            for index, column in _COMPARED:
                mine, theirs = record.row[index], other.row[index]
                if mine != theirs:
                    found.append(Disagreement(record.code, column, _show(mine), _show(theirs)))
        if not other.repairs:
            continue
        text_repairs = {(r.field, r.reason) for r in record.repairs}
        for repair in other.repairs:
            if (repair.field, repair.reason) not in text_repairs:
                found.append(Disagreement(record.code, repair.field, "one record", repair.found))
    found.extend(Disagreement(code, "code", "missing", "present") for code in by_code)
    return sorted(found, key=lambda d: (d.code, d.field))


def _show(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return cms_date(value)
