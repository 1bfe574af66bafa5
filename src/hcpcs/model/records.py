"""Model objects of what the readers produce: CMS records, source files, warnings, and each kind of file as read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from .layout import COLUMN_INDEX, COLUMNS

Value = str | int | dt.date | None
Role = Literal[
    "codes", "codes_spreadsheet", "processing_notes", "noc", "transactions", "record_layout",
    "corrections", "readme", "archive", "ndc_crosswalk", "payment_limits",
]


@dataclass(slots=True)
class Record:
    """One HCPCS procedure or modifier record as read from a CMS file.

    ``row`` holds the value of every store column, in ``_layout.COLUMNS`` order: text stripped,
    ``None`` where blank, dates as ``datetime.date``, the anesthesia base units as ``int``.
    ``line`` is the line (text file) or row (spreadsheet) the record starts on.
    """

    code: str
    row: tuple[Value, ...]
    line: int
    repairs: list[Repair] = field(default_factory=list)

    @property
    def values(self) -> dict[str, Value]:
        """The row as a mapping from column name to value."""
        return dict(zip(COLUMNS, self.row, strict=True))

    def get(self, column: str) -> Value:
        """The value of one column (a name from ``_layout.COLUMNS``)."""
        return self.row[COLUMN_INDEX[column]]

    @property
    def kind(self) -> Literal["procedure", "modifier"]:
        return "modifier" if len(self.code) == 2 else "procedure"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file a release was read from: its name, the member inside a zip, and its sha256."""

    name: str
    role: Role
    sha256: str
    size: int
    member: str | None = None

    @property
    def display(self) -> str:
        return f"{self.name}:{self.member}" if self.member else self.name


@dataclass(frozen=True, slots=True)
class LoadWarning:
    """Something in a file that could not be fully understood: the file was stored as far as it could be.

    ``hcpcs load`` lists these in its summary; ``--strict`` turns them into errors.
    """

    source: str
    message: str
    line: int | None = None
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.field is not None:
            where += f", field {self.field!r}"
        return f"{where}: {self.message}"


Outcome = Literal["loaded", "skipped"]


@dataclass(frozen=True, slots=True)
class FileUse:
    """What a load did with one file or zip member: read for a role, or skipped, and why."""

    file: str
    role: str
    outcome: Outcome
    detail: str
    warnings: int = 0


@dataclass(frozen=True, slots=True)
class NocEntry:
    code: str
    long_description: str
    added_date: dt.date | None
    termination_date: dt.date | None


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A field on which CMS's text file and spreadsheet of the same release differ."""

    code: str
    field: str
    text_value: str
    spreadsheet_value: str


@dataclass(frozen=True, slots=True)
class Repair:
    """A slip in CMS's data that the readers mend, with what was found and how it was read."""

    code: str
    field: str
    found: str
    read_as: str
    reason: str


@dataclass(slots=True)
class ReleaseData:
    """Everything read for one release, before it is stored."""

    release_id: str
    effective_date: dt.date
    records: list[Record]
    files: list[SourceFile]
    processing_notes: dict[str, str] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    id_source: str = "file name"
    warnings: list[LoadWarning] = field(default_factory=list)

    @property
    def procedure_count(self) -> int:
        return sum(1 for r in self.records if len(r.code) == 5)

    @property
    def modifier_count(self) -> int:
        return sum(1 for r in self.records if len(r.code) == 2)


@dataclass(slots=True)
class NocList:
    """CMS's list of "not otherwise classified" codes for one year."""

    year: int
    entries: list[NocEntry]
    files: list[SourceFile]
    warnings: list[LoadWarning] = field(default_factory=list)
    #: the release whose files carried the list (``None``: a list published on its own)
    release_id: str | None = None


@dataclass(slots=True)
class RecordLayoutData:
    """CMS's record layout of one year (``HCPCS2025_recordlayout.txt``) as read for loading: the field
    definitions and code tables (``_layout_reader.read_record_layout``), with the file it came from."""

    year: int
    layout: dict[str, Any]
    files: list[SourceFile]
    warnings: list[LoadWarning] = field(default_factory=list)
    #: the release whose files carried the layout (``None``: a layout published on its own)
    release_id: str | None = None


ActionCode = Literal["A", "B", "C", "D", "F", "P", "R", "S", "T"]
#: CMS's order of precedence: the report gives each code one action, the first of these that applies.
PRECEDENCE: tuple[ActionCode, ...] = ("A", "D", "R", "B", "C", "S", "F", "P", "T")


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """One line of CMS's transaction report: a code and the one action CMS gives it."""

    code: str
    action: ActionCode | Literal["N", "?"]
    change: str
    short_description: str | None
    long_description: str | None
    line: int


@dataclass(frozen=True, slots=True)
class TransactionReport:
    """CMS's transaction report of one release: every code of the release with its action."""

    source: str
    entries: tuple[ReportEntry, ...]

    def by_code(self) -> dict[str, ReportEntry]:
        return {e.code: e for e in self.entries}


@dataclass(frozen=True, slots=True)
class Correction:
    """One line of CMS's corrections to a release: the code, what CMS changed, and the new values."""

    code: str
    action: str
    effective_date: dt.date | None
    effective_text: str
    short_description: str | None
    long_description: str | None
    details: dict[str, str]
    source: str
    row: int


@dataclass(slots=True)
class CorrectionList:
    """CMS's corrections to one release, from every corrections file given (versions are merged)."""

    release_id: str
    entries: list[Correction]
    files: list[SourceFile]
    warnings: list[LoadWarning] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReportData:
    """CMS's transaction report of one release as read for loading, with the file it was read from."""

    release_id: str
    report: TransactionReport
    files: list[SourceFile]
    warnings: list[LoadWarning] = field(default_factory=list)
