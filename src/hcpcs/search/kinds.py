"""Which kind of code a query most likely wants among codes that match its words alike, by rules that hold for
whole families of codes:
- the item, not a part of it, an accessory to it or its repair: a part word in the head of the description
  ("Wheelchair accessory, ...", "Power wheelchair component", "Replace metal bands kafo"), a head ending in a
  part ("Tracheostomy tube collar/holder", "Crutch attachment", "Commode seat"), or a part word before the item
  the query names ("deluxe feature of ... depth-inlay shoe"); unless the query names a part ("cane tip");
- the ready-made kind, not the custom-made one (orthoses, compression stockings, shoes and cushions come in both;
  "custom fabricated", "custom molded" is the rarer, more specific kind), unless the query says custom;
- the item, not how it is paid for: "rental" or "purchase" in a query counts half as much as the item's words,
  and is not read apart to find candidates (the modifiers RR and KR, and every rented item, say "rental";
  "cpap rental" wants a cpap device);
- a modifier (a two-character code, which says how a service was billed, not what was given) ranks below the
  items when it holds only one word of a longer query, unless the query asks for a modifier.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

#: Words that make a code a part of, an accessory to or a repair of the item it names, in the head of its
#: description or before the item the query names
PART_WORDS = frozenset({"accessory", "accessories", "component", "replace", "replacement", "part", "parts", "repair",
                        "modification", "feature"})
#: The last word of a head that names a part of the item before it ("Axillary crutch extension")
PART_NOUNS = frozenset({"attachment", "extension", "holder", "collar", "plug", "stop", "cover", "tip", "strap", "clip",
                        "bracket", "mount", "adapter", "adaptor", "connector", "handle", "battery", "charger", "filter",
                        "cap", "seat", "liner", "sleeve", "tubing", "brake"})
#: The words after "custom" that make an item custom-made ("custom preparation and supply of" does not)
MADE = frozenset({"fabricated", "molded", "made", "fitted", "shaped"})
#: Query words saying how an item is paid for, not what it is, and how much they count against the item's words
BILLING, BILLING_SHARE = frozenset({"rental", "rent", "rented", "purchase", "purchased"}), 0.5
PART_COST, CUSTOM_COST, MODIFIER_COST = 0.05, 0.02, 0.2
_PARTS = PART_WORDS | PART_NOUNS  # a query naming any of them asks for parts ("cane tip")
#: A code billed only with another (``wording.ADD_ON``) costs this, unless the query asks for an addition
ADD_ON_COST, ADD_ON_WORDS = 0.1, frozenset({"addition", "additional", "add"})


#: Where a description says it is a part (``part``), and the word saying so
Part = tuple[int, str]
NO_PART: Part = (-1, "")


def part(long_words: Sequence[str], head: int) -> Part:
    """Where a description says it is a part: 0 when its head does (a part word in it, or a part as its last
    word), else the first part word's place; and the word."""
    last = long_words[head - 1] if head else ""
    if last in PART_NOUNS or last[:-1] in PART_NOUNS:
        return 0, last
    found = next(((i, w) for i, w in enumerate(long_words) if w in PART_WORDS), NO_PART)
    return (0, found[1]) if 0 <= found[0] < head else found


def kind_cost(said: Part, item_at: int, long_words: Sequence[str], every: frozenset[str], add_on: bool,
              asked: set[str]) -> float:
    """What a description's kind costs for a query: a part (in the head, or before where the query's item is
    found: ``part``), a custom-made item and an add-on, each unless the query asks for it."""
    cost = ADD_ON_COST if add_on and not asked & ADD_ON_WORDS else 0.0
    at, word = said
    if (at == 0 or 0 <= at < item_at) and not (word in asked or word[:-1] in asked or asked & _PARTS):
        cost += PART_COST
    if "custom" in every and "custom" not in asked and any(
            a == "custom" and b in MADE for a, b in itertools.pairwise(long_words)):
        cost += CUSTOM_COST
    return cost


def code_cost(code: str, missing: int, said: Sequence[str]) -> float:
    """What a code's kind costs, whatever its words: a modifier holding one word of a longer query, unless the
    query asks for a modifier ("replacement parts" is what RB says; "telehealth modifier"); ``said``: the query's
    groups as written."""
    if len(code) != 2 or missing < len(said) - 1 or not missing:
        return 0.0
    return 0.0 if any(s in ("modifier", "modifiers") for s in said) else MODIFIER_COST
