"""``hcpcs serve`` shares work between requests: a burst of identical requests costs one computation, and a
load into the served database reaches every answer (search's vocabulary too) without a restart. Real server
processes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import hcpcs
from hcpcs.web import create_app

from .conftest import CMS, serving


def test_a_burst_of_identical_diff_reports_is_computed_once(all_loaded: Path) -> None:
    async def burst(base: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=300,
                                     limits=httpx.Limits(max_connections=50)) as client:
            return await asyncio.gather(*(client.get("/api/diff/report", params={"from": "2020-10", "to": "2025-01"})
                                          for _ in range(50)))

    with serving(all_loaded) as base:
        answers = asyncio.run(burst(base))
        assert {a.status_code for a in answers} == {200}
        assert [a.headers["x-cache"] for a in answers].count("miss") == 1  # the others shared its answer
        assert len({a.content for a in answers}) == 1
        assert answers[0].json()["to"] == "2025-01"
        again = httpx.get(f"{base}/api/diff/report", params={"from": "2020-10", "to": "2025-01"})
        assert again.headers["x-cache"] == "hit" and again.content == answers[0].content


@pytest.fixture
def served_2020(annual_2020: Path, tmp_path: Path) -> Path:
    path = tmp_path / "hcpcs.sqlite"
    shutil.copy(annual_2020, path)
    return path


def test_a_load_into_the_served_database_reaches_search_and_cached_answers(served_2020: Path) -> None:
    with serving(served_2020) as base:
        def search(q: str) -> dict[str, Any]:
            found: dict[str, Any] = httpx.get(f"{base}/api/search", params={"q": q}).json()
            return found

        assert search("lecanemba")["total"] == 0  # lecanemab, misspelt: not in the 2020 codes
        assert search("lecanemba")["total"] == 0  # (the vocabulary is built by now)
        assert httpx.get(f"{base}/api/codes/S9328").json()["release"]["id"] == "2020-01"
        assert httpx.get(f"{base}/api/codes/J0174").status_code == 404

        with hcpcs.open(served_2020) as db:  # another process's load, as hcpcs load would do it
            db.load([CMS / "hcpcs-2025.zip"])

        found = search("lecanemba")
        assert [h["code"] for h in found["hits"]] == ["J0174"]
        assert httpx.get(f"{base}/api/codes/S9328").json()["release"]["id"] == "2025-01"
        assert httpx.get(f"{base}/api/codes/J0174").status_code == 200


def test_a_request_seen_before_gets_the_same_answer_and_the_same_checks(all_loaded: Path) -> None:
    code = {"name": "code", "valueCode": "S9328"}
    validate = {"resourceType": "Parameters", "parameter": [
        {"name": "url", "valueUri": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"}, code]}
    with serving(all_loaded) as base:
        first, again = (httpx.get(f"{base}/api/codes/S9328") for _ in range(2))
        assert again.headers["x-cache"] == "hit" and again.content == first.content
        shown = {k: v for k, v in again.headers.items() if k not in ("x-cache", "date")}
        assert shown == {k: v for k, v in first.headers.items() if k not in ("x-cache", "date")}
        assert "content-security-policy" in shown and shown["content-type"] == "application/json"
        head = httpx.head(f"{base}/api/codes/S9328")
        assert head.content == b"" and int(head.headers["content-length"]) == len(first.content)
        # the Host check and the FHIR format check still come first for a request answered before
        assert httpx.get(f"{base}/api/codes/S9328", headers={"Host": "rebound.example"}).status_code == 400
        lookup = f"{base}/fhir/CodeSystem/$lookup?code=S9328"
        assert httpx.get(lookup).content == httpx.get(lookup).content
        assert httpx.get(lookup, headers={"Accept": "application/fhir+xml"}).status_code == 406
        # a POSTed Parameters resource is a request of its own: another code, another answer
        post = f"{base}/fhir/CodeSystem/$validate-code"
        answers = [httpx.post(post, json=validate, headers={"content-type": "application/fhir+json"})
                   for _ in range(2)]
        assert answers[0].content == answers[1].content and '"valueBoolean": true' in answers[0].text
        code["valueCode"] = "S9998"
        other = httpx.post(post, json=validate, headers={"content-type": "application/fhir+json"})
        assert other.status_code == 200 and other.content != answers[0].content


def test_one_cache_keeps_answers_by_meaning_and_responses_by_request(all_loaded: Path) -> None:
    # in process: the view's answer is kept by its parameters as read, so a request written another way that
    # means the same is not worked out again; each written form is then answered whole, ahead of routing
    with TestClient(create_app(all_loaded)) as client:
        first = client.get("/api/search", params={"q": "infusion pain"})
        assert first.headers["x-cache"] == "miss"
        same = client.get("/api/search", params={"q": "infusion pain", "offset": "0", "limit": "20"})
        assert same.headers["x-cache"] == "hit" and same.content == first.content
        again = client.get("/api/search", params={"q": "infusion pain", "offset": "0", "limit": "20"})
        assert again.headers["x-cache"] == "hit" and again.headers == same.headers
        # an error is never kept: the same bad request is worked out (and refused) again
        for _ in range(2):
            bad = client.get("/api/search", params={"q": "pump", "codes": "E0100-"})
            assert bad.status_code == 422 and "x-cache" not in bad.headers
