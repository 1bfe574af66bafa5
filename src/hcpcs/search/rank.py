"""Ranking the codes a search found the way a coder reads them, and saying why each matched.

The index (FTS5, bm25) finds the candidates; this module orders the best of them:
- each group of query words counts by how rare its rarest spelling is (idf), once, however many
  spellings (expansions, abbreviations, lay words) it has; all groups found ranks first; the group before a
  query's comma counts more (CMS's index names the item first: ``Commode, bedside``);
- how a group matched weighs too (``QUALITY``): a whole word above its stem, an abbreviation or a lay
  word, a misspelling's correction, and a prefix of the word still being typed last;
- stems merge only where the words mean the same: words under four letters only with their plural,
  and the groups of ``data/stems.json`` keep apart words the stemmer merges (ambulance / ambulation);
- bonuses: groups found in the query's order and side by side (the exact phrase), and in the reverse
  order (CMS's inverted ``Walker, folding``; fully when the query has a comma); groups found in the head
  of the long description (before its first comma, ``for`` or ``with``: ``Brake attachment for wheeled
  walker`` is a brake); a dose written in the query found in the description;
- a small cost for each word of the long description the query did not ask for (the plainest code first): not
  counting a size or pressure range, units, what the code is non- (non-compounded), nor the CMS words the query's
  lay words and abbreviations stand for; a cost for a code billed only with another (``wording.ADD_ON``) unless
  the query asks for an addition; half the worth of a group found only after a ``not``;
- which kind of code a query wants among those matching alike: the item, not its parts or modifiers (``kinds``).

A new kind of match (a drug's brand name, say) is one more entry in ``QUALITY`` and a new alternative kind.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..model.answers import MatchReason
from ..store import SearchRow as Row
from .described import DEFAULT_WORDS, Described, Descriptions, described_as, inflected
from .kinds import BILLING, BILLING_SHARE, code_cost, kind_cost
from .placing import in_order, side_by_side
from .query import Alternative, Plan, Reading, Vocabulary

#: How much a group counts by the way it matched (a whole word counts fully).
QUALITY: dict[str, float] = {"word": 1.0, "numeral": 1.0, "stem": 0.9, "abbreviation": 0.9, "lay": 0.85,
                             "correction": 0.8, "prefix": 0.5}
#: The codes reordered: the first ones the index ranks (after codes matching every group).
POOL = 30
#: Of them, at most this many codes matching only some groups: where few codes match every group (most lay
#: phrases), the page's codes are read for the first time, the costliest reading of a search
SOME_POOL = 20
#: A group in at most this many records is rare: its codes are read apart, and join the candidates.
RARE_USES = 300
_APART = 0.8  # a phrase whose words are all there, not side by side
_HEAD, _DOSE = 0.12, 0.25
_EXTRA, _EXTRA_MOST = 0.015, 0.2
_LAY_ORDER = 0.01  # a lay word's later CMS words count this much less each (steroid: methylprednisolone first)
_DEFAULT = 0.03
_TYPED_USES = 10  # how common a prefix still being typed is taken to be, when the index holds no word it starts
_PREFIX_SCAN = 2000  # indexed words read to count the uses of a prefix being typed
_NEGATED = 0.5  # how much a group counts that a description names only to say the code is not it
#: How much more the words before a query's comma count: in CMS's index phrasing they name the item, the rest
#: its kind (a code with the kind's words alone is not the item; index-style queries gain 3 first answers of 166
#: at 1.3-1.6, and lose them again from 2.0)
_ITEM = 1.5


@cache
def apart() -> dict[str, int]:
    """Word -> its group in ``data/stems.json``: words the stemmer merges that match only within a group."""
    raw = json.loads(resources.files("hcpcs").joinpath("data/stems.json").read_text(encoding="utf-8"))
    groups = [group for entry in raw["apart"] for group in entry["groups"]]
    return {w: i for i, group in enumerate(groups) for w in group}


#: A code's score for a query (``Ranker.score``): lacks a group, score, groups lacking, why it matched.
Scored = tuple[bool, float, int, tuple[MatchReason, ...]]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A code the index found, with how it matches each group of the query (``None``: not at all)."""

    row: Row
    text: Described
    groups: Sequence[Found | None]
    scored: Scored | None = None  # what ``Ranker.score`` gives it


@dataclass(frozen=True, slots=True)
class Found:
    quality: float
    words: tuple[str, ...]
    how: str
    at: int  # where in the long description (-1: the short one only)


class Ranker:
    """Orders search candidates for one vocabulary (the idf of each word, the stems the index uses)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._apart = apart()
        self._records = max(vocabulary.uses.get("", 1), 1)
        self.descriptions = Descriptions(vocabulary)
        self.stem, self.keys = self.descriptions.stem, self.descriptions.keys
        self._stem_uses: dict[str, int] = {}  # records using any word of a stem (an upper bound: summed)
        self._stem_words: dict[str, list[str]] = {}  # the indexed words of each stem
        for word, stem in vocabulary.stems.items():
            self._stem_uses[stem] = self._stem_uses.get(stem, 0) + vocabulary.uses.get(word, 0)
            self._stem_words.setdefault(stem, []).append(word)
        self.word_uses = functools.lru_cache(maxsize=65536)(self._word_uses)
        self._last: tuple[Plan, tuple[list[float], float, frozenset[str]]] | None = None

    def same(self, asked: str, written: str) -> bool:
        """Whether a description's word stands for a query word the index merged with it by stem."""
        if asked == written:
            return True
        shorter, longer = sorted((asked, written), key=len)
        if len(shorter) < 4:
            return longer in (shorter + "s", shorter + "es")
        if asked.endswith("itis") != written.endswith("itis"):
            return False
        return self._apart.get(asked) == self._apart.get(written)

    def _word(self, asked: str, text: Described) -> str | None:
        if asked in text.every:
            return asked
        for key in self.keys(asked):  # the plural ending off first, then the index's stem
            found = [w for w in self.descriptions.written(key) if w in text.every and self.same(asked, w)]
            if found:  # the first written (the long description first), whatever the hash seed
                return found[0] if len(found) == 1 else min(found, key=(text.long + text.short).index)
        return None

    def _alternative(self, alternative: Alternative, text: Described) -> Found | None:
        first = alternative.words[0]
        if alternative.prefix:
            # the word being typed as a whole word only when the index holds it or its singular ("lanc" is no word,
            # though the stem of lancing), and found in the long description (CMS's short ones abbreviate: "pou")
            uses = self.vocabulary.uses
            whole = self._word(first, text) if uses.get(first) or uses.get(inflected(first)) else None
            if whole is not None and whole not in text.long and any(
                    w.startswith(first) and w != first for w in text.long):
                whole = None
            if whole is not None:
                how = "word" if inflected(whole) == inflected(first) else "stem"
                return Found(QUALITY[how], (whole,), how, text.at.get(inflected(whole), -1))
            started = next((w for w in (*text.long, *text.short) if w.startswith(first)), None)
            if started is None:
                return None
            return Found(QUALITY["prefix"], (started,), "prefix", text.at.get(inflected(started), -1))
        if len(alternative.words) == 1:
            whole = self._word(first, text)
            if whole is None:
                return None
            matched: tuple[str, ...] = (whole,)
        else:
            found = [self._word(w, text) for w in alternative.words]
            if None in found:
                return None
            matched = tuple(w for w in found if w is not None)
        how = alternative.kind
        quality = QUALITY[how]
        if matched != alternative.words and any(inflected(a) != inflected(w)
                                                for a, w in zip(alternative.words, matched, strict=True)):
            quality *= QUALITY["stem"]  # a plural counts as the word; another form of it a little less
            how = "stem" if how == "word" else how
        if len(matched) > 1 and not (side_by_side(matched, text.long) or side_by_side(matched, text.short)):
            quality *= _APART
        return Found(quality, matched, how, text.at.get(inflected(matched[0]), -1))

    def _group(self, reading: Reading, text: Described) -> Found | None:
        """The best way a group matches; where it sits is taken from the long description when any
        alternative is found there (``inj`` in the short one, ``injection`` in the long)."""
        best: Found | None = None
        placed: Found | None = None
        lay = 0
        for alternative in reading.alternatives:
            found = self._alternative(alternative, text)
            lay += alternative.kind == "lay"
            if found is None:
                continue
            if lay > 1 and alternative.kind == "lay":  # the table lists a lay word's likeliest CMS words first
                found = Found(found.quality * (1 - _LAY_ORDER * (lay - 1)), found.words, found.how, found.at)
            if best is None or found.quality > best.quality:
                best = found
            if found.at >= 0 and (placed is None or found.quality > placed.quality):
                placed = found
            if placed is best and best.quality >= 1:
                break
        if best is None or placed is None or placed is best:
            return best
        # counted as the best, told as found in the long description
        return Found(best.quality, tuple(dict.fromkeys(placed.words + best.words)), placed.how, placed.at)

    def weight(self, reading: Reading) -> float:
        """How distinctive a group is: the idf of the descriptions using any of its spellings, counted once
        (a spelling the index lacks counts as none; a prefix being typed, unless a word, as fairly common)."""
        share = BILLING_SHARE if reading.said in BILLING else 1.0  # "breast pump rental" wants a breast pump
        return share * math.log(1 + self._records / (1 + min(self._uses(reading), self._records)))

    def _uses(self, reading: Reading) -> int:
        return sum(self.word_uses(a.words[0], True) if a.prefix else min(self.word_uses(w, False) for w in a.words)
                   for a in reading.alternatives)

    def _word_uses(self, word: str, prefix: bool) -> int:
        """Records a query word finds as ranking counts it (summed over words, an upper bound): the words of
        its stem that stand for it (``needles`` is found as ``needle`` too), and for the word being typed,
        the indexed words it starts when it is no word itself (``commod``: commode). Counting the word alone
        made a common word typed last (``pads``, ``rental``) look rare, and outweigh the query's other words."""
        uses = self.vocabulary.uses
        found = sum(uses.get(w, 0) for w in self._stem_words.get(self.stem(word), ()) if self.same(word, w))
        found = max(found, uses.get(word, 0))
        if prefix and not uses.get(word):  # a whole word typed ranks as that word (whole words rank first)
            words_ = self.vocabulary.words
            at = bisect.bisect_left(words_, word)
            for i in range(at, min(at + _PREFIX_SCAN, len(words_))):
                w = words_[i]
                if not w.startswith(word) or found >= self._records:
                    break
                if w != word and self.stem(w) != self.stem(word):
                    found += uses.get(w, 0)
            found = found or _TYPED_USES
        return found

    def rarest(self, found: Plan) -> int | None:
        """The group rarer than all others and rare in itself (in at most ``RARE_USES`` records, no prefix), whose
        codes join the candidates even when it alone matches: bm25 ranks a code matching two spellings of
        a common word (hcl, hydrochloride) above one matching a rare drug name once."""
        if len(found.readings) < 2:
            return None
        weights = [self.weight(r) for r in found.readings]
        best = max(range(len(weights)), key=weights.__getitem__)
        reading = found.readings[best]
        # rare as the index reads it: counting every word of the same stem (wellness is read as well)
        stemmed = sum(self._stem_uses.get(self.stem(w), 0) for a in reading.alternatives for w in a.words[:1])
        rare = stemmed <= RARE_USES and not any(a.prefix for a in reading.alternatives)
        return best if rare and sorted(weights)[-2] < weights[best] else None

    def read(self, found: Plan, row: Row, key: tuple[str, str] | None = None) -> Candidate | None:
        """How a code matches each group, or ``None`` when it matches none in truth (the index also finds
        words that only share a stem: ambulance for ambulation); ``key``: its descriptions as ``described_as``
        gives them, when the caller has them."""
        text = self.descriptions.read(*(key or described_as(row)))
        groups = [self._group(r, text) for r in found.readings]
        if all(g is None for g in groups):
            return None
        return Candidate(row, text, groups, self.score(found, text, groups))

    def _context(self, found: Plan) -> tuple[list[float], float, frozenset[str]]:
        """What scoring a code needs of a query: each group's weight, their sum, the words its groups stand for
        (a lay word's or an abbreviation's CMS words: a description holding them says no more than the query
        asked, "cpap" is "continuous positive airway pressure"); kept for the last query read."""
        if self._last is not None and self._last[0] is found:
            return self._last[1]
        weights = [self.weight(r) for r in found.readings]
        if found.inverted and len(weights) > 1:  # "Commode, bedside": a commode first, a bedside bottle after
            weights[0] *= _ITEM
        spelled = frozenset(inflected(w) for r in found.readings for a in r.alternatives if not a.prefix
                            for w in a.words)
        context = (weights, sum(weights) or 1.0, spelled)
        self._last = (found, context)
        return context

    def score(self, found: Plan, text: Described, matches: Sequence[Found | None]) -> Scored:
        """A code's score for a query: whether it lacks a group, the score, how many groups it lacks, and why it
        matched; the same for the same descriptions (kept with them, ``Candidate.scored``)."""
        weights, total, spelled = self._context(found)
        score = 0.0
        missing = 0
        positions: list[tuple[int, int] | None] = []
        asked: set[str] = set(spelled)
        for m, weight in zip(matches, weights, strict=True):
            if m is None:
                missing += 1
                positions.append(None)
                continue
            quality = m.quality * _NEGATED if text.negated and text.negated.issuperset(m.words) else m.quality
            score += quality * weight + (_HEAD * weight if 0 <= m.at < text.head else 0.0)
            positions.append((m.at, len(m.words)) if m.at >= 0 else None)
            asked.update(inflected(w) for w in m.words)
        score /= total
        if len(positions) > 1:
            backward = in_order(positions[::-1])
            score += max(in_order(positions), backward if found.inverted else backward / 2)
        score -= min(_EXTRA * sum(w not in asked for w in text.content), _EXTRA_MOST)
        item = matches[0] if found.inverted else matches[-1]  # the item a query names: "walker, folding"
        score -= kind_cost(text.part, item.at if item else -1, text.long, text.every, text.add_on, asked)
        dosed = [d for d in found.doses if d in text.doses]
        if dosed:
            score += _DOSE
        if not missing and any(w in DEFAULT_WORDS and w not in asked for w in text.long[:text.head]):
            score += _DEFAULT
        why = [MatchReason(r.said, m.words, m.how) for r, m in zip(found.readings, matches, strict=True) if m]
        why += [MatchReason(d.said, (d.said,), "dose") for d in dosed]
        return missing > 0, score, missing, tuple(why)

    def rank(self, found: Plan, candidates: Sequence[Candidate], *, reorder: bool = True,
             ) -> list[tuple[Row, int, tuple[MatchReason, ...]]]:
        """Candidates best first (or as given), each with the number of groups it lacks and why it matched."""
        scored, said = [], [r.said for r in found.readings]
        for candidate in candidates:
            row = candidate.row
            lacks, score, missing, why = candidate.scored or self.score(found, candidate.text, candidate.groups)
            score -= code_cost(row["code"], missing, said)
            scored.append((lacks, -score, row["score"], row["code"], row, missing, why))
        if reorder:
            scored.sort(key=lambda s: s[:4])
        return [(s[4], s[5], s[6]) for s in scored]
