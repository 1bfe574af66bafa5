"""CMS's drug files read back: an NDC's codes, a code's drug products and payment limits on a day, drug names
as sold for search. Functions over the store alone, so that ``hcpcs ndc`` needs nothing else (a quick start)."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._errors import NotFound
from ..model.drugs import CodeDrugs, DrugProduct, NdcAnswer, PaymentLimit, Quarter
from ..model.identifiers import labeler_code, parse_ndc
from ..readers.names import ROLE_WORDS
from ..store import Store

#: How many NDCs of the same labeler an unknown NDC's error names.
NEAR_NDCS = 5


def ndc_answer(store: Store, ndc: str, day: dt.date | None = None) -> NdcAnswer:
    """The code(s) an NDC bills under, by the crosswalk in effect on ``day`` (else the latest before it, said
    so), or without a day by the latest loaded crosswalk that lists it.

    Raises ``NdcError`` (a usage error) for text that is not an NDC, ``NotFound`` (naming NDCs of the same
    labeler) for one the crosswalk does not list.
    """
    wanted = parse_ndc(ndc)
    loaded = [q for q in quarters(store) if q.kind == "ndc_crosswalk"]
    if not loaded:
        raise NotFound("no NDC crosswalk is loaded: load CMS's ASP NDC-HCPCS crosswalk with hcpcs load PATH")
    rows = store.products_of_ndc(wanted)
    listed = sorted({q for q, _ in rows})
    note = None
    if day is not None:
        quarter, note = quarter_on(loaded, day)
    else:
        quarter = next((q for q in reversed(loaded) if q.quarter in listed), loaded[-1])
    found = tuple(p for q, p in rows if q == quarter.quarter)
    if not found:
        elsewhere = f"; it is in the crosswalk of {', '.join(listed)}" if listed else ""
        near = near_ndcs(store, wanted, quarter.quarter)
        hint = (f"; near NDCs of labeler {labeler_code(wanted)}: {', '.join(near)}" if near
                else f"; no NDC of labeler {labeler_code(wanted)} is in it")
        raise NotFound(f"NDC {wanted} is not in the NDC crosswalk of {quarter.quarter}{elsewhere}{hint}",
                       suggestions=near)
    return NdcAnswer(wanted, quarter, found, tuple(q for q in listed if q != quarter.quarter), note)


@dataclass(frozen=True, slots=True)
class DrugSearch:
    """What a search query finds among the drug names as sold of the crosswalk in effect (``quarter``)."""

    quarter: str | None
    #: the codes whose drug name is the query, then those whose drug name starts with it
    codes: tuple[str, ...] = ()


def drug_search(store: Store, query: str, day: dt.date, labeler: str | None,
                names: Callable[[Quarter], DrugNames] | None = None,
                loaded: Sequence[Quarter] | None = None) -> DrugSearch:
    """The codes a drug name as sold finds: its name whole (``Keytruda``), or begun (``keytr``, as typed).

    ``names``: a quarter's names read once (a cache kept by the caller), used unless a labeler is given;
    ``loaded``: the drug files loaded (``quarters``), when the caller keeps them."""
    crosswalks = [q for q in (quarters(store) if loaded is None else loaded) if q.kind == "ndc_crosswalk"]
    if not crosswalks:
        return DrugSearch(None)
    chosen = quarter_on(crosswalks, day)[0]
    quarter = chosen.quarter
    wanted = _name_key(query)
    if len(wanted) < 3:
        return DrugSearch(quarter)
    if names is not None and labeler is None:
        return DrugSearch(quarter, names(chosen).codes(wanted))
    whole: list[str] = []
    begun: list[str] = []
    for row in store.drug_names_like(quarter, wanted.split()[0], labeler.strip() if labeler else None):
        name = _name_key(row.drug_name)
        if name == wanted:
            whole.append(row.code)
        elif name.startswith(wanted):
            begun.append(row.code)
    return DrugSearch(quarter, tuple(dict.fromkeys(whole + begun)))


@dataclass(frozen=True, slots=True)
class DrugNames:
    """A quarter's drug names as sold, read once: (name as matched, code), sorted, so that a name and the names
    it begins are found by bisection instead of a scan of the crosswalk."""

    names: tuple[tuple[str, str], ...]

    @classmethod
    def read(cls, store: Store, quarter: str) -> DrugNames:
        return cls(tuple(sorted({(_name_key(r.drug_name), r.code)
                                 for r in store.drug_names_like(quarter, "", None)})))

    def codes(self, wanted: str) -> tuple[str, ...]:
        """The codes whose drug name is ``wanted``, then those whose name starts with it, each in code order."""
        whole: list[str] = []
        begun: list[str] = []
        at = bisect.bisect_left(self.names, (wanted, ""))
        while at < len(self.names) and self.names[at][0].startswith(wanted):
            name, code = self.names[at]
            (whole if name == wanted else begun).append(code)
            at += 1
        return tuple(dict.fromkeys(sorted(whole) + sorted(begun)))


def _name_key(text: str) -> str:
    """A drug name as it is matched: lower case, words of letters and digits (``KALBITOR®`` -> ``kalbitor``)."""
    return " ".join(_NOT_WORD.split(text.lower())).strip()


_NOT_WORD = re.compile(r"[^0-9a-z]+")


def code_drugs(store: Store, code: str, day: dt.date) -> CodeDrugs:
    """A code's drug products and payment limit on a day (each from the quarter in effect, else the latest before
    it, said so), and its payment limit in every loaded quarter."""
    loaded = quarters(store)
    crosswalks = [q for q in loaded if q.kind == "ndc_crosswalk"]
    products: tuple[DrugProduct, ...] = ()
    crosswalk = crosswalk_note = None
    if crosswalks:
        crosswalk, crosswalk_note = quarter_on(crosswalks, day)
        products = tuple(store.products_of_code(code, crosswalk.quarter))
        if not products:
            crosswalk = crosswalk_note = None
    history = limit_history(store, code, loaded)
    limit = limits = limit_note = None
    if history:
        limits, limit_note = quarter_on([q for q, _ in history], day)
        limit = next(x for q, x in history if q is limits)
    return CodeDrugs(products, crosswalk, crosswalk_note, limit, limits, limit_note, history)


def limit_history(store: Store, code: str, loaded: Sequence[Quarter] | None = None
                  ) -> tuple[tuple[Quarter, PaymentLimit], ...]:
    """A code's payment limit in every loaded quarter, oldest first."""
    by_quarter = {q.quarter: q for q in (loaded or quarters(store)) if q.kind == "payment_limits"}
    return tuple((by_quarter[q], limit) for q, limit in store.payment_limits(code) if q in by_quarter)


def quarters(store: Store) -> list[Quarter]:
    return store.quarters()


def quarter_on(loaded: Sequence[Quarter], day: dt.date) -> tuple[Quarter, str | None]:
    """The quarter in effect on a day; else the latest that took effect before it, else the earliest, with a note
    saying so (``loaded`` oldest first)."""
    for quarter in loaded:
        if quarter.holds(day):
            return quarter, None
    earlier = [q for q in loaded if q.effective_from <= day]
    chosen = earlier[-1] if earlier else loaded[0]
    which = "the latest before it" if earlier else "the earliest"
    return chosen, (f"no {ROLE_WORDS[chosen.kind]} loaded is in effect on {day.isoformat()}: {which}, "
                    f"{chosen.quarter} ({chosen.period}), answers")


def near_ndcs(store: Store, ndc: str, quarter: str) -> tuple[str, ...]:
    """The NDCs of the same labeler in a quarter's crosswalk nearest to ``ndc`` (by product, then package)."""
    number = int(ndc.replace("-", ""))
    same = store.labeler_ndcs(labeler_code(ndc), quarter)
    return tuple(sorted(sorted(same, key=lambda n: abs(int(n.replace("-", "")) - number))[:NEAR_NDCS]))

