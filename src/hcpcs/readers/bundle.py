"""Finding the HCPCS files in what a user points at, and reading each for what it is.

Users hold CMS's releases as zips (renamed or not), as folders they unzipped, and as loose files; a
release zip carries beside its code file the processing notes, transaction report, NOC list, corrections
and record layout of that release. Each file's role is found from its name (``_names``) and, where the
name says nothing, from its content. Every file given is accounted for (``FileUse``): read for a role,
or skipped with the reason. A code file that cannot be read refuses the load; any other file that cannot
be fully understood is read as far as it can be, with a ``LoadWarning``. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TypeVar

from .._errors import InputError, LoadError
from ..model.drugs import DRUG_FILE_KINDS, DrugFile
from ..model.identifiers import check_release_id, release_id
from ..model.records import (
    CorrectionList,
    FileUse,
    LoadWarning,
    NocEntry,
    NocList,
    Outcome,
    Record,
    RecordLayoutData,
    ReleaseData,
    ReportData,
    Role,
    SourceFile,
)
from .asp import read_drug_file, sniff_drug_file
from .compare import disagreements
from .completeness import cut_short
from .corrections import merge, read_corrections
from .fixedwidth import looks_like_fixed_width, read_fixed_width
from .names import (
    ROLE_WORDS,
    is_spreadsheet_name,
    release_from_name,
    release_named,
    role_named,
)
from .notes import looks_like_processing_notes, read_noc_spreadsheet, read_noc_text, read_processing_notes
from .record_layout import layout_year as layout_year_said
from .record_layout import read_record_layout
from .safe_read import read_file, zip_members
from .spreadsheet import looks_like_code_sheet, read_rows, read_spreadsheet
from .transactions import read_report

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Member:
    """One file to read: a loose file, or a member of a zip."""

    container: str
    member: str | None
    data: bytes
    #: found by walking a folder (a stray file there is skipped, not an error)
    found_in_folder: bool = False

    @property
    def basename(self) -> str:
        return PurePosixPath(self.member).name if self.member else PurePosixPath(self.container).name

    @property
    def display(self) -> str:
        return f"{self.container}:{self.member}" if self.member else self.container

    def source_file(self, role: Role) -> SourceFile:
        return SourceFile(self.container, role, hashlib.sha256(self.data).hexdigest(), len(self.data),
                          self.member)


@dataclass(slots=True)
class Bundle:
    """Files that belong together: the members of one zip, or loose files of one release."""

    name: str
    members: list[Member] = field(default_factory=list)
    is_zip: bool = False
    archive: SourceFile | None = None  # the zip itself, with its sha256


@dataclass(slots=True)
class ReadResult:
    releases: list[ReleaseData] = field(default_factory=list)
    noc_lists: list[NocList] = field(default_factory=list)
    corrections: list[CorrectionList] = field(default_factory=list)
    reports: list[ReportData] = field(default_factory=list)
    layouts: list[RecordLayoutData] = field(default_factory=list)
    #: CMS's drug files: NDC crosswalks and payment limits, a quarter each
    drug_files: list[DrugFile] = field(default_factory=list)
    files: list[FileUse] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.releases or self.noc_lists or self.corrections or self.reports or self.layouts
                    or self.drug_files)


def role_of(member: Member) -> Role | None:
    """What a file is, from its name and, where that says nothing, its content."""
    named = role_named(member.basename)
    if named is not None:
        return named
    if is_spreadsheet(member):
        try:
            if looks_like_code_sheet(read_rows(member.data, member.display)):
                return "codes_spreadsheet"
        except InputError:
            return None
        return sniff_drug_file(member.data, member.basename)
    if member.basename.lower().endswith(".csv"):
        return sniff_drug_file(member.data, member.basename)
    head = member.data[:16384]
    if looks_like_fixed_width(head):
        return "codes"
    if looks_like_processing_notes(head):
        return "processing_notes"
    if b"CMS RIF REPORT" in head:
        return "record_layout"
    return None


def gather(paths: Iterable[Path]) -> list[Bundle]:
    """Zips become one bundle each (a zip inside a zip too); loose files are grouped by the release their
    names give, else by the folder they are in (a release unzipped into a folder), else one a bundle."""
    bundles: list[Bundle] = []
    loose: dict[str, Bundle] = {}
    for path, shown, in_folder in _expand(paths):
        if path.suffix.lower() == ".zip":
            bundles.extend(_read_zip(shown, read_file(path, shown), in_folder))
            continue
        member = Member(shown, None, read_file(path, shown), in_folder)
        named = release_named(path.name) or (release_named(path.parent.name) if in_folder else None)
        key = named or f"file:{path}"
        loose.setdefault(key, Bundle(named or path.name)).members.append(member)
    return bundles + list(loose.values())


def roles_of(bundle: Bundle) -> dict[Role | None, list[Member]]:
    """The bundle's members by role (``None``: not a file hcpcs knows), each classified once."""
    roles: dict[Role | None, list[Member]] = {}
    for member in bundle.members:
        roles.setdefault(role_of(member), []).append(member)
    return roles


def read_all(paths: Iterable[Path], *, release: str | None = None, strict: bool = False,
             progress: Callable[[str], None] | None = None,
             on_release: Callable[[ReleaseData], None] | None = None) -> ReadResult:
    """Read everything given. ``strict``: a warning is an error (``LoadError``). ``on_release`` is given each
    release as soon as it is read, while the rest are still being read (a loader stores it meanwhile, in a
    transaction it rolls back if reading fails later)."""
    classified = [(bundle, roles_of(bundle)) for bundle in gather(paths)]
    if release is not None and sum(1 for _, roles in classified if _has_codes(roles)) > 1:
        raise LoadError("--release names one release, but more than one release file was given")
    reading = _Reading(strict)
    jobs = [(bundle, roles, release, strict) for bundle, roles in classified]
    seen: set[str] = set()
    read: dict[int, ReadResult] = {}
    for index, found in _read_bundles(jobs):  # as each is read
        if progress:
            progress(jobs[index][0].name)
        for data in found.releases:
            if data.release_id in seen:
                raise LoadError(f"more than one file given for release {data.release_id}: load them one at a time")
            seen.add(data.release_id)
            if on_release is not None:
                on_release(data)
        read[index] = found
    for index in range(len(jobs)):  # the summary in the order the files were given
        reading.merge(read[index])
    result = reading.finish()
    result.releases.sort(key=lambda r: r.effective_date)
    return result


_Job = tuple[Bundle, dict[Role | None, list[Member]], str | None, bool]


def _read_bundles(jobs: list[_Job]) -> Iterator[tuple[int, ReadResult]]:
    """Each bundle read on its own, with its index in ``jobs``, as it is done: in worker processes on a
    machine with more than one core (the readers are CPU-bound Python), else here, in order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    workers = min(len(jobs), len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from enumerate(map(_read_bundle, jobs))
        return
    # the largest bundles first, so that no core waits long at the end
    order = sorted(range(len(jobs)), key=lambda i: -sum(len(m.data) for m in jobs[i][0].members))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_die_with,
                               initargs=(os.getpid(),))
    try:
        futures = {pool.submit(_read_bundle, jobs[i]): i for i in order}
        for future in as_completed(futures):
            try:
                found = future.result()
            except BrokenProcessPool:  # killed, or out of memory: nothing is stored
                raise LoadError(f"the process reading {jobs[futures[future]][0].name} died; nothing was "
                                "loaded") from None
            yield futures[future], found
    finally:
        pool.shutdown(cancel_futures=True)  # on an error, read no further


def _die_with(parent: int) -> None:
    """A reader process ends with the load that started it, even one killed outright (``kill -9``): the
    forked workers hold both ends of their task pipe, so they would otherwise wait for work forever."""
    if sys.platform == "linux":
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the load died before this process could ask
        os._exit(1)


def _read_bundle(job: _Job) -> ReadResult:
    bundle, roles, release, strict = job
    reading = _Reading(strict)
    reading.bundle(bundle, roles, release)
    return reading.result


def spreadsheet_first(members: list[Member]) -> Member:
    """Of the copies of one CMS list (a transaction report, the NOC list), the one to read: the spreadsheet
    when there is one, whose descriptions are whole (the .prn and .txt copies cut them)."""
    sheets = [m for m in members if is_spreadsheet(m)]
    return (sheets or members)[0]


def is_spreadsheet(member: Member) -> bool:
    return is_spreadsheet_name(member.basename)


def read_transactions(members: list[Member], release: str, *, warnings: list[LoadWarning]) -> ReportData:
    chosen = spreadsheet_first(members)
    return ReportData(release, read_report(chosen.data, chosen.display, warnings=warnings),
                      [chosen.source_file("transactions")])


class _Reading:
    """One load's reading: what was read, every file's use, and the warnings."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.result = ReadResult()

    def bundle(self, bundle: Bundle, roles: dict[Role | None, list[Member]], override: str | None) -> None:
        if bundle.archive is not None:
            self._use(bundle.archive.display, "archive", "loaded", f"a zip of {_count(len(bundle.members), 'file')}")
        release: str | None = None
        year: int | None = None
        if _has_codes(roles):
            data = self._release(bundle, roles, override)
            self.result.releases.append(data)
            release, year = data.release_id, data.effective_date.year
        elif override is not None:
            release = check_release_id(override)
        else:
            release = release_named(bundle.name)
        for member in roles.get(None, []):
            self._use(member.display, None, "skipped", "not a CMS HCPCS file hcpcs knows (by name or content)")
        self._auxiliary(bundle, roles, release, year)
        self._drug_files(roles)
        if set(roles) <= {None, "readme"} and not any(m.found_in_folder for m in bundle.members):
            what = "zip" if bundle.is_zip else "file"
            raise InputError(bundle.name, f"this {what} holds no HCPCS code file (no ANWEB .txt, .xlsx or .xls)")

    def merge(self, other: ReadResult) -> None:
        for name in ("releases", "noc_lists", "corrections", "reports", "layouts", "drug_files", "files", "warnings"):
            getattr(self.result, name).extend(getattr(other, name))

    def finish(self) -> ReadResult:
        if self.strict and self.result.warnings:
            raise LoadError(strict_refusal(self.result.warnings))
        if not self.result.anything:
            reasons = "; ".join(f"{u.file}: {u.detail}" for u in self.result.files if u.outcome == "skipped")
            raise LoadError(f"nothing to load ({reasons})" if reasons else "nothing to load")
        return self.result

    def _use(self, file: str, role: Role | None, outcome: Outcome, detail: str, warnings: int = 0) -> None:
        self.result.files.append(FileUse(file, ROLE_WORDS[role] if role else "unknown", outcome, detail, warnings))

    def _release(self, bundle: Bundle, roles: dict[Role | None, list[Member]], override: str | None) -> ReleaseData:
        text = _one(roles.get("codes", []), bundle)
        sheet = _one(roles.get("codes_spreadsheet", []), bundle)
        files: list[SourceFile] = [bundle.archive] if bundle.archive else []
        found_disagreements = []
        sheet_records: list[Record] | None = None
        if sheet is not None:
            sheet_records = read_spreadsheet(sheet.data, sheet.display)
            files.append(sheet.source_file("codes_spreadsheet"))
        if text is not None:
            records = read_fixed_width(text.data, text.display)
            files.append(text.source_file("codes"))
            if sheet_records is not None:
                found_disagreements = disagreements(records, sheet_records)
        else:
            assert sheet_records is not None
            records = sheet_records
        code_file = text or sheet
        assert code_file is not None
        _check_unique(records, code_file.display)
        code_names = [m.basename for m in (text, sheet) if m is not None]
        rid, id_source = _identify(bundle, code_names, records, override)
        cut = cut_short(records, code_file.display, in_rows=text is None)
        self.result.warnings.extend(cut)
        if text is not None:
            self._use(text.display, "codes", "loaded", f"release {rid}: {len(records):,} records", len(cut))
        if sheet is not None:
            detail = (f"release {rid}: compared with the text file, {len(found_disagreements)} disagreements"
                      if text is not None else f"release {rid}: {len(records):,} records")
            self._use(sheet.display, "codes_spreadsheet", "loaded", detail, 0 if text else len(cut))
        notes: dict[str, str] = {}
        for member in roles.get("processing_notes", []):
            read = self._read(member, "processing_notes", f"release {rid}",
                              partial(read_processing_notes, member.data, member.display))
            if read is not None:
                notes.update(read)
                files.append(member.source_file("processing_notes"))
        for member in roles.get("readme", []):
            files.append(member.source_file("readme"))
            self._use(member.display, "readme", "loaded", f"kept with release {rid} as one of its source files")
        year, month = int(rid[:4]), int(rid[5:])
        return ReleaseData(
            release_id=rid,
            effective_date=dt.date(year, month, 1),
            records=records,
            files=files,
            processing_notes=notes,
            disagreements=found_disagreements,
            repairs=[repair for record in records for repair in record.repairs],
            id_source=id_source,
        )

    def _auxiliary(self, bundle: Bundle, roles: dict[Role | None, list[Member]], release: str | None,
                   year: int | None) -> None:
        """The lists read beside (or without) a code file: each for the bundle's release, or as named."""
        archive = [bundle.archive] if bundle.archive else []
        if members := roles.get("transactions"):
            self._transactions(bundle, members, release)
        if members := roles.get("noc"):
            chosen = self._chosen(members, "noc", "NOC list")
            noc_year = year or _year_named(chosen, bundle)
            if noc_year is None:
                self._cannot(chosen, "noc", "cannot tell the year of this NOC list from its name")
            else:
                entries = self._read(chosen, "noc", f"NOC list {noc_year}", partial(_read_noc, chosen))
                if entries is not None:
                    self.result.noc_lists.append(NocList(noc_year, entries, [*archive, chosen.source_file("noc")],
                                                         release_id=release if year else None))
        if members := roles.get("corrections"):
            self._corrections(bundle, members, release)
        if members := roles.get("record_layout"):
            for member in members:
                layout_year = year or _year_named(member, bundle) or layout_year_said(member.data)
                if layout_year is None:
                    self._cannot(member, "record_layout", "cannot tell the year of this record layout from its name")
                    continue
                layout = self._read(member, "record_layout", f"record layout {layout_year}",
                                    partial(read_record_layout, member.data, member.display))
                if layout is not None:
                    self.result.layouts.append(
                        RecordLayoutData(layout_year, layout, [*archive, member.source_file("record_layout")],
                                         release_id=release if year else None))
        if year is None:  # no code file here: the README and notes have no release to go with
            for member in roles.get("readme", []):
                self._use(member.display, "readme", "skipped", "a README: nothing in it to load")
            for member in roles.get("processing_notes", []):
                self._use(member.display, "processing_notes", "skipped",
                          "processing notes without their release's code file: load them together")

    def _drug_files(self, roles: dict[Role | None, list[Member]]) -> None:
        """CMS's drug files, each a quarter of its own: one copy of each (the spreadsheet first), others skipped."""
        for kind in DRUG_FILE_KINDS:
            read: dict[str, Member] = {}
            for member in sorted(roles.get(kind, []), key=lambda m: not is_spreadsheet(m)):
                found = self._read(member, kind, ROLE_WORDS[kind], partial(
                    read_drug_file, member.data, member.display, kind, member.source_file(kind)))
                if found is None:
                    continue
                use = self.result.files.pop()  # said again below, with the quarter and rows
                if found.quarter in read:
                    self._use(member.display, kind, "skipped",
                              f"another copy of the {use.role} of {found.quarter}: {read[found.quarter].basename} "
                              "was read")
                    continue
                read[found.quarter] = member
                self.result.drug_files.append(found)
                self._use(member.display, kind, "loaded",
                          f"quarter {found.quarter} ({found.effective_from.isoformat()} to "
                          f"{found.effective_to.isoformat() if found.effective_to else 'a date not given'}): "
                          f"{_count(found.rows, 'row')}", use.warnings)

    def _transactions(self, bundle: Bundle, members: list[Member], release: str | None) -> None:
        chosen = self._chosen(members, "transactions", "transaction report")
        if release is None:
            self._cannot(chosen, "transactions", "a transaction report whose name does not give its release: "
                         "use --release")
            return
        report = self._read(chosen, "transactions", f"transaction report of {release}",
                            partial(read_transactions, [chosen], release))
        if report is not None:
            self.result.reports.append(report)

    def _corrections(self, bundle: Bundle, members: list[Member], release: str | None) -> None:
        """A year's corrections: every spreadsheet, the .prn copies only where no spreadsheet has the same name."""
        sheets = {PurePosixPath(m.basename).stem.lower(): m for m in members if is_spreadsheet(m)}
        chosen: list[Member] = []
        for member in members:
            twin = sheets.get(PurePosixPath(member.basename).stem.lower())
            if twin is not None and twin is not member:
                self._use(member.display, "corrections", "skipped", f"a copy of {twin.basename}, which was read")
            elif member.basename.lower().endswith(".txt") and "readme" in member.basename.lower():
                self._use(member.display, "readme", "skipped", "the corrections README: nothing in it to load")
            else:
                chosen.append(member)
        if not chosen:
            return
        rid = release or release_named(chosen[0].basename)
        if rid is None:
            for member in chosen:
                self._cannot(member, "corrections", "cannot tell which release these corrections are for; "
                             "give --release")
            return
        lists = [found for member in chosen if (found := self._read(
            member, "corrections", f"corrections to {rid}",
            partial(read_corrections, member.data, member.basename))) is not None]
        if lists:
            archive = [bundle.archive] if bundle.archive else []
            self.result.corrections.append(CorrectionList(
                rid, merge(lists), [*archive, *(m.source_file("corrections") for m in chosen)]))

    def _chosen(self, members: list[Member], role: Role, what: str) -> Member:
        """The copy of a list to read; the others are accounted for as copies."""
        chosen = spreadsheet_first(members)
        for member in members:
            if member is not chosen:
                self._use(member.display, role, "skipped", f"another copy of the {what}: {chosen.basename} was read")
        return chosen

    def _read(self, member: Member, role: Role, detail: str, read: Callable[..., T]) -> T | None:
        """Read an auxiliary file with ``read(warnings=...)``; what cannot be read at all is a warning (an
        error under ``strict``)."""
        warnings: list[LoadWarning] = []
        try:
            found = read(warnings=warnings)
        except InputError as exc:
            if self.strict:
                raise
            self._cannot(member, role, exc.reason, line=exc.line, row=exc.row)
            return None
        self.result.warnings.extend(warnings)
        self._use(member.display, role, "loaded", detail, len(warnings))
        return found

    def _cannot(self, member: Member, role: Role, reason: str, *, line: int | None = None,
                row: int | None = None) -> None:
        self.result.warnings.append(LoadWarning(member.display, f"not loaded: {reason}", line=line, row=row))
        self._use(member.display, role, "skipped", reason)


def strict_refusal(warnings: list[LoadWarning]) -> str:
    """The one line a ``--strict`` load refused for its warnings says."""
    return f"--strict: {len(warnings)} warning(s), the first: {warnings[0]}"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _read_noc(member: Member, *, warnings: list[LoadWarning]) -> list[NocEntry]:
    if is_spreadsheet(member):
        return read_noc_spreadsheet(member.data, member.display, warnings=warnings)
    return read_noc_text(member.data, member.display, warnings=warnings)


def _year_named(member: Member, bundle: Bundle) -> int | None:
    for name in (member.basename, bundle.name, member.container):
        found = release_from_name(name)
        if found:
            return found[0]
    return None


def _has_codes(roles: dict[Role | None, list[Member]]) -> bool:
    return "codes" in roles or "codes_spreadsheet" in roles


def _identify(bundle: Bundle, code_files: list[str], records: list[Record],
              override: str | None) -> tuple[str, str]:
    """The release id: ``--release``, else the file names, else the latest action effective date."""
    if override is not None:
        return check_release_id(override), "--release"
    names = [bundle.name, *code_files]
    year = month = None
    for name in names:
        found = release_from_name(name)
        if found is None:
            continue
        if year is None:
            year = found[0]
        if month is None and found[1] is not None and found[0] == year:
            month = found[1]
    if year is not None:
        return release_id(year, month or 1), "file name"
    dates = [d for r in records if isinstance(d := r.get("action_effective_date"), dt.date)]
    if not dates:
        raise InputError(bundle.name, "cannot tell the release: no year in the file name and no action "
                         "effective dates; give --release YYYY-MM")
    latest = max(dates)
    return release_id(latest.year, latest.month), "content (latest action effective date)"


def _one(members: list[Member], bundle: Bundle) -> Member | None:
    if len(members) > 1:
        names = ", ".join(m.basename for m in members)
        raise InputError(bundle.name, f"holds more than one code file of one kind ({names})")
    return members[0] if members else None


def _check_unique(records: list[Record], source: str) -> None:
    seen: dict[str, int] = {}
    for record in records:
        if record.code in seen:
            raise InputError(source, f"code {record.code} appears twice (first at line {seen[record.code]})",
                             line=record.line)
        seen[record.code] = record.line


def _expand(paths: Iterable[Path]) -> list[tuple[Path, str, bool]]:
    """Every file given, and every file in the folders given (subfolders included): its path, its name in
    messages (with the subfolder it is in), and whether it was found in a folder. Hidden files and anything
    that is not a regular file (a FIFO, a device) are passed over."""
    out: list[tuple[Path, str, bool]] = []
    for path in paths:
        if path.is_dir():
            out.extend((p, p.relative_to(path).as_posix(), True) for p in sorted(path.rglob("*"))
                       if p.is_file() and not _hidden(p, path))
        elif path.exists():
            out.append((path, path.name, False))
        else:
            raise InputError(str(path), "no such file or folder")
    return out


def _hidden(path: Path, top: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in path.relative_to(top).parts)


def _read_zip(name: str, whole: bytes, in_folder: bool) -> list[Bundle]:
    """A zip's bundle, and one more for each zip inside it."""
    bundle = Bundle(name, is_zip=True)
    inner: list[Bundle] = []
    bundle.archive = SourceFile(name, "archive", hashlib.sha256(whole).hexdigest(), len(whole))
    for info, data in zip_members(whole, name):
        if PurePosixPath(info.filename).name.startswith(("~$", ".")) or "__MACOSX/" in info.filename:
            continue
        if info.filename.lower().endswith(".zip"):
            inner.extend(_read_zip(f"{name}:{info.filename}", data, in_folder))
        else:
            bundle.members.append(Member(name, info.filename, data, in_folder))
    if not bundle.members and not inner:
        raise InputError(name, "this zip is empty")
    return ([bundle] if bundle.members else []) + inner
