"""Reader of CMS's HCPCS spreadsheets (``.xlsx`` and old binary ``.xls``) into ``Record`` objects.

The spreadsheets carry disclaimer rows above a header row (``HCPC``, ``SEQNUM``, ``RECID``, ...),
then one row per record with the long description whole in one cell.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from ._errors import InputError
from ._layout import COLUMN_INDEX, CONTINUATION_IDS, FIELDS
from ._models import Record, Repair
from ._values import typed_row

_HEADER_SCAN_ROWS = 50
_COLUMNS: tuple[tuple[str, str, int], ...] = tuple(
    (column, header, f.length)
    for f in FIELDS
    for column, header in zip(f.columns, f.headers, strict=True)
)
_REQUIRED_HEADERS = frozenset(header for _, header, _ in _COLUMNS)
_CODE, _SEQUENCE, _RECORD_ID, _LONG_DESCRIPTION = (
    COLUMN_INDEX[c] for c in ("code", "sequence", "record_id", "long_description")
)


def read_rows(data: bytes, source: str) -> list[list[Any]]:
    """Every row of the first sheet of an ``.xlsx`` or ``.xls`` file."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not book.sheet_names:
            raise InputError(source, "the workbook has no sheets")
        rows: list[list[Any]] = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise InputError(source, f"not a readable spreadsheet ({type(exc).__name__}: {exc})") from None
    return rows


def find_header(rows: Sequence[Sequence[Any]], required: frozenset[str]) -> tuple[int, dict[str, int]] | None:
    """The index of the header row holding every ``required`` column name, and each name's position."""
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        names = {cell_text(cell).upper(): position for position, cell in enumerate(row)}
        if required <= names.keys():
            return index, names
    return None


def looks_like_code_sheet(rows: Sequence[Sequence[Any]]) -> bool:
    return find_header(rows, _REQUIRED_HEADERS) is not None


def read_spreadsheet(data: bytes, source: str) -> list[Record]:
    """Parse the code spreadsheet; raise ``InputError`` naming the row on anything malformed."""
    return records_from_rows(read_rows(data, source), source)


def records_from_rows(rows: Sequence[Sequence[Any]], source: str) -> list[Record]:
    found = find_header(rows, _REQUIRED_HEADERS)
    if found is None:
        raise InputError(
            source,
            f"no header row (HCPC, SEQNUM, RECID, LONG DESCRIPTION, ...) in the first {_HEADER_SCAN_ROWS} rows",
        )
    header_index, positions = found
    layout = [(column, positions[header], length) for column, header, length in _COLUMNS]
    records: list[Record] = []
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        number = index + 1
        if not any(cell_text(cell) for cell in row):
            continue
        raw = [cell_text(row[position] if position < len(row) else "", width=length)
               for _, position, length in layout]
        code = raw[_CODE] = raw[_CODE].upper()
        if len(raw[_SEQUENCE]) == 4:
            # The spreadsheets write the sequence number (by 100s: 00100, 00200) without its last digit.
            raw[_SEQUENCE] += "0"
        if len(code) not in (2, 5) or not code.isalnum():
            raise InputError(source, f"{code!r} is not an HCPCS code", row=number, field="HCPC")
        values, repairs = typed_row(raw, code=code, source=source, row=number)
        record_id = values[_RECORD_ID]
        if record_id in CONTINUATION_IDS and records and records[-1].code == code:
            # A long description CMS split over two rows: the rest of the text, as in the fixed-width file.
            previous = records[-1]
            more = values[_LONG_DESCRIPTION]
            if more:
                joined = f"{previous.row[_LONG_DESCRIPTION]} {more}"
                previous.row = (*previous.row[:_LONG_DESCRIPTION], joined, *previous.row[_LONG_DESCRIPTION + 1:])
            previous.repairs.append(Repair(
                code, "long_description", f"continued on row {number} (RECID {record_id})",
                "joined to the record's first row", "long description split over two rows",
            ))
            continue
        records.append(Record(code, values, number, repairs))
    if not records:
        raise InputError(source, "holds a header row but no HCPCS records")
    return records


def cell_text(cell: Any, *, width: int = 0) -> str:
    """A cell as CMS meant it: text stripped; a number written back without ``.0`` and zero-padded
    to the field's width (a code such as ``00`` stored as a number loses its zeros)."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.replace("\xa0", " ").strip()
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int):
        text = str(cell)
        return text.zfill(width) if width else text
    if isinstance(cell, dt.datetime | dt.date):
        return cell.strftime("%Y%m%d")
    return str(cell).strip()
