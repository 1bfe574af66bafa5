"""Spelling helpers for reading a query: how a word sounds, and words written joined or apart."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection, Mapping, Sequence

_SOUNDS = re.compile(r"ph|ck|([a-z])\1")
#: A word made of two is read as them (or two as one) only when that spelling is used at least this often
_JOINED_USES = 2
#: The short first parts a word is split after (longer ones need only be indexed words)
_PREFIXES = frozenset({"non", "pre", "sub", "bi", "tri", "low", "air"})


def sounds(word: str) -> str:
    """A word as it sounds, roughly: ``ph`` as ``f``, ``ck`` as ``k``, a doubled letter as one (commode: comode)."""
    return _SOUNDS.sub(lambda m: m.group(1) or ("f" if m.group(0) == "ph" else "k"), word)


def split(word: str, uses: Mapping[str, int]) -> tuple[str, str] | None:
    """A word the index lacks read as two it holds (``nonwaterproof``: non waterproof), the split whose rarer part
    is the most used; ``None`` when no split has both parts used often enough."""
    best: tuple[int, tuple[str, str]] | None = None
    for at in range(3, len(word) - 2):
        head, tail = word[:at], word[at:]
        if len(head) < 4 and head not in _PREFIXES:  # "procrit" is no pro crit, "nonsterile" is non sterile
            continue
        found = min(uses.get(head, 0), uses.get(tail, 0))
        if found >= _JOINED_USES and (best is None or found > best[0]):
            best = (found, (head, tail))
    return best[1] if best else None


def joined(pair: Sequence[str], uses: Mapping[str, int]) -> str | None:
    """Two query words CMS writes as one (``bed side``: bedside, ``eye glass``: eyeglass), or ``None``."""
    if len(pair) != 2 or min(len(pair[0]), len(pair[1])) < 2 or pair[0].isdigit() or pair[1].isdigit():
        return None
    word = pair[0] + pair[1]
    return word if uses.get(word, 0) >= _JOINED_USES else None


def singular_apart(word: str, uses: Mapping[str, int], stems: Mapping[str, str]) -> str | None:
    """The singular of a plural in ``es`` that the index's stemmer reads apart from it, so that neither the word
    nor a prefix of it finds the singular (porter reads lenses as lens, lens as len), or ``None``. Only a
    singular that takes ``es`` (lens, sinus, box) and where the word less its ``s`` is no word (cases: case, not
    the short descriptions' cas)."""
    single = word[:-2] if word.endswith("es") and not uses.get(word[:-1]) else ""
    if not single.endswith(("s", "x", "z", "ch", "sh")) or not uses.get(single):
        return None
    return None if stems.get(single, single).startswith(stems.get(word, word)) else single


def plural(word: str) -> str:
    """A word's plural as CMS and patients write it (pad: pads, crutch: crutches, supply: supplies)."""
    if word.endswith("s"):
        return word
    if word.endswith(("x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def within(word: str, limit: int, words: Sequence[str], by_length: dict[int, list[str]],
           ) -> list[tuple[str, int, int]]:
    """The indexed ``words`` (sorted) within ``limit`` edits of a word, nearest first (then in word order), 8 at
    most. An edit changes the length and the count of digits by one at most: past the first word looked for (kept
    under length 0), only the words of a length within reach and of at most two digits are read (``by_length``,
    built then), not the codes, half the words; a word whose digits and limit reach further reads them all."""
    from rapidfuzz import process  # with the vocabulary (``Vocabulary.build``), not with this module
    from rapidfuzz.distance import OSA

    if sum(c.isdigit() for c in word) + limit > 2 or 0 not in by_length:  # one word looked for: no index for it
        by_length[0] = [word]
        return process.extract(word, words, scorer=OSA.distance, score_cutoff=limit, limit=8)
    if len(by_length) == 1:
        for w in words:
            if w.isalpha() or sum(c.isdigit() for c in w) <= 2:
                by_length.setdefault(len(w), []).append(w)
    found: list[tuple[str, int, int]] = []
    for size in range(len(word) - limit, len(word) + limit + 1):
        found += process.extract(word, by_length.get(size, ()), scorer=OSA.distance, score_cutoff=limit, limit=None)
    found.sort(key=lambda f: (f[1], f[0]))  # as read in word order: ties in the order of ``words``
    return found[:8]


def as_meant(typed: tuple[str, ...], phrases: Collection[tuple[str, ...]], lay: Collection[str],
             known: Callable[[str], bool], nearest: Callable[[str], tuple[str, ...]]) -> tuple[str, ...] | None:
    """The phrase of ``phrases`` (the lay table's) that words typed with a misspelling mean ("lymphadema pump":
    lymphedema pump): each word neither ``known`` (indexed) nor a ``lay`` word read as one of its ``nearest``
    indexed words; ``None`` when no word is misspelt, or no reading is a phrase."""
    misspelt = [not known(w) and w not in lay for w in typed]
    if not any(misspelt):
        return None
    readings = [nearest(w) if wrong else (w,) for w, wrong in zip(typed, misspelt, strict=True)]
    return next((meant for meant in itertools.product(*readings) if meant in phrases), None)
