"""CMS's text file and spreadsheet of one release give the same records, field by field.

Where CMS's two files disagree, the text file is canonical and the disagreement is reported.
``fixtures/disagreements.json`` pins the exact list; the checks below say what each kind is, and each
was looked up in CMS's files themselves (the text file's columns, the spreadsheet's cells read with openpyxl
or found in the ``.xls`` bytes):

- long descriptions that differ in runs of spaces only: the spreadsheet has two spaces where the text file
  breaks its 80-character lines, and the text file cannot carry the second space;
- 2016, 2019, 2025: the spreadsheet's ACT EFF DT is blank for the same 115 codes (2025: and C9600) that have
  an action effective date in the text file;
- 2019, 2025: the spreadsheet gives E0210 and E0776 a fourth type of service R that the text file lacks;
- 2011: the spreadsheet spells J9060 "S0LUTION" with a zero;
- 2025: the spreadsheet cuts G0503's 1,251-character description after "and/or other treatment" (1,194
  characters); 2019 put the rest on a row of its own, 2025 drops it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from hcpcs.model.layout import COLUMNS
from hcpcs.model.records import Disagreement, Record
from hcpcs.readers.compare import disagreements

from .test_formats import RELEASES

PINNED = json.loads((Path(__file__).parent / "fixtures" / "disagreements.json").read_text())
PAIRS = ["2011", "2016", "2018", "2019", "2020", "2025"]
#: Description disagreements that are not whitespace: CMS's spreadsheet has other words (see above).
NOT_WHITESPACE = {("2011", "J9060"), ("2025", "G0503")}
#: The codes whose action effective date the 2016, 2019 and 2025 spreadsheets leave blank.
NO_ACTION_DATE_2019 = 115


@cache
def both(label: str) -> tuple[list[Record], list[Record]]:
    release = RELEASES[label]
    return release.text_records(), release.sheet_records()


@cache
def found(label: str) -> list[Disagreement]:
    return disagreements(*both(label))


@pytest.mark.parametrize("label", PAIRS)
def test_same_codes_in_both_files(label: str) -> None:
    text, sheet = both(label)
    assert [r.code for r in text] == [r.code for r in sheet]


@pytest.mark.parametrize("label", PAIRS)
def test_disagreements_are_exactly_the_pinned_list(label: str) -> None:
    assert [[d.code, d.field] for d in found(label)] == PINNED[label]


@pytest.mark.parametrize("label", PAIRS)
def test_every_other_field_agrees(label: str) -> None:
    text, sheet = both(label)
    excused = {(d.code, d.field) for d in found(label)}
    sheet_by_code = {r.code: r for r in sheet}
    compared = 0
    for record in text:
        other = sheet_by_code[record.code]
        for index, column in enumerate(COLUMNS):
            if (record.code, column) not in excused:
                assert record.row[index] == other.row[index], (record.code, column)
                compared += 1
    assert compared > 5700 * 40


@pytest.mark.parametrize("label", PAIRS)
def test_description_disagreements_are_whitespace_only(label: str) -> None:
    for d in found(label):
        if d.field == "long_description" and d.text_value != "one record" and (label, d.code) not in NOT_WHITESPACE:
            assert d.text_value != d.spreadsheet_value
            assert re.sub(r"\s+", " ", d.text_value) == re.sub(r"\s+", " ", d.spreadsheet_value), d.code


def test_2019_spreadsheet_lacks_action_dates_and_splits_g0503() -> None:
    sheet = both("2019")[1]
    missing_dates = [d for d in found("2019") if d.field == "action_effective_date"]
    assert len(missing_dates) == NO_ACTION_DATE_2019
    assert all(d.text_value and not d.spreadsheet_value for d in missing_dates)
    # Mostly orthotics and prosthetics (L codes), not only A codes.
    assert sum(d.code.startswith("L") for d in missing_dates) == 93
    split = [d for d in found("2019") if d.code == "G0503" and d.text_value == "one record"]
    assert len(split) == 1 and "RECID 4" in split[0].spreadsheet_value
    tos = [(d.code, d.field, d.text_value, d.spreadsheet_value) for d in found("2019") if d.field.startswith("type_of")]
    assert tos == [("E0210", "type_of_service_4", "", "R"), ("E0776", "type_of_service_4", "", "R")]
    # Joined, the split description equals the text file's.
    g0503 = {r.code: r for r in sheet}["G0503"]
    assert str(g0503.values["long_description"]).endswith("prepared for discharge from active treatment")


def test_the_same_action_dates_are_missing_from_the_2016_2019_and_2025_spreadsheets() -> None:
    codes = {label: {d.code for d in found(label) if d.field == "action_effective_date"}
             for label in ("2016", "2019", "2025")}
    assert codes["2016"] == codes["2019"] and len(codes["2019"]) == NO_ACTION_DATE_2019
    assert codes["2025"] - codes["2019"] == {"C9600"} and codes["2019"] <= codes["2025"]
    for label in ("2016", "2025"):
        assert all(d.text_value and not d.spreadsheet_value for d in found(label) if d.field == "action_effective_date")
    tos = [(d.code, d.field, d.text_value, d.spreadsheet_value) for d in found("2025") if d.field.startswith("type_of")]
    assert tos == [("E0210", "type_of_service_4", "", "R"), ("E0776", "type_of_service_4", "", "R")]


def test_2011_spreadsheet_spells_j9060_with_a_zero() -> None:
    assert [(d.code, d.text_value, d.spreadsheet_value) for d in found("2011")] == [
        ("J9060", "INJECTION, CISPLATIN, POWDER OR SOLUTION, 10 MG", "INJECTION, CISPLATIN, POWDER OR S0LUTION, 10 MG")]
    release = RELEASES["2011"]
    assert release.sheet and release.text
    assert release.read(release.sheet).count(b"S0LUTION") == 1 and b"S0LUTION" not in release.read(release.text)


def test_2025_spreadsheet_cuts_g0503_short() -> None:
    g0503 = next(d for d in found("2025") if d.code == "G0503")
    assert g0503.text_value.endswith("other treatment goals and are prepared for discharge from active treatment")
    assert g0503.spreadsheet_value.endswith("and/or other treatment")
    flat = re.sub(r"\s+", " ", g0503.spreadsheet_value)
    assert re.sub(r"\s+", " ", g0503.text_value).startswith(flat) and len(g0503.text_value) > len(flat) + 50
    _, sheet = both("2025")
    assert [r.code for r in sheet].count("G0503") == 1 and not any(r.repairs for r in sheet if r.code == "G0503")


def test_2018_shifted_asc_dates_are_repaired_identically() -> None:
    text, sheet = both("2018")
    repaired = {r.code: r for r in text if r.repairs}
    assert sorted(repaired) == ["C9488", "C9745", "C9746", "C9747", "C9748"]
    c9488 = repaired["C9488"]
    assert c9488.values["asc_group"] is None
    assert str(c9488.values["asc_effective_date"]) == "2017-04-01"
    assert {r.code for r in sheet if r.repairs} >= set(repaired)
