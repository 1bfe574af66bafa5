"""The NOC flag of a release comes from the NOC list of its own year; where none is loaded, the page, search and
validation say so (inferred from the nearest year's list, named, or not known)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

import hcpcs
from hcpcs.render.code_page import render
from hcpcs.render.serialize import to_json

from .conftest import ANNUAL, CMS

NOC = {year: CMS / f"{year}-HCPCS-NOC-Codes.zip" for year in (2018, 2019)}


@pytest.fixture(scope="module")
def two_lists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[hcpcs.Hcpcs]:
    """Releases 2018-01, 2019-01 and 2020-04, with CMS's NOC lists of 2018 and 2019 (none of 2020)."""
    path = tmp_path_factory.mktemp("noc") / "hcpcs.sqlite"
    with hcpcs.open(path) as db:
        report = db.load([ANNUAL[2018], ANNUAL[2019], CMS / "2020-04-anweb.xlsx", NOC[2018], NOC[2019]])
        assert [year for year, _, _ in report.noc_lists] == [2018, 2019]
    with hcpcs.open(path, readonly=True) as db:
        yield db


@pytest.mark.parametrize(("code", "release", "noc"), [
    ("G9282", "2018", True),  # in CMS's 2018 list, not in its 2019 one
    ("G9282", "2019", False),
    ("J7178", "2018", False),  # in the 2019 list, not in the 2018 one
    ("J7178", "2019", True),
    ("A9999", "2018", True),
    ("A9999", "2019", True),
])
def test_each_release_is_flagged_by_the_list_of_its_own_year(two_lists: hcpcs.Hcpcs, code: str, release: str,
                                                             noc: bool) -> None:
    found = two_lists.get(code, release=release)
    assert (found.noc, found.noc_list_year, found.noc_note) == (noc, int(release), None)
    definition = f"Whether the code is in CMS's list of not otherwise classified codes of {release}; a NOC code " \
                 "needs a narrative on the claim."
    assert f"Not Otherwise Classified (NOC)\t{'Yes' if noc else 'No'}\t{definition}\n" in render(found, "text")


def test_a_release_with_no_list_of_its_year_says_it_is_inferred_and_from_which(two_lists: hcpcs.Hcpcs) -> None:
    found = two_lists.get("J7178", release="2020-04")
    note = "inferred from CMS's 2019 NOC list: no NOC list loaded for 2020"
    assert (found.noc, found.noc_list_year, found.noc_note) == (True, 2019, note)
    assert "Not Otherwise Classified (NOC)\tYes (inferred from the 2019 list)\tWhether the code is in CMS's list of " \
           f"not otherwise classified codes, {note}; a NOC code needs a narrative on the claim.\n" \
           in render(found, "text")
    page = to_json(found)
    assert (page["noc"], page["noc_list_year"], page["noc_note"]) == (True, 2019, note)


def test_a_release_with_no_list_at_all_says_so(tmp_path: Path) -> None:
    with hcpcs.open(tmp_path / "hcpcs.sqlite") as db:
        db.load([CMS / "2020-04-anweb.xlsx"])
        found = db.get("A9999")
        with pytest.raises(hcpcs.NotFound, match=r"^no NOC list loaded for 2020, nor for any other year"):
            db.search("supply", noc_only=True)
    assert (found.noc, found.noc_list_year, found.noc_note) == (None, None, "no NOC list loaded for 2020")
    assert "Not Otherwise Classified (NOC)\tNot known\tWhether the code is in CMS's list of not otherwise " \
           "classified codes: no NOC list loaded for 2020; a NOC code needs a narrative on the claim.\n" \
           in render(found, "text")


def test_2025_releases_are_flagged_by_the_2025_list_from_the_2025_zip(tmp_path: Path) -> None:
    with hcpcs.open(tmp_path / "hcpcs.sqlite") as db:
        report = db.load([CMS / "hcpcs-2025.zip", CMS / "HCPC2025_OCT_ANWEB_v4.xlsx", NOC[2019]])
        assert {year for year, _, _ in report.noc_lists} == {2019, 2025}
        for release in ("2025-01", "2025-10"):
            found = db.get("A9999", release=release)
            assert (found.noc, found.noc_list_year, found.noc_note) == (True, 2025, None)
            assert "(2019)" not in render(found, "text") and "2019 list" not in render(found, "text")
        assert db.get("J7178", release="2025-01").noc is True and db.get("G9282", release="2025-01").noc is False


def test_the_search_filter_follows_the_same_rule(two_lists: hcpcs.Hcpcs) -> None:
    own = two_lists.search("supply", release="2019", noc_only=True, limit=100)
    assert own.total > 0 and own.notes == ()
    assert all(two_lists.get(h.code, release="2019").noc for h in own.hits)
    old = two_lists.search("G9282", release="2018", noc_only=True)
    assert [h.code for h in old.hits] == ["G9282"]
    assert two_lists.search("G9282", release="2019", noc_only=True).total == 0
    inferred = two_lists.search("supply", release="2020-04", noc_only=True, limit=100)
    assert inferred.notes == ("NOC codes inferred from CMS's 2019 NOC list: no NOC list loaded for 2020",)
    assert inferred.total > 0 and all(two_lists.get(h.code, release="2020-04").noc for h in inferred.hits)
    assert [h.code for h in two_lists.search("J7178", release="2020-04", noc_only=True).hits] == ["J7178"]
    assert two_lists.search("G9282", release="2020-04", noc_only=True).total == 0


LINES = [("1", "A9999", "2019-06-01", ""), ("2", "A9999", "2020-05-01", ""), ("3", "G9282", "2018-06-01", ""),
         ("4", "G9282", "2019-06-01", ""), ("5", "J7178", "2018-06-01", ""), ("6", "J7178", "2020-06-01", "")]


def test_validation_warns_noc_by_the_years_list_and_noc_inferred_by_another(two_lists: hcpcs.Hcpcs,
                                                                            tmp_path: Path) -> None:
    single = [two_lists.validate(code, day).warnings for _, code, day, _ in LINES]
    assert single == [("noc",), ("noc_inferred",), ("noc",), (), (), ("noc_inferred",)]
    with (tmp_path / "lines.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["claim_id", "code", "date", "modifiers"])
        writer.writerows(LINES)
    summary = two_lists.validate_file(tmp_path / "lines.csv", tmp_path / "out.csv", ordered=True)
    with (tmp_path / "out.csv").open() as rows:
        bulk = [tuple(filter(None, r["warnings"].split(";"))) for r in csv.DictReader(rows)]
    assert bulk == single
    assert summary.warnings == {"noc": 2, "noc_inferred": 2}
