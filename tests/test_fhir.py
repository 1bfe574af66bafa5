"""FHIR R4 terminology operations, every response validated with fhir.resources (R4B models)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.parameters import Parameters
from fhir.resources.R4B.terminologycapabilities import TerminologyCapabilities
from fhir.resources.R4B.valueset import ValueSet

from hcpcs.cli import cli
from hcpcs.web import create_app

from .conftest import LATEST, RELEASES

SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
MODELS = {"Parameters": Parameters, "ValueSet": ValueSet, "CodeSystem": CodeSystem,
          "OperationOutcome": OperationOutcome, "CapabilityStatement": CapabilityStatement,
          "TerminologyCapabilities": TerminologyCapabilities}


@pytest.fixture(scope="module")
def client(all_loaded: Path) -> Iterator[TestClient]:
    with TestClient(create_app(all_loaded), raise_server_exceptions=False) as test_client:
        yield test_client


def fhir(client: TestClient, path: str, status: int = 200, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    MODELS[body["resourceType"]].model_validate(body)  # raises on anything FHIR R4 does not allow
    return body


def parameters(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in body["parameter"]:
        value = next((v for k, v in p.items() if k.startswith("value")), p.get("part"))
        out.setdefault(p["name"], []).append(value)
    return out


def test_metadata_and_terminology_capabilities(client: TestClient) -> None:
    statement = fhir(client, "/fhir/metadata")
    assert statement["fhirVersion"] == "4.0.1"
    operations = {o["name"] for r in statement["rest"][0]["resource"] for o in r.get("operation", [])}
    assert operations == {"lookup", "validate-code", "expand"}
    capabilities = fhir(client, "/fhir/metadata", mode="terminology")
    versions = capabilities["codeSystem"][0]["version"]
    assert [v["code"] for v in versions] == RELEASES
    assert [v["isDefault"] for v in versions][-1] is True


@pytest.mark.parametrize("system", [SYSTEM, SYSTEM.replace("http:", "https:"), "urn:oid:2.16.840.1.113883.6.285"])
def test_lookup_every_field_as_a_property(client: TestClient, system: str) -> None:
    found = parameters(fhir(client, "/fhir/CodeSystem/$lookup", code="S9328", system=system))
    assert found["name"] == ["HCPCS Level II"] and found["version"] == [LATEST]
    assert found["display"][0].startswith("Home infusion therapy, implanted pump pain management")
    designation = {p["name"]: p for p in found["designation"][0]}
    assert designation["value"]["valueString"] == "Hit pain imp pump diem"
    properties = {}
    for parts in found["property"]:
        named = {p["name"]: p for p in parts}
        value = next(v for k, v in named["value"].items() if k.startswith("value"))
        properties.setdefault(named["code"]["valueCode"], []).append((value, named.get("description")))
    assert properties["inactive"] == [(False, None)]
    assert properties["coverage"][0][0] == "I"
    assert properties["coverage"][0][1] == {"name": "description", "valueString": "Not payable by Medicare"}
    assert properties["added"][0][0] == "2002-01-01" and "effective" in properties
    assert properties["processing_note_text"][0][0].startswith('"S" CODES ARE UNIQUE')


def test_lookup_a_terminated_code_by_version_and_date(client: TestClient) -> None:
    old = parameters(fhir(client, "/fhir/CodeSystem/$lookup", code="C9034", version="2020-04"))
    inactive = next(p for p in old["property"] if p[0]["valueCode"] == "inactive")
    assert inactive[1]["valueBoolean"] is True
    terminated = next(p for p in old["property"] if p[0]["valueCode"] == "terminated")
    assert terminated[1]["valueDateTime"] == "2018-12-31"
    dated = parameters(fhir(client, "/fhir/CodeSystem/$lookup", code="C9034", date="2019-06-01"))
    assert dated["version"] == ["2019-01"]


def test_validate_code_with_a_date(client: TestClient) -> None:
    valid = parameters(fhir(client, "/fhir/CodeSystem/$validate-code", code="S9328", url=SYSTEM))
    assert valid["result"] == [True] and valid["version"] == [LATEST]
    terminated = parameters(fhir(client, "/fhir/CodeSystem/$validate-code", code="C9034", date="2020-05-01"))
    assert terminated["result"] == [False] and "replaced by J1095" in terminated["message"][0]
    before = parameters(fhir(client, "/fhir/CodeSystem/$validate-code", code="C9034", date="2018-03-01"))
    assert before["result"] == [False] and "not yet in effect" in before["message"][0]
    hindsight = parameters(fhir(client, "/fhir/CodeSystem/$validate-code", code="C9034", date="2019-06-01"))
    assert hindsight["result"] == [True] and hindsight["message"] == [
        "warning: C9034 was in effect by release 2019-01, but from release 2020-01 on, CMS gives a termination "
        "date of 2018-12-31, before this date"]
    unknown = parameters(fhir(client, "/fhir/CodeSystem/$validate-code", code="S9998"))
    assert unknown["result"] == [False]
    wrong_display = parameters(fhir(client, "/fhir/CodeSystem/$validate-code", code="S9328", display="Aspirin"))
    assert wrong_display["result"] == [False] and "display" in wrong_display["message"][0]


def test_expand_with_filter_paging_active_only_and_date(client: TestClient) -> None:
    found = fhir(client, "/fhir/ValueSet/$expand", url=SYSTEM + "?fhir_vs", filter="infusion pain", count=5)
    codes = [c["code"] for c in found["expansion"]["contains"]]
    assert {"S9327", "S9328"} <= set(codes) and found["expansion"]["total"] >= 5
    page = fhir(client, "/fhir/ValueSet/$expand", count=3, offset=3)
    whole = fhir(client, "/fhir/ValueSet/$expand", count=6)
    assert [c["code"] for c in page["expansion"]["contains"]] == [c["code"] for c in whole["expansion"]["contains"]][3:]
    every = fhir(client, "/fhir/ValueSet/$expand", count=0, version="2020-01")["expansion"]["total"]
    active = fhir(client, "/fhir/ValueSet/$expand", count=0, version="2020-01", activeOnly="true")["expansion"]["total"]
    assert every == 7079 and active < every
    dated = fhir(client, "/fhir/ValueSet/$expand", count=1, date="2020-05-01")
    assert dated["version"] == "2020-04"


@pytest.mark.parametrize(("path", "params", "status", "issue"), [
    ("/fhir/CodeSystem/$lookup", {"code": "S9998"}, 404, "not-found"),
    ("/fhir/CodeSystem/$lookup", {"code": "S9328", "system": "http://loinc.org"}, 400, "not-supported"),
    ("/fhir/CodeSystem/$lookup", {}, 400, "invalid"),
    ("/fhir/CodeSystem/$lookup", {"code": "S9328", "date": "yesterday"}, 400, "invalid"),
    ("/fhir/ValueSet/$expand", {"url": "http://loinc.org/vs"}, 404, "not-found"),
    ("/fhir/ValueSet/$expand", {"count": "-1"}, 400, "invalid"),
    ("/fhir/ValueSet/$expand", {"filter": "pump", "offset": "261586721508055121920"}, 400, "invalid"),
    ("/fhir/CodeSystem/icd10", {}, 404, "not-found"),
])
def test_errors_are_operation_outcomes(client: TestClient, path: str, params: dict[str, str], status: int,
                                       issue: str) -> None:
    body = fhir(client, path, status, **params)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == issue


def test_read_and_export_the_code_system(client: TestClient, all_loaded: Path, tmp_path: Path) -> None:
    summary = fhir(client, "/fhir/CodeSystem/hcpcs")
    assert summary["content"] == "not-present" and summary["count"] == 8846 and summary["version"] == LATEST
    out = tmp_path / "hcpcs-2020-04.json"
    result = CliRunner().invoke(cli, ["--db", str(all_loaded), "export", "fhir", "--release", "2020-04", "-o",
                                      str(out)])
    assert result.exit_code == 0, result.output
    resource = json.loads(out.read_text())
    assert resource["content"] == "complete" and len(resource["concept"]) == 7097
    CodeSystem.model_validate(resource)
    s9328 = next(c for c in resource["concept"] if c["code"] == "S9328")
    assert s9328["designation"][0]["value"] == "Hit pain imp pump diem"
    assert {"code": "coverage", "valueCode": "I"} in s9328["property"]
