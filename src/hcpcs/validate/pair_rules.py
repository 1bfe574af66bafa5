"""Pair rules mined from CMS's descriptions: "(do not use this code with s9326, s9327 or s9328)".

A rule says a code is not to be billed with another Level II code on the same claim. Only Level II codes
are kept (CPT numbers such as 99490 are not in this code set). Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..model.identifiers import codes_named_in

_CLAUSE = re.compile(
    r"(?i)do not (?:use|report|bill)(?: this code)?(?: (?:with|in conjunction with|on the same (?:day|date|claim) as))"
    r" ([^()]*)")


_RANGE = re.compile(r"(?i)\b([a-z]\d{4})\s*-\s*([a-z]\d{4})\b")


def mine(records: Iterable[tuple[str, str | None]]) -> list[tuple[str, str, str]]:
    """``(code, other code, the clause)`` for every rule in the long descriptions given as (code, text).

    A range such as ``s9365-s9368`` names every code of the release between its ends.
    """
    rows = list(records)
    known = sorted(code for code, _ in rows)
    out: dict[tuple[str, str], str] = {}
    for code, text in rows:
        for clause in _CLAUSE.finditer(text or ""):
            named = set(codes_named_in(clause.group(1)))
            for low, high in _RANGE.findall(clause.group(1)):
                named.update(c for c in known if low.upper() <= c <= high.upper() and len(c) == 5)
            for other in sorted(named):
                if other != code:
                    out.setdefault((code, other), clause.group(0).strip().rstrip(").;,"))
    return [(code, other, clause) for (code, other), clause in sorted(out.items())]
