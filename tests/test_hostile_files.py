"""Hostile files, made from CMS's real ones: each load ends in one line and exit 1 (or a named warning), in
bounded memory, and the database is unchanged."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

import hcpcs
from hcpcs.render.safe_csv import FORMULA_START

from . import hostile
from .conftest import ANNUAL

#: Peak memory (max RSS) a load of any hostile file may reach.
MAX_RSS_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    max_rss: int  # bytes


#: Starts the command in a fresh small process and writes the command's own peak memory (its max RSS) to a
#: file. A child forked straight from this test process would report this process's peak as its own: Linux
#: carries the forking process's high-water mark over fork and exec into the child's ``ru_maxrss``.
LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as peak:
    peak.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_load(db: Path, *args: str) -> Run:
    """``hcpcs load`` in a child process, with the child's peak memory (max RSS, its own children included)."""
    out, err, peak = db.parent / "stdout", db.parent / "stderr", db.parent / "peak"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        code = subprocess.call([sys.executable, "-c", LAUNCHER, str(peak), "-m", "hcpcs", "--db", str(db), "load",
                                *args], stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    return Run(code, out.read_text(), err.read_text(), int(peak.read_text()) * 1024)


@pytest.fixture
def loaded_copy(annual_2020: Path, tmp_path: Path) -> Path:
    path = tmp_path / "db" / "hcpcs.sqlite"
    path.parent.mkdir()
    shutil.copy(annual_2020, path)
    return path


def content(db: Path) -> str:
    """The database file's digest past its header (whose change counter an open for writing may advance):
    the same digest, the same data."""
    return hashlib.sha256(db.read_bytes()[100:]).hexdigest()


def refused(db: Path, given: Path | str, *expect: str, options: tuple[str, ...] = ()) -> str:
    before = content(db)
    run = run_load(db, "--silent", *options, str(given))
    message = run.stderr.strip()
    assert run.code == 1, (run.code, run.stderr)
    assert message.startswith("Error: ") and "\n" not in message and "Traceback" not in message, message
    for part in expect:
        assert part in message, message
    assert run.max_rss < MAX_RSS_BYTES, f"{run.max_rss / 2**20:.0f} MB"
    assert content(db) == before
    return message


Maker = Callable[[Path], Path]
REFUSED: dict[str, tuple[Maker, tuple[str, ...]]] = {
    "cell XFD1048576": (lambda d: hostile.far_cell(d, "XFD1048576"), ("reaches cell XFD1048576", "sheet1")),
    "cell CV300000": (lambda d: hostile.far_cell(d, "CV300000"), ("reaches cell CV300000", "30,000,000 cells")),
    "formula without its value": (hostile.formula_description, ("row 6681", "D6681", "formula", "without the value")),
    "member declaring 10 GB": (hostile.declared_huge, ("HCPC2021_ANWEB.txt", "declares 10,240 MB")),
    "zip bomb": (hostile.zip_bomb, ("HCPC2021_ANWEB.txt", "compressed 1,028 to 1", "zip bomb")),
    "compression method 99": (lambda d: hostile.with_flags(d, method=99),
                              ("HCPC2020_ANWEB_w_disclaimer.txt", "compression method 99")),
    "encrypted member": (lambda d: hostile.with_flags(d, encrypted=True),
                         ("HCPC2020_ANWEB_w_disclaimer.txt", "encrypted")),
    "zip cut in half": (hostile.cut_zip, ("2021-Alpha-Numeric-HCPCS-File.zip", "not a readable zip")),
    "UTF-16 code file": (hostile.utf16_text, ("HCPC2021_ANWEB.txt", "UTF-16", "Windows-1252")),
    "NUL in a description": (lambda d: hostile.text_with(d, b"\0\a"),
                             ("HCPC2021_ANWEB.txt, line 11696", "control character U+0000 in S9328's",
                              "'Home infusion therapy, implan\\x00\\x07d")),
    "escape in a cell": (lambda d: hostile.sheet_strings(d, hostile.S9328_SHORT, b"<t>Hit pain\x1b[31m</t>"),
                         ("HCPC2021_ANWEB.xlsx, row 6681", "control character U+001B in S9328's Short")),
    "cell of 10 MB": (lambda d: hostile.sheet_strings(d, hostile.S9328_LONG,
                                                      hostile.S9328_LONG + b" pump" * 2_000_000),
                      ("HCPC2021_ANWEB.xlsx, row 6681", "10,000,234 characters, as long as a spreadsheet cell")),
    ".xls declaring 4,000,000,000 rows": (lambda d: hostile.xls_far(d, rows=4_000_000_000),
                                          ("HCPC2021_ANWEB.xls", "sheet 'A' reaches cell AV4000000000")),
    ".xls cell IV65536": (lambda d: hostile.xls_far(d, cell=(65535, 255)),
                          ("HCPC2021_ANWEB.xls", "reaches cell IV65536", "16,777,216 cells")),
    ".xls cell at column 65,536": (lambda d: hostile.xls_far(d, cell=(10, 65535)), ("reaches cell CRXP7091",)),
    ".xls of six far sheets": (lambda d: hostile.xls_sheets(d, 6, (3000, 255)),
                               ("HCPC2021_ANWEB.xls", "6 sheets hold 4,609,536 cells together")),
    ".xls cut short": (lambda d: hostile.cut_file(d / "HCPC2021_ANWEB.xls", hostile.xls_2020(), 0.6),
                       ("HCPC2021_ANWEB.xls", "not a readable .xls file")),
    ".xlsb named .xlsx": (hostile.xlsb_named_xlsx, ("HCPC2021_ANWEB.xlsx", "not an .xlsx workbook")),
    **{f".xls with flipped bits ({seed})": (partial(hostile.xls_flipped, seed=seed), ("HCPC2021_ANWEB.xls", what))
       for seed, what in ((0, "reaches cell AOD7091"), (1, "record id '20180331'"), (11, "not a readable .xls file"))},
    **{f".xlsx with flipped bits ({seed})": (partial(hostile.xlsx_flipped, seed=seed), ("HCPC2021_ANWEB.xlsx",))
       for seed in (1, 2)},
    ".xlsx cut at a random byte": (
        lambda d: hostile.cut_file(d / "HCPC2021_ANWEB.xlsx", hostile.SHEET.read_bytes(), 0.37),
        ("HCPC2021_ANWEB.xlsx", "not a readable spreadsheet")),
    **{f"NOC zip with flipped bits ({seed})": (partial(hostile.bit_flips, seed=seed),
                                               ("2019-HCPCS-NOC-Codes.zip:NOC_Codes_2019.", "damaged"))
       for seed in (1, 2, 3)},
}


_NOC_XLSX, _NOC_PRN = "NOC_Codes_2019.xlsx", "NOC_Codes_2019.prn"
_FIX = "HCPC2019_Corrections_ALPHA.xlsx"
#: Side files with what cannot be stored as it is: a row, line or note holding it is a warning naming the
#: file, the line or row and the field (the rest of the file is stored); a file that cannot be read at all
#: is a warning that it is not loaded. ``--strict`` refuses the load with either.
SIDE: dict[str, tuple[Maker, tuple[str, ...]]] = {
    "NUL in a NOC list's cell": (
        lambda d: hostile.side_zip(d, hostile.NOC_2019, _NOC_XLSX, lambda b: hostile.with_strings(
            b, b"<t>Unlisted ambulance service</t>", b"<t>Unlisted\x00ambulance service</t>")),
        (f"{_NOC_XLSX}, row ", "control character U+0000", "not stored")),
    "bell in a NOC .prn": (
        lambda d: hostile.side_zip(d, hostile.NOC_2019, _NOC_PRN, hostile.replaced(
            b"Unlisted ambulance service", b"Unlisted\aambulance service"), drop=(_NOC_XLSX,)),
        (f"{_NOC_PRN}, line ", "control character U+0007", "not stored")),
    "UTF-16 NOC .prn": (
        lambda d: hostile.side_zip(d, hostile.NOC_2019, _NOC_PRN, lambda b: b.decode("cp1252").encode("utf-16"),
                                   drop=(_NOC_XLSX,)),
        (_NOC_PRN, "the file is UTF-16 text")),
    "NOC spreadsheet cut in half": (
        lambda d: hostile.side_zip(d, hostile.NOC_2019, _NOC_XLSX, lambda b: b[:len(b) // 2]),
        (_NOC_XLSX, "not a readable spreadsheet")),
    "cell of 48,000 characters in corrections": (
        lambda d: hostile.side_zip(d, hostile.CORRECTIONS_2019, _FIX, lambda b: hostile.with_strings(
            b, b"<t>Change Cov to C and Price to 39</t>",
            b"<t>Change Cov to C" + b" and Price to 39" * 3000 + b"</t>")),
        (f"{_FIX}, row ", "as long as a spreadsheet cell", "not stored")),
    "formula without its value in corrections": (
        lambda d: hostile.side_zip(d, hostile.CORRECTIONS_2019, _FIX, lambda b: hostile.formula_in(b, b"ADD CODE")),
        (f"{_FIX}, row 7: cell B7", "holds a formula", "without the value")),
    "escape in a transaction report": (
        lambda d: hostile.file_with(d / "2020-01-trans-alpha.xlsx", hostile.with_strings(
            hostile.REPORT_2020_04.read_bytes(), b"   A2</t>", b"   A2\x1b[2J</t>")),
        ("2020-01-trans-alpha.xlsx, row ", "control character U+001B", "not stored")),
    "NUL in the record layout": (
        lambda d: hostile.side_zip(d, hostile.LAYOUT_2019, "HCPCS2019_recordlayout.txt", hostile.replaced(
            b"CPT-4 codes", b"CPT-4\x00codes")),
        ("HCPCS2019_recordlayout.txt, line ", "control character U+0000", "line not read")),
    "NUL in a processing note": (
        lambda d: hostile.side_zip(d, ANNUAL[2020], "proc_notes_2020.txt", hostile.replaced(
            b"0002--THESE CODES", b"0002--THESE\x00CODES"), name="2021-Alpha-Numeric-HCPCS-File.zip"),
        ("proc_notes_2020.txt, line 6, field 'note 0002'", "control character U+0000", "not stored")),
    "escape in the drug crosswalk": (
        lambda d: hostile.file_with(d / hostile.CROSSWALK.name, hostile.replaced(b"J9", b"J9\x1b", )(
            hostile.CROSSWALK.read_bytes())),
        (f"{hostile.CROSSWALK.name}, line ", "control character U+001B", "not read")),
}


@pytest.mark.parametrize("case", SIDE)
def test_hostile_side_file_is_a_named_warning(case: str, loaded_copy: Path, tmp_path: Path) -> None:
    make, expect = SIDE[case]
    folder = tmp_path / "given"
    folder.mkdir()
    refused(loaded_copy, make(folder), *expect, options=("--strict",))


@pytest.mark.parametrize("case", REFUSED)
def test_hostile_file_is_refused(case: str, loaded_copy: Path, tmp_path: Path) -> None:
    make, expect = REFUSED[case]
    folder = tmp_path / "given"
    folder.mkdir()
    refused(loaded_copy, make(folder), *expect)


def test_fifo_is_refused_without_waiting(loaded_copy: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "HCPC2021_ANWEB.txt"
    os.mkfifo(fifo)
    refused(loaded_copy, fifo, "HCPC2021_ANWEB.txt", "not a regular file but a FIFO")


def test_device_is_refused(loaded_copy: Path) -> None:
    refused(loaded_copy, "/dev/zero", "zero", "not a regular file but a device")


def test_fifo_in_a_folder_is_passed_over(loaded_copy: Path, tmp_path: Path) -> None:
    """A FIFO beside the files of a folder is not a file to read: the folder's release loads."""
    folder = tmp_path / "2020"
    folder.mkdir()
    shutil.copy(ANNUAL[2020], folder)
    os.mkfifo(folder / "HCPC2021_ANWEB.txt")
    run = run_load(loaded_copy, str(folder))
    assert run.code == 0, run.stderr
    assert "2020-01" in run.stdout



def test_formula_text_is_neutralised_in_csv_output(loaded_copy: Path, tmp_path: Path) -> None:
    """A description that a spreadsheet would run as a formula is stored as CMS's file has it, and written
    to CSV with a ``'`` in front (OWASP), in search and diff output alike."""
    from click.testing import CliRunner

    from hcpcs.cli import cli

    def output(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--db", str(loaded_copy), *args])
        assert result.exit_code == 0, result.output
        return result.output

    output("load", "--silent", str(hostile.formula_text(tmp_path)))
    assert hostile.INJECTED in output("show", "S9328", "--release", "2021-01")
    for args in (("search", "S9328", "--release", "2021-01", "--format", "csv"),
                 ("diff", "2020-01", "2021-01", "--format", "csv")):
        rows = list(csv.reader(io.StringIO(output(*args))))
        cells = [cell for row in rows for cell in row]
        assert "'" + hostile.INJECTED in cells, args
        assert not any(cell.startswith(FORMULA_START) for cell in cells), args


def warned(db: Path, given: Path, *expect: str) -> str:
    """A load that goes through with a warning naming what is wrong; ``--strict`` refuses it."""
    run = run_load(db, str(given))
    assert run.code == 0, run.stderr
    assert run.max_rss < MAX_RSS_BYTES, f"{run.max_rss / 2**20:.0f} MB"
    warnings = [line for line in run.stdout.splitlines() if line.startswith("warning: ")]
    assert any(all(part in w for part in expect) for w in warnings), run.stdout
    return "\n".join(warnings)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_code_file_cut_at_a_line_boundary(seed: int, loaded_copy: Path, tmp_path: Path) -> None:
    """Rule 1 (the last code is not a V code) and rule 2 (far fewer procedures than 2020-01) both say it."""
    path, last = hostile.cut_at_line(tmp_path, seed)
    refused(loaded_copy, path, "--strict", "HCPC2021_ANWEB.txt", f"the last code is code {last}", "cut short",
            options=("--strict",))
    said = warned(loaded_copy, path, "HCPC2021_ANWEB.txt, line ", f"the last code is code {last}", "cut short")
    assert "fewer than release 2020-01 (6,710)" in said


@pytest.mark.parametrize("seed", [1, 2])
def test_code_file_cut_at_a_byte(seed: int, loaded_copy: Path, tmp_path: Path) -> None:
    """Mid-line it is refused (its last record is short of the action code); past the action code, or at a
    line end, the record is whole and the file is the line-boundary case: loaded with a warning."""
    path = hostile.cut_at_byte(tmp_path, seed)
    before = content(loaded_copy)
    run = run_load(loaded_copy, str(path))
    assert run.max_rss < MAX_RSS_BYTES, f"{run.max_rss / 2**20:.0f} MB"
    if run.code == 1:
        message = run.stderr.strip()  # (after the progress display's line end)
        assert message.startswith("Error: HCPC2021_ANWEB.txt, line ") and "truncated" in message, message
        assert "\n" not in message
        assert content(loaded_copy) == before
    else:
        assert run.code == 0, run.stderr
        assert "cut short" in run.stdout


def test_spreadsheet_cut_at_a_row(loaded_copy: Path, tmp_path: Path) -> None:
    path = hostile.sheet_cut_at_row(tmp_path, 3000)
    warned(loaded_copy, path, "HCPC2021_ANWEB_cut.xlsx, row 3000", "the last code is code ", "cut short")


def test_side_file_row_not_stored_and_the_rest_loaded(loaded_copy: Path, tmp_path: Path) -> None:
    """Without ``--strict`` the load goes through: the NOC list is stored but for the row with the NUL."""
    make, expect = SIDE["NUL in a NOC list's cell"]
    said = warned(loaded_copy, make(tmp_path), *expect, "field 'LONG DESCRIPTION'")
    assert said.count("warning: ") == 1
    with hcpcs.open(loaded_copy, readonly=True) as handle:  # 2020-01 is flagged by the 2019 list
        assert [(handle.get(code, release="2020-01").noc, code) for code in ("A0999", "A4335")] == [
            (False, "A0999"), (True, "A4335")]
