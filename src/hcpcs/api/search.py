"""The facade's search part: ranked search over codes and descriptions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any

from .._errors import NotFound, StoreError, UsageError
from ..model.answers import MatchReason, Release, SearchFilters, SearchHit, SearchResult
from ..model.drugs import Quarter
from ..model.identifiers import CODE_SHAPE, parse_code_filter, parse_day
from ..search.described import Described, described_as
from ..search.query import FILL_ALTERNATIVES, Plan, Vocabulary, did_you_mean, group_query, plan
from ..search.rank import POOL, SOME_POOL, Candidate, Found, Ranker, Scored
from ..store import SearchRow, Store, porter_stems
from .base import HandleBase
from .drug_files import DrugNames, drug_search

#: How many batches of codes are read to fill a page when the index finds codes by a shared stem only.
_BATCHES = 2
#: How many codes with a query's rarest group alone join the candidates.
_RARE = 10
#: How many query readings, index rows, and matches of a query with a description a handle keeps (then starts
#: afresh; matches: those of the queries read longest ago give way, until half are left).
_KEPT_PLANS, _KEPT_MATCHES, _KEPT_ROWS = 4096, 32768, 65536
#: The largest paging offset taken anywhere (far beyond any release's code count; SQLite's integers end at 2**63).
MAX_OFFSET = 1_000_000


class Searching(HandleBase):
    """Ranked search, with the vocabulary learnt from the descriptions."""

    _state: _SearchState | None = None

    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            indexed, learnt = self._store.vocabulary()
            self._vocabulary = Vocabulary.build(indexed, learnt, porter_stems(w for w in indexed if w))
        return self._vocabulary

    def abbreviations(self) -> dict[str, tuple[str, ...]]:
        """The abbreviations learnt from the short descriptions: ``{"inj": ("injection", ...), ...}``."""
        return dict(self.vocabulary().abbreviations)

    def search(self, query: str, *, release: str | None = None, as_of: dt.date | str | None = None,
               limit: int = 20, offset: int = 0, codes: str | None = None, coverage: Sequence[str] = (),
               betos: Sequence[str] = (), pricing_indicator: Sequence[str] = (),
               type_of_service: Sequence[str] = (), noc_only: bool = False,
               include_terminated: bool = False, labeler: str | None = None) -> SearchResult:
        """Ranked search over codes and descriptions: an exact code first, then code-prefix matches,
        then codes matching every word (bm25), filled up with codes matching some words.

        Filters: ``codes`` (a letter, prefix or range such as ``E0100-E0200``), ``coverage``, ``betos``,
        ``pricing_indicator``, ``type_of_service``, ``noc_only``, ``labeler`` (codes with a product of that labeler
        in CMS's NDC crosswalk); terminated codes are left out unless ``include_terminated``. A drug name as sold
        (a brand name in the crosswalk) finds its codes, after exact codes and code prefixes. ``release`` or
        ``as_of`` picks the release (default: the latest).
        """
        text = query if isinstance(query, str) else ""
        if not text.strip():
            raise UsageError("the search query is empty: give words or a code")
        if not 1 <= limit <= 1000 or not 0 <= offset <= MAX_OFFSET:
            raise UsageError(f"limit must be 1 to 1000 and offset 0 to {MAX_OFFSET:,}")
        if as_of is not None and release is not None:
            raise UsageError("give a release or an as-of date, not both")
        day = parse_day(as_of, "as-of date") if as_of is not None else None
        state = self._search_state()
        rel = self.release_on(day) if day is not None else state.release(release, self.release)
        noc_year, noc_note = self._noc_year(rel) if noc_only else (None, None)
        filters = SearchFilters(
            codes=parse_code_filter(codes), coverage=_upper(coverage), betos=_upper(betos),
            pricing_indicator=tuple(pricing_indicator), type_of_service=_upper(type_of_service),
            noc_year=noc_year,
            active_on=None if include_terminated else (day or rel.effective_date),
        )
        drugs = drug_search(self._store, text, day or rel.effective_date, labeler, state.drug_names, state.quarters())
        if labeler is not None:
            filters = dataclasses.replace(filters, labeler=labeler.strip(), labeler_quarter=drugs.quarter)
        stripped = text.strip().upper()
        exact = stripped if CODE_SHAPE.fullmatch(stripped) else None
        prefix = stripped if _CODE_PREFIX.fullmatch(stripped) else None
        code_rows = self._store.search_codes(rel.id, exact, prefix, filters)
        said = " ".join(text.split())
        hits: list[SearchHit] = [
            self._hit(r, rel, day, how, 0.0, (MatchReason(stripped, (r["code"],), how),))
            for r in code_rows for how in ("code" if r["code"] == exact else "prefix",)]
        for drug_code in drugs.codes:  # each with the filters applied, as the codes above
            if drug_code not in {h.code for h in hits}:
                hits += [self._hit(r, rel, day, "drug name", 0.0, (MatchReason(said, (), "drug name"),))
                         for r in self._store.search_codes(rel.id, drug_code, None, filters)]
        found = state.plan(text)
        total = len(hits)
        wanted = offset + limit
        if found is not None:
            ranked, matched = self._search_words(found, rel.id, filters, max(wanted - len(hits), 0),
                                                 [h.code for h in hits])
            total += matched
            hits += [self._hit(r, rel, day, "all words" if missing == 0 else "some words", r["score"], why)
                     for r, missing, why in ranked]
        suggestion = did_you_mean(text, self.vocabulary()) if not hits else None
        return SearchResult(text, rel, total, offset, tuple(hits[offset:wanted]),
                            found.terms if found else (), dict(found.corrections) if found else {},
                            notes=(f"NOC codes {noc_note}",) if noc_note else (), did_you_mean=suggestion)

    def _search_words(self, found: Plan, release_id: str, filters: SearchFilters, room: int,
                      skip: list[str]) -> tuple[list[tuple[SearchRow, int, tuple[MatchReason, ...]]], int]:
        """Codes matching every group, then (when too few for the page) codes matching some: the first
        ``POOL`` reordered by ``Ranker`` (of them at most ``SOME_POOL`` matching some groups), the rest as the index
        ranks them; and how many match in all (less those the index found by a shared stem only, counted among the
        codes fetched)."""
        fetch = max(room, POOL)
        plain = filters == SearchFilters(active_on=filters.active_on)  # no filter but "active": the index alone
        # bm25 orders the codes matching every group: a measure of its own (how often, and where) that the
        # ranking keeps among codes it scores alike
        candidates, total = self._fetch(found, release_id, found.all_words, filters, fetch, room, skip)
        pool = POOL
        if total < room and found.some_words:  # too few match every group (all read): fill up with some
            every = len(candidates)
            pool = min(every + SOME_POOL, POOL)
            wanted = max(room, pool)  # codes read in all, those matching every group among them
            if plain:
                more, matched = self._fill(found, release_id, filters.active_on, wanted - every,
                                           [*skip, *(c.row["code"] for c in candidates)])
            else:
                candidates += self._rare_codes(found, release_id, filters,
                                               [*skip, *(c.row["code"] for c in candidates)])
                more, matched = self._fetch(found, release_id, found.some_words, filters,
                                            max(wanted - len(candidates), 1), room - len(candidates),
                                            [*skip, *(c.row["code"] for c in candidates)])
            candidates, total = [*candidates, *more], len(candidates) + matched
        ranker = self._ranking()
        ranked = ranker.rank(found, candidates[:pool])
        if room > len(ranked):  # the rest as the index ranks them, only as many as the page shows
            ranked += ranker.rank(found, candidates[pool:room], reorder=False)
        return ranked[:room], total

    def _fill(self, found: Plan, release_id: str, active_on: dt.date | None,
              want: int, skip: list[str]) -> tuple[list[Candidate], int]:
        """Codes matching some groups (no filter but "active"): each group's rows of the release read apart,
        unranked, and the rows first that match the most distinctive groups together (``Ranker.weight``;
        ties in index order, the shortest description first); the first ``want`` of them read, and how many
        match any group. Cheaper than ranking every row matching any group by bm25, which costs the most
        where the query's words are common, and ranks a rare word matched once above common ones."""
        ranker = self._ranking()
        weights = [ranker.weight(r) for r in found.readings]
        common = found.common or tuple(False for _ in found.groups)
        rare = [i for i, c in enumerate(common) if not c] or list(range(len(found.groups)))
        score: dict[int, float] = {}
        for i in rare:
            for rowid in self._store.search_rowids(release_id, group_query(found.groups[i][:FILL_ALTERNATIVES])):
                score[rowid] = score.get(rowid, 0.0) + weights[i]
        if len(rare) < len(found.groups) and score:  # a common group counts where a rarer one is found too
            # only its rows among those of the rarer groups count: those between the first and the last of them
            # (of this release or not: the others are not in ``score``)
            among = (min(score), max(score))
            for i in (i for i in range(len(found.groups)) if i not in rare):
                # the rows found above are those of the rarer groups: kept here rather than asked of the index
                # again (an OR of every rarer group, ANDed with the common one, cost it more than the rows)
                for rowid in self._store.search_rowids(release_id, group_query(found.groups[i][:FILL_ALTERNATIVES]),
                                                       among):
                    if rowid in score:
                        score[rowid] += weights[i]
        # the best first, ties in index order: a stable sort by score alone of the rows in order (no key built per row)
        best = sorted(sorted(score), key=score.__getitem__, reverse=True)
        kept = self._read(found, best, score, active_on, skip, want)
        return kept, max(len(score) - len(skip), len(kept))

    def _read(self, found: Plan, rowids: list[int], score: dict[int, float], active_on: dt.date | None,
              skip: list[str], want: int) -> list[Candidate]:
        """The first ``want`` index rows of ``rowids`` that match the query in truth, leaving out codes in ``skip``
        and those ended before ``active_on``; rows the index found by a stem they only share ("wheels"* finds
        wheelchair) are read and left out, a few batches at most."""
        state = self._current()
        kept: list[Candidate] = []
        skipped = set(skip)
        step = max(want, 1)
        for at in range(0, min(len(rowids), step * _BATCHES * 2), step):
            for rowid, row in state.rows(rowids[at:at + step]):
                end = row["termination_date"]
                if row["code"] in skipped or (active_on and end and end < active_on):
                    continue
                row["score"] = -score.get(rowid, 0.0)
                candidate = state.read(found, row)
                if candidate is not None:
                    kept.append(candidate)
                    if len(kept) >= want:  # the rest of the batch would be cut off below
                        return kept
            if len(kept) >= want:
                break
        return kept[:want]

    def _rare_codes(self, found: Plan, release_id: str, filters: SearchFilters, skip: list[str],
                    ) -> list[Candidate]:
        """The codes with the query's rarest group, if it has one (see ``Ranker.rarest``)."""
        ranker = self._ranking()
        rarest = ranker.rarest(found)
        if rarest is None:
            return []
        rows, _ = self._store.search_text(release_id, group_query(found.groups[rarest]), filters, _RARE, 0, skip)
        state = self._current()
        return [c for c in (state.read(found, r) for r in rows) if c is not None]

    def _fetch(self, found: Plan, release_id: str, expression: str, filters: SearchFilters, want: int,
               need: int, skip: list[str]) -> tuple[list[Candidate], int]:
        """The first ``want`` codes the index finds for an expression, best first, leaving out those found
        by a stem they only share (ambulance for ambulation: read on while fewer than ``need``, a few
        batches at most); and how many it finds (those left out counted among the codes read, and as many
        among the rest)."""
        state = self._current()
        kept: list[Candidate] = []
        read = total = 0
        for _ in range(_BATCHES):
            batch, total = self._store.search_text(release_id, expression, filters, want, read, skip)
            read += len(batch)
            kept += [c for c in (state.read(found, r) for r in batch) if c is not None]
            if len(kept) >= need or read >= total or not batch:
                break
        total = len(kept) + round((total - read) * len(kept) / max(read, 1)) if read < total else len(kept)
        return kept, total

    def _ranking(self) -> Ranker:
        return self._current().ranker

    def _current(self) -> _SearchState:
        """The state of the search under way (``search`` checks it is current once, at its start)."""
        return self._state or self._search_state()

    def _search_state(self) -> _SearchState:
        """What every search reads, kept while the data stays the same: the vocabulary is learnt anew after
        any load (by this handle, or by another process as ``data_version`` tells), and the state with it."""
        self.data_version()
        state = self._state
        if state is None or self._vocabulary is None or state.vocabulary is not self._vocabulary:
            if self._store.unindexed_releases():
                raise StoreError(f"{self.path} has no search index yet: open it once for writing (hcpcs load) to "
                                 "build it")
            state = self._state = _SearchState(self.vocabulary(), self._store)
        return state

    def _noc_year(self, release: Release) -> tuple[int, str | None]:
        """The NOC list to filter a release's codes on: that of its year, else (said so) the nearest."""
        year, note = self._noc_list(release.year)
        if year is None:
            raise NotFound(f"{note}, nor for any other year: load CMS's NOC codes file to filter on it")
        return year, note

    @staticmethod
    def _hit(row: SearchRow, release: Release, day: dt.date | None, match: Any, score: float,
             why: tuple[MatchReason, ...] = ()) -> SearchHit:
        end = row["termination_date"]
        terminated = end is not None and end < (day or release.effective_date)
        return SearchHit(row["code"], row["short_description"], row["long_description"] or "",
                         "Terminated" if terminated else "Actual", match, score, why)

#: How a pair of descriptions matches a query's groups (``None``: not at all).
_Match = tuple[Described, tuple[Found | None, ...], Scored | None] | None


class _SearchState:
    """A handle's search state for one vocabulary (one version of the data, every release indexed): the releases
    read once, each crosswalk quarter's drug names (by its file's sha256: drug files may be loaded without a new
    vocabulary), and the work that depends on the words alone:
    each query's reading, and how a description matches it (the same descriptions recur release after
    release, and the same queries come again; both depend on the vocabulary only, so kept as long as it is)."""

    def __init__(self, vocabulary: Vocabulary, store: Store) -> None:
        self.vocabulary = vocabulary
        self.ranker = Ranker(vocabulary)
        self._store = store
        self._plans: dict[str, Plan | None] = {}
        self._matches: dict[int, tuple[Plan, dict[tuple[str, str], _Match]]] = {}
        self._matched = 0
        self._releases: dict[str | None, Release] = {}
        self._drugs: dict[tuple[str, str], DrugNames] = {}
        self._rows: dict[int, SearchRow] = {}
        self._quarters: tuple[int, list[Quarter]] | None = None  # with the rows written when read (``quarters``)

    def plan(self, text: str) -> Plan | None:
        """The query read into groups (``search.query.plan``), once per text."""
        if text in self._plans:
            return self._plans[text]
        if len(self._plans) >= _KEPT_PLANS:
            self._plans.clear()
        found = self._plans[text] = plan(text, self.vocabulary)
        return found

    def read(self, found: Plan, row: SearchRow) -> Candidate | None:
        """How a row matches the query's groups (``Ranker.read``), once per reading of a query (as ``plan`` keeps
        it) and pair of descriptions."""
        kept = self._matches.get(id(found))
        if kept is None or kept[0] is not found:  # the plan is held with its matches: its id is not reused
            kept = self._matches[id(found)] = (found, {})
        matches = kept[1]
        key = described_as(row)
        if key in matches:
            known = matches[key]
            return None if known is None else Candidate(row, *known)
        if self._matched >= _KEPT_MATCHES:  # the queries first read longest ago give way, until half are left
            for oldest in list(self._matches):
                if self._matched <= _KEPT_MATCHES // 2:
                    break
                self._matched -= len(self._matches.pop(oldest)[1])
            kept = self._matches.setdefault(id(found), (found, {}))
            matches = kept[1]
        candidate = self.ranker.read(found, row, key)
        matches[key] = None if candidate is None else (candidate.text, tuple(candidate.groups), candidate.scored)
        self._matched += 1
        return candidate

    def rows(self, rowids: Sequence[int]) -> list[tuple[int, SearchRow]]:
        """Index rows by rowid (``Store.search_rows``), each read once while the data stays the same: the rows
        of a common word come again query after query. Each a copy (the caller sets its score)."""
        known = self._rows
        missing = [i for i in rowids if i not in known]
        if missing:
            if len(known) + len(missing) > _KEPT_ROWS:
                known.clear()
            known.update(self._store.search_rows(missing))
        return [(i, row.copy()) for i in rowids if (row := known.get(i)) is not None]

    def release(self, wanted: str | None, read: Callable[[str | None], Release]) -> Release:
        found = self._releases.get(wanted)
        if found is None:
            found = self._releases[wanted] = read(wanted)
        return found

    def quarters(self) -> list[Quarter]:
        """The drug files loaded, read again only after this handle wrote (another's load makes a new state)."""
        changes = self._store.changes()
        if self._quarters is None or self._quarters[0] != changes:
            self._quarters = (changes, self._store.quarters())
        return self._quarters[1]

    def drug_names(self, quarter: Quarter) -> DrugNames:
        key = (quarter.quarter, quarter.sha256)
        found = self._drugs.get(key)
        if found is None:
            found = self._drugs[key] = DrugNames.read(self._store, quarter.quarter)
        return found



_CODE_PREFIX = re.compile(r"[A-Z]\d{1,3}")

def _upper(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v.strip().upper() for v in values if v.strip())

