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
from ..model.identifiers import parse_code
from ..model.layout import FIELDS
from ..model.records import Code
from ..render.ndc_page import limit_text, product_text
from ._common import (
    CODE_SYSTEM_ID,
    SYSTEM,
    SYSTEMS,
    VALUE_SET,
    VALUE_SET_ID,
    FhirError,
    Inputs,
    canonical,
    day,
    issue,
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


@dataclasses.dataclass
class Verdict:
    """The judgement of one coding: what ``$validate-code`` answers for it."""

    result: bool
    code: str
    system: str | None
    version: str | None = None
    display: str | None = None
    inactive: bool | None = None
    issues: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    unknown_system: str | None = None

    def fail(self, severity: str, code: str, text: str, tx_type: str, where: str) -> None:
        if severity == "error":
            self.result = False
        self.issues.append(issue(severity, code, text, tx_type, where))


def _plain(text: str | None) -> str:
    """A display as compared: blanks collapsed, case folded."""
    return " ".join((text or "").split()).casefold()


def _same_display(given: str, found: Code) -> bool:
    return _plain(given) in (_plain(found.long_description), _plain(found.short_description))


def judge(db: Hcpcs, coding: dict[str, Any], where: str, inputs: Inputs, *, default_version: str | None = None,
          ) -> Verdict:
    """Check one coding against the code system: known system and version, a well-formed code in the release
    (or in effect on ``date``), active (``activeOnly``), and its display (``lenient-display-validation``)."""
    code = str(coding.get("code") or "").strip()
    system = coding.get("system") or SYSTEM
    verdict = Verdict(True, code, system)
    if not known_system(system):
        verdict.unknown_system = system
        verdict.fail("error", "not-found", f"A definition for CodeSystem {system} could not be found, so the code "
                     f"cannot be validated: this server holds HCPCS Level II ({SYSTEM})", "not-found",
                     f"{where}.system")
        return verdict
    verdict.system = SYSTEM
    try:
        version = _version(inputs, coding.get("version") or default_version)
    except FhirError as exc:
        verdict.fail("error", "invalid", str(exc), "vs-invalid", f"{where}.version")
        return verdict
    date = inputs.text("date")
    display = coding.get("display")
    if not date and _valid_at_a_glance(db, verdict, code, version, display):
        return verdict
    try:
        found = find(db, code, version, date)
    except FhirError as exc:
        if exc.issue == "not-found" and str(exc).startswith("HCPCS version"):
            verdict.version, verdict.unknown_system = version, f"{SYSTEM}|{version}"
            verdict.fail("error", "not-found", f"A definition for CodeSystem {SYSTEM} version {version} could not "
                         f"be found, so the code cannot be validated: {exc}", "not-found", f"{where}.system")
        elif exc.issue == "not-found" or exc.issue == "code-invalid":
            verdict.version = version or (None if date else db.release().id)
            verdict.fail("error", "code-invalid", f"Unknown code '{code}' in the CodeSystem {SYSTEM}: {exc}",
                         "invalid-code", f"{where}.code")
        else:
            raise
        return verdict
    verdict.code, verdict.version, verdict.display = found.code, found.release.id, found.long_description
    if not found.active:
        verdict.inactive = True
        ended = found.termination_date.isoformat() if found.termination_date else "?"
        replaced = ", ".join(found.cross_references)
        if date:
            verdict.fail("error", "business-rule", f"{found.code} was terminated on {ended}"
                         + (f"; replaced by {replaced}" if replaced else ""), "code-rule", f"{where}.code")
        elif inputs.flag("activeOnly"):
            verdict.fail("error", "business-rule", f"{found.code} is in release {found.release.id} but not active: "
                         f"terminated on {ended}" + (f"; replaced by {replaced}" if replaced else ""), "code-rule",
                         f"{where}.code")
        else:
            verdict.fail("warning", "business-rule", f"{found.code} is in release {found.release.id} but was "
                         f"terminated on {ended}" + (f" (replaced by {replaced})" if replaced else "")
                         + ": its use should be reviewed", "code-comment", f"{where}.code")
    for hint in found.hindsight:
        verdict.fail("warning", "business-rule", f"{found.code} was in effect by release {found.release.id}, but "
                     f"{hint}", "code-comment", f"{where}.code")
    if isinstance(display, str) and display.strip() and not _same_display(display, found):
        lenient = inputs.flag("lenient-display-validation")
        text = (f"Wrong Display Name '{display}' for {SYSTEM}#{found.code}: should be '{found.long_description}'"
                + (f" (or the short description '{found.short_description}')" if found.short_description else ""))
        verdict.fail("warning" if lenient else "error", "invalid", text, "invalid-display", f"{where}.display")
    return verdict


#: Per database handle, by the version asked for and data_version: the release's id and its codes (display,
#: inactive), for ``_valid_at_a_glance``.
_INDEXES: weakref.WeakKeyDictionary[Hcpcs, dict[tuple[str | None, int], tuple[str, dict[str, tuple[str, bool]]]]] \
    = weakref.WeakKeyDictionary()


def _valid_at_a_glance(db: Hcpcs, verdict: Verdict, code: str, version: str | None, display: Any) -> bool:
    """The common case without decoding the whole code: an active code of the release, with no display or its
    long description. Fills ``verdict`` and says so; anything else is left to the full check."""
    try:
        wanted = parse_code(code)
    except CodeError:
        return False
    per_version = _INDEXES.setdefault(db, {})
    key = (version, db.data_version())
    known = per_version.get(key)
    if known is None:
        try:
            rel = release(db, version)
        except FhirError:
            return False
        if len(per_version) >= 16:
            per_version.clear()
        known = per_version[key] = (rel.id, {c: (text, inactive) for c, text, inactive in db.listing(rel.id)})
    release_id, index = known
    found = index.get(wanted)
    if found is None or found[1]:
        return False
    if isinstance(display, str) and display.strip() and _plain(display) != _plain(found[0]):
        return False
    verdict.code, verdict.version, verdict.display = wanted, release_id, found[0]
    return True


def validate_code(db: Hcpcs, inputs: Inputs, *, value_set: bool = False, url: str | None = None) -> dict[str, Any]:
    """``$validate-code`` on the code system (``value_set`` False) or on its value set of every code: the
    code (``code`` with ``system``/``url``, ``coding``, or a ``codeableConcept``, valid when any coding is)."""
    given_url = url or inputs.text("url")
    if value_set:
        set_url, set_version = canonical(given_url or VALUE_SET)
        if set_url not in (VALUE_SET, *SYSTEMS):
            raise FhirError(f"unknown value set {set_url!r}: this server has {VALUE_SET} ({VALUE_SET_ID})",
                            issue="not-found", status=404)
        system = inputs.text("system")
        default_version = inputs.text("systemVersion") or inputs.text("valueSetVersion") or set_version
    else:
        system, default_version = canonical(given_url) if given_url else (inputs.text("system"), None)
        default_version = inputs.text("version") or default_version
    concept = inputs.concept("codeableConcept")
    if concept is not None:
        codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
        if not codings:
            raise FhirError("parameter codeableConcept has no coding")
        verdicts = [judge(db, c, f"CodeableConcept.coding[{i}]", inputs, default_version=default_version)
                    for i, c in enumerate(codings)]
    else:
        coding = inputs.coding("coding")
        if coding is None:
            code = inputs.text("code")
            if not code:
                raise FhirError("give code (with system or url), coding or codeableConcept")
            coding = {"code": code, "system": system}
        if inputs.text("display") and not coding.get("display"):
            coding = {**coding, "display": inputs.text("display")}
        verdicts = [judge(db, coding, "Coding" if "coding" in inputs else "code", inputs,
                          default_version=default_version)]
    return _answer(verdicts, concept, value_set)


def _answer(verdicts: list[Verdict], concept: dict[str, Any] | None, value_set: bool) -> dict[str, Any]:
    chosen = next((v for v in verdicts if v.result), verdicts[0])
    result = chosen.result
    issues = [dict(i, severity="information") if result and v is not chosen and i["severity"] == "error" else i
              for v in verdicts for i in v.issues]
    if not result and value_set:
        issues.append(issue("error", "code-invalid", f"No valid coding was found for the value set '{VALUE_SET}'"
                            if concept is not None else f"The provided code '{chosen.system}#{chosen.code}' was "
                            f"not found in the value set '{VALUE_SET}'", "not-in-vs"))
    shown = [i for i in issues if i["severity"] == "error"] or [i for i in issues if i["severity"] == "warning"]
    parameters: list[dict[str, Any]] = [{"name": "result", "valueBoolean": result}]
    if shown:
        parameters.append({"name": "message", "valueString": "; ".join(i["details"]["text"] for i in shown)})
    if chosen.display:
        parameters.append({"name": "display", "valueString": chosen.display})
    if chosen.code:
        parameters.append({"name": "code", "valueCode": chosen.code})
    if chosen.system:
        parameters.append({"name": "system", "valueUri": chosen.system})
    if chosen.version:
        parameters.append({"name": "version", "valueString": chosen.version})
    if chosen.inactive:
        parameters.append({"name": "inactive", "valueBoolean": True})
    if concept is not None:
        parameters.append({"name": "codeableConcept", "valueCodeableConcept": concept})
    if issues:
        parameters.append({"name": "issues", "resource": {"resourceType": "OperationOutcome", "issue": issues}})
    unknown = next((v.unknown_system for v in verdicts if v.unknown_system), None)
    if unknown and not result:
        parameters.append({"name": "x-caused-by-unknown-system", "valueCanonical": unknown})
    return {"resourceType": "Parameters", "parameter": parameters}


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
