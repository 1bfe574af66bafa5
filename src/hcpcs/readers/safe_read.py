"""Reading files, zip members and spreadsheets with bounded memory: the limits, in one place.

CMS's largest file is 5 MB (the 2025 code file); its zips hold members compressed at most 13 to 1, and its
spreadsheets span at most 9,000 rows of 48 columns. A file or member far beyond that is not CMS's, and
reading it whole could exhaust the machine, so each is checked before it is read:

- only regular files are read (not a FIFO, a device such as ``/dev/zero``, or a folder), at most
  ``MAX_FILE_BYTES``;
- a zip member is refused before it is read when it declares more than ``MAX_FILE_BYTES``, when it is
  compressed more than ``MAX_RATIO`` to 1 (a zip bomb), when it is encrypted, or when its compression
  method is not one Python reads; it is then read in chunks, never past its declared size;
- a spreadsheet's sheets are measured before the sheet is opened (the spreadsheet reader makes a grid of
  every cell from A1 to the farthest one): more than ``MAX_SHEET_CELLS`` cells is refused. An ``.xlsx``
  is measured from its cells' references (not only its ``<dimension>``, which a file may leave out or
  misstate); an ``.xls`` from its worksheets' ``DIMENSIONS`` records and every cell record's row and
  column (the spreadsheet reader opens every sheet of an ``.xls`` at once, so their cells are counted
  together). A formula cell without the value it computed is refused: its value is not in the file;
- a zip that is not an ``.xlsx`` (an ``.xlsb`` or ``.ods`` given that name) is refused: it cannot be measured.

Every refusal is an ``InputError`` naming the file and the member.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from .._errors import InputError

MAX_FILE_BYTES = 64 * 1024 * 1024
#: Beyond this ratio of a member's size to its compressed size, a member is a zip bomb (CMS's: at most 13).
MAX_RATIO = 100
#: Below this size a member may be compressed any amount (a small file of blanks compresses a lot).
_RATIO_FREE_BYTES = 1024 * 1024
MAX_SHEET_CELLS = 4_000_000
_CHUNK = 1024 * 1024
#: The compression methods ``zipfile`` reads: stored, deflated, bzip2, lzma.
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated", zipfile.ZIP_BZIP2: "bzip2",
            zipfile.ZIP_LZMA: "lzma"}
#: What ``zipfile`` and the decompressors raise on a damaged member.
_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError, ValueError,
           zlib.error, OSError)


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:,.0f} MB" if count >= 1024 * 1024 else f"{count:,} bytes"


def read_file(path: Path, shown: str | None = None) -> bytes:
    """A regular file's bytes, at most ``MAX_FILE_BYTES``; ``InputError`` for anything else."""
    name = shown or str(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(name, exc.strerror or str(exc)) from None
    if not stat.S_ISREG(info.st_mode):
        kind = ("a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "a socket")
        raise InputError(name, f"not a regular file but {kind}: give a CMS file, zip or folder")
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(name, f"{_size(info.st_size)}, more than the {_size(MAX_FILE_BYTES)} hcpcs reads "
                         "(CMS's largest file is 5 MB)")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(name, exc.strerror or str(exc)) from None
    if len(data) > MAX_FILE_BYTES:  # grew while being read
        raise InputError(name, f"more than the {_size(MAX_FILE_BYTES)} hcpcs reads")
    return data


def check_member(info: zipfile.ZipInfo, source: str) -> None:
    """Refuse a zip member before reading it: encrypted, an unknown compression method, too large, a bomb."""
    if info.flag_bits & 0x1:
        raise InputError(source, "the member is encrypted (password protected): hcpcs reads only plain zips")
    if info.compress_type not in _METHODS:
        raise InputError(source, f"the member uses compression method {info.compress_type}, which hcpcs cannot "
                         "read (only stored, deflated, bzip2 and lzma)")
    if info.file_size > MAX_FILE_BYTES:
        raise InputError(source, f"the member declares {_size(info.file_size)}, more than the "
                         f"{_size(MAX_FILE_BYTES)} hcpcs reads (CMS's largest file is 5 MB)")
    if info.file_size > _RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise InputError(source, f"the member is compressed {info.file_size // max(info.compress_size, 1):,} to 1 "
                         f"({_size(info.file_size)} from {_size(info.compress_size)}), more than {MAX_RATIO} to 1: "
                         "a zip bomb, not a CMS file")


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> bytes:
    """A zip member's bytes after ``check_member``, read in chunks and never past its declared size."""
    check_member(info, source)
    out = io.BytesIO()
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                out.write(chunk)
                if out.tell() > info.file_size:
                    raise InputError(source, "the member holds more than its declared size")
    except InputError:
        raise
    except _DAMAGE as exc:
        raise InputError(source, f"the member is damaged ({exc or type(exc).__name__})") from None
    return out.getvalue()


def zip_members(data: bytes, name: str) -> Iterator[tuple[zipfile.ZipInfo, bytes]]:
    """Every file member of a zip (folders aside) with its bytes, each checked before it is read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _DAMAGE as exc:
        raise InputError(name, f"not a readable zip file ({exc or type(exc).__name__})") from None
    with archive:
        for info in archive.infolist():
            if not info.is_dir():
                yield info, read_member(archive, info, f"{name}:{info.filename}")


# -- spreadsheets ---------------------------------------------------------------------------------------------

#: The parts of a cell's or a row's reference (``<c r="CV300000" ...``, ``<row r="300000" ...``), found
#: apart: two plain scans cost a third of one that reads both.
_COLUMN_LETTERS = re.compile(rb' r="([A-Z]+)')
_ROW_NUMBER = re.compile(rb' r="[A-Z]*([0-9]+)')
_REFERENCE = re.compile(rb'<c\b[^>]*?\sr="([A-Z]*)([0-9]+)"')
_DIMENSION = re.compile(rb'<dimension\s+ref="(?:[A-Z]+[0-9]+:)?([A-Z]+)([0-9]+)"')
#: A formula and what follows it up to its cell's end: a ``<v>`` there is the value it computed.
_FORMULA = re.compile(rb"<f\b.*?</c>", re.DOTALL)


def column_number(letters: bytes | str) -> int:
    """``A`` is 1, ``Z`` 26, ``AA`` 27, ``XFD`` 16,384."""
    number = 0
    for letter in letters.encode() if isinstance(letters, str) else letters:
        number = number * 26 + letter - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_workbook(data: bytes, source: str) -> None:
    """Refuse a spreadsheet that would not fit in memory once opened, or whose formulas lack their values."""
    if data.startswith(_CFB_MAGIC):
        _check_xls(data, source)
        return
    if not data.startswith(b"PK"):
        return  # neither a zip nor an old binary .xls: the spreadsheet reader says what it is
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _DAMAGE:
        return  # not a zip after all: the spreadsheet reader says what it is
    with archive:
        for info in archive.infolist():
            check_member(info, f"{source}:{info.filename}")
        if "xl/workbook.xml" not in archive.namelist():
            raise InputError(source, "a zip but not an .xlsx workbook (no xl/workbook.xml; an .xlsb or .ods?): "
                             "hcpcs reads .xlsx and .xls spreadsheets")
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                _check_sheet(archive, info, source)


def _check_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> None:
    """The farthest row and column any cell of a sheet names, read in chunks; then the cell count."""
    rows = columns = 0
    tail = b""
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                text = tail + chunk
                cut = text.rfind(b"</row>")  # whole rows now, the rest with the next chunk
                cut = cut + len(b"</row>") if cut >= 0 else 0
                text, tail = text[:cut], text[cut:]
                rows, columns = _extent(text, rows, columns)
                _check_formulas(text, source)
            rows, columns = _extent(tail, rows, columns)
            _check_formulas(tail, source)
    except InputError:
        raise
    except _DAMAGE as exc:
        raise InputError(f"{source}:{info.filename}", f"the member is damaged ({exc or type(exc).__name__})") from None
    if rows * columns > MAX_SHEET_CELLS:
        sheet = info.filename.rsplit("/", 1)[-1].removesuffix(".xml")
        raise InputError(source, f"{sheet} reaches cell {column_letters(columns)}{rows}: {rows * columns:,} cells, "
                         f"more than the {MAX_SHEET_CELLS:,} hcpcs reads (CMS's sheets hold under 500,000)")


def _extent(text: bytes, rows: int, columns: int) -> tuple[int, int]:
    """The farthest row and column named in ``text`` (each distinct reference part converted once)."""
    if found := _DIMENSION.search(text):
        rows, columns = max(rows, int(found.group(2))), max(columns, column_number(found.group(1)))
    numbers = set(_ROW_NUMBER.findall(text))
    letters = set(_COLUMN_LETTERS.findall(text))
    rows = max(rows, *map(int, numbers)) if numbers else rows
    columns = max(columns, *map(column_number, letters)) if letters else columns
    return rows, columns


def _check_formulas(text: bytes, source: str) -> None:
    if b"<f" not in text:
        return
    for found in _FORMULA.finditer(text):
        cell = found.group(0)
        if b"<v" not in cell and b"<is>" not in cell:
            start = text.rfind(b"<c ", 0, found.start())
            reference = _REFERENCE.match(text, start) if start >= 0 else None
            where = (reference.group(1) + reference.group(2)).decode() if reference else "a cell"
            row = int(reference.group(2)) if reference else None
            formula = re.sub(rb"<[^>]*>", b"", cell)[:40].decode("utf-8", "replace")
            raise InputError(source, f"cell {where} holds a formula ({formula!r}) without the value it computed: "
                             "open the file in a spreadsheet program and save it, or export it", row=row)


# -- old binary .xls (BIFF records in an OLE2 compound file) --------------------------------------------------

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
#: What each BIFF record that matters here is: a cell (FORMULA, RSTRING, LABELSST, BLANK, NUMBER, LABEL,
#: BOOLERR, RK, and BIFF2-4's forms of some), whose row and column are its first two 16-bit numbers; a span
#: of cells (MULRK, MULBLANK: a row, its first column, the cells, its last column in the record's last 16
#: bits); a sheet's DIMENSIONS; the start (BOF) and end (EOF) of a substream; a sheet's name (BOUNDSHEET).
_CELL, _SPAN, _DIMENSIONS, _BOF, _EOF, _SHEET_NAME = range(6)
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
