"""``$validate-code`` for CodeSystem and ValueSet: one coding judged against a release (inactive codes,
displays, versions), and the answer as the specification's Parameters."""

from __future__ import annotations

import dataclasses
from typing import Any

from .._errors import CodeError
from ..api.handle import Hcpcs
from ..model.answers import Code
from ..model.identifiers import parse_code

#: Fields a lookup names otherwise (display, designation) or as added/effective/terminated.
from ._codes import _INDEXES, _version, find
from ._common import (
    SYSTEM,
    VALUE_SET,
    FhirError,
    Inputs,
    canonical,
    issue,
    known_system,
    our_value_set,
    release,
)


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
        set_version = our_value_set(given_url or VALUE_SET)
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
