"""The facade's base: a handle on one database, its releases, and codes as a release or a day shows them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from .._errors import NotFound, UsageError
from ..model.answers import Code, Coded, RelatedCode, Release
from ..model.code_tables import BUILTIN_YEAR, CodeTables, Decoder, builtin, preference
from ..model.drugs import CodeDrugs
from ..model.identifiers import check_release_id, codes_named_in, parse_code, parse_day
from ..model.layout import FIELDS, FIELDS_BY_NAME
from ..model.periods import hindsight
from ..search.query import Vocabulary
from ..store import RecordRow, Store
from ..validate.lines import Reference
from .drug_files import code_drugs


class HandleBase:
    """What every part of the facade stands on: the store, releases, and reading codes."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._vocabulary: Vocabulary | None = None
        self._reference: tuple[int, Reference] | None = None
        self._seen_version: int | None = None
        #: each release's decoder, and each year's record layout, while the loaded layouts stay the same
        self._decoders: dict[str, Decoder] = {}
        self._layouts: dict[int, CodeTables] = {}
        self._layouts_seen: dict[int, str] | None = None

    @property
    def path(self) -> Path:
        return self._store.path

    def close(self) -> None:
        self._store.close()

    def data_version(self) -> int:
        """Changes when another process loads into the database: cached answers are then stale."""
        version = self._store.data_version()
        if self._seen_version is not None and version != self._seen_version:
            self._vocabulary = None
        self._seen_version = version
        return version

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def releases(self) -> list[Release]:
        """Every loaded release, oldest first."""
        return self._store.releases()

    def release(self, release_id: str | None = None) -> Release:
        """One release by id (``2020-04``; ``2020`` means ``2020-01``), or the latest."""
        if release_id is None:
            ids = self._store.release_ids()
            if not ids:
                raise NotFound(f"no releases loaded in {self.path}: run hcpcs load PATH")
            release_id = ids[-1]
        wanted = check_release_id(release_id)
        found = self._store.release(wanted)
        if found is None:
            known = ", ".join(self._store.release_ids()) or "none"
            raise NotFound(f"release {wanted} is not loaded (loaded: {known})")
        return found

    def release_on(self, day: dt.date | str) -> Release:
        """The release in effect on a day: the latest that took effect on or before it."""
        when = parse_day(day, "date")
        known = self.releases()
        if not known:
            raise NotFound(f"no releases loaded in {self.path}: run hcpcs load PATH")
        in_effect = [r for r in known if r.effective_date <= when]
        if not in_effect:
            first = known[0]
            raise NotFound(f"no loaded release was in effect on {when.isoformat()}: the earliest, {first.id}, "
                           f"took effect on {first.effective_date.isoformat()}")
        return in_effect[-1]

    def first_release_note(self, day: dt.date) -> str | None:
        """For a day before the first loaded release took effect: that the earliest release answers for it."""
        known = self._store.releases()
        if not known or known[0].effective_date <= day:
            return None
        return (f"no loaded release was in effect on {day.isoformat()}: the earliest loaded release, "
                f"{known[0].id} (in effect from {known[0].effective_date.isoformat()}), answers for it")

    def record_layout(self, release: str | None = None) -> CodeTables:
        """The record layout whose code tables and field definitions decode a release (the latest by default):
        the layout of its year where one is loaded, else the nearest earlier one, else the nearest later one;
        CMS's 2019 layout, shipped with hcpcs, stands in for a 2019 one."""
        return self._decoder(self.release(release)).tables

    def _decoder(self, release: Release) -> Decoder:
        loaded = self._store.layout_fingerprints()
        if loaded != self._layouts_seen:  # a layout loaded or replaced since (by this handle or another)
            self._decoders, self._layouts, self._layouts_seen = {}, {}, loaded
        found = self._decoders.get(release.id)
        if found is None:
            order = preference({*loaded, BUILTIN_YEAR}, release.year)
            found = Decoder(release.id, release.year, self._layout_of(order[0]),
                            lambda: [self._layout_of(year) for year in order[1:]])
            self._decoders[release.id] = found
        return found

    def _layout_of(self, year: int) -> CodeTables:
        if year not in self._layouts:
            stored = self._store.layout(year)
            if stored is None:
                self._layouts[year] = builtin()
            else:
                layout, files = stored
                named = [f for f in files if f.role == "record_layout"] or files
                source = (named[0].member or named[0].name) if named else f"record layout {year}"
                self._layouts[year] = CodeTables(year, source.replace("\\", "/").rpartition("/")[2], layout)
        return self._layouts[year]

    def _noc_list(self, year: int) -> tuple[int | None, str | None]:
        """The NOC list that flags the codes of a release year, and how: ``(year, None)`` for the list of that
        year; ``(other, note)`` where the nearest list stands in (the note says so); ``(None, note)``
        where no list is loaded."""
        order = preference(self._store.noc_years(), year)
        if not order:
            return None, f"no NOC list loaded for {year}"
        if order[0] == year:
            return year, None
        return order[0], f"inferred from CMS's {order[0]} NOC list: no NOC list loaded for {year}"

    def get(self, code: str, *, release: str | None = None, as_of: dt.date | str | None = None) -> Code:
        """One code as it stands in a release (the latest by default), every field decoded.

        ``as_of`` (a date of service) picks the latest release in effect on that day; a code terminated
        before the day comes back with ``status == "Terminated"``; one not yet added raises ``NotFound``.
        Raises ``CodeError`` for a malformed code and ``NotFound`` (with near codes) for an unknown one.
        """
        wanted = parse_code(code)
        if as_of is not None:
            if release is not None:
                raise UsageError("give a release or an as-of date, not both")
            return self._as_of(wanted, parse_day(as_of, "as-of date"))
        rel = self.release(release)
        row = self._store.record(wanted, rel.id)
        if row is None:
            raise self._not_in(wanted, rel)
        return self._code(row, rel)

    def _not_in(self, code: str, release: Release) -> NotFound:
        elsewhere = self._store.releases_with(code)
        near = tuple(self._store.neighbours(code, release.id, 3))
        where = f"; it is in release {', '.join(elsewhere)}" if elsewhere else ""
        hint = f"; near codes: {', '.join(near)}" if near else ""
        return NotFound(f"{code} is not in release {release.id}{where}{hint}", suggestions=near)

    def _as_of(self, code: str, day: dt.date) -> Code:
        early = self.first_release_note(day)
        rel = self.releases()[0] if early else self.release_on(day)
        records = self._store.code_records(code)
        row = records.get(rel.id)
        by_id = {r.id: r for r in self.releases()}
        earlier = [r for r in records.values() if by_id[r.release_id].effective_date < rel.effective_date]
        later = [r for r in records.values() if by_id[r.release_id].effective_date > rel.effective_date]
        if row is not None:
            if row.added_date is None or row.added_date <= day:
                return dataclasses.replace(self._code(row, rel, as_of=day), hindsight=_hindsight(row, later, day),
                                           as_of_note=early)
            # in the release, but added after the day
            raise NotFound(f"{code} was not yet in effect on {day.isoformat()}: added "
                           f"{row.added_date.isoformat()} (release {rel.id})" + (f"; {early}" if early else ""))
        if earlier:
            last = earlier[-1]
            if last.termination_date is not None and last.termination_date < day:
                return self._code(last, by_id[last.release_id], as_of=day)
            back = f"; it is back in release {later[0].release_id}" if later else ""
            raise NotFound(f"{code} left CMS's files after release {last.release_id}, without a termination date; "
                           f"it is not in release {rel.id}, in effect on {day.isoformat()}{back}")
        if later:
            first = later[0]
            added = f"added {first.added_date.isoformat()}" if first.added_date else "added later"
            raise NotFound(f"{code} was not yet in effect on {day.isoformat()}: {added} (release {first.release_id})"
                           + (f"; {early}" if early else ""))
        raise self._not_in(code, rel)

    def listing(self, release: str | None = None, *, active_on: dt.date | None = None,
                as_of: dt.date | None = None) -> list[tuple[str, str, bool]]:
        """Every code of a release, in code order: (code, long description, terminated as of ``as_of``).

        ``active_on`` leaves out codes terminated before that day.
        """
        rel = self.release(release)
        day = as_of or rel.effective_date
        return [(r.code, r.long_description or "", r.termination_date is not None and r.termination_date < day)
                for r in self._store.code_list(rel.id, active_on)]

    def crosswalk(self, release: str | None = None) -> list[tuple[str, str, dt.date | None, tuple[str, ...]]]:
        """CMS's cross references of a release (the latest by default), in code order: (code, long description,
        termination date, the codes to use in its place) for every code that names one."""
        rel = self.release(release)
        return [(r.code, r.long_description or "", r.termination_date, r.cross_references)
                for r in self._store.crosswalk(rel.id)]

    def _code(self, row: RecordRow, release: Release, *, as_of: dt.date | None = None) -> Code:
        store = self._store
        note_number = row.text("processing_note")
        note = store.processing_note(note_number, release.id) if note_number else None
        noc_year, noc_note = self._noc_list(release.year)
        decoder = self._decoder(release)
        crossrefs = row.field("cross_reference")
        related_order: list[tuple[str, Any]] = [(c, "cross reference") for c in crossrefs]
        related_order += [(c, "description") for c in codes_named_in(row.long_description)]
        related_order += [(c, "processing note") for c in codes_named_in(note[1] if note else None)]
        seen: dict[str, Any] = {}
        for other, why in related_order:
            if other != row.code and other not in seen:
                seen[other] = why
        shorts = store.short_descriptions(seen, release.id)
        return Code(
            code=row.code,
            kind=row.kind,
            release=release,
            long_description=row.long_description or "",
            short_description=row.short_description,
            pricing_indicators=_coded_all(row, "pricing_indicator", decoder),
            multiple_pricing_indicator=_coded(row, "multiple_pricing_indicator", decoder),
            cim_references=row.field("cim_reference"),
            mcm_references=row.field("mcm_reference"),
            statute=row.text("statute"),
            lab_certifications=_coded_all(row, "lab_certification", decoder),
            cross_references=crossrefs,
            coverage=_coded(row, "coverage", decoder),
            asc_group=_coded(row, "asc_group", decoder),
            asc_effective_date=row.date("asc_effective_date"),
            mog_payment_group=_coded(row, "mog_payment_group", decoder),
            mog_payment_policy=_coded(row, "mog_payment_policy", decoder),
            mog_effective_date=row.date("mog_effective_date"),
            processing_note=note_number,
            processing_note_text=note[1] if note else None,
            betos=_coded(row, "betos", decoder),
            types_of_service=_coded_all(row, "type_of_service", decoder),
            anesthesia_base_units=row.number("anesthesia_base_units"),
            added_date=row.added_date,
            action_effective_date=row.action_effective_date,
            termination_date=row.termination_date,
            action=_coded(row, "action_code", decoder),
            noc=store.in_noc_list(row.code, noc_year) if noc_year is not None else None,
            noc_list_year=noc_year,
            noc_note=noc_note,
            related=tuple(RelatedCode(c, why, shorts.get(c)) for c, why in seen.items()),
            corrections=tuple(store.corrections(code=row.code, year=release.year)),
            transaction_report=store.report_entry(row.code, release.id),
            values=dict(row.values),
            source=_code_source(release),
            line=row.source_line,
            as_of=as_of,
            layout_year=decoder.tables.year,
            layout_source=decoder.tables.source + (", built into hcpcs" if decoder.tables.builtin else ""),
            layout_note=decoder.note,
            meanings={column: found for f in _CODED for column in f.columns
                      if row[column] and (found := decoder.meaning(f.code_table, str(row[column])))},
            definitions=decoder.definitions(),
            drugs=_drugs(store, row.code, as_of or release.effective_date),
        )


def _drugs(store: Store, code: str, day: dt.date) -> CodeDrugs | None:
    found = code_drugs(store, code, day)
    return None if found.empty else found


def _hindsight(row: RecordRow, later: list[RecordRow], day: dt.date) -> tuple[str, ...]:
    """What releases published after the one in effect say about the day (``hindsight``), in words: each fact
    once, from the first later release that gives it."""
    said = hindsight(row, later).on(day)
    facts: dict[str, str] = {}
    for other in later:
        if other in said.ended:
            assert other.termination_date is not None
            facts.setdefault(f"gives a termination date of {other.termination_date.isoformat()}, before this date",
                             other.release_id)
        if other in said.re_added:
            assert other.added_date is not None
            meaning = " with a new meaning" if other.long_description != row.long_description else ""
            facts.setdefault(f"says the code was re-added on {other.added_date.isoformat()}{meaning}",
                             other.release_id)
    return tuple(f"from release {rid} on, CMS {fact}" for fact, rid in facts.items())


#: The fields CMS's code tables decode.
_CODED = tuple(f for f in FIELDS if f.code_table)


def _coded(row: RecordRow, name: str, decoder: Decoder) -> Coded | None:
    field_ = FIELDS_BY_NAME[name]
    value = row.text(field_.name)
    return Coded(value, decoder.meaning(field_.code_table, value)) if value else None


def _coded_all(row: RecordRow, name: str, decoder: Decoder) -> tuple[Coded, ...]:
    field_ = FIELDS_BY_NAME[name]
    return tuple(Coded(v, decoder.meaning(field_.code_table, v)) for v in row.field(name))


def _code_source(release: Release) -> str:
    for wanted in ("codes", "codes_spreadsheet"):
        for f in release.files:
            if f.role == wanted:
                return f.display
    return release.id

