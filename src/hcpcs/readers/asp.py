"""Readers of CMS's Medicare Part B drug files: the ASP NDC-HCPCS crosswalk and the payment limit file.

CMS posts both each quarter as CSV (``section 508 version of ...``) and as spreadsheets, with disclaimer
lines above the header row, Windows line ends and Windows-1252 characters. Names change (the pricing file
became the "Medicare Part B Payment Limit File") and so do headers (the crosswalk's code column is headed
by the year, ``_2023_CODE``): columns are found by the patterns in ``CROSSWALK_COLUMNS`` and
``PAYMENT_LIMIT_COLUMNS``, matched against the header with case, spaces and punctuation ignored. The
quarter comes from the preamble ("Effective January 1, 2024 through March 31, 2024"), else the file name.
The files' short descriptions are never read: for Level I (CPT) rows they are the AMA's.
Nothing here touches the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import InputError
from ..model.drugs import DRUG_FILE_KINDS, DrugFile, DrugFileKind, DrugProduct, PaymentLimit
from ..model.identifiers import ndc_or_none, release_id
from ..model.records import LoadWarning, SourceFile
from ..model.values import text_fault
from .names import is_spreadsheet_name, release_from_name
from .spreadsheet import cell_text, read_rows, spelling_key

#: Per column of the crosswalk, the header spellings CMS has used, as patterns over the header's letters and
#: digits in upper case (``_2023_CODE`` -> ``2023CODE``).
CROSSWALK_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "code": (r"(?:\d{4})?CODE", r"(?:\d{4})?HCPCS(?:CODE)?"),
    "labeler": (r"LABELER(?:NAME)?", r"MANUFACTURER(?:NAME)?"),
    "ndc": (r"NDC\d?", r"NDC11", r"11DIGITNDC", r"NDCORPRODUCTID"),
    "drug_name": (r"DRUGNAME", r"PRODUCTNAME", r"BRANDNAME"),
    "dosage": (r"HCPCSDOSAGE", r"HCPCSCODEDOSAGE", r"DOSAGE"),
    "package_size": (r"PKGSIZE", r"PACKAGESIZE"),
    "package_quantity": (r"PKGQTY", r"PACKAGEQUANTITY", r"PKGQUANTITY"),
    "billing_units": (r"BILLUNITS", r"BILLINGUNITS", r"BILLUNITSPERPKGSIZE"),
    "billing_units_per_package": (r"BILLUNITSPKG", r"BILLUNITSPERPKG", r"BILLINGUNITSPERPACKAGE"),
}
PAYMENT_LIMIT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "code": (r"HCPCS(?:CODE)?", r"(?:\d{4})?CODE"),
    "dosage": (r"HCPCSCODEDOSAGE", r"HCPCSDOSAGE", r"DOSAGE"),
    "limit": (r"PAYMENT(?:ALLOWANCE)?LIMIT", r"PAYMENTLIMITPERDOSAGEUNIT"),
    "coinsurance": (r"COINSURANCE(?:PERCENTAGE|PERCENT)?",),
    "vaccine_awp": (r"VACCINEAWP",),
    "vaccine_limit": (r"VACCINELIMIT",),
    "blood_awp": (r"BLOODAWP",),
    "blood_limit": (r"BLOODLIMIT",),
    "clotting_factor": (r"CLOTTINGFACTOR(?:FURNISHINGFEE)?",),
    "notes": (r"NOTES?",),
}
#: Headers read by no column on purpose: the short descriptions (the AMA's, for Level I codes).
IGNORED_HEADERS = (r"SHORTDESC(?:RIPTION)?", r"(?:HCPCS)?DESCRIPTION", r"")
#: The columns without which the file is not what it seems.
_REQUIRED: Mapping[DrugFileKind, tuple[str, ...]] = {
    "ndc_crosswalk": ("code", "ndc", "billing_units_per_package"),
    "payment_limits": ("code", "limit"),
}
_COLUMNS: Mapping[DrugFileKind, Mapping[str, tuple[str, ...]]] = {
    "ndc_crosswalk": CROSSWALK_COLUMNS, "payment_limits": PAYMENT_LIMIT_COLUMNS,
}
_HEADER_SCAN_ROWS = 50
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
_DAY = r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})"
_PERIOD = re.compile(rf"(?i)effective\s+{_DAY}(?:\s*(?:through|thru|to|-|–)\s*{_DAY})?")
#: A Level II code (a letter and four digits) or a Level I one (five characters, digits first).
_CODE = re.compile(r"[A-Z]\d{4}|\d{4}[0-9A-Z]")
#: Words in a payment limit cell that mean no limit is given.
_NO_VALUE = frozenset({"", "N/A", "NA", "-"})


def _compiled(columns: Mapping[str, tuple[str, ...]]) -> list[tuple[str, re.Pattern[str]]]:
    return [(column, re.compile(pattern)) for column, patterns in columns.items() for pattern in patterns]


_PATTERNS = {kind: _compiled(columns) for kind, columns in _COLUMNS.items()}
_IGNORED = [re.compile(p) for p in IGNORED_HEADERS]


def sniff_drug_file(data: bytes, name: str) -> DrugFileKind | None:
    """What a file is from its first rows: the header of a crosswalk or of a payment limit file."""
    try:
        rows = _rows(data[:65536] if not is_spreadsheet_name(name) else data, name)
    except InputError:
        return None
    for kind in DRUG_FILE_KINDS:
        if _find_header(rows, kind) is not None:
            return kind
    return None


def read_drug_file(data: bytes, source: str, kind: DrugFileKind, file: SourceFile, *,
                   warnings: list[LoadWarning]) -> DrugFile:
    """Read one quarter's crosswalk or payment limit file; a file without its header or its quarter raises
    ``InputError``, a row that cannot be read is left out with a warning naming its line."""
    rows = _rows(data, source)
    found = _find_header(rows, kind)
    if found is None:
        needed = ", ".join(_REQUIRED[kind])
        raise InputError(source, f"no header row naming the {needed} columns in the first {_HEADER_SCAN_ROWS} rows")
    at, positions, unknown = found
    for header in unknown:
        warnings.append(LoadWarning(source, f"column {header!r} is not one hcpcs knows: not read", row=at + 1))
    start, end = _period(rows[:at], source)
    drug_file = DrugFile(kind, release_id(start.year, start.month), start, end, [file])
    for index in range(at + 1, len(rows)):
        cells = {column: cell_text(rows[index][p]) if p < len(rows[index]) else ""
                 for column, p in positions.items()}
        if not any(cell_text(c) for c in rows[index]):
            continue  # a blank line
        line = index + 1
        if bad := next(((column, fault) for column, text in cells.items() if (fault := text_fault(text))), None):
            header = cell_text(rows[at][positions[bad[0]]])
            warnings.append(LoadWarning(source, f"not read: {bad[1][1]}", line=line, field=header))
            continue
        code = cells["code"].upper()
        if not _CODE.fullmatch(code):
            warnings.append(LoadWarning(source, f"not read: {code or 'no code'!r} is not a HCPCS or CPT code",
                                        line=line))
            continue
        if kind == "ndc_crosswalk":
            product_id = cells["ndc"]
            if not product_id:
                warnings.append(LoadWarning(source, f"not read: {code} has no NDC", line=line))
                continue
            drug_file.products.append(DrugProduct(
                code, cells.get("labeler", ""), ndc_or_none(product_id), product_id, cells.get("drug_name", ""),
                cells.get("dosage", ""), cells.get("package_size", ""), cells.get("package_quantity", ""),
                cells.get("billing_units", ""), cells["billing_units_per_package"], line))
        else:
            drug_file.limits.append(PaymentLimit(
                code, cells.get("dosage", ""), _value(cells["limit"]), _value(cells.get("coinsurance", "")),
                _value(cells.get("vaccine_awp", "")), _value(cells.get("vaccine_limit", "")),
                _value(cells.get("blood_awp", "")), _value(cells.get("blood_limit", "")),
                _value(cells.get("clotting_factor", "")), cells.get("notes") or None, line))
    drug_file.warnings = warnings
    return drug_file


def _value(text: str) -> str | None:
    return None if text.upper() in _NO_VALUE else text


def _rows(data: bytes, source: str) -> list[list[Any]]:
    if is_spreadsheet_name(source):
        return read_rows(data, source)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(source, "the file is UTF-16 text; CMS's files are UTF-8 or Windows-1252: save it as that")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # CMS writes Windows-1252 (0xA0, curly quotes, ®)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise InputError(source, f"not a readable CSV file ({exc})") from None


def _find_header(rows: Sequence[Sequence[Any]], kind: DrugFileKind
                 ) -> tuple[int, dict[str, int], list[str]] | None:
    """The header row of a ``kind`` file: its index, each column's position, and headers no column names."""
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        positions: dict[str, int] = {}
        unknown: list[str] = []
        for position, cell in enumerate(row):
            header = cell_text(cell)
            key = spelling_key(header)
            column = next((c for c, pattern in _PATTERNS[kind] if c not in positions and pattern.fullmatch(key)),
                          None)
            if column is not None:
                positions[column] = position
            elif not any(p.fullmatch(key) for p in _IGNORED):
                unknown.append(header)
        if all(c in positions for c in _REQUIRED[kind]):
            return index, positions, unknown
    return None


def _period(preamble: Sequence[Sequence[Any]], source: str) -> tuple[dt.date, dt.date | None]:
    """The effective period the preamble states, else the month the file name gives (no end known)."""
    for row in preamble:
        for cell in row:
            match = _PERIOD.search(cell_text(cell))
            if match is None:
                continue
            start = _day(*match.groups()[:3])
            end = _day(*match.groups()[3:]) if match.group(4) else None
            if start is not None:
                return start, end
    named = release_from_name(source.rpartition(":")[2].rpartition("/")[2])
    if named is not None and named[1] is not None:
        return dt.date(named[0], named[1], 1), None
    raise InputError(source, "cannot tell the quarter: no \"Effective <date> through <date>\" line above the header "
                     "and no month and year in the file name")


def _day(month: str | None, day: str | None, year: str | None) -> dt.date | None:
    if month is None or day is None or year is None:
        return None
    names = [m for m in _MONTH_NAMES if m.startswith(month.lower()[:3])]
    if not names:
        return None
    try:
        return dt.date(int(year), _MONTH_NAMES.index(names[0]) + 1, int(day))
    except ValueError:
        return None
