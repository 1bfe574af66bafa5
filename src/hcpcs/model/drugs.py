"""Model objects of CMS's Medicare Part B drug files: the ASP NDC-HCPCS crosswalk and the payment limits.

CMS publishes both each quarter beside the HCPCS releases. A quarter is named by the month it takes effect
(``2024-01``) and carries its effective period, read from the file. Level I (CPT) rows keep their code
number only: CPT descriptors are the AMA's, and no reader keeps the files' short descriptions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from .records import LoadWarning, SourceFile

#: ``ndc_crosswalk``: which NDC packages bill under which code; ``payment_limits``: the payment per dosage unit
#: (each also the ``Role`` of its files)
DrugFileKind = Literal["ndc_crosswalk", "payment_limits"]
DRUG_FILE_KINDS: tuple[DrugFileKind, ...] = ("ndc_crosswalk", "payment_limits")


@dataclass(frozen=True, slots=True)
class DrugProduct:
    """One row of the crosswalk: a drug package (an NDC, or a product id CMS lists in its place) and the code
    it bills under, with the billing units one package holds."""

    code: str
    labeler: str
    #: the NDC in 5-4-2 form, or ``None`` where CMS lists another product id (skin substitutes)
    ndc: str | None
    #: the identifier as CMS wrote it
    product_id: str
    drug_name: str
    dosage: str
    package_size: str
    package_quantity: str
    billing_units: str
    billing_units_per_package: str
    line: int


@dataclass(frozen=True, slots=True)
class PaymentLimit:
    """One row of the payment limit file: what Medicare Part B pays per dosage unit of a code."""

    code: str
    dosage: str
    #: dollars per dosage unit as CMS wrote it (``137.892``), or ``None`` where CMS gives none (``N/A``)
    limit: str | None
    coinsurance: str | None
    vaccine_awp: str | None
    vaccine_limit: str | None
    blood_awp: str | None
    blood_limit: str | None
    clotting_factor: str | None
    notes: str | None
    line: int


@dataclass(slots=True)
class DrugFile:
    """One quarter's crosswalk or payment limit file as read, before it is stored."""

    kind: DrugFileKind
    quarter: str
    effective_from: dt.date
    effective_to: dt.date | None
    files: list[SourceFile]
    products: list[DrugProduct] = field(default_factory=list)
    limits: list[PaymentLimit] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.products) + len(self.limits)


@dataclass(frozen=True, slots=True)
class Quarter:
    """A loaded quarter of one kind of drug file."""

    kind: DrugFileKind
    quarter: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str
    sha256: str
    rows: int

    def holds(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @property
    def period(self) -> str:
        """The quarter's effective period in words: ``2024-01-01 to 2024-03-31``."""
        end = self.effective_to.isoformat() if self.effective_to else "a date CMS does not give"
        return f"{self.effective_from.isoformat()} to {end}"


@dataclass(frozen=True, slots=True)
class NdcAnswer:
    """What the crosswalk of one quarter says of one NDC: the code(s) it bills under."""

    ndc: str
    quarter: Quarter
    products: tuple[DrugProduct, ...]
    #: the other quarters whose crosswalk lists the NDC
    other_quarters: tuple[str, ...] = ()
    #: where no crosswalk was in effect on the date asked: which quarter answers instead
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CodeDrugs:
    """A code's drug data on a day: its crosswalk products and payment limit, each with its quarter."""

    products: tuple[DrugProduct, ...] = ()
    crosswalk: Quarter | None = None
    crosswalk_note: str | None = None
    limit: PaymentLimit | None = None
    limits: Quarter | None = None
    limit_note: str | None = None
    #: the payment limit in every loaded quarter, oldest first
    limit_history: tuple[tuple[Quarter, PaymentLimit], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.products and self.limit is None and not self.limit_history









