"""Abbreviations learnt from CMS's own descriptions: each short-description word paired with the long-description
word it stands for (initials, contractions), where the pairing is unambiguous."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from .query import WORD

#: Minimum learnt uses of an abbreviation, and how many expansions of one abbreviation are kept.
_MIN_USES, _MAX_EXPANSIONS = 2, 3


def learn_abbreviations(pairs: Iterable[tuple[str | None, str | None]]) -> dict[str, list[tuple[str, int]]]:
    """Abbreviation -> expansions (with counts) learnt by aligning short descriptions with long ones.

    A short-description word missing from its long description is matched to the initials of 2-4
    consecutive long-description words (``hit`` -> home infusion therapy), else to the first long word
    that starts with its letter and contains its letters in order (``inj`` -> injection).
    """
    found: Counter[tuple[str, str]] = Counter()
    for short, long in pairs:
        if not short or not long:
            continue
        long_words = WORD.findall(long.lower())
        present = set(long_words)
        heads = "".join(w[0] for w in long_words)  # each long word's first letter, one a word
        for word in WORD.findall(short.lower()):
            if word in present or len(word) < 2 or word.isdigit():
                continue
            expansion = _initials(word, long_words, heads) or _contraction(word, long_words)
            if expansion:
                found[(word, expansion)] += 1
    grouped: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (word, expansion), count in found.items():
        if count >= _MIN_USES:
            grouped[word].append((expansion, count))
    return {w: sorted(e, key=lambda x: (-x[1], x[0]))[:_MAX_EXPANSIONS] for w, e in sorted(grouped.items())}


def _initials(word: str, long_words: Sequence[str], heads: str) -> str | None:
    """The first run of 2-4 long words (no numbers) whose initials spell ``word``; ``heads`` holds the
    initials of every long word."""
    if not 2 <= len(word) <= 4:
        return None
    start = heads.find(word)
    while start != -1:
        run = long_words[start:start + len(word)]
        if not any(w.isdigit() for w in run):
            return " ".join(run)
        start = heads.find(word, start + 1)
    return None


def _contraction(word: str, long_words: Sequence[str]) -> str | None:
    for candidate in long_words:
        if candidate[0] == word[0] and len(candidate) > len(word) and not candidate.isdigit():
            letters = iter(candidate)
            if all(ch in letters for ch in word):
                return candidate
    return None
