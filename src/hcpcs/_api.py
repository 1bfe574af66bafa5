"""The library facade: what the CLI, the web app and Python users call."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from . import _codetables
from ._bundle import (
    SPREADSHEET_SUFFIXES,
    Skipped,
    check_release_id,
    gather,
    read_all,
    release_from_name,
    release_id,
    role_of,
)
from ._codes import codes_named_in, parse_code
from ._diff import choose_fields, compare, diff_records
from ._engines import Columns, Summary, validate_duckdb
from ._errors import InputError, LoadError, NotFound, StoreError, UsageError
from ._layout import FIELDS_BY_NAME
from ._models import (
    Code,
    CodeChange,
    Coded,
    Correction,
    CorrectionList,
    Diff,
    History,
    HistoryEvent,
    NocList,
    RelatedCode,
    Release,
    ReleaseData,
    SearchFilters,
    SearchHit,
    SearchResult,
    SourceFile,
    TransactionReport,
)
from ._report import ReportComparison, compare_report
from ._rules import mine as mine_rules
from ._search import Vocabulary, extra_terms, learn_abbreviations, plan, words
from ._store import Row, Store
from ._transactions import read_report
from ._validate import Period, Reference, Verdict, check_line

if TYPE_CHECKING:
    from ._update import Downloaded, Progress, Published

DEFAULT_DB_ENV = "HCPCS_DB"
#: The largest paging offset taken anywhere (far beyond any release's code count; SQLite's integers end at 2**63).
MAX_OFFSET = 1_000_000
LoadStatus = Literal["loaded", "replaced", "unchanged"]


def default_db_path() -> Path:
    """``$HCPCS_DB``, else ``hcpcs.sqlite`` in the user data directory of this platform."""
    env = os.environ.get(DEFAULT_DB_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("hcpcs", appauthor=False) / "hcpcs.sqlite"


@dataclass(frozen=True, slots=True)
class LoadedRelease:
    release_id: str
    status: LoadStatus
    procedure_count: int
    modifier_count: int
    disagreement_count: int
    repair_count: int
    id_source: str
    files: tuple[SourceFile, ...]


@dataclass(slots=True)
class LoadReport:
    releases: list[LoadedRelease] = field(default_factory=list)
    noc_lists: list[tuple[int, int, LoadStatus]] = field(default_factory=list)
    corrections: list[tuple[str, int, LoadStatus]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(slots=True)
class UpdateReport:
    """What ``update`` found published, what it fetched (or would fetch), and what it loaded."""

    published: list[Published] = field(default_factory=list)
    wanted: list[Published | Path] = field(default_factory=list)
    downloaded: list[Downloaded] = field(default_factory=list)
    loaded: LoadReport | None = None


@dataclass(frozen=True, slots=True)
class CheckReport:
    """How CMS's text file and spreadsheet of one release disagree, and the slips hcpcs mended."""

    release_id: str
    disagreements: tuple[Row, ...]
    repairs: tuple[Row, ...]


class Hcpcs:
    """A handle on one hcpcs database. Use ``hcpcs.open()`` to get one."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._vocabulary: Vocabulary | None = None
        self._reference: tuple[int, Reference] | None = None
        self._seen_version: int | None = None
        if not store.readonly and store.unindexed_releases():
            with store.transaction():  # a database from before search: index it once
                self._index()

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

    def __enter__(self) -> Hcpcs:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- loading -----------------------------------------------------------------------------------

    def load(self, paths: Iterable[str | Path], *, release: str | None = None, replace: bool = False,
             progress: Callable[[str], None] | None = None) -> LoadReport:
        """Read CMS release files (zips, folders, files) and store them, all in one transaction.

        A release already stored from the same files is left as it is; from different files it is an
        error unless ``replace``. Nothing is written unless everything was read.
        """
        result = read_all([Path(p) for p in paths], release=release, progress=progress)
        if not result.releases and not result.noc_lists and not result.corrections:
            reasons = "; ".join(f"{s.name}: {s.reason}" for s in result.skipped)
            raise LoadError(f"nothing to load ({reasons})" if reasons else "nothing to load")
        report = LoadReport(skipped=result.skipped)
        store = self._store
        with store.transaction():
            for data in result.releases:
                status = self._store_release(data, replace)
                report.releases.append(LoadedRelease(
                    data.release_id, status, data.procedure_count, data.modifier_count,
                    len(data.disagreements), len(data.repairs), data.id_source, tuple(data.files)))
            for noc in result.noc_lists:
                report.noc_lists.append((noc.year, len(noc.entries), self._store_noc(noc, replace)))
            for fixes in result.corrections:
                report.corrections.append((fixes.release_id, len(fixes.entries),
                                           self._store_corrections(fixes, replace)))
            if any(r.status != "unchanged" for r in report.releases):
                self._index()
        return report

    def _index(self) -> None:
        """Index every release not yet in the search index, then relearn the vocabulary and abbreviations."""
        store = self._store
        for unindexed in store.unindexed_releases():
            store.index_release(unindexed, (
                (r["code"], r["long_description"] or "", r["short_description"],
                 extra_terms(r["long_description"], r["short_description"]))
                for r in store.descriptions(unindexed)))
        described = store.descriptions()
        # each distinct text once: most codes read the same in every release
        texts = {(r["code"], r["long_description"] or "", r["short_description"] or "") for r in described}
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(set(words(" ".join(text))))
        learnt = learn_abbreviations((short, long) for _, long, short in texts)
        counts[""] = len(texts)  # the number of texts, to tell common words from rare ones
        store.replace_vocabulary(dict(counts), learnt)
        by_release: dict[str, list[tuple[str, str | None]]] = {}
        for r in described:
            by_release.setdefault(r["release_id"], []).append((r["code"], r["long_description"]))
        store.replace_rules((rid, *rule) for rid, rows in by_release.items() for rule in mine_rules(rows))
        self._vocabulary = None

    def _store_release(self, data: ReleaseData, replace: bool) -> LoadStatus:
        fingerprint = _fingerprint(f for f in data.files if f.role in ("codes", "codes_spreadsheet"))
        stored = self._store.release_fingerprint(data.release_id)
        if stored == fingerprint and not replace:
            return "unchanged"
        if stored is not None and not replace:
            names = ", ".join(f.display for f in data.files if f.role in ("codes", "codes_spreadsheet"))
            raise LoadError(
                f"release {data.release_id} is already loaded from other files than {names}; "
                "use --replace to replace it"
            )
        if stored is not None:
            self._store.delete_release(data.release_id)
        self._store.insert_release(data, fingerprint)
        return "replaced" if stored is not None else "loaded"

    def _store_corrections(self, corrections: CorrectionList, replace: bool) -> LoadStatus:
        rid = corrections.release_id
        return _store_once(
            _fingerprint(corrections.files), self._store.correction_fingerprint(rid), replace,
            f"corrections to {rid} are", lambda: self._store.delete_corrections(rid),
            lambda fingerprint: self._store.insert_corrections(corrections, fingerprint))

    def update(self, *, base_url: str | None = None, from_dir: str | Path | None = None, dry_run: bool = False,
               download_dir: str | Path | None = None, progress: Progress | None = None, retries: int = 4,
               backoff: float = 1.0) -> UpdateReport:
        """Find the releases (and corrections) CMS has published that are not loaded, fetch and load them.

        ``base_url`` names a mirror of www.cms.gov; ``from_dir`` reads zips from a folder instead of the
        network. Everything is fetched and checked before anything is loaded, in one transaction.
        """
        from . import _update

        report = UpdateReport()
        have = {r.id for r in self.releases()}
        corrected = set(self._store.correction_releases())
        if from_dir is not None:
            folder = Path(from_dir)
            if not folder.is_dir():
                raise UsageError(f"--from-dir {folder}: no such folder")
            for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
                item: Published | None = _update.published(path.as_uri())
                found = release_from_name(path.name)
                rid = item.release_id if item else (release_id(found[0], found[1] or 1) if found else None)
                kind = item.kind if item else "release"
                if rid is None or path.suffix.lower() not in (".zip", ".xlsx", ".xls", ".txt"):
                    continue
                if (kind == "corrections" and rid not in corrected) or (kind == "release" and rid not in have):
                    report.wanted.append(path)
            if not dry_run and report.wanted:
                report.loaded = self.load([p for p in report.wanted if isinstance(p, Path)])
            return report
        import httpx

        target = Path(download_dir) if download_dir else default_download_dir()
        with httpx.Client(follow_redirects=True, timeout=httpx.Timeout(60.0, connect=10.0),
                          headers={"User-Agent": "hcpcs (https://pypi.org/project/hcpcs)"}) as client:
            fetcher = _update.Fetcher(client, retries=retries, backoff=backoff)
            report.published = _update.discover(fetcher, base_url or _update.DEFAULT_BASE_URL)
            report.wanted = [p for p in report.published if p.release_id is not None and (
                (p.kind == "release" and p.release_id not in have)
                or (p.kind == "corrections" and p.release_id not in corrected))]
            if dry_run or not report.wanted:
                return report
            target.mkdir(parents=True, exist_ok=True)
            for wanted in report.wanted:
                assert isinstance(wanted, _update.Published)
                report.downloaded.append(fetcher.download(wanted.url, target / wanted.name, progress))
        report.loaded = self.load([d.path for d in report.downloaded])
        return report

    def corrections(self, release: str) -> list[Correction]:
        """CMS's corrections to a release (``2019``), in the order CMS listed them."""
        wanted = check_release_id(release)
        rows = self._store.corrections(wanted)
        if not rows:
            known = ", ".join(self._store.correction_releases()) or "none"
            raise NotFound(f"no corrections to {wanted} are loaded (loaded: {known}); "
                           "load CMS's corrections zip with hcpcs load")
        return [_correction(r) for r in rows]

    def _store_noc(self, noc: NocList, replace: bool) -> LoadStatus:
        return _store_once(
            _fingerprint(noc.files), self._store.noc_fingerprint(noc.year), replace,
            f"the {noc.year} NOC list is", lambda: self._store.delete_noc_list(noc.year),
            lambda fingerprint: self._store.insert_noc_list(noc, fingerprint))

    # -- releases ----------------------------------------------------------------------------------

    def releases(self) -> list[Release]:
        """Every loaded release, oldest first."""
        return [self._release(row) for row in self._store.releases()]

    def release(self, release_id: str | None = None) -> Release:
        """One release by id (``2020-04``; ``2020`` means ``2020-01``), or the latest."""
        if release_id is None:
            rows = self._store.releases()
            if not rows:
                raise NotFound(f"no releases loaded in {self.path}: run hcpcs load PATH")
            return self._release(rows[-1])
        wanted = check_release_id(release_id)
        row = self._store.release(wanted)
        if row is None:
            known = ", ".join(r["id"] for r in self._store.releases()) or "none"
            raise NotFound(f"release {wanted} is not loaded (loaded: {known})")
        return self._release(row)

    def _release(self, row: Row) -> Release:
        files = tuple(
            SourceFile(f["name"], f["role"], f["sha256"], f["size"], f["member"])
            for f in self._store.files(row["id"])
        )
        return Release(row["id"], dt.date.fromisoformat(row["effective_date"]), row["loaded_at"],
                       row["procedure_count"], row["modifier_count"], row["disagreement_count"], files)

    def check(self, release_id: str) -> CheckReport:
        release = self.release(release_id)
        return CheckReport(release.id, tuple(self._store.disagreements(release.id)),
                           tuple(self._store.repairs(release.id)))

    # -- codes -------------------------------------------------------------------------------------

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

    def _as_of(self, code: str, day: dt.date) -> Code:
        rel = self.release_on(day)
        records = self._store.code_records(code)
        row = records.get(rel.id)
        by_id = {r.id: r for r in self.releases()}
        if row is not None and (row["added_date"] is None or row["added_date"] <= day):
            later = [(rid, r) for rid, r in records.items() if by_id[rid].effective_date > rel.effective_date]
            return dataclasses.replace(self._code(row, rel, as_of=day), hindsight=_hindsight(row, later, day))
        if row is not None:  # in the release, but added after the day
            raise NotFound(f"{code} was not yet in effect on {day.isoformat()}: added "
                           f"{row['added_date'].isoformat()} (release {rel.id})")
        earlier = [(rid, r) for rid, r in records.items() if by_id[rid].effective_date < rel.effective_date]
        later = [(rid, r) for rid, r in records.items() if by_id[rid].effective_date > rel.effective_date]
        if earlier:
            rid, last = earlier[-1]
            if last["termination_date"] is not None and last["termination_date"] < day:
                return self._code(last, by_id[rid], as_of=day)
            back = f"; it is back in release {later[0][0]}" if later else ""
            raise NotFound(f"{code} left CMS's files after release {rid}, without a termination date; "
                           f"it is not in release {rel.id}, in effect on {day.isoformat()}{back}")
        if later:
            rid, first = later[0]
            added = f"added {first['added_date'].isoformat()}" if first["added_date"] else "added later"
            raise NotFound(f"{code} was not yet in effect on {day.isoformat()}: {added} (release {rid})")
        raise self._not_in(code, rel)

    def listing(self, release: str | None = None, *, active_on: dt.date | None = None,
                as_of: dt.date | None = None) -> list[tuple[str, str, bool]]:
        """Every code of a release, in code order: (code, long description, terminated as of ``as_of``).

        ``active_on`` leaves out codes terminated before that day.
        """
        rel = self.release(release)
        day = as_of or rel.effective_date
        return [(r["code"], r["long_description"] or "",
                 r["termination_date"] is not None and r["termination_date"] < day.isoformat())
                for r in self._store.code_list(rel.id, active_on)]

    # -- validation --------------------------------------------------------------------------------

    def reference(self) -> Reference:
        """What claim-line validation needs: every record over its release's span, NOC flags, pair rules."""
        version = self.data_version()
        if self._reference is not None and self._reference[0] == version:
            return self._reference[1]
        nocs: dict[int, set[str]] = {}
        years = {r.id: r.year for r in self.releases()}
        periods = []
        for row in self._store.periods():
            year = self._store.noc_list_year(years[row["release_id"]])
            if year is not None and year not in nocs:
                nocs[year] = self._store.noc_codes(year)
            periods.append(Period(
                row["code"], row["kind"], row["release_id"], dt.date.fromisoformat(row["valid_from"]),
                dt.date.fromisoformat(row["valid_to"]), _day_or_none(row["added_date"]),
                _day_or_none(row["termination_date"]), row["coverage"],
                ", ".join(row[c] for c in FIELDS_BY_NAME["cross_reference"].columns if row[c]),
                year is not None and row["code"] in nocs[year]))
        rules = [(r["release_id"], r["code"], r["other"]) for r in self._store.rules()]
        reference = Reference(periods, rules)
        self._reference = (version, reference)
        return reference

    def validate(self, code: str, date: dt.date | str, *, modifiers: Sequence[str] = (),
                 claim_codes: Sequence[str] = ()) -> Verdict:
        """One claim line: ``valid``, or ``invalid`` with its reasons; ``claim_codes`` are the codes on the
        claim's other lines (for pair rules)."""
        return check_line(self.reference(), code, parse_day(date, "date of service"), modifiers,
                          {c.strip().upper() for c in claim_codes})

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
            from ._spark import validate_spark

            return validate_spark(self.reference(), src, out, columns or Columns())
        raise UsageError(f"unknown engine {engine!r}: choose duckdb or spark")

    def rules(self, release: str | None = None) -> list[tuple[str, str, str, str]]:
        """The pair rules mined from the descriptions: (release, code, other code, CMS's words)."""
        rid = self.release(release).id if release else None
        return [(r["release_id"], r["code"], r["other"], r["clause"]) for r in self._store.rules(rid)]

    # -- time --------------------------------------------------------------------------------------

    def diff(self, old: str, new: str, *, fields: Iterable[str] | None = None) -> Diff:
        """Every code that changed from release ``old`` to release ``new``, with CMS's action codes.

        ``fields`` limits the compared fields (``coverage``, ``pricing_indicator``, ...); additions,
        discontinuations and re-activations are always reported.
        """
        chosen = choose_fields(fields)
        before, after = self.release(old), self.release(new)
        columns = list(dict.fromkeys([c for f in chosen for c in f.columns] + ["added_date", "termination_date"]))
        old_records, new_records = self._store.differing_records(before.id, after.id, columns)
        earlier = self._store.last_records_before(new_records.keys() - old_records.keys(), before.id)
        changes = diff_records(old_records, new_records, after.effective_date, chosen, earlier)
        return Diff(before, after, tuple(changes), tuple(f.name for f in chosen))

    def history(self, code: str) -> History:
        """A code across every loaded release: when it appeared, each change, termination, reuse."""
        wanted = parse_code(code)
        records = self._store.code_records(wanted)
        known = self.releases()
        if not records:
            if not known:
                raise NotFound(f"no releases loaded in {self.path}: run hcpcs load PATH")
            raise self._not_in(wanted, known[-1])
        events: list[HistoryEvent] = []
        previous: Row | None = None
        last_seen: Row | None = None
        for rel in known:
            row = records.get(rel.id)
            if last_seen is None:
                if row is not None:
                    added = row["added_date"]
                    note = f"first loaded release with this code; CMS added it on {added.isoformat()}" if added \
                        else "first loaded release with this code"
                    events.append(HistoryEvent(rel, _first_change(wanted, row, note), first=True))
            else:
                change = compare(wanted, previous, row, rel.effective_date,
                                 earlier=last_seen if previous is None else None)
                if change is not None:
                    events.append(HistoryEvent(rel, change))
            previous = row
            last_seen = row or last_seen
        assert last_seen is not None
        ids = tuple(records)
        return History(
            code=wanted, releases=ids, events=tuple(events), first_release=ids[0], last_release=ids[-1],
            termination_date=last_seen["termination_date"],
            replacements=_values(last_seen, "cross_reference") if last_seen["termination_date"] else (),
            reactivated=any("R" in e.change.actions for e in events),
            reused=any(e.change.reused for e in events),
        )

    # -- search ------------------------------------------------------------------------------------

    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            indexed, learnt = self._store.vocabulary()
            self._vocabulary = Vocabulary.build(indexed, learnt)
        return self._vocabulary

    def abbreviations(self) -> dict[str, tuple[str, ...]]:
        """The abbreviations learnt from the short descriptions: ``{"inj": ("injection", ...), ...}``."""
        return dict(self.vocabulary().abbreviations)

    def search(self, query: str, *, release: str | None = None, as_of: dt.date | str | None = None,
               limit: int = 20, offset: int = 0, codes: str | None = None, coverage: Sequence[str] = (),
               betos: Sequence[str] = (), pricing_indicator: Sequence[str] = (),
               type_of_service: Sequence[str] = (), noc_only: bool = False,
               include_terminated: bool = False) -> SearchResult:
        """Ranked search over codes and descriptions: an exact code first, then code-prefix matches,
        then codes matching every word (bm25), filled up with codes matching some words.

        Filters: ``codes`` (a letter, prefix or range such as ``E0100-E0200``), ``coverage``, ``betos``,
        ``pricing_indicator``, ``type_of_service``, ``noc_only``; terminated codes are left out unless
        ``include_terminated``. ``release`` or ``as_of`` picks the release (default: the latest).
        """
        text = query if isinstance(query, str) else ""
        if not text.strip():
            raise UsageError("the search query is empty: give words or a code")
        if not 1 <= limit <= 1000 or not 0 <= offset <= MAX_OFFSET:
            raise UsageError(f"limit must be 1 to 1000 and offset 0 to {MAX_OFFSET:,}")
        if as_of is not None and release is not None:
            raise UsageError("give a release or an as-of date, not both")
        day = parse_day(as_of, "as-of date") if as_of is not None else None
        rel = self.release_on(day) if day is not None else self.release(release)
        if self._store.unindexed_releases():
            raise StoreError(f"{self.path} has no search index yet: open it once for writing (hcpcs load) to build it")
        filters = SearchFilters(
            codes=_code_filter(codes), coverage=_upper(coverage), betos=_upper(betos),
            pricing_indicator=tuple(pricing_indicator), type_of_service=_upper(type_of_service),
            noc_year=self._noc_year(rel) if noc_only else None,
            active_on=None if include_terminated else (day or rel.effective_date),
        )
        stripped = text.strip().upper()
        exact = stripped if _CODE_LIKE.fullmatch(stripped) else None
        prefix = stripped if _CODE_PREFIX.fullmatch(stripped) else None
        code_rows = self._store.search_codes(rel.id, exact, prefix, filters)
        hits: list[SearchHit] = [
            self._hit(r, rel, day, "code" if r["code"] == exact else "prefix", 0.0) for r in code_rows]
        found = plan(text, self.vocabulary())
        total = len(hits)
        wanted = offset + limit
        if found is not None:
            tiers = [("all words", found.all_words), ("some words", found.all_but_one),
                     ("some words", found.any_word if len(found.groups) > 1 else None)]
            for match, expression in tiers:
                if expression is None or (match == "some words" and total >= wanted):
                    continue
                skip = [h.code for h in hits]
                room = max(wanted - len(hits), 0)
                rows, matched = self._store.search_text(rel.id, expression, filters, room or 1, 0, skip)
                total += matched
                hits += [self._hit(r, rel, day, match, r["score"]) for r in rows[:room]]
        return SearchResult(text, rel, total, offset, tuple(hits[offset:wanted]),
                            found.terms if found else (), found.corrections if found else {})

    def _noc_year(self, release: Release) -> int:
        year = self._store.noc_list_year(release.year)
        if year is None:
            raise NotFound("no NOC list is loaded: load CMS's NOC codes file to filter on it")
        return year

    @staticmethod
    def _hit(row: Row, release: Release, day: dt.date | None, match: Any, score: float) -> SearchHit:
        end = row["termination_date"]
        if isinstance(end, str):
            end = dt.date.fromisoformat(end)
        terminated = end is not None and end < (day or release.effective_date)
        return SearchHit(row["code"], row["short_description"], row["long_description"] or "",
                         "Terminated" if terminated else "Actual", match, score)

    def read_report(self, path: str | Path) -> TransactionReport:
        """Read CMS's transaction report from a ``.prn``/``.xlsx`` file, or from a release zip holding one."""
        return read_transaction_report(Path(path))

    def compare_report(self, diff: Diff, report: TransactionReport | str | Path) -> ReportComparison:
        """Where ``diff`` and CMS's transaction report for its newer release agree, and where not (and why)."""
        found = report if isinstance(report, TransactionReport) else self.read_report(report)
        return compare_report(diff, found, self._store.release_records(diff.old.id),
                              self._store.release_records(diff.new.id))

    def _code(self, row: Row, release: Release, *, as_of: dt.date | None = None) -> Code:
        store = self._store
        note_number = row["processing_note"]
        note = store.processing_note(note_number, release.id) if note_number else None
        noc_year = store.noc_list_year(release.year)
        crossrefs = _values(row, "cross_reference")
        related_order: list[tuple[str, Any]] = [(c, "cross reference") for c in crossrefs]
        related_order += [(c, "description") for c in codes_named_in(row["long_description"])]
        related_order += [(c, "processing note") for c in codes_named_in(note[1] if note else None)]
        seen: dict[str, Any] = {}
        for other, why in related_order:
            if other != row["code"] and other not in seen:
                seen[other] = why
        shorts = store.short_descriptions(seen, release.id)
        return Code(
            code=row["code"],
            kind=row["kind"],
            release=release,
            long_description=row["long_description"] or "",
            short_description=row["short_description"],
            pricing_indicators=_coded_all(row, "pricing_indicator"),
            multiple_pricing_indicator=_coded(row, "multiple_pricing_indicator"),
            cim_references=_values(row, "cim_reference"),
            mcm_references=_values(row, "mcm_reference"),
            statute=row["statute"],
            lab_certifications=_coded_all(row, "lab_certification"),
            cross_references=crossrefs,
            coverage=_coded(row, "coverage"),
            asc_group=_coded(row, "asc_group"),
            asc_effective_date=row["asc_effective_date"],
            mog_payment_group=_coded(row, "mog_payment_group"),
            mog_payment_policy=_coded(row, "mog_payment_policy"),
            mog_effective_date=row["mog_effective_date"],
            processing_note=note_number,
            processing_note_text=note[1] if note else None,
            betos=_coded(row, "betos"),
            types_of_service=_coded_all(row, "type_of_service"),
            anesthesia_base_units=row["anesthesia_base_units"],
            added_date=row["added_date"],
            action_effective_date=row["action_effective_date"],
            termination_date=row["termination_date"],
            action=_coded(row, "action_code"),
            noc=store.in_noc_list(row["code"], noc_year) if noc_year is not None else None,
            noc_list_year=noc_year,
            related=tuple(RelatedCode(c, why, shorts.get(c)) for c, why in seen.items()),
            corrections=tuple(_correction(r) for r in store.corrections(code=row["code"], year=release.year)),
            values={k: v for k, v in row.items() if k not in ("release_id", "kind", "source_line")},
            source=_code_source(release),
            line=row["source_line"],
            as_of=as_of,
        )


def open(db: str | Path | None = None, *, readonly: bool = False) -> Hcpcs:
    """Open (creating if need be) the hcpcs database at ``db``, ``$HCPCS_DB`` or the default path."""
    path = Path(db).expanduser() if db is not None else default_db_path()
    return Hcpcs(Store(path, readonly=readonly))


_CODE_LIKE = re.compile(r"[A-Z]\d{4}|[A-Z0-9]{2}")
_CODE_PREFIX = re.compile(r"[A-Z]\d{1,3}")
_CODE_RANGE = re.compile(r"([A-Z]\d{0,4})(?:-([A-Z]\d{4}))?")


def _code_filter(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    wanted = text.strip().upper().replace(" ", "")
    match = _CODE_RANGE.fullmatch(wanted)
    if not match or (match.group(2) and len(match.group(1)) != 5):
        raise UsageError(f"code filter {text!r}: write a letter (E), a prefix (J93) or a range (E0100-E0200)")
    return wanted


def _upper(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v.strip().upper() for v in values if v.strip())


def default_download_dir() -> Path:
    """Where ``update`` keeps the zips it fetches: the user cache folder of this platform."""
    from platformdirs import user_cache_path

    return user_cache_path("hcpcs", appauthor=False) / "downloads"


def parse_day(value: dt.date | str, what: str) -> dt.date:
    """A date as users give it: a ``date``, or ``YYYY-MM-DD`` text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a date: write YYYY-MM-DD, such as 2020-05-01") from None


def read_transaction_report(path: Path) -> TransactionReport:
    """CMS's transaction report in a file, or in a zip or folder: the spreadsheet when there is one."""
    members = [m for bundle in gather([path]) for m in bundle.members]
    reports = [m for m in members if role_of(m) == "transactions"] if len(members) > 1 else members
    if not reports:
        raise InputError(str(path), "holds no transaction report (*trans* or Changes_by_* files)")
    sheets = [m for m in reports if m.basename.lower().endswith(SPREADSHEET_SUFFIXES)]
    chosen = (sheets or reports)[0]  # the spreadsheet keeps whole descriptions; the .prn cuts them
    return read_report(chosen.data, chosen.display)


def _correction(row: Row) -> Correction:
    return Correction(row["code"], row["action"], row["effective_date"], row["effective_text"],
                      row["short_description"], row["long_description"], row["details"], row["source"], row["row"])


def _first_change(code: str, row: Row, note: str) -> CodeChange:
    return CodeChange(code, "A", ("A",), (), row["short_description"], row["long_description"],
                      row["termination_date"], note=note)


def _hindsight(row: Row, later: list[tuple[str, Row]], day: dt.date) -> tuple[str, ...]:
    """What releases published after the one in effect say about the day: a termination dated before it,
    or the code re-added (reused) before it. CMS sets both after the fact."""
    facts: dict[str, str] = {}  # each fact once, from the first later release that gives it
    for rid, other in later:
        ended, added = other["termination_date"], other["added_date"]
        if ended is not None and ended < day and row["termination_date"] != ended:
            facts.setdefault(f"gives a termination date of {ended.isoformat()}, before this date", rid)
        if added is not None and row["added_date"] is not None and row["added_date"] < added <= day:
            meaning = " with a new meaning" if other["long_description"] != row["long_description"] else ""
            facts.setdefault(f"says the code was re-added on {added.isoformat()}{meaning}", rid)
    return tuple(f"from release {rid} on, CMS {fact}" for fact, rid in facts.items())


def _day_or_none(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _store_once(fingerprint: str, stored: str | None, replace: bool, what: str, delete: Callable[[], None],
                insert: Callable[[str], None]) -> LoadStatus:
    """Store something loaded from files once: the same files again change nothing; other files need replace."""
    if stored == fingerprint and not replace:
        return "unchanged"
    if stored is not None and not replace:
        raise LoadError(f"{what} already loaded from other files; use --replace")
    if stored is not None:
        delete()
    insert(fingerprint)
    return "replaced" if stored is not None else "loaded"


def _fingerprint(files: Iterable[SourceFile]) -> str:
    digest = hashlib.sha256()
    for sha in sorted(f.sha256 for f in files):
        digest.update(sha.encode())
    return digest.hexdigest()


def _values(row: Row, name: str) -> tuple[str, ...]:
    return tuple(row[c] for c in FIELDS_BY_NAME[name].columns if row[c])


def _coded(row: Row, name: str) -> Coded | None:
    field_ = FIELDS_BY_NAME[name]
    value = row[field_.name]
    return Coded(value, _codetables.meaning(field_.code_table, value)) if value else None


def _coded_all(row: Row, name: str) -> tuple[Coded, ...]:
    field_ = FIELDS_BY_NAME[name]
    return tuple(Coded(v, _codetables.meaning(field_.code_table, v)) for v in _values(row, name))


def _code_source(release: Release) -> str:
    for wanted in ("codes", "codes_spreadsheet"):
        for f in release.files:
            if f.role == wanted:
                return f.display
    return release.id


__all__: Sequence[str] = ("CheckReport", "Hcpcs", "LoadReport", "LoadedRelease", "UpdateReport", "default_db_path",
                          "open")
