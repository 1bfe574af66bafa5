"""A live ``hcpcs serve`` on 127.0.0.1 for the FHIR tests, and calls to it whose every answer is checked
against FHIR R4 (fhir.resources, R4B models) and for its media type."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fhir.resources.R4B import get_fhir_model_class

from .conftest import serving

SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
VALUE_SET = SYSTEM + "?fhir_vs"
FHIR_JSON = "application/fhir+json"


@contextmanager
def serving_fhir(db: Path) -> Iterator[str]:
    """``hcpcs serve`` over ``db``: yields its FHIR base URL."""
    with serving(db) as url:
        yield url + "/fhir"


def valid(body: dict[str, Any]) -> dict[str, Any]:
    """The resource, after fhir.resources accepted it as FHIR (it raises on anything FHIR does not allow)."""
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


def checked(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == FHIR_JSON + "; charset=utf-8"
    return valid(response.json())


def get(base: str, path: str, status: int = 200, **params: Any) -> dict[str, Any]:
    """GET with query parameters (a Coding dict as ``system|code``, booleans as true/false)."""
    def text(value: Any) -> Any:
        if isinstance(value, dict):
            return f"{value.get('system', '')}|{value['code']}"
        return str(value).lower() if isinstance(value, bool) else value
    query = {k: [text(v) for v in value] if isinstance(value, list) else text(value) for k, value in params.items()}
    return checked(httpx.get(f"{base}/{path}", params=query, timeout=30), status)


def post(base: str, path: str, status: int = 200, **params: Any) -> dict[str, Any]:
    """POST a Parameters resource built from ``params`` (a dict value is a Coding, or with ``coding`` in it a
    CodeableConcept; a list is repeated)."""
    return checked(httpx.post(f"{base}/{path}", json=parameters_of(params), timeout=30,
                              headers={"content-type": FHIR_JSON, "accept": FHIR_JSON}), status)


#: The value[x] of each text parameter, as the operation definitions type them (valueString for the rest).
_VALUE_TYPES = {"code": "valueCode", "codeA": "valueCode", "codeB": "valueCode", "property": "valueCode",
                "url": "valueUri", "system": "valueUri", "date": "valueDateTime", "system-version": "valueCanonical",
                "force-system-version": "valueCanonical", "check-system-version": "valueCanonical"}


def parameters_of(params: dict[str, Any]) -> dict[str, Any]:
    out = []
    for name, values in params.items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict):
                key = "valueCodeableConcept" if "coding" in value else "valueCoding"
            elif isinstance(value, bool):
                key = "valueBoolean"
            elif isinstance(value, int):
                key = "valueInteger"
            else:
                key = _VALUE_TYPES.get(name, "valueString")
            out.append({"name": name, key: value})
    return {"resourceType": "Parameters", "parameter": out}


def named(body: dict[str, Any]) -> dict[str, list[Any]]:
    """A Parameters resource's values by name: each value[x], resource, or list of parts."""
    out: dict[str, list[Any]] = {}
    for p in body["parameter"]:
        value = next((v for k, v in p.items() if k.startswith("value")), p.get("resource", p.get("part")))
        out.setdefault(p["name"], []).append(value)
    return out


def issues(body: dict[str, Any]) -> list[tuple[str, str, str | None, str]]:
    """The ``issues`` of a $validate-code answer: (severity, issue type, tx issue type, text)."""
    found = named(body).get("issues", [{"issue": []}])[0]["issue"]
    return [(i["severity"], i["code"], (i["details"].get("coding") or [{}])[0].get("code"), i["details"]["text"])
            for i in found]
