"""The code-file readers read every format CMS has published, 2011 to 2025, and the ones it may publish.

Counts are checked against an independent count of each real file's first records; then real rows and
lines are rewritten the ways other years write them (header spellings, column order, numbers for text,
lines trimmed, padded or cut, modifiers justified either way, stray characters before the first record)
and must still read as the same records.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hcpcs import InputError
from hcpcs.model.layout import COLUMN_INDEX, COLUMNS, FIELDS, FIELDS_BY_NAME, Field
from hcpcs.model.records import Record
from hcpcs.readers.fixedwidth import read_fixed_width
from hcpcs.readers.spreadsheet import find_code_header, read_rows, read_spreadsheet, records_from_rows

from .conftest import CMS


@dataclass(frozen=True)
class Release:
    """Where one shared release's code files are: a zip, a folder, or loose files in ``CMS``."""

    label: str
    place: Path
    text: str | None
    sheet: str | None

    def read(self, name: str) -> bytes:
        if self.place.suffix == ".zip":
            with zipfile.ZipFile(self.place) as archive:
                return archive.read(name)
        return (self.place / name).read_bytes()

    def text_records(self) -> list[Record]:
        assert self.text
        return read_fixed_width(self.read(self.text), self.text)

    def sheet_records(self) -> list[Record]:
        assert self.sheet
        return read_spreadsheet(self.read(self.sheet), self.sheet)


RELEASES = {r.label: r for r in (
    Release("2011", CMS / "11anweb.zip", "11anweb_V3.txt", "11anweb_V3.xls"),
    Release("2016", CMS / "2016-Alpha-Numeric-HCPCS-File", "HCPC2016_CONTR_ANWEB.txt", "HCPC2016_CONTR_ANWEB.xlsx"),
    Release("2018", CMS / "2018-Alpha-Numeric-HCPCS-File.zip", "HCPC2018_CONTR_ANWEB_disc.txt",
            "HCPC2018_CONTR_ANWEB_disc.xlsx"),
    Release("2019", CMS / "2019-Alpha-Numeric-HCPCS-File.zip", "HCPC2019_CONTR_ANWEB.txt", "HCPC2019_CONTR_ANWEB.xlsx"),
    Release("2020", CMS / "2020-Alpha-Numeric-HCPCS-File.zip", "HCPC2020_ANWEB_w_disclaimer.txt",
            "HCPC2020_ANWEB_w_disclaimer.xls"),
    Release("2020-04", CMS, None, "2020-04-anweb.xlsx"),
    Release("2020-10", CMS, None, "2020-10-anweb.xlsx"),
    Release("2025", CMS / "hcpcs-2025.zip", "HCPC2025_JAN_ANWEB_12172024.txt", "HCPC2025_JAN_ANWEB_12172024.xlsx"),
    Release("2025-10", CMS, None, "HCPC2025_OCT_ANWEB_v4.xlsx"),
)}
#: Shrinking a failure of the tests that rewrite hundreds of real rows takes minutes: report it as found.
NO_SHRINKING = (Phase.explicit, Phase.reuse, Phase.generate)
TEXT_RELEASES = [label for label, r in RELEASES.items() if r.text]
SHEET_RELEASES = [label for label, r in RELEASES.items() if r.sheet]


# -- record counts, against a count that does not use the readers ----------------------------------------------

#: A first record: anything in the code's five columns (2011's first has a backtick in one), five digits, 3 or 7.
FIRST_RECORD_LINE = re.compile(rb"^[^\r\n]{5}\d{5}[37]", re.MULTILINE)
FIRST_LINE = re.compile(r".{5}\d{5}[37]")


def count_first_rows(data: bytes, name: str) -> int:
    """Rows whose record-id cell (headed RECID or RIC) holds 3 or 7, read with openpyxl or plain calamine."""
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        with warnings.catch_warnings():  # CMS's page headers are beyond openpyxl; they hold no rows
            warnings.simplefilter("ignore", UserWarning)
            sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
            head: list[Any] = list(sheet.iter_rows(max_row=50, values_only=True))
            header, at = _record_id_header(head)
            cells = [row[0] for row in sheet.iter_rows(min_row=header + 2, min_col=at + 1, max_col=at + 1,
                                                       values_only=True)]
    else:
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
        header, at = _record_id_header(rows)
        cells = [row[at] for row in rows[header + 1:] if len(row) > at]
    return sum(1 for cell in cells if str(cell).strip() in ("3", "7", "3.0", "7.0"))


def _record_id_header(rows: list[Any]) -> tuple[int, int]:
    """The header row's index and the record-id column's, found by the two names CMS has used."""
    for index, row in enumerate(rows):
        for at, cell in enumerate(row):
            if str(cell).strip().upper() in ("RECID", "RIC"):
                return index, at
    raise AssertionError("no RECID or RIC header")


@pytest.mark.parametrize("label", TEXT_RELEASES)
def test_text_file_record_count(label: str) -> None:
    release = RELEASES[label]
    assert release.text
    expected = len(FIRST_RECORD_LINE.findall(release.read(release.text)))
    assert expected > 5000
    assert len(release.text_records()) == expected


@pytest.mark.parametrize("label", SHEET_RELEASES)
def test_spreadsheet_record_count(label: str) -> None:
    release = RELEASES[label]
    assert release.sheet
    expected = count_first_rows(release.read(release.sheet), release.sheet)
    assert expected > 5000
    assert len(release.sheet_records()) == expected


# -- what the real files hold -------------------------------------------------------------------------------------

def test_2011_first_record_behind_a_backtick_is_read() -> None:
    release = RELEASES["2011"]
    assert release.text
    data = release.read(release.text)
    assert data.startswith(b"`  A1001007")
    first = release.text_records()[0]
    assert first.code == "A1" and first.line == 1
    assert first.get("long_description") == "DRESSING FOR ONE WOUND"
    assert [(r.field, r.reason) for r in first.repairs] == [("code", "stray characters before the first record")]


def test_2011_spreadsheet_headers_and_upper_case_kept() -> None:
    records = {r.code: r for r in RELEASES["2011"].sheet_records()}
    a1 = records["A1"]
    assert a1.get("long_description") == "DRESSING FOR ONE WOUND"  # as CMS wrote it in 2011
    assert a1.get("short_description") == "Dressing for one wound"
    assert a1.get("coverage") == "C" and a1.get("added_date") == dt.date(2002, 7, 1)
    # Continuation rows (RIC 8) are joined as in the text file, and are the 2011 format, not a slip.
    assert records["AD"].get("long_description") == (
        "MEDICAL SUPERVISION BY A PHYSICIAN: MORE THAN FOUR CONCURRENT ANESTHESIA PROCEDURES")
    assert not any(r.repairs for r in records.values())
    # Numbers where CMS meant text: PI1 13.0 and 36.0, Action Eff Date 20110101.
    assert records["G0339"].get("pricing_indicator_1") == "13"
    assert records["E0575"].get("pricing_indicator_1") == "36"
    assert records["E0575"].get("action_effective_date") == dt.date(2011, 1, 1)


def test_numbers_in_2025_and_2020_spreadsheets_read_as_cms_meant() -> None:
    october = {r.code: r for r in RELEASES["2025-10"].sheet_records()}
    assert october["C1742"].get("type_of_service_1") == "2"  # the cell holds 2.0
    assert october["C9088"].get("termination_date") == dt.date(2025, 9, 30)  # 20250930.0
    assert october["L6034"].get("added_date") == dt.date(2025, 10, 1)
    j5 = next(r for r in RELEASES["2020-10"].sheet_records() if r.code == "J5")
    assert j5.get("record_id") == "7" and j5.get("added_date") == dt.date(2020, 10, 1)


# -- spreadsheets rewritten the ways other years write them --------------------------------------------------------

@cache
def sample_rows(label: str) -> tuple[list[list[Any]], list[Record]]:
    """A few hundred real rows under their header (blocks that start at a first row), and how they read."""
    release = RELEASES[label]
    assert release.sheet
    rows = read_rows(release.read(release.sheet), release.sheet)
    header = find_code_header(rows)
    assert header is not None
    record_id_at = header.positions[COLUMN_INDEX["record_id"]]
    assert record_id_at is not None
    data = rows[header.index + 1:]
    picked: list[list[Any]] = []
    for start in range(0, len(data), len(data) // 4):
        while str(data[start][record_id_at]).strip() not in ("3", "7"):
            start += 1
        picked += data[start:start + 50]
    sample = [rows[header.index], *picked]
    return sample, records_from_rows(sample, label)


#: Fields a spreadsheet may hold as numbers; the others are text whatever their digits.
NUMBER_FIELDS = {f.name for f in FIELDS if f.kind != "text" or f.pads_numbers} | {"sequence"}


def respell(header: str, style: int) -> str:
    """A header in another spelling style: case, and the separators between its words and its number."""
    words = re.findall(r"[A-Za-z]+|\d+", header)
    case = (str.upper, str.lower, str.title, str)[style % 4]
    joiner = (" ", "_", "", "  ", "-")[style // 4 % 5]
    return case(joiner.join(words)) + (" " if style % 3 == 0 else "")


def as_number(cell: Any, how: int) -> Any:
    """A text cell of digits as a spreadsheet might hold it: text, an int, a float, or a float's text."""
    text = str(cell).strip()
    if not text.isdigit() or how == 0:
        return cell
    return (int(text), float(text), f"{float(text)}")[how - 1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          phases=NO_SHRINKING)
@given(data=st.data(), label=st.sampled_from(["2011", "2025"]), preamble=st.integers(0, 5))
def test_spreadsheet_rewritten_reads_the_same(data: st.DataObject, label: str, preamble: int, tmp_path_factory:
                                              pytest.TempPathFactory) -> None:
    rows, expected = sample_rows(label)
    header = find_code_header(rows)
    assert header is not None
    width = len(rows[0])
    columns = {at: column for column, at in zip(COLUMNS, header.positions, strict=True) if at is not None}
    order = data.draw(st.permutations(range(width)), label="column order")
    identity = {header.positions[COLUMN_INDEX[c]] for c in ("code", "record_id", "long_description")}
    absent = data.draw(st.sampled_from([None, *sorted(set(columns) - identity)]), label="absent")
    new_header = []
    for at in order:
        column = columns.get(at)
        if column is None:
            new_header.append(rows[0][at])  # FILLER
            continue
        spelling = data.draw(st.sampled_from(spellings_of(column)), label=f"{column} spelling")
        new_header.append(respell(spelling, data.draw(st.integers(0, 19), label=f"{column} style")))
    how = {at: data.draw(st.integers(0, 3), label=f"{columns[at]} cells") for at in columns
           if field_of(columns[at]).name in NUMBER_FIELDS}
    body = [[as_number(row[at], how.get(at, 0)) for at in order] for row in rows[1:]]
    keep = [i for i, at in enumerate(order) if at != absent]
    table = [[f"*Disclaimer line {n}"] for n in range(preamble)]
    table += [[new_header[i] for i in keep]] + [[row[i] for i in keep] for row in body]
    path = tmp_path_factory.mktemp("sheet") / "rewritten.xlsx"
    _write_xlsx(table, path)
    got = read_spreadsheet(path.read_bytes(), path.name)
    assert [r.code for r in got] == [r.code for r in expected]
    blank = columns.get(absent) if absent is not None else None
    for mine, theirs in zip(got, expected, strict=True):
        want = {k: (None if k == blank else v) for k, v in theirs.values.items()}
        assert mine.values == want, mine.code


def field_of(column: str) -> Field:
    return next(f for f in FIELDS if column in f.columns)


def spellings_of(column: str) -> tuple[str, ...]:
    field = field_of(column)
    return field.spellings[field.columns.index(column)]


def _write_xlsx(table: list[list[Any]], path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in table:
        sheet.append(row)
    book.save(path)


# -- text files rewritten the ways other years write them ----------------------------------------------------------

@cache
def sample_lines(label: str, count: int = 400) -> list[str]:
    """The preamble and the first lines of records of a real text file, and a block from its middle.

    Every other first record has its action code blanked, as a year without the field would write it, so
    that trimming its trailing blanks ends the line before the layout's 293 columns.
    """
    release = RELEASES[label]
    assert release.text
    lines = release.read(release.text).decode("cp1252").splitlines()
    middle = next(i for i in range(len(lines) // 2, len(lines)) if FIRST_LINE.match(lines[i]))
    sample = lines[: count // 2] + lines[middle: middle + count // 2]
    firsts = [i for i, line in enumerate(sample) if FIRST_LINE.match(line)]
    for i in firsts[::2]:
        sample[i] = sample[i][:292] + " " + sample[i][293:]
    return sample


@cache
def lines_read(label: str) -> list[Record]:
    return read_fixed_width("\r\n".join(sample_lines(label)).encode("cp1252") + b"\r\n", label)


def rewrite_line(line: str, how: int, cut: float) -> str:
    """Trimmed of trailing blanks, padded, cut somewhere after its last non-blank field, or as it was."""
    kept = line.rstrip()
    if how == 1:
        return kept
    if how == 2:
        return line.ljust(320)
    if how == 3:
        return line[: len(kept) + int((len(line) - len(kept)) * cut)]
    return line


def justify(line: str, left: bool) -> str:
    """A modifier's code field written ``GA   `` instead of ``   GA``."""
    if left and re.match(r"   [A-Z0-9]{2}\d{5}[78]", line):
        return line[3:5] + "   " + line[5:]
    return line


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          phases=NO_SHRINKING)
@given(label=st.sampled_from(["2011", "2016", "2025"]), ways=st.lists(st.tuples(st.integers(0, 3), st.floats(0, 1)),
                                                           min_size=400, max_size=400),
       left=st.booleans(), stray=st.sampled_from(["", "`", "*", "ï»¿"]), newline=st.sampled_from(["\r\n", "\n"]))
def test_text_file_rewritten_reads_the_same(label: str, ways: list[tuple[int, float]], left: bool, stray: str,
                                            newline: str) -> None:
    lines = [justify(rewrite_line(line, how, cut), left)
             for line, (how, cut) in zip(sample_lines(label), ways, strict=False)]
    first = next(i for i, line in enumerate(lines) if FIRST_LINE.match(line))
    if stray and label != "2011":  # 2011 has its own backtick already
        line = lines[first]
        lines[first] = stray + line[len(stray):] if line.startswith(" " * len(stray)) else stray + line
    data = (newline.join(lines) + newline).encode("cp1252")
    got = read_fixed_width(data, "rewritten.txt")
    expected = lines_read(label)
    assert [r.row for r in got] == [r.row for r in expected]
    assert [r.line for r in got] == [r.line for r in expected]


# -- strict where it matters ---------------------------------------------------------------------------------------

def first_record_lines() -> list[str]:
    return [line for line in sample_lines("2025") if re.match(r".{5}\d{5}[34]", line)][:40]


def test_a_short_record_is_read_as_padded_but_not_a_cut_date() -> None:
    lines = first_record_lines()
    s9 = next(i for i, line in enumerate(lines) if line[10] == "3" and line[268:276].strip())
    trimmed = [line.rstrip() for line in lines]
    assert sum(len(line) < 293 for line in trimmed if FIRST_LINE.match(line)) >= 5
    records = read_fixed_width(("\r\n".join(trimmed) + "\r\n").encode(), "trimmed.txt")
    assert [r.row for r in records] == [r.row for r in read_fixed_width(("\r\n".join(lines) + "\r\n").encode(), "x")]
    cut = [*lines[:s9], lines[s9][:272], *lines[s9 + 1:]]  # in the middle of the added date
    with pytest.raises(InputError, match=rf"cut.txt, line {s9 + 1}, field 'Code Added Date'"):
        read_fixed_width(("\r\n".join(cut) + "\r\n").encode(), "cut.txt")


def test_a_file_that_ends_mid_record_is_truncated() -> None:
    lines = first_record_lines()
    last = max(i for i, line in enumerate(lines) if line[10] == "3")
    data = "\r\n".join([*lines[:last], lines[last][:150]]).encode()
    with pytest.raises(InputError, match=rf"line {last + 1}: record for .*\(truncated file\?\)"):
        read_fixed_width(data, "cut.txt")
    assert read_fixed_width(data + b"\r\n", "whole.txt")[-1].line == last + 1


def test_non_records_after_the_first_record_are_refused() -> None:
    lines = first_record_lines()
    with pytest.raises(InputError, match=r"line 3: not an HCPCS record"):
        read_fixed_width("\r\n".join([*lines[:2], "a note", *lines[2:]]).encode(), "x.txt")
    more = next(i for i, line in enumerate(lines) if line[10] == "4")
    with pytest.raises(InputError, match=rf"line {more + 1}: continuation of .* holds more than its description"):
        read_fixed_width("\r\n".join([*lines[:more], lines[more][:91].ljust(100) + "X", *lines[more + 1:]]).encode(),
                         "x.txt")
    with pytest.raises(InputError, match=r"line 1: continuation of"):
        read_fixed_width(lines[more].encode(), "x.txt")


def sheet_table(*rows: list[Any], header: list[str] | None = None) -> bytes:
    table = [["a disclaimer"], header or [h for f in FIELDS for h in f.headers], *rows]
    buffer = io.BytesIO()
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in table:
        sheet.append(row)
    book.save(buffer)
    return buffer.getvalue()


S9328 = ["S9328", "0010", "3", "Home infusion therapy", "Hit pain"] + [""] * 39 + ["20020101", "20020101", "", "N"]


def test_only_the_identity_columns_are_required() -> None:
    keep = ("HCPC", "RECID", "LONG DESCRIPTION", "ADD DT")
    headers = [h for f in FIELDS for h in f.headers]
    at = [headers.index(h) for h in keep]
    records = read_spreadsheet(sheet_table([S9328[i] for i in at], header=list(keep)), "few.xlsx")
    assert records[0].get("added_date") == dt.date(2002, 1, 1)
    assert records[0].get("short_description") is None and records[0].get("sequence") is None
    with pytest.raises(InputError, match="no header row"):
        read_spreadsheet(sheet_table([S9328[i] for i in at[:1] + at[2:]], header=[keep[0], *keep[2:]]), "x.xlsx")


def test_an_unknown_header_beside_a_missing_field_is_refused() -> None:
    header = [h for f in FIELDS for h in f.headers]
    header[header.index("COV")] = "COVERAGE IND"
    with pytest.raises(InputError, match=r"row 2: headers not understood \('COVERAGE IND'\) while columns are "
                                         r"missing \(coverage\)"):
        read_spreadsheet(sheet_table(S9328, header=header), "x.xlsx")
    header[header.index("COVERAGE IND")] = "FILLER"
    assert read_spreadsheet(sheet_table(S9328, header=header), "x.xlsx")[0].get("coverage") is None


def test_a_cell_under_no_header_beside_a_missing_field_is_refused() -> None:
    header = [h for f in FIELDS for h in f.headers]
    header[header.index("COV")] = ""
    with pytest.raises(InputError, match=r"row 3: 'I' in column 31, which has no header, while columns are missing "
                                         r"\(coverage\)"):
        read_spreadsheet(sheet_table([*S9328[:30], "I", *S9328[31:]], header=header), "x.xlsx")
    assert read_spreadsheet(sheet_table(S9328, header=header), "x.xlsx")[0].get("coverage") is None


def test_an_empty_or_blank_text_file_is_refused() -> None:
    with pytest.raises(InputError, match="holds no HCPCS records"):
        read_fixed_width(b"", "empty.txt")
    with pytest.raises(InputError, match="holds no HCPCS records"):
        read_fixed_width(b"\x1a", "ctrl-z.txt")
    lines = first_record_lines()
    whole = ("\r\n".join(lines) + "\r\n").encode()
    rows = [r.row for r in read_fixed_width(whole, "whole.txt")]
    assert [r.row for r in read_fixed_width(whole + b"\x1a", "dos.txt")] == rows


def test_two_columns_for_one_field_are_refused() -> None:
    header = [h for f in FIELDS for h in f.headers]
    header[header.index("COV")] = "ASC Pay Grp"
    with pytest.raises(InputError, match=r"2 columns for asc_group: 'ASC Pay Grp', 'ASC_GRP'"):
        read_spreadsheet(sheet_table(S9328, header=header), "x.xlsx")


def test_spreadsheet_rows_out_of_order_are_refused() -> None:
    more = ["S9328", "0020", "4", "continued"]
    with pytest.raises(InputError, match=r"row 3: continuation of S9328 \(record id 4\) does not follow"):
        read_spreadsheet(sheet_table(more), "x.xlsx")
    with pytest.raises(InputError, match=r"row 4, field 'RECID': record id '5' of S9328 is none of 3, 4, 7, 8"):
        read_spreadsheet(sheet_table(S9328, ["S9328", "0020", "5", "x"]), "x.xlsx")
    with pytest.raises(InputError, match=r"row 4: continuation of S9328 carries more than its description \(cov"):
        read_spreadsheet(sheet_table(S9328, [*more, "", *[""] * 25, "C"]), "x.xlsx")


def test_every_header_spelling_names_one_column() -> None:
    from hcpcs.readers.spreadsheet import spelling_key

    seen: dict[str, str] = {}
    for f in FIELDS:
        for column, spellings in zip(f.columns, f.spellings, strict=True):
            for spelling in spellings:
                assert seen.setdefault(spelling_key(spelling), column) == column, spelling
    # The record layout's SAS alias for the ASC date, ASCGRP, would read as the ASC group's ASC_GRP.
    assert seen["ASCGRP"] == "asc_group"
    assert "ASCGRP" not in {spelling_key(s) for s in FIELDS_BY_NAME["asc_effective_date"].spellings[0]}


def test_near_misses_are_not_taken_for_a_field() -> None:
    near = ["TOS", "PRICE", "DESC", "LONG", "ASC", "CODE", "XREF 6", "TOS 6", "Short", "Add", "Date", "Effective"]
    header = find_code_header([["HCPCS", "Seq Num", "RIC", "Long Description", *near]])
    assert header is not None
    assert header.positions[:4] == (0, 1, 2, 3) and set(header.positions[4:]) == {None}
    assert header.unknown == tuple(near)
