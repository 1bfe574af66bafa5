"""What CMS's file names say: the release a file belongs to, and what kind of file it is.

CMS's names change from year to year (``11anweb_V3.txt``, ``HCPC17_CONTR_ANWEB.txt``,
``HCPC2020_ANWEB_w_disclaimer.txt``, ``HCPC2024_APR_ANWEB_v5.xlsx``, ``HCPC2025_JAN_ANWEB_12172024.txt``,
a bare ``anweb.xlsx``), and users rename what they save (``hcpcs-2025.zip``). Nothing here reads a file.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..model.identifiers import release_id
from ..model.records import Role

SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm")
_MONTHS = {
    "jan": 1, "january": 1, "apr": 4, "april": 4, "jul": 7, "july": 7, "oct": 10, "october": 10,
}
_YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_]?(0[1-9]|1[0-2])(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
#: Two-digit years: ``HCPC17_...``, ``HCPCS18-...``, ``11anweb.zip``, ``HCPCREAD_11.txt``.
_SHORT_YEAR = re.compile(r"(?i)hcpcs?(\d{2})(?=[_-])|(?<![0-9])(\d{2})anweb|hcpcread_?(\d{2})(?!\d)")
_MONTH_WORD = re.compile(r"(?i)(?:^|[-_ .])(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")(?=[-_ .]|$)")
#: A README, as CMS names it (``HCPC2018_README.txt``, ``HCPCREAD_11.txt``).
_README = re.compile(r"(?i)readme|hcpcread")
_LAYOUT = re.compile(r"(?i)record[-_ ]?layout")

ROLE_WORDS: dict[Role, str] = {
    "codes": "code file (text)",
    "codes_spreadsheet": "code file (spreadsheet)",
    "processing_notes": "processing notes",
    "noc": "NOC list",
    "transactions": "transaction report",
    "record_layout": "record layout",
    "corrections": "corrections",
    "readme": "README",
    "archive": "zip",
    "ndc_crosswalk": "NDC crosswalk",
    "payment_limits": "payment limits",
}


def release_named(name: str) -> str | None:
    """The release id a CMS file name gives (a year alone is its January release), else ``None``."""
    found = release_from_name(name)
    return release_id(found[0], found[1] or 1) if found else None


def release_from_name(name: str) -> tuple[int, int | None] | None:
    """The (year, month) a CMS file name gives; month is ``None`` when the name names only a year."""
    stem = PurePosixPath(name).name
    ym = _YEAR_MONTH.search(stem)
    if ym:
        return int(ym.group(1)), int(ym.group(2))
    year_match = _YEAR.search(stem)
    short = _SHORT_YEAR.search(stem)
    if year_match:
        year = int(year_match.group(1))
    elif short:
        year = 2000 + int(next(g for g in short.groups() if g))
    else:
        return None
    word = _MONTH_WORD.search(stem)
    return year, (_MONTHS[word.group(1).lower()] if word else None)


def is_spreadsheet_name(name: str) -> bool:
    return name.lower().endswith(SPREADSHEET_SUFFIXES)


def role_named(name: str) -> Role | None:
    """What a file is from its name alone (``None``: the name does not say; look at the content)."""
    lower = PurePosixPath(name).name.lower()
    if "crosswalk" in lower and ("ndc" in lower or "asp" in lower):
        return "ndc_crosswalk"
    if ("asp" in lower and "pric" in lower) or "payment limit" in lower or "payment allowance" in lower:
        return "payment_limits"  # CMS's ASP pricing file, later the "Medicare Part B Payment Limit File"
    if "correction" in lower:
        return "corrections"
    if "trans" in lower or "changes_by" in lower:
        return "transactions"
    if "noc" in lower.replace("anweb", ""):
        return "noc"
    if "proc_note" in lower or "procnote" in lower or "proc note" in lower:
        return "processing_notes"
    if _LAYOUT.search(lower):
        return "record_layout"
    if _README.search(lower):
        return "readme"
    if "anweb" in lower:
        return "codes_spreadsheet" if is_spreadsheet_name(lower) else "codes"
    return None
