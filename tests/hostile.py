"""Hostile files made at test time from CMS's real ones: what an attacker or a careless operator hands a load.

Each maker writes its file into a folder and returns its path. Huge inputs are never written out: a zip
member declaring 10 GB is a header that says so, and a far-away cell is one cell.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from .conftest import ANNUAL, CMS, SHARED, member

SHEET = CMS / "2020-04-anweb.xlsx"  # a code spreadsheet alone: the April 2020 release


def text_2020() -> bytes:
    return member(ANNUAL[2020], suffix=".txt")[1]


def rezip(source: Path, target: Path, change: dict[str, bytes]) -> Path:
    """A copy of the zip ``source`` with the members in ``change`` replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, change.get(info.filename, old.read(info)))
    return target


def sheet_with(target: Path, extra_cells: bytes, *, into_row: bytes | None = None) -> Path:
    """The April 2020 spreadsheet with ``extra_cells`` (a ``<row>`` or cells) added to its sheet."""
    with zipfile.ZipFile(SHEET) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    if into_row is None:
        xml = xml.replace(b"</sheetData>", extra_cells + b"</sheetData>")
    else:
        start = xml.index(into_row)
        end = xml.index(b"</row>", start)
        xml = xml[:end] + extra_cells + xml[end:]
    return rezip(SHEET, target, {"xl/worksheets/sheet1.xml": xml})


def far_cell(folder: Path, reference: str) -> Path:
    row = "".join(c for c in reference if c.isdigit())
    cell = f'<row r="{row}"><c r="{reference}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
    return sheet_with(folder / f"HCPC2021_ANWEB_far_{reference}.xlsx", cell)


def formula_description(folder: Path) -> Path:
    """S9328's long description (column D of its row) replaced by a formula saved without its value."""
    with zipfile.ZipFile(SHEET) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
        strings = archive.read("xl/sharedStrings.xml")
    index = _shared_index(strings, b"S9328")
    at = xml.index(f'<v>{index}</v>'.encode())
    row_start = xml.rindex(b"<row ", 0, at)
    cell_start = xml.index(b'<c r="D', row_start)
    cell_end = xml.index(b"</c>", cell_start) + 4
    reference = xml[cell_start + 6: xml.index(b'"', cell_start + 6)]
    xml = xml[:cell_start] + b'<c r="' + reference + b'"><f>CONCATENATE("Home infusion", " pump")</f></c>' + \
        xml[cell_end:]
    return rezip(SHEET, folder / "HCPC2021_ANWEB_formula.xlsx", {"xl/worksheets/sheet1.xml": xml})


def _shared_index(strings: bytes, text: bytes) -> int:
    """The index in a shared strings table of the string ``text``."""
    at = strings.index(b"<t>" + text + b"</t>")
    return strings.count(b"<si>", 0, at) - 1


def declared_huge(folder: Path, size: int = 10 * 1024**3) -> Path:
    """A zip whose code file member declares ``size`` bytes (its header says so; its data is a few bytes)."""
    buffer = io.BytesIO()
    name = b"HCPC2021_ANWEB.txt"
    payload = zlib.compress(b"\0" * 1024)[2:-4]
    crc = zlib.crc32(b"")
    zip64 = struct.pack("<HHQQ", 1, 16, size, len(payload))
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 45, 0, 8, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name),
                        len(zip64))
    buffer.write(local + name + zip64 + payload)
    central_at = buffer.tell()
    zip64c = struct.pack("<HHQQ", 1, 16, size, len(payload))
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 45, 45, 0, 8, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                          len(name), len(zip64c), 0, 0, 0, 0, 0)
    buffer.write(central + name + zip64c)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, buffer.tell() - central_at, central_at, 0)
    buffer.write(end)
    path = folder / "2021-Alpha-Numeric-HCPCS-File.zip"
    path.write_bytes(buffer.getvalue())
    return path


def zip_bomb(folder: Path) -> Path:
    """A real zip bomb: 60 MB of zeros compressed 1,000 to 1 into 60 KB (written in pieces)."""
    path = folder / "2021-Alpha-Numeric-HCPCS-File.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("HCPC2021_ANWEB.txt", "w", force_zip64=True) as out:
        block = b"\0" * (1024 * 1024)
        for _ in range(60):
            out.write(block)
    return path


def with_flags(folder: Path, *, method: int | None = None, encrypted: bool = False) -> Path:
    """The 2020 release zip with its code file's compression method or encryption flag changed in both
    headers, as a zip made by a tool hcpcs cannot read would be."""
    data = bytearray(ANNUAL[2020].read_bytes())
    name = member(ANNUAL[2020], suffix=".txt")[0].encode()
    for signature, flags_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.index(signature)
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                if method is not None:
                    data[at + method_at:at + method_at + 2] = struct.pack("<H", method)
                if encrypted:
                    data[at + flags_at] |= 1
            at = data.find(signature, at + 4)
    path = folder / "2021-Alpha-Numeric-HCPCS-File.zip"
    path.write_bytes(bytes(data))
    return path


def bit_flips(folder: Path, seed: int, flips: int = 8) -> Path:
    """The NOC zip with a few bits of its compressed data flipped."""
    source = CMS / "2019-HCPCS-NOC-Codes.zip"
    data = bytearray(source.read_bytes())
    rng = random.Random(seed)
    first = data.index(b"PK\x03\x04") + 30 + 64
    last = data.index(b"PK\x01\x02") - 1
    for _ in range(flips):
        at = rng.randrange(first, last)
        data[at] ^= 1 << rng.randrange(8)
    path = folder / "2019-HCPCS-NOC-Codes.zip"
    path.write_bytes(bytes(data))
    return path


def cut_zip(folder: Path) -> Path:
    """The 2020 release zip cut in half."""
    data = ANNUAL[2020].read_bytes()
    path = folder / "2021-Alpha-Numeric-HCPCS-File.zip"
    path.write_bytes(data[: len(data) // 2])
    return path


#: A formula that runs a program when a spreadsheet opens the CSV it is in (CSV injection).
INJECTED = "=cmd|' /C calc'!A0"


def formula_text(folder: Path) -> Path:
    """The April 2020 spreadsheet with S9328's short description replaced by text that reads as a formula."""
    with zipfile.ZipFile(SHEET) as archive:
        strings = archive.read("xl/sharedStrings.xml")
    strings = strings.replace(b"<t>Hit pain imp pump diem</t>", f"<t>{INJECTED}</t>".encode(), 1)
    return rezip(SHEET, folder / "HCPC2021_ANWEB.xlsx", {"xl/sharedStrings.xml": strings})


def cut_at_line(folder: Path, seed: int) -> tuple[Path, str]:
    """The 2020 code file cut after a line taken at random in its first nine tenths (the V codes, its last
    hundredth, are past them), as ``HCPC2021_ANWEB.txt``; and the code of the last record kept."""
    lines = text_2020().splitlines(keepends=True)
    keep = random.Random(seed).randrange(len(lines) // 10, len(lines) * 9 // 10)
    kept = lines[:keep]
    while kept[-1][10:11] not in (b"3", b"7"):  # the last first-line record kept, for the test to name
        kept.pop()
    path = folder / "HCPC2021_ANWEB.txt"
    path.write_bytes(b"".join(lines[:keep]))
    return path, kept[-1][:5].strip().decode()


def cut_at_byte(folder: Path, seed: int) -> Path:
    """The 2020 code file cut at a byte taken at random in its first nine tenths."""
    data = text_2020()
    at = random.Random(seed).randrange(len(data) // 10, len(data) * 9 // 10)
    path = folder / "HCPC2021_ANWEB.txt"
    path.write_bytes(data[:at])
    return path


def sheet_cut_at_row(folder: Path, row: int) -> Path:
    """The April 2020 spreadsheet with every row after ``row`` taken out."""
    with zipfile.ZipFile(SHEET) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    start = xml.index(f'<row r="{row + 1}"'.encode())
    end = xml.index(b"</sheetData>")
    xml = xml[:start] + xml[end:]
    return rezip(SHEET, folder / "HCPC2021_ANWEB_cut.xlsx", {"xl/worksheets/sheet1.xml": xml})


def utf16_text(folder: Path) -> Path:
    """The 2020 code file saved as UTF-16 (as a text editor's "Unicode" does)."""
    path = folder / "HCPC2021_ANWEB.txt"
    path.write_bytes(text_2020().decode("cp1252").encode("utf-16"))
    return path


def text_with(folder: Path, bytes_in_s9328: bytes) -> Path:
    """The 2020 code file with bytes written over S9328's long description, from its 30th character."""
    data = text_2020()
    at = data.index(b"S9328001003") + 11 + 29
    path = folder / "HCPC2021_ANWEB.txt"
    path.write_bytes(data[:at] + bytes_in_s9328 + data[at + len(bytes_in_s9328):])
    return path


def sheet_strings(folder: Path, old: bytes, new: bytes) -> Path:
    """The April 2020 spreadsheet with a text in its shared strings replaced."""
    with zipfile.ZipFile(SHEET) as archive:
        strings = archive.read("xl/sharedStrings.xml")
    assert old in strings
    return rezip(SHEET, folder / "HCPC2021_ANWEB.xlsx", {"xl/sharedStrings.xml": strings.replace(old, new, 1)})


S9328_SHORT = b"<t>Hit pain imp pump diem</t>"
S9328_LONG = b"<t>Home infusion therapy, implanted pump pain management infusion;"


# -- old binary spreadsheets (.xls) -----------------------------------------------------------------------------

def xls_2020() -> bytes:
    """The 2020 code spreadsheet in CMS's old binary form (BIFF8 records in an OLE2 compound file)."""
    return member(ANNUAL[2020], suffix=".xls")[1]


def _xls_record(data: bytes | bytearray, kind: int, length: int, *, after: int = 0) -> int:
    """Where the first record of ``kind`` and ``length`` starts past ``after`` in the file's bytes (CMS's
    records lie whole within their sectors, so the file's bytes show them as the stream does)."""
    return data.index(struct.pack("<HH", kind, length), after)


#: The sheet's DIMENSIONS record (0x0200, 14 bytes): first row, last row + 1, first column, last column + 1.
_DIMENSIONS = (0x0200, 14)
_LABELSST = (0x00FD, 10)


def xls_far(folder: Path, *, rows: int | None = None, columns: int | None = None,
            cell: tuple[int, int] | None = None) -> Path:
    """The 2020 ``.xls`` with its sheet's DIMENSIONS record declaring ``rows`` and ``columns``, or its first
    text cell moved to ``cell`` (row and column counted from 0), written over the record in place."""
    data = bytearray(xls_2020())
    dimensions = _xls_record(data, *_DIMENSIONS)
    assert struct.unpack_from("<LLHH", data, dimensions + 4) == (0, 7091, 0, 48)
    if rows is not None or columns is not None:
        struct.pack_into("<LLHH", data, dimensions + 4, 0, rows or 7091, 0, columns or 48)
    if cell is not None:
        struct.pack_into("<HH", data, _xls_record(data, *_LABELSST, after=dimensions) + 4, *cell)
    path = folder / "HCPC2021_ANWEB.xls"
    path.write_bytes(bytes(data))
    return path


def _biff(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def minimal_xls(sheets: list[list[tuple[int, int, float]]]) -> bytes:
    """A BIFF8 workbook written from scratch: one worksheet per list of (row, column, number) cells, in a
    compound file of one Workbook stream (at least 4,096 bytes, so not in the mini stream)."""
    bof = struct.pack("<HHHHLL", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6)
    names = [f"S{index + 1}".encode() for index in range(len(sheets))]
    globals_size = len(_biff(0x0809, bof)) + sum(len(_biff(0x0085, b"\0" * (8 + len(n)))) for n in names) + 4
    bodies = []
    for cells in sheets:
        rows = max(row for row, _, _ in cells) + 1
        columns = max(column for _, column, _ in cells) + 1
        body = _biff(0x0809, struct.pack("<HHHHLL", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6))
        body += _biff(0x0200, struct.pack("<LLHHH", 0, rows, 0, columns, 0))
        body += b"".join(_biff(0x0203, struct.pack("<HHHd", row, column, 0, value)) for row, column, value in cells)
        bodies.append(body + _biff(0x000A, b""))
    stream = _biff(0x0809, bof)
    at = globals_size
    for name, body in zip(names, bodies, strict=True):
        stream += _biff(0x0085, struct.pack("<LBBBB", at, 0, 0, len(name), 0) + name)
        at += len(body)
    stream += _biff(0x000A, b"") + b"".join(bodies)
    assert len(stream) >= 4096, "a stream under 4,096 bytes would belong in the mini stream"
    return _compound_file(stream)


def _compound_file(stream: bytes) -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) holding ``stream`` as ``Workbook``: sector 0
    the allocation table, 1 the directory, the stream from 2 on."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    count = -(-len(stream) // 512)
    assert count + 2 <= 128
    fat = [fat_sector, end, *range(3, count + 2), end]
    fat += [free] * (128 - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack(
        "<HHHHH6xLLLLLLLLL", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, end, 0, end, 0) + struct.pack(
        "<109L", 0, *[free] * 108)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0"
        return (encoded.ljust(64, b"\0") + struct.pack("<HBBLLL", len(encoded), kind, 1, free, free, child)
                + b"\0" * 36 + struct.pack("<LQ", start, size))

    directory = entry("Root Entry", 5, 1, end, 0) + entry("Workbook", 2, free, 2, len(stream))
    directory += (b"\0" * 64 + struct.pack("<HBBLLL", 0, 0, 0, free, free, free) + b"\0" * 48) * 2
    return header + struct.pack("<128L", *fat) + directory + stream.ljust(count * 512, b"\0")


def xls_sheets(folder: Path, sheets: int, reach: tuple[int, int]) -> Path:
    """A workbook of ``sheets`` sheets, each a column of 300 numbers and one cell at ``reach``."""
    cells = [(row, 0, float(row)) for row in range(300)] + [(reach[0], reach[1], 1.0)]
    path = folder / "HCPC2021_ANWEB.xls"
    path.write_bytes(minimal_xls([cells] * sheets))
    return path


def cut_file(path: Path, data: bytes, share: float) -> Path:
    """``data`` cut to its first ``share`` and written to ``path``."""
    path.write_bytes(data[: int(len(data) * share)])
    return path


def xlsb_named_xlsx(folder: Path) -> Path:
    """The April 2020 spreadsheet with its workbook part renamed as an ``.xlsb``'s (``xl/workbook.bin``)."""
    target = folder / "HCPC2021_ANWEB.xlsx"
    with zipfile.ZipFile(SHEET) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename.replace("workbook.xml", "workbook.bin"), old.read(info))
    return target


# -- side files: processing notes, NOC lists, corrections, transaction reports, record layouts, drug files ----

def with_strings(workbook: bytes, old: bytes, new: bytes) -> bytes:
    """An ``.xlsx`` with the first ``old`` in its shared strings replaced by ``new``."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        strings = archive.read("xl/sharedStrings.xml")
    assert old in strings, old
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new_zip:
        for info in archive.infolist():
            data = strings.replace(old, new, 1) if info.filename == "xl/sharedStrings.xml" else archive.read(info)
            new_zip.writestr(info.filename, data)
    return out.getvalue()


def side_zip(folder: Path, source: Path, member_name: str, change: Callable[[bytes], bytes], *,
             name: str | None = None, drop: tuple[str, ...] = ()) -> Path:
    """A copy of the CMS zip ``source`` (under ``name``) with one member changed and others left out."""
    target = folder / (name or source.name)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename not in drop:
                data = old.read(info)
                new.writestr(info.filename, change(data) if info.filename == member_name else data)
    return target


def formula_in(workbook: bytes, text: bytes) -> bytes:
    """An ``.xlsx`` with the cell showing the shared string ``text`` turned into a formula without a value."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        strings = archive.read("xl/sharedStrings.xml")
        sheet = archive.read("xl/worksheets/sheet1.xml")
    index = _shared_index(strings, text)
    at = sheet.index(f"<v>{index}</v>".encode())
    start = sheet.rindex(b"<c ", 0, at)
    end = sheet.index(b"</c>", at) + 4
    reference = sheet[start:end].split(b'r="', 1)[1].split(b'"', 1)[0]
    sheet = sheet[:start] + b'<c r="' + reference + b'"><f>UPPER("x")</f></c>' + sheet[end:]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in archive.infolist():
            new.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml" else archive.read(info))
    return out.getvalue()


def replaced(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        assert old in data, old
        return data.replace(old, new, 1)
    return change


NOC_2019 = CMS / "2019-HCPCS-NOC-Codes.zip"
CORRECTIONS_2019 = CMS / "2019-HCPCS-Alpha-Numeric-Corrections.zip"
LAYOUT_2019 = CMS / "2019-HCPCS-Record-Layout.zip"
REPORT_2020_04 = CMS / "2020-04-trans-alpha.xlsx"
CROSSWALK = SHARED / "cms-asp" / "section 508 version of January 2024 ASP NDC-HCPCS Crosswalk 122023.csv"


def file_with(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def flipped(data: bytes, seed: int, *, flips: int = 16, first: int = 512) -> bytes:
    """``data`` with ``flips`` bits flipped at random past its first ``first`` bytes."""
    out = bytearray(data)
    rng = random.Random(seed)
    for _ in range(flips):
        at = rng.randrange(first, len(out))
        out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def xls_flipped(folder: Path, seed: int) -> Path:
    """The 2020 ``.xls`` with 16 bits flipped past its header."""
    return file_with(folder / "HCPC2021_ANWEB.xls", flipped(xls_2020(), seed))


def xlsx_flipped(folder: Path, seed: int) -> Path:
    """The April 2020 spreadsheet with 4 bits flipped past its first 512 bytes."""
    return file_with(folder / "HCPC2021_ANWEB.xlsx", flipped(SHEET.read_bytes(), seed, flips=4))
