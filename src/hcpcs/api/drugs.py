"""The facade's drug part: CMS's NDC crosswalk and payment limits, by NDC and by code, on a day (``_drugs``)."""

from __future__ import annotations

import datetime as dt

from ..model.drugs import DrugFileKind, NdcAnswer, Quarter
from ..model.identifiers import parse_day
from .base import HandleBase
from .drug_files import ndc_answer, quarters


class Drugs(HandleBase):
    """NDC lookups, and a code's drug products and payment limits."""

    def drug_quarters(self, kind: DrugFileKind | None = None) -> list[Quarter]:
        """The loaded quarters of CMS's drug files (of one kind), oldest first."""
        return [q for q in quarters(self._store) if kind is None or q.kind == kind]

    def ndc(self, ndc: str, *, as_of: dt.date | str | None = None) -> NdcAnswer:
        """The code(s) an NDC bills under, by the crosswalk in effect on ``as_of`` (else the latest before it,
        said so), or without a date by the latest loaded crosswalk that lists it.

        Raises ``NdcError`` (a usage error) for text that is not an NDC, ``NotFound`` (naming NDCs of the
        same labeler) for one the crosswalk does not list.
        """
        return ndc_answer(self._store, ndc, parse_day(as_of, "--as-of") if as_of is not None else None)
