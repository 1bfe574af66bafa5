"""CMS's cross references as a FHIR ConceptMap (``hcpcs-replaced-by``), one version per release, and
``ConceptMap/$translate``: from a deleted code (or one not valid for Medicare) to the codes to use instead."""

from __future__ import annotations

from typing import Any

from ..api.handle import Hcpcs
from ._codes import find
from ._common import SYSTEM, SYSTEMS, VALUE_SET, FhirError, Inputs, canonical, known_system, release

CONCEPT_MAP = "urn:hcpcs:ConceptMap:replaced-by"
CONCEPT_MAP_ID = "hcpcs-replaced-by"
#: CMS says which code to use in place of another, not whether the meanings are the same, wider or narrower.
EQUIVALENCE = "relatedto"
_MEANING = ("CMS's cross reference (HCPCS Cross Reference Code): a code to use in place of a deleted code or of a "
            "code that is not valid for Medicare. CMS does not say whether the meaning is the same, wider or "
            f"narrower, so every target is '{EQUIVALENCE}'.")


def concept_map(db: Hcpcs, *, version: str | None = None) -> dict[str, Any]:
    """The ConceptMap of a release (the latest by default): every code with a cross reference, to its targets."""
    rel = release(db, version)
    elements = [{"code": code, "display": display,
                 "target": [{"code": target, "equivalence": EQUIVALENCE,
                             **({"comment": f"{code} was terminated on {ended.isoformat()}"} if ended else {})}
                            for target in targets]}
                for code, display, ended, targets in db.crosswalk(rel.id)]
    resource: dict[str, Any] = {
        "resourceType": "ConceptMap", "id": CONCEPT_MAP_ID, "url": CONCEPT_MAP, "version": rel.id,
        "name": "HCPCSReplacedBy", "title": "HCPCS Level II cross references: the code to use instead",
        "status": "active", "experimental": False, "date": rel.effective_date.isoformat(),
        "publisher": "Centers for Medicare & Medicaid Services (CMS)", "description": _MEANING,
        "sourceUri": VALUE_SET, "targetUri": VALUE_SET,
    }
    if elements:
        resource["group"] = [{"source": SYSTEM, "sourceVersion": rel.id, "target": SYSTEM, "targetVersion": rel.id,
                              "element": elements}]
    return resource


def translate(db: Hcpcs, inputs: Inputs, *, url: str | None = None) -> dict[str, Any]:
    """``$translate``: the codes CMS names in place of a code (``code`` + ``system``, ``coding`` or the first
    HCPCS coding of a ``codeableConcept``), in the release ``conceptMapVersion`` or ``version`` names."""
    map_url, map_version = canonical(url or inputs.text("url") or CONCEPT_MAP)
    if map_url != CONCEPT_MAP:
        raise FhirError(f"unknown concept map {map_url!r}: this server has {CONCEPT_MAP} ({CONCEPT_MAP_ID})",
                        issue="not-found", status=404)
    if inputs.flag("reverse"):
        raise FhirError("reverse translation is not supported", issue="not-supported")
    coding = inputs.coding("coding")
    concept = inputs.concept("codeableConcept")
    if concept is not None:
        coding = next((c for c in concept.get("coding") or [] if isinstance(c, dict) and known_system(c.get("system"))),
                      None)
        if coding is None:
            return _no_match(f"codeableConcept has no {SYSTEM} coding")
    if coding is None:
        code = inputs.text("code")
        if not code:
            raise FhirError("give code (with system), coding or codeableConcept")
        coding = {"code": code, "system": inputs.text("system"), "version": inputs.text("version")}
    system = coding.get("system")
    if not known_system(system):
        return _no_match(f"the code system {system!r} is not mapped here: this map is from {SYSTEM}")
    target = inputs.text("targetsystem", "targetSystem", "target")
    if target and target not in SYSTEMS and canonical(target)[0].split("?")[0] not in SYSTEMS:
        return _no_match(f"this map is to {SYSTEM}, not {target!r}")
    found = find(db, str(coding.get("code") or ""), inputs.text("conceptMapVersion") or map_version
                 or coding.get("version"), inputs.text("date"))
    source = f"{CONCEPT_MAP}|{found.release.id}"
    if not found.cross_references:
        state = "terminated" if found.termination_date else "not terminated"
        return _no_match(f"CMS names no code to use in place of {found.code} ({state}) in release "
                         f"{found.release.id}")
    matches = [{"name": "match", "part": [
        {"name": "equivalence", "valueCode": EQUIVALENCE},
        {"name": "concept", "valueCoding": {"system": SYSTEM, "version": found.release.id, "code": other}},
        {"name": "source", "valueString": source}]} for other in found.cross_references]
    ended = f", terminated on {found.termination_date.isoformat()}," if found.termination_date else ""
    return {"resourceType": "Parameters", "parameter": [
        {"name": "result", "valueBoolean": True},
        {"name": "message", "valueString": f"CMS names {', '.join(found.cross_references)} in place of "
                                           f"{found.code}{ended} in release {found.release.id}"},
        *matches]}


def _no_match(message: str) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": [{"name": "result", "valueBoolean": False},
                                                        {"name": "message", "valueString": message}]}
