"""How a code's descriptions read, once for a vocabulary: their words and the keys each word is found by (its plural
ending off, the index's stem), the head, doses, what the code lacks, and whether it is a part or an add-on."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..store import SearchRow as Row
from .doses import Dose, doses
from .kinds import Part, part
from .placing import before
from .query import STOPWORDS, Vocabulary, words
from .wording import ADD_ON, lacking, negated

#: Words CMS puts in the head of the plainest kind of an item ("General use wheelchair seat cushion",
#: "Standard wheelchair"), which a query naming no kind most likely wants
DEFAULT_WORDS = frozenset({"general", "standard", "basic"})
_HEAD_END = re.compile(r"[,;:]|\((?![^)]*\) \w)| for | with | used | includ")
_HEAD_MARKS = ",;:("
_DIGIT = re.compile(r"\d")  # a dose needs a number, an add-on the word "addition": patterns only where they may match
#: Words of a long description that say nothing of what the code is; any other word the query did not ask
#: for (a brand in parentheses, a material, a size) makes a code more specific than the query, and ranks it
#: below the plainer ones (the "not otherwise specified" code of a drug above its brands)
_PLAIN = STOPWORDS | DEFAULT_WORDS | {"mg", "mcg", "ml", "gm", "g", "unit", "units", "each", "e", "not",
                                     "otherwise", "specified", "nos", "other", "than", "type", "only", "up", "s",
                                     "use", "cc", "meq", "mmol", "mci", "iu"} | {
    # whether the drug is an FDA-approved final product, which every one but a compounded one is
    "fda", "approved", "final", "non"} | {
    # a size or pressure range: every sibling of a family names one ("width less than 22 inches, any depth",
    # "18-30 mmhg"), and a query naming none wants the family, the general kind first
    "width", "depth", "height", "length", "inch", "inches", "less", "greater", "more", "size", "sizes", "mmhg", "sq",
    "cm"}


@functools.lru_cache(maxsize=65536)
def inflected(word: str) -> str:
    """A light stem: plural and -ed/-ing endings off (crutches, bandages, supplies, boxes)."""
    if len(word) < 5 or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("es") and (word[-3] in "sxz" or word[-4:-2] in ("ch", "sh")):
        return word[:-2]
    for ending in ("s", "ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


@dataclass(frozen=True, slots=True)
class Described:
    """A code's descriptions read once: words, where each first occurs, the head, doses."""

    long: tuple[str, ...]
    short: tuple[str, ...]
    every: frozenset[str]
    at: dict[str, int]  # where a word (plural endings off) first is in the long description
    head: int
    content: frozenset[str]  # the words that say what the code is, plural endings off
    doses: tuple[Dose, ...]
    negated: frozenset[str]  # words found only after a "not" ("Orally administered nutrition, not by feeding tube")
    add_on: bool  # a part or an add-on to another item or service ("Addition to ...", "each additional 15 minutes")
    part: Part  # where it says it is a part of an item, or an accessory (``kinds.part``)


def described_as(row: Row) -> tuple[str, str]:
    """The key a row's descriptions are read by: lowered, as the ranking reads them (2011's long descriptions are
    upper-case, later ones not: read once for every release)."""
    return (row["long_description"] or "").lower(), (row["short_description"] or "").lower()


class Descriptions:
    """Each pair of descriptions read once (``read``), and what each word is kept per word: a new one costs a
    look-up a word."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._index_stems = vocabulary.stems
        self._stems: dict[str, str] = {}  # the index's stems, and light stems of words it lacks
        self._keys: dict[str, tuple[str, ...]] = {}
        self._seen: dict[str, tuple[str, bool]] = {}  # each word read in a description (``_see``)
        self._by_key: dict[str, list[str]] = {}  # those words by key (``keys``)
        self.read = functools.lru_cache(maxsize=32768)(self._read)

    def stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stems[word] = self._index_stems.get(word) or inflected(word)
        return stem

    def keys(self, word: str) -> tuple[str, ...]:
        """The keys a word is found by: its plural ending off, and the index's stem when another."""
        found = self._keys.get(word)
        if found is None:
            light, stem = inflected(word), self.stem(word)
            found = self._keys[word] = (light,) if stem == light else (light, stem)
        return found

    def written(self, key: str) -> Sequence[str]:
        """The words read in descriptions so far that are found by a key."""
        return self._by_key.get(key, ())

    def _read(self, long: str, short: str) -> Described:
        """Descriptions read once, lowered (``described_as``)."""
        long_words, short_words = tuple(words(long)), tuple(words(short))
        seen = self._seen
        at: dict[str, int] = {}
        content: set[str] = set()
        # "non-compounded", "non-sterile": the code lacks what the word names, the plain kind of the item
        lacks = lacking(long_words) if "non" in long_words else ()
        for i, w in enumerate(long_words):
            light, says = seen.get(w) or self._see(w)
            at.setdefault(light, i)
            if says and w not in lacks:
                content.add(light)
        for w in (w for w in short_words if w not in seen):
            self._see(w)
        cut = _HEAD_END.search(long)  # "Assessment for hearing aid" is an assessment
        head = len(long_words) if cut is None else before(long, long, cut.start())
        said = part(long_words, head)  # the head before the next part is added below: "Commode seat"
        if cut is not None and head < 2 and cut.group(0)[0] in _HEAD_MARKS:
            # "Injection, naloxone hydrochloride, ...", "Walker, folding": the next part too
            after = _HEAD_END.search(long, cut.end())
            head = before(long, long, after.start()) if after else len(long_words)
        return Described(long_words, short_words, frozenset(long_words + short_words), at, head, frozenset(content),
                         doses(long) if _DIGIT.search(long) else (), negated(long),
                         "addition" in long and ADD_ON.search(long) is not None, said)

    def _see(self, word: str) -> tuple[str, bool]:
        """A word's plural ending off and whether it says what a code is; the word listed by its keys (``written``)."""
        keys = self.keys(word)
        for key in keys:
            self._by_key.setdefault(key, []).append(word)
        found = self._seen[word] = (keys[0], word not in _PLAIN and len(word) > 1 and not word.isdigit())
        return found
