"""Records come out of the store typed (dates as dates, the layout's columns by name), and what later releases
say of a record is one answer: the look-up of a code on a day and claim-line validation agree on every record
of CMS's files that later releases correct."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import hcpcs
from hcpcs.model.layout import COLUMNS
from hcpcs.model.periods import hindsight
from hcpcs.store import Store


def test_records_come_out_typed(all_loaded: Path) -> None:
    store = Store(all_loaded, readonly=True)
    try:
        row = store.record("C9034", "2019-01")
        assert row is not None
        assert (row.code, row.kind, row.release_id) == ("C9034", "procedure", "2019-01")
        assert isinstance(row.source_line, int) and row.source_line > 0
        assert list(row.values) == list(COLUMNS)
        dates = [row.added_date, row.action_effective_date, row.date("asc_effective_date")]
        assert all(d is None or type(d) is dt.date for d in dates) and row.added_date is not None
        assert row.text("long_description") == row.long_description == row["long_description"]
        with pytest.raises(TypeError, match="holds date, not text"):
            row.text("added_date")
        later = store.record("C9034", "2020-01")
        assert later is not None and later.termination_date == dt.date(2018, 12, 31)
        assert hindsight(row, [later]).on(dt.date(2019, 6, 1)).ended == (later,)
        assert not hindsight(row, [later]).on(dt.date(2018, 6, 1))
        crossed = [r for r in store.release_records("2020-01").values() if r.field("cross_reference")]
        assert crossed and all(all(c and isinstance(c, str) for c in r.field("cross_reference")) for r in crossed)
    finally:
        store.close()


def test_a_day_and_a_claim_line_hear_the_same_from_later_releases(db: hcpcs.Hcpcs) -> None:
    """Records a later release corrects (a termination date before a day they covered: every tenth; the code
    added again: all), on the first day the correction reaches: what the code's page says and the line's
    warnings agree."""
    corrected = [p for p in db.reference().periods if p.kind == "procedure" and (p.later_termination or p.re_added_on)]
    assert len(corrected) > 20
    checked = 0
    for period in (p for at, p in enumerate(corrected) if p.re_added_on or at % 10 == 0):
        after_end = period.later_termination + dt.timedelta(days=1) if period.later_termination else period.valid_from
        day = max(period.valid_from, period.added_date or period.valid_from, after_end)
        if day >= period.valid_to or (period.termination_date is not None and period.termination_date < day):
            continue
        said = " ".join(db.get(period.code, as_of=day).hindsight)
        warned = db.validate(period.code, day).warnings
        assert ("termination date" in said) == ("retroactive_termination" in warned), (period, said, warned)
        assert ("re-added" in said) == ("re_added" in warned), (period, said, warned)
        checked += 1
    assert checked > 10
