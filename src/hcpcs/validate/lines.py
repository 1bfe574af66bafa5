"""Validating claim lines: was each line's code (and modifiers) valid on its date of service?

One specification, three paths that must agree: ``check_line`` (Python, one line), and the same rules as
SQL (``CORE_SQL``) run by DuckDB over a file, or by Spark. The SQL uses only what both engines share
(joins, CASE, ``concat_ws``), over tables the engines build from the same reference data:

    lines(line, claim_id, code, day, code_ok, m1, m2, m3, m4)   the input, normalised
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

import bisect
import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

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
_COVERAGE = {"I": "Not payable by Medicare", "M": "Non-covered by Medicare", "S": "Non-covered by Medicare statute"}
END_OF_TIME = dt.date(9999, 12, 31)


@dataclass(frozen=True, slots=True)
class Period:
    code: str
    kind: str
    release_id: str
    valid_from: dt.date
    valid_to: dt.date
    added_date: dt.date | None
    termination_date: dt.date | None
    coverage: str | None
    replacements: str
    noc: bool
    #: The earliest termination date a later release gives the code, where it differs from this record's.
    later_termination: dt.date | None = None
    #: The earliest added date a later release gives the code after this record's own: the code re-added.
    re_added_on: dt.date | None = None
    #: NOC by the nearest year's list, where no list of the release's year is loaded (``noc`` is then false)
    noc_inferred: bool = False


def with_hindsight(periods: Sequence[Period]) -> list[Period]:
    """Each period with what the later releases of its code say (``later_termination``, ``re_added_on``)."""
    by_code: dict[str, list[Period]] = {}
    for period in periods:
        by_code.setdefault(period.code, []).append(period)
    found: list[Period] = []
    for same in by_code.values():
        same.sort(key=lambda p: p.valid_from)
        for index, period in enumerate(same):
            later = same[index + 1:]
            ended = [p.termination_date for p in later
                     if p.termination_date is not None and p.termination_date != period.termination_date]
            added = [p.added_date for p in later if p.added_date is not None and period.added_date is not None
                     and p.added_date > period.added_date]
            # most records have nothing later to add: keep them as they are (replace costs ~8 us each)
            found.append(replace(period, later_termination=min(ended, default=None),
                                 re_added_on=min(added, default=None)) if ended or added else period)
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
            if period.coverage in _COVERAGE:
                warnings.append("not_payable")
            if period.coverage == "S":
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
            found.append(("ndc_mismatch", _mismatch(ndc or "", codes, quarter or "") + code))
        return ndc, None
    try:
        count = float(units) if units is not None and str(units).strip() else None
    except ValueError:
        count = None
    return ndc, count * codes[code] if count is not None else None


def _mismatch(ndc: str, codes: Collection[str], quarter: str) -> str:
    """The message of ``ndc_mismatch`` up to the line's code, which follows."""
    return f"NDC {ndc} bills under {', '.join(sorted(codes))} in the NDC crosswalk of {quarter}, not "


def ndc_width(ref: Reference) -> int:
    """The most codes one NDC bills under in one crosswalk (``drug_keys`` has that many code columns)."""
    return max((len(codes) for codes in ref.ndc_map.values()), default=1)


def drug_key_columns(width: int) -> dict[str, str]:
    """The columns of ``drug_keys`` and their kinds (as ``REFERENCE_COLUMNS``)."""
    columns = {"crosswalk": "text", "ndc_raw": "text", "ndc": "text", "mismatch": "text"}
    for n in range(1, width + 1):
        columns |= {f"code{n}": "text", f"per_package{n}": "double"}
    return columns


def drug_keys(ref: Reference, spellings: Mapping[str, tuple[dt.date, dt.date]]) -> dict[str, list[Any]]:
    """The table ``drug_keys`` column by column, from the input's NDC spellings (each as written, with the first
    and last date of service it is written on): each spelling under each crosswalk those dates reach.

    A row holds the NDC in 5-4-2 (``''`` where the spelling is no NDC); where the crosswalk lists it, the
    message of ``ndc_mismatch`` up to the line's code and the NDC's codes with their billing units per package
    (else NULL: ``ndc_unknown``). Blank spellings have no row: their lines give no NDC. With no crosswalk
    loaded, every spelling has one row under the crosswalk ``''``. The lines' crosswalk comes from
    ``core_sql``'s CASE, by the same rule as ``Reference.crosswalk_on``.
    """
    from ..model.identifiers import ndc_or_none

    width = ndc_width(ref)
    ordered = sorted(ref.crosswalks, key=lambda c: c[1])
    quarters = [quarter for quarter, _ in ordered] or [""]
    starts = [start for _, start in ordered]

    def index_on(day: dt.date) -> int:  # Reference.crosswalk_on, as a position in ``quarters``
        return max(bisect.bisect_right(starts, day) - 1, 0)

    table: dict[str, list[Any]] = {name: [] for name in drug_key_columns(width)}
    for raw, (first, last) in spellings.items():
        if not raw.strip():
            continue
        ndc = ndc_or_none(raw)
        for quarter in quarters[index_on(first):index_on(last) + 1]:
            codes = ref.ndc_map.get((quarter, ndc), {}) if ndc is not None else {}
            listed: list[tuple[str | None, float | None]] = [*sorted(codes.items())]
            listed += [(None, None)] * (width - len(listed))
            row: list[Any] = [quarter, raw, ndc or "", _mismatch(ndc or "", codes, quarter) if codes else None]
            row += [value for pair in listed for value in pair]
            for column, value in zip(table.values(), row, strict=True):
                column.append(value)
    return table


#: The shared rules as SQL. Only joins, CASE and concat_ws: the same text runs on DuckDB and Spark.
CORE_SQL = """
WITH lined AS (
  SELECT l.*, {in_effect} AS in_effect{crosswalk} FROM lines l
),
ruled AS (  -- read from the lines again, not from "lined": a second reader would make the engine store it all
  SELECT DISTINCT l.claim_id, l.code, {in_effect} AS in_effect FROM lines l
  WHERE l.claim_id IS NOT NULL AND (l.code IN (SELECT code FROM rules) OR l.code IN (SELECT other FROM rules))
),
clashes AS (
  SELECT a.claim_id, a.code, a.in_effect, min(r.other) AS other
  FROM ruled a
  JOIN rules r ON r.release_id = a.in_effect AND r.code = a.code
  JOIN (SELECT DISTINCT claim_id, code FROM ruled) y ON y.claim_id = a.claim_id AND y.code = r.other
  GROUP BY a.claim_id, a.code, a.in_effect
),
judged AS (
  SELECT l.line, l.claim_id, l.code, l.day, l.m1, l.m2, l.m3, l.m4,
    CASE
      WHEN NOT l.code_ok THEN concat_ws('', l.code, ' is not a Level II procedure code')
      WHEN l.in_effect IS NULL THEN concat_ws('', 'no loaded release is in effect on ', CAST(l.day AS @TEXT@))
      WHEN p.code IS NULL AND f.first_from > l.day THEN concat_ws('', l.code, ' is not yet in effect on ',
        CAST(l.day AS @TEXT@), ': first in release ', f.first_release)
      WHEN p.code IS NULL THEN concat_ws('', l.code, ' is not in release ', l.in_effect)
      WHEN p.added_date > l.day THEN concat_ws('', l.code, ' is not yet in effect on ', CAST(l.day AS @TEXT@),
        ': added ', CAST(p.added_date AS @TEXT@))
      WHEN p.termination_date < l.day THEN concat_ws('', l.code, ' was terminated on ',
        CAST(p.termination_date AS @TEXT@), CASE WHEN p.replacements <> '' THEN '; replaced by ' END,
        CASE WHEN p.replacements <> '' THEN p.replacements END)
    END AS code_message,
    CASE
      WHEN NOT l.code_ok THEN 'malformed_code'
      WHEN l.in_effect IS NULL THEN 'no_release'
      WHEN p.code IS NULL AND f.first_from > l.day THEN 'not_yet_effective'
      WHEN p.code IS NULL THEN 'unknown_code'
      WHEN p.added_date > l.day THEN 'not_yet_effective'
      WHEN p.termination_date < l.day THEN 'terminated'
    END AS code_reason,
    {modifier_checks}
    CASE WHEN x.other IS NOT NULL AND l.code_ok AND l.in_effect IS NOT NULL THEN concat_ws('', l.code,
      ' is not to be billed with ', x.other, ' on the same claim') END AS clash_message,{ndc_columns}
    concat_ws(';',
      CASE WHEN p.coverage IN ('I', 'M', 'S') THEN 'not_payable' END,
      CASE WHEN p.coverage = 'S' THEN 'statute_excluded' END,
      CASE WHEN p.noc THEN 'noc' END,
      CASE WHEN p.noc_inferred THEN 'noc_inferred' END,
      CASE WHEN p.later_termination < l.day AND (p.termination_date IS NULL OR p.termination_date >= l.day)
        THEN 'retroactive_termination' END,
      CASE WHEN p.re_added_on <= l.day THEN 're_added' END,
      CASE WHEN {before_first} THEN 'before_first_release' END{ndc_warning}) AS warnings
  FROM lined l
  LEFT JOIN periods p ON p.release_id = l.in_effect AND p.code = l.code AND p.kind = 'procedure'
  LEFT JOIN firsts f ON f.code = l.code
  {modifier_joins}
  LEFT JOIN clashes x ON x.claim_id = l.claim_id AND x.code = l.code AND x.in_effect = l.in_effect{ndc_joins}
)
SELECT line, claim_id, code, day AS date, concat_ws(' ', m1, m2, m3, m4) AS modifiers,
  CASE WHEN ok THEN 'valid' ELSE 'invalid' END AS status,
  CASE WHEN ok THEN '' ELSE concat_ws(';', code_reason, {modifier_reasons},
    CASE WHEN clash_message IS NOT NULL THEN 'pair_conflict' END{ndc_reason}) END AS reasons,
  CASE WHEN ok THEN '' ELSE concat_ws(' | ', code_message, {modifier_messages}, clash_message{ndc_message}) END
    AS messages,
  warnings{ndc_output}
FROM (SELECT *, code_reason IS NULL {no_modifier_problem} AND clash_message IS NULL{ndc_ok} AS ok FROM judged) j
"""


def _modifier_sql() -> dict[str, str]:
    checks, joins, reasons, messages, none = [], [], [], [], []
    for n in range(1, MODIFIERS + 1):
        m, q = f"l.m{n}", f"q{n}"
        joins.append(f"LEFT JOIN periods {q} ON {q}.release_id = l.in_effect AND {q}.code = {m} "
                     f"AND {q}.kind = 'modifier'")
        checks.append(
            f"CASE WHEN {m} IS NULL OR l.in_effect IS NULL THEN NULL "
            f"WHEN {q}.code IS NULL THEN 'unknown_modifier' "
            f"WHEN {q}.termination_date < l.day THEN 'terminated_modifier' END AS m{n}_reason,\n    "
            f"CASE WHEN {m} IS NULL OR l.in_effect IS NULL THEN NULL "
            f"WHEN {q}.code IS NULL THEN concat_ws('', 'modifier ', {m}, ' is not in release ', l.in_effect) "
            f"WHEN {q}.termination_date < l.day THEN concat_ws('', 'modifier ', {m}, ' was terminated on ', "
            f"CAST({q}.termination_date AS @TEXT@)) END AS m{n}_message,")
        none.append(f"AND m{n}_reason IS NULL")
    # reasons in the spec's order: every unknown_modifier before any terminated_modifier
    reasons.append(", ".join(f"CASE WHEN m{n}_reason = 'unknown_modifier' THEN m{n}_reason END"
                             for n in range(1, MODIFIERS + 1)))
    reasons.append(", ".join(f"CASE WHEN m{n}_reason = 'terminated_modifier' THEN m{n}_reason END"
                             for n in range(1, MODIFIERS + 1)))
    messages.append(", ".join(f"CASE WHEN m{n}_reason = 'unknown_modifier' THEN m{n}_message END"
                              for n in range(1, MODIFIERS + 1)))
    messages.append(", ".join(f"CASE WHEN m{n}_reason = 'terminated_modifier' THEN m{n}_message END"
                              for n in range(1, MODIFIERS + 1)))
    return {"modifier_checks": "\n    ".join(checks), "modifier_joins": "\n  ".join(joins),
            "modifier_reasons": ", ".join(reasons), "modifier_messages": ", ".join(messages),
            "no_modifier_problem": " ".join(none)}


def _ndc_sql(width: int) -> dict[str, str]:
    """The NDC checks, added to the shared SQL where the lines carry an NDC: one join to ``drug_keys`` by the
    NDC as written and the crosswalk of the line's date, then the line's code among the NDC's codes."""
    listed = " OR ".join(f"l.code = k.code{n}" for n in range(1, width + 1))
    per_package = " ".join(f"WHEN l.code = k.code{n} THEN k.per_package{n}" for n in range(1, width + 1))
    return {
        "ndc_columns": f"""
    k.ndc,
    CASE WHEN k.mismatch IS NOT NULL AND l.code_ok AND NOT coalesce({listed}, FALSE)
      THEN concat_ws('', k.mismatch, l.code) END AS ndc_message,
    l.units * CASE {per_package} END AS billing_units,""",
        "ndc_warning": ",\n      CASE WHEN k.ndc IS NOT NULL AND k.mismatch IS NULL THEN 'ndc_unknown' END",
        "ndc_joins": "\n  LEFT JOIN drug_keys k ON k.crosswalk = l.crosswalk AND k.ndc_raw = l.ndc_raw",
        "ndc_reason": ", CASE WHEN ndc_message IS NOT NULL THEN 'ndc_mismatch' END",
        "ndc_message": ", ndc_message",
        "ndc_output": ", ndc, billing_units",  # ndc: NULL where the line gives none
        "ndc_ok": " AND ndc_message IS NULL",
    }


def core_sql(spans: Sequence[tuple[str, dt.date, dt.date]], text: str = "VARCHAR",
             crosswalks: Sequence[tuple[str, dt.date]] | None = None, ndc_width: int = 1) -> str:
    """The shared SQL, with the engine's name for a text type (DuckDB VARCHAR, Spark STRING); with
    ``crosswalks`` (the lines carry an NDC), the NDC checks too, over ``drug_keys`` of ``ndc_width`` codes.

    The release in effect on a line's date is a CASE over the releases' start dates (a handful), so
    every join after it is on equal keys: no range join, and the lines keep their order. Before the first
    release took effect, the first one answers (with the warning before_first_release). The crosswalk of a
    line's date is a CASE the same way ('' where none is loaded, as in ``drug_keys``).
    """
    ordered = sorted(spans, key=lambda s: s[1], reverse=True)
    cases = " ".join(f"WHEN l.day >= DATE '{start.isoformat()}' THEN '{rid}'" for rid, start, _ in ordered)
    in_effect = f"CASE {cases} ELSE '{ordered[-1][0]}' END" if ordered else "CAST(NULL AS @TEXT@)"
    before_first = f"l.day < DATE '{ordered[-1][1].isoformat()}'" if ordered else "FALSE"
    ndc = dict.fromkeys(_ndc_sql(1), "")
    crosswalk = ""
    if crosswalks is not None:
        ndc = _ndc_sql(ndc_width)
        latest = sorted(crosswalks, key=lambda c: c[1], reverse=True)
        steps = " ".join(f"WHEN l.day >= DATE '{start.isoformat()}' THEN '{quarter}'" for quarter, start in latest)
        crosswalk = f", CASE {steps} ELSE '{latest[-1][0]}' END AS crosswalk" if latest else ", '' AS crosswalk"
    return CORE_SQL.format(**_modifier_sql(), **ndc, in_effect=in_effect, before_first=before_first,
                           crosswalk=crosswalk).replace("@TEXT@", text)


#: The reference tables' columns and types, for every engine to declare them the same way.
REFERENCE_COLUMNS: dict[str, dict[str, str]] = {
    "spans": {"release_id": "text", "valid_from": "date", "valid_to": "date"},
    "periods": {"code": "text", "kind": "text", "release_id": "text", "valid_from": "date", "valid_to": "date",
                "added_date": "date", "termination_date": "date", "coverage": "text", "replacements": "text",
                "noc": "boolean", "later_termination": "date", "re_added_on": "date", "noc_inferred": "boolean"},
    "firsts": {"code": "text", "first_release": "text", "first_from": "date"},
    "rules": {"release_id": "text", "code": "text", "other": "text"},
}


def reference_columns(ref: Reference) -> dict[str, dict[str, list[Any]]]:
    """The reference tables column by column (the cheapest form to hand an engine)."""
    periods = ref.periods
    return {
        "spans": {"release_id": [r for r, _, _ in ref.spans], "valid_from": [a for _, a, _ in ref.spans],
                  "valid_to": [b for _, _, b in ref.spans]},
        "periods": {name: [getattr(p, name) for p in periods] for name in REFERENCE_COLUMNS["periods"]},
        "firsts": {"code": list(ref.firsts), "first_release": [p.release_id for p in ref.firsts.values()],
                   "first_from": [p.valid_from for p in ref.firsts.values()]},
        "rules": {"release_id": [r for r, _, _ in ref.rules], "code": [c for _, c, _ in ref.rules],
                  "other": [o for _, _, o in ref.rules]},
    }


def reference_rows(ref: Reference) -> dict[str, list[tuple[Any, ...]]]:
    """The reference tables as rows, in ``REFERENCE_COLUMNS`` order."""
    return {name: list(zip(*columns.values(), strict=True)) for name, columns in reference_columns(ref).items()}
