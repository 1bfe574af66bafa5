"""CMS's corrections files: read from the shared zips, stored, listed, and flagged on code pages."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import hcpcs
from hcpcs.cli import cli
from hcpcs.model.records import LoadWarning
from hcpcs.readers.corrections import read_corrections
from hcpcs.render.code_page import render_text

from .conftest import CMS


def test_versions_are_merged_each_row_once(db: hcpcs.Hcpcs) -> None:
    fixes = db.corrections("2018")
    assert len(fixes) == 34
    by_code: dict[str, list[str]] = {}
    for fix in fixes:
        by_code.setdefault(fix.code, []).append(fix.action)
    # added in V2, taken back in V3: both rows stay, in CMS's order
    assert by_code["G9978"] == ["ADD Code", "Remove, will be assigned at a later date"]
    assert by_code["G9890"] == ["DELETE"]
    g9868 = next(f for f in fixes if f.code == "G9868")
    assert g9868.effective_date == dt.date(2018, 1, 1) and g9868.short_description == "Next Gen ACO model <10min"
    assert g9868.details == {"Tos": "1", "Betos": "M5D", "Cov": "C", "Price": "13"}
    assert g9868.source == "V1_HCPC2018_Corrections_ANWEB.xlsx" and g9868.row == 16


def test_2019_corrections_and_a_garbled_date(db: hcpcs.Hcpcs) -> None:
    fixes = {f.code + f.action[:3]: f for f in db.corrections("2019")}
    assert len(db.corrections("2019")) == 14
    assert fixes["DARem"].source == "HCPC2019_Corrections_ALPHA_v2.xlsx"
    udenyca = fixes["Q5111ADD"]
    assert udenyca.effective_date is None and udenyca.effective_text == "01/0/12019"  # CMS's typo, kept as written
    assert fixes["C9034Dis"].details == {"Xref Code": "J1095"}


def test_code_page_flags_corrections(db: hcpcs.Hcpcs) -> None:
    page = render_text(db.get("C9034", release="2019"))
    assert "Correction\tDiscontinue (effective 20190101)\tCMS corrected this code after publishing the release, " \
           "in HCPC2019_Corrections_ALPHA.xlsx, row 8" in page
    assert "Correction\t" not in render_text(db.get("S9328", release="2019"))
    assert db.get("C9034", release="2020").corrections == ()


def test_cli_corrections(all_loaded: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(all_loaded), "corrections", "2019", "--format", "json"])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data[0]["code"] == "A5513" and len(data) == 14
    result = CliRunner().invoke(cli, ["--db", str(all_loaded), "corrections", "2020"])
    assert result.exit_code == 1
    assert "no corrections to 2020-01 are loaded (loaded: 2011-01, 2018-01, 2019-01, 2025-01)" in result.output


def test_prn_copy_reads_the_same_codes() -> None:
    with zipfile.ZipFile(CMS / "2019-HCPCS-Alpha-Numeric-Corrections.zip") as archive:
        prn = next(n for n in archive.namelist() if n.endswith("ALPHA.prn"))
        sheet = next(n for n in archive.namelist() if n.endswith("ALPHA.xlsx"))
        from_text = read_corrections(archive.read(prn), prn, warnings=[])
        from_sheet = read_corrections(archive.read(sheet), sheet, warnings=[])
    assert [c.code for c in from_text] == [c.code for c in from_sheet]


def test_bad_corrections_file(tmp_path: Path) -> None:
    with pytest.raises(hcpcs.InputError, match=r"^x\.prn: no header row \(CODE, ACTION, EFF DATE\)"):
        read_corrections(b"2019 corrections\nnothing here\n", "x.prn", warnings=[])
    warnings: list[LoadWarning] = []
    with pytest.raises(hcpcs.InputError, match=r"^y\.prn: holds a header but no corrections"):
        read_corrections(b"CODE  ACTION  EFF DATE\n12345678  ADD CODE  01/01/2019\n", "y.prn", warnings=warnings)
    assert [str(w)[:37] for w in warnings] == ["y.prn, line 2: not an HCPCS code, row"]
    fixes = read_corrections(b"CODE\tACTION\tEFF DATE\n12345678\tADD CODE\t01/01/2019\nJ1095\tADD CODE\t01/01/2019\n",
                             "z.txt", warnings=warnings)
    assert [(f.code, f.effective_date, f.row) for f in fixes] == [("J1095", dt.date(2019, 1, 1), 3)]
    assert str(warnings[-1]) == "z.txt, line 2: not an HCPCS code, row skipped: '12345678'"
