"""The JSON API's response shapes, as published in its OpenAPI document.

Stability promise: within ``/api/`` (version 1) fields are only ever added; none is renamed, retyped or
removed. A breaking change would be served under ``/api/v2/`` beside the old one.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .._drug_models import DrugProduct


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(BaseModel):
    status: int
    type: str
    message: str


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class SourceFileOut(BaseModel):
    name: str
    member: str | None
    role: str
    sha256: str
    size: int


class ReleaseOut(BaseModel):
    id: str
    effective_date: str
    loaded_at: str
    procedure_count: int
    modifier_count: int
    disagreement_count: int
    files: list[SourceFileOut]


class CodedOut(BaseModel):
    code: str
    meaning: str | None


class FieldLine(BaseModel):
    label: str
    value: str
    definition: str
    field: str


class CodeOut(Open):
    code: str
    kind: str
    release: dict[str, str]
    status: str
    as_of: str | None
    active: bool
    long_description: str
    short_description: str | None
    coverage: CodedOut | None
    added_date: str | None
    termination_date: str | None
    fields: list[FieldLine]


class MatchReasonOut(BaseModel):
    #: the query's words, the words of the descriptions they matched, and how (word, stem, abbreviation,
    #: numeral, lay, correction, prefix, dose)
    query: str
    words: list[str]
    how: str


class DrugQuarterOut(BaseModel):
    quarter: str
    effective_from: str
    effective_to: str | None
    source: str
    sha256: str


class NdcOut(Open):
    ndc: str
    codes: list[str]
    quarter: DrugQuarterOut
    note: str | None
    #: the crosswalk's rows, as the library's model (one definition: ``hcpcs._drug_models.DrugProduct``)
    products: list[DrugProduct]
    other_quarters: list[str]


class SearchHitOut(BaseModel):
    code: str
    short_description: str | None
    long_description: str
    status: str
    match: str
    score: float
    #: why the code matched, one entry per group of query words it matched
    why: list[MatchReasonOut] = []


class SearchOut(BaseModel):
    query: str
    release: str
    total: int
    offset: int
    terms: list[str]
    corrections: dict[str, list[str]]
    #: what the reader should know, such as which year's NOC list filtered the codes
    notes: list[str] = []
    #: when nothing matched: the query with the words the index lacks changed to the nearest it has
    did_you_mean: str | None = None
    hits: list[SearchHitOut]


class FieldChangeOut(BaseModel):
    field: str
    label: str
    old: str | None
    new: str | None
    old_meaning: str | None
    new_meaning: str | None


class CodeChangeOut(Open):
    code: str
    action: str
    action_meaning: str | None
    actions: list[str]
    changes: list[FieldChangeOut]


class HistoryEventOut(CodeChangeOut):
    release: str
    effective_date: str
    first: bool


class HistoryOut(Open):
    code: str
    releases: list[str]
    first_release: str
    last_release: str
    reactivated: bool
    reused: bool
    events: list[HistoryEventOut]


class DiffOut(Open):
    counts: dict[str, int]
    fields: list[str]
    total: int
    offset: int
    changes: list[CodeChangeOut]


class ReportDifferenceOut(BaseModel):
    code: str
    ours: str
    report: str | None
    groups: list[str]
    reason: str
    evidence: str


class ReportComparisonOut(BaseModel):
    from_: str = Field(alias="from")
    to: str
    report: str
    agreed: dict[str, int]
    differences: list[ReportDifferenceOut]


class FieldOut(BaseModel):
    name: str
    label: str
    start: int
    length: int
    occurs: int
    kind: str
    code_table: str | None
    definition: str

