"""Where a query's words sit in a description: the words before a place, words side by side, groups in order."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from .query import WORD, words

#: The ranking's bonus for each pair of groups found in the query's order, and for each pair also near.
ORDER, NEAR = 0.04, 0.08


def before(long: str, lowered: str, end: int) -> int:
    """The words of a description before a place, counted in its lowered text where ``words`` reads it alike."""
    if lowered.isascii() and "." not in lowered and "-" not in lowered:
        return len(WORD.findall(lowered, 0, end))
    return len(words(long[:end]))


def side_by_side(found: Sequence[str], text: Sequence[str]) -> bool:
    size = len(found)
    return any(tuple(text[i:i + size]) == tuple(found) for i in range(len(text) - size + 1))


def in_order(positions: Sequence[tuple[int, int] | None]) -> float:
    """The bonus for groups found one after another: in order, and near (at most one word between)."""
    pairs = len(positions) - 1
    if pairs < 1:
        return 0.0
    ordered = near = 0
    for here, then in itertools.pairwise(positions):
        if here is None or then is None or then[0] <= here[0]:
            continue
        ordered += 1
        near += then[0] - here[0] <= here[1] + 1
    return (ORDER * ordered + NEAR * near) / pairs
