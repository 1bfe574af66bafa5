"""What every FHIR operation shares: the canonical URLs, errors and OperationOutcome issues, and the inputs of
an operation read alike from a query string, a form or a ``Parameters`` resource."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from .._errors import HcpcsError, NotFound, UsageError
from ..api.handle import Hcpcs, parse_day
from ..model.answers import Release

SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
SYSTEMS = frozenset({SYSTEM, "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                     "urn:oid:2.16.840.1.113883.6.285"})
VALUE_SET = SYSTEM + "?fhir_vs"
VALUE_SET_ID = "hcpcs-all"
CODE_SYSTEM_ID = "hcpcs"
FHIR_VERSION = "4.0.1"
TX_ISSUE_TYPE = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type"
#: The most codes one ``$expand`` answers, and the most entries one batch holds; beyond, ``too-costly``.
MAX_EXPANSION = 1000
MAX_BATCH = 1000


class FhirError(HcpcsError):
    """A FHIR request that cannot be answered; ``issue`` is the OperationOutcome issue type, ``status`` the
    HTTP status."""

    def __init__(self, message: str, *, issue: str = "invalid", status: int = 400) -> None:
        super().__init__(message)
        self.issue, self.status = issue, status


def outcome(message: str, issue: str = "invalid", severity: str = "error") -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": issue, "diagnostics": message, "details": {"text": message}}]}


def issue(severity: str, code: str, text: str, tx_type: str | None = None, where: str | None = None,
          ) -> dict[str, Any]:
    """One OperationOutcome issue: ``code`` an IssueType, ``tx_type`` the terminology ecosystem's finer kind."""
    found: dict[str, Any] = {"severity": severity, "code": code, "details": {"text": text}}
    if tx_type:
        found["details"]["coding"] = [{"system": TX_ISSUE_TYPE, "code": tx_type}]
    if where:
        found["location"], found["expression"] = [where], [where]
    return found


def known_system(system: str | None) -> bool:
    return system is None or system in SYSTEMS


def canonical(text: str) -> tuple[str, str | None]:
    """``url|version`` split into its url and version (``None`` when there is no ``|``)."""
    url, bar, version = text.partition("|")
    return url, (version or None) if bar else None


def our_value_set(text: str) -> str | None:
    """The version an ``url|version`` of our value set (every code: ``VALUE_SET``, or the code system's own url)
    names; any other value set is a 404."""
    url, version = canonical(text)
    if url not in (VALUE_SET, *SYSTEMS):
        raise FhirError(f"unknown value set {url!r}: this server has {VALUE_SET} ({VALUE_SET_ID})",
                        issue="not-found", status=404)
    return version


def day(text: str, name: str = "date") -> dt.date:
    try:
        return parse_day(text[:10], name)
    except UsageError as exc:
        raise FhirError(f"parameter {name}: {exc}") from None


def release(db: Hcpcs, version: str | None) -> Release:
    """The release a version names (the latest for ``None``); an unknown one is a 404 ``not-found``."""
    try:
        return db.release(version)
    except (NotFound, UsageError) as exc:
        raise FhirError(f"HCPCS version {version!r}: {exc}", issue="not-found", status=404) from None


class Inputs:
    """An operation's input parameters by name, each a list of values in the order given: text from a query
    string or form, or the ``value[x]`` (a string, boolean, integer, Coding or CodeableConcept dict) of a
    ``Parameters`` resource."""

    def __init__(self, pairs: Iterable[tuple[str, Any]] = ()) -> None:
        self.values: dict[str, list[Any]] = {}
        for name, value in pairs:
            self.add(name, value)

    def add(self, name: str, value: Any) -> None:
        self.values.setdefault(name, []).append(value)

    @classmethod
    def of_parameters(cls, resource: Any) -> Inputs:
        if not isinstance(resource, dict) or resource.get("resourceType") != "Parameters":
            kind = resource.get("resourceType") if isinstance(resource, dict) else type(resource).__name__
            raise FhirError(f"the body must be a FHIR Parameters resource, not {kind!r}")
        found = cls()
        for index, parameter in enumerate(resource.get("parameter") or []):
            name = parameter.get("name") if isinstance(parameter, dict) else None
            if not isinstance(name, str) or not name:
                raise FhirError(f"Parameters.parameter[{index}] has no name")
            values = [v for k, v in parameter.items() if k.startswith("value")]
            if "resource" in parameter:
                values.append(parameter["resource"])
            if len(values) != 1:
                raise FhirError(f"Parameters.parameter[{index}] ({name}) needs exactly one value[x] or resource")
            found.add(name, values[0])
        return found

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def all(self, *names: str) -> list[Any]:
        return [v for name in names for v in self.values.get(name, [])]

    def text(self, *names: str) -> str | None:
        """The first value of the first of ``names`` given, as text (an empty value is not given)."""
        for value in self.all(*names):
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()
            if not isinstance(value, str):
                raise FhirError(f"parameter {names[0]} must be a string, not {type(value).__name__}")
        return None

    def flag(self, name: str, default: bool = False) -> bool:
        for value in self.all(name):
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
            raise FhirError(f"parameter {name} must be true or false, not {value!r}")
        return default

    def number(self, name: str, low: int, high: int) -> int | None:
        for value in self.all(name):
            try:
                number = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value))
            except ValueError:
                raise FhirError(f"parameter {name} must be a whole number, not {value!r}") from None
            if not low <= number <= high:
                raise FhirError(f"parameter {name} must be {low:,} to {high:,}, not {number:,}")
            return number
        return None

    def coding(self, name: str) -> dict[str, Any] | None:
        """A Coding: from a Parameters resource as it is, from text as ``system|code`` (or a bare code)."""
        for value in self.all(name):
            if isinstance(value, dict):
                return value
            system, bar, code = str(value).rpartition("|")
            return {"system": system, "code": code} if bar else {"code": code}
        return None

    def concept(self, name: str) -> dict[str, Any] | None:
        for value in self.all(name):
            if isinstance(value, dict):
                return value
            raise FhirError(f"parameter {name} must be a CodeableConcept (POST it in a Parameters resource)")
        return None

    def system_version(self, name: str) -> str | None:
        """The version of HCPCS a ``system-version``-like parameter (``system|version`` values) names."""
        for value in self.all(name):
            url, version = canonical(str(value))
            if url in SYSTEMS and version:
                return version
        return None
