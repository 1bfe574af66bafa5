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

#: A first record line: a five-character code field (a modifier right-justified; 2011 writes a backtick over
#: the blank before its first record), a five-digit sequence number, record id 3 or 7.
FIRST_LINE = re.compile(rb"^[A-Z0-9 `]{5}\d{5}[37]", re.M)


def text_file(where: Path) -> bytes:
    """The fixed-width code file of a release zip or folder."""
    def wanted(name: str) -> bool:
        return "anweb" in name.lower() and name.lower().endswith(".txt")

    if where.is_dir():
        return next(p for p in where.iterdir() if wanted(p.name)).read_bytes()
    with zipfile.ZipFile(where) as archive:
        return archive.read(next(n for n in archive.namelist() if wanted(n)))


def first_lines_in_text(where: Path) -> tuple[int, int]:
    """(procedures, modifiers) counted straight from the bytes of the fixed-width file."""
    ids = [m.group(0)[10:11] for m in FIRST_LINE.finditer(text_file(where))]
    return ids.count(b"3"), ids.count(b"7")


def first_rows_in_sheet(path: Path) -> tuple[int, int]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = next(i for i, row in enumerate(rows) if row[:3] == ["HCPC", "SEQNUM", "RECID"])
    # One row of 2020-10 (modifier J5) holds its record id as the number 7.0, not the text "7".
    ids = [str(row[2]).strip().removesuffix(".0") for row in rows[header + 1:] if str(row[0]).strip()]
    return ids.count("3"), ids.count("7")


EXPECTED = {
    "2011-01": lambda: first_lines_in_text(CMS / "11anweb.zip"),
    "2016-01": lambda: first_lines_in_text(CMS / "2016-Alpha-Numeric-HCPCS-File"),
    "2018-01": lambda: first_lines_in_text(ANNUAL[2018]),
    "2019-01": lambda: first_lines_in_text(ANNUAL[2019]),
    "2020-01": lambda: first_lines_in_text(ANNUAL[2020]),
    "2020-04": lambda: first_rows_in_sheet(CMS / "2020-04-anweb.xlsx"),
    "2020-10": lambda: first_rows_in_sheet(CMS / "2020-10-anweb.xlsx"),
    "2025-01": lambda: first_lines_in_text(CMS / "hcpcs-2025.zip"),
    "2025-10": lambda: first_rows_in_sheet(CMS / "HCPC2025_OCT_ANWEB_v4.xlsx"),
}


def test_all_releases_load(db: hcpcs.Hcpcs) -> None:
    assert [r.id for r in db.releases()] == sorted(EXPECTED)


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
    assert procedures > 5000 and modifiers > 300


def test_every_field_is_stored(all_loaded: Path) -> None:
    """Each column of the layout holds values somewhere: nothing is dropped on the way in."""
    from hcpcs.model.layout import COLUMNS

    con = sqlite3.connect(all_loaded)
    empty = [c for c in COLUMNS if not con.execute(f"SELECT count({c}) FROM records").fetchone()[0]]
    con.close()
    # CMS leaves these blank in every shared release (checked against the raw files in the test below).
    assert empty == BLANK_EVERYWHERE


BLANK_EVERYWHERE = [
    "pricing_indicator_4", "cim_reference_3", "lab_certification_5", "lab_certification_6", "lab_certification_7",
    "lab_certification_8", "mog_payment_group", "mog_payment_policy", "mog_effective_date", "type_of_service_5",
]
TEXT_FILES = {
    "2011-01": CMS / "11anweb.zip", "2016-01": CMS / "2016-Alpha-Numeric-HCPCS-File", "2018-01": ANNUAL[2018],
    "2019-01": ANNUAL[2019], "2020-01": ANNUAL[2020], "2025-01": CMS / "hcpcs-2025.zip",
}


@pytest.mark.parametrize("release_id", sorted(TEXT_FILES))
def test_blank_columns_are_blank_in_the_raw_files(release_id: str) -> None:
    from hcpcs.model.layout import FIELDS

    spans = {c: s for f in FIELDS for c, s in zip(f.columns, f.slices, strict=True)}
    lines = [m for m in text_file(TEXT_FILES[release_id]).splitlines() if FIRST_LINE.match(m)]
    for column in BLANK_EVERYWHERE:
        a, b = spans[column]
        assert all(not line[a:b].strip() for line in lines), column
    a, b = spans["pricing_indicator_2"]
    assert any(line[a:b].strip() for line in lines)  # and the check does see values where there are some


def test_provenance_is_recorded(db: hcpcs.Hcpcs) -> None:
    release = db.release("2020")
    roles = {f.role for f in release.files}
    assert {"archive", "codes", "codes_spreadsheet", "processing_notes", "readme"} <= roles
    text = next(f for f in release.files if f.role == "codes")
    assert text.name == "2020-Alpha-Numeric-HCPCS-File.zip"
    assert text.member == "HCPC2020_ANWEB_w_disclaimer.txt"
    import hashlib

    with zipfile.ZipFile(ANNUAL[2020]) as archive:
        assert text.sha256 == hashlib.sha256(archive.read(text.member)).hexdigest()
