"""What the store's queries hand back besides the models: small typed rows, dates as dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypedDict, cast

from ..model.layout import COLUMNS, FIELDS, FIELDS_BY_NAME
from ..model.records import Value

#: What each record column holds, by the layout: text, date or number.
_KINDS = {column: f.kind for f in FIELDS for column in f.columns}


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A stored record of one release: where it stands (release, kind, line in CMS's file), every column of
    CMS's record layout in ``values``, and the columns the facade reads by themselves as typed attributes.

    ``values`` maps each name of ``layout.COLUMNS`` to its value (dates as ``date``, numbers as ``int``, text as
    ``str``, blanks as ``None``): the layout is data, so its fields are read by name (``field``, ``text``,
    ``date``, ``number``). Built once per row; the typed attributes read ``values`` (a release has thousands of
    records, and most are only compared, never read field by field).
    """

    release_id: str
    kind: Literal["procedure", "modifier"]
    source_line: int
    values: Mapping[str, Value]

    @classmethod
    def of(cls, values: Mapping[str, Value], release_id: str = "",
           kind: Literal["procedure", "modifier"] = "procedure", source_line: int = 0) -> RecordRow:
        """A record from layout columns by name (dates as dates); a column not given is blank."""
        full: dict[str, Value] = dict.fromkeys(COLUMNS)
        full.update(values)
        return cls(release_id, kind, source_line, full)

    @property
    def code(self) -> str:
        return cast(str, self.values["code"])

    @property
    def short_description(self) -> str | None:
        return cast("str | None", self.values["short_description"])

    @property
    def long_description(self) -> str | None:
        return cast("str | None", self.values["long_description"])

    @property
    def added_date(self) -> dt.date | None:
        return cast("dt.date | None", self.values["added_date"])

    @property
    def termination_date(self) -> dt.date | None:
        return cast("dt.date | None", self.values["termination_date"])

    @property
    def action_effective_date(self) -> dt.date | None:
        return cast("dt.date | None", self.values["action_effective_date"])

    def __getitem__(self, column: str) -> Value:
        """One layout column's value (``None`` where blank); ``KeyError`` for a name not in the layout."""
        return self.values[column]

    def text(self, column: str) -> str | None:
        """A text column's value; ``TypeError`` for a column the layout does not make text."""
        return cast("str | None", self._of_kind(column, "text"))

    def date(self, column: str) -> dt.date | None:
        """A date column's value; ``TypeError`` for a column the layout does not make a date."""
        return cast("dt.date | None", self._of_kind(column, "date"))

    def number(self, column: str) -> int | None:
        """A number column's value; ``TypeError`` for a column the layout does not make a number."""
        return cast("int | None", self._of_kind(column, "number"))

    def _of_kind(self, column: str, kind: str) -> Value:
        if _KINDS[column] != kind:
            raise TypeError(f"record column {column} holds {_KINDS[column]}, not {kind}")
        return self.values[column]

    def field(self, name: str) -> tuple[str, ...]:
        """The values given in a layout field's columns (``cross_reference``: every code named), in order."""
        values = self.values
        return tuple(str(v) for c in FIELDS_BY_NAME[name].columns if (v := values[c]))


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
