"""Reading a search query the way coders type it, and what the index stores beside the descriptions.

Nothing here touches the database: this module turns text into words, learns the abbreviations of
CMS's short descriptions from their long descriptions, and builds the SQLite FTS5 query (always made of
quoted words, so no query text is ever read as FTS5 syntax).

A query's words are read in groups. Each group matches if any of its alternatives matches:
- the word itself; the last word also as a prefix while it is being typed, that is unless the query ends
  with a space (``"form"`` finds formoterol, ``"form "`` only form); whole words rank above prefixes;
- its expansions when it is an abbreviation CMS uses (``inj`` -> injection, ``hit`` -> home infusion
  therapy), and its abbreviations when it is a full word (``injection`` -> inj);
- Roman and Arabic numerals (``viii`` / ``8``), and letter-number forms (``b12`` / ``b-12`` / ``b 12``);
- the CMS words for a lay word or phrase (``shot`` -> injection), from ``data/synonyms.json``;
- for a word found nowhere in the index, the nearest indexed words by edit distance (``spelling.py``: those that
  sound nearest), else the two indexed words it joins; two words CMS writes as one also read as that word.

Doses in the query (``2.5 mg``, ``per 10 mg``) are read apart: they rank codes (``_rank.py``) rather than
filter them. Each alternative keeps its kind (``word``, ``prefix``, ``abbreviation``, ``numeral``, ``lay``,
``correction``), so results can say why they matched.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from . import spelling
from .doses import DOSE, Dose, doses
from .kinds import BILLING

WORD = re.compile(r"[a-z0-9]+")
_DOTTED = re.compile(r"\b(?:[a-z]\.){2,}(?![a-z0-9])")
_LETTER_NUMBER = re.compile(r"\b([a-z]{1,8})-(\d{1,3})\b")
MAXWORDS = 12
MAXWORD_LENGTH = 40
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "xi": "11",
          "xii": "12", "xiii": "13"}
_ARABIC = {v: k for k, v in _ROMAN.items()}
#: Alternatives per word kept when filling with partial matches (the word, then its likeliest reading).
FILL_ALTERNATIVES = 2
_COMMON_SHARE = 40
#: A word in the index also reads as cut short mid-query when the words it starts are this many times as used
_CUT_SHORT = 4
#: Words that carry no meaning in a query; dropped unless the query holds nothing else.
STOPWORDS = frozenset({
    "a", "an", "and", "any", "are", "as", "at", "be", "by", "each", "for", "from", "in", "is", "of", "on", "or",
    "per", "the", "to", "with", "without",
})


def words(text: str) -> list[str]:
    """Lower-case words of a text; ``b-12`` and ``covid-19`` also read as one word (``b12``), and letters
    written with dots as one (``t.e.n.s.`` -> ``tens``)."""
    lowered = text.lower()
    if "." in lowered:  # the patterns only where they may match: they cost more than the words
        lowered = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), lowered)
    if "-" in lowered:
        lowered = _LETTER_NUMBER.sub(r"\1\2", lowered)
    return WORD.findall(lowered)


@functools.lru_cache(maxsize=65536)  # most codes read the same in every release
def extra_terms(long_description: str | None, short_description: str | None) -> str:
    """What the index holds beside the descriptions: joined letter-number forms and Arabic numerals."""
    text = f"{long_description or ''} {short_description or ''}".lower()
    out = [a + b for a, b in _LETTER_NUMBER.findall(text)]
    out += [_ROMAN[w] for w in WORD.findall(text) if w in _ROMAN]
    return " ".join(dict.fromkeys(out))


@cache
def synonyms() -> dict[tuple[str, ...], tuple[str, ...]]:
    """The curated lay-word table (``data/synonyms.json``): lay words -> CMS words or phrases; each key also
    read with its last word in the plural."""
    raw = json.loads(resources.files("hcpcs").joinpath("data/synonyms.json").read_text(encoding="utf-8"))
    table = {tuple(words(k)): tuple(v) for k, v in raw["synonyms"].items()}
    # a lay word or phrase reads the same in the plural ("bed pads", "walking frames"), unless listed apart
    plurals = {(*key[:-1], spelling.plural(key[-1])): cms for key, cms in table.items() if key and len(key[-1]) > 2}
    return {**plurals, **table}


@cache
def lay_words() -> frozenset[str]:
    """Every word of the lay table's phrases: a word the index lacks but the table holds is no misspelling."""
    return frozenset(w for key in synonyms() for w in key)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The indexed words (sorted, for prefix checks), and the learnt abbreviations both ways; ``stems``
    holds each word's stem as the index reads it (porter), for ranking to tell which merges to trust."""

    words: tuple[str, ...]
    abbreviations: dict[str, tuple[str, ...]]
    abbreviated_as: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uses: dict[str, int] = field(default_factory=dict)
    stems: dict[str, str] = field(default_factory=dict)
    spellings: dict[int, list[str]] = field(default_factory=dict, compare=False, repr=False)  # spelling.within

    @classmethod
    def build(cls, indexed: dict[str, int], abbreviations: dict[str, list[tuple[str, int]]],
              stems: dict[str, str] | None = None) -> Vocabulary:
        import rapidfuzz.process  # noqa: F401  (imported with the vocabulary, not on the first misspelling)

        reverse: dict[str, list[str]] = defaultdict(list)
        stems = stems or {}
        for abbreviation, expansions in abbreviations.items():
            for expansion, uses in expansions:
                # a short abbreviation only when it has one meaning and the stemmer keeps it whole (hcl;
                # porter reads "ins" as "in")
                short_and_plain = len(expansions) == 1 and stems.get(abbreviation) == abbreviation
                if " " not in expansion and uses >= 3 and (len(abbreviation) >= 4 or short_and_plain):
                    reverse[expansion].append(abbreviation)
        return cls(tuple(sorted(w for w in indexed if w)),
                   {a: tuple(e for e, _ in es) for a, es in abbreviations.items()},
                   {w: tuple(a) for w, a in reverse.items()}, dict(indexed), stems)

    def common(self, alternatives: Iterable[str]) -> bool:
        """Words in so many descriptions together that matching them alone says little (more than 1 in 40)."""
        return sum(self.uses.get(w, 0) for w in alternatives) * _COMMON_SHARE > self.uses.get("", 1 << 30)

    def started(self, word: str, most: int = 200) -> int:
        """Records using the indexed words that ``word`` starts, other than itself (summed, read up to ``most``
        words)."""
        at = bisect.bisect_left(self.words, word)
        total = 0
        for w in self.words[at:at + most]:
            if not w.startswith(word):
                break
            if w != word:
                total += self.uses.get(w, 0)
        return total

    def has(self, word: str, *, prefix: bool = False) -> bool:
        at = bisect.bisect_left(self.words, word)
        if at == len(self.words):
            return False
        return self.words[at] == word or (prefix and self.words[at].startswith(word))

    def nearest(self, word: str, *, wide: bool = False) -> tuple[str, ...]:
        """Indexed words within a small edit distance (1 for short words, 2 for longer), nearest first;
        ``wide``: a third of the word's letters (at least 1, for words of 3 letters and more)."""
        if len(word) < (3 if wide else 4) or word.isdigit():
            return ()
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        limit = max(1, len(word) // 3) if wide else 1 if len(word) <= 5 else 2
        # a misspelling nearly always keeps its first letter: search those words first, then all words; two
        # letters swapped count as one edit (sheos: shoes)
        at, end = bisect.bisect_left(self.words, word[0]), bisect.bisect_left(self.words, chr(ord(word[0]) + 1))
        found = process.extract(word, self.words[at:end], scorer=OSA.distance, score_cutoff=limit, limit=8) \
            or spelling.within(word, limit, self.words, self.spellings)
        if not found:
            return ()
        best = min(score for _, score, _ in found)
        nearest = [w for w, score, _ in found if score == best]
        # of words as near, those that sound nearest (morfine: morphine, not morning)
        heard = spelling.sounds(word)
        sounds = {w: OSA.distance(heard, spelling.sounds(w)) for w in nearest}
        closest = min(sounds.values())
        return tuple(w for w in nearest if sounds[w] == closest)[:3]


def did_you_mean(query: str, vocabulary: Vocabulary) -> str | None:
    """The query with each word the index lacks (nor any word it starts) changed to the likeliest indexed
    word near it (the most used among the nearest), or ``None`` when no word changes."""
    changed = False
    out = []
    for word in words(query)[:MAXWORDS]:
        if vocabulary.has(word, prefix=True) or word in STOPWORDS or (word,) in synonyms():
            out.append(word)
            continue
        near = vocabulary.nearest(word, wide=True)
        if near:
            out.append(max(near, key=lambda w: vocabulary.uses.get(w, 0)))
            changed = True
    return " ".join(out) if changed else None


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way a group of query words can match: its words, how it was read, and whether as a prefix."""

    words: tuple[str, ...]
    kind: str
    prefix: bool = False

    @property
    def fts(self) -> str:
        return f'"{" ".join(self.words)}"' + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class Reading:
    """The query words of one group (``"shot"``, ``"blood sugar"``) and their alternatives, best first."""

    said: str
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """A query read into groups of alternatives, ready to run as FTS5 ``AND`` and ``OR`` queries."""

    groups: tuple[tuple[str, ...], ...]
    terms: tuple[str, ...]
    corrections: dict[str, tuple[str, ...]]
    common: tuple[bool, ...] = ()
    readings: tuple[Reading, ...] = ()
    doses: tuple[Dose, ...] = ()
    #: the query had a comma (``walker, folding``): CMS's inverted order reads as well as the plain one
    inverted: bool = False

    @property
    def all_words(self) -> str:
        return " AND ".join(group_query(g) for g in self.groups)

    @property
    def all_but_one(self) -> str | None:
        """Codes matching every group but one (the next best after all), for 2 to 6 groups."""
        if not 2 <= len(self.groups) <= 6:
            return None
        groups = [g[:FILL_ALTERNATIVES] for g in self.groups]
        parts = [" AND ".join(group_query(g) for j, g in enumerate(groups) if j != i) for i in range(len(groups))]
        return " OR ".join(f"({p})" for p in parts)

    @property
    def some_words(self) -> str | None:
        """Codes matching all groups but one, or any rarer word: the candidates after the all-words ones
        (of two groups, one common: the codes with the other, as a code with the common word alone, such as
        "injection", says nothing of the query)."""
        if len(self.groups) < 2:
            return None
        if len(self.groups) == 2 or not self.all_but_one or not any(self.common):
            return self.any_word  # with two groups, or none common, it holds all codes matching all but one
        return f"({self.all_but_one}) OR ({self.any_word})"

    @property
    def any_word(self) -> str:
        """Codes matching any word; common words are left out when the query has rarer ones."""
        chosen = [g for g, common in zip(self.groups, self.common or [False] * len(self.groups), strict=True)
                  if not common] or list(self.groups)
        return " OR ".join(group_query(g[:FILL_ALTERNATIVES]) for g in chosen)


def group_query(alternatives: tuple[str, ...]) -> str:
    """The FTS5 query matching any alternative of a group."""
    return "(" + " OR ".join(alternatives) + ")"


def plan(query: str, vocabulary: Vocabulary) -> Plan | None:
    """The groups of a query, or ``None`` when it holds no word at all (only punctuation).

    The last word is also read as a prefix (still being typed) unless the query ends with a space."""
    text = query[: MAXWORDS * (MAXWORD_LENGTH + 1)]
    typing = not text[-1:].isspace()
    wanted_doses = doses(text)
    if wanted_doses and words(DOSE.sub(" ", text.lower())):
        text = DOSE.sub(" ", text.lower())  # the dose ranks codes; the words find them
        typing = False
    table = synonyms()
    found = words(text) if "," not in text else _natural_order(words(text), text, table)
    found = [w[:MAXWORD_LENGTH] for w in found[:MAXWORDS]]
    if not found:
        return None
    # stop words go, but a last word of three letters or more may be a word still being typed ("for...")
    keep_last = len(found[-1]) > 2 and typing
    lay = _lay_phrase_words(found, table)  # "by mouth", "under the skin" keep their stop words
    meaningful = [w for i, w in enumerate(found)
                  if w not in STOPWORDS or i in lay or (keep_last and i == len(found) - 1)]
    if meaningful:
        found = meaningful
    groups: list[tuple[str, ...]] = []
    readings: list[Reading] = []
    common: list[bool] = []
    terms: list[str] = []
    corrections: dict[str, tuple[str, ...]] = {}
    near = functools.cache(vocabulary.nearest)  # a misspelt word is looked up once: for a lay phrase, and alone

    def known(word: str) -> bool:  # an indexed word, or the last one still being typed ("lymphedema pu")
        return vocabulary.has(word, prefix=typing and word == found[-1])

    at = 0
    while at < len(found):
        one: str | None = None
        typed: tuple[str, ...] = ()  # a lay phrase typed misspelt ("lymphadema pump"), read as meant (``key``)
        for size in (3, 2, 1):
            key = tuple(found[at:at + size])
            if len(key) == size and key in table:
                break
            meant = spelling.as_meant(key, table, lay_words(), known, near) if len(key) == size > 1 else None
            if meant is not None:
                typed, key = key, meant
                break
        else:
            size, key = 1, (found[at],)
            one = spelling.joined(found[at:at + 2], vocabulary.uses)
            if one and found[at] not in STOPWORDS:  # "bed side": CMS's bedside too
                size, key = 2, tuple(found[at:at + 2])
        last = at + size == len(found) and typing
        alternatives: list[Alternative] = []
        if size > 1 and typed:
            alternatives += [Alternative(typed, "word"), Alternative(key, "correction")]
            corrections[" ".join(typed)] = (" ".join(key),)
        elif size > 1:
            alternatives.append(Alternative(key, "word"))
            if one:  # "heavy duty" is CMS's heavyduty too: a correction only where a part is no indexed word
                misspelt = not all(vocabulary.has(w) for w in key)
                alternatives.append(Alternative((one,), "correction" if misspelt else "word"))
                corrections.update({" ".join(key): (one,)} if misspelt else {})
        else:
            alternatives += _word_alternatives((typed or key)[0], vocabulary, last, terms, corrections, near,
                                               final=at + size == len(found))
        for cms_words in table.get(key, ()):
            alternatives.append(Alternative(tuple(words(cms_words)), "lay"))
            terms += words(cms_words)
        terms += key
        first: dict[str, Alternative] = {}
        for alternative in alternatives:
            if alternative.words:
                first.setdefault(alternative.fts, alternative)  # the query's own word before a lay word
        unique = tuple(first.values())
        if unique:
            group = tuple(a.fts for a in unique)
            groups.append(group)
            readings.append(Reading(" ".join(typed or key), unique))
            # a word saying how an item is paid for ("rental") says little alone, however rare
            common.append(" ".join(key) in BILLING or vocabulary.common(w for a in unique[:FILL_ALTERNATIVES]
                                                                          for w in a.words))
        at += size
    return Plan(tuple(groups), tuple(dict.fromkeys(terms)), corrections, tuple(common), tuple(readings),
                wanted_doses, "," in query)


def _natural_order(found: list[str], text: str, table: dict[tuple[str, ...], tuple[str, ...]]) -> list[str]:
    """CMS's index order undone ("bags, ostomy": ostomy bags) where the lay table knows a phrase only that way."""
    flipped = [w for part in reversed(text.split(",")) for w in words(part)]
    phrases = [{tuple(ws[i:i + n]) for n in (2, 3) for i in range(len(ws) - n + 1)} & table.keys()
               for ws in (found, flipped)]
    return flipped if phrases[1] - phrases[0] else found


def _lay_phrase_words(found: list[str], table: dict[tuple[str, ...], tuple[str, ...]]) -> set[int]:
    """The places of the words that make up lay phrases of two or three words holding a stop word."""
    places: set[int] = set()
    for at in range(len(found)):
        for size in (3, 2):
            key = tuple(found[at:at + size])
            if len(key) == size and key in table and any(w in STOPWORDS for w in key):
                places.update(range(at, at + size))
                break
    return places


def _word_alternatives(word: str, vocabulary: Vocabulary, last: bool, terms: list[str],
                       corrections: dict[str, tuple[str, ...]], nearest: Callable[[str], tuple[str, ...]], *,
                       final: bool = False) -> list[Alternative]:
    """How one query word may match; ``last``: the word being typed, ``final``: the query's last word (finished
    when the query ends with a space)."""
    prefix = last and len(word) >= 2 and not word.isdigit()
    out = [Alternative((word,), "word")]
    if not prefix and len(word) >= 4 and not word.isdigit():
        if not vocabulary.has(word):
            prefix = vocabulary.has(word, prefix=True)  # a word cut short mid-query ("mastect bra")
        elif not final and vocabulary.started(word) > _CUT_SHORT * vocabulary.uses.get(word, 0):
            # a word CMS writes only in a few short descriptions ("incont", "wheelch"), and far more often in
            # full: also read as cut short
            out.append(Alternative((word,), "prefix", prefix=True))
    if prefix:  # the whole word ranks above the words it starts (_rank.py)
        out = [Alternative((word,), "prefix", prefix=True)]
    single = spelling.singular_apart(word, vocabulary.uses, vocabulary.stems)
    out += [Alternative((single,), "word")] if single else []  # the index stems lenses as lens, but lens as len
    related = [*vocabulary.abbreviations.get(word, ()), *vocabulary.abbreviated_as.get(word, ())]
    numerals = [n for n in (_ROMAN.get(word), _ARABIC.get(word)) if n]
    split = re.fullmatch(r"([a-z]{1,8})(\d{1,3})", word)
    if split:
        numerals.append(f"{split.group(1)} {split.group(2)}")
    out += [Alternative(tuple(words(r)), "abbreviation") for r in related]
    out += [Alternative(tuple(words(r)), "numeral") for r in numerals]
    related += numerals
    terms += [w for r in related for w in words(r)]
    known = vocabulary.has(word, prefix=prefix) or any(vocabulary.has(w) for r in related for w in words(r))
    if not known and (word,) not in synonyms():
        near = nearest(word)
        parts = None if near or len(word) < 6 else spelling.split(word, vocabulary.uses)  # nonwaterproof
        near = (" ".join(parts),) if parts else near
        if near:
            corrections[word] = near
            out += [Alternative(tuple(n.split()), "correction") for n in near]
            terms += [w for n in near for w in n.split()]
    return out
