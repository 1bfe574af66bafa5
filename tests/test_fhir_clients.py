"""Real FHIR clients against a live ``hcpcs serve``: fhirpy (operations POSTed, as its ``execute`` does by
default) and SMART's fhirclient (whose R4 models refuse anything FHIR does not allow): lookup, expand,
validate-code on the code system and on the value set, translate, search and read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhirclient import client as smart_client
from fhirclient.models.codesystem import CodeSystem
from fhirclient.models.conceptmap import ConceptMap
from fhirclient.models.parameters import Parameters
from fhirclient.models.valueset import ValueSet
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome
from fhirpy.base.resource import serialize

from .conftest import LATEST
from .fhir_support import SYSTEM, VALUE_SET, named, parameters_of, serving_fhir, valid


@pytest.fixture(scope="module")
def base(all_loaded: Path) -> Iterator[str]:
    with serving_fhir(all_loaded) as url:
        yield url


@pytest.fixture(scope="module")
def fhirpy_client(base: str) -> SyncFHIRClient:
    return SyncFHIRClient(base)


def run(client: SyncFHIRClient, path: str, **params: Any) -> dict[str, Any]:
    """An operation by fhirpy's default: POST of a Parameters resource; the answer checked as FHIR R4."""
    return valid(dict(client.execute(path, data=parameters_of(params))))


def test_fhirpy_lookup_and_validate_on_the_code_system(fhirpy_client: SyncFHIRClient) -> None:
    found = named(run(fhirpy_client, "CodeSystem/$lookup", code="S9328", system=SYSTEM))
    assert found["display"][0].startswith("Home infusion therapy") and found["version"] == [LATEST]
    valid_code = named(run(fhirpy_client, "CodeSystem/$validate-code", url=SYSTEM, code="J1095"))
    assert valid_code["result"] == [True]
    wrong = named(run(fhirpy_client, "CodeSystem/$validate-code", url=SYSTEM, code="S9998"))
    assert wrong["result"] == [False] and "S9998" in wrong["message"][0]
    instance = named(run(fhirpy_client, "CodeSystem/hcpcs/$validate-code", code="C9034", date="2020-05-01"))
    assert instance["result"] == [False] and instance["inactive"] == [True]


def test_fhirpy_validate_on_the_value_set_and_expand(fhirpy_client: SyncFHIRClient) -> None:
    found = named(run(fhirpy_client, "ValueSet/$validate-code", url=VALUE_SET,
                      coding={"system": SYSTEM, "code": "C9034"}))
    assert found["result"] == [True] and found["inactive"] == [True]
    expansion = run(fhirpy_client, "ValueSet/$expand", url=VALUE_SET, filter="wheelchair", count=10)
    assert len(expansion["expansion"]["contains"]) == 10 and expansion["expansion"]["total"] > 10
    by_get = valid(dict(fhirpy_client.execute("ValueSet/hcpcs-all/$expand", method="get",
                                              params={"filter": "wheelchair", "count": 10})))
    assert by_get["expansion"]["contains"] == expansion["expansion"]["contains"]
    with pytest.raises(OperationOutcome, match="more than the 1,000"):
        fhirpy_client.execute("ValueSet/$expand", data=parameters_of({"url": VALUE_SET}))


def test_fhirpy_translate_search_and_read(fhirpy_client: SyncFHIRClient) -> None:
    found = named(run(fhirpy_client, "ConceptMap/$translate", code="C9034", system=SYSTEM))
    concept = next(p["valueCoding"] for p in found["match"][0] if p["name"] == "concept")
    assert found["result"] == [True] and concept["code"] == "J1095"
    [code_system] = fhirpy_client.resources("CodeSystem").search(url=SYSTEM).fetch()
    assert code_system["version"] == LATEST and valid(serialize(code_system))
    value_set = fhirpy_client.reference("ValueSet", "hcpcs-all").to_resource()
    assert value_set["url"] == VALUE_SET


@pytest.fixture(scope="module")
def smart(base: str) -> smart_client.FHIRClient:
    connected = smart_client.FHIRClient(settings={"app_id": "hcpcs-tests", "api_base": base + "/"})
    connected.prepare()  # reads /metadata into fhirclient's CapabilityStatement model
    return connected


def post(smart: smart_client.FHIRClient, path: str, **params: Any) -> Parameters:
    """POST Parameters with fhirclient; the answer parsed by its strict R4 model."""
    return Parameters(smart.server.post_json(path, Parameters(parameters_of(params)).as_json()).json())


def values(answer: Parameters) -> dict[str, Any]:
    return {p.name: p for p in answer.parameter}


def test_fhirclient_reads_the_capability_statement(smart: smart_client.FHIRClient) -> None:
    statement = smart.server.capabilityStatement
    assert statement.fhirVersion == "4.0.1"
    assert {r.type for r in statement.rest[0].resource} == {"CodeSystem", "ValueSet", "ConceptMap"}


def test_fhirclient_operations(smart: smart_client.FHIRClient) -> None:
    looked_up = values(post(smart, "CodeSystem/$lookup", code="E0100", system=SYSTEM))
    assert looked_up["display"].valueString.startswith("Cane")
    checked = values(post(smart, "CodeSystem/$validate-code", url=SYSTEM, code="S9328", display="Aspirin"))
    assert checked["result"].valueBoolean is False and checked["issues"].resource.issue[0].code == "invalid"
    in_set = values(post(smart, "ValueSet/$validate-code", url=VALUE_SET, code="C9034", system=SYSTEM,
                         activeOnly=True))
    assert in_set["result"].valueBoolean is False and in_set["inactive"].valueBoolean is True
    translated = post(smart, "ConceptMap/$translate", code="C9034", system=SYSTEM)
    match = next(p for p in translated.parameter if p.name == "match")
    assert {p.name: p for p in match.part}["concept"].valueCoding.code == "J1095"
    expansion = ValueSet(smart.server.post_json("ValueSet/$expand", parameters_of(
        {"url": VALUE_SET, "filter": "cane", "count": 5})).json())
    assert expansion.expansion.total >= 5 and len(expansion.expansion.contains) == 5


def test_fhirclient_search_and_read(smart: smart_client.FHIRClient) -> None:
    [code_system] = list(CodeSystem.where(struct={"url": SYSTEM, "version": "2020-04"})
                         .perform_resources_iter(smart.server))
    assert code_system.version == "2020-04" and code_system.count == 7097
    assert {p.code for p in code_system.property} >= {"inactive", "coverage", "processing_note_text"}
    concept_map = ConceptMap.read("hcpcs-replaced-by", smart.server)
    assert any(e.code == "C9034" for e in concept_map.group[0].element)
    assert ValueSet.read("hcpcs-all", smart.server).compose.include[0].system == SYSTEM
