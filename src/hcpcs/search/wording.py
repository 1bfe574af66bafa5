"""How CMS words what a code is not, or is billed with: read from a description once, for ranking."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from .query import words

CLAUSE = re.compile(r"[,;:()]")
#: How CMS writes a code billed only with another: an addition to an orthosis or prosthesis (at the start, or after
#: the item's name: "Truss, addition to standard pad, water pad"), a service's add-on
#: time ("each additional 15 minutes", "list separately in addition to g0140"). A query naming neither wants the
#: item or the service itself first (the peer support service before its additional 30 minutes).
ADD_ON = re.compile(r"^additions? to |, additions? to |\beach additional |\bin addition to |\badditional \d+ minutes")
_NOT = re.compile(r"(?<![a-z0-9])not(?![a-z0-9])")
_DOTTED = re.compile(r"[a-z]\.[a-z]\.")  # where ``words`` may join letters written with dots (t.e.n.s.)
#: What follows a "not" that says nothing of what a code is not ("not otherwise specified")
_NOT_SAYING = re.compile(r" +(?:otherwise|elsewhere|limited)(?![a-z0-9-])")


def negated(lowered: str) -> frozenset[str]:
    """The words of a description found only where it says what the code is not or lacks: from a "not" or a
    "without" to the end of its clause ("not otherwise specified", "not limited to" and "with or without" aside),
    and the word after a "non" ("non-elastic", "non-sterile": the code is the other kind)."""
    if "not " not in lowered and "without " not in lowered and "non" not in lowered:
        return frozenset()
    if "without" not in lowered and "non" not in lowered and not _DOTTED.search(lowered) and all(
            _NOT_SAYING.match(lowered, m.end()) for m in _NOT.finditer(lowered)):
        return frozenset()  # every "not" is one of those above (most often), nothing else denies: no clause read
    denied: set[str] = set()
    said: set[str] = set()
    for clause in CLAUSE.split(lowered):
        clause_words = words(clause)
        at = next((i for i, w in enumerate(clause_words) if _denies(clause_words, i)), len(clause_words))
        kept = clause_words[:at]
        said.update(w for i, w in enumerate(kept) if i == 0 or kept[i - 1] != "non")
        denied.update(clause_words[at + 1:])
        denied.update(w for i, w in enumerate(kept) if i > 0 and kept[i - 1] == "non")
    return frozenset(denied - said)


def _denies(clause: list[str], at: int) -> bool:
    """Whether the word at ``at`` starts what a code is not: a "not" (but "not otherwise", "not elsewhere", "not
    limited"), or a "without" (but "with or without")."""
    word = clause[at]
    if word == "not":
        return clause[at + 1:at + 2] not in (["otherwise"], ["elsewhere"], ["limited"])
    return word == "without" and clause[at - 2:at] != ["with", "or"]


def lacking(long_words: Sequence[str]) -> set[str]:
    """The words of a description found only after ``non`` ("non-compounded"): what the code lacks."""
    after_non = {b for a, b in itertools.pairwise(long_words) if a == "non"}
    return after_non - {b for a, b in itertools.pairwise(long_words) if a != "non"}
