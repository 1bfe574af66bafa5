"""What a HCPCS Level II code looks like, and finding codes named in free text."""

from __future__ import annotations

import re

from ._errors import CodeError

PROCEDURE = re.compile(r"[A-Z]\d{4}")
MODIFIER = re.compile(r"[A-Z0-9]{2}")
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
