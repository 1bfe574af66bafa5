"""CMS's drug files: the ASP NDC-HCPCS crosswalk and the payment limits, read from ../shared/cms-asp."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import hcpcs
from hcpcs._asp import read_drug_file
from hcpcs._models import LoadWarning, SourceFile
from hcpcs._ndc import NdcError, parse_ndc

from .conftest import CMS, SHARED, loaded_database

ASP = SHARED / "cms-asp"
CROSSWALK = ASP / "section 508 version of January 2024 ASP NDC-HCPCS Crosswalk 122023.csv"
PRICING_2024 = ASP / "section 508 version of January 2024 ASP Pricing File 121223.csv"
PRICING_2025 = ASP / "section 508 version of Oct 2025 ASP Pricing File 091725.csv"


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("cp1252"), newline="")))


def data_rows(path: Path, first_header: str) -> list[list[str]]:
    """The rows below the header, read here by plain csv, as a second opinion."""
    rows = csv_rows(path)
    at = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    return [r for r in rows[at + 1:] if any(c.strip() for c in r)]


@pytest.fixture(scope="module")
def drugs_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2025 releases and every drug file in ../shared/cms-asp."""
    return loaded_database(tmp_path_factory, "drugs", CMS / "hcpcs-2025.zip", CMS / "HCPC2025_OCT_ANWEB_v4.xlsx", ASP)


@pytest.fixture
def ddb(drugs_db: Path) -> Iterator[hcpcs.Hcpcs]:
    with hcpcs.open(drugs_db, readonly=True) as handle:
        yield handle


@pytest.mark.parametrize(("written", "normal"), [
    ("55513-0078-01", "55513-0078-01"),  # 5-4-2
    ("55513007801", "55513-0078-01"),  # 11 digits
    (" 55513-0078-01 ", "55513-0078-01"),
    ("0052-0602-02", "00052-0602-02"),  # 4-4-2
    ("55513-078-01", "55513-0078-01"),  # 5-3-2
    ("55513-0078-1", "55513-0078-01"),  # 5-4-1
    ("55513 0078 01", "55513-0078-01"),
])
def test_every_ndc_spelling_is_normalised_to_5_4_2(written: str, normal: str) -> None:
    assert parse_ndc(written) == normal


@pytest.mark.parametrize("bad", ["abc", "5551300780", "1234-567-89", "55513-00780-1", "", "555130078011",
                                 "5551-3007-801"])
def test_a_malformed_ndc_is_a_one_line_usage_error(bad: str) -> None:
    with pytest.raises(NdcError) as caught:
        parse_ndc(bad)
    assert isinstance(caught.value, hcpcs.UsageError)
    assert "\n" not in str(caught.value) and "is not an NDC" in str(caught.value)


def test_the_crosswalk_is_read_row_for_row() -> None:
    expected = data_rows(CROSSWALK, "_2023_CODE")
    warnings: list[LoadWarning] = []
    read = read_drug_file(CROSSWALK.read_bytes(), CROSSWALK.name, "ndc_crosswalk",
                          SourceFile(CROSSWALK.name, "ndc_crosswalk", "x", 1), warnings=warnings)
    assert (read.quarter, str(read.effective_from), str(read.effective_to)) == ("2024-01", "2024-01-01", "2024-03-31")
    assert len(read.products) + len(warnings) == len(expected) == 6684
    assert [(p.code, p.product_id, p.billing_units_per_package) for p in read.products] == [
        (r[0], r[3].strip(), r[9].strip()) for r in expected]
    # Windows-1252: the non-breaking space after a brand name is gone, the registered sign kept
    names = {p.drug_name for p in read.products}
    assert "Amvuttra" in names and "KALBITOR®" in names
    # an NDC wherever CMS wrote one in 5-4-2; skin substitutes' product ids are kept as written, with no NDC
    assert sum(p.ndc is not None for p in read.products) == sum(
        1 for r in expected if re.fullmatch(r"\d{5}-\d{4}-\d{2}", r[3]))
    assert any(p.ndc is None and p.product_id == "880304040404" for p in read.products)


@pytest.mark.parametrize(("path", "quarter", "end"), [(PRICING_2024, "2024-01", "2024-03-31"),
                                                      (PRICING_2025, "2025-10", "2025-12-31")])
def test_each_payment_limit_file_is_read_row_for_row(path: Path, quarter: str, end: str) -> None:
    expected = data_rows(path, "HCPCS Code")
    warnings: list[LoadWarning] = []
    read = read_drug_file(path.read_bytes(), path.name, "payment_limits",
                          SourceFile(path.name, "payment_limits", "x", 1), warnings=warnings)
    assert (read.quarter, str(read.effective_to)) == (quarter, end)
    assert not warnings
    assert [(x.code, x.limit or "N/A") for x in read.limits] == [(r[0], r[3]) for r in expected]
    radium = next(x for x in read.limits if x.code == "A9606")
    assert radium.limit is None and radium.notes and "AWP" in radium.notes


def renamed_quarter(tmp: Path, *, as_spreadsheet: bool) -> Path:
    """The January 2024 crosswalk as CMS would post the next quarter: renamed, its code column headed by the
    new year, its preamble naming April to June."""
    rows = csv_rows(CROSSWALK)
    rows[1][0] = "     Effective April 1, 2024 through June 30, 2024"
    rows[8][0] = "_2024_CODE"
    rows = rows[:9] + [r for r in rows[9:] if r[3] != "13533-0636-05"]  # one package leaves
    folder = tmp / "april"
    folder.mkdir()
    if as_spreadsheet:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        path = folder / "April 2024 ASP NDC-HCPCS Crosswalk.xlsx"
        book.save(path)
        return path
    path = folder / "April 2024 ASP NDC-HCPCS Crosswalk 032024.csv"
    with path.open("w", encoding="cp1252", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(rows)
    return path


def test_loading_accounts_for_every_file_and_changes_nothing_the_second_time(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with hcpcs.open(path) as db:
        report = db.load([ASP])
        assert report.drug_files == [("NDC crosswalk", "2024-01", 6684, "loaded"),
                                     ("payment limits", "2024-01", 823, "loaded"),
                                     ("payment limits", "2025-10", 1012, "loaded")]
        assert sorted((f.role, f.outcome) for f in report.files) == [
            ("NDC crosswalk", "loaded"), ("payment limits", "loaded"), ("payment limits", "loaded")]
        assert [(q.quarter, q.rows) for q in db.drug_quarters()] == [
            ("2024-01", 6684), ("2024-01", 823), ("2025-10", 1012)]
        assert all(len(q.sha256) == 64 for q in db.drug_quarters())
        dump = "\n".join(sqlite3.connect(path).iterdump())
        again = db.load([ASP])
        assert {status for *_, status in again.drug_files} == {"unchanged"}
    assert "\n".join(sqlite3.connect(path).iterdump()) == dump


def test_no_cpt_descriptor_from_the_files_is_stored(drugs_db: Path) -> None:
    descriptors = {r[1].strip() for path, header in ((CROSSWALK, "_2023_CODE"), (PRICING_2024, "HCPCS Code"),
                                                     (PRICING_2025, "HCPCS Code"))
                   for r in data_rows(path, header) if r[0][:1].isdigit()}
    assert "Hep b ig im" in descriptors and len(descriptors) > 30
    dump = "\n".join(sqlite3.connect(drugs_db).iterdump()).lower()
    assert "'90371'" in dump  # the code number is kept
    assert [d for d in descriptors if d.lower() in dump] == []


@pytest.mark.parametrize("as_spreadsheet", [False, True])
def test_a_later_quarter_renamed_and_reheaded_loads_beside_the_first(tmp_path: Path, as_spreadsheet: bool) -> None:
    april = renamed_quarter(tmp_path, as_spreadsheet=as_spreadsheet)
    with hcpcs.open(tmp_path / "db.sqlite") as db:
        report = db.load([CROSSWALK, april])
        assert [(what, q, n) for what, q, n, _ in report.drug_files] == [
            ("NDC crosswalk", "2024-01", 6684), ("NDC crosswalk", "2024-04", 6683)]
        found = db.ndc("13533063601")
        assert (found.quarter.quarter, found.other_quarters) == ("2024-04", ("2024-01",))
        assert db.ndc("13533-0636-01", as_of="2024-02-10").quarter.quarter == "2024-01"
        gone = db.ndc("13533-0636-05")  # only in January: the latest crosswalk listing it answers
        assert gone.quarter.quarter == "2024-01"
        with pytest.raises(hcpcs.NotFound, match=r"not in the NDC crosswalk of 2024-04; it is in the crosswalk of "
                                                 r"2024-01; near NDCs of labeler 13533: .*13533-0636-03"):
            db.ndc("13533-0636-05", as_of="2024-05-01")


def test_two_files_of_one_quarter_in_one_load_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "ASP NDC-HCPCS Crosswalk copy.csv"
    copy.parent.mkdir()
    copy.write_bytes(CROSSWALK.read_bytes().replace(b"HyperRAB", b"HyperRAB2"))
    with hcpcs.open(tmp_path / "db.sqlite") as db, pytest.raises(hcpcs.LoadError, match="more than one NDC crosswalk"):
        db.load([CROSSWALK, copy])


def test_a_schema_4_file_is_read_as_it_is_and_upgraded_when_loading(tmp_path: Path, drugs_db: Path) -> None:
    old = tmp_path / "old.sqlite"
    old.write_bytes(drugs_db.read_bytes())
    con = sqlite3.connect(old)
    for table in ("drug_files", "drug_products", "payment_limits"):
        con.execute(f"DROP TABLE {table}")
    con.execute("DELETE FROM files WHERE owner LIKE 'ndc_crosswalk:%' OR owner LIKE 'payment_limits:%'")
    con.execute("PRAGMA user_version = 4")
    con.commit()
    con.close()
    with hcpcs.open(old, readonly=True) as db:  # read-only: no upgrade, and no drug data
        assert db.get("J9325").drugs is None and db.drug_quarters() == []
        with pytest.raises(hcpcs.NotFound, match="no NDC crosswalk is loaded"):
            db.ndc("55513-0078-01")
    with hcpcs.open(old) as db:
        db.load([CROSSWALK])
        assert [p.code for p in db.ndc("55513-0078-01").products] == ["J9325"]
    assert sqlite3.connect(old).execute("PRAGMA user_version").fetchone() == (5,)
