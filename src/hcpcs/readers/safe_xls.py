"""Measuring an old binary ``.xls`` before it is opened: its compound file's allocation tables walked with every
sector checked, and each sheet's extent read from its DIMENSIONS and cell records."""

from __future__ import annotations

import struct

from .._errors import InputError
from .safe_read import MAX_SHEET_CELLS, check_workbook, column_letters

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

#: What each BIFF record that matters here is: a cell (FORMULA, RSTRING, LABELSST, BLANK, NUMBER, LABEL,
#: BOOLERR, RK, and BIFF2-4's forms of some), whose row and column are its first two 16-bit numbers; a span
#: of cells (MULRK, MULBLANK: a row, its first column, the cells, its last column in the record's last 16
#: bits); a sheet's DIMENSIONS; the start (BOF) and end (EOF) of a substream; a sheet's name (BOUNDSHEET).
_CELL, _SPAN, _DIMENSIONS, _BOF, _EOF, _SHEET_NAME = range(6)



_END_OF_CHAIN = 0xFFFFFFFE


_ROLES = {
    **dict.fromkeys((0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x0001, 0x0002, 0x0003,
                     0x0004, 0x0005, 0x0206, 0x0406), _CELL),
    **dict.fromkeys((0x00BD, 0x00BE), _SPAN),
    0x0200: _DIMENSIONS,
    **dict.fromkeys((0x0809, 0x0409, 0x0209, 0x0009), _BOF),
    0x000A: _EOF,
    0x0085: _SHEET_NAME,
}


class _Compound:
    """The streams of an OLE2 compound file (``.xls``), read by its allocation tables with every sector
    number and chain checked: a damaged or crafted file is refused, never followed out of bounds or round
    in a loop."""

    def __init__(self, data: bytes, source: str) -> None:
        self.data, self.source = data, source
        if len(data) < 512:
            self._damaged("shorter than its header")
        self.shift = struct.unpack_from("<H", data, 30)[0]
        mini_shift = struct.unpack_from("<H", data, 32)[0]
        if self.shift not in (9, 12) or mini_shift != 6:
            self._damaged(f"sector sizes 2^{self.shift} and 2^{mini_shift}")
        self.size = 1 << self.shift
        self.sectors = (len(data) - 512) // self.size + 1
        fat_count, directory, _, self.cutoff, mini_fat, _, difat, difat_count = struct.unpack_from(
            "<LLLLLLLL", data, 44)
        fat_sectors = list(struct.unpack_from("<109L", data, 76))[:fat_count]
        for _ in range(min(difat_count, self.sectors)):  # each DIFAT sector's last entry names the next
            entries = struct.unpack_from(f"<{self.size // 4}L", self._sector(difat))
            fat_sectors += entries[:-1]
            difat = entries[-1]
        if len(fat_sectors) < fat_count:
            self._damaged("its allocation table is cut short")
        self.fat = b"".join(self._sector(sector) for sector in fat_sectors[:fat_count])
        self.directory = self._stream(directory, None)
        root = self.entry(0)
        self.mini_stream = self._stream(root[1], root[2]) if root is not None else b""
        self.mini_fat = self._stream(mini_fat, None) if mini_fat != _END_OF_CHAIN else b""

    def _damaged(self, what: str) -> None:
        raise InputError(self.source, f"not a readable .xls file ({what})")

    def _sector(self, number: int) -> bytes:
        if number >= self.sectors - 1:
            self._damaged(f"sector {number} is past the end of the file")
        at = (number + 1) << self.shift
        return self.data[at:at + self.size]

    def _chain_of(self, first: int, limit: int, *, table: bytes | None = None) -> list[int]:
        """The sector numbers of a chain from ``first``: at most ``limit`` (no chain is longer than the
        file has sectors), each followed through the allocation ``table``."""
        table = self.fat if table is None else table
        chain: list[int] = []
        number = first
        while number != _END_OF_CHAIN and len(chain) < limit:
            chain.append(number)
            if 4 * number + 4 > len(table):
                self._damaged(f"sector {number} is not in its allocation table")
            number = struct.unpack_from("<L", table, 4 * number)[0]
        if number != _END_OF_CHAIN:
            self._damaged("a chain of sectors runs in a loop or past the file")
        return chain

    def _stream(self, first: int, size: int | None) -> bytes:
        chain = self._chain_of(first, self.sectors)
        stream = b"".join(self._sector(sector) for sector in chain)
        return stream if size is None else stream[:size]

    def entry(self, index: int) -> tuple[str, int, int] | None:
        """The ``index``th directory entry: its name, first sector and size (``None`` past the directory)."""
        at = index * 128
        if at + 128 > len(self.directory):
            return None
        length = min(struct.unpack_from("<H", self.directory, at + 64)[0], 64)
        name = self.directory[at:at + max(length - 2, 0)].decode("utf-16-le", "replace")
        first, size = struct.unpack_from("<LL", self.directory, at + 116)
        return name, first, size

    def stream(self, *names: str) -> bytes | None:
        """The first stream named one of ``names`` (ignoring case), ``None`` when there is none."""
        wanted = {name.lower() for name in names}
        for index in range(len(self.directory) // 128):
            found = self.entry(index)
            if found is None or found[0].lower() not in wanted:
                continue
            name, first, size = found
            if size > len(self.data):
                self._damaged(f"its {name} stream declares {size:,} bytes, more than the file holds")
            if size >= self.cutoff:
                return self._stream(first, size)
            # a small stream lives in the mini stream, in 64-byte sectors
            chain = self._chain_of(first, len(self.mini_stream) // 64 + 1, table=self.mini_fat)
            if any((number + 1) * 64 > len(self.mini_stream) for number in chain):
                self._damaged(f"its {name} stream runs past its mini stream")
            return b"".join(self.mini_stream[n * 64:(n + 1) * 64] for n in chain)[:size]
        return None


def _check_xls(data: bytes, source: str) -> None:
    """Count the cells the spreadsheet reader would lay out for an ``.xls``: per sheet, from its first row
    and column to the farthest its ``DIMENSIONS`` record or any cell record names; all sheets together."""
    workbook = _Compound(data, source).stream("Workbook", "Book")
    if workbook is None:
        raise InputError(source, "not a readable .xls file (no Workbook stream)")
    end = len(workbook)
    workbook += bytes(8)  # every record's head and first two numbers can be read at once, even the last's
    names: list[str] = []  # the sheets' names, from the BOUNDSHEET records
    opened = 0  # substreams begun: the workbook's own first, then one per sheet
    total = 0
    outer: list[tuple[int, int]] = []  # the rows and columns of the substreams around the current one
    rows = columns = 0  # the current substream's
    inside = False
    roles = _ROLES.get
    unpack = struct.unpack_from
    at = 0
    while at + 4 <= end:
        kind, length, first, second = unpack("<HHHH", workbook, at)
        body = at + 4
        at = body + length
        role = roles(kind)
        if role is None:
            continue
        if at > end:
            break
        if role <= _DIMENSIONS:
            if not inside:
                continue
            if role == _CELL and length >= 4:
                reach_rows, reach_columns = first + 1, second + 1
            elif role == _SPAN and length >= 6:
                reach_rows, reach_columns = first + 1, unpack("<H", workbook, at - 2)[0] + 1
            elif role == _DIMENSIONS and length >= 14:  # BIFF8: 32-bit rows
                _, reach_rows, _, reach_columns = unpack("<LLHH", workbook, body)
            elif role == _DIMENSIONS and length >= 8:
                _, reach_rows, _, reach_columns = unpack("<HHHH", workbook, body)
            else:
                continue
            if reach_rows <= rows and reach_columns <= columns:
                continue
            rows, columns = max(rows, reach_rows), max(columns, reach_columns)
            if rows * columns > MAX_SHEET_CELLS:
                sheet = f"sheet {names[opened - 2]!r}" if 0 <= opened - 2 < len(names) else f"sheet {opened - 1}"
                raise InputError(source, f"{sheet} reaches cell {column_letters(columns)}{rows}: {rows * columns:,} "
                                 f"cells, more than the {MAX_SHEET_CELLS:,} hcpcs reads (CMS's sheets hold under "
                                 "500,000)")
        elif role == _BOF:
            opened += 1
            if inside:
                outer.append((rows, columns))
            rows = columns = 0
            inside = True
        elif role == _EOF and inside:
            total += rows * columns
            if outer:  # back in the substream around this one
                rows, columns = outer.pop()
            else:
                rows = columns = 0
                inside = False
        elif role == _SHEET_NAME and length >= 8:
            count, wide = workbook[body + 6], workbook[body + 7] & 1
            text = workbook[body + 8:body + 8 + count * (2 if wide else 1)]
            names.append(text.decode("utf-16-le" if wide else "latin-1", "replace"))
    total += rows * columns + sum(r * c for r, c in outer)  # substreams the file leaves open
    if total > MAX_SHEET_CELLS:
        raise InputError(source, f"its {len(names) or opened - 1} sheets hold {total:,} cells together, more than the "
                         f"{MAX_SHEET_CELLS:,} hcpcs reads (the reader opens every sheet of an .xls at once)")


def check_spreadsheet(data: bytes, source: str) -> None:
    """Refuse a spreadsheet (.xlsx or old binary .xls) that would not fit in memory once opened, or whose formulas
    lack their values."""
    if data.startswith(_CFB_MAGIC):
        _check_xls(data, source)
    else:
        check_workbook(data, source)
