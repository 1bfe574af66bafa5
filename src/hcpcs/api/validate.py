"""The facade's validation part: claim lines checked against every release."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from .._errors import UsageError
from ..model.identifiers import parse_day
from ..validate.engines import Columns, Summary, validate_duckdb
from ..validate.lines import END_OF_TIME, Reference, Verdict, check_line, normalise_code
from .base import HandleBase
from .drug_files import quarters


class Validating(HandleBase):
    """Claim-line validation: one line, or whole files through DuckDB or Spark."""

    def reference(self) -> Reference:
        """What claim-line validation needs: every record over its release's span, NOC flags, pair rules."""
        version = self.data_version()  # read before building: a load meanwhile leaves the cache stale
        reference = self._built_reference(version)
        if reference is None:
            reference = self._reference_of(None)
            self._reference = (version, reference)
        return reference

    def _built_reference(self, version: int) -> Reference | None:
        """The whole reference, if built at this data version."""
        if self._reference is not None and self._reference[0] == version:
            return self._reference[1]
        return None

    def _reference_of(self, codes: Sequence[str] | None) -> Reference:
        """The reference data of some codes (every code for ``None``), with every release's span."""
        known = self.releases()
        ends = [r.effective_date for r in known[1:]] + [END_OF_TIME] if known else []
        spans = [(r.id, r.effective_date, end) for r, end in zip(known, ends, strict=True)]
        # each release's NOC list: that of its year (noc), else the nearest one, which only infers (noc_inferred)
        noc_lists = {r.id: self._noc_list(r.year) for r in known}
        nocs = {year: self._store.noc_codes(year) for year, _ in noc_lists.values() if year is not None}
        periods = self._store.periods(codes)
        for at, period in enumerate(periods):
            year, inferred = noc_lists[period.release_id]
            if year is not None and period.code in nocs[year]:  # a few hundred a release: the rest stay as read
                periods[at] = replace(period, noc=inferred is None, noc_inferred=inferred is not None)
        rules = [(r.release_id, r.code, r.other) for r in self._store.rules()]
        crosswalks = [(q.quarter, q.effective_from) for q in quarters(self._store) if q.kind == "ndc_crosswalk"]
        ndcs = [(r.quarter, r.ndc, r.code, _units(r.billing_units_per_package))
                for r in self._store.ndc_codes()]
        return Reference(periods, rules, spans, crosswalks=crosswalks, ndcs=ndcs)

    def validate(self, code: str, date: dt.date | str, *, modifiers: Sequence[str] = (),
                 claim_codes: Sequence[str] = (), ndc: str | None = None, units: float | None = None) -> Verdict:
        """One claim line: ``valid``, or ``invalid`` with its reasons; ``claim_codes`` are the codes on the
        claim's other lines (for pair rules); ``ndc`` the drug package billed and ``units`` how many packages
        (``ndc_mismatch``, ``ndc_unknown``, billing units).

        With the whole reference already built (``reference()``, kept per data version) it is used; else
        only the records of this line's codes are read."""
        day = parse_day(date, "date of service")
        others = {normalise_code(c) for c in claim_codes}
        reference = self._built_reference(self.data_version()) or self._reference_of(
            sorted({normalise_code(code), *map(normalise_code, modifiers), *others}))
        return check_line(reference, code, day, modifiers, others, ndc, units)

    def validate_file(self, source: str | Path, output: str | Path, *, engine: str = "duckdb",
                      columns: Columns | None = None, progress: Callable[[float], None] | None = None,
                      ordered: bool = False, echo: bool = True) -> Summary:
        """Validate every line of a .csv or .parquet file into ``output`` (.csv or .parquet).

        Each result row carries its input ``line`` number; ``ordered`` writes them in the input's order
        (DuckDB sorts: more time and memory; Spark always sorts). ``echo=False`` leaves out the input's
        claim id, code, date and modifiers (DuckDB): the results alone, keyed by line number.
        """
        src, out = Path(source), Path(output)
        if src.resolve() == out.resolve():
            raise UsageError("the output file must not be the input file")
        if engine == "duckdb":
            return validate_duckdb(self.reference(), src, out, columns or Columns(), progress, ordered=ordered,
                                   echo=echo)
        if engine == "spark":
            from ..validate.spark import validate_spark

            return validate_spark(self.reference(), src, out, columns or Columns())
        raise UsageError(f"unknown engine {engine!r}: choose duckdb or spark")

    def rules(self, release: str | None = None) -> list[tuple[str, str, str, str]]:
        """The pair rules mined from the descriptions: (release, code, other code, CMS's words)."""
        rid = self.release(release).id if release else None
        return [(r.release_id, r.code, r.other, r.clause) for r in self._store.rules(rid)]


def _units(text: str) -> float:
    """CMS's billing units per package as a number (``0.5``, ``50``); text that is none counts as 0."""
    try:
        return float(text)
    except ValueError:
        return 0.0


