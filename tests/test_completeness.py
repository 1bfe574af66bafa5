"""Every procedure and modifier record of every shared release file is in the store."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import hcpcs

from .conftest import ANNUAL, CMS

FIRST_LINE = re.compile(rb"^[A-Z0-9 ]{5}\d{5}[37]", re.M)


def first_lines_in_text(zip_path: Path) -> tuple[int, int]:
    """(procedures, modifiers) counted straight from the bytes of the fixed-width file."""
    with zipfile.ZipFile(zip_path) as archive:
        name = next(n for n in archive.namelist() if "anweb" in n.lower() and n.lower().endswith(".txt"))
        data = archive.read(name)
    ids = [m.group(0)[10:11] for m in FIRST_LINE.finditer(data)]
    return ids.count(b"3"), ids.count(b"7")


def first_rows_in_sheet(path: Path) -> tuple[int, int]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = next(i for i, row in enumerate(rows) if row[:3] == ["HCPC", "SEQNUM", "RECID"])
    # One row of 2020-10 (modifier J5) holds its record id as the number 7.0, not the text "7".
    ids = [str(row[2]).strip().removesuffix(".0") for row in rows[header + 1:] if str(row[0]).strip()]
    return ids.count("3"), ids.count("7")


EXPECTED = {
    "2018-01": lambda: first_lines_in_text(ANNUAL[2018]),
    "2019-01": lambda: first_lines_in_text(ANNUAL[2019]),
    "2020-01": lambda: first_lines_in_text(ANNUAL[2020]),
    "2020-04": lambda: first_rows_in_sheet(CMS / "2020-04-anweb.xlsx"),
    "2020-10": lambda: first_rows_in_sheet(CMS / "2020-10-anweb.xlsx"),
}


def test_all_releases_load(db: hcpcs.Hcpcs) -> None:
    assert [r.id for r in db.releases()] == ["2018-01", "2019-01", "2020-01", "2020-04", "2020-10"]


@pytest.mark.parametrize("release_id", sorted(EXPECTED))
def test_counts_match_first_line_records(all_loaded: Path, db: hcpcs.Hcpcs, release_id: str) -> None:
    procedures, modifiers = EXPECTED[release_id]()
    release = db.release(release_id)
    assert (release.procedure_count, release.modifier_count) == (procedures, modifiers)
    con = sqlite3.connect(all_loaded)
    stored = con.execute(
        "SELECT sum(kind = 'procedure'), sum(kind = 'modifier') FROM records WHERE release_id = ?", (release_id,)
    ).fetchone()
    con.close()
    assert stored == (procedures, modifiers)
    assert procedures > 6000 and modifiers > 300


def test_every_field_is_stored(all_loaded: Path) -> None:
    """Each column of the layout holds values somewhere: nothing is dropped on the way in."""
    from hcpcs._layout import COLUMNS

    con = sqlite3.connect(all_loaded)
    empty = [c for c in COLUMNS if not con.execute(f"SELECT count({c}) FROM records").fetchone()[0]]
    con.close()
    # CMS leaves these blank in every shared release (checked against the raw files in the test below).
    assert empty == BLANK_EVERYWHERE


BLANK_EVERYWHERE = [
    "pricing_indicator_3", "pricing_indicator_4", "cim_reference_3", "lab_certification_4",
    "lab_certification_5", "lab_certification_6", "lab_certification_7", "lab_certification_8",
    "cross_reference_3", "cross_reference_4", "cross_reference_5", "mog_payment_group", "mog_payment_policy",
    "mog_effective_date", "type_of_service_5",
]


@pytest.mark.parametrize("year", sorted(ANNUAL))
def test_blank_columns_are_blank_in_the_raw_files(year: int) -> None:
    from hcpcs._layout import FIELDS

    spans = {c: s for f in FIELDS for c, s in zip(f.columns, f.slices, strict=True)}
    with zipfile.ZipFile(ANNUAL[year]) as archive:
        name = next(n for n in archive.namelist() if n.lower().endswith(".txt") and "anweb" in n.lower())
        data = archive.read(name)
    lines = [m for m in data.splitlines() if FIRST_LINE.match(m)]
    for column in BLANK_EVERYWHERE:
        a, b = spans[column]
        assert all(not line[a:b].strip() for line in lines), column
    a, b = spans["pricing_indicator_2"]
    assert any(line[a:b].strip() for line in lines)  # and the check does see values where there are some


def test_provenance_is_recorded(db: hcpcs.Hcpcs) -> None:
    release = db.release("2020")
    roles = {f.role for f in release.files}
    assert {"codes", "codes_spreadsheet", "processing_notes", "transactions", "readme"} <= roles
    text = next(f for f in release.files if f.role == "codes")
    assert text.name == "2020-Alpha-Numeric-HCPCS-File.zip"
    assert text.member == "HCPC2020_ANWEB_w_disclaimer.txt"
    import hashlib

    with zipfile.ZipFile(ANNUAL[2020]) as archive:
        assert text.sha256 == hashlib.sha256(archive.read(text.member)).hexdigest()
