"""Reader of CMS's HCPCS spreadsheets (``.xlsx`` and old binary ``.xls``) into ``Record`` objects.

The spreadsheets carry disclaimer rows above a header row, then one row per record. Columns are found by
what their header means, in every spelling CMS has used (``_layout.FIELDS``: ``HCPC``, ``SEQNUM``, ``RECID``
since 2014; ``Seq Num``, ``RIC``, ``PI1``, ``Code Add Date`` in 2011), ignoring case, spaces and punctuation.
Since 2014 the long description is whole in one cell; 2011 splits it over continuation rows (record id 4
or 8) as the text file does. Cells hold text or numbers: a number is read as CMS meant the text
(``20250930.0`` a date, ``0`` a pricing indicator ``00``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import InputError
from ..model.layout import (
    COLUMN_INDEX,
    CONTINUATION_IDS,
    FIELDS,
    FIRST_LINE_IDS,
    SPAN_COLUMNS,
    UNUSED_HEADERS,
    Field,
)
from ..model.records import Record, Repair, Value
from ..model.values import typed_row
from .safe_xls import check_spreadsheet

_HEADER_SCAN_ROWS = 50
#: The columns a header row must name to be the code sheet's: without them no record can be read.
IDENTITY_COLUMNS = ("code", "record_id", "long_description")
_CODE, _SEQUENCE, _RECORD_ID, _LONG_DESCRIPTION = (
    COLUMN_INDEX[c] for c in ("code", "sequence", "record_id", "long_description")
)
_RECORD_IDS = FIRST_LINE_IDS | CONTINUATION_IDS
_LONG_WIDTH = next(f.length for f in FIELDS if f.name == "long_description")
#: A number written out as text by a spreadsheet or a conversion ("20250930.0", "51.0").
_WHOLE_NUMBER_TEXT = re.compile(r"(\d+)\.0*")
_NOT_LETTER_OR_DIGIT = re.compile(r"[^0-9A-Z]")


def spelling_key(header: str) -> str:
    """A header as it is matched: upper case, letters and digits only (``X-Ref1`` and ``XREF1`` are one)."""
    return _NOT_LETTER_OR_DIGIT.sub("", header.upper())


def _columns_by_spelling() -> dict[str, str]:
    """Every known header spelling's key, to the store column it names."""
    found: dict[str, str] = {}
    for f in FIELDS:
        for column, spellings in zip(f.columns, f.spellings, strict=True):
            for spelling in spellings:
                named = found.setdefault(spelling_key(spelling), column)
                assert named == column, f"header {spelling!r} would name both {named} and {column}"
    return found


_BY_SPELLING = _columns_by_spelling()
_UNUSED = frozenset(spelling_key(header) for header in UNUSED_HEADERS)
#: Per column of a record's row, in ``COLUMNS`` order: the column and its field.
_CELLS: tuple[tuple[str, Field], ...] = tuple((column, f) for f in FIELDS for column in f.columns)
#: Fields whose text is digits (dates, numbers, zero-padded codes): a cell may hold them as a number.
_DIGIT_FIELDS = frozenset(f.name for f in FIELDS if f.kind != "text" or f.pads_numbers or f.name == "sequence")


@dataclass(frozen=True)
class CodeHeader:
    """The header row of a code spreadsheet: its index, and per store column the position of its cells
    (``None`` for a field the sheet does not have)."""

    index: int
    positions: tuple[int | None, ...]
    unknown: tuple[str, ...]  # headers that name no field (FILLER aside)
    repeated: tuple[tuple[str, tuple[str, ...]], ...]  # a column named by more than one header
    unused: frozenset[int]  # the positions of FILLER columns

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(column for (column, _), at in zip(_CELLS, self.positions, strict=True) if at is None)


def read_rows(data: bytes, source: str) -> list[list[Any]]:
    """Every row of the first sheet of an ``.xlsx`` or ``.xls`` file."""
    from python_calamine import CalamineWorkbook

    check_spreadsheet(data, source)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not book.sheet_names:
            raise InputError(source, "the workbook has no sheets")
        rows: list[list[Any]] = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (InputError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        # calamine raises its own types for every kind of damage, and a panic in its Rust code arrives as pyo3's
        # PanicException, a BaseException: either way the file is damaged
        raise InputError(source, f"not a readable spreadsheet ({type(exc).__name__}: {str(exc)[:200]})") from None
    return rows


def find_header(rows: Sequence[Sequence[Any]], required: frozenset[str]) -> tuple[int, dict[str, int]] | None:
    """The index of the header row holding every ``required`` column name, and each name's position."""
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        names = {cell_text(cell).upper(): position for position, cell in enumerate(row)}
        if required <= names.keys():
            return index, names
    return None


def find_code_header(rows: Sequence[Sequence[Any]]) -> CodeHeader | None:
    """The first of the first rows that names the code, record id and long description columns."""
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        named: dict[str, list[tuple[int, str]]] = {}
        unknown: list[str] = []
        unused: set[int] = set()
        for position, cell in enumerate(row):
            header = cell_text(cell)
            key = spelling_key(header)
            if key in _BY_SPELLING:
                named.setdefault(_BY_SPELLING[key], []).append((position, header))
            elif key in _UNUSED:
                unused.add(position)
            elif key:
                unknown.append(header)
        if all(column in named for column in IDENTITY_COLUMNS):
            positions = tuple(named[column][0][0] if column in named else None for column, _ in _CELLS)
            repeated = tuple((column, tuple(header for _, header in found))
                             for column, found in named.items() if len(found) > 1)
            return CodeHeader(index, positions, tuple(unknown), repeated, frozenset(unused))
    return None


def looks_like_code_sheet(rows: Sequence[Sequence[Any]]) -> bool:
    return find_code_header(rows) is not None


def read_spreadsheet(data: bytes, source: str) -> list[Record]:
    """Parse the code spreadsheet; raise ``InputError`` naming the row on anything malformed."""
    return records_from_rows(read_rows(data, source), source)


def _checked_header(rows: Sequence[Sequence[Any]], source: str) -> CodeHeader:
    header = find_code_header(rows)
    if header is None:
        raise InputError(
            source,
            "no header row naming the code, record id and long description columns (HCPC, SEQNUM, RECID, "
            f"LONG DESCRIPTION, ... or another spelling CMS has used) in the first {_HEADER_SCAN_ROWS} rows",
        )
    row = header.index + 1
    if header.repeated:
        column, headers = header.repeated[0]
        raise InputError(source, f"{len(headers)} columns for {column}: {', '.join(map(repr, headers))}", row=row)
    if header.unknown and header.missing:
        # A field may be absent from a year's sheet, but not while a header nobody recognises may be it.
        raise InputError(source, f"headers not understood ({', '.join(map(repr, header.unknown))}) "
                         f"while columns are missing ({', '.join(header.missing)})", row=row)
    return header


def records_from_rows(rows: Sequence[Sequence[Any]], source: str) -> list[Record]:
    header = _checked_header(rows, source)
    layout = tuple(zip(header.positions, (f for _, f in _CELLS), strict=True))
    # Where a field is missing, no cell may hold what could be it, under no header.
    claimed = None if not header.missing else {at for at in header.positions if at is not None} | header.unused
    reader = _RowReader(layout, source)
    records: list[Record] = []
    in_lines = False  # the current record's description has come in rows of at most 80 characters, as in 2011
    for index in range(header.index + 1, len(rows)):
        row = rows[index]
        if not any(cell is not None and cell != "" and cell_text(cell) for cell in row):
            continue
        number = index + 1
        if claimed is not None:
            _check_unheaded(row, claimed, header.missing, source, number)
        head = reader.head(row)
        code = head[_CODE] = head[_CODE].upper()
        if len(code) not in (2, 5) or not code.isalnum():
            raise InputError(source, f"{code!r} is not an HCPCS code", row=number, field="HCPC")
        record_id = head[_RECORD_ID]
        if record_id not in _RECORD_IDS:
            raise InputError(source, f"record id {record_id!r} of {code} is none of 3, 4, 7, 8", row=number,
                             field="RECID")
        if record_id in CONTINUATION_IDS:
            _continue_description(records, reader.texts(row), source, number, slip=not in_lines)
        else:
            values, repairs = reader.values(row, head, number)
            records.append(Record(code, values, number, repairs))
            in_lines = True
        in_lines = in_lines and len(head[_LONG_DESCRIPTION]) <= _LONG_WIDTH
    if not records:
        raise InputError(source, "holds a header row but no HCPCS records")
    return records


class _RowReader:
    """Reads rows of one sheet: the leading columns (code to short description) cell by cell, the rest in the
    spans of neighbouring fields the text reader uses, each distinct span of cells typed once per file:
    values recur across codes (the same indicators, references, dates, blanks)."""

    def __init__(self, layout: tuple[tuple[int | None, Field], ...], source: str) -> None:
        self.layout, self.source = layout, source
        self.lead = layout[:SPAN_COLUMNS[0][0]]
        self.spans: list[tuple[int, tuple[tuple[int | None, Field], ...], slice | None,
                               dict[tuple[Any, ...], tuple[Value, ...]]]] = []
        for first, count in SPAN_COLUMNS:
            columns = layout[first:first + count]
            at = [-1 if position is None else position for position, _ in columns]
            # where the span's columns stand side by side in the sheet (as in every CMS sheet), its cells
            # are one slice of the row
            side_by_side = at[0] >= 0 and at == list(range(at[0], at[0] + count))
            self.spans.append((first, columns, slice(at[0], at[0] + count) if side_by_side else None, {}))

    def head(self, row: Sequence[Any]) -> list[str]:
        return [_text(row, at, f) for at, f in self.lead]

    def texts(self, row: Sequence[Any]) -> list[str]:
        return [_text(row, at, f) for at, f in self.layout]

    def values(self, row: Sequence[Any], head: list[str], number: int) -> tuple[tuple[Value, ...], list[Repair]]:
        code = head[_CODE]
        values, repairs = typed_row(head, code=code, source=self.source, row=number)
        width = len(row)
        for first, columns, cells, seen in self.spans:
            # (a cell True would be taken for 1: CMS's sheets hold no true/false cells)
            key = tuple(row[cells]) if cells is not None else tuple(
                row[at] if at is not None and at < width else None for at, _ in columns)
            typed = seen.get(key)
            if typed is None:
                typed, mended = typed_row([_text(row, at, f) for at, f in columns], code=code, source=self.source,
                                          first=first, row=number)
                if mended:  # a repair names its code: such a span is typed again each time
                    repairs += mended
                else:
                    seen[key] = typed
            values += typed
        return values, repairs


def _text(row: Sequence[Any], at: int | None, field: Field) -> str:
    return field_text(row[at], field) if at is not None and at < len(row) else ""


def _check_unheaded(row: Sequence[Any], claimed: set[int], missing: tuple[str, ...], source: str,
                     number: int) -> None:
    for at, cell in enumerate(row):
        if at not in claimed and (text := cell_text(cell)):
            raise InputError(source, f"{text[:30]!r} in column {at + 1}, which has no header, while columns are "
                             f"missing ({', '.join(missing)})", row=number)


def _continue_description(records: list[Record], raw: list[str], source: str, number: int, *, slip: bool) -> None:
    """Join a continuation row's text to its record's long description, as the text file's records are.

    2011 writes every description over rows of at most 80 characters, as its text file does. Later sheets
    hold the description whole; a continuation row after a longer text is a slip (2019: G0503), noted as a repair.
    """
    code, record_id = raw[_CODE], raw[_RECORD_ID]
    if not records or records[-1].code != code:
        raise InputError(source, f"continuation of {code} (record id {record_id}) does not follow its first row",
                         row=number)
    extra = [column for at, (column, _) in enumerate(_CELLS)
             if raw[at] and at not in (_CODE, _SEQUENCE, _RECORD_ID, _LONG_DESCRIPTION)]
    if extra:
        raise InputError(source, f"continuation of {code} carries more than its description ({', '.join(extra)})",
                         row=number)
    previous = records[-1]
    if slip:
        previous.repairs.append(Repair(
            code, "long_description", f"continued on row {number} (RECID {record_id})",
            "joined to the record's first row", "long description split over two rows",
        ))
    if more := raw[_LONG_DESCRIPTION]:
        first = previous.row[_LONG_DESCRIPTION]
        joined = f"{first} {more}" if first else more
        previous.row = (*previous.row[:_LONG_DESCRIPTION], joined, *previous.row[_LONG_DESCRIPTION + 1:])


def field_text(cell: Any, field: Field) -> str:
    """A cell of a field's column as CMS's text: numbers as the digits CMS wrote (see ``_number_text``)."""
    if isinstance(cell, str):
        text = (cell.replace("\xa0", " ") if "\xa0" in cell else cell).strip()
        if field.name not in _DIGIT_FIELDS:
            return text
        if "." in text and (whole := _WHOLE_NUMBER_TEXT.fullmatch(text)):
            return _number_text(int(whole.group(1)), field)  # a number written out as text: "20250930.0"
        if field.name == "sequence" and len(text) == 4 and text.isdigit():
            return text + "0"  # since 2014 the sheets drop the sequence number's last digit: 0010 for 00100
        return text
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool):
        return _number_text(cell, field)
    return cell_text(cell)


def _number_text(number: int, field: Field) -> str:
    if field.name == "sequence":
        # By 100s: 100 is 00100 as in 2011; 10 is 0010, the short form of later years.
        return f"{number if number % 100 == 0 else number * 10:05d}"
    if field.name == "cross_reference":
        return f"{number:02d}" if number < 100 else f"{number:05d}"  # a modifier (59) or a code (00100)
    if field.pads_numbers:
        return f"{number:0{field.length}d}"
    return str(number)


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
