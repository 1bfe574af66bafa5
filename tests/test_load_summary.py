"""Every file given is accounted for: its role and what the load did with it; auxiliary files never block a
release, and ``--strict`` turns their warnings into errors."""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import hcpcs
from hcpcs.cli import cli

from .conftest import CMS, db_digest

ZIP_2025 = CMS / "hcpcs-2025.zip"


def load(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), "load", *args])
    return result.exit_code, result.output


def file_lines(output: str) -> dict[str, tuple[str, str, str]]:
    """The summary's file lines: file -> (outcome, role, detail)."""
    out = {}
    for line in output.splitlines():
        match = re.match(r"^  (loaded|skipped)\s{2,}(.+?)\s{2,}(\S.*?): (.*)$", line)
        if match:
            outcome, role, file, detail = match.groups()
            out[file] = (outcome, role, detail)
    return out


def test_every_member_of_the_2025_zip_is_accounted_for(tmp_path: Path) -> None:
    code, output = load(tmp_path / "db.sqlite", str(ZIP_2025))
    assert code == 0, output
    lines = file_lines(output)
    with zipfile.ZipFile(ZIP_2025) as archive:
        members = {f"hcpcs-2025.zip:{n}" for n in archive.namelist()}
    assert set(lines) == members | {"hcpcs-2025.zip"}, output
    assert lines["hcpcs-2025.zip"][:2] == ("loaded", "zip")
    expected = {
        "HCPC2025_JAN_ANWEB_12172024.txt": ("code file (text)", "release 2025-01"),
        "HCPC2025_JAN_ANWEB_12172024.xlsx": ("code file (spreadsheet)", "release 2025-01"),
        "HCPC2025_JAN_ANWEB_Corrections_12172024.xlsx": ("corrections", "corrections to 2025-01"),
        "HCPC2025_JAN_Transaction Report_12172024.xlsx": ("transaction report", "transaction report of 2025-01"),
        "HCPC2025_recordlayout.txt": ("record layout", "record layout 2025"),
        "NOC codes_JAN2025.xlsx": ("NOC list", "NOC list 2025"),
        "proc_notes_JAN2025.txt": ("processing notes", "release 2025-01"),
    }
    for name, (role, detail) in expected.items():
        outcome, found_role, found_detail = lines[f"hcpcs-2025.zip:{name}"]
        assert (outcome, found_role) == ("loaded", role), (name, lines[f"hcpcs-2025.zip:{name}"])
        assert found_detail.startswith(detail), (name, found_detail)
    assert "warning:" not in output
    with hcpcs.open(tmp_path / "db.sqlite", readonly=True) as db:
        assert [r.id for r in db.releases()] == ["2025-01"]
        assert len(db.corrections("2025-01")) > 0
        assert db.transaction_report("2025-01").entries


def test_the_2016_release_unzipped_into_a_subfolder_loads(tmp_path: Path) -> None:
    top = tmp_path / "downloads"
    shutil.copytree(CMS / "2016-Alpha-Numeric-HCPCS-File", top / "nested" / "2016-Alpha-Numeric-HCPCS-File")
    code, output = load(tmp_path / "db.sqlite", str(top))
    assert code == 0, output
    lines = file_lines(output)
    assert len(lines) == 8, output  # every file of the folder, each once
    # the two text copies of the transaction report: one read, the other accounted for as a copy
    skipped = [f for f, (outcome, _, _) in lines.items() if outcome == "skipped"]
    assert len(skipped) == 2 and all("TransReport" in f for f in skipped), lines
    with hcpcs.open(tmp_path / "db.sqlite", readonly=True) as db:
        assert [r.id for r in db.releases()] == ["2016-01"]
        assert db.transaction_report("2016-01").entries


def test_a_stray_file_in_a_folder_is_skipped_with_its_reason(tmp_path: Path) -> None:
    folder = tmp_path / "cms"
    folder.mkdir()
    shutil.copy(CMS / "2020-04-anweb.xlsx", folder)
    (folder / "my notes.docx").write_bytes(b"PK\x03\x04 not really a document")
    code, output = load(tmp_path / "db.sqlite", str(folder))
    assert code == 0, output
    lines = file_lines(output)
    assert lines["my notes.docx"][0] == "skipped" and "not a CMS HCPCS file" in lines["my notes.docx"][2]
    assert lines["2020-04-anweb.xlsx"][0] == "loaded"


def broken_report_zip(tmp_path: Path) -> Path:
    """The 2020-04 code file with a transaction report whose second line is garbage."""
    bad = tmp_path / "2020-04-files.zip"
    report = (b" HCPCS/MOD      TYPE OF CHANGE    SHORT DESCRIPTION\r\n      A1          No Change       Dressing\r\n"
              b"   ???? garbage line\r\n   A4206          Painted Blue    Syringe\r\n")
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("2020-04-anweb.xlsx", (CMS / "2020-04-anweb.xlsx").read_bytes())
        archive.writestr("HCPC2020_APR_Trans_Alpha.prn", report)
    return bad


def test_an_auxiliary_file_that_cannot_be_understood_does_not_block_its_release(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    code, output = load(db, str(broken_report_zip(tmp_path)))
    assert code == 0, output
    warnings = [line for line in output.splitlines() if line.startswith("warning: ")]
    assert warnings, output
    assert all("HCPC2020_APR_Trans_Alpha.prn" in w for w in warnings), warnings
    assert any("line 3" in w for w in warnings) and any("Painted Blue" in w for w in warnings), warnings
    with hcpcs.open(db, readonly=True) as handle:
        assert [r.id for r in handle.releases()] == ["2020-04"]
        entries = handle.transaction_report("2020-04").entries
        assert {e.code: e.change for e in entries} == {"A1": "No Change", "A4206": "Painted Blue"}


def test_strict_turns_warnings_into_errors_and_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    with hcpcs.open(db) as handle:
        handle.load([CMS / "2020-10-anweb.xlsx"])
    before = db_digest(db)
    code, output = load(db, "--strict", "--silent", str(broken_report_zip(tmp_path)))
    assert code == 1, output
    message = output.strip()
    assert message.startswith("Error: ") and "\n" not in message and "HCPC2020_APR_Trans_Alpha.prn" in message
    assert db_digest(db) == before


def test_a_zip_inside_a_zip_is_read(tmp_path: Path) -> None:
    outer = tmp_path / "downloads.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        inner.writestr("2020-10-anweb.xlsx", (CMS / "2020-10-anweb.xlsx").read_bytes())
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("october-2020-alpha-numeric-hcpcs-file.zip", buffer.getvalue())
    code, output = load(tmp_path / "db.sqlite", str(outer))
    assert code == 0, output
    assert "downloads.zip:october-2020-alpha-numeric-hcpcs-file.zip:2020-10-anweb.xlsx" in file_lines(output)


@pytest.mark.parametrize("name", ["hcpcs-2025.zip", "2025 HCPCS file (1).zip", "HCPC2025_JAN.zip"])
def test_renamed_zips_give_the_release_from_their_members(tmp_path: Path, name: str) -> None:
    renamed = tmp_path / name
    shutil.copy(ZIP_2025, renamed)
    with hcpcs.open(tmp_path / "db.sqlite") as db:
        report = db.load([renamed])
    assert [r.release_id for r in report.releases] == ["2025-01"]


def test_a_broken_code_file_beside_others_names_its_line_and_stores_nothing(tmp_path: Path) -> None:
    """Read in a worker process beside another release, the error still names the file and line."""
    folder = tmp_path / "cms"
    folder.mkdir()
    shutil.copy(CMS / "2020-10-anweb.xlsx", folder)
    with zipfile.ZipFile(CMS / "2020-Alpha-Numeric-HCPCS-File.zip") as archive:
        text = archive.read("HCPC2020_ANWEB_w_disclaimer.txt")
    lines = text.split(b"\r\n")
    number = next(i for i, line in enumerate(lines) if line.startswith(b"S9328001003"))
    line = bytearray(lines[number])
    line[268:276] = b"2002O101"
    lines[number] = bytes(line)
    (folder / "HCPC2021_ANWEB.txt").write_bytes(b"\r\n".join(lines))
    db = tmp_path / "db.sqlite"
    with hcpcs.open(db) as handle:
        handle.load([CMS / "2020-04-anweb.xlsx"])
    before = db_digest(db)
    code, output = load(db, "--silent", str(folder))
    assert code == 1, output
    assert output.strip() == (f"Error: HCPC2021_ANWEB.txt, line {number + 1}, field 'Code Added Date': "
                              "'2002O101' is not a date in the form YYYYMMDD")
    assert db_digest(db) == before


def october_2025_zip(tmp_path: Path, *, same_lists: bool) -> Path:
    """The October 2025 release as CMS ships a quarter: its code file in a zip with the year's NOC list and
    record layout, either the very files of the January zip or a revised NOC list."""
    with zipfile.ZipFile(ZIP_2025) as january:
        noc = january.read("NOC codes_JAN2025.xlsx")
        layout = january.read("HCPC2025_recordlayout.txt")
    if not same_lists:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(noc))
        sheet = book.active
        assert sheet is not None
        last = sheet.max_row
        assert sheet.cell(last, 1).value  # a code: the revised list lacks it
        sheet.delete_rows(last)
        buffer = io.BytesIO()
        book.save(buffer)
        noc = buffer.getvalue()
    path = tmp_path / ("same" if same_lists else "revised") / "october-2025-alpha-numeric-hcpcs-file.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("HCPC2025_OCT_ANWEB_v4.xlsx", (CMS / "HCPC2025_OCT_ANWEB_v4.xlsx").read_bytes())
        archive.writestr("NOC codes_OCT2025.xlsx", noc)
        archive.writestr("HCPC2025_recordlayout.txt", layout)
    return path


def test_each_quarter_of_a_year_may_ship_the_years_lists(tmp_path: Path) -> None:
    """The same NOC list and layout in two zips of one year change nothing; a revised list in a later quarter
    replaces the earlier one, whichever is loaded first, and an earlier quarter's list never replaces it."""
    same, revised = october_2025_zip(tmp_path, same_lists=True), october_2025_zip(tmp_path, same_lists=False)
    with hcpcs.open(tmp_path / "same.sqlite") as db:
        report = db.load([ZIP_2025, same])
        assert report.noc_lists == [(2025, 159, "loaded"), (2025, 159, "unchanged")]
        assert [status for _, _, status in report.layouts] == ["loaded", "unchanged"]
    for order in ([ZIP_2025, revised], [revised, ZIP_2025]):
        path = tmp_path / f"revised-{order[0].name}.sqlite"
        with hcpcs.open(path) as db:
            db.load(order)
            statuses = db.load([ZIP_2025]).noc_lists  # January again, alone: October's list stands
            assert statuses == [(2025, 159, "superseded")]
            page = db.get("A9999", release="2025-01")
            assert page.noc_list_year == 2025
        with sqlite3.connect(path) as con:
            (count,) = con.execute("SELECT count(*) FROM noc_codes WHERE year = 2025").fetchone()
        assert count == 158, order
