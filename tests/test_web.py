"""The JSON API and the pages, in process (FastAPI's test client over the real app and database)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hcpcs.web import create_app

from .conftest import LATEST, RELEASES


@pytest.fixture(scope="module")
def client(all_loaded: Path) -> Iterator[TestClient]:
    with TestClient(create_app(all_loaded), raise_server_exceptions=False) as test_client:
        yield test_client


def error_of(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"status", "type", "message"}
    assert body["error"]["status"] == response.status_code  # type: ignore[attr-defined]
    return body["error"]  # type: ignore[no-any-return]


def test_code_latest_release_and_as_of(client: TestClient) -> None:
    data = client.get("/api/codes/s9328").json()
    assert data["code"] == "S9328" and data["release"]["id"] == LATEST
    assert data["coverage"] == {"code": "I", "meaning": "Not payable by Medicare"}
    assert {"label": "Coverage Code Description", "value": "Not payable by Medicare",
            "definition": "Description of Coverage Code", "field": "coverage"} in data["fields"]
    dated = client.get("/api/codes/C9034", params={"as_of": "2020-05-01"}).json()
    assert dated["release"]["id"] == "2020-04" and dated["status"] == "Terminated" and dated["as_of"] == "2020-05-01"
    assert client.get("/api/codes/S9328", params={"release": "2019"}).json()["release"]["id"] == "2019-01"


@pytest.mark.parametrize(("path", "status", "kind", "words"), [
    ("/api/codes/S9998", 404, "not_found", "near codes: S9992"),
    ("/api/codes/99213", 422, "invalid_parameter", "path.code: 99213 is a CPT (Level I) code, owned by the AMA"),
    ("/api/codes/S93280", 422, "invalid_parameter", "'S93280' is not an HCPCS Level II code"),
    ("/api/codes/S9328?release=2020-04&as_of=2025-11-01", 404, "not_found",
     "release 2020-04 was not in effect on 2025-11-01: release 2025-10 was"),
    ("/api/codes/S9328?release=2031", 404, "not_found", "release 2031-01 is not loaded"),
    ("/api/codes/S9328?as_of=2020-13-01", 422, "invalid_parameter", "as_of"),
    ("/api/search?q=%20", 422, "invalid_parameter", "query.q"),
    ("/api/search?q=pump&limit=0", 422, "invalid_parameter", "limit"),
    ("/api/search?q=pump&offset=261586721508055121920", 422, "invalid_parameter", "offset"),
    ("/api/search?q=pump&offset=1000001", 422, "invalid_parameter", "offset"),
    ("/api/search", 422, "invalid_parameter", "q"),
    ("/api/diff?from=2019&to=2020&fields=colour", 422, "invalid_parameter", "fields.0"),
    ("/api/nothing-here", 404, "not_found", "Not Found"),
])
def test_every_error_has_the_one_envelope(client: TestClient, path: str, status: int, kind: str, words: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    error = error_of(response)
    assert error["type"] == kind and words in str(error["message"])


def test_a_fault_is_a_500_in_the_same_envelope(all_loaded: Path, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    broken = tmp_path / "broken.sqlite"
    shutil.copy(all_loaded, broken)
    with TestClient(create_app(broken), raise_server_exceptions=False) as faulty:
        con = sqlite3.connect(broken)
        con.execute("DROP TABLE releases")  # pulled from under the running server
        con.commit()
        con.close()
        response = faulty.get("/api/releases")
        assert response.status_code == 500
        assert error_of(response)["type"] == "server_error"


def test_search_history_diff_releases_fields(client: TestClient) -> None:
    found = client.get("/api/search", params={"q": "infusion pain", "limit": 5}).json()
    assert {"S9327", "S9328"} <= {h["code"] for h in found["hits"]} and found["total"] >= 5
    filtered = client.get("/api/search", params=[("q", "injection"), ("coverage", "I"), ("limit", 3)]).json()
    unfiltered = client.get("/api/search", params={"q": "injection", "limit": 3}).json()
    assert 0 < filtered["total"] < unfiltered["total"]
    for hit in filtered["hits"]:
        assert client.get(f"/api/codes/{hit['code']}").json()["coverage"]["code"] == "I"
    history = client.get("/api/codes/G9890/history").json()
    assert history["reused"] is True and [e["release"] for e in history["events"]] == ["2018-01", "2019-01"]
    diff = client.get("/api/diff", params={"from": "2020-01", "to": "2020-04", "limit": 5, "offset": 5}).json()
    assert diff["total"] == 35 and diff["offset"] == 5 and len(diff["changes"]) == 5
    assert diff["counts"] == {"A": 18, "C": 14, "D": 1, "F": 2}
    report = client.get("/api/diff/report", params={"from": "2020-01", "to": "2020-04"}).json()
    assert report["from"] == "2020-01" and report["report"] == "2020-04-trans-alpha.xlsx"
    assert report["agreed"] == {"A": 18, "C": 4, "D": 1, "N": 7062} and len(report["differences"]) == 12
    assert {"code": "AX", "ours": "F", "report": "N", "groups": [], "reason": "report-misses",
            "evidence": "processing_note '0000' -> None"} in report["differences"]
    releases = client.get("/api/releases").json()
    assert [r["id"] for r in releases] == RELEASES
    assert all(len(f["sha256"]) == 64 for r in releases for f in r["files"])
    fields = {f["name"]: f for f in client.get("/api/fields").json()}
    assert fields["coverage"]["code_table"] == "HCPCS Coverage Code" and fields["coverage"]["definition"]
    tables = client.get("/api/code-tables").json()
    assert tables["HCPCS Coverage Code"]["I"] == "Not payable by Medicare"


PAGES = ["/", "/?q=infusion+pain&offset=20", "/docs",
         "/codes/S9328", "/codes/S9328?as_of=2020-05-01", "/codes/G9890/history", "/diff?from=2019&to=2020",
         "/diff", "/releases", "/codes/GA"]


def test_search_says_why_and_did_you_mean(client: TestClient) -> None:
    found = client.get("/api/search", params={"q": "inj naloxone", "limit": 1}).json()
    assert found["hits"][0]["why"][0] == {"query": "inj", "words": ["injection", "inj"], "how": "abbreviation"}
    nothing = client.get("/api/search", params={"q": "xylocaine"}).json()
    assert nothing["hits"] == [] and nothing["did_you_mean"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_light_offline_and_have_a_json_twin(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert len(response.content) < 100_000
    assert '<html lang="en">' in html and "<title>" in html and "<main" in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")), url  # nothing from another site
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', html)
    assert twin is not None
    assert client.get(twin.group(1).replace("&amp;", "&")).status_code in (200, 422)


def test_code_page_carries_the_seed_fields_and_links(client: TestClient) -> None:
    html = client.get("/codes/S9328").text
    for text in ("Coverage Code Description", "Not payable by Medicare", "Processing Note Text",
                 "Berenson-Eggers Type Of Service Code", '<a href="/codes/S9328/history">History</a>'):
        assert text in html
    assert client.get("/codes/S9998").status_code == 404


def test_static_files_and_openapi(client: TestClient) -> None:
    assert "ArrowDown" in client.get("/static/search.js").text
    assert client.get("/static/other.js").status_code == 404
    spec = client.get("/openapi.json").json()
    assert {"/api/codes/{code}", "/api/search", "/api/releases", "/api/diff", "/api/diff/report",
            "/api/codes/{code}/history", "/api/fields", "/api/code-tables"} <= set(spec["paths"])
    assert "Stability promise" in spec["info"]["description"]
