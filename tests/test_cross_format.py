"""CMS's text file and spreadsheet of one release give the same records, field by field.

Where CMS's two files disagree, the text file is canonical and the disagreement is reported.
``fixtures/disagreements.json`` pins the exact list; the checks below say what each kind is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hcpcs._compare import disagreements
from hcpcs._fixedwidth import read_fixed_width
from hcpcs._layout import COLUMNS
from hcpcs._models import Disagreement, Record
from hcpcs._spreadsheet import read_spreadsheet

from .conftest import ANNUAL, member

PINNED = json.loads((Path(__file__).parent / "fixtures" / "disagreements.json").read_text())


def both(year: int) -> tuple[list[Record], list[Record]]:
    text_name, text = member(ANNUAL[year], suffix=".txt")
    sheet_name, sheet = member(ANNUAL[year], suffix=".xlsx" if year < 2020 else ".xls")
    return read_fixed_width(text, text_name), read_spreadsheet(sheet, sheet_name)


@pytest.fixture(scope="module", params=[2018, 2019, 2020])
def year_pair(request: pytest.FixtureRequest) -> tuple[int, list[Record], list[Record], list[Disagreement]]:
    text, sheet = both(request.param)
    return request.param, text, sheet, disagreements(text, sheet)


def test_same_codes_in_both_files(year_pair: tuple[int, list[Record], list[Record], list[Disagreement]]) -> None:
    _, text, sheet, _ = year_pair
    assert [r.code for r in text] == [r.code for r in sheet]


def test_disagreements_are_exactly_the_pinned_list(
    year_pair: tuple[int, list[Record], list[Record], list[Disagreement]],
) -> None:
    year, _, _, found = year_pair
    assert [[d.code, d.field] for d in found] == PINNED[str(year)]


def test_every_other_field_agrees(year_pair: tuple[int, list[Record], list[Record], list[Disagreement]]) -> None:
    _, text, sheet, found = year_pair
    excused = {(d.code, d.field) for d in found}
    sheet_by_code = {r.code: r for r in sheet}
    compared = 0
    for record in text:
        other = sheet_by_code[record.code]
        for column in COLUMNS:
            if (record.code, column) not in excused:
                assert record.values[column] == other.values[column], (record.code, column)
                compared += 1
    assert compared > 6000 * 40


def test_description_disagreements_are_whitespace_only(
    year_pair: tuple[int, list[Record], list[Record], list[Disagreement]],
) -> None:
    _, _, _, found = year_pair
    for d in found:
        if d.field == "long_description" and d.text_value != "one record":
            assert d.text_value != d.spreadsheet_value
            assert re.sub(r"\s+", " ", d.text_value) == re.sub(r"\s+", " ", d.spreadsheet_value), d.code


def test_2019_spreadsheet_lacks_action_dates_and_splits_g0503() -> None:
    text, sheet = both(2019)
    found = disagreements(text, sheet)
    missing_dates = [d for d in found if d.field == "action_effective_date"]
    assert len(missing_dates) == 115
    assert all(d.text_value and not d.spreadsheet_value for d in missing_dates)
    # Mostly orthotics and prosthetics (L codes), not only A codes.
    assert sum(d.code.startswith("L") for d in missing_dates) == 93
    split = [d for d in found if d.code == "G0503" and d.text_value == "one record"]
    assert len(split) == 1 and "RECID 4" in split[0].spreadsheet_value
    tos = [(d.code, d.field, d.text_value, d.spreadsheet_value) for d in found if d.field.startswith("type_of")]
    assert tos == [("E0210", "type_of_service_4", "", "R"), ("E0776", "type_of_service_4", "", "R")]
    # Joined, the split description equals the text file's.
    g0503 = {r.code: r for r in sheet}["G0503"]
    assert str(g0503.values["long_description"]).endswith("prepared for discharge from active treatment")


def test_2018_shifted_asc_dates_are_repaired_identically() -> None:
    text, sheet = both(2018)
    repaired = {r.code: r for r in text if r.repairs}
    assert sorted(repaired) == ["C9488", "C9745", "C9746", "C9747", "C9748"]
    c9488 = repaired["C9488"]
    assert c9488.values["asc_group"] is None
    assert str(c9488.values["asc_effective_date"]) == "2017-04-01"
    assert {r.code for r in sheet if r.repairs} >= set(repaired)
