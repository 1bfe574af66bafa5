"""What the store's queries hand back besides the models: small typed rows, dates as dates."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple, TypedDict

#: A stored record: every column of CMS's record layout by name (``_layout.COLUMNS``: dates as ``date``, numbers
#: as ``int``, text as ``str``, blanks as ``None``), with ``release_id``, ``kind`` and ``source_line``. A mapping,
#: not a class: its columns are the layout's data, read by name (``FIELDS_BY_NAME[...].columns``).
RecordRow = dict[str, Any]


class SearchRow(TypedDict):
    """A record a search found: its code, descriptions, termination date and bm25 score (0 for code matches)."""

    code: str
    short_description: str | None
    long_description: str | None
    termination_date: dt.date | None
    score: float


class CodeLine(NamedTuple):
    """A record in a release's list of codes."""

    code: str
    long_description: str | None
    termination_date: dt.date | None


class CrosswalkLine(NamedTuple):
    """A record naming the codes to use in its place."""

    code: str
    long_description: str | None
    termination_date: dt.date | None
    cross_references: tuple[str, ...]


class Described(NamedTuple):
    """A record's descriptions, for the search index and the pair rules."""

    release_id: str
    code: str
    long_description: str | None
    short_description: str | None


class PairRule(NamedTuple):
    """A rule mined from a description: ``code`` with ``other`` on one claim, as ``clause`` says."""

    release_id: str
    code: str
    other: str
    clause: str


class RecordSpan(NamedTuple):
    """A record over the span its release was in effect (``valid_to``: the next release's start, exclusive)."""

    code: str
    kind: str
    release_id: str
    valid_from: dt.date
    valid_to: dt.date
    added_date: dt.date | None
    termination_date: dt.date | None
    coverage: str | None
    cross_references: tuple[str, ...]


class NdcCode(NamedTuple):
    """An NDC and a code it bills under, in one quarter's crosswalk."""

    quarter: str
    ndc: str
    code: str
    billing_units_per_package: str


class DrugName(NamedTuple):
    """A drug name as sold, with its code and labeler, in one quarter's crosswalk."""

    code: str
    drug_name: str
    labeler: str
