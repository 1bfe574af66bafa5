"""FHIR R4 terminology resources for HCPCS Level II, built from the library facade.

The code system is CMS's canonical ``http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets`` (the
``https`` form and the OID ``urn:oid:2.16.840.1.113883.6.285`` are accepted too); its version is the
release id (``2020-04``). Every function returns a resource as a JSON-ready dict; errors are raised as
``FhirError`` and turned into OperationOutcome resources by ``outcome``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from . import _codetables
from ._api import MAX_OFFSET, Hcpcs, parse_day
from ._drug_pages import limit_text, product_text
from ._errors import CodeError, HcpcsError, NotFound, UsageError
from ._layout import FIELDS
from ._models import Code

SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
SYSTEMS = frozenset({SYSTEM, "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                     "urn:oid:2.16.840.1.113883.6.285"})
VALUE_SET = SYSTEM + "?fhir_vs"
CODE_SYSTEM_ID = "hcpcs"
FHIR_VERSION = "4.0.1"
_PROPERTIES: tuple[tuple[str, str, str], ...] = (
    ("inactive", "boolean", "True when the code is terminated as of the release or date asked about."),
    ("added", "dateTime", "The date CMS added the code (HCPCS Code Added Date)."),
    ("effective", "dateTime", "The date of CMS's last action on the code (HCPCS Action Effective Date)."),
    ("terminated", "dateTime", "The code's termination date: the last day it is valid."),
    *((f.name, "code" if f.code_table else ("dateTime" if f.kind == "date" else "string"),
       _codetables.definition(f)[:500] or f.label)
      for f in FIELDS if f.on_page and f.name not in (
          "code", "long_description", "short_description", "added_date", "action_effective_date",
          "termination_date")),
    ("payment_limit", "string", "Medicare Part B payment allowance limit per HCPCS dosage unit, with its quarter and "
                                "coinsurance, from CMS's ASP pricing file."),
    ("ndc", "code", "A drug package (NDC, 5-4-2) that CMS's ASP NDC-HCPCS crosswalk puts under the code; its "
                    "description gives the drug name as sold, labeler, package and billing units per package."),
)


class FhirError(HcpcsError):
    """A FHIR request that cannot be answered; ``issue`` is the OperationOutcome issue code."""

    def __init__(self, message: str, *, issue: str = "invalid", status: int = 400) -> None:
        super().__init__(message)
        self.issue, self.status = issue, status


def outcome(message: str, issue: str = "invalid", severity: str = "error") -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": issue, "diagnostics": message}]}


def check_system(system: str | None) -> None:
    if system is not None and system not in SYSTEMS:
        raise FhirError(f"unknown code system {system!r}: this server holds HCPCS Level II ({SYSTEM})",
                        issue="not-supported")


def _get(db: Hcpcs, code: str, version: str | None, date: str | None) -> Code:
    try:
        if date and version:  # that release, judged on that date
            return dataclasses.replace(db.get(code, release=version), as_of=_day(date))
        if date:
            return db.get(code, as_of=_day(date))
        return db.get(code, release=version)
    except CodeError as exc:
        raise FhirError(str(exc), issue="invalid") from None
    except NotFound as exc:
        raise FhirError(str(exc), issue="not-found", status=404) from None
    except UsageError as exc:
        raise FhirError(str(exc), issue="invalid") from None


def _day(text: str) -> dt.date:
    try:
        return parse_day(text[:10], "date")
    except UsageError as exc:
        raise FhirError(str(exc)) from None


def _when(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _value_key(kind: str) -> str:
    """The FHIR element that carries a value of this property type (valueCode, valueDateTime, ...)."""
    return {"boolean": "valueBoolean", "dateTime": "valueDateTime", "code": "valueCode"}.get(kind, "valueString")


def _property(code: str, value: Any, kind: str, description: str | None = None) -> dict[str, Any]:
    part: list[dict[str, Any]] = [{"name": "code", "valueCode": code}, {"name": "value", _value_key(kind): value}]
    if description:
        part.append({"name": "description", "valueString": description})
    return {"name": "property", "part": part}


def lookup(db: Hcpcs, code: str | None, *, system: str | None = None, version: str | None = None,
           date: str | None = None) -> dict[str, Any]:
    """``CodeSystem/$lookup``: name, version, display, the short description as a designation, and a
    property for every decoded field."""
    check_system(system)
    if not code:
        raise FhirError("$lookup needs a code")
    found = _get(db, code, version, date)
    parameters: list[dict[str, Any]] = [
        {"name": "name", "valueString": "HCPCS Level II"},
        {"name": "version", "valueString": found.release.id},
        {"name": "display", "valueString": found.long_description},
    ]
    if found.short_description:
        parameters.append({"name": "designation", "part": [
            {"name": "use", "valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/designation-usage",
                                            "code": "display", "display": "short description"}},
            {"name": "value", "valueString": found.short_description}]})
    parameters += [_property(name, value, kind, description) for name, value, kind, description in _facts(found)]
    parameters += [_property(name, value, kind, description) for name, value, kind, description in _drug_facts(found)]
    return {"resourceType": "Parameters", "parameter": parameters}


def _drug_facts(found: Code) -> list[tuple[str, Any, str, str | None]]:
    """From CMS's drug files: the payment limit, and each NDC package under the code (on the page's date)."""
    drugs = found.drugs
    if drugs is None:
        return []
    out: list[tuple[str, Any, str, str | None]] = []
    if drugs.limit is not None and drugs.limits is not None:
        out.append(("payment_limit", f"{limit_text(drugs.limit)}, quarter {drugs.limits.quarter}", "string", None))
    out += [("ndc", p.ndc, "code", product_text(p)) for p in drugs.products if p.ndc]
    return out


def _facts(found: Code) -> list[tuple[str, Any, str, str | None]]:
    """Every property of a code: (name, value, FHIR type, decoded meaning)."""
    out: list[tuple[str, Any, str, str | None]] = [("inactive", not found.active, "boolean", None)]
    for name, day in (("added", found.added_date), ("effective", found.action_effective_date),
                      ("terminated", found.termination_date)):
        if day:
            out.append((name, day.isoformat(), "dateTime", None))
    for f in FIELDS:
        if not f.on_page or f.name in ("code", "long_description", "short_description", "added_date",
                                       "action_effective_date", "termination_date"):
            continue
        for column in f.columns:
            value = found.values.get(column)
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                out.append((f.name, value.isoformat(), "dateTime", None))
            elif f.code_table:
                out.append((f.name, str(value), "code", found.meanings.get(column)))
            else:
                out.append((f.name, str(value), "string", None))
    if found.processing_note_text:
        out.append(("processing_note_text", found.processing_note_text, "string", None))
    return out


def validate_code(db: Hcpcs, code: str | None, *, system: str | None = None, version: str | None = None,
                  date: str | None = None, display: str | None = None) -> dict[str, Any]:
    """``$validate-code``: true when the code exists in the release (or on the date) and is active."""
    check_system(system)
    if not code:
        raise FhirError("$validate-code needs a code")
    try:
        found = _get(db, code, version, date)
    except FhirError as exc:
        if exc.issue == "not-found" or exc.issue == "invalid":
            return {"resourceType": "Parameters", "parameter": [
                {"name": "result", "valueBoolean": False}, {"name": "message", "valueString": str(exc)}]}
        raise
    result = found.active
    message = None
    if not result:
        message = (f"{found.code} was terminated on {_when(found.termination_date)}"
                   + (f"; replaced by {', '.join(found.cross_references)}" if found.cross_references else ""))
    elif found.hindsight:
        # result true, with a warning (FHIR: a message with a true result carries hints and warnings)
        message = f"warning: {found.code} was in effect by release {found.release.id}, but " + "; ".join(
            found.hindsight)
    if display is not None and display.strip().lower() not in (found.long_description.lower(),
                                                               (found.short_description or "").lower()):
        result = False
        message = f"display {display!r} is not the display of {found.code}: {found.long_description!r}"
    parameters: list[dict[str, Any]] = [
        {"name": "result", "valueBoolean": result},
        {"name": "display", "valueString": found.long_description},
        {"name": "version", "valueString": found.release.id},
    ]
    if message:
        parameters.insert(1, {"name": "message", "valueString": message})
    return {"resourceType": "Parameters", "parameter": parameters}


def expand(db: Hcpcs, *, url: str | None = None, filter: str | None = None, count: int = 100, offset: int = 0,
           active_only: bool = False, date: str | None = None, version: str | None = None) -> dict[str, Any]:
    """``ValueSet/$expand`` of the implicit value set of all codes, searched with ``filter``."""
    if url is not None and url.split("?")[0] not in SYSTEMS:
        raise FhirError(f"unknown value set {url!r}: this server expands {VALUE_SET}", issue="not-found",
                        status=404)
    if not 0 <= count <= 1000 or not 0 <= offset <= MAX_OFFSET:
        raise FhirError(f"count must be 0 to 1000 and offset 0 to {MAX_OFFSET:,}")
    day = _day(date) if date else None
    release = db.release_on(day) if day else db.release(version)
    contains: list[dict[str, Any]]
    if filter and filter.strip():
        try:
            found = db.search(filter, release=None if day else release.id, as_of=day, limit=max(count, 1),
                              offset=offset, include_terminated=not active_only)
        except UsageError as exc:
            raise FhirError(str(exc)) from None
        total = found.total
        contains = [_entry(h.code, h.long_description, h.status == "Terminated", release.id)
                    for h in found.hits][:count]
    else:
        rows = db.listing(release.id, active_on=(day or release.effective_date) if active_only else None,
                          as_of=day or release.effective_date)
        total = len(rows)
        contains = [_entry(code, text, inactive, release.id) for code, text, inactive in rows[offset:offset + count]]
    parameters = [{"name": "offset", "valueInteger": offset}, {"name": "count", "valueInteger": count},
                  {"name": "activeOnly", "valueBoolean": active_only}]
    if filter:
        parameters.append({"name": "filter", "valueString": filter[:200]})
    if day:
        parameters.append({"name": "date", "valueDateTime": day.isoformat()})
    expansion: dict[str, Any] = {
        "identifier": f"urn:hcpcs:expansion:{release.id}:{offset}:{count}",
        "timestamp": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "total": total, "offset": offset, "parameter": parameters,
    }
    if contains:
        expansion["contains"] = contains
    return {"resourceType": "ValueSet", "url": VALUE_SET, "version": release.id, "status": "active",
            "expansion": expansion}


def _entry(code: str, display: str, inactive: bool, version: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"system": SYSTEM, "version": version, "code": code, "display": display}
    if inactive:
        entry["inactive"] = True
    return entry


def code_system(db: Hcpcs, *, version: str | None = None, complete: bool = False) -> dict[str, Any]:
    """The CodeSystem resource of a release: its metadata and properties, and with ``complete`` every code."""
    release = db.release(version)
    resource: dict[str, Any] = {
        "resourceType": "CodeSystem", "id": CODE_SYSTEM_ID, "url": SYSTEM,
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:oid:2.16.840.1.113883.6.285"}],
        "version": release.id, "name": "HCPCSLevelII", "title": "Healthcare Common Procedure Coding System, Level II",
        "status": "active", "experimental": False, "date": release.effective_date.isoformat(),
        "publisher": "Centers for Medicare & Medicaid Services (CMS)",
        "description": "CMS's HCPCS Level II code set, release " + release.id + ", as loaded by hcpcs.",
        "caseSensitive": False, "valueSet": VALUE_SET, "content": "complete" if complete else "not-present",
        "count": release.procedure_count + release.modifier_count,
        "property": [{"code": name, "description": description, "type": kind}
                     for name, kind, description in _PROPERTIES],
    }
    if complete:
        concepts = []
        for code, _, _ in db.listing(release.id):
            found = db.get(code, release=release.id)
            concept: dict[str, Any] = {"code": found.code, "display": found.long_description}
            if found.short_description:
                concept["designation"] = [{"use": {"system": "http://terminology.hl7.org/CodeSystem/designation-usage",
                                                   "code": "display"}, "value": found.short_description}]
            concept["property"] = [_concept_property(name, value, kind) for name, value, kind, _ in _facts(found)]
            concepts.append(concept)
        resource["concept"] = concepts
    return resource


def _concept_property(name: str, value: Any, kind: str) -> dict[str, Any]:
    return {"code": name, _value_key(kind): value}


def capability_statement(base: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": dt.date.today().isoformat(),
        "kind": "instance", "fhirVersion": FHIR_VERSION, "format": ["json"],
        "software": {"name": "hcpcs"}, "implementation": {"description": "HCPCS Level II terminology", "url": base},
        "instantiates": ["http://hl7.org/fhir/CapabilityStatement/terminology-server"],
        "rest": [{"mode": "server", "resource": [
            {"type": "CodeSystem", "interaction": [{"code": "read"}], "operation": [
                {"name": "lookup", "definition": "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup"},
                {"name": "validate-code",
                 "definition": "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code"}]},
            {"type": "ValueSet", "operation": [
                {"name": "expand", "definition": "http://hl7.org/fhir/OperationDefinition/ValueSet-expand"}]},
        ]}],
    }


def terminology_capabilities(db: Hcpcs) -> dict[str, Any]:
    return {
        "resourceType": "TerminologyCapabilities", "status": "active", "date": dt.date.today().isoformat(),
        "kind": "instance", "software": {"name": "hcpcs"},
        "codeSystem": [{"uri": SYSTEM, "version": [{"code": r.id, "isDefault": r.id == db.release().id}
                                                   for r in db.releases()]}],
        "expansion": {"hierarchical": False, "paging": True, "textFilter": "Words, abbreviations, prefixes."},
        "validateCode": {"translations": False},
    }

