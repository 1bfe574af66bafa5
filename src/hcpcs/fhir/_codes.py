"""The HCPCS code system in FHIR: the CodeSystem resource, ``$lookup``, ``$validate-code`` (on the code system
and on its value set) and ``$subsumes``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import weakref
from typing import Any

from .._errors import CodeError, NotFound, UsageError
from ..api.handle import Hcpcs
from ..model import code_tables as _codetables
from ..model.answers import Code
from ..model.layout import FIELDS
from ..render.ndc_page import limit_text, product_text
from ._common import (
    CODE_SYSTEM_ID,
    SYSTEM,
    VALUE_SET,
    FhirError,
    Inputs,
    day,
    known_system,
    release,
)

#: Fields a lookup names otherwise (display, designation) or as added/effective/terminated.
_NAMED_APART = ("code", "long_description", "short_description", "added_date", "action_effective_date",
                "termination_date")
#: Every property a lookup, an expansion or the exported CodeSystem gives: (code, FHIR type, description).
PROPERTIES: tuple[tuple[str, str, str], ...] = (
    ("inactive", "boolean", "True when the code is terminated as of the release or date asked about."),
    ("added", "dateTime", "The date CMS added the code (HCPCS Code Added Date)."),
    ("effective", "dateTime", "The date of CMS's last action on the code (HCPCS Action Effective Date)."),
    ("terminated", "dateTime", "The code's termination date: the last day it is valid."),
    *((f.name, "code" if f.code_table else ("dateTime" if f.kind == "date" else "string"),
       _codetables.definition(f)[:500] or f.label)
      for f in FIELDS if f.on_page and f.name not in _NAMED_APART),
    ("processing_note_text", "string", "The text of the code's processing note (CMS's processing notes file)."),
    ("payment_limit", "string", "Medicare Part B payment allowance limit per HCPCS dosage unit, with its quarter and "
                                "coinsurance, from CMS's ASP pricing file."),
    ("ndc", "code", "A drug package (NDC, 5-4-2) that CMS's ASP NDC-HCPCS crosswalk puts under the code; its "
                    "description gives the drug name as sold, labeler, package and billing units per package."),
)
PROPERTY_CODES = frozenset(code for code, _, _ in PROPERTIES)
DESIGNATION_USE = {"system": "http://terminology.hl7.org/CodeSystem/designation-usage", "code": "display",
                   "display": "short description"}


def find(db: Hcpcs, code: str, version: str | None, date: str | None) -> Code:
    """The code in a release (or in effect on a date); a malformed code is a 400, an unknown one a 404."""
    try:
        if date and version:  # that release, judged on that date
            return dataclasses.replace(db.get(code, release=release(db, version).id), as_of=day(date))
        if date:
            return db.get(code, as_of=day(date))
        return db.get(code, release=release(db, version).id)
    except CodeError as exc:
        raise FhirError(str(exc), issue="code-invalid") from None
    except NotFound as exc:
        raise FhirError(str(exc), issue="not-found", status=404) from None
    except UsageError as exc:
        raise FhirError(str(exc)) from None


def value_key(kind: str) -> str:
    """The FHIR element that carries a value of this property type (valueCode, valueDateTime, ...)."""
    return {"boolean": "valueBoolean", "dateTime": "valueDateTime", "code": "valueCode"}.get(kind, "valueString")


def facts(found: Code) -> list[tuple[str, Any, str, str | None]]:
    """Every property of a code: (name, value, FHIR type, decoded meaning)."""
    out: list[tuple[str, Any, str, str | None]] = [("inactive", not found.active, "boolean", None)]
    for name, when in (("added", found.added_date), ("effective", found.action_effective_date),
                       ("terminated", found.termination_date)):
        if when:
            out.append((name, when.isoformat(), "dateTime", None))
    for f in FIELDS:
        if not f.on_page or f.name in _NAMED_APART:
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
    return out + _drug_facts(found)


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


def designation(found: Code) -> dict[str, Any] | None:
    """The short description as a designation (``use`` display, ``language`` en), as ValueSet.contains has it."""
    if not found.short_description:
        return None
    return {"language": "en", "use": DESIGNATION_USE, "value": found.short_description}


def _property(code: str, value: Any, kind: str, description: str | None = None) -> dict[str, Any]:
    part: list[dict[str, Any]] = [{"name": "code", "valueCode": code}, {"name": "value", value_key(kind): value}]
    if description:
        part.append({"name": "description", "valueString": description})
    return {"name": "property", "part": part}


def _target(inputs: Inputs, *, code_name: str = "code", coding_name: str = "coding",
            ) -> tuple[str, str | None, str | None]:
    """(code, system, version) from ``code`` + ``system`` + ``version`` or from a Coding."""
    coding = inputs.coding(coding_name)
    if coding is not None:
        code = coding.get("code")
        if not isinstance(code, str) or not code.strip():
            raise FhirError(f"parameter {coding_name} has no code")
        return code, coding.get("system"), coding.get("version")
    code = inputs.text(code_name)
    if not code:
        raise FhirError(f"give {code_name} (with system) or {coding_name}")
    return code, inputs.text("system"), inputs.text("version")


def _version(inputs: Inputs, given: str | None) -> str | None:
    """The release to use for a code of the given version: ``force-system-version`` over the code's own
    version over ``system-version``; ``check-system-version`` refuses another version."""
    forced = inputs.system_version("force-system-version")
    if forced:
        return forced
    checked = inputs.system_version("check-system-version")
    if checked and given and given != checked:
        raise FhirError(f"the code's HCPCS version {given} is not {checked}, which check-system-version requires",
                        issue="business-rule", status=422)
    return given or checked or inputs.system_version("system-version")


def lookup(db: Hcpcs, inputs: Inputs) -> dict[str, Any]:
    """``CodeSystem/$lookup``: name, code, system, version, display, the short description as a designation,
    and a property for every decoded field (only those asked for with ``property``)."""
    code, system, version = _target(inputs)
    if not known_system(system):
        raise FhirError(f"unknown code system {system!r}: this server holds HCPCS Level II ({SYSTEM})",
                        issue="not-found", status=404)
    found = find(db, code, _version(inputs, version), inputs.text("date"))
    wanted = set(inputs.all("property"))
    parameters: list[dict[str, Any]] = [
        {"name": "name", "valueString": "HCPCS Level II"},
        {"name": "code", "valueCode": found.code},
        {"name": "system", "valueUri": SYSTEM},
        {"name": "version", "valueString": found.release.id},
        {"name": "display", "valueString": found.long_description},
        {"name": "abstract", "valueBoolean": False},
    ]
    short = designation(found)
    if short and (not wanted or "designation" in wanted):
        parameters.append({"name": "designation", "part": [
            {"name": "language", "valueCode": "en"}, {"name": "use", "valueCoding": DESIGNATION_USE},
            {"name": "value", "valueString": found.short_description}]})
    parameters += [_property(name, value, kind, description) for name, value, kind, description in facts(found)
                   if not wanted or name in wanted]
    return {"resourceType": "Parameters", "parameter": parameters}










#: Per database handle, by the version asked for and data_version: the release's id and its codes (display,
#: inactive), for ``_valid_at_a_glance``.
_INDEXES: weakref.WeakKeyDictionary[Hcpcs, dict[tuple[str | None, int], tuple[str, dict[str, tuple[str, bool]]]]] \
    = weakref.WeakKeyDictionary()








def subsumes(db: Hcpcs, inputs: Inputs) -> dict[str, Any]:
    """``CodeSystem/$subsumes``: HCPCS Level II is flat, so two codes are ``equivalent`` (the same code) or
    ``not-subsumed``."""
    found = []
    for side in ("A", "B"):
        code, system, version = _target(inputs, code_name=f"code{side}", coding_name=f"coding{side}")
        if not known_system(system):
            raise FhirError(f"unknown code system {system!r}: this server holds HCPCS Level II ({SYSTEM})",
                            issue="not-found", status=404)
        found.append(find(db, code, _version(inputs, version), None))
    same = found[0].code == found[1].code
    return {"resourceType": "Parameters",
            "parameter": [{"name": "outcome", "valueCode": "equivalent" if same else "not-subsumed"}]}


def code_system(db: Hcpcs, *, version: str | None = None, complete: bool = False) -> dict[str, Any]:
    """The CodeSystem resource of a release: its metadata and properties, and with ``complete`` every code."""
    rel = release(db, version)
    resource: dict[str, Any] = {
        "resourceType": "CodeSystem", "id": CODE_SYSTEM_ID, "url": SYSTEM,
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:oid:2.16.840.1.113883.6.285"}],
        "version": rel.id, "name": "HCPCSLevelII", "title": "Healthcare Common Procedure Coding System, Level II",
        "status": "active", "experimental": False, "date": rel.effective_date.isoformat(),
        "publisher": "Centers for Medicare & Medicaid Services (CMS)",
        "description": "CMS's HCPCS Level II code set, release " + rel.id + ", as loaded by hcpcs.",
        "caseSensitive": False, "valueSet": VALUE_SET, "compositional": False,
        "versionNeeded": False, "content": "complete" if complete else "not-present",
        "count": rel.procedure_count + rel.modifier_count,
        "property": [{"code": name, "uri": f"{SYSTEM}#{name}", "description": description, "type": kind}
                     for name, kind, description in PROPERTIES],
    }
    if complete:
        concepts = []
        for code, _, _ in db.listing(rel.id):
            found = db.get(code, release=rel.id)
            concept: dict[str, Any] = {"code": found.code, "display": found.long_description}
            if found.short_description:
                concept["designation"] = [{"language": "en", "use": DESIGNATION_USE,
                                           "value": found.short_description}]
            concept["property"] = [{"code": name, value_key(kind): value} for name, value, kind, _ in facts(found)]
            concepts.append(concept)
        resource["concept"] = concepts
    return resource
