"""Finding the HCPCS files in what a user points at: release zips, folders, loose files.

CMS's file names change from year to year (``HCPC17_CONTR_ANWEB.txt``, ``HCPC2020_ANWEB_w_disclaimer.txt``,
``HCPC2024_APR_ANWEB_v5.xlsx``, a bare ``anweb.xlsx``), so each file's role is found from its name
and, where the name says nothing, from its content. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ._compare import disagreements
from ._corrections import merge, read_corrections
from ._errors import InputError, LoadError
from ._fixedwidth import looks_like_fixed_width, read_fixed_width
from ._models import CorrectionList, NocEntry, NocList, Record, ReleaseData, ReportData, Role, SourceFile
from ._notes import (
    looks_like_processing_notes,
    read_noc_spreadsheet,
    read_noc_text,
    read_processing_notes,
)
from ._spreadsheet import looks_like_code_sheet, read_rows, read_spreadsheet
from ._transactions import read_report

SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm")
_MONTHS = {
    "jan": 1, "january": 1, "apr": 4, "april": 4, "jul": 7, "july": 7, "oct": 10, "october": 10,
}
_YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_]?(0[1-9]|1[0-2])(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_SHORT_YEAR = re.compile(r"(?i)hcpcs?(\d{2})(?=[_-])")
_MONTH_WORD = re.compile(r"(?i)(?:^|[-_ .])(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")(?=[-_ .]|$)")
_RELEASE_ID = re.compile(r"(?:19|20)\d{2}-(?:0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class Member:
    """One file to read: a loose file, or a member of a zip."""

    container: str
    member: str | None
    data: bytes

    @property
    def basename(self) -> str:
        return PurePosixPath(self.member).name if self.member else self.container

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


@dataclass(frozen=True, slots=True)
class Skipped:
    name: str
    reason: str


@dataclass(slots=True)
class ReadResult:
    releases: list[ReleaseData] = field(default_factory=list)
    noc_lists: list[NocList] = field(default_factory=list)
    corrections: list[CorrectionList] = field(default_factory=list)
    reports: list[ReportData] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def release_id(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def check_release_id(text: str) -> str:
    """A release id as users may write it (``2020``, ``2020-4``, ``2020-04``) in its one form."""
    text = text.strip()
    match = re.fullmatch(r"((?:19|20)\d{2})(?:-(\d{1,2}))?", text)
    if not match or not 1 <= int(match.group(2) or 1) <= 12:
        raise LoadError(f"{text!r} is not a release id: write YYYY or YYYY-MM, such as 2020-04")
    return release_id(int(match.group(1)), int(match.group(2) or 1))


def release_named(name: str) -> str | None:
    """The release id a CMS file name gives (a year alone is its January release), else ``None``."""
    found = release_from_name(name)
    return release_id(found[0], found[1] or 1) if found else None


def release_from_name(name: str) -> tuple[int, int | None] | None:
    """The (year, month) a CMS file name gives; month is ``None`` when the name names only a year."""
    stem = PurePosixPath(name).name
    ym = _YEAR_MONTH.search(stem)
    if ym:
        return int(ym.group(1)), int(ym.group(2))
    year_match = _YEAR.search(stem)
    short = _SHORT_YEAR.search(stem)
    if year_match:
        year = int(year_match.group(1))
    elif short:
        year = 2000 + int(short.group(1))
    else:
        return None
    word = _MONTH_WORD.search(stem)
    return year, (_MONTHS[word.group(1).lower()] if word else None)


def role_of(member: Member) -> Role | None:
    """What a file is, from its name and, where that says nothing, its content."""
    name = member.basename.lower()
    spreadsheet = name.endswith(SPREADSHEET_SUFFIXES)
    if "correction" in name:
        return "corrections"
    if "trans" in name or "changes_by" in name:
        return "transactions"
    if "noc" in name.replace("anweb", ""):
        return "noc"
    if "proc_note" in name or "procnote" in name:
        return "processing_notes"
    if "recordlayout" in name or "record_layout" in name or "record-layout" in name:
        return "record_layout"
    if "readme" in name:
        return "readme"
    if "anweb" in name:
        return "codes_spreadsheet" if spreadsheet else "codes"
    head = member.data[:16384]
    if spreadsheet:
        try:
            return "codes_spreadsheet" if looks_like_code_sheet(read_rows(member.data, member.display)) else None
        except InputError:
            return None
    if looks_like_fixed_width(head):
        return "codes"
    if looks_like_processing_notes(head):
        return "processing_notes"
    if b"CMS RIF REPORT" in head:
        return "record_layout"
    return None


def gather(paths: Iterable[Path]) -> list[Bundle]:
    """Zips become one bundle each; loose files are grouped by the release their names give."""
    bundles: list[Bundle] = []
    loose: dict[str, Bundle] = {}
    for path in _expand(paths):
        if path.suffix.lower() == ".zip":
            bundles.append(_read_zip(path))
            continue
        member = Member(path.name, None, _read_bytes(path))
        named = release_named(path.name)
        key = named or f"file:{path}"
        loose.setdefault(key, Bundle(named or path.name)).members.append(member)
    return bundles + list(loose.values())


def roles_of(bundle: Bundle) -> dict[Role, list[Member]]:
    """The bundle's members by role, each classified once (content sniffing may read a whole workbook)."""
    roles: dict[Role, list[Member]] = {}
    for member in bundle.members:
        role = role_of(member)
        if role is not None:
            roles.setdefault(role, []).append(member)
    return roles


def read_bundle(bundle: Bundle, roles: dict[Role, list[Member]], *,
                release: str | None = None) -> ReleaseData | NocList | CorrectionList | ReportData | Skipped:
    """Read one bundle into a release, a NOC list, or a note of why it was passed over."""
    if _has_codes(roles):
        return _read_release(bundle, roles, release)
    if "noc" in roles:
        return _read_noc(bundle, roles["noc"])
    if "corrections" in roles:
        return _read_corrections(bundle, roles["corrections"], release)
    if "record_layout" in roles:
        return Skipped(bundle.name, "the record layout: its code tables are built into hcpcs")
    if "transactions" in roles:
        if release is not None:
            return read_transactions(roles["transactions"], check_release_id(release))
        if (named := release_named(bundle.name)) is not None:
            return read_transactions(roles["transactions"], named)
        return Skipped(bundle.name, "a transaction report whose name does not give its release: use --release")
    what = "zip" if bundle.is_zip else "file"
    raise InputError(bundle.name, f"this {what} holds no HCPCS code file (no ANWEB .txt, .xlsx or .xls)")


def read_all(paths: Iterable[Path], *, release: str | None = None,
             progress: Callable[[str], None] | None = None) -> ReadResult:
    classified = [(bundle, roles_of(bundle)) for bundle in gather(paths)]
    if release is not None and sum(1 for _, roles in classified if _has_codes(roles)) > 1:
        raise LoadError("--release names one release, but more than one release file was given")
    result = ReadResult()
    for bundle, roles in classified:
        if progress:
            progress(bundle.name)
        found = read_bundle(bundle, roles, release=release)
        if isinstance(found, ReleaseData):
            result.releases.append(found)
            if "transactions" in roles:
                result.reports.append(read_transactions(roles["transactions"], found.release_id))
        elif isinstance(found, ReportData):
            result.reports.append(found)
        elif isinstance(found, NocList):
            result.noc_lists.append(found)
        elif isinstance(found, CorrectionList):
            result.corrections.append(found)
        else:
            result.skipped.append(found)
    ids = [r.release_id for r in result.releases]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise LoadError(f"more than one file given for release {', '.join(twice)}: load them one at a time")
    result.releases.sort(key=lambda r: r.effective_date)
    return result


def _has_codes(roles: dict[Role, list[Member]]) -> bool:
    return "codes" in roles or "codes_spreadsheet" in roles


def _read_release(bundle: Bundle, roles: dict[Role, list[Member]], override: str | None) -> ReleaseData:
    text = _one(roles.get("codes", []), bundle)
    sheet = _one(roles.get("codes_spreadsheet", []), bundle)
    files: list[SourceFile] = [bundle.archive] if bundle.archive else []
    records: list[Record]
    found_disagreements = []
    if text is not None:
        records = read_fixed_width(text.data, text.display)
        files.append(text.source_file("codes"))
        if sheet is not None:
            sheet_records = read_spreadsheet(sheet.data, sheet.display)
            files.append(sheet.source_file("codes_spreadsheet"))
            found_disagreements = disagreements(records, sheet_records)
    else:
        assert sheet is not None
        records = read_spreadsheet(sheet.data, sheet.display)
        files.append(sheet.source_file("codes_spreadsheet"))
    _check_unique(records, (text or sheet).display)  # type: ignore[union-attr]
    notes: dict[str, str] = {}
    for member in roles.get("processing_notes", []):
        notes.update(read_processing_notes(member.data, member.display))
        files.append(member.source_file("processing_notes"))
    extra: tuple[Role, ...] = ("transactions", "readme", "record_layout", "noc")
    for role in extra:
        files.extend(m.source_file(role) for m in roles.get(role, []))
    code_files = [m.basename for role in ("codes", "codes_spreadsheet") for m in roles.get(role, [])]
    release_id_, id_source = _identify(bundle, code_files, records, override)
    year, month = int(release_id_[:4]), int(release_id_[5:])
    return ReleaseData(
        release_id=release_id_,
        effective_date=dt.date(year, month, 1),
        records=records,
        files=files,
        processing_notes=notes,
        disagreements=found_disagreements,
        repairs=[repair for record in records for repair in record.repairs],
        id_source=id_source,
    )


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


def _read_corrections(bundle: Bundle, members: list[Member], override: str | None) -> CorrectionList:
    """A year's corrections: every spreadsheet (the .prn copies only where no spreadsheet has the same name)."""
    sheets = {PurePosixPath(m.basename).stem.lower() for m in members if is_spreadsheet(m)}
    chosen = [m for m in members if is_spreadsheet(m) or PurePosixPath(m.basename).stem.lower() not in sheets]
    chosen = [m for m in chosen if not m.basename.lower().endswith(".txt")]  # the README
    if not chosen:
        raise InputError(bundle.name, "holds no corrections file (.xlsx or .prn)")
    if override is not None:
        release = check_release_id(override)
    else:
        named = release_named(bundle.name) or release_named(chosen[0].basename)
        if named is None:
            raise InputError(bundle.name, "cannot tell which release these corrections are for; give --release")
        release = named
    entries = merge([read_corrections(m.data, m.basename) for m in chosen])
    return CorrectionList(release, entries, [*([bundle.archive] if bundle.archive else []),
                                             *(m.source_file("corrections") for m in members)])


def spreadsheet_first(members: list[Member]) -> Member:
    """Of the copies of one CMS list (a transaction report, the NOC list), the one to read: the spreadsheet
    when there is one, whose descriptions are whole (the .prn and .txt copies cut them)."""
    sheets = [m for m in members if is_spreadsheet(m)]
    return (sheets or members)[0]


def is_spreadsheet(member: Member) -> bool:
    return member.basename.lower().endswith(SPREADSHEET_SUFFIXES)


def read_transactions(members: list[Member], release: str) -> ReportData:
    chosen = spreadsheet_first(members)
    return ReportData(release, read_report(chosen.data, chosen.display), [chosen.source_file("transactions")])


def _read_noc(bundle: Bundle, members: list[Member]) -> NocList:
    chosen = spreadsheet_first(members)
    entries: list[NocEntry] = (
        read_noc_spreadsheet(chosen.data, chosen.display) if is_spreadsheet(chosen)
        else read_noc_text(chosen.data, chosen.display)
    )
    year = None
    for name in (chosen.basename, bundle.name):
        found = release_from_name(name)
        if found:
            year = found[0]
            break
    if year is None:
        raise InputError(chosen.display, "cannot tell the year of this NOC list from its name")
    return NocList(year, entries, [*([bundle.archive] if bundle.archive else []),
                                   *(m.source_file("noc") for m in members)])


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


def _expand(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        elif path.exists():
            out.append(path)
        else:
            raise InputError(str(path), "no such file or folder")
    return out


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from None


def _read_zip(path: Path) -> Bundle:
    bundle = Bundle(path.name, is_zip=True)
    try:
        whole = path.read_bytes()
        bundle.archive = SourceFile(path.name, "archive", hashlib.sha256(whole).hexdigest(), len(whole))
        with zipfile.ZipFile(io.BytesIO(whole)) as archive:
            for info in archive.infolist():
                if info.is_dir() or PurePosixPath(info.filename).name.startswith(("~$", ".")):
                    continue
                bundle.members.append(Member(path.name, info.filename, archive.read(info)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise InputError(path.name, f"not a readable zip file ({exc})") from None
    except OSError as exc:
        raise InputError(path.name, exc.strerror or str(exc)) from None
    if not bundle.members:
        raise InputError(path.name, "this zip is empty")
    return bundle
