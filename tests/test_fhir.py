"""FHIR R4 terminology operations against a live ``hcpcs serve``: each operation by GET and by POST of a
Parameters resource, every answer validated with fhir.resources (R4B models).

Tests named ``tx_...`` follow a case of HL7's terminology ecosystem tests (FHIR/fhir-test-cases, ``tx/``),
named in the docstring, with HCPCS codes in place of the test code systems; the others are ours, in the same
spirit."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from hcpcs.cli import cli

from .conftest import LATEST, RELEASES, ROOT
from .fhir_support import FHIR_JSON, SYSTEM, VALUE_SET, checked, get, issues, named, post, serving_fhir, valid

Call = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def base(all_loaded: Path) -> Iterator[str]:
    with serving_fhir(all_loaded) as url:
        yield url


@pytest.fixture(params=["GET", "POST"])
def call(request: pytest.FixtureRequest, base: str) -> Call:
    """The operation by GET with query parameters, or by POST of a Parameters resource."""
    how = get if request.param == "GET" else post

    def calling(path: str, status: int = 200, **params: Any) -> dict[str, Any]:
        return how(base, path, status, **params)
    return calling


def test_metadata_lists_what_is_served(base: str) -> None:
    statement = get(base, "metadata")
    assert statement["fhirVersion"] == "4.0.1" and statement["implementation"]["url"] == base
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {t: {o["name"] for o in r["operation"]} for t, r in resources.items()} == {
        "CodeSystem": {"lookup", "validate-code", "subsumes"}, "ValueSet": {"expand", "validate-code"},
        "ConceptMap": {"translate"}}
    assert statement["rest"][0]["interaction"] == [{"code": "batch"}]
    capabilities = get(base, "metadata", mode="terminology")
    assert capabilities["implementation"]["url"] == base  # kind = instance needs it (tcp-4)
    versions = capabilities["codeSystem"][0]["version"]
    assert [v["code"] for v in versions] == RELEASES and [v["isDefault"] for v in versions][-1] is True


@pytest.mark.parametrize("system", [SYSTEM, SYSTEM.replace("http:", "https:"), "urn:oid:2.16.840.1.113883.6.285"])
def test_tx_simple_lookup_every_field_as_a_property(call: Call, system: str) -> None:
    """tx simple/simple-lookup: name, code, system, version, display, designation, and properties."""
    found = named(call("CodeSystem/$lookup", code="S9328", system=system))
    assert found["name"] == ["HCPCS Level II"] and found["version"] == [LATEST]
    assert found["code"] == ["S9328"] and found["system"] == [SYSTEM]
    assert found["display"][0].startswith("Home infusion therapy, implanted pump pain management")
    designation = {p["name"]: p for p in found["designation"][0]}
    assert designation["value"]["valueString"] == "Hit pain imp pump diem"
    assert designation["language"]["valueCode"] == "en"
    properties: dict[str, list[Any]] = {}
    for parts in found["property"]:
        part = {p["name"]: p for p in parts}
        value = next(v for k, v in part["value"].items() if k.startswith("value"))
        properties.setdefault(part["code"]["valueCode"], []).append((value, part.get("description")))
    assert properties["inactive"] == [(False, None)]
    assert properties["coverage"][0] == ("I", {"name": "description", "valueString": "Not payable by Medicare"})
    assert properties["added"][0][0] == "2002-01-01" and "effective" in properties
    assert properties["processing_note_text"][0][0].startswith('"S" CODES ARE UNIQUE')


def test_lookup_only_the_properties_asked_for(call: Call) -> None:
    found = named(call("CodeSystem/$lookup", code="S9328", property=["coverage", "inactive"]))
    assert sorted(p[0]["valueCode"] for p in found["property"]) == ["coverage", "inactive"]
    assert "designation" not in found and found["display"]


def test_every_property_returned_is_declared_with_its_type(base: str) -> None:
    declared = {p["code"]: p["type"] for p in get(base, "CodeSystem/hcpcs")["property"]}
    value_types = {"boolean": "valueBoolean", "dateTime": "valueDateTime", "code": "valueCode", "string": "valueString"}
    for code, version in (("S9328", None), ("C9034", "2020-04"), ("GA", None), ("J1095", None), ("E0100", "2011")):
        params: dict[str, Any] = {"code": code, **({"version": version} if version else {})}
        for parts in named(get(base, "CodeSystem/$lookup", **params))["property"]:
            part = {p["name"]: p for p in parts}
            name = part["code"]["valueCode"]
            assert name in declared, name
            assert value_types[declared[name]] in part["value"], (name, part["value"])


def test_lookup_a_terminated_code_by_version_url_version_and_date(call: Call, base: str) -> None:
    old = named(call("CodeSystem/$lookup", code="C9034", version="2020-04"))
    inactive = next(p for p in old["property"] if p[0]["valueCode"] == "inactive")
    assert inactive[1]["valueBoolean"] is True and old["version"] == ["2020-04"]
    terminated = next(p for p in old["property"] if p[0]["valueCode"] == "terminated")
    assert terminated[1]["valueDateTime"] == "2018-12-31"
    assert named(call("CodeSystem/$lookup", code="C9034", date="2019-06-01"))["version"] == ["2019-01"]
    forced = named(call("CodeSystem/$lookup", code="S9328", version="2020-04",
                        **{"force-system-version": f"{SYSTEM}|2016-01"}))
    assert forced["version"] == ["2016-01"]
    defaulted = named(call("CodeSystem/$lookup", code="S9328", **{"system-version": f"{SYSTEM}|2018"}))
    assert defaulted["version"] == ["2018-01"]
    instance = named(get(base, "CodeSystem/hcpcs/$lookup", code="C9034", version="2020-04"))
    assert instance["display"] == old["display"]


@pytest.mark.parametrize(("params", "status", "issue"), [
    ({"code": "S9998"}, 404, "not-found"),
    ({"code": "S9328", "system": "http://loinc.org"}, 404, "not-found"),
    ({"code": "S9328", "version": "2030-01"}, 404, "not-found"),
    ({"code": "99213"}, 400, "code-invalid"),
    ({}, 400, "invalid"),
    ({"code": "S9328", "date": "yesterday"}, 400, "invalid"),
])
def test_lookup_errors_are_operation_outcomes_with_their_status(call: Call, params: dict[str, str], status: int,
                                                                issue: str) -> None:
    body = call("CodeSystem/$lookup", status, **params)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == issue


def test_tx_simple_code_good(call: Call) -> None:
    """tx validation/simple-code-good, simple-coding-good, simple-code-good-version."""
    found = named(call("CodeSystem/$validate-code", code="S9328", url=SYSTEM))
    assert found["result"] == [True] and found["version"] == [LATEST] and found["code"] == ["S9328"]
    assert found["system"] == [SYSTEM] and "message" not in found and "issues" not in found
    coding = named(call("CodeSystem/$validate-code", coding={"system": SYSTEM, "code": "S9328"}))
    assert coding["result"] == [True] and coding["display"] == found["display"]
    versioned = named(call("CodeSystem/$validate-code", url=f"{SYSTEM}|2020-04", code="S9328"))
    assert versioned["result"] == [True] and versioned["version"] == ["2020-04"]


def test_tx_simple_code_bad_code(call: Call) -> None:
    """tx validation/simple-code-bad-code, simple-coding-bad-code: result false, an invalid-code issue."""
    found = call("CodeSystem/$validate-code", code="S9998", system=SYSTEM)
    assert named(found)["result"] == [False]
    [(severity, kind, tx_kind, text)] = issues(found)
    assert (severity, kind, tx_kind) == ("error", "code-invalid", "invalid-code")
    assert text.startswith(f"Unknown code 'S9998' in the CodeSystem {SYSTEM}") and "near codes" in text
    assert named(found)["message"] == [text]


def test_a_malformed_or_cpt_code_is_false_with_a_message(call: Call) -> None:
    found = named(call("CodeSystem/$validate-code", code="99213"))
    assert found["result"] == [False] and "CPT" in found["message"][0]


def test_tx_simple_coding_bad_system(call: Call) -> None:
    """tx validation/simple-coding-bad-system: result false, not-found, x-caused-by-unknown-system."""
    found = call("CodeSystem/$validate-code", coding={"system": "http://loinc.org", "code": "1-8"})
    values = named(found)
    assert values["result"] == [False] and values["x-caused-by-unknown-system"] == ["http://loinc.org"]
    assert [i[:3] for i in issues(found)] == [("error", "not-found", "not-found")]


def test_tx_simple_code_bad_version(call: Call) -> None:
    """tx validation/simple-code-bad-version1: an unknown version is result false, caused by system|version."""
    found = call("CodeSystem/$validate-code", code="S9328", system=SYSTEM, version="2030-01")
    values = named(found)
    assert values["result"] == [False] and values["version"] == ["2030-01"]
    assert values["x-caused-by-unknown-system"] == [f"{SYSTEM}|2030-01"]
    assert issues(found)[0][:3] == ("error", "not-found", "not-found") and "2030-01" in values["message"][0]


def test_tx_bad_display_and_lenient_display_validation(call: Call) -> None:
    """tx validation/simple-code-bad-display (false, the right display), simple-code-bad-displayW (lenient:
    true, a warning), simple-code-good-display (the short description is a display too)."""
    wrong = call("CodeSystem/$validate-code", code="S9328", display="Aspirin")
    assert named(wrong)["result"] == [False] and named(wrong)["display"][0].startswith("Home infusion therapy")
    assert [i[:3] for i in issues(wrong)] == [("error", "invalid", "invalid-display")]
    lenient = call("CodeSystem/$validate-code", code="S9328", display="Aspirin",
                   **{"lenient-display-validation": True})
    assert named(lenient)["result"] == [True] and [i[:3] for i in issues(lenient)] == [
        ("warning", "invalid", "invalid-display")]
    short = named(call("CodeSystem/$validate-code", code="S9328", display="hit  PAIN imp pump diem"))
    assert short["result"] == [True]


def test_tx_validate_inactive_is_true_with_a_warning(call: Call) -> None:
    """tx inactive/validate-inactive-2b: an inactive code in a value set that includes inactive codes is
    valid, with inactive = true (and, as tx servers do, a warning)."""
    found = call("ValueSet/$validate-code", url=VALUE_SET, code="C9034", system=SYSTEM)
    values = named(found)
    assert values["result"] == [True] and values["inactive"] == [True] and values["version"] == [LATEST]
    [(severity, kind, tx_kind, text)] = issues(found)
    assert (severity, kind, tx_kind) == ("warning", "business-rule", "code-comment")
    assert "terminated on 2018-12-31 (replaced by J1095)" in text


def test_tx_validate_inactive_is_false_under_active_only(call: Call) -> None:
    """tx inactive/validate-inactive-2a: not in a value set of active codes: false, inactive = true."""
    found = call("ValueSet/$validate-code", url=VALUE_SET, code="C9034", system=SYSTEM, activeOnly=True)
    values = named(found)
    assert values["result"] == [False] and values["inactive"] == [True]
    assert [i[:3] for i in issues(found)] == [("error", "business-rule", "code-rule"),
                                              ("error", "code-invalid", "not-in-vs")]


def test_validate_code_with_a_date(call: Call) -> None:
    terminated = named(call("CodeSystem/$validate-code", code="C9034", date="2020-05-01"))
    assert terminated["result"] == [False] and terminated["inactive"] == [True]
    assert terminated["message"] == ["C9034 was terminated on 2018-12-31; replaced by J1095"]
    before = named(call("CodeSystem/$validate-code", code="C9034", date="2018-03-01"))
    assert before["result"] == [False] and "not yet in effect" in before["message"][0]
    hindsight = named(call("CodeSystem/$validate-code", code="C9034", date="2019-06-01"))
    assert hindsight["result"] == [True] and hindsight["message"] == [
        "C9034 was in effect by release 2019-01, but from release 2020-01 on, CMS gives a termination "
        "date of 2018-12-31, before this date"]


def test_tx_simple_codeableconcept_good_and_bad(base: str) -> None:
    """tx validation/simple-codeableconcept-good, -bad-code, complex-codeableconcept-full: valid when any
    coding is; the concept comes back."""
    concept = {"coding": [{"system": "http://loinc.org", "code": "1-8"}, {"system": SYSTEM, "code": "J1095"}]}
    found = post(base, "ValueSet/$validate-code", url=VALUE_SET, codeableConcept=concept)
    values = named(found)
    assert values["result"] == [True] and values["code"] == ["J1095"]
    assert values["codeableConcept"] == [concept] and "x-caused-by-unknown-system" not in values
    assert [i[0] for i in issues(found)] == ["information"]
    bad = post(base, "ValueSet/$validate-code", url=VALUE_SET,
               codeableConcept={"coding": [{"system": SYSTEM, "code": "S9998"}]})
    assert named(bad)["result"] == [False]
    assert [i[:3] for i in issues(bad)] == [("error", "code-invalid", "invalid-code"),
                                            ("error", "code-invalid", "not-in-vs")]
    assert issues(bad)[-1][3].startswith("No valid coding was found for the value set")


def test_tx_simple_code_bad_value_set(call: Call) -> None:
    """tx validation/simple-code-bad-valueSet: an unknown value set is an OperationOutcome, not a result."""
    found = call("ValueSet/$validate-code", 404, url="http://example.org/vs", code="S9328", system=SYSTEM)
    assert found["issue"][0]["code"] == "not-found"


def test_value_set_instance_and_system_version_rules(base: str) -> None:
    # (parameter names with hyphens, given as a dict typed as the other parameters are)
    system_version: dict[str, Any] = {"system-version": f"{SYSTEM}|2019"}
    check_version: dict[str, Any] = {"check-system-version": f"{SYSTEM}|2020-01"}
    force_version: dict[str, Any] = {"force-system-version": f"{SYSTEM}|2020-01"}
    found = named(get(base, "ValueSet/hcpcs-all/$validate-code", code="C9034", system=SYSTEM, **system_version))
    assert found["result"] == [True] and found["version"] == ["2019-01"] and "inactive" not in found
    checked_version = post(base, "ValueSet/$validate-code", url=VALUE_SET,
                           coding={"system": SYSTEM, "code": "S9328", "version": "2020-04"},
                           **check_version)
    assert named(checked_version)["result"] == [False] and "check-system-version" in named(checked_version)[
        "message"][0]
    forced = named(post(base, "ValueSet/$validate-code", url=VALUE_SET,
                        coding={"system": SYSTEM, "code": "S9328", "version": "2020-04"},
                        **force_version))
    assert forced["version"] == ["2020-01"]


def test_tx_expand_all_active_and_paged(call: Call) -> None:
    """tx simple/simple-expand-all, simple-expand-active: the whole release, or its active codes, by page."""
    page = call("ValueSet/$expand", url=VALUE_SET, count=3, offset=3)
    whole = call("ValueSet/$expand", url=VALUE_SET, count=6)
    assert [c["code"] for c in page["expansion"]["contains"]] == [c["code"] for c in whole["expansion"]["contains"]][3:]
    every = call("ValueSet/$expand", count=0, url=f"{VALUE_SET}|2020-01")["expansion"]
    active = call("ValueSet/$expand", count=0, valueSetVersion="2020-01", activeOnly=True)["expansion"]
    assert every["total"] == 7079 and active["total"] < every["total"]
    used = {p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in every["parameter"]}
    assert used["used-codesystem"] == f"{SYSTEM}|2020-01" and used["offset"] == 0 and used["count"] == 0
    dated = call("ValueSet/$expand", count=1, date="2020-05-01")
    assert dated["version"] == "2020-04"


def test_expand_filter_designations_and_properties(call: Call) -> None:
    """tx simple/simple-expand-prop (properties as R5's contains.property, in its R4 extension) and
    includeDesignations."""
    found = call("ValueSet/$expand", url=VALUE_SET, filter="infusion pain", count=5, includeDesignations=True,
                 property=["coverage", "inactive"])
    contains = {c["code"]: c for c in found["expansion"]["contains"]}
    assert {"S9327", "S9328"} <= set(contains) and found["expansion"]["total"] >= 5
    assert contains["S9328"]["designation"] == [{"language": "en", "use": {
        "system": "http://terminology.hl7.org/CodeSystem/designation-usage", "code": "display",
        "display": "short description"}, "value": "Hit pain imp pump diem"}]
    properties = {e["extension"][0]["valueCode"]: e["extension"][1] for e in contains["S9328"]["extension"]}
    assert properties == {"inactive": {"url": "value", "valueBoolean": False},
                          "coverage": {"url": "value", "valueCode": "I"}}
    assert [e["extension"][0]["valueCode"] for e in found["expansion"]["extension"]] == ["coverage", "inactive"]


def test_expand_over_the_limit_is_too_costly(call: Call) -> None:
    whole = call("ValueSet/$expand", 422, url=VALUE_SET)
    assert whole["issue"][0]["code"] == "too-costly" and "8,846 codes" in whole["issue"][0]["diagnostics"]
    assert call("ValueSet/$expand", 422, count=1001)["issue"][0]["code"] == "too-costly"
    small = call("ValueSet/$expand", url=VALUE_SET, filter="wheelchair cushion")  # under the limit: all of it
    assert 0 < small["expansion"]["total"] == len(small["expansion"]["contains"])


@pytest.mark.parametrize(("path", "params", "status", "issue"), [
    ("ValueSet/$expand", {"url": "http://loinc.org/vs"}, 404, "not-found"),
    # an implicit value set narrower than every code is not ours to expand as every code, nor to validate against
    ("ValueSet/$expand", {"url": SYSTEM + "?fhir_vs=isa/E0601"}, 404, "not-found"),
    ("ValueSet/$validate-code", {"url": SYSTEM + "?fhir_vs=isa/E0601", "code": "S9328", "system": SYSTEM}, 404,
     "not-found"),
    ("ValueSet/$expand", {"count": "-1"}, 400, "invalid"),
    ("ValueSet/$expand", {"count": "many"}, 400, "invalid"),
    ("ValueSet/$expand", {"count": 5, "property": "colour"}, 400, "invalid"),
    ("ValueSet/$expand", {"filter": "pump", "offset": "261586721508055121920"}, 400, "invalid"),
    ("CodeSystem/icd10", {}, 404, "not-found"),
    ("CodeSystem/hcpcs/$expand", {}, 404, "not-supported"),
    ("NamingSystem", {}, 404, "not-found"),
])
def test_errors_are_operation_outcomes(base: str, path: str, params: dict[str, str], status: int,
                                       issue: str) -> None:
    body = get(base, path, status, **params)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == issue


def test_subsumes_in_a_flat_code_system(call: Call) -> None:
    assert named(call("CodeSystem/$subsumes", codeA="S9328", codeB="s9328", system=SYSTEM))["outcome"] == [
        "equivalent"]
    assert named(call("CodeSystem/$subsumes", codeA="S9328", codeB="S9327"))["outcome"] == ["not-subsumed"]
    assert call("CodeSystem/$subsumes", 404, codeA="S9328", codeB="S9998")["issue"][0]["code"] == "not-found"


def test_translate_a_terminated_code_to_its_replacement(call: Call, base: str) -> None:
    found = named(call("ConceptMap/$translate", code="C9034", system=SYSTEM))
    assert found["result"] == [True]
    [match] = found["match"]
    parts = {p["name"]: p for p in match}
    assert parts["equivalence"]["valueCode"] == "relatedto"
    assert parts["concept"]["valueCoding"] == {"system": SYSTEM, "version": LATEST, "code": "J1095"}
    assert named(call("ConceptMap/$translate", code="S9328", system=SYSTEM))["result"] == [False]
    elsewhere = named(call("ConceptMap/$translate", code="1-8", system="http://loinc.org"))
    assert elsewhere["result"] == [False]
    concept_map = get(base, "ConceptMap/hcpcs-replaced-by", version="2020-04")
    elements = {e["code"]: e for e in concept_map["group"][0]["element"]}
    assert [t["code"] for t in elements["C9034"]["target"]] == ["J1095"]
    assert concept_map["version"] == "2020-04" and len(elements) > 100


def test_search_by_url_and_read(base: str) -> None:
    found = get(base, "CodeSystem", url=SYSTEM)
    assert found["type"] == "searchset" and found["total"] == 1
    assert found["entry"][0]["resource"]["version"] == LATEST
    old = get(base, "CodeSystem", url=f"{SYSTEM}|2020-04")["entry"][0]["resource"]
    assert old["version"] == "2020-04" and old["count"] == 7097
    assert get(base, "CodeSystem", url="http://loinc.org")["total"] == 0
    assert get(base, "CodeSystem", url=SYSTEM, version="2030-01")["total"] == 0
    assert get(base, "ValueSet", url=VALUE_SET)["entry"][0]["resource"]["id"] == "hcpcs-all"
    assert get(base, "ConceptMap", url="urn:hcpcs:ConceptMap:replaced-by", _summary="count") == {
        "resourceType": "Bundle", "type": "searchset", "total": 1, "link": [{"relation": "self", "url": (
            f"{base}/ConceptMap?url=urn:hcpcs:ConceptMap:replaced-by&_summary=count")}]}
    # an id that is only a newline is not the resource, nor its search (a URL parser drops the newline)
    assert get(base, "ConceptMap/%0A", 404)["issue"][0]["code"] == "not-found"
    assert get(base, "CodeSystem/%0A/$lookup", 404, code="S9328")["issue"][0]["code"] == "not-found"
    read = get(base, "ValueSet/hcpcs-all")
    assert read["compose"]["include"] == [{"system": SYSTEM, "version": LATEST}]
    elements = get(base, "CodeSystem/hcpcs", _elements="url,version")
    assert set(elements) == {"resourceType", "id", "meta", "url", "version", "status", "content"}
    assert elements["meta"]["tag"][0]["code"] == "SUBSETTED"
    summary = get(base, "ConceptMap/hcpcs-replaced-by", _summary="true")
    assert "group" not in summary and summary["url"] == "urn:hcpcs:ConceptMap:replaced-by"


def test_batch_of_validations(base: str) -> None:
    codes = ["S9328", "C9034", "S9998", "J1095"] * 50
    entries = [{"request": {"method": "POST", "url": "CodeSystem/$validate-code"},
                "resource": {"resourceType": "Parameters", "parameter": [{"name": "code", "valueCode": c},
                                                                         {"name": "url", "valueUri": SYSTEM}]}}
               for c in codes]
    entries.append({"request": {"method": "GET", "url": "CodeSystem/$lookup?code=S9998"}})
    answer = checked(httpx.post(base, json={"resourceType": "Bundle", "type": "batch", "entry": entries},
                                headers={"content-type": "application/fhir+json"}, timeout=60), 200)
    assert answer["type"] == "batch-response" and len(answer["entry"]) == 201
    results = [named(e["resource"])["result"][0] for e in answer["entry"][:4]]
    assert results == [True, True, False, True]
    assert answer["entry"][-1]["response"]["status"] == "404 Not Found"
    assert answer["entry"][-1]["resource"]["resourceType"] == "OperationOutcome"
    transaction = httpx.post(base, json={"resourceType": "Bundle", "type": "transaction", "entry": []})
    assert checked(transaction, 400)["issue"][0]["code"] == "not-supported"


def test_form_posts_formats_and_media_types(base: str) -> None:
    form = checked(httpx.post(f"{base}/CodeSystem/$validate-code", data={"code": "C9034", "date": "2020-05-01"}),
                   200)
    assert named(form)["result"] == [False]
    for params, headers in (({"_format": "xml"}, {}), ({"_format": "application/fhir+xml"}, {}),
                            ({}, {"accept": "application/fhir+xml"})):
        refused = httpx.get(f"{base}/CodeSystem/$lookup", params={"code": "S9328", **params}, headers=headers)
        assert checked(refused, 406)["issue"][0]["code"] == "not-supported"
    assert checked(httpx.get(f"{base}/metadata", params={"_format": "json"}), 200)["resourceType"] == \
        "CapabilityStatement"
    xml_body = httpx.post(f"{base}/CodeSystem/$lookup", content=b"<Parameters/>",
                          headers={"content-type": "application/fhir+xml"})
    assert checked(xml_body, 415)["issue"][0]["code"] == "not-supported"
    not_json = httpx.post(f"{base}/CodeSystem/$lookup", content=b"{", headers={"content-type": FHIR_JSON})
    assert "not JSON" in checked(not_json, 400)["issue"][0]["diagnostics"]
    not_parameters = httpx.post(f"{base}/CodeSystem/$lookup", json={"resourceType": "Patient"})
    assert "Parameters" in checked(not_parameters, 400)["issue"][0]["diagnostics"]
    assert checked(httpx.put(f"{base}/CodeSystem/$lookup"), 405)["resourceType"] == "OperationOutcome"



def test_export_the_code_system(all_loaded: Path, tmp_path: Path, base: str) -> None:
    summary = get(base, "CodeSystem/hcpcs")
    assert summary["content"] == "not-present" and summary["count"] == 8846 and summary["version"] == LATEST
    out = tmp_path / "hcpcs-2020-04.json"
    result = CliRunner().invoke(cli, ["--db", str(all_loaded), "export", "fhir", "--release", "2020-04", "-o",
                                      str(out)])
    assert result.exit_code == 0, result.output
    resource = valid(json.loads(out.read_text()))
    assert resource["content"] == "complete" and len(resource["concept"]) == 7097
    s9328 = next(c for c in resource["concept"] if c["code"] == "S9328")
    assert s9328["designation"][0]["value"] == "Hit pain imp pump diem"
    assert {"code": "coverage", "valueCode": "I"} in s9328["property"]


def test_the_readme_fhir_examples(base: str) -> None:
    """The README's ``curl`` transcripts of FHIR calls, run against the live server: each answer (one line of
    JSON) matches what the README shows, its lines joined, ``...`` standing for any text."""
    root = base.removesuffix("/fhir")
    examples = []
    for block in re.findall(r"^```\n(.*?)^```", (ROOT / "README.md").read_text(), flags=re.S | re.M):
        for command, shown in re.findall(r"^\$ (curl .*?/fhir/.*?)\n((?:[^$].*\n?)*)", block, flags=re.M):
            examples.append((command, shown))
    assert len(examples) >= 2
    for command, shown in examples:
        lines = shown.splitlines()
        while command.endswith("\\"):
            command = command[:-1] + " " + lines.pop(0).strip()
        args = shlex.split(command.replace("http://127.0.0.1:8000", root))
        out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        expected = " ".join(line.strip() for line in lines)
        pattern = ".*".join(re.escape(part) for part in expected.split("...")) + r"\Z"
        assert re.match(pattern, out), (command, out[:500])
