"""Doses written in a query or a description (``2.5 mg``, ``per 10 mg``): an amount and its unit."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A unit as written -> the unit it is
UNITS = {"mg": "mg", "milligram": "mg", "milligrams": "mg", "mcg": "mcg", "microgram": "mcg",
         "micrograms": "mcg", "ug": "mcg", "g": "g", "gm": "g", "gram": "g", "grams": "g", "ml": "ml", "cc": "ml",
         "unit": "unit", "units": "unit", "iu": "unit", "meq": "meq", "mmol": "mmol", "mci": "mci",
         "millicurie": "mci", "millicuries": "mci"}
DOSE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|\.\d+)\s*(" + "|".join(sorted(UNITS, key=len, reverse=True))
                  + r")\b")


def doses(text: str) -> tuple[Dose, ...]:
    """The amounts with a unit in a text (``Injection, naloxone, 0.01 mg`` -> 0.01 mg)."""
    return tuple(Dose(float(n), UNITS[u]) for n, u in DOSE.findall(text.lower()))


@dataclass(frozen=True, slots=True)
class Dose:
    """An amount and unit written in a query (``2.5 mg``)."""

    amount: float
    unit: str

    @property
    def said(self) -> str:
        return f"{self.amount:g} {self.unit}"
