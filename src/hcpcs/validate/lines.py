"""Validating claim lines: was each line's code (and modifiers) valid on its date of service?

One specification, three paths that must agree: ``check_line`` (Python, one line), and the same rules as
SQL (``CORE_SQL``) run by DuckDB over a file, or by Spark. The SQL uses only what both engines share
(joins, CASE, ``concat_ws``), over tables the engines build from the same reference data:

    lines(line, claim_id, claim_key, code, day, code_ok, m1, m2, m3, m4)
                                                                the input, normalised (claim_key: the claim id
                                                                where a pair rule names the code)
    ruled(claim_id, code, in_effect)                            those lines once per claim (``ruled_sql``)
    spans(release_id, valid_from, valid_to)                     when each release was in effect
    periods(code, kind, release_id, valid_from, valid_to, added_date, termination_date, coverage,
            replacements, noc)                                  each record over its release's span
    firsts(code, first_release, first_from)                     where each code first appears
    rules(release_id, code, other)                              pair rules mined from descriptions
    drug_keys(crosswalk, ndc_raw, ndc, mismatch, code1, per_package1, ... codeN, per_packageN)
                                                                each NDC spelling of the input under each NDC
                                                                crosswalk its dates reach (``drug_keys``)

With an NDC per line (lines also hold ndc_raw, the NDC as written, and units): ndc_mismatch (a reason: the
crosswalk of the line's date puts the NDC under other codes, named) and ndc_unknown (a warning: no crosswalk
of the date lists it, or it is no NDC); the crosswalk of a date is the one in effect, else the latest before
it, else the earliest; billing_units is units (NDC packages) times the crosswalk's billing units per package.
The engines do not read NDCs themselves: each distinct spelling in the input is read once by ``_ndc`` and
looked up in the crosswalks here (``drug_keys``), and the lines join that table by spelling and crosswalk.

Reasons (a line with any is ``invalid``), in this order: malformed_code, no_release (no release loaded at
all), not_yet_effective, unknown_code, terminated, unknown_modifier, terminated_modifier, pair_conflict.
Warnings: not_payable (coverage I, M or S), statute_excluded (coverage S), noc (a not-otherwise-classified
code by the NOC list of the release's year), noc_inferred (the same by the nearest year's list, where none of
the release's year is loaded), what later releases say about the day, which CMS sets after the fact:
retroactive_termination (a later release gives the code a termination date before the day) and re_added (a
later release says the code was added again, possibly with a new meaning, on or before the day), and
before_first_release: no loaded release was in effect on the day, so the earliest one answers for it (a code
it says was added after the day is not_yet_effective).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from ..model import code_tables
from ..model.periods import Period, hindsight

REASONS = ("malformed_code", "no_release", "not_yet_effective", "unknown_code", "terminated", "unknown_modifier",
           "terminated_modifier", "pair_conflict", "ndc_mismatch")
#: Each warning, in words.
WARNINGS: dict[str, str] = {
    "not_payable": "the coverage code says Medicare does not pay for it (I, M or S)",
    "statute_excluded": "not covered by Medicare statute (coverage S)",
    "noc": "a not-otherwise-classified code: the claim needs a narrative",
    "noc_inferred": "a not-otherwise-classified code by the nearest year's NOC list (none of the release's year is "
                    "loaded): the claim likely needs a narrative",
    "retroactive_termination": "a later release ends the code before this date (CMS set it after the fact)",
    "re_added": "a later release says the code was added again on or before this date, perhaps with a new meaning",
    "before_first_release": "no loaded release was in effect on this date: the earliest loaded release answers for it",
    "ndc_unknown": "no NDC crosswalk of this date lists the NDC (or it is not an NDC): CMS's crosswalk is not every "
                   "drug",
}
_PROCEDURE = re.compile(r"[A-CE-Z][0-9]{4}")
MODIFIERS = 4
#: coverage codes under which Medicare does not pay, and those a statute excludes, from CMS's coverage table
NOT_PAYABLE = code_tables.not_payable()
BY_STATUTE = code_tables.not_payable(by_statute=True)
END_OF_TIME = dt.date(9999, 12, 31)


def with_hindsight(periods: Sequence[Period]) -> list[Period]:
    """Each period with what the later releases of its code say (``later_termination``, ``re_added_on``): the
    earliest dates of ``hindsight``; a line's date is held against them by ``check_line`` and the SQL."""
    by_code: dict[str, list[Period]] = {}
    for period in periods:
        by_code.setdefault(period.code, []).append(period)
    found: list[Period] = []
    for same in by_code.values():
        same.sort(key=lambda p: p.valid_from)
        for index, period in enumerate(same):
            said = hindsight(period, same[index + 1:])
            # most records have nothing later to add: keep them as they are (replace costs ~8 us each)
            found.append(replace(period, later_termination=said.earliest_end(),
                                 re_added_on=said.earliest_re_added()) if said else period)
    return found


@dataclass(slots=True)
class Reference:
    """What validation needs from the database, the same for every engine."""

    periods: list[Period]
    rules: list[tuple[str, str, str]]
    spans: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)
    by_code: dict[str, list[Period]] = field(default_factory=dict)
    firsts: dict[str, Period] = field(default_factory=dict)
    rule_map: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: CMS's NDC crosswalks (quarter, the day it took effect), oldest first
    crosswalks: list[tuple[str, dt.date]] = field(default_factory=list)
    #: (quarter, NDC in 5-4-2, code, billing units per package) of every crosswalk
    ndcs: list[tuple[str, str, str, float]] = field(default_factory=list)
    ndc_map: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """``spans`` (each release's dates in effect) may be given; by default they are read off the periods,
        which is right when the periods are those of every code."""
        self.periods = with_hindsight(self.periods)
        for period in self.periods:
            self.by_code.setdefault(period.code, []).append(period)
            self.firsts.setdefault(period.code, period)
        seen = set(self.spans) or {(p.release_id, p.valid_from, p.valid_to) for p in self.periods}
        self.spans = sorted(seen, key=lambda s: s[1])
        for release_id, code, other in self.rules:
            self.rule_map.setdefault((release_id, code), []).append(other)
        for quarter, ndc, code, per_package in self.ndcs:
            self.ndc_map.setdefault((quarter, ndc), {})[code] = per_package

    def crosswalk_on(self, day: dt.date) -> str | None:
        """The NDC crosswalk of a day: the latest that took effect on or before it, else the earliest."""
        earlier = [quarter for quarter, start in self.crosswalks if start <= day]
        return earlier[-1] if earlier else (self.crosswalks[0][0] if self.crosswalks else None)

    def before_first(self, day: dt.date) -> bool:
        """Whether the day is before the first release took effect (the earliest release answers for it)."""
        return bool(self.spans) and day < self.spans[0][1]

    def release_on(self, day: dt.date) -> str | None:
        """The release in effect on the day; before the first release, the first one."""
        day = max(day, self.spans[0][1]) if self.spans else day
        for release_id, start, end in self.spans:
            if start <= day < end:
                return release_id
        return None

    def period(self, code: str, day: dt.date, kind: str) -> Period | None:
        """The code's record in the release in effect on the day (before the first release: in the first)."""
        day = max(day, self.spans[0][1]) if self.spans else day
        for period in self.by_code.get(code, ()):
            if period.kind == kind and period.valid_from <= day < period.valid_to:
                return period
        return None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A line's result: ``valid`` or ``invalid``, its reasons and warnings (codes with messages)."""

    status: str
    reasons: tuple[str, ...]
    messages: tuple[str, ...]
    warnings: tuple[str, ...]
    #: where the line gave an NDC: the NDC in 5-4-2 (``None`` where it is not one) and, with units, the
    #: billing units (units times the crosswalk's billing units per package)
    ndc: str | None = None
    ndc_given: bool = False
    billing_units: float | None = None


def normalise_code(text: str | None) -> str:
    return (text or "").strip().upper()


def check_line(ref: Reference, code_text: str | None, day: dt.date, modifiers: Sequence[str | None] = (),
               claim_codes: Collection[str] = (), ndc: str | None = None, units: str | float | None = None
               ) -> Verdict:
    """The verdict on one claim line; ``claim_codes`` are the codes of the claim's other lines; ``ndc`` the drug
    package billed (any spelling) and ``units`` how many packages."""
    code = normalise_code(code_text)
    found: list[tuple[str, str]] = []
    warnings: list[str] = []
    release = ref.release_on(day)
    when = day.isoformat()
    if not _PROCEDURE.fullmatch(code):
        found.append(("malformed_code", f"{code} is not a Level II procedure code"))
    elif release is None:
        found.append(("no_release", f"no loaded release is in effect on {when}"))
    else:
        period = ref.period(code, day, "procedure")
        first = ref.firsts.get(code)
        if period is None:
            if first is not None and first.valid_from > day:
                found.append(("not_yet_effective",
                              f"{code} is not yet in effect on {when}: first in release {first.release_id}"))
            else:
                found.append(("unknown_code", f"{code} is not in release {release}"))
        elif period.added_date is not None and period.added_date > day:
            found.append(("not_yet_effective",
                          f"{code} is not yet in effect on {when}: added {period.added_date.isoformat()}"))
        elif period.termination_date is not None and period.termination_date < day:
            replaced = f"; replaced by {period.replacements}" if period.replacements else ""
            found.append(("terminated", f"{code} was terminated on {period.termination_date.isoformat()}{replaced}"))
        if period is not None:
            if period.coverage in NOT_PAYABLE:
                warnings.append("not_payable")
            if period.coverage in BY_STATUTE:
                warnings.append("statute_excluded")
            if period.noc:
                warnings.append("noc")
            if period.noc_inferred:
                warnings.append("noc_inferred")
            ended_since = period.termination_date is not None and period.termination_date < day
            if period.later_termination is not None and period.later_termination < day and not ended_since:
                warnings.append("retroactive_termination")
            if period.re_added_on is not None and period.re_added_on <= day:
                warnings.append("re_added")
    if release is not None:
        for text in list(modifiers)[:MODIFIERS]:
            modifier = normalise_code(text)
            if not modifier:
                continue
            period = ref.period(modifier, day, "modifier")
            if period is None:
                found.append(("unknown_modifier", f"modifier {modifier} is not in release {release}"))
            elif period.termination_date is not None and period.termination_date < day:
                found.append(("terminated_modifier",
                              f"modifier {modifier} was terminated on {period.termination_date.isoformat()}"))
        if _PROCEDURE.fullmatch(code):
            period = ref.period(code, day, "procedure")
            others = ref.rule_map.get((period.release_id, code), []) if period else []
            clash = sorted(o for o in others if o in claim_codes)
            if clash:
                found.append(("pair_conflict", f"{code} is not to be billed with {clash[0]} on the same claim"))
        if ref.before_first(day):
            warnings.append("before_first_release")
    given = ndc is not None and bool(ndc.strip())
    package, billing = _check_ndc(ref, code, day, ndc, units, found, warnings) if given else (None, None)
    order = {r: i for i, r in enumerate(REASONS)}
    found.sort(key=lambda r: order[r[0]])
    return Verdict("invalid" if found else "valid", tuple(r for r, _ in found), tuple(m for _, m in found),
                   tuple(warnings), package, given, billing)


def _check_ndc(ref: Reference, code: str, day: dt.date, text: str | None, units: str | float | None,
               found: list[tuple[str, str]], warnings: list[str]) -> tuple[str | None, float | None]:
    """The NDC's checks (``ndc_mismatch``, ``ndc_unknown``): its 5-4-2 form and the line's billing units."""
    from ..model.identifiers import ndc_or_none

    ndc = ndc_or_none(text or "")
    quarter = ref.crosswalk_on(day)
    codes = ref.ndc_map.get((quarter, ndc)) if quarter is not None and ndc is not None else None
    if codes is None:
        warnings.append("ndc_unknown")
        return ndc, None
    if code not in codes:
        if _PROCEDURE.fullmatch(code):
            found.append(("ndc_mismatch", mismatch_message(ndc or "", codes, quarter or "") + code))
        return ndc, None
    try:
        count = float(units) if units is not None and str(units).strip() else None
    except ValueError:
        count = None
    return ndc, count * codes[code] if count is not None else None


def mismatch_message(ndc: str, codes: Collection[str], quarter: str) -> str:
    """The message of ``ndc_mismatch`` up to the line's code, which follows."""
    return f"NDC {ndc} bills under {', '.join(sorted(codes))} in the NDC crosswalk of {quarter}, not "




















