"""The facade's loading part: reading CMS's files into the store, fetching new releases, corrections."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._errors import LoadError, NotFound, UsageError
from ..model.drugs import DrugFile
from ..model.identifiers import check_release_id
from ..model.records import (
    Correction,
    CorrectionList,
    Disagreement,
    FileUse,
    LoadWarning,
    NocList,
    RecordLayoutData,
    ReleaseData,
    Repair,
    ReportData,
    SourceFile,
)
from ..readers.completeness import fewer_than_before
from ..readers.names import ROLE_WORDS, release_named
from ..search.abbreviations import learn_abbreviations
from ..search.query import extra_terms, words
from ..validate.pair_rules import mine as mine_rules
from .base import HandleBase

if TYPE_CHECKING:
    from .update import Downloaded, Progress, Published


#: ``superseded``: a yearly list (NOC list, record layout) shipped with a release, not stored because a later
#: release of its year is loaded, whose list stands
LoadStatus = Literal["loaded", "replaced", "unchanged", "superseded"]


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
    #: CMS's transaction reports: (release, entries, status).
    transaction_reports: list[tuple[str, int, LoadStatus]] = field(default_factory=list)
    #: CMS's record layouts: (year, fields, status).
    layouts: list[tuple[int, int, LoadStatus]] = field(default_factory=list)
    #: CMS's drug files: (role words, quarter, rows, status), such as ("NDC crosswalk", "2024-01", 6684, "loaded")
    drug_files: list[tuple[str, str, int, LoadStatus]] = field(default_factory=list)
    #: every file and zip member given: its role, and what the load did with it
    files: list[FileUse] = field(default_factory=list)
    #: what could not be fully understood (``strict`` turns these into errors)
    warnings: list[LoadWarning] = field(default_factory=list)

    @property
    def skipped(self) -> list[FileUse]:
        return [f for f in self.files if f.outcome == "skipped"]


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
    disagreements: tuple[Disagreement, ...]
    repairs: tuple[Repair, ...]


class Loading(HandleBase):
    """Loading releases, NOC lists and corrections; fetching what CMS has published."""

    def load(self, paths: Iterable[str | Path], *, release: str | None = None, replace: bool = False,
             strict: bool = False, progress: Callable[[str], None] | None = None) -> LoadReport:
        """Read CMS release files (zips, folders, files) and store them, all in one transaction.

        A release already stored from the same files is left as it is; from different files it is an
        error unless ``replace``. Nothing is written unless everything was read. An auxiliary file (a
        transaction report, NOC list, corrections, notes, record layout) that cannot be fully understood is
        stored as far as it can be, with a warning in the report; ``strict`` makes any warning an error.
        """
        from ..readers.bundle import read_all  # the readers, only when loading
        from ..readers.members import strict_refusal

        report = LoadReport()
        store = self._store

        def store_release(data: ReleaseData) -> None:  # while the other files are still being read
            status = self._store_release(data, replace)
            if status != "unchanged":
                self._index_release(data.release_id)  # its search rows; the vocabulary is learnt at the end
            report.releases.append(LoadedRelease(
                data.release_id, status, data.procedure_count, data.modifier_count,
                len(data.disagreements), len(data.repairs), data.id_source, tuple(data.files)))

        with store.transaction():
            result = read_all([Path(p) for p in paths], release=release, strict=strict, progress=progress,
                              on_release=store_release)
            report.files, report.warnings = result.files, result.warnings
            report.warnings += self._fewer_than_before(report.releases)
            if strict and report.warnings:
                raise LoadError(strict_refusal(report.warnings))
            report.releases.sort(key=lambda r: r.release_id)
            for noc in result.noc_lists:
                report.noc_lists.append((noc.year, len(noc.entries), self._store_noc(noc, replace)))
            for fixes in result.corrections:
                report.corrections.append((fixes.release_id, len(fixes.entries),
                                           self._store_corrections(fixes, replace)))
            for found in result.reports:
                report.transaction_reports.append((found.release_id, len(found.report.entries),
                                                   self._store_report(found, replace)))
            for layout in result.layouts:
                report.layouts.append((layout.year, len(layout.layout.get("fields", {})),
                                       self._store_layout(layout, replace)))
            given: set[tuple[str, str]] = set()
            for drugs in sorted(result.drug_files, key=lambda d: (d.kind, d.quarter)):
                if (drugs.kind, drugs.quarter) in given:
                    raise LoadError(f"more than one {ROLE_WORDS[drugs.kind]} file given for {drugs.quarter}: "
                                    "load them one at a time")
                given.add((drugs.kind, drugs.quarter))
                report.drug_files.append((ROLE_WORDS[drugs.kind], drugs.quarter, drugs.rows,
                                          self._store_drug_file(drugs, replace)))
            if any(r.status != "unchanged" for r in report.releases):
                self._index()
        return report

    def _fewer_than_before(self, loaded: list[LoadedRelease]) -> list[LoadWarning]:
        """Rule 2 of ``_completeness``: each release loaded now against the one before it."""
        rows = self._store.releases()
        found: list[LoadWarning] = []
        for release in loaded:
            at = next(i for i, row in enumerate(rows) if row.id == release.release_id)
            if release.status != "unchanged" and at > 0:
                code_file = next(f.display for f in release.files if f.role in ("codes", "codes_spreadsheet"))
                found += fewer_than_before(release.release_id, release.procedure_count, rows[at - 1].id,
                                           rows[at - 1].procedure_count, code_file)
        return found

    def _index(self) -> None:
        """Index every release not yet in the search index, then relearn the vocabulary and abbreviations."""
        store = self._store
        for unindexed in store.unindexed_releases():
            self._index_release(unindexed)
        described = store.descriptions()
        # each distinct text once: most codes read the same in every release
        texts = {(r.code, r.long_description or "", r.short_description or "") for r in described}
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(set(words(" ".join(text))))
        learnt = learn_abbreviations((short, long) for _, long, short in texts)
        counts[""] = len(texts)  # the number of texts, to tell common words from rare ones
        store.replace_vocabulary(dict(counts), learnt)
        by_release: dict[str, list[tuple[str, str | None]]] = {}
        for r in described:
            by_release.setdefault(r.release_id, []).append((r.code, r.long_description))
        store.replace_rules((rid, *rule) for rid, rows in by_release.items() for rule in mine_rules(rows))
        self._vocabulary = None

    def _index_release(self, release_id: str) -> None:
        store = self._store
        store.index_release(release_id, (
            (r.code, r.long_description or "", r.short_description,
             extra_terms(r.long_description, r.short_description))
            for r in store.descriptions(release_id)))

    def _store_release(self, data: ReleaseData, replace: bool) -> LoadStatus:
        rid = data.release_id
        code_files = [f for f in data.files if f.role in ("codes", "codes_spreadsheet")]
        return _store_once(
            _fingerprint(code_files), self._store.release_fingerprint(rid), replace,
            f"release {rid} is already loaded from other files than {', '.join(f.display for f in code_files)}",
            lambda: self._store.delete_release(rid),
            lambda fingerprint: self._store.insert_release(data, fingerprint))

    def _store_corrections(self, corrections: CorrectionList, replace: bool) -> LoadStatus:
        rid = corrections.release_id
        return _store_once(
            _fingerprint(corrections.files), self._store.correction_fingerprint(rid), replace,
            f"corrections to {rid} are already loaded from other files",
            lambda: self._store.delete_corrections(rid),
            lambda fingerprint: self._store.insert_corrections(corrections, fingerprint))

    def _store_report(self, data: ReportData, replace: bool) -> LoadStatus:
        rid = data.release_id
        return _store_once(
            _fingerprint(data.files), self._store.report_fingerprint(rid), replace,
            f"the transaction report of {rid} is already loaded from other files",
            lambda: self._store.delete_report(rid),
            lambda fingerprint: self._store.insert_report(data, fingerprint))

    def _store_drug_file(self, data: DrugFile, replace: bool) -> LoadStatus:
        store = self._store
        return _store_once(
            _fingerprint(data.files), store.drug_file_fingerprint(data.kind, data.quarter), replace,
            f"the {ROLE_WORDS[data.kind]} of {data.quarter} is already loaded from other files",
            lambda: store.delete_drug_file(data.kind, data.quarter),
            lambda fingerprint: store.insert_drug_file(data, fingerprint))

    def _store_noc(self, noc: NocList, replace: bool) -> LoadStatus:
        return self._store_yearly(
            f"the {noc.year} NOC list", noc.year, noc.release_id, noc.files, self._store.noc_fingerprint(noc.year),
            replace, lambda: self._store.delete_noc_list(noc.year),
            lambda fingerprint: self._store.insert_noc_list(noc, fingerprint))

    def _store_layout(self, layout: RecordLayoutData, replace: bool) -> LoadStatus:
        return self._store_yearly(
            f"the {layout.year} record layout", layout.year, layout.release_id, layout.files,
            self._store.layout_fingerprint(layout.year), replace, lambda: self._store.delete_layout(layout.year),
            lambda fingerprint: self._store.insert_layout(layout, fingerprint))

    def _store_yearly(self, what: str, year: int, carried_by: str | None, files: list[SourceFile],
                      stored: str | None, replace: bool, delete: Callable[[], None],
                      insert: Callable[[str], None]) -> LoadStatus:
        """Store a list CMS publishes once a year but ships again with each quarter's release (the NOC list,
        the record layout): the same list from another zip changes nothing, and a different one shipped with
        a release replaces the stored one when no later release of that year is loaded (else it is
        ``superseded``: the later release's list stands)."""
        fingerprint = _fingerprint(f for f in files if f.role != "archive")  # the list, not the zip around it
        if stored == _fingerprint(files) and not replace:  # stored by hcpcs before 2026-11-25, zip included
            return "unchanged"
        if stored is not None and stored != fingerprint and not replace and carried_by is not None:
            if any(r.year == year and r.id > carried_by for r in self.releases()):
                return "superseded"
            replace = True
        return _store_once(fingerprint, stored, replace, f"{what} is already loaded from other files", delete,
                           insert)

    def update(self, *, base_url: str | None = None, from_dir: str | Path | None = None, dry_run: bool = False,
               download_dir: str | Path | None = None, progress: Progress | None = None, retries: int = 4,
               backoff: float = 1.0) -> UpdateReport:
        """Find the releases (and corrections) CMS has published that are not loaded, fetch and load them.

        ``base_url`` names a mirror of www.cms.gov; ``from_dir`` reads zips from a folder instead of the
        network. Everything is fetched and checked before anything is loaded, in one transaction.
        """
        from . import update as _update

        report = UpdateReport()
        have = {r.id for r in self.releases()}
        corrected = set(self._store.correction_releases())
        if from_dir is not None:
            folder = Path(from_dir)
            if not folder.is_dir():
                raise UsageError(f"--from-dir {folder}: no such folder")
            for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
                # a zip or file CMS published, or a release a user unzipped into a folder
                item: Published | None = _update.published(path.resolve().as_uri()) if path.is_file() else None
                rid = item.release_id if item else release_named(path.name)
                kind = item.kind if item else "release"
                if rid is None or not (path.is_dir() or path.suffix.lower() in (".zip", ".xlsx", ".xls", ".txt")):
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
        return rows

    def check(self, release_id: str) -> CheckReport:
        release = self.release(release_id)
        return CheckReport(release.id, tuple(self._store.disagreements(release.id)),
                           tuple(self._store.repairs(release.id)))


def default_download_dir() -> Path:
    """Where ``update`` keeps the zips it fetches: the user cache folder of this platform."""
    from platformdirs import user_cache_path

    return user_cache_path("hcpcs", appauthor=False) / "downloads"


def _store_once(fingerprint: str, stored: str | None, replace: bool, conflict: str, delete: Callable[[], None],
                insert: Callable[[str], None]) -> LoadStatus:
    """Store something loaded from files once: the same files again change nothing; other files (the
    ``conflict``, which says so) need ``replace``."""
    if stored == fingerprint and not replace:
        return "unchanged"
    if stored is not None and not replace:
        raise LoadError(f"{conflict}; use --replace to replace it")
    if stored is not None:
        delete()
    insert(fingerprint)
    return "replaced" if stored is not None else "loaded"


def _fingerprint(files: Iterable[SourceFile]) -> str:
    digest = hashlib.sha256()
    for sha in sorted(f.sha256 for f in files):
        digest.update(sha.encode())
    return digest.hexdigest()

