"""Which columns of a claim-line file hold what: the one description every engine and pass reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Columns:
    """Which input columns hold the code, the date of service, the claim id and the modifiers."""

    code: str = "code"
    date: str = "date"
    claim: str | None = "claim_id"
    modifiers: tuple[str, ...] = ("modifiers",)
    #: the drug package (NDC, any spelling) and how many packages: both optional, used where the file has them
    ndc: str = "ndc"
    units: str = "units"
