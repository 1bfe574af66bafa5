"""The JSON API's response shapes, as published in its OpenAPI document.

Stability promise: within ``/api/`` (version 1) fields are only ever added; none is renamed, retyped or
removed. A breaking change would be served under ``/api/v2/`` beside the old one.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from pydantic import BaseModel, Field, create_model

from ..model.drugs import DrugProduct, PaymentLimit
from ..model.records import Correction


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


class ReleaseRefOut(BaseModel):
    id: str
    effective_date: str


class ProcessingNoteOut(BaseModel):
    number: str
    text: str | None


class RecordLayoutOut(BaseModel):
    year: int | None
    source: str | None
    note: str | None


class RelatedCodeOut(BaseModel):
    code: str
    why: str
    short_description: str | None


class TransactionReportLineOut(BaseModel):
    action: str
    change: str
    line: int


class SourceLineOut(BaseModel):
    file: str | None
    line: int | None


def _fields_of(model: type) -> dict[str, Any]:
    """A library model's fields (a dataclass), in order, as the required fields of a response shape."""
    hints = typing.get_type_hints(model)
    return {f.name: (hints[f.name], ...) for f in dataclasses.fields(model)}


if typing.TYPE_CHECKING:
    PaymentLimitOut = BaseModel
else:
    #: a row of the payment limit file, made from the library's model (``hcpcs.model.drugs.PaymentLimit``) so
    #: that the two cannot drift; the quarter's shapes below add to it
    PaymentLimitOut = create_model("PaymentLimitOut", **_fields_of(PaymentLimit))


class MatchReasonOut(BaseModel):
    #: the query's words, the words of the descriptions they matched, and how (word, stem, abbreviation,
    #: numeral, lay, correction, prefix, dose)
    query: str
    words: list[str]
    how: str


class DrugQuarterOut(BaseModel):
    #: ndc_crosswalk (CMS's ASP NDC-HCPCS crosswalk) or payment_limits (its ASP pricing file)
    kind: str
    quarter: str
    effective_from: str
    effective_to: str | None
    source: str
    sha256: str
    #: the rows the file holds
    rows: int


class NdcOut(BaseModel):
    ndc: str
    codes: list[str]
    quarter: DrugQuarterOut
    note: str | None
    #: the crosswalk's rows, as the library's model (one definition: ``hcpcs.model.drugs.DrugProduct``)
    products: list[DrugProduct]
    other_quarters: list[str]


class QuarterLimitOut(PaymentLimitOut):
    quarter: DrugQuarterOut


class CurrentLimitOut(QuarterLimitOut):
    #: where no pricing file was in effect on the page's date: which quarter answers instead
    note: str | None


class CrosswalkQuarterOut(DrugQuarterOut):
    note: str | None


class CodeDrugsOut(BaseModel):
    payment_limit: CurrentLimitOut | None
    crosswalk: CrosswalkQuarterOut | None
    products: list[DrugProduct]
    payment_limit_history: list[QuarterLimitOut]


class CodeOut(BaseModel):
    code: str
    kind: str
    release: ReleaseRefOut
    status: str
    as_of: str | None
    #: what later releases say about this date (a retroactive change, a later correction)
    hindsight: list[str]
    active: bool
    long_description: str
    short_description: str | None
    pricing_indicators: list[CodedOut]
    multiple_pricing_indicator: CodedOut | None
    cim_references: list[str]
    mcm_references: list[str]
    statute: str | None
    lab_certifications: list[CodedOut]
    cross_references: list[str]
    coverage: CodedOut | None
    asc_group: CodedOut | None
    asc_effective_date: str | None
    mog_payment_group: CodedOut | None
    mog_payment_policy: CodedOut | None
    mog_effective_date: str | None
    processing_note: ProcessingNoteOut | None
    betos: CodedOut | None
    types_of_service: list[CodedOut]
    anesthesia_base_units: int | None
    added_date: str | None
    action_effective_date: str | None
    termination_date: str | None
    action: CodedOut | None
    noc: bool | None
    noc_list_year: int | None
    noc_note: str | None
    record_layout: RecordLayoutOut
    as_of_note: str | None
    related_codes: list[RelatedCodeOut]
    last_update: int
    #: CMS's corrections to the code, as the library's model (one definition: ``hcpcs.model.records.Correction``)
    corrections: list[Correction]
    transaction_report: TransactionReportLineOut | None
    source: SourceLineOut
    drugs: CodeDrugsOut | None
    fields: list[FieldLine]


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


class CodeChangeOut(BaseModel):
    code: str
    action: str
    action_meaning: str | None
    actions: list[str]
    short_description: str | None
    long_description: str | None
    termination_date: str | None
    #: the codes CMS names in the cross reference fields of a discontinued code
    replacements: list[str]
    reused: bool
    note: str | None
    changes: list[FieldChangeOut]


class HistoryEventOut(CodeChangeOut):
    release: str
    effective_date: str
    first: bool


class HistoryOut(BaseModel):
    code: str
    releases: list[str]
    first_release: str
    last_release: str
    termination_date: str | None
    replacements: list[str]
    reactivated: bool
    reused: bool
    events: list[HistoryEventOut]
    #: the payment limit per dosage unit in every loaded quarter of CMS's pricing files
    payment_limits: list[QuarterLimitOut]


class DiffOut(BaseModel):
    from_: ReleaseRefOut = Field(alias="from")
    to: ReleaseRefOut
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

