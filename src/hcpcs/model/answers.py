"""What the library hands out: releases, codes as a release or a day shows them, what changed between releases
and across a code's life, and search results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .drugs import CodeDrugs, PaymentLimit, Quarter
from .records import ActionCode, Correction, ReportEntry, SourceFile, Value


@dataclass(frozen=True, slots=True)
class Release:
    """A release in the database."""

    id: str
    effective_date: dt.date
    loaded_at: str
    procedure_count: int
    modifier_count: int
    disagreement_count: int
    files: tuple[SourceFile, ...] = ()

    @property
    def year(self) -> int:
        return self.effective_date.year


@dataclass(frozen=True, slots=True)
class Coded:
    """A coded value with its meaning from CMS's code table (``None`` where CMS gives none)."""

    value: str
    meaning: str | None


@dataclass(frozen=True, slots=True)
class RelatedCode:
    """A code named by this one: a cross-reference, or a code named in its description or note."""

    code: str
    why: Literal["cross reference", "description", "processing note"]
    short_description: str | None


@dataclass(frozen=True, slots=True)
class Code:
    """One HCPCS code as it stands in one release, every field decoded."""

    code: str
    kind: Literal["procedure", "modifier"]
    release: Release
    long_description: str
    short_description: str | None
    pricing_indicators: tuple[Coded, ...]
    multiple_pricing_indicator: Coded | None
    cim_references: tuple[str, ...]
    mcm_references: tuple[str, ...]
    statute: str | None
    lab_certifications: tuple[Coded, ...]
    cross_references: tuple[str, ...]
    coverage: Coded | None
    asc_group: Coded | None
    asc_effective_date: dt.date | None
    mog_payment_group: Coded | None
    mog_payment_policy: Coded | None
    mog_effective_date: dt.date | None
    processing_note: str | None
    processing_note_text: str | None
    betos: Coded | None
    types_of_service: tuple[Coded, ...]
    anesthesia_base_units: int | None
    added_date: dt.date | None
    action_effective_date: dt.date | None
    termination_date: dt.date | None
    action: Coded | None
    noc: bool | None
    noc_list_year: int | None
    related: tuple[RelatedCode, ...]
    values: dict[str, Value]
    source: str
    line: int
    as_of: dt.date | None = None
    corrections: tuple[Correction, ...] = ()
    #: for an as-of lookup: what later releases say about that day (a termination or reuse set afterwards)
    hindsight: tuple[str, ...] = ()
    #: what CMS's transaction report of the release says of the code, when the report is loaded
    transaction_report: ReportEntry | None = None
    #: the record layout whose code tables and definitions decode this code: its year and file
    layout_year: int | None = None
    layout_source: str | None = None
    #: why another year's layout decodes the release (none of its own year is loaded), or ``None``
    layout_note: str | None = None
    #: the meaning of each coded column that has a value, by that layout (``values`` keys)
    meanings: Mapping[str, str] = field(default_factory=dict)
    #: each field's definition in that layout (``_layout.Field.name`` keys)
    definitions: Mapping[str, str] = field(default_factory=dict)
    #: how the NOC flag was found where not from the NOC list of the release's year: inferred from another
    #: year's list (``noc_list_year``), or not known (no list loaded)
    noc_note: str | None = None
    #: for an as-of date before the first loaded release: that the earliest release answers for it
    as_of_note: str | None = None
    #: CMS's drug files on the page's date: the NDC packages billed under the code, its payment limit
    drugs: CodeDrugs | None = None

    @property
    def status(self) -> Literal["Actual", "Terminated"]:
        """``Terminated`` when the code's termination date is before the date asked about (``as_of``),
        else before the release took effect."""
        end = self.termination_date
        day = self.as_of or self.release.effective_date
        return "Terminated" if end is not None and end < day else "Actual"

    @property
    def active(self) -> bool:
        return self.status == "Actual"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of one code that differs between two releases: old and new value, both decoded."""

    field: str
    label: str
    old: Value
    new: Value
    old_meaning: str | None = None
    new_meaning: str | None = None


@dataclass(frozen=True, slots=True)
class CodeChange:
    """What happened to one code between two releases, classified with CMS's action codes.

    ``action`` is the one code CMS's transaction report would give (the first of ``actions`` in
    CMS's order of precedence); ``actions`` holds every action that applies.
    """

    code: str
    action: ActionCode
    actions: tuple[ActionCode, ...]
    changes: tuple[FieldChange, ...]
    short_description: str | None
    long_description: str | None
    termination_date: dt.date | None = None
    replacements: tuple[str, ...] = ()
    reused: bool = False
    note: str | None = None

    @property
    def kind(self) -> Literal["procedure", "modifier"]:
        return "modifier" if len(self.code) == 2 else "procedure"


@dataclass(frozen=True, slots=True)
class Diff:
    """Every code that changed between two releases, in code order."""

    old: Release
    new: Release
    changes: tuple[CodeChange, ...]
    fields: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        """How many codes got each action code (the primary one)."""
        out: dict[str, int] = {}
        for change in self.changes:
            out[change.action] = out.get(change.action, 0) + 1
        return dict(sorted(out.items()))

    def by_code(self) -> dict[str, CodeChange]:
        return {c.code: c for c in self.changes}


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One step in a code's life: its first appearance, or a change from the release before."""

    release: Release
    change: CodeChange
    first: bool = False


@dataclass(frozen=True, slots=True)
class History:
    """A code across every loaded release."""

    code: str
    releases: tuple[str, ...]
    events: tuple[HistoryEvent, ...]
    first_release: str
    last_release: str
    termination_date: dt.date | None
    replacements: tuple[str, ...]
    reactivated: bool
    reused: bool
    #: the Medicare Part B payment limit per dosage unit in each loaded quarter of CMS's pricing files
    payment_limits: tuple[tuple[Quarter, PaymentLimit], ...] = ()


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What a search may be narrowed to. Empty tuples mean "any".

    ``codes`` is a letter (``E``), a prefix (``J93``) or an inclusive range (``E0100-E0200``).
    ``active_on`` excludes codes terminated before that day (``None``: keep terminated codes).
    """

    codes: str | None = None
    coverage: tuple[str, ...] = ()
    betos: tuple[str, ...] = ()
    pricing_indicator: tuple[str, ...] = ()
    type_of_service: tuple[str, ...] = ()
    noc_year: int | None = None
    active_on: dt.date | None = None
    #: only codes with a product of a labeler whose name holds this text, in the NDC crosswalk of ``labeler_quarter``
    labeler: str | None = None
    labeler_quarter: str | None = None


@dataclass(frozen=True, slots=True)
class MatchReason:
    """Why a code matched one group of query words: the query's words, the description's words that
    matched them, and how (``word``, ``stem``, ``abbreviation``, ``numeral``, ``lay``, ``correction``,
    ``prefix``)."""

    query: str
    words: tuple[str, ...]
    how: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One code found: how it matched (``code``, ``prefix``, ``drug name``: a drug name as sold in CMS's NDC
    crosswalk, ``all words``, ``some words``) and its score; ``why`` says which query words matched which words
    of its descriptions."""

    code: str
    short_description: str | None
    long_description: str
    status: Literal["Actual", "Terminated"]
    match: Literal["code", "prefix", "drug name", "all words", "some words"]
    score: float
    why: tuple[MatchReason, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of search results, with the total count and what the query was read as."""

    query: str
    release: Release
    total: int
    offset: int
    hits: tuple[SearchHit, ...]
    terms: tuple[str, ...]
    corrections: dict[str, tuple[str, ...]]
    #: what the reader of the results should know, such as which year's NOC list filtered them
    notes: tuple[str, ...] = ()
    #: when nothing matched: the query with the words the index lacks changed to the nearest it has
    did_you_mean: str | None = None
