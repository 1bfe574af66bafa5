"""Search ranking rules on the real releases: the general code of a family first, add-ons and parts after the
item, the ready-made kind before the custom one, negated words, misspellings by sound and swapped letters, and
lay words for categories."""

from __future__ import annotations

from pathlib import Path

import pytest

import hcpcs
import hcpcs.api.search as searching
from hcpcs.model.answers import MatchReason
from hcpcs.search.kinds import NO_PART, kind_cost, part
from hcpcs.search.query import synonyms, words
from hcpcs.search.spelling import as_meant, singular_apart
from hcpcs.search.wording import negated


def codes(result: hcpcs.SearchResult) -> list[str]:
    return [h.code for h in result.hits]


def test_a_size_range_does_not_make_a_code_more_specific(db: hcpcs.Hcpcs) -> None:
    # every general-use cushion names a width; the powered cushion is a kind of its own
    for query in ("wheelchair cushion", "wc cushion", "wheelch cush"):
        assert codes(db.search(query, limit=2)) == ["E2601", "E2602"], query


def test_the_words_an_abbreviation_stands_for_are_not_extra(db: hcpcs.Hcpcs) -> None:
    # E0601 spells out continuous positive airway pressure, all of which cpap means
    assert codes(db.search("c.p.a.p.", limit=1)) == ["E0601"]
    assert codes(db.search("cpap machine", limit=1)) == ["E0601"]


def test_an_aside_in_parentheses_stays_in_the_head(db: hcpcs.Hcpcs) -> None:
    assert codes(db.search("wheelchair, hemi", limit=1)) == ["K0002"]  # Standard hemi (low seat) wheelchair


def test_the_item_or_service_before_its_add_ons(db: hcpcs.Hcpcs) -> None:
    top = codes(db.search("peer support", limit=3))
    assert top.index("G0140") < top.index("G0146")  # G0146: additional 30 minutes, in addition to G0140
    assert "G0146" in codes(db.search("peer support additional", limit=1))


def test_the_item_before_its_parts_and_accessories(db: hcpcs.Hcpcs) -> None:
    collar = words("Tracheostomy tube collar/holder, each")
    assert part(collar, 4) == (0, "holder")  # a head ending in a part
    assert part(words("Tracheostomy/laryngectomy tube, cuffed"), 3) == (-1, "")
    assert part(words("For diabetics only, deluxe feature of depth-inlay shoe"), 3) == (4, "feature")
    assert codes(db.search("tracheostomy tube", limit=1)) == ["A7520"]  # the tube, not A7526 its holder
    assert codes(db.search("tracheostomy tube holder", limit=1)) == ["A7526"]  # unless the query asks for the part
    chairs = {"E0163", "E0165", "E0168", "E0170", "E0171"}
    for query in ("commode", "commod", "comode"):  # the chairs, not E0968: Commode seat, wheelchair
        assert codes(db.search(query, limit=1))[0] in chairs, query
    assert codes(db.search("commode seat", limit=1)) == ["E0968"]
    assert codes(db.search("cane tip", limit=1)) == ["A4637"]  # a query naming a part asks for parts
    # the shoe, not a deluxe feature or a modification of it (a part word before the item the query names)
    assert codes(db.search("diabetic sheos", limit=1))[0] in {"A5500", "A5501"}


def test_the_ready_made_kind_before_the_custom_one(db: hcpcs.Hcpcs) -> None:
    brace = db.search("knee brace", limit=1).hits[0]
    assert brace.code.startswith("L18") and "custom" not in brace.long_description.lower()
    assert "custom" in db.search("knee orthosis custom", limit=1).hits[0].long_description.lower()
    made, prepared = words("Knee orthosis, custom fabricated"), words("Custom preparation and supply of shoe")
    assert kind_cost(NO_PART, -1, made, frozenset(made), False, set()) > 0  # custom-made, not custom preparation
    assert kind_cost(NO_PART, -1, prepared, frozenset(prepared), False, set()) == 0


def test_rental_finds_the_item_not_the_modifiers(db: hcpcs.Hcpcs) -> None:
    # "rental" counts half as much as the item's words, and a modifier lacking a query word ranks below items
    assert set(codes(db.search("breast pump rental", limit=2))) <= {"E0602", "E0603", "E0604"}
    assert len(codes(db.search("rental", limit=1))[0]) == 2  # the word alone asks for what RR and KR say
    # not read apart to find candidates either: the cpap device, not every code saying rental
    assert codes(db.search("cpap rental", limit=1)) == ["E0601"]
    assert codes(db.search("replacement parts", limit=1)) == ["RB"]  # what the modifier says, every word of it


def test_a_word_named_only_after_not_counts_half(db: hcpcs.Hcpcs) -> None:
    assert negated("orally administered nutrition, not by feeding tube") >= {"feeding", "tube"}
    assert not negated("power wheelchair, not otherwise classified")
    assert not negated("enteral feeding supply kit; includes but not limited to feeding/flushing syringe")
    assert codes(db.search("feeding tube", limit=1))[0].startswith("B4")  # not the modifier BO


def test_misspellings_by_sound_and_by_swapped_letters(db: hcpcs.Hcpcs) -> None:
    morphine = db.search("morfine", limit=3)
    assert morphine.corrections["morfine"] == ("morphine",) and codes(morphine)[0] == "J2270"
    assert db.search("diabetic sheos", limit=1).corrections["sheos"][0].startswith("shoe")
    assert db.search("comode", limit=1).corrections["comode"] == ("commode",)


def test_the_words_before_a_comma_name_the_item(db: hcpcs.Hcpcs) -> None:
    # CMS's index phrasing names the item, then its kind: the code whose head is the item (E0890 "Traction frame,
    # ..., pelvic traction") before one naming it only after another item (E0947 "Fracture frame, attachments for
    # complex pelvic traction"), and before a code with the kind's word alone (A5102 "Bedside drainage bottle")
    assert codes(db.search("traction, pelvic", release="2025-10", limit=1)) == ["E0890"]
    assert set(codes(db.search("commode, bedside", release="2025-10", limit=2))) == {"E0163", "E0165"}
    # as a patient says it, the lay table's commode chair
    assert set(codes(db.search("bedside commode", release="2025-10", limit=2))) == {"E0163", "E0165"}


def test_a_lay_phrase_typed_misspelt_reads_as_meant(db: hcpcs.Hcpcs) -> None:
    # the lay table knows "lymphedema pump" (a pneumatic compressor); typed misspelt, it was read as a pump alone
    typed = db.search("lymphadema pump", release="2025-10", limit=5)
    assert typed.corrections == {"lymphadema pump": ("lymphedema pump",)}
    assert codes(typed) == codes(db.search("lymphedema pump", release="2025-10", limit=5))
    assert codes(typed)[0].startswith("E06")  # E0650-E0673, the compressors and their appliances
    assert [(w.query, w.how) for w in typed.hits[0].why] == [("lymphadema pump", "lay")]
    assert codes(db.search("brest pump", limit=1)) == codes(db.search("breast pump", limit=1))
    # a word the lay table holds, or the index, is no misspelling: nothing to read otherwise
    assert db.search("breast pump", limit=1).corrections == {}
    meant = {("breast", "pump"): ("breast pump",)}
    assert as_meant(("brest", "pump"), meant, set(), {"breast", "pump"}.__contains__, lambda w: ("breast",)) == (
        "breast", "pump")
    assert as_meant(("breast", "pump"), meant, set(), {"breast", "pump"}.__contains__, lambda w: ()) is None
    assert as_meant(("chux", "pad"), meant, {"chux"}, {"pad"}.__contains__, lambda w: ("chin",)) is None


def test_lay_words_for_over_the_counter_remedies_and_machines(db: hcpcs.Hcpcs) -> None:
    for query in ("glucose tablets", "stool softener", "otc", "laxative"):
        assert codes(db.search(query, limit=1)) == ["A9150"], query
    assert codes(db.search("sleep apnea machine", limit=1)) == ["E0601"]
    assert codes(db.search("oxygen tank", limit=1))[0] in {"E0424", "E0430", "E0431"}
    assert {"J7296", "J7297", "J7298"} & set(codes(db.search("hormonal iud", limit=3)))


def test_a_route_word_beside_a_lay_drug_category_picks_the_form(db: hcpcs.Hcpcs) -> None:
    assert ("steroid",) in synonyms() and ("steroid", "shot") not in synonyms()
    shot = db.search("steroid shot", limit=3).hits
    assert all("injection" in h.long_description.lower() for h in shot)
    assert codes(db.search("steroid shot", limit=1)) == ["J1010"]  # methylprednisolone, listed first
    assert all("oral" in h.long_description.lower() for h in db.search("steroid pill", limit=2).hits)


def test_words_written_joined_or_apart(db: hcpcs.Hcpcs) -> None:
    apart = db.search("tape, nonwaterproof", limit=1)
    assert codes(apart) == ["A4450"] and apart.corrections["nonwaterproof"] == ("non waterproof",)
    together = db.search("bed side drainage bag", limit=1)
    assert codes(together) == ["A4357"] and together.hits[0].why[0] == MatchReason("bed side", ("bedside",), "word")
    # two words CMS also writes as one are no misspelling: nothing is told as corrected
    assert not together.corrections and not db.search("heavy duty walker", limit=1).corrections
    assert codes(db.search("cpap chin strap", limit=1)) == ["A7036"]  # chinstrap, in two descriptions
    # a misspelling near an indexed word is corrected, not split ("compres" + "ion")
    assert db.search("compresion stockings", limit=1).corrections["compresion"] == ("compression",)


def test_what_a_description_says_the_code_lacks(db: hcpcs.Hcpcs) -> None:
    # after "without" (not "with or without") and the word after "non": the code is the other kind
    assert negated("knee orthosis, without knee joint, rigid, custom fabricated") == {"joint"}
    assert not negated("cane, includes canes of all materials, adjustable or fixed, with or without tip")
    assert negated("gloves, non-sterile, per 100") == {"sterile"}
    assert "elastic" not in negated("light compression bandage, elastic, knitted/woven, non-sterile")
    # "Conforming bandage, non-elastic" is not what an elastic bandage is
    assert not {"A6442", "A6443", "A6444"} & set(codes(db.search("bandage, elastic", limit=3)))
    # an addition written after the item's name ("Truss, addition to standard pad") comes after the item
    assert codes(db.search("truss", limit=2)) == ["L8300", "L8310"]


def test_a_plural_the_index_stems_apart_from_its_singular(db: hcpcs.Hcpcs) -> None:
    # porter reads lenses as lens, but lens as len: "contact lenses" still finds the contact lens codes
    for query in ("contact lenses", "contact lenses "):
        hits = db.search(query, limit=3).hits
        assert all("contact lens" in (h.long_description or "").lower() for h in hits), query
    # only a singular that takes "es": gloves is no "glov", cases no "cas" (short descriptions' abbreviations)
    vocabulary = db.vocabulary()
    assert singular_apart("lenses", vocabulary.uses, vocabulary.stems) == "lens"
    assert not any(singular_apart(w, vocabulary.uses, vocabulary.stems) for w in ("gloves", "cases", "canes"))


def test_everyday_words_for_who_and_what(db: hcpcs.Hcpcs) -> None:
    # who an item is for, body words, travel, vision: one entry each in the lay table, for whole families
    assert codes(db.search("urinal for men", limit=1)) == ["E0325"]
    assert set(codes(db.search("kids diapers", limit=2))) == {"T4529", "T4530"}
    assert codes(db.search("helicopter ambulance", limit=1)) == ["A0431"]
    assert codes(db.search("soft contact lenses", limit=1)) == ["V2520"]
    assert set(codes(db.search("glass eye", limit=2))) & {"V2623", "V2629"}
    assert codes(db.search("hotel", limit=1))[0] in {"A0180", "A0200", "S9976"}
    assert set(codes(db.search("soft neck collar", limit=3))) <= {"L0120", "L0130", "L0140", "L0170", "L0172",
                                                                  "L0174", "L0180"}


def test_index_order_finds_the_lay_phrase(db: hcpcs.Hcpcs) -> None:
    # "bags, ostomy" is CMS's index order of the lay phrase "ostomy bags": the pouches, not the irrigation bag
    inverted = db.search("bags, ostomy", limit=3)
    assert all("ostomy pouch" in (h.long_description or "").lower() for h in inverted.hits)
    assert codes(db.search("pump, enteral feeding", limit=1)) == ["B9002"]
    assert codes(db.search("walker, folding", limit=1)) == ["E0135"]  # no lay phrase: read as written
    # a hearing aid's battery is CMS's battery for use in hearing device
    assert codes(db.search("battery for hearing aid", limit=1)) == ["V5266"]


def test_not_otherwise_specified_says_nothing_denied_wherever_it_stands() -> None:
    # the quick reading of a "not" that only says "otherwise", "elsewhere" or "limited" agrees with the clauses
    assert not negated("injection, drug, not otherwise specified, not elsewhere classified, 1 mg")
    assert negated("drug, not otherwise specified, not by mouth") == {"by", "mouth"}
    assert negated("kit, not limited-5 sizes") == {"limited5", "sizes"}  # one word, as the clauses read it
    assert negated("knot tying device, not limited to sutures") == frozenset()


def test_a_misspelling_of_its_first_letter_is_corrected_the_same_every_time(db: hcpcs.Hcpcs) -> None:
    from hcpcs.search.query import Vocabulary

    vocabulary = db.vocabulary()
    # each word as the first one searched among every word (a fresh vocabulary), then past an index by length
    words = ["kommode", "xheelchair", "qrutches", "zebulizer", "inzulin", "ypxygen", "vb12x", "fentanyl2"]
    first = [Vocabulary(vocabulary.words, vocabulary.abbreviations, vocabulary.abbreviated_as, vocabulary.uses,
                        vocabulary.stems).nearest(w) for w in words]
    shared = Vocabulary(vocabulary.words, vocabulary.abbreviations, vocabulary.abbreviated_as, vocabulary.uses,
                        vocabulary.stems)
    again = [shared.nearest(w) for w in words + words]
    assert again == first + first and len(shared.spellings) > 1  # the index was built, and answers as every word did
    assert "commode" in first[0] and "wheelchair" in first[1] and "crutches" in first[2]
    assert "commode" in db.search("kommode", limit=5).corrections["kommode"]


def test_matches_kept_give_way_oldest_first_and_answers_stay_the_same(all_loaded: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # a handle keeping few matches drops those of the queries read longest ago, and answers as a handle keeping all
    queries = ("wheelchair cushion", "oxygen concentrator", "knee brace", "insulin pump", "walker, folding",
               "ostomy pouch", "cpap mask", "diabetic shoes")
    with hcpcs.open(all_loaded, readonly=True) as roomy:
        want = [codes(roomy.search(q, limit=20)) for q in queries * 2]
    monkeypatch.setattr(searching, "_KEPT_MATCHES", 40)
    with hcpcs.open(all_loaded, readonly=True) as small:
        got = [codes(small.search(q, limit=20)) for q in queries * 2]
        kept = small._search_state()._matches
        assert sum(len(m[1]) for m in kept.values()) <= 20 + 40  # the half left, and what the last search read
        assert 0 < len(kept) < len(queries)  # the matches of the queries read longest ago gave way
    assert got == want
