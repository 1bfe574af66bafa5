"""The identifiers users and CMS write, each read by one parser into its one form: Level II codes and
modifiers, National Drug Codes, release ids and dates of service. Every layer that takes one of these from a
user (the command line, the JSON API's path and query patterns, FHIR, validation) reads it here.

NDCs: National Drug Codes as people write them, in their one stored form: 5-4-2 with dashes.

An NDC is a labeler, a product and a package code. The FDA assigns them in ten digits, in one of three
configurations (4-4-2, 5-3-2, 5-4-1); billing uses eleven digits (5-4-2), the short part padded with a
leading zero. Ten digits without dashes cannot be told apart (which part is short?), so they need dashes.
"""

from __future__ import annotations

import datetime as dt
import re

from .._errors import CodeError, UsageError

# -- codes ------------------------------------------------------------------------------------------------------

PROCEDURE = re.compile(r"[A-Z]\d{4}")
MODIFIER = re.compile(r"[A-Z0-9]{2}")
#: a procedure code or a modifier in CMS's form (upper case, no blanks), the shape of a record's code
CODE_SHAPE = re.compile(f"{PROCEDURE.pattern}|{MODIFIER.pattern}")
#: Level II codes named in CMS's text ("do not use this code with s9330 or s9331"). D codes are CDT.
_NAMED = re.compile(r"(?<![A-Za-z0-9])([A-CE-Va-ce-v]\d{4})(?![A-Za-z0-9])")


def parse_code(text: str) -> str:
    """A code as users type it (any case, blanks around) in CMS's form; ``CodeError`` when malformed."""
    code = text.strip().upper()
    if PROCEDURE.fullmatch(code):
        if code.startswith("D"):
            raise CodeError(f"{code} is a CDT (dental) code, owned by the ADA: hcpcs holds Level II codes only")
        return code
    if MODIFIER.fullmatch(code):
        if code.isdigit():
            raise CodeError(f"{code} is a CPT (Level I) modifier, owned by the AMA: hcpcs holds Level II only")
        return code
    if re.fullmatch(r"\d{4}[0-9FTU]", code):
        raise CodeError(f"{code} is a CPT (Level I) code, owned by the AMA: hcpcs holds Level II codes only")
    shown = text.strip()[:40]
    raise CodeError(
        f"{shown!r} is not an HCPCS Level II code: write a letter and four digits (S9328) or a two-character "
        "modifier (GA)"
    )


def codes_named_in(text: str | None) -> list[str]:
    """Level II procedure codes named in a description or note, upper-cased, in order, once each."""
    if not text:
        return []
    return list(dict.fromkeys(m.upper() for m in _NAMED.findall(text)))

#: the shapes ``parse_code`` takes (no CDT D codes, no all-digit CPT modifiers), as a pattern for documents that
#: describe inputs (OpenAPI); the others get its message
CODE_PATTERN = r"^([A-CE-Za-ce-z][0-9]{4}|[A-Za-z][A-Za-z0-9]|[0-9][A-Za-z])$"

#: a filter on codes: a letter (E), a prefix (J93) or a range of whole codes (E0100-E0200)
_CODE_RANGE = re.compile(r"([A-Z]\d{0,4})(?:-([A-Z]\d{4}))?")
#: the filters ``parse_code_filter`` takes, as a pattern for documents that describe inputs (OpenAPI)
CODE_FILTER_PATTERN = r"^\s*([A-Za-z][0-9]{0,4}|[A-Za-z][0-9]{4}-[A-Za-z][0-9]{4})?\s*$"


def parse_code_filter(text: str | None) -> str | None:
    """A code filter as users type it (any case, blanks anywhere) in its one form (``E0100-E0200``), or ``None``
    when none is given; ``UsageError`` naming the forms accepted when malformed."""
    if text is None or not text.strip():
        return None
    wanted = text.strip().upper().replace(" ", "")
    match = _CODE_RANGE.fullmatch(wanted)
    if not match or (match.group(2) and len(match.group(1)) != 5):
        raise UsageError(f"code filter {text!r}: write a letter (E), a prefix (J93) or a range (E0100-E0200)")
    return wanted


# -- NDCs -------------------------------------------------------------------------------------------------------

#: The dashed forms, by the lengths of their parts, each to the 5-4-2 form.
_DASHED = re.compile(r"(\d{4,5})-(\d{3,4})-(\d{1,2})")
_ELEVEN = re.compile(r"\d{11}")
#: The same forms as a pattern for documents that describe inputs (OpenAPI): 11 digits, or 5-4-2, 5-4-1, 5-3-2,
#: 4-4-2 with dashes.
NDC_PATTERN = r"^([0-9]{11}|[0-9]{5}-[0-9]{4}-[0-9]{1,2}|[0-9]{5}-[0-9]{3}-[0-9]{2}|[0-9]{4}-[0-9]{4}-[0-9]{2})$"
#: Spaces between the parts stand for dashes (the validation engines read NDCs by the same rule).
_SPACES = re.compile(r"\s+")


class NdcError(UsageError):
    """Text that is not an NDC in any of its forms."""


def parse_ndc(text: str, what: str = "NDC") -> str:
    """The 5-4-2 form of an NDC written as 11 digits, 5-4-2, or the 10-digit 4-4-2, 5-3-2 or 5-4-1.

    Raises ``NdcError`` (a usage error) naming the text and the forms accepted.
    """
    found = ndc_or_none(text)
    if found is None:
        shown = text.strip()[:40]
        digits = re.sub(r"\D", "", text)
        hint = ("; without dashes, ten digits do not say which part is short"
                if len(digits) == 10 and "-" not in text else "")
        raise NdcError(f"{what} {shown!r} is not an NDC: write it as 11 digits, 5-4-2 (12345-6789-01), or the 10-digit "
                       f"4-4-2, 5-3-2 or 5-4-1 with dashes{hint}")
    return found


def ndc_or_none(text: str) -> str | None:
    """The 5-4-2 form of an NDC, or ``None`` where the text is not one (CMS's crosswalk lists product ids
    of skin substitutes, which are not NDCs, in its NDC column)."""
    text = _SPACES.sub("-", text.strip())
    if _ELEVEN.fullmatch(text):
        return f"{text[:5]}-{text[5:9]}-{text[9:]}"
    match = _DASHED.fullmatch(text)
    if match is None:
        return None
    labeler, product, package = match.groups()
    if len(labeler) + len(product) + len(package) not in (10, 11):
        return None
    return f"{labeler.zfill(5)}-{product.zfill(4)}-{package.zfill(2)}"


def labeler_code(ndc: str) -> str:
    """The labeler part of a 5-4-2 NDC (``00052``)."""
    return ndc[:5]


# -- release ids ------------------------------------------------------------------------------------------------

#: a release id as users may write it, as a pattern for documents that describe inputs (OpenAPI)
RELEASE_PATTERN = r"^\s*((19|20)[0-9]{2})(-(0?[1-9]|1[0-2]))?\s*$"


def release_id(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def check_release_id(text: str) -> str:
    """A release id as users may write it (``2020``, ``2020-4``, ``2020-04``) in its one form."""
    text = text.strip()
    match = re.fullmatch(r"((?:19|20)\d{2})(?:-(\d{1,2}))?", text)
    if not match or not 1 <= int(match.group(2) or 1) <= 12:
        raise UsageError(f"{text!r} is not a release id: write YYYY or YYYY-MM, such as 2020-04")
    return release_id(int(match.group(1)), int(match.group(2) or 1))


# -- dates of service -------------------------------------------------------------------------------------------

def parse_day(value: dt.date | str, what: str) -> dt.date:
    """A date as users give it: a ``date``, or ``YYYY-MM-DD`` text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a date: write YYYY-MM-DD, such as 2020-05-01") from None
