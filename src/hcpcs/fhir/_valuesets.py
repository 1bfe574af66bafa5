"""The value set of every HCPCS code (``hcpcs-all``, the code system's implicit value set) and ``$expand``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .._errors import UsageError
from ..api.handle import MAX_OFFSET, Hcpcs
from ._codes import PROPERTY_CODES, designation, facts, find, value_key
from ._common import (
    MAX_EXPANSION,
    SYSTEM,
    VALUE_SET,
    VALUE_SET_ID,
    FhirError,
    Inputs,
    day,
    our_value_set,
    release,
)

#: R5's ValueSet.expansion.property and contains.property, as the R4 extensions the terminology ecosystem uses.
_EXPANSION_PROPERTY = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.property"
_CONTAINS_PROPERTY = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.property"


def value_set(db: Hcpcs, *, version: str | None = None) -> dict[str, Any]:
    """The ValueSet resource of every code of a release (its definition; ``$expand`` lists the codes)."""
    rel = release(db, version)
    return {
        "resourceType": "ValueSet", "id": VALUE_SET_ID, "url": VALUE_SET, "version": rel.id,
        "name": "HCPCSLevelIIAll", "title": "Every HCPCS Level II code", "status": "active",
        "experimental": False, "date": rel.effective_date.isoformat(),
        "publisher": "Centers for Medicare & Medicaid Services (CMS)",
        "description": f"Every code and modifier of HCPCS Level II release {rel.id}, terminated ones included "
                       "(expand with activeOnly=true to leave them out).",
        "immutable": True,
        "compose": {"include": [{"system": SYSTEM, "version": rel.id}]},
    }


def expand(db: Hcpcs, inputs: Inputs, *, url: str | None = None) -> dict[str, Any]:
    """``ValueSet/$expand``: ``filter``, ``count``/``offset`` (at most ``MAX_EXPANSION`` codes in one answer:
    more is an OperationOutcome ``too-costly``), ``activeOnly``, ``date``, ``includeDesignations`` and
    ``property``; the release by the value set's version, ``system-version`` or ``force-system-version``."""
    if inputs.all("valueSet"):
        raise FhirError("this server expands only its own value set (url); a valueSet resource cannot be given",
                        issue="not-supported")
    given = url or inputs.text("url")
    version = None if given is None else our_value_set(given)
    version = (inputs.system_version("force-system-version") or inputs.text("valueSetVersion") or version
               or inputs.text("version") or inputs.system_version("system-version"))
    count = inputs.number("count", 0, 10**9)
    offset = inputs.number("offset", 0, MAX_OFFSET) or 0
    if count is not None and count > MAX_EXPANSION:
        raise FhirError(f"count {count:,} is too costly: this server returns at most {MAX_EXPANSION:,} codes in "
                        "one expansion; page with count and offset", issue="too-costly", status=422)
    active_only = inputs.flag("activeOnly")
    designations = inputs.flag("includeDesignations")
    wanted = [str(p) for p in inputs.all("property")]
    unknown = [p for p in wanted if p not in PROPERTY_CODES]
    if unknown:
        raise FhirError(f"parameter property: unknown {', '.join(map(repr, unknown))}; the properties are "
                        f"{', '.join(sorted(PROPERTY_CODES))}")
    date = inputs.text("date")
    when = day(date) if date else None
    try:
        rel = db.release_on(when) if when else release(db, version)
    except UsageError as exc:
        raise FhirError(str(exc)) from None
    text = inputs.text("filter")
    page_size = MAX_EXPANSION if count is None else count
    rows: list[tuple[str, str, bool]]
    if text:
        try:
            found = db.search(text, release=None if when else rel.id, as_of=when, limit=max(page_size, 1),
                              offset=offset, include_terminated=not active_only)
        except UsageError as exc:
            raise FhirError(f"parameter filter: {exc}") from None
        total = found.total
        rows = [(h.code, h.long_description, h.status == "Terminated") for h in found.hits][:page_size]
    else:
        listing = db.listing(rel.id, active_on=(when or rel.effective_date) if active_only else None,
                             as_of=when or rel.effective_date)
        total = len(listing)
        rows = listing[offset:offset + page_size]
    if count is None and total - offset > MAX_EXPANSION:
        raise FhirError(f"the expansion has {total - offset:,} codes, more than the {MAX_EXPANSION:,} this server "
                        "returns in one answer: page with count and offset, or narrow it with filter",
                        issue="too-costly", status=422)
    contains = [_entry(db, code, display, inactive, rel.id, when, designations, wanted)
                for code, display, inactive in rows]
    parameters: list[dict[str, Any]] = [
        {"name": "offset", "valueInteger": offset},
        *([{"name": "count", "valueInteger": count}] if count is not None else []),
        {"name": "activeOnly", "valueBoolean": active_only},
        {"name": "includeDesignations", "valueBoolean": designations},
        *({"name": "property", "valueString": p} for p in wanted),
        {"name": "used-codesystem", "valueUri": f"{SYSTEM}|{rel.id}"},
        {"name": "version", "valueUri": f"{SYSTEM}|{rel.id}"},
    ]
    if text:
        parameters.append({"name": "filter", "valueString": text[:200]})
    if when:
        parameters.append({"name": "date", "valueDateTime": when.isoformat()})
    language = inputs.text("displayLanguage")
    if language:
        parameters.append({"name": "displayLanguage", "valueCode": language})
    expansion: dict[str, Any] = {
        "identifier": f"urn:hcpcs:expansion:{rel.id}:{offset}:{len(rows)}",
        "timestamp": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "total": total, "offset": offset, "parameter": parameters,
    }
    if wanted:
        expansion["extension"] = [{"url": _EXPANSION_PROPERTY, "extension": [
            {"url": "code", "valueCode": p}, {"url": "uri", "valueUri": f"{SYSTEM}#{p}"}]} for p in wanted]
    if contains:
        expansion["contains"] = contains
    return {"resourceType": "ValueSet", "id": VALUE_SET_ID, "url": VALUE_SET, "version": rel.id,
            "status": "active", "expansion": expansion}


def _entry(db: Hcpcs, code: str, display: str, inactive: bool, version: str, when: dt.date | None,
           designations: bool, wanted: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"system": SYSTEM, "version": version, "code": code, "display": display}
    if inactive:
        entry["inactive"] = True
    if designations or wanted:
        found = find(db, code, None if when else version, when.isoformat() if when else None)
        short = designation(found)
        if designations and short:
            entry["designation"] = [short]
        if wanted:
            entry["extension"] = [
                {"url": _CONTAINS_PROPERTY, "extension": [{"url": "code", "valueCode": name},
                                                          {"url": "value", value_key(kind): value}]}
                for name, value, kind, _ in facts(found) if name in wanted]
    return entry
