"""The terminology server: one entry point, ``handle``, from a FHIR interaction (method, path under the base,
inputs) to an HTTP status and a resource; the CapabilityStatement and TerminologyCapabilities that list what it
answers; reads, searches (``url``, ``version``, ``_summary``, ``_elements``) and batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .._errors import CodeError, HcpcsError, NotFound, StoreError
from ..api.handle import Hcpcs
from ._codes import PROPERTIES, code_system, lookup, subsumes
from ._common import (
    CODE_SYSTEM_ID,
    FHIR_VERSION,
    MAX_BATCH,
    MAX_EXPANSION,
    SYSTEM,
    SYSTEMS,
    VALUE_SET,
    VALUE_SET_ID,
    FhirError,
    Inputs,
    canonical,
    outcome,
)
from ._maps import CONCEPT_MAP, CONCEPT_MAP_ID, concept_map, translate
from ._validation import validate_code
from ._valuesets import expand, value_set

Operation = Callable[[Hcpcs, Inputs, str | None], dict[str, Any]]
#: Every operation by resource type and name; each gets the canonical URL an instance-level call implies.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("CodeSystem", "lookup"): lambda db, inputs, url: lookup(db, inputs),
    ("CodeSystem", "validate-code"): lambda db, inputs, url: validate_code(db, inputs, url=url),
    ("CodeSystem", "subsumes"): lambda db, inputs, url: subsumes(db, inputs),
    ("ValueSet", "validate-code"): lambda db, inputs, url: validate_code(db, inputs, value_set=True, url=url),
    ("ValueSet", "expand"): lambda db, inputs, url: expand(db, inputs, url=url),
    ("ConceptMap", "translate"): lambda db, inputs, url: translate(db, inputs, url=url),
}
#: Each resource type: its one resource's id, canonical URL, and how to build it for a version.
RESOURCES: dict[str, tuple[str, str, Callable[..., dict[str, Any]]]] = {
    "CodeSystem": (CODE_SYSTEM_ID, SYSTEM, code_system),
    "ValueSet": (VALUE_SET_ID, VALUE_SET, value_set),
    "ConceptMap": (CONCEPT_MAP_ID, CONCEPT_MAP, concept_map),
}
_DEFINITIONS = "http://hl7.org/fhir/OperationDefinition/"
#: Elements ``_summary=true`` keeps (FHIR's summary elements of these resources).
_SUMMARY = frozenset({"resourceType", "id", "meta", "url", "identifier", "version", "name", "title", "status",
                      "experimental", "date", "publisher", "jurisdiction", "caseSensitive", "valueSet",
                      "hierarchyMeaning", "compositional", "versionNeeded", "content", "supplements", "count",
                      "property", "immutable", "sourceUri", "sourceCanonical", "targetUri", "targetCanonical"})
#: Kept in every subset: what identifies a resource, and the elements FHIR requires of these three.
_MANDATORY = frozenset({"resourceType", "id", "meta", "status", "content"})
_STATUS_TEXT = {200: "200 OK", 400: "400 Bad Request", 404: "404 Not Found", 405: "405 Method Not Allowed",
                406: "406 Not Acceptable", 422: "422 Unprocessable Entity", 503: "503 Service Unavailable"}


def handle(db: Hcpcs, method: str, path: str, inputs: Inputs, base: str) -> tuple[int, dict[str, Any]]:
    """Answer one interaction: ``path`` is under the FHIR base (``CodeSystem/$lookup``, ``ValueSet/hcpcs-all``,
    ``metadata``); errors come back as an OperationOutcome with their status."""
    try:
        return 200, _route(db, method.upper(), [p for p in path.strip("/").split("/") if p], inputs, base)
    except FhirError as exc:
        return exc.status, outcome(str(exc), exc.issue)
    except NotFound as exc:
        return 404, outcome(str(exc), "not-found")
    except CodeError as exc:
        return 400, outcome(str(exc), "code-invalid")
    except StoreError as exc:
        return 503, outcome(str(exc), "transient")
    except HcpcsError as exc:
        return 400, outcome(str(exc), "invalid")


def _route(db: Hcpcs, method: str, parts: list[str], inputs: Inputs, base: str) -> dict[str, Any]:
    if parts == ["metadata"]:
        _only(method, "GET")
        mode = inputs.text("mode")
        return terminology_capabilities(db, base) if mode == "terminology" else capability_statement(base)
    if not parts or parts[0] not in RESOURCES:
        raise FhirError(f"no such resource type or interaction: /{'/'.join(parts)} (this server has "
                        f"{', '.join(RESOURCES)} and metadata)", issue="not-found", status=404)
    kind, rest = parts[0], parts[1:]
    _, own_url, build = RESOURCES[kind]
    if rest and rest[-1].startswith("$"):
        operation = OPERATIONS.get((kind, rest[-1][1:]))
        if operation is None or len(rest) > 2:
            raise FhirError(f"no operation {'/'.join(rest)} on {kind}: this server has "
                            f"{', '.join('$' + name for k, name in OPERATIONS if k == kind)}",
                            issue="not-supported", status=404)
        _only(method, "GET", "POST")
        if len(rest) == 2:
            _own(kind, rest[0])
            return operation(db, inputs, own_url)
        return operation(db, inputs, None)
    _only(method, "GET")
    if not rest:
        return search(db, kind, inputs, base)
    if len(rest) > 1:
        raise FhirError(f"no such interaction: /{'/'.join(parts)}", issue="not-supported", status=404)
    _own(kind, rest[0])
    return shape(build(db, version=inputs.text("version")), inputs)


def _only(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise FhirError(f"{method} is not allowed here: use {' or '.join(allowed)}", issue="not-supported",
                        status=405)


def _own(kind: str, resource_id: str) -> None:
    own_id = RESOURCES[kind][0]
    if resource_id != own_id:
        raise FhirError(f"no {kind} {resource_id!r}: this server has {own_id!r}", issue="not-found", status=404)


def shape(resource: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """A resource cut down as ``_summary`` (true, text, data, false) and ``_elements`` ask, tagged SUBSETTED."""
    summary = (inputs.text("_summary") or "false").lower()
    elements = {e.strip() for value in inputs.all("_elements") for e in str(value).split(",") if e.strip()}
    if summary not in ("true", "false", "text", "data", "count"):
        raise FhirError(f"parameter _summary must be true, false, text, data or count, not {summary!r}")
    if summary == "true":
        kept = {k: v for k, v in resource.items() if k in _SUMMARY}
    elif summary == "text":
        kept = {k: v for k, v in resource.items() if k in _MANDATORY or k == "text"}
    elif elements:
        kept = {k: v for k, v in resource.items() if k in elements or k in _MANDATORY}
    else:
        return resource
    meta = dict(kept.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
                                          "code": "SUBSETTED", "display": "subsetted"}]
    kept["meta"] = meta
    return kept


def search(db: Hcpcs, kind: str, inputs: Inputs, base: str) -> dict[str, Any]:
    """``CodeSystem?url=...&version=...`` (and ValueSet, ConceptMap): a searchset Bundle of the one resource of
    that type, in the version asked for (the latest by default), when it matches."""
    own_id, own_url, build = RESOURCES[kind]
    url, bar_version = canonical(inputs.text("url", "system") or own_url)
    version = inputs.text("version") or bar_version
    wanted_id = inputs.text("_id")
    matches = url == own_url or (kind == "CodeSystem" and url in SYSTEMS)
    resources: list[dict[str, Any]] = []
    if matches and wanted_id in (None, own_id):
        try:
            resources = [build(db, version=version)]
        except FhirError as exc:
            if exc.status != 404:
                raise
    query = "&".join(f"{k}={v}" for k, values in inputs.values.items() for v in values)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
                              "link": [{"relation": "self", "url": f"{base}/{kind}" + (f"?{query}" if query else "")}]}
    if (inputs.text("_summary") or "").lower() != "count" and resources:
        bundle["entry"] = [{"fullUrl": f"{base}/{kind}/{own_id}", "resource": shape(r, inputs),
                            "search": {"mode": "match"}} for r in resources]
    return bundle


def batch(db: Hcpcs, bundle: Any, base: str) -> dict[str, Any]:
    """A ``batch`` Bundle POSTed to the base: each entry's request answered on its own, in a
    ``batch-response`` (at most ``MAX_BATCH`` entries)."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError("POST to the base takes a Bundle of type batch")
    if bundle.get("type") != "batch":
        raise FhirError(f"Bundle type {bundle.get('type')!r} is not supported: send a batch", issue="not-supported")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FhirError("Bundle.entry must be a list")
    if len(entries) > MAX_BATCH:
        raise FhirError(f"the batch has {len(entries):,} entries: this server answers at most {MAX_BATCH:,} in one "
                        "batch", issue="too-costly", status=422)
    answers = []
    for index, entry in enumerate(entries):
        status, resource = _entry(db, index, entry, base)
        answers.append({"resource": resource, "response": {"status": _STATUS_TEXT.get(status, str(status))}})
    return {"resourceType": "Bundle", "type": "batch-response", "entry": answers}


def _entry(db: Hcpcs, index: int, entry: Any, base: str) -> tuple[int, dict[str, Any]]:
    request = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        return 400, outcome(f"Bundle.entry[{index}] has no request.url")
    method = str(request.get("method") or "GET").upper()
    split = urlsplit(request["url"])
    inputs = Inputs(parse_qsl(split.query, keep_blank_values=False))
    if method == "POST":
        try:
            for name, values in Inputs.of_parameters(entry.get("resource")).values.items():
                for value in values:
                    inputs.add(name, value)
        except FhirError as exc:
            return exc.status, outcome(f"Bundle.entry[{index}]: {exc}", exc.issue)
    path = split.path.removeprefix(base).removeprefix(urlsplit(base).path)
    return handle(db, method, path, inputs, base)


def capability_statement(base: str) -> dict[str, Any]:
    """What this server does, exactly: reads and url searches of its three resources, their operations, batch."""
    def resource(kind: str, operations: list[str]) -> dict[str, Any]:
        return {"type": kind, "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [{"name": "url", "type": "uri"}, {"name": "version", "type": "token"},
                                {"name": "_id", "type": "token"}],
                "operation": [{"name": name, "definition": f"{_DEFINITIONS}{kind}-{name}"} for name in operations]}

    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": dt.date.today().isoformat(),
        "kind": "instance", "fhirVersion": FHIR_VERSION, "format": ["json"],
        "software": {"name": "hcpcs"}, "implementation": {"description": "HCPCS Level II terminology", "url": base},
        "instantiates": ["http://hl7.org/fhir/CapabilityStatement/terminology-server"],
        "rest": [{"mode": "server", "interaction": [{"code": "batch"}], "resource": [
            resource("CodeSystem", ["lookup", "validate-code", "subsumes"]),
            resource("ValueSet", ["expand", "validate-code"]),
            resource("ConceptMap", ["translate"]),
        ]}],
    }


def terminology_capabilities(db: Hcpcs, base: str) -> dict[str, Any]:
    latest = db.release().id
    return {
        "resourceType": "TerminologyCapabilities", "status": "active", "date": dt.date.today().isoformat(),
        "kind": "instance", "software": {"name": "hcpcs"},
        "implementation": {"description": "HCPCS Level II terminology", "url": base},
        "codeSearch": "all",
        "codeSystem": [{"uri": SYSTEM, "version": [
            {"code": r.id, "isDefault": r.id == latest, "compositional": False, "language": ["en"],
             "property": [code for code, _, _ in PROPERTIES]} for r in db.releases()],
            "subsumption": False}],
        "expansion": {"hierarchical": False, "paging": True, "incomplete": False,
                      "parameter": [{"name": name} for name in (
                          "count", "offset", "filter", "activeOnly", "date", "includeDesignations", "property",
                          "system-version", "force-system-version", "valueSetVersion", "displayLanguage")],
                      "textFilter": f"Words, abbreviations, prefixes. At most {MAX_EXPANSION:,} codes in one "
                                    "expansion: page with count and offset."},
        "validateCode": {"translations": False},
        "translation": {"needsMap": True},
        "closure": {"translation": False},
    }
