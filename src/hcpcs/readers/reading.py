"""Reading one bundle's files for what each is: the release's code files (text and spreadsheet compared), its
side files, and the release id they belong to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import PurePosixPath

from .._errors import InputError, LoadError
from ..model.drugs import DRUG_FILE_KINDS
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
from .asp import read_drug_file
from .compare import disagreements
from .completeness import cut_short
from .corrections import merge, read_corrections
from .fixedwidth import read_fixed_width
from .members import Bundle, Member, ReadResult, T, counted, is_spreadsheet, spreadsheet_first, strict_refusal
from .names import (
    ROLE_WORDS,
    release_from_name,
    release_named,
)
from .notes import read_noc_spreadsheet, read_noc_text, read_processing_notes
from .record_layout import layout_year as layout_year_said
from .record_layout import read_record_layout
from .spreadsheet import read_spreadsheet
from .transactions import read_report


def read_transactions(members: list[Member], release: str, *, warnings: list[LoadWarning]) -> ReportData:
    chosen = spreadsheet_first(members)
    return ReportData(release, read_report(chosen.data, chosen.display, warnings=warnings),
                      [chosen.source_file("transactions")])


class Reading:
    """One load's reading: what was read, every file's use, and the warnings."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.result = ReadResult()

    def bundle(self, bundle: Bundle, roles: dict[Role | None, list[Member]], override: str | None) -> None:
        if bundle.archive is not None:
            self._use(bundle.archive.display, "archive", "loaded", f"a zip of {counted(len(bundle.members), 'file')}")
        release: str | None = None
        year: int | None = None
        if has_codes(roles):
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
                          f"{counted(found.rows, 'row')}", use.warnings)

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


def has_codes(roles: dict[Role | None, list[Member]]) -> bool:
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
