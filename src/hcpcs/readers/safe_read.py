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
    """Refuse an .xlsx that would not fit in memory once opened, or whose formulas lack their values (an old
    binary .xls is measured by ``safe_xls.check_spreadsheet``)."""
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
