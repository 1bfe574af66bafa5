"""CMS's drug files: the ASP NDC-HCPCS crosswalk and the payment limits, read from ../shared/cms-asp."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import hcpcs
from hcpcs.model.identifiers import NdcError, parse_ndc
from hcpcs.model.records import LoadWarning, SourceFile
from hcpcs.readers.asp import read_drug_file
from hcpcs.store import SCHEMA_VERSION

from .conftest import CMS, SHARED, db_digest, loaded_database

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

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
    """The October 2020 and 2025 releases (2024 dates fall in the first) and every drug file in ../shared/cms-asp."""
    return loaded_database(tmp_path_factory, "drugs", CMS / "2020-10-anweb.xlsx", CMS / "hcpcs-2025.zip",
                           CMS / "HCPC2025_OCT_ANWEB_v4.xlsx", ASP)


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
    path = tmp_path / "db.sqlite"
    with hcpcs.open(path) as db:
        db.load([CMS / "2020-10-anweb.xlsx"])
    before = db_digest(path)
    with hcpcs.open(path) as db, pytest.raises(hcpcs.LoadError, match="more than one NDC crosswalk"):
        db.load([CMS / "HCPC2025_OCT_ANWEB_v4.xlsx", PRICING_2025, CROSSWALK, copy])
    assert db_digest(path) == before  # one transaction: neither the release nor the pricing file was stored


def test_a_schema_4_file_is_refused_read_only_and_upgraded_when_loading(tmp_path: Path, drugs_db: Path) -> None:
    old = tmp_path / "old.sqlite"
    old.write_bytes(drugs_db.read_bytes())
    con = sqlite3.connect(old)
    for table in ("drug_files", "drug_products", "payment_limits"):
        con.execute(f"DROP TABLE {table}")
    con.execute("DELETE FROM files WHERE owner LIKE 'ndc_crosswalk:%' OR owner LIKE 'payment_limits:%'")
    con.execute("PRAGMA user_version = 4")
    con.commit()
    con.close()
    with pytest.raises(hcpcs.StoreError, match="has schema 4, older"):
        hcpcs.open(old, readonly=True)  # read-only: no upgrade
    with hcpcs.open(old) as db:
        assert db.get("J9325").drugs is None and db.drug_quarters() == []
        with pytest.raises(hcpcs.NotFound, match="no NDC crosswalk is loaded"):
            db.ndc("55513-0078-01")
        db.load([CROSSWALK])
        assert [p.code for p in db.ndc("55513-0078-01").products] == ["J9325"]
    assert sqlite3.connect(old).execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


# -- hcpcs ndc, the code page, the API and the web pages ---------------------------------------------------


def run(db: Path, *args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from hcpcs.cli import cli

    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("spelling", ["55513-0078-01", "55513007801", "55513-078-01", "55513-0078-1"])
def test_hcpcs_ndc_gives_the_code_and_the_package(drugs_db: Path, spelling: str) -> None:
    status, out, _ = run(drugs_db, "ndc", spelling)
    assert status == 0
    lines = dict(line.split("\t") for line in out.splitlines())
    assert lines["NDC"] == "55513-0078-01" and lines["Code"] == "J9325" and lines["Drug Name"] == "IMLYGIC"
    assert lines["Labeler"] == "AMGEN USA, INC." and lines["HCPCS Dosage"] == "1 million PFU"
    assert lines["Billing Units Per Package"] == "1"
    assert lines["Quarter"] == "2024-01 (2024-01-01 to 2024-03-31)"


def test_hcpcs_ndc_writes_every_form_of_the_read_commands(drugs_db: Path) -> None:
    import csv
    import io

    answers = {fmt: run(drugs_db, "ndc", "55513007801", "--format", fmt)
               for fmt in ("table", "text", "json", "ndjson", "csv")}
    assert all(status == 0 for status, _, _ in answers.values()), answers
    assert answers["table"] == answers["text"] == run(drugs_db, "ndc", "55513007801")
    assert json.loads(answers["json"][1])["codes"] == ["J9325"]
    records = [json.loads(line) for line in answers["ndjson"][1].splitlines()]
    rows = list(csv.DictReader(io.StringIO(answers["csv"][1])))
    assert [r["code"] for r in records] == [r["code"] for r in rows] == ["J9325"]
    assert rows[0]["ndc"] == "55513-0078-01" and rows[0]["drug_name"] == "IMLYGIC"


def test_an_ndc_under_two_codes_names_both(drugs_db: Path) -> None:
    status, out, _ = run(drugs_db, "ndc", "00052-0602-02", "--format", "json", "--as-of", "2024-02-01")
    assert status == 0
    found = json.loads(out)
    assert found["codes"] == ["90586", "J9030"] and found["note"] is None
    assert {p["code"]: p["billing_units_per_package"] for p in found["products"]} == {"90586": "1", "J9030": "50"}
    status, out, _ = run(drugs_db, "ndc", "00052-0602-02", "--as-of", "2025-11-01")
    assert status == 0 and "No NDC crosswalk loaded is in effect on 2025-11-01: the latest before it, 2024-01" in out


def test_an_unknown_ndc_exits_1_with_near_ones_of_its_labeler_and_a_malformed_one_exits_2(drugs_db: Path) -> None:
    status, _, err = run(drugs_db, "ndc", "55513-0078-09")
    assert status == 1
    assert err.startswith("Error: NDC 55513-0078-09 is not in the NDC crosswalk of 2024-01; "
                          "near NDCs of labeler 55513:")
    assert "55513-0078-01" in err and len(err.splitlines()) == 1
    status, _, err = run(drugs_db, "ndc", "5551300780")
    assert status == 2 and "ten digits do not say which part is short" in err and len(err.splitlines()) == 1


def test_the_code_page_carries_the_drug_products_and_the_payment_limit(ddb: hcpcs.Hcpcs) -> None:
    from hcpcs.render.code_page import render
    from hcpcs.render.serialize import to_json

    latest = ddb.get("J9325")  # release 2025-10: the October 2025 limit; the January 2024 crosswalk, named
    assert latest.drugs is not None and latest.drugs.limit is not None and latest.drugs.limits is not None
    assert (latest.drugs.limits.quarter, latest.drugs.limit.limit, latest.drugs.limit.coinsurance) == (
        "2025-10", "73.935", "18.748")
    assert latest.drugs.crosswalk is not None and latest.drugs.crosswalk.quarter == "2024-01"
    assert latest.drugs.crosswalk_note and "the latest before it, 2024-01" in latest.drugs.crosswalk_note
    assert [p.ndc for p in latest.drugs.products] == ["55513-0078-01", "55513-0079-01"]
    text = render(latest, "text")
    assert "Payment Limit\t$73.935 per 1 million PFU (coinsurance 18.748%), quarter 2025-10\t" in text
    assert "Drug Product\tNDC 55513-0079-01 IMLYGIC (AMGEN USA, INC.): package 1 x 1, 100 billing units" in text
    january = to_json(ddb.get("J9325", as_of="2024-02-01"))
    assert january["drugs"]["payment_limit"]["limit"] == "66.587"
    assert january["drugs"]["payment_limit"]["quarter"]["quarter"] == "2024-01"
    assert january["drugs"]["crosswalk"]["note"] is None
    assert [x["quarter"]["quarter"] for x in january["drugs"]["payment_limit_history"]] == ["2024-01", "2025-10"]
    assert ddb.get("S9328").drugs is None  # no drug: no drug lines
    assert "Payment Limit" not in render(ddb.get("S9328"), "text")


def test_the_history_shows_the_payment_limit_across_quarters(drugs_db: Path) -> None:
    status, out, _ = run(drugs_db, "history", "J9325")
    assert status == 0
    assert out.endswith("Payment limit per dosage unit (CMS's ASP pricing files)\n"
                        "    2024-01  $66.587 per 1 million PFU (coinsurance 19.837%)\n"
                        "    2025-10  $73.935 per 1 million PFU (coinsurance 18.748%)\n")


@pytest.fixture(scope="module")
def client(drugs_db: Path) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from hcpcs.web import create_app

    with TestClient(create_app(drugs_db), raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_json_api_and_the_web_pages_answer_by_ndc(client: TestClient) -> None:
    found = client.get("/api/ndc/55513007801").json()  # 11 digits
    assert found["codes"] == ["J9325"] and found["quarter"]["sha256"]
    assert client.get("/api/ndc/55513-0078-09").json()["error"]["type"] == "not_found"
    malformed = client.get("/api/ndc/abc")  # refused by the NDC pattern the OpenAPI document gives, with our words
    assert malformed.status_code == 422 and "is not an NDC" in malformed.json()["error"]["message"]
    page = client.get("/ndc/55513-0078-01")
    assert page.status_code == 200
    assert '<link rel="alternate" type="application/json" href="/api/ndc/55513-0078-01">' in page.text
    assert '<a href="/codes/J9325">J9325</a>' in page.text and "IMLYGIC" in page.text
    code = client.get("/api/codes/J9325", params={"as_of": "2024-02-01"}).json()
    assert [p["drug_name"] for p in code["drugs"]["products"]] == ["IMLYGIC", "IMLYGIC"]
    code_page = client.get("/codes/J9325").text
    assert '<a href="/ndc/55513-0078-01">55513-0078-01</a>' in code_page and "$73.935" in code_page
    history = client.get("/codes/J9325/history").text
    assert "payment limit per dosage unit, quarter by quarter" in history and "$66.587" in history
    assert [x["limit"] for x in client.get("/api/codes/J9325/history").json()["payment_limits"]] == [
        "66.587", "73.935"]


# -- search by drug name as sold, and by labeler ---------------------------------------------------------


@pytest.mark.parametrize(("query", "code"), [("Keytruda", "J9271"), ("imlygic", "J9325"), ("KALBITOR", "J1290"),
                                             ("Amvuttra", "J0225"), ("spevig", "J1747")])
def test_a_drug_name_as_sold_finds_its_code(ddb: hcpcs.Hcpcs, query: str, code: str) -> None:
    found = ddb.search(query, limit=5)
    assert [(h.code, h.match) for h in found.hits][:1] == [(code, "drug name")]
    assert found.total >= 1


def test_drug_name_matches_rank_with_the_others_and_obey_the_filters(ddb: hcpcs.Hcpcs) -> None:
    assert ddb.search("J9271").hits[0].match == "code"  # an exact code still comes first
    assert ddb.search("keytruda", codes="A").hits == ()  # filters apply to drug-name matches too
    assert "drug name" not in {h.match for h in ddb.search("wheelchair cushion").hits}


def test_the_labeler_filter_keeps_codes_with_a_product_of_that_labeler(ddb: hcpcs.Hcpcs) -> None:
    amgen = ddb.search("injection", labeler="amgen", limit=100)
    assert amgen.hits and "J9325" in {h.code for h in ddb.search("talimogene", labeler="AMGEN").hits}
    crosswalk = ddb.drug_quarters("ndc_crosswalk")[0].quarter
    for hit in amgen.hits:
        drugs = ddb.get(hit.code).drugs
        assert drugs is not None and drugs.crosswalk is not None and drugs.crosswalk.quarter == crosswalk
        assert any("amgen" in p.labeler.lower() for p in drugs.products), hit.code
    assert ddb.search("talimogene", labeler="no such labeler").hits == ()


def test_search_by_labeler_on_the_command_line(drugs_db: Path) -> None:
    status, out, _ = run(drugs_db, "search", "imlygic", "--labeler", "amgen", "--format", "csv")
    line = out.splitlines()[1]
    assert status == 0 and line.startswith("J9325,") and line.endswith(",drug name,imlygic (drug name)")


# -- an NDC per claim line: Python, DuckDB and Spark alike -------------------------------------------------

#: (code, date, NDC as written, units): matching, another code's NDC, unknown, malformed, none, 10-digit forms
NDC_LINES = [
    ("J9325", "2024-02-01", "55513-0079-01", "2"),  # IMLYGIC under its code: 2 x 100 billing units
    ("J9325", "2024-02-01", "55513007801", "3"),
    ("J9271", "2024-02-01", "55513-0079-01", "1"),  # IMLYGIC under Keytruda's code: ndc_mismatch
    ("J9030", "2024-02-01", "0052-0602-02", "1"),  # 4-4-2, an NDC under two codes: the line's code is one
    ("J0881", "2024-02-01", "55513-003-04", "0.5"),  # 5-3-2
    ("J0881", "2024-02-01", "55513-0003-4", ""),  # 5-4-1, no units
    ("J9271", "2024-02-01", "55513-0079-99", "1"),  # no crosswalk lists it: ndc_unknown
    ("J9271", "2024-02-01", "5551300780", "1"),  # ten digits without dashes: not an NDC, ndc_unknown
    ("J9271", "2024-02-01", "", "1"),  # no NDC on this line
    ("J9271", "2025-11-01", "55513-0079-01", ""),  # after the crosswalk's quarter: the latest before it answers
    ("99213", "2024-02-01", "55513-0079-01", "1"),  # a malformed code: no NDC reason beside malformed_code
    ("J9325", "2024-02-01", " 55513 0079 01 ", "x"),  # spaces for dashes; units not a number
]


def write_ndc_lines(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["claim_id", "code", "date", "modifiers", "ndc", "units"])
        writer.writerows([f"c{n}", code, day, "", ndc, units] for n, (code, day, ndc, units) in enumerate(NDC_LINES))


def python_ndc_rows(db: hcpcs.Hcpcs) -> list[dict[str, str | float | None]]:
    out: list[dict[str, str | float | None]] = []
    for code, day, ndc, units in NDC_LINES:
        verdict = db.validate(code, day, ndc=ndc or None, units=float(units) if units.replace(".", "").isdigit()
                              else None)
        out.append({"status": verdict.status, "reasons": ";".join(verdict.reasons),
                    "messages": " | ".join(verdict.messages), "warnings": ";".join(verdict.warnings),
                    "ndc": verdict.ndc or "", "billing_units": verdict.billing_units})
    return out


def engine_rows(path: Path) -> list[dict[str, str | float | None]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["line"]))
    return [{"status": r["status"], "reasons": r["reasons"] or "", "messages": r["messages"] or "",
             "warnings": r["warnings"] or "", "ndc": r["ndc"] or "",
             "billing_units": float(r["billing_units"]) if r["billing_units"] else None} for r in rows]


def test_the_ndc_of_each_line_is_checked_in_python(ddb: hcpcs.Hcpcs) -> None:
    rows = python_ndc_rows(ddb)
    assert [(r["status"], r["reasons"], r["warnings"], r["ndc"], r["billing_units"]) for r in rows] == [
        ("valid", "", "", "55513-0079-01", 200.0),
        ("valid", "", "", "55513-0078-01", 3.0),
        ("invalid", "ndc_mismatch", "", "55513-0079-01", None),
        ("valid", "", "", "00052-0602-02", 50.0),
        ("valid", "", "", "55513-0003-04", 80.0),
        ("valid", "", "", "55513-0003-04", None),
        ("valid", "", "ndc_unknown", "55513-0079-99", None),
        ("valid", "", "ndc_unknown", "", None),
        ("valid", "", "", "", None),
        ("invalid", "ndc_mismatch", "", "55513-0079-01", None),
        ("invalid", "malformed_code", "", "55513-0079-01", None),
        ("valid", "", "", "55513-0079-01", None),
    ]
    assert rows[2]["messages"] == "NDC 55513-0079-01 bills under J9325 in the NDC crosswalk of 2024-01, not J9271"


def test_duckdb_and_spark_check_the_ndc_column_as_python_does(ddb: hcpcs.Hcpcs, tmp_path: Path) -> None:
    source = tmp_path / "claims.csv"
    write_ndc_lines(source)
    expected = python_ndc_rows(ddb)
    duck = ddb.validate_file(source, tmp_path / "duck.csv")
    assert engine_rows(tmp_path / "duck.csv") == expected
    assert (duck.reasons, duck.warnings) == ({"malformed_code": 1, "ndc_mismatch": 2}, {"ndc_unknown": 2})
    ddb.validate_file(source, tmp_path / "only.csv", echo=False)
    assert engine_rows(tmp_path / "only.csv") == expected
    if shutil.which("java") is None:
        pytest.fail("Java is needed for the Spark engine")
    ddb.validate_file(source, tmp_path / "spark.csv", engine="spark")
    assert engine_rows(tmp_path / "spark.csv") == expected


def test_validate_takes_an_ndc_on_the_command_line(drugs_db: Path) -> None:
    status, out, _ = run(drugs_db, "validate", "J9325", "--date", "2024-02-01", "--ndc", "55513-0079-01",
                         "--units", "2")
    assert status == 0 and out == "valid\n  billing units: 200\n"
    status, out, _ = run(drugs_db, "validate", "J9271", "--date", "2024-02-01", "--ndc", "55513-0079-01")
    assert status == 1 and "ndc_mismatch: NDC 55513-0079-01 bills under J9325" in out
    status, _, err = run(drugs_db, "validate", "J9271", "--date", "2024-02-01", "--ndc", "abc")
    assert status == 2 and err.startswith("Error: --ndc 'abc' is not an NDC")


def test_fhir_lookup_gives_the_drug_products_and_payment_limit_as_properties(client: TestClient) -> None:
    found = client.get("/fhir/CodeSystem/$lookup", params={"code": "J9325", "date": "2024-02-01"}).json()
    properties = [{p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in prop["part"]}
                  for prop in found["parameter"] if prop["name"] == "property"]
    drug = [p for p in properties if p["code"] in ("payment_limit", "ndc")]
    assert drug[0] == {"code": "payment_limit", "value": "$66.587 per 1 million PFU (coinsurance 19.837%), "
                                                         "quarter 2024-01"}
    assert [(p["value"], p["description"].split(":")[0]) for p in drug[1:]] == [
        ("55513-0078-01", "NDC 55513-0078-01 IMLYGIC (AMGEN USA, INC.)"),
        ("55513-0079-01", "NDC 55513-0079-01 IMLYGIC (AMGEN USA, INC.)")]
    metadata = client.get("/fhir/CodeSystem/hcpcs").json()
    assert {"payment_limit", "ndc"} <= {p["code"] for p in metadata["property"]}
