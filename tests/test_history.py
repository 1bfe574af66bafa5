"""Time travel on the real releases: diffs against CMS's transaction reports, history, as-of lookups."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import hcpcs
from hcpcs.api.report import ReportDifference
from hcpcs.readers.transactions import read_report
from hcpcs.render.code_page import render

from .conftest import CMS, ROOT, member

#: Pairs whose every difference with CMS's report is pinned (a report compares with the release just before its own).
PAIRS = [
    ("2018-01", "2019-01", CMS / "2019-Alpha-Numeric-HCPCS-File.zip"),
    ("2019-01", "2020-01", CMS / "2020-Alpha-Numeric-HCPCS-File.zip"),
    ("2020-01", "2020-04", CMS / "2020-04-trans-alpha.xlsx"),
    ("2020-04", "2020-10", CMS / "2020-10-trans-alpha.xlsx"),
    ("2025-01", "2025-10", CMS / "HCPC2025_OCT_ANWEB_Transaction Report_v4.xlsx"),  # against 2025-07
]
#: Pairs years apart, differing on thousands of codes: their differences of a reason in COUNTED are only counted.
WIDE_PAIRS = [
    ("2011-01", "2016-01", CMS / "2016-Alpha-Numeric-HCPCS-File" / "HCPC2016_TransactionReport_Alpha.xlsx"),
    ("2020-10", "2025-01", CMS / "hcpcs-2025.zip"),  # against 2024-10
]
ALL_PAIRS = PAIRS + WIDE_PAIRS
COUNTED = frozenset({"between", "left-file", "case"})
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "report_differences.json").read_text(encoding="utf-8"))
PINNED: dict[str, list[dict[str, Any]]] = FIXTURE["pairs"]
COUNTS: dict[str, dict[str, int]] = FIXTURE["counts"]
#: The pairs whose pinned differences of a reason not in COUNTED each have a note: what the records show.
NOTED = frozenset({"2011-01 -> 2016-01", "2020-10 -> 2025-01", "2025-01 -> 2025-10"})
#: Codes one of CMS's reports and its release's file do not share: (in the file only, in the report only).
REPORT_GAPS = {"2016-01": ({"DA"}, set()), "2025-10": (set(), {"8P"})}


def _ids(pairs: list[tuple[str, str, Path]]) -> list[str]:
    return [f"{a}->{b}" for a, b, _ in pairs]


def _as_pinned(d: ReportDifference) -> dict[str, Any]:
    return {"code": d.code, "ours": d.ours, "report": d.theirs, "groups": list(d.groups), "reason": d.reason,
            "evidence": d.evidence}


@pytest.mark.parametrize(("old", "new", "report"), ALL_PAIRS, ids=_ids(ALL_PAIRS))
def test_diff_agrees_with_cms_report_except_pinned_codes(db: hcpcs.Hcpcs, old: str, new: str,
                                                          report: Path) -> None:
    comparison = db.compare_report(db.diff(old, new), report)
    found = [_as_pinned(d) for d in comparison.differences if d.groups]
    pair = f"{old} -> {new}"
    if pair in COUNTS:
        assert Counter(e["reason"] for e in found) == COUNTS[pair]
        found = [e for e in found if e["reason"] not in COUNTED]
    # a note says what the records and CMS's files show; the rest is what the comparison says
    assert found == [{k: v for k, v in e.items() if k != "note"} for e in PINNED[pair]]
    # the agreement is broad: every ADD and Discontinued of the report not pinned is ours too
    assert comparison.agreed["A"] >= 18 and comparison.agreed["D"] >= 1
    # the report loaded with the release (from its zip, or from CMS's *trans* file beside it) is the same
    loaded = db.compare_report(db.diff(old, new))
    assert (loaded.differences, loaded.agreed) == (comparison.differences, comparison.agreed)


def test_fixture_counts_the_wide_pairs_and_notes_each_difference_it_lists_of_theirs() -> None:
    assert set(PINNED) == {f"{a} -> {b}" for a, b, _ in ALL_PAIRS}
    assert set(COUNTS) == {f"{a} -> {b}" for a, b, _ in WIDE_PAIRS}
    for pair, entries in PINNED.items():
        assert all(("note" in e) == (pair in NOTED and e["reason"] not in COUNTED) for e in entries), pair
        if pair in COUNTS:
            assert sum(n for reason, n in COUNTS[pair].items() if reason not in COUNTED) == len(entries)


def test_transaction_reports_are_stored_with_every_entry(db: hcpcs.Hcpcs, tmp_path: Path) -> None:
    stored = db.transaction_report("2020-04")
    assert stored == db.read_report(CMS / "2020-04-trans-alpha.xlsx") and len(stored.entries) == 7097
    assert db.transaction_report("2018").source.endswith(".xlsx")  # the spreadsheet, not the cut .prn
    with hcpcs.open(tmp_path / "codes-only.sqlite") as alone:
        alone.load([CMS / "2020-04-anweb.xlsx"])
        with pytest.raises(hcpcs.NotFound, match="no transaction report of 2020-04 is loaded"):
            alone.compare_report(alone.diff("2020-04", "2020-04"))
        report = alone.load([CMS / "2020-04-trans-alpha.xlsx"])
        assert report.transaction_reports == [("2020-04", 7097, "loaded")]
        assert alone.load([CMS / "2020-04-trans-alpha.xlsx"]).transaction_reports == [("2020-04", 7097, "unchanged")]
        with pytest.raises(hcpcs.LoadError, match="transaction report of 2020-04 is already loaded"):
            alone.load([CMS / "2020-10-trans-alpha.xlsx"], release="2020-04")


class _Records:
    """One pair's releases, diff and CMS report, to re-check a reason from."""

    def __init__(self, db: hcpcs.Hcpcs, old: str, new: str, report: Path) -> None:
        self.db, self.old, self.new = db, old, new
        self.start, self.end = db.release(old).effective_date, db.release(new).effective_date
        self.cms = db.read_report(report).by_code()
        self.diff = db.diff(old, new).by_code()
        self.old_codes = {code for code, _, _ in db.listing(old)}
        self.new_codes = {code for code, _, _ in db.listing(new)}

    def check(self, code: str, ours: str, theirs: str | None, reason: str) -> None:
        """Assert that ``reason`` holds for ``code`` in the records themselves, not in the code that classified it."""
        change, cms = self.diff.get(code), self.cms.get(code)
        start, end = self.start, self.end
        assert (change.action if change else "N") == ours, code
        assert (cms.action if cms else None) == theirs, code
        if reason == "left-file":
            assert cms is None and change is not None and change.action == "D", code
            assert code in self.old_codes and code not in self.new_codes, code
            return
        if reason == "not-in-report":
            assert cms is None and code in self.new_codes, code
            return
        assert cms is not None, code
        record = self.db.get(code, release=self.new)
        if reason == "between":
            days = [record.added_date, record.action_effective_date]
            if record.termination_date:
                days.append(record.termination_date + dt.timedelta(days=1))
            assert any(d and start < d < end for d in days), code
        elif reason == "missing-from-old":
            assert code not in self.old_codes, code
            assert record.added_date is not None and record.added_date <= start, code
        elif reason == "retroactive":
            earlier = self.db.get(code, release=self.old)
            if ours == "D":  # a termination date before the older release took effect, set after it
                assert record.termination_date is not None and record.termination_date < start, code
                assert earlier.termination_date is None, code
            else:  # an action dated back: later than the older release's last action, yet before that release
                acted, acted_before = record.action_effective_date, earlier.action_effective_date
                assert acted is not None and acted < start, code
                assert acted_before is None or acted > acted_before, code
        elif reason == "encoding":
            assert change is not None
            assert all("?" in f"{c.old}{c.new}" for c in change.changes), code
        elif reason == "case":  # the descriptions differ, in letter case (and spacing) only; no add or discontinuation
            earlier = self.db.get(code, release=self.old)
            texts = [(earlier.long_description, record.long_description),
                     (earlier.short_description, record.short_description)]
            assert any(a != b for a, b in texts), code
            assert all(" ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()
                       for a, b in texts), code
            assert not {"A", "D"} & {ours, theirs}, code
        elif reason == "report-misses":
            assert cms.action == "N" and change is not None and change.changes, code
        elif reason == "report-only":
            assert cms.action != "N" and change is None, code
        else:
            assert reason == "other", code
            assert cms.action == "?" or (change is not None and "N" not in (ours, theirs) and ours != theirs), code


@pytest.mark.parametrize(("old", "new", "report"), ALL_PAIRS, ids=_ids(ALL_PAIRS))
def test_each_pinned_difference_holds_in_the_records(db: hcpcs.Hcpcs, old: str, new: str, report: Path) -> None:
    """Re-check every pinned reason from the records themselves, not from the code that classified it."""
    records = _Records(db, old, new, report)
    for entry in PINNED[f"{old} -> {new}"]:
        records.check(entry["code"], entry["ours"], entry["report"], entry["reason"])


@pytest.mark.parametrize(("old", "new", "report"), WIDE_PAIRS, ids=_ids(WIDE_PAIRS))
def test_every_difference_of_a_wide_pair_holds_in_the_records(db: hcpcs.Hcpcs, old: str, new: str,
                                                              report: Path) -> None:
    """In the pairs pinned by counts, every difference (counted, listed, or outside the checked kinds of change)
    has its reason re-checked from the records, as a listed one has."""
    records = _Records(db, old, new, report)
    differences = db.compare_report(db.diff(old, new), report).differences
    assert len(differences) >= sum(COUNTS[f"{old} -> {new}"].values())
    for d in differences:
        records.check(d.code, d.ours, d.theirs, d.reason)


def test_cms_report_names_a_code_per_record_with_the_records_action_code(db: hcpcs.Hcpcs) -> None:
    """CMS's report is its records' action code field: the same letter for every code of the release. It names
    every code of the release but where REPORT_GAPS says: 2016's lacks modifier DA of 2016's file, and 2025-10's
    has 8P (a performance measure reporting modifier) that no loaded file has."""
    for _, new, path in ALL_PAIRS:
        report = db.read_report(path).by_code()
        file_only, report_only = REPORT_GAPS.get(new, (set(), set()))
        codes = {code for code, _, _ in db.listing(new)}
        assert (codes - report.keys(), report.keys() - codes) == (file_only, report_only), new
        records = {code: db.get(code, release=new) for code in report.keys() & codes}
        assert all(c.action is not None and c.action.value == report[k].action for k, c in records.items())
        release = db.release(new)
        assert release.procedure_count + release.modifier_count == len(codes)


@pytest.mark.parametrize(("year", "prn"), [(2018, "changesbyhcpc"), (2019, "changes_by_hcpcscode"),
                                           (2020, "changes_by_hcpc.prn")])
def test_prn_and_spreadsheet_reports_agree(year: int, prn: str) -> None:
    zip_path = CMS / f"{year}-Alpha-Numeric-HCPCS-File.zip"
    text_name, text = member(zip_path, suffix=".prn", contains=prn)
    sheet_name, sheet = member(zip_path, suffix=".xlsx", contains="trans")
    from_text, from_sheet = read_report(text, text_name, warnings=[]), read_report(sheet, sheet_name, warnings=[])
    assert {e.code: e.action for e in from_text.entries} == {e.code: e.action for e in from_sheet.entries}
    if year > 2018:  # the .prn cuts long descriptions at the line's end; the spreadsheet keeps them
        by_code = from_sheet.by_code()
        for entry in from_text.entries:
            whole = by_code[entry.code]
            assert entry.short_description == whole.short_description
            assert (whole.long_description or "").startswith(entry.long_description or "")


def test_2018_report_lacks_modifier_l1_of_the_2018_file(db: hcpcs.Hcpcs) -> None:
    zip_path = CMS / "2018-Alpha-Numeric-HCPCS-File.zip"
    name, data = member(zip_path, suffix=".xlsx", contains="trans")
    report = read_report(data, name, warnings=[]).by_code()
    assert len(report) == 6558
    assert db.get("L1", release="2018").code == "L1" and "L1" not in report


def test_diff_classifies_with_cms_action_codes(db: hcpcs.Hcpcs) -> None:
    diff = db.diff("2020-01", "2020-04")
    assert diff.counts() == {"A": 18, "C": 14, "D": 1, "F": 2}
    g1000 = diff.by_code()["G1000"]
    assert g1000.action == "D" and g1000.termination_date == dt.date(2020, 3, 31)
    cs = diff.by_code()["CS"]
    assert cs.actions == ("C", "S")
    assert [c.field for c in cs.changes] == ["long_description", "short_description"]
    b4105 = db.diff("2019", "2020").by_code()["B4105"]
    assert b4105.actions == ("F", "P")
    coverage = next(c for c in b4105.changes if c.field == "coverage")
    assert (coverage.old, coverage.new) == ("D", "C")
    assert coverage.old_meaning == "Special coverage instructions apply"
    assert coverage.new_meaning == "Carrier judgment"


def test_diff_fields_limit_the_comparison(db: hcpcs.Hcpcs) -> None:
    only = db.diff("2019", "2020", fields=["coverage"])
    assert only.fields == ("coverage",)
    modified = [c for c in only.changes if c.action not in ("A", "D", "R")]
    assert {c.code for c in modified} == {"B4105", "Q9994"}
    assert all(f.field == "coverage" for c in modified for f in c.changes)
    with pytest.raises(hcpcs.UsageError, match="unknown field 'colour'"):
        db.diff("2019", "2020", fields=["colour"])


def test_history_of_a_reused_code(db: hcpcs.Hcpcs) -> None:
    history = db.history("g9890")
    assert history.reused and not history.reactivated
    assert history.first_release == "2018-01" and history.last_release == "2025-10"
    assert [e.release.id for e in history.events] == ["2018-01", "2019-01"]
    reuse = history.events[1].change
    assert reuse.action == "A" and reuse.reused and "new meaning" in (reuse.note or "")
    assert reuse.long_description and reuse.long_description.startswith("Bridge payment")


def test_history_of_a_code_that_left_and_came_back(db: hcpcs.Hcpcs) -> None:
    history = db.history("DA")
    assert history.releases == ("2011-01", "2016-01", "2018-01", "2020-01", "2020-04", "2020-10", "2025-01", "2025-10")
    # 2016 writes in mixed case what 2011 wrote in capitals: a description change, as CMS wrote it
    assert [(e.release.id, e.change.action) for e in history.events] == [
        ("2011-01", "A"), ("2016-01", "C"), ("2019-01", "D"), ("2020-01", "R")]
    assert history.events[0].first and history.reactivated and not history.reused


def test_history_of_a_terminated_code_names_its_replacement(db: hcpcs.Hcpcs) -> None:
    history = db.history("C9034")
    assert history.termination_date == dt.date(2018, 12, 31)
    assert history.replacements == ("J1095",)
    assert history.events[-1].change.action == "D"


def test_history_of_an_unknown_code(db: hcpcs.Hcpcs) -> None:
    with pytest.raises(hcpcs.NotFound, match="near codes"):
        db.history("S9998")


def test_as_of_between_releases_picks_the_release_in_effect(db: hcpcs.Hcpcs) -> None:
    code = db.get("S9328", as_of="2020-05-01")
    assert code.release.id == "2020-04" and code.as_of == dt.date(2020, 5, 1) and code.status == "Actual"
    assert db.get("S9328", as_of=dt.date(2020, 3, 31)).release.id == "2020-01"
    assert db.get("S9328", as_of="2020-10-01").release.id == "2020-10"


def test_as_of_after_termination_shows_terminated_with_replacements(db: hcpcs.Hcpcs) -> None:
    code = db.get("C9034", as_of="2020-05-01")
    assert code.status == "Terminated" and code.termination_date == dt.date(2018, 12, 31)
    assert code.cross_references == ("J1095",)
    from hcpcs.render.code_page import render_text

    page = render_text(code)
    assert "Status\tTerminated" in page and "Replaced By\tJ1095" in page and "As Of\t20200501" in page


def test_as_of_before_the_code_was_added(db: hcpcs.Hcpcs) -> None:
    with pytest.raises(hcpcs.NotFound, match=r"C9034 was not yet in effect on 2018-03-01: added 2018-10-01"):
        db.get("C9034", as_of="2018-03-01")


def test_as_of_before_any_release_the_first_release_answers_and_says_so(db: hcpcs.Hcpcs) -> None:
    first = db.releases()[0]
    assert first.id == "2011-01"
    with pytest.raises(hcpcs.NotFound, match=r"^S9328 was not yet in effect on 2001-05-01: added 2002-01-01 \(release "
                                             r"2011-01\); no loaded release was in effect on 2001-05-01: the earliest "
                                             r"loaded release, 2011-01 \(in effect from 2011-01-01\), answers for it$"):
        db.get("S9328", as_of="2001-05-01")
    code = db.get("S9328", as_of="2005-05-01")
    assert (code.release.id, code.as_of, code.status) == ("2011-01", dt.date(2005, 5, 1), "Actual")
    assert code.as_of_note == ("no loaded release was in effect on 2005-05-01: the earliest loaded release, 2011-01 "
                               "(in effect from 2011-01-01), answers for it")
    assert "Earliest Release\t2011-01\tNo loaded release was in effect on 2005-05-01: " in render(code, "text")


def test_as_of_a_reused_code_gives_the_meaning_of_the_day(db: hcpcs.Hcpcs) -> None:
    assert db.get("G9890", as_of="2018-02-01").long_description.startswith("Dilated macular exam")
    assert db.get("G9890", as_of="2019-02-01").long_description.startswith("Bridge payment")


def test_as_of_a_code_absent_for_a_year(db: hcpcs.Hcpcs) -> None:
    with pytest.raises(hcpcs.NotFound, match="DA left CMS's files after release 2018-01"):
        db.get("DA", as_of="2019-06-01")
    assert db.get("DA", as_of="2020-02-01").status == "Actual"


def test_as_of_rejects_bad_dates_and_a_release_too(db: hcpcs.Hcpcs) -> None:
    with pytest.raises(hcpcs.UsageError, match="'2020-02-30' is not a date"):
        db.get("S9328", as_of="2020-02-30")
    with pytest.raises(hcpcs.UsageError, match="not both"):
        db.get("S9328", as_of="2020-02-01", release="2020")


def test_diff_with_fields_keeps_every_add_discontinuation_and_reactivation(db: hcpcs.Hcpcs) -> None:
    full = db.diff("2019", "2020").by_code()
    only = db.diff("2019", "2020", fields=["coverage"]).by_code()
    for action in ("A", "D", "R"):
        assert {c for c, ch in full.items() if ch.action == action} == {
            c for c, ch in only.items() if ch.action == action}, action


def test_as_of_tells_what_later_releases_say(db: hcpcs.Hcpcs) -> None:
    """The release in effect on the day is what CMS said then; later releases may know better."""
    retro = db.get("C9034", as_of="2019-06-01")
    assert retro.release.id == "2019-01" and retro.status == "Actual"
    assert retro.hindsight == ("from release 2020-01 on, CMS gives a termination date of 2018-12-31, "
                               "before this date",)
    reused = db.get("G9890", as_of="2018-05-01")
    assert reused.long_description.startswith("Dilated macular exam")
    assert reused.hindsight == ("from release 2019-01 on, CMS says the code was re-added on 2018-04-01 "
                                "with a new meaning",)
    assert db.get("S9328", as_of="2020-05-01").hindsight == ()
    from hcpcs.render.code_page import render_text

    assert "Later Releases\tfrom release 2020-01 on, CMS gives a termination date" in render_text(retro)
