"""Time travel on a tiny pair of releases built here: the cases the shared files lack.

The shared releases hold a reused code (G9890) and a code that left the file and came back (DA), but
no code re-activated by removing its termination date; these files hold one of each kind.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import hcpcs
from hcpcs.model.layout import FIELDS_BY_NAME, RECORD_WIDTH


def record_line(code: str, description: str, *, short: str = "", coverage: str = "C", added: str = "20100101",
                effective: str = "20100101", terminated: str = "", action: str = "N", xref: str = "",
                sequence: int = 10) -> str:
    """One first-line procedure record of CMS's fixed-width layout."""
    line = [" "] * RECORD_WIDTH

    def put(name: str, value: str) -> None:
        start = FIELDS_BY_NAME[name].start - 1
        line[start:start + len(value)] = value

    put("code", code)
    put("sequence", f"{sequence:05d}")
    put("record_id", "3")
    put("long_description", description[:80])
    put("short_description", short or description[:28])
    put("coverage", coverage)
    put("cross_reference", xref)
    put("added_date", added)
    put("action_effective_date", effective)
    put("termination_date", terminated)
    put("action_code", action)
    return "".join(line).rstrip()


RELEASE_2030 = [
    record_line("K9901", "Widget, any type", terminated="20291231", action="D"),
    record_line("K9902", "Old meaning of this code"),
    record_line("K9903", "Gadget, to be replaced"),
    record_line("K9905", "Coverage item", coverage="C"),
]
RELEASE_2031 = [
    record_line("K9901", "Widget, any type", effective="20310101", action="R"),
    record_line("K9902", "New meaning of this code", added="20310101", effective="20310101", action="A"),
    record_line("K9903", "Gadget, to be replaced", terminated="20301231", effective="20310101", action="D",
                xref="K9904"),
    record_line("K9904", "Gadget, new style", added="20310101", effective="20310101", action="A"),
    record_line("K9905", "Coverage item", coverage="I", effective="20310101", action="F"),
]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pair")
    for year, lines in ((2030, RELEASE_2030), (2031, RELEASE_2031)):
        (folder / f"HCPC{year}_ANWEB.txt").write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    db_path = folder / "pair.sqlite"
    with hcpcs.open(db_path) as db:
        db.load([folder / "HCPC2030_ANWEB.txt", folder / "HCPC2031_ANWEB.txt"])
    return db_path


@pytest.fixture
def db(pair: Path) -> hcpcs.Hcpcs:
    return hcpcs.open(pair, readonly=True)


def test_diff_of_the_pair_matches_the_action_codes_written_in_it(db: hcpcs.Hcpcs) -> None:
    diff = db.diff("2030", "2031").by_code()
    assert {code: c.action for code, c in diff.items()} == {
        "K9901": "R", "K9902": "A", "K9903": "D", "K9904": "A", "K9905": "F"}
    assert diff["K9902"].reused and not diff["K9904"].reused
    assert diff["K9903"].replacements == ("K9904",)
    coverage = diff["K9905"].changes[0]
    assert (coverage.field, coverage.old, coverage.new) == ("coverage", "C", "I")
    assert coverage.new_meaning == "Not payable by Medicare"


def test_history_flags_reactivation_and_reuse(db: hcpcs.Hcpcs) -> None:
    reactivated = db.history("K9901")
    assert reactivated.reactivated and not reactivated.reused and reactivated.termination_date is None
    reused = db.history("K9902")
    assert reused.reused and reused.events[-1].change.note == "re-added on 2031-01-01 with a new meaning (reused code)"


def test_as_of_a_reactivated_code(db: hcpcs.Hcpcs) -> None:
    assert db.get("K9901", as_of="2030-06-01").status == "Terminated"
    assert db.get("K9901", as_of="2031-06-01").status == "Actual"


def test_as_of_a_reused_code(db: hcpcs.Hcpcs) -> None:
    assert db.get("K9902", as_of="2030-06-01").long_description == "Old meaning of this code"
    assert db.get("K9902", as_of="2031-06-01").long_description == "New meaning of this code"


def test_as_of_a_replaced_code_and_its_replacement(db: hcpcs.Hcpcs) -> None:
    assert db.get("K9903", as_of="2030-12-31").status == "Actual"
    old = db.get("K9903", as_of="2031-01-01")
    assert old.status == "Terminated" and old.cross_references == ("K9904",)
    with pytest.raises(hcpcs.NotFound, match="K9904 was not yet in effect on 2030-06-01: added 2031-01-01"):
        db.get("K9904", as_of="2030-06-01")
    assert db.get("K9904", as_of=dt.date(2031, 1, 1)).status == "Actual"
