"""National Drug Codes as people write them, in their one stored form: 5-4-2 with dashes.

An NDC is a labeler, a product and a package code. The FDA assigns them in ten digits, in one of three
configurations (4-4-2, 5-3-2, 5-4-1); billing uses eleven digits (5-4-2), the short part padded with a
leading zero. Ten digits without dashes cannot be told apart (which part is short?), so they need dashes.
"""

from __future__ import annotations

import re

from ._errors import UsageError

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
