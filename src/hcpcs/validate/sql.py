"""The checks of ``lines`` as SQL, for the bulk engines (DuckDB and Spark run the same text): the reference
tables' columns and rows, the NDC keys of the spellings a file holds, and the query."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..model.periods import Period
from .lines import BY_STATUTE, MODIFIERS, NOT_PAYABLE, Reference, mismatch_message


def ndc_width(ref: Reference) -> int:
    """The most codes one NDC bills under in one crosswalk (``drug_keys`` has that many code columns)."""
    return max((len(codes) for codes in ref.ndc_map.values()), default=1)


def drug_key_columns(width: int) -> dict[str, str]:
    """The columns of ``drug_keys`` and their kinds (as ``REFERENCE_COLUMNS``)."""
    columns = {"crosswalk": "integer", "ndc_raw": "text", "ndc": "text", "mismatch": "text"}
    for n in range(1, width + 1):
        columns |= {f"code{n}": "text", f"per_package{n}": "double"}
    return columns


def drug_keys(ref: Reference, spellings: Mapping[str, tuple[dt.date, dt.date]]) -> dict[str, list[Any]]:
    """The table ``drug_keys`` column by column, from the input's NDC spellings (each as written, with the first
    and last date of service it is written on): each spelling under each crosswalk those dates reach.

    A row's crosswalk is the quarter's place among the crosswalks, oldest first (0 where none is loaded): the
    lines join on a small integer, not on the quarter's name. It holds the NDC in 5-4-2 (``''`` where the
    spelling is no NDC); where the crosswalk lists it, the message of ``ndc_mismatch`` up to the line's code
    and the NDC's codes with their billing units per package (else NULL: ``ndc_unknown``). Blank spellings
    have no row: their lines give no NDC. With no crosswalk loaded, every spelling has one row under the
    crosswalk 0. The lines' crosswalk comes from
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
        for place in range(index_on(first), index_on(last) + 1):
            quarter = quarters[place]
            codes = ref.ndc_map.get((quarter, ndc), {}) if ndc is not None else {}
            listed: list[tuple[str | None, float | None]] = [*sorted(codes.items())]
            listed += [(None, None)] * (width - len(listed))
            row: list[Any] = [place, raw, ndc or "", mismatch_message(ndc or "", codes, quarter) if codes else None]
            row += [value for pair in listed for value in pair]
            for column, value in zip(table.values(), row, strict=True):
                column.append(value)
    return table


#: The shared rules as SQL. Only joins, CASE and concat_ws: the same text runs on DuckDB and Spark.
CORE_SQL = """
WITH lined AS (
  SELECT l.*, {in_effect} AS in_effect{crosswalk} FROM lines l
),
coded AS (  -- every code under every release, with its record there if any and where it first appears: the
  -- lines find both in one join on (release, code)
  SELECT s.release_id, f.code, p.code AS listed, p.added_date, p.termination_date, p.replacements, p.warned,
    p.later_termination, p.re_added_on, f.first_release, f.first_from
  FROM (SELECT DISTINCT release_id FROM spans) s CROSS JOIN firsts f
  LEFT JOIN periods p ON p.release_id = s.release_id AND p.code = f.code AND p.kind = 'procedure'
),
clashes AS (  -- over "ruled" (RULED_SQL), built before: the lines are read once here. A line's claim_key is its
  -- claim_id where its code is in a pair rule (else it may be NULL: the engine need not read every claim id)
  SELECT a.claim_id, a.code, a.in_effect, min(r.other) AS other
  FROM ruled a
  JOIN rules r ON r.release_id = a.in_effect AND r.code = a.code
  JOIN (SELECT DISTINCT claim_id, code FROM ruled) y ON y.claim_id = a.claim_id AND y.code = r.other
  GROUP BY a.claim_id, a.code, a.in_effect
),
judged AS (  -- a line's verdict; the text of its messages is written at the end, for the invalid lines alone
  SELECT l.line, l.claim_id, l.code, l.day, l.m1, l.m2, l.m3, l.m4, l.in_effect, p.listed, p.first_release,
    p.added_date, p.termination_date, p.replacements,
    CASE
      WHEN NOT l.code_ok THEN 'malformed_code'
      WHEN l.in_effect IS NULL THEN 'no_release'
      WHEN p.listed IS NULL AND p.first_from > l.day THEN 'not_yet_effective'
      WHEN p.listed IS NULL THEN 'unknown_code'
      WHEN p.added_date > l.day THEN 'not_yet_effective'
      WHEN p.termination_date < l.day THEN 'terminated'
    END AS code_reason,
    {modifier_checks}
    CASE WHEN x.other IS NOT NULL AND l.code_ok AND l.in_effect IS NOT NULL THEN concat_ws('', l.code,
      ' is not to be billed with ', x.other, ' on the same claim') END AS clash_message,{ndc_columns}
    concat_ws(';', p.warned,
      CASE WHEN p.later_termination < l.day AND (p.termination_date IS NULL OR p.termination_date >= l.day)
        THEN 'retroactive_termination' END,
      CASE WHEN p.re_added_on <= l.day THEN 're_added' END,
      CASE WHEN {before_first} THEN 'before_first_release' END{ndc_warning}) AS warnings
  FROM lined l
  LEFT JOIN coded p ON p.release_id = l.in_effect AND p.code = l.code
  {modifier_joins}
  LEFT JOIN clashes x ON x.claim_id = l.claim_key AND x.code = l.code AND x.in_effect = l.in_effect{ndc_joins}
)
SELECT line, claim_id, code, day AS date, concat_ws(' ', m1, m2, m3, m4) AS modifiers,
  CASE WHEN ok THEN 'valid' ELSE 'invalid' END AS status,
  CASE WHEN ok THEN '' ELSE concat_ws(';', code_reason, {modifier_reasons},
    CASE WHEN clash_message IS NOT NULL THEN 'pair_conflict' END{ndc_reason}) END AS reasons,
  CASE WHEN ok THEN '' ELSE concat_ws(' | ', CASE code_reason
      WHEN 'malformed_code' THEN concat_ws('', code, ' is not a Level II procedure code')
      WHEN 'no_release' THEN concat_ws('', 'no loaded release is in effect on ', CAST(day AS @TEXT@))
      WHEN 'not_yet_effective' THEN concat_ws('', code, ' is not yet in effect on ', CAST(day AS @TEXT@),
        CASE WHEN listed IS NULL THEN ': first in release ' ELSE ': added ' END,
        CASE WHEN listed IS NULL THEN first_release ELSE CAST(added_date AS @TEXT@) END)
      WHEN 'unknown_code' THEN concat_ws('', code, ' is not in release ', in_effect)
      WHEN 'terminated' THEN concat_ws('', code, ' was terminated on ', CAST(termination_date AS @TEXT@),
        CASE WHEN replacements <> '' THEN '; replaced by ' END, CASE WHEN replacements <> '' THEN replacements END)
    END, {modifier_messages}, clash_message{ndc_message}) END
    AS messages,
  warnings{ndc_output}
FROM (SELECT *, code_reason IS NULL {no_modifier_problem} AND clash_message IS NULL{ndc_ok} AS ok FROM judged) j
"""


#: The table ``ruled``: the claims' lines whose code is in a pair rule (a few), each (claim, code, release in
#: effect) once, from ``{source}`` (claim_id, code, day as ``lines`` has them). The engines build it before the
#: main query (DuckDB in a pass over the input's claim, code and date columns alone), so that the main query
#: reads the input once and keeps nothing of it.
RULED_SQL = """
SELECT DISTINCT l.claim_id, l.code, {in_effect} AS in_effect FROM {source} l
WHERE l.claim_id IS NOT NULL AND (l.code IN (SELECT code FROM rules) OR l.code IN (SELECT other FROM rules))
"""


def ruled_sql(spans: Sequence[tuple[str, dt.date, dt.date]], source: str, text: str = "VARCHAR") -> str:
    """The query of the table ``ruled`` (``RULED_SQL``) over ``source``, with the engine's text type."""
    return RULED_SQL.format(in_effect=_in_effect(spans), source=source).replace("@TEXT@", text)


def ruled_codes(ref: Reference) -> list[str]:
    """The codes pair rules name, either side."""
    return sorted({code for _, code, _ in ref.rules} | {other for _, _, other in ref.rules})


def _in_effect(spans: Sequence[tuple[str, dt.date, dt.date]]) -> str:
    """The release in effect on ``l.day``: a CASE over the releases' start dates (the first before them all)."""
    ordered = sorted(spans, key=lambda s: s[1], reverse=True)
    cases = " ".join(f"WHEN l.day >= DATE '{start.isoformat()}' THEN '{rid}'" for rid, start, _ in ordered)
    return f"CASE {cases} ELSE '{ordered[-1][0]}' END" if ordered else "CAST(NULL AS @TEXT@)"


def _modifier_sql() -> dict[str, str]:
    checks, joins, reasons, messages, none = [], [], [], [], []
    for n in range(1, MODIFIERS + 1):
        m, q = f"l.m{n}", f"q{n}"
        joins.append(f"LEFT JOIN periods {q} ON {q}.release_id = l.in_effect AND {q}.code = {m} "
                     f"AND {q}.kind = 'modifier'")
        checks.append(
            f"CASE WHEN {m} IS NULL OR l.in_effect IS NULL THEN NULL "
            f"WHEN {q}.code IS NULL THEN 'unknown_modifier' "
            f"WHEN {q}.termination_date < l.day THEN 'terminated_modifier' END AS m{n}_reason, "
            f"{q}.termination_date AS m{n}_end,")
        none.append(f"AND m{n}_reason IS NULL")
    # reasons in the spec's order: every unknown_modifier before any terminated_modifier
    reasons.append(", ".join(f"CASE WHEN m{n}_reason = 'unknown_modifier' THEN m{n}_reason END"
                             for n in range(1, MODIFIERS + 1)))
    reasons.append(", ".join(f"CASE WHEN m{n}_reason = 'terminated_modifier' THEN m{n}_reason END"
                             for n in range(1, MODIFIERS + 1)))
    # (the messages' text, for the invalid lines alone)
    messages.append(", ".join(f"CASE WHEN m{n}_reason = 'unknown_modifier' THEN concat_ws('', 'modifier ', m{n}, "
                              "' is not in release ', in_effect) END" for n in range(1, MODIFIERS + 1)))
    messages.append(", ".join(f"CASE WHEN m{n}_reason = 'terminated_modifier' THEN concat_ws('', 'modifier ', "
                              f"m{n}, ' was terminated on ', CAST(m{n}_end AS @TEXT@)) END"
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
    line's date is a CASE the same way, as its place among the crosswalks (0 where none is loaded, as in
    ``drug_keys``).
    """
    in_effect = _in_effect(spans)
    first = min(spans, key=lambda s: s[1], default=None)
    before_first = f"l.day < DATE '{first[1].isoformat()}'" if first else "FALSE"
    ndc = dict.fromkeys(_ndc_sql(1), "")
    crosswalk = ""
    if crosswalks is not None:
        ndc = _ndc_sql(ndc_width)
        # each crosswalk by its place, oldest first, as in drug_keys (of two that start the same day, the later)
        latest = [*reversed(list(enumerate(sorted(start for _, start in crosswalks))))]
        steps = " ".join(f"WHEN l.day >= DATE '{start.isoformat()}' THEN {place}" for place, start in latest)
        crosswalk = f", CASE {steps} ELSE 0 END AS crosswalk" if latest else ", 0 AS crosswalk"
    return CORE_SQL.format(**_modifier_sql(), **ndc, in_effect=in_effect, before_first=before_first,
                           crosswalk=crosswalk).replace("@TEXT@", text)


def warned(period: Period) -> str | None:
    """The warnings a record gives whatever the day (not_payable, statute_excluded, noc, noc_inferred), joined
    by ``;`` as the results write them, else None: the engines join this text instead of testing four columns."""
    found = [name for name, given in (("not_payable", period.coverage in NOT_PAYABLE),
                                      ("statute_excluded", period.coverage in BY_STATUTE),
                                      ("noc", period.noc), ("noc_inferred", period.noc_inferred)) if given]
    return ";".join(found) or None


#: The reference tables' columns and types, for every engine to declare them the same way. A record's columns
#: are those the SQL reads (its coverage and NOC flags reach it as ``warned``): each one more is written and
#: read again on every run.
REFERENCE_COLUMNS: dict[str, dict[str, str]] = {
    "spans": {"release_id": "text", "valid_from": "date", "valid_to": "date"},
    "periods": {"code": "text", "kind": "text", "release_id": "text", "added_date": "date",
                "termination_date": "date", "replacements": "text", "later_termination": "date",
                "re_added_on": "date", "warned": "text"},
    "firsts": {"code": "text", "first_release": "text", "first_from": "date"},
    "rules": {"release_id": "text", "code": "text", "other": "text"},
}


def reference_columns(ref: Reference) -> dict[str, dict[str, list[Any]]]:
    """The reference tables column by column (the cheapest form to hand an engine)."""
    periods = ref.periods
    return {
        "spans": {"release_id": [r for r, _, _ in ref.spans], "valid_from": [a for _, a, _ in ref.spans],
                  "valid_to": [b for _, _, b in ref.spans]},
        "periods": {name: [warned(p) for p in periods] if name == "warned" else [getattr(p, name) for p in periods]
                    for name in REFERENCE_COLUMNS["periods"]},
        "firsts": {"code": list(ref.firsts), "first_release": [p.release_id for p in ref.firsts.values()],
                   "first_from": [p.valid_from for p in ref.firsts.values()]},
        "rules": {"release_id": [r for r, _, _ in ref.rules], "code": [c for _, c, _ in ref.rules],
                  "other": [o for _, _, o in ref.rules]},
    }


def reference_rows(ref: Reference) -> dict[str, list[tuple[Any, ...]]]:
    """The reference tables as rows, in ``REFERENCE_COLUMNS`` order."""
    return {name: list(zip(*columns.values(), strict=True)) for name, columns in reference_columns(ref).items()}
