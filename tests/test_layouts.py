"""CMS's record layouts of 2016, 2019 and 2025 read whole; each release decoded by the layout of its own year."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hcpcs
from hcpcs.model.code_tables import CodeTables, Decoder, builtin, preference
from hcpcs.model.layout import FIELDS
from hcpcs.model.records import LoadWarning, RecordLayoutData, SourceFile
from hcpcs.readers.record_layout import layout_year, read_record_layout
from hcpcs.render.code_page import render
from hcpcs.render.serialize import to_json
from hcpcs.store import SCHEMA_VERSION

from .conftest import CMS, loaded_database

LAYOUT_2016 = CMS / "2016-Alpha-Numeric-HCPCS-File" / "HCPCS2016_recordlayout.txt"
ZIP_2025 = CMS / "hcpcs-2025.zip"
OCT_2025 = CMS / "HCPC2025_OCT_ANWEB_v4.xlsx"
LYMPHEDEMA = "Lymphedema Compression Treatment Items (eff 1/1/2024)"
TABLES = {"BETOS_TB", "CMS_TYPE_SRVC_TB", "HCPCS Record Identification Code", "HCPCS Pricing Indicator Code",
          "HCPCS Multiple Pricing Indicator Code", "HCPCS Lab Certification Code", "HCPCS Coverage Code",
          "HCPCS MOG Payment Group Code", "HCPCS MOG Payment Policy Indicator", "HCPCS Action Code",
          "HCPCS ASC Payment Group Code"}


def layout_file(year: int) -> tuple[bytes, SourceFile]:
    """The bytes of CMS's record layout of a year, and the file as a load would record it."""
    if year == 2016:
        data, name, member = LAYOUT_2016.read_bytes(), LAYOUT_2016.name, None
    else:
        zip_path, member = ((CMS / "2019-HCPCS-Record-Layout.zip", "HCPCS2019_recordlayout.txt") if year == 2019
                            else (ZIP_2025, "HCPC2025_recordlayout.txt"))
        with zipfile.ZipFile(zip_path) as archive:
            data, name = archive.read(member), zip_path.name
    return data, SourceFile(name, "record_layout", hashlib.sha256(data).hexdigest(), len(data), member)


def layout_data(year: int) -> RecordLayoutData:
    data, source = layout_file(year)
    warnings: list[LoadWarning] = []
    return RecordLayoutData(year, read_record_layout(data, source.display, warnings=warnings), [source], warnings)


def store_layout(db: hcpcs.Hcpcs, data: RecordLayoutData, *, replace: bool = False) -> str:
    """Store a year's layout the way a load does (one transaction, stored once)."""
    with db._store.transaction():
        return db._store_layout(data, replace)


# -- reading ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2016, 2019, 2025])
def test_every_field_of_each_years_layout_is_read_with_its_position_and_definition(year: int) -> None:
    data, source = layout_file(year)
    warnings: list[LoadWarning] = []
    layout = read_record_layout(data, source.display, warnings=warnings)
    assert warnings == []
    assert layout_year(data) == year
    fields = layout["fields"]
    assert len(fields) == 28  # 31 numbered fields, less the three FILLERs
    assert sorted(f["number"] for f in fields.values()) == [n for n in range(1, 31) if n not in (3, 24)]
    for f in FIELDS:  # every field hcpcs reads is where its year's layout says, and is defined there
        entry = fields[f.cms_name]
        assert (entry["start"], entry["length"]) == (f.start, f.length), f.name
        assert entry["end"] == f.start + f.length - 1
        assert entry["definition"] and all(p and "  " not in p for p in entry["definition"]), f.name
        if f.code_table in ("BETOS_TB", "CMS_TYPE_SRVC_TB"):
            assert entry["code_table"] == f.code_table
    assert fields["HCPCS Code Redefinition Group"]["definition"] == []
    assert set(layout["code_tables"]) == TABLES
    for table, entries in layout["code_tables"].items():
        assert entries and all(m and "\n" not in m and "  " not in m for m in entries.values()), table


def test_each_years_code_tables_as_cms_wrote_them() -> None:
    tables = {year: read_record_layout(layout_file(year)[0])["code_tables"] for year in (2016, 2019, 2025)}
    for year, t in tables.items():
        assert len(t["CMS_TYPE_SRVC_TB"]) == 34 and len(t["HCPCS MOG Payment Group Code"]) == 98
        labs = t["HCPCS Lab Certification Code"]
        assert len(labs) == 31 and labs["110"] == "Bacteriology" and labs["100"] == "Microbiology"
        assert t["BETOS_TB"]["I4A"] == "Imaging/procedure - heart including cardiac catheterization", year
        assert t["CMS_TYPE_SRVC_TB"]["L"] == "ESRD supplies (eff 04/95) (renal supplier in the home before 04/95)"
        assert t["HCPCS Coverage Code"] == {"C": "Carrier judgment", "D": "Special coverage instructions apply",
                                            "I": "Not payable by Medicare", "M": "Non-covered by Medicare",
                                            "S": "Non-covered by Medicare statute"}
        assert t["HCPCS Record Identification Code"]["4"].endswith("No detail information in positions 92-275")
    assert [len(tables[y]["BETOS_TB"]) for y in (2016, 2019, 2025)] == [106, 106, 107]
    assert [len(tables[y]["HCPCS Pricing Indicator Code"]) for y in (2016, 2019, 2025)] == [25, 25, 26]
    assert tables[2025]["HCPCS Pricing Indicator Code"]["40"] == LYMPHEDEMA
    assert tables[2025]["BETOS_TB"]["O1L"] == LYMPHEDEMA and "01L" not in tables[2025]["BETOS_TB"]
    assert tables[2025]["BETOS_TB"]["P9B"] == "Dialysis services (Non-Medicare fee schedule)"
    assert tables[2019]["BETOS_TB"]["P9B"] == "Dialysis services (non-medicare fee schedule)"
    assert "40" not in tables[2019]["HCPCS Pricing Indicator Code"] and "O1L" not in tables[2016]["BETOS_TB"]


def test_the_2025_layouts_zero_for_the_letter_o_is_mended_and_said() -> None:
    layout = read_record_layout(layout_file(2025)[0])
    assert layout["repairs"] == ["BETOS_TB: 01L read as O1L (BETOS codes start with a letter)"]
    assert "repairs" not in read_record_layout(layout_file(2019)[0])


def test_each_years_definitions_are_its_own() -> None:
    code = {year: " ".join(read_record_layout(layout_file(year)[0])["fields"][
        "Healthcare Common Procedure Coding System Code"]["definition"]) for year in (2016, 2019, 2025)}
    assert "(CDT-2011/12)" in code[2016] and "(CDT-2019)" in code[2019] and "(CDT-2024)" in code[2025]
    mog = read_record_layout(layout_file(2025)[0])["fields"]["HCPCS MOG Payment Group Code"]
    assert mog["comments"][0].startswith("1St digit indicates the body system 2nd digit is sequential")


# -- reading what another year may hold -----------------------------------------------------------------


def lines_2025() -> list[str]:
    return layout_file(2025)[0].decode("ascii").split("\r\n")


def test_a_layout_cut_before_its_appendix_keeps_its_fields_and_warns_of_the_tables() -> None:
    lines = lines_2025()
    cut = next(i for i, line in enumerate(lines) if "TABLE OF CODES APPENDIX" in line)
    warnings: list[LoadWarning] = []
    layout = read_record_layout("\r\n".join(lines[:cut]).encode(), "cut.txt", warnings=warnings)
    assert len(layout["fields"]) == 28 and "BETOS_TB" not in layout["code_tables"]
    assert layout["code_tables"]["HCPCS Pricing Indicator Code"]["40"] == LYMPHEDEMA
    assert [str(w) for w in warnings] == ["cut.txt: no TABLE OF CODES APPENDIX: the tables BETOS_TB, "
                                          "CMS_TYPE_SRVC_TB are not read"]


def test_what_is_not_understood_is_a_warning_with_its_line_and_the_rest_is_read() -> None:
    lines = lines_2025()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("13.  HCPCS Statute Number"))
    del lines[at + 1]  # field 13 loses its length and position line
    betos = next(i for i, line in enumerate(lines) if line.strip() == "D1A = Medical/surgical supplies")
    lines.insert(betos + 1, "   D1A = Something else")
    lines.insert(betos + 2, "   ?? what is this")
    lab = next(i for i, line in enumerate(lines) if line.strip().startswith("14.  HCPCS Lab Certification Code"))
    warnings: list[LoadWarning] = []
    layout = read_record_layout("\r\n".join(lines).encode(), "odd.txt", warnings=warnings)
    assert "HCPCS Statute Number" not in layout["fields"] and len(layout["fields"]) == 27
    assert layout["code_tables"]["BETOS_TB"]["D1A"] == "Medical/surgical supplies"
    assert layout["code_tables"]["BETOS_TB"]["O1L"] == LYMPHEDEMA
    messages = [(w.line, w.message) for w in warnings]
    assert messages == [
        (at + 1, "field 13 (HCPCS Statute Number) has no length and position line after it: left out"),
        (lab + 1, "field 14 (HCPCS Lab Certification Code) follows field 12: the numbering skips or repeats"),
        (betos + 2, "BETOS_TB: code D1A given twice ('Medical/surgical supplies', then 'Something else'); "
                    "the first is kept"),
        (betos + 3, "BETOS_TB: line not understood: '?? what is this'"),
    ]
    assert all(w.source == "odd.txt" for w in warnings)


def test_a_text_with_no_field_is_not_a_layout() -> None:
    with pytest.raises(hcpcs.InputError, match=r"^notes\.txt: no numbered field"):
        read_record_layout(b"HCPCS PROCESSING NOTES\r\n0001 SOME NOTE\r\n", "notes.txt")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.integers(0, 993), max_size=40), st.integers(0, 80))
def test_any_damage_is_read_as_far_as_it_goes(dropped: list[int], cut: int) -> None:
    lines = [line[:cut] if i % 7 == 3 else line for i, line in enumerate(lines_2025()) if i not in set(dropped)]
    warnings: list[LoadWarning] = []
    try:
        layout = read_record_layout("\r\n".join(lines).encode(), "damaged.txt", warnings=warnings)
    except hcpcs.InputError:
        return
    assert set(layout) <= {"fields", "code_tables", "repairs"}
    assert all(w.source == "damaged.txt" and (w.line is None or 0 < w.line <= len(lines)) for w in warnings)


# -- the store -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oct_2025(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of the October 2025 release alone: no record layout, no NOC list."""
    return loaded_database(tmp_path_factory, "oct2025", OCT_2025)


@pytest.fixture
def copy_2025(oct_2025: Path, tmp_path: Path) -> Path:
    shutil.copy(oct_2025, tmp_path / "hcpcs.sqlite")
    return tmp_path / "hcpcs.sqlite"


def test_a_years_layout_is_stored_once_with_its_files(copy_2025: Path) -> None:
    with hcpcs.open(copy_2025) as db:
        store = db._store
        assert store.layout_fingerprint(2025) is None and store.layout(2025) is None
        first = layout_data(2025)
        assert store_layout(db, first) == "loaded"
        assert store_layout(db, first) == "unchanged"
        fingerprint = store.layout_fingerprint(2025)
        assert fingerprint is not None and store.layout_fingerprints() == {2025: fingerprint}
        stored = store.layout(2025)
        assert stored is not None
        layout, files = stored
        assert layout == json.loads(json.dumps(first.layout))
        assert [(f.name, f.member, f.role, f.sha256) for f in files] == [
            ("hcpcs-2025.zip", "HCPC2025_recordlayout.txt", "record_layout", first.files[0].sha256)]
        other = RecordLayoutData(2025, layout_data(2019).layout, layout_data(2019).files)
        with pytest.raises(hcpcs.LoadError, match="the 2025 record layout is already loaded from other files"):
            store_layout(db, other)
        assert store_layout(db, other, replace=True) == "replaced"
        assert store.layout_fingerprint(2025) != fingerprint
        with store.transaction():
            store.delete_layout(2025)
        assert store.layout(2025) is None and store.files("layout:2025") == []


def test_the_loader_stores_a_layout_file_given_alone(copy_2025: Path) -> None:
    with hcpcs.open(copy_2025) as db:
        assert db.load([LAYOUT_2016]).layouts == [(2016, 28, "loaded")]
        assert db.load([LAYOUT_2016]).layouts == [(2016, 28, "unchanged")]
        assert db._store.layout_fingerprints().keys() == {2016}


def test_a_schema_3_file_is_refused_read_only_and_upgraded_when_loading(copy_2025: Path) -> None:
    con = sqlite3.connect(copy_2025)
    for table in ("record_layouts", "drug_files", "drug_products", "payment_limits"):  # added in schemas 4 and 5
        con.execute(f"DROP TABLE {table}")
    con.execute("PRAGMA user_version = 3")
    con.commit()
    con.close()
    with pytest.raises(hcpcs.StoreError, match=r"has schema 3, older .* hcpcs migrate"):
        hcpcs.open(copy_2025, readonly=True)  # read-only: no upgrade, and no reading half of a schema
    with hcpcs.open(copy_2025) as db:
        assert db.get("A6520").layout_year == 2019  # no layout loaded yet: the shipped one decodes
        assert store_layout(db, layout_data(2025)) == "loaded"
    con = sqlite3.connect(copy_2025)
    assert con.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    con.close()


# -- decoding each release by its own year's layout ------------------------------------------------------


def test_a_release_without_its_years_layout_says_which_decodes_it_and_what_it_does_not_define(
        oct_2025: Path) -> None:
    with hcpcs.open(oct_2025, readonly=True) as db:
        code = db.get("A6520")
    undefined = "not defined in the record layout of 2019 (no record layout of 2025 is loaded)"
    assert code.pricing_indicators[0].value == "40" and code.pricing_indicators[0].meaning == undefined
    assert code.betos is not None and (code.betos.value, code.betos.meaning) == ("O1L", undefined)
    assert (code.layout_year, code.layout_source) == (2019, "HCPCS2019_recordlayout.txt, built into hcpcs")
    text = render(code, "text")
    assert f"Pricing Indicator Code #1 Description\t{undefined}\t" in text
    assert "Record Layout\t2019 (HCPCS2019_recordlayout.txt, built into hcpcs)\tThe CMS record layout whose code " \
           "tables and definitions decode this page. No record layout of 2025 is loaded: the nearest, 2019, " \
           "decodes this release.\n" in text
    assert "(CDT-2019)" in text


def test_a_2025_code_is_decoded_by_the_2025_layout_once_stored(copy_2025: Path) -> None:
    with hcpcs.open(copy_2025) as db, hcpcs.open(copy_2025, readonly=True) as reader:
        assert db.get("A6520").layout_year == reader.get("A6520").layout_year == 2019
        store_layout(db, layout_data(2025))
        for handle in (db, reader):  # this handle and one opened before: neither keeps the old decoding
            code = handle.get("A6520")
            assert code.pricing_indicators[0].meaning == LYMPHEDEMA
            assert code.betos is not None and code.betos.meaning == LYMPHEDEMA
            assert (code.layout_year, code.layout_source, code.layout_note) == (
                2025, "HCPC2025_recordlayout.txt", None)
        code = db.get("A6520")
    text = render(code, "text")
    assert f"Berenson-Eggers Type Of Service Code Description\t{LYMPHEDEMA}\t" in text
    assert "Record Layout\t2025 (HCPC2025_recordlayout.txt)\tThe CMS record layout whose code tables and " \
           "definitions decode this page.\n" in text
    assert "(CDT-2024)" in text and "CDT-2019" not in text
    page = to_json(code)
    assert page["record_layout"] == {"year": 2025, "source": "HCPC2025_recordlayout.txt", "note": None}
    assert page["betos"] == {"code": "O1L", "meaning": LYMPHEDEMA}
    assert any(line["field"] == "record_layout" for line in page["fields"])
    markdown, html = render(code, "markdown"), render(code, "html")
    assert "| Record Layout | 2025 (HCPC2025_recordlayout.txt) |" in markdown
    assert "<td>2025 (HCPC2025_recordlayout.txt)</td>" in html and LYMPHEDEMA in html


def test_the_nearest_layout_stands_in_earlier_first() -> None:
    assert preference({2016, 2019, 2025}, 2025) == [2025, 2019, 2016]
    assert preference({2016, 2019, 2025}, 2020) == [2019, 2016, 2025]
    assert preference({2016, 2019, 2025}, 2011) == [2016, 2019, 2025]
    assert preference({2016, 2025}, 2018) == [2016, 2025]
    assert preference((), 2020) == []


def test_a_value_only_another_layout_defines_is_decoded_by_it_and_says_so() -> None:
    newer = CodeTables(2025, "HCPC2025_recordlayout.txt", read_record_layout(layout_file(2025)[0]))
    decoder = Decoder("2024-01", 2024, builtin(), lambda: [newer])
    assert decoder.meaning("HCPCS Pricing Indicator Code", "40") == \
        f"{LYMPHEDEMA} (from the record layout of 2025: the one of 2019 does not define 40)"
    assert decoder.meaning("HCPCS Coverage Code", "I") == "Not payable by Medicare"
    assert decoder.meaning("HCPCS Coverage Code", "Q") == \
        "not defined in the record layout of 2019 (no record layout of 2024 is loaded)"
    assert decoder.meaning(None, "Q") is None
    own = Decoder("2025-01", 2025, newer, lambda: [builtin()])
    assert own.meaning("HCPCS Coverage Code", "Q") == "not defined in the record layout of 2025"
    assert own.note is None and decoder.note == "no record layout of 2024 is loaded: the nearest, 2019, decodes " \
                                                "this release"


def test_a_diff_decodes_each_side_by_its_own_releases_layout(copy_2025: Path) -> None:
    with hcpcs.open(copy_2025) as db:
        db.load([CMS / "2020-04-anweb.xlsx", LAYOUT_2016])
        store_layout(db, layout_data(2025))
        change = db.diff("2020-04", "2025-10", fields=["betos", "pricing_indicator"]).by_code()["A6530"]
        assert db.record_layout("2020-04").year == 2019  # the shipped 2019 layout is nearer than 2016
        assert db.record_layout("2025-10").source == "HCPC2025_recordlayout.txt"
    betos = next(c for c in change.changes if c.field == "betos")
    assert (betos.old, betos.old_meaning, betos.new, betos.new_meaning) == (
        "D1A", "Medical/surgical supplies", "O1L", LYMPHEDEMA)


def test_the_api_gives_a_releases_tables_and_definitions(copy_2025: Path) -> None:
    from fastapi.testclient import TestClient

    from hcpcs.web import create_app

    with hcpcs.open(copy_2025) as db:
        store_layout(db, layout_data(2025))
    client = TestClient(create_app(copy_2025))
    assert client.get("/api/code-tables").json()["BETOS_TB"]["O1L"] == LYMPHEDEMA
    assert client.get("/api/code-tables?release=2025-10").json()["HCPCS Pricing Indicator Code"]["40"] == LYMPHEDEMA
    fields = {f["name"]: f for f in client.get("/api/fields?release=2025-10").json()}
    assert "(CDT-2024)" in fields["code"]["definition"]
    assert client.get("/api/codes/A6520").json()["record_layout"]["year"] == 2025


def test_a_release_zip_brings_its_layout_and_its_codes_are_decoded_by_it(tmp_path: Path) -> None:
    with hcpcs.open(tmp_path / "hcpcs.sqlite") as db:
        report = db.load([ZIP_2025])
        assert report.layouts == [(2025, 28, "loaded")]
        code = db.get("A6520", release="2025-01")
        stored = db._store.layout(2025)
    assert stored is not None and stored[0]["code_tables"]["BETOS_TB"]["O1L"] == LYMPHEDEMA
    assert [c.meaning for c in code.pricing_indicators] == [LYMPHEDEMA]
    assert code.betos is not None and code.betos.meaning == LYMPHEDEMA
    assert code.layout_year == 2025 and "(CDT-2024)" in code.definitions["code"]
