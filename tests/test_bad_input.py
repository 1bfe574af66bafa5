"""Bad input gets one clear line naming the file and the line or row, and the database is unchanged."""

from __future__ import annotations

import io
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import hcpcs
from hcpcs.cli import cli

from .conftest import ANNUAL, CMS, db_digest, member


@pytest.fixture
def loaded_copy(annual_2020: Path, tmp_path: Path) -> Path:
    """A private copy of a database that already holds the 2020 release."""
    path = tmp_path / "copy.sqlite"
    shutil.copy(annual_2020, path)
    return path


def text_2020() -> bytes:
    return member(ANNUAL[2020], suffix=".txt")[1]


def load_fails(db: Path, *paths: Path, expect: list[str]) -> str:
    before = db_digest(db)
    result = CliRunner().invoke(cli, ["--db", str(db), "load", "--silent", *map(str, paths)])
    assert result.exit_code == 1, result.output
    message = result.output.strip()
    assert message.startswith("Error: ") and "\n" not in message, message
    for part in expect:
        assert part in message, message
    assert db_digest(db) == before
    return message


def test_truncated_file(loaded_copy: Path, tmp_path: Path) -> None:
    data = text_2020()
    cut = data.index(b"S9328001003") + 150  # in the middle of S9328's first record
    bad = tmp_path / "HCPC2021_ANWEB.txt"
    bad.write_bytes(data[:cut])
    line = data[:cut].count(b"\n") + 1
    load_fails(loaded_copy, bad, expect=["HCPC2021_ANWEB.txt", f"line {line}", "S9328", "truncated"])


def test_garbled_date(loaded_copy: Path, tmp_path: Path) -> None:
    lines = text_2020().split(b"\r\n")
    number = next(i for i, line in enumerate(lines) if line.startswith(b"S9328001003"))
    line = bytearray(lines[number])
    line[268:276] = b"2002O101"  # a letter O for a zero in the added date
    lines[number] = bytes(line)
    bad = tmp_path / "HCPC2021_ANWEB.txt"
    bad.write_bytes(b"\r\n".join(lines))
    load_fails(loaded_copy, bad,
               expect=["HCPC2021_ANWEB.txt", f"line {number + 1}", "Code Added Date", "2002O101"])


def test_impossible_calendar_date(tmp_path: Path) -> None:
    lines = text_2020().split(b"\r\n")
    number = next(i for i, line in enumerate(lines) if line.startswith(b"S9328001003"))
    line = bytearray(lines[number])
    line[276:284] = b"20020231"
    lines[number] = bytes(line)
    from hcpcs.readers.fixedwidth import read_fixed_width

    with pytest.raises(hcpcs.InputError, match=r"line \d+, field 'Action Effective Date': '20020231' is not a real"):
        read_fixed_width(b"\r\n".join(lines), "x.txt")


def test_zip_without_hcpcs_file(loaded_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "2021-alpha-numeric-hcpcs-file.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("notes.txt", "nothing to see here\n")
        archive.writestr("picture.png", b"\x89PNG\r\n")
    load_fails(loaded_copy, bad, expect=["2021-alpha-numeric-hcpcs-file.zip", "holds no HCPCS code file"])


def test_not_a_zip(loaded_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "2021-alpha-numeric-hcpcs-file.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    load_fails(loaded_copy, bad, expect=["2021-alpha-numeric-hcpcs-file.zip", "not a readable zip"])


def test_empty_file(loaded_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "HCPC2021_ANWEB.txt"
    bad.write_bytes(b"")
    load_fails(loaded_copy, bad, expect=["HCPC2021_ANWEB.txt", "holds no HCPCS records"])


def test_spreadsheet_without_header_row(loaded_copy: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Note regarding coverage and payment indicators"])
    sheet.append(["S9328", "0010", "3", "Home infusion therapy, implanted pump pain management", "Hit pain"])
    buffer = io.BytesIO()
    book.save(buffer)
    bad = tmp_path / "HCPC2021_ANWEB.xlsx"
    bad.write_bytes(buffer.getvalue())
    load_fails(loaded_copy, bad, expect=["HCPC2021_ANWEB.xlsx", "no header row", "HCPC, SEQNUM"])


def test_spreadsheet_bad_row(loaded_copy: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    from hcpcs.model.layout import FIELDS

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["disclaimer"])
    sheet.append([h for f in FIELDS for h in f.headers])
    row = ["S9328", "0010", "3", "Home infusion", "Hit"] + [""] * 39 + ["20021301", "20020101", "", "N"]
    sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    bad = tmp_path / "HCPC2021_ANWEB.xlsx"
    bad.write_bytes(buffer.getvalue())
    load_fails(loaded_copy, bad, expect=["HCPC2021_ANWEB.xlsx", "row 3", "Code Added Date", "20021301"])


def test_missing_path(loaded_copy: Path, tmp_path: Path) -> None:
    load_fails(loaded_copy, tmp_path / "nowhere.zip", expect=["nowhere.zip", "no such file"])


def test_one_bad_file_stores_nothing_of_the_good_ones(tmp_path: Path) -> None:
    db = tmp_path / "fresh.sqlite"
    empty = tmp_path / "HCPC2021_ANWEB.txt"
    empty.write_bytes(b"")
    with hcpcs.open(db):
        pass
    load_fails(db, ANNUAL[2019], empty, expect=["HCPC2021_ANWEB.txt"])
    with hcpcs.open(db, readonly=True) as handle:
        assert handle.releases() == []


def test_load_that_dies_part_way_leaves_nothing(tmp_path: Path) -> None:
    """A write that fails after two releases and most of a third are in: all of it is rolled back."""
    db = tmp_path / "dies.sqlite"
    with hcpcs.open(db) as handle:
        handle.load([ANNUAL[2018]])
    con = sqlite3.connect(db)
    con.execute("CREATE TRIGGER die BEFORE INSERT ON records WHEN NEW.release_id = '2020-01' "
                "AND NEW.code = 'S9328' BEGIN SELECT RAISE(ABORT, 'disk gave out'); END")
    con.commit()
    con.close()
    before = db_digest(db)
    with hcpcs.open(db) as handle, pytest.raises(sqlite3.DatabaseError, match="disk gave out"):
        handle.load([ANNUAL[2019], ANNUAL[2020]])
    assert db_digest(db) == before
    with hcpcs.open(db, readonly=True) as handle:
        assert [r.id for r in handle.releases()] == ["2018-01"]


def left_behind(marker: str, wait: float = 5.0) -> list[int]:
    """The processes whose command line names ``marker`` still alive after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        alive = []
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and marker.encode() in (proc / "cmdline").read_bytes():
                    alive.append(int(proc.name))
            except OSError:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


@pytest.mark.parametrize("after", [0.8, 1.6, 2.4])
def test_killed_load_leaves_whole_releases_only(tmp_path: Path, after: float) -> None:
    """SIGKILL at some moment of a load: every release the file then holds is whole, and it is sound."""
    db = tmp_path / "killed.sqlite"
    process = subprocess.Popen([sys.executable, "-m", "hcpcs", "--db", str(db), "load", "--silent", str(CMS)])
    time.sleep(after)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not left_behind(str(db)), "the load's reader processes outlived it"
    if not db.exists():
        return
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    if not con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        return  # killed while the new file's schema was written: nothing was committed, the file holds nothing
    for release_id, procedures, modifiers in con.execute(
        "SELECT id, procedure_count, modifier_count FROM releases"
    ).fetchall():
        (stored,) = con.execute("SELECT count(*) FROM records WHERE release_id = ?", (release_id,)).fetchone()
        assert stored == procedures + modifiers
    (orphans,) = con.execute(
        "SELECT count(*) FROM records WHERE release_id NOT IN (SELECT id FROM releases)").fetchone()
    assert orphans == 0
    con.close()


def test_transaction_report_with_an_unknown_change(tmp_path: Path) -> None:
    from hcpcs.model.records import LoadWarning
    from hcpcs.readers.transactions import read_report

    text = b" HCPCS/MOD      TYPE OF CHANGE    SHORT DESCRIPTION\r\n      A1          No Change       Dressing\r\n" \
           b"   A4206          Painted Blue    Syringe\r\n"
    warnings: list[LoadWarning] = []
    report = read_report(text, "bad.prn", warnings=warnings)
    # kept verbatim with an unknown action, and said
    assert [(e.code, e.action, e.change) for e in report.entries] == [("A1", "N", "No Change"),
                                                                       ("A4206", "?", "Painted Blue")]
    assert [str(w) for w in warnings] == [
        "bad.prn, line 3: unknown type of change 'Painted Blue' for A4206: kept as written, action '?'"]
    with pytest.raises(hcpcs.InputError, match=r"^notes\.prn: no header line"):
        read_report(b"just some text\n", "notes.prn", warnings=[])
    with pytest.raises(hcpcs.InputError, match=r"^odd\.prn: holds a header but no transaction report lines"):
        read_report(b"HCPCS/Modifier CodeType of Change\n(c) 2020 CMS\n", "odd.prn", warnings=[])


def test_against_report_of_a_zip_without_one(all_loaded: Path) -> None:
    with hcpcs.open(all_loaded, readonly=True) as db, pytest.raises(hcpcs.InputError, match="no transaction report"):
        db.compare_report(db.diff("2019", "2020"), CMS / "2019-HCPCS-NOC-Codes.zip")
