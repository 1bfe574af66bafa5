"""The files of a bundle (a zip, a folder, a release's loose files) and the role each plays: code file, spreadsheet,
processing notes, NOC list, transaction report, corrections, record layout."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TypeVar

from .._errors import InputError
from ..model.drugs import DrugFile
from ..model.records import (
    CorrectionList,
    FileUse,
    LoadWarning,
    NocList,
    RecordLayoutData,
    ReleaseData,
    ReportData,
    Role,
    SourceFile,
)
from .asp import sniff_drug_file
from .fixedwidth import looks_like_fixed_width
from .names import (
    is_spreadsheet_name,
    role_named,
)
from .notes import looks_like_processing_notes
from .spreadsheet import looks_like_code_sheet, read_rows

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


def roles_of(bundle: Bundle) -> dict[Role | None, list[Member]]:
    """The bundle's members by role (``None``: not a file hcpcs knows), each classified once."""
    roles: dict[Role | None, list[Member]] = {}
    for member in bundle.members:
        roles.setdefault(role_of(member), []).append(member)
    return roles


def spreadsheet_first(members: list[Member]) -> Member:
    """Of the copies of one CMS list (a transaction report, the NOC list), the one to read: the spreadsheet
    when there is one, whose descriptions are whole (the .prn and .txt copies cut them)."""
    sheets = [m for m in members if is_spreadsheet(m)]
    return (sheets or members)[0]


def is_spreadsheet(member: Member) -> bool:
    return is_spreadsheet_name(member.basename)


def strict_refusal(warnings: list[LoadWarning]) -> str:
    """The one line a ``--strict`` load refused for its warnings says."""
    return f"--strict: {len(warnings)} warning(s), the first: {warnings[0]}"


def counted(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
