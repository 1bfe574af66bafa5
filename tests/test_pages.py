"""The pages as a browser without JavaScript gets them: search rendered on the server with its query and
filters in the URL, the code page's summary, history and diff, error pages, offline docs, security headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hcpcs.web import create_app


@pytest.fixture(scope="module")
def client(all_loaded: Path) -> Iterator[TestClient]:
    with TestClient(create_app(all_loaded), raise_server_exceptions=False) as test_client:
        yield test_client


def result_codes(html: str) -> list[str]:
    found = re.search(r'<ol id="results"[^>]*>(.*?)</ol>', html, re.S)
    return re.findall(r'<span class="code">([^<]+)</span>', found.group(1)) if found else []


def count_line(html: str) -> str:
    found = re.search(r'<p id="count">(.*?)</p>', html, re.S)
    assert found is not None, html
    return unescape(found.group(1))


def test_search_is_rendered_on_the_server_with_the_query_in_the_form(client: TestClient) -> None:
    html = client.get("/", params={"q": "infusion pain"}).text
    codes = result_codes(html)
    assert len(codes) == 20 and "S9328" in codes[:5]
    assert 'value="infusion pain"' in html and "<mark>" in html
    total = int(re.match(r"([\d,]+) codes found in release 2025-10; showing 1–20\.", count_line(html))
                .group(1).replace(",", ""))  # type: ignore[union-attr]
    assert total > 40
    assert client.get("/api/search", params={"q": "infusion pain"}).json()["total"] == total


def test_search_pages_through_every_result(client: TestClient) -> None:
    first = client.get("/", params={"q": "infusion pain"}).text
    following = re.search(r'<a rel="next" href="([^"]+)">Next 20</a>', first)
    assert following is not None and "rel=\"prev\"" not in first
    second = client.get(unescape(following.group(1))).text
    assert "showing 21–40" in count_line(second) and 'rel="prev"' in second
    assert not set(result_codes(first)) & set(result_codes(second))
    api = client.get("/api/search", params={"q": "infusion pain", "limit": 40}).json()
    assert result_codes(first) + result_codes(second) == [h["code"] for h in api["hits"]]


def test_search_filters_live_in_the_url(client: TestClient) -> None:
    html = client.get("/", params={"q": "wheelchair", "codes": "E0950-E0999", "release": "2020-01",
                                   "include_terminated": "1"}).text
    codes = result_codes(html)
    assert codes and all("E0950" <= c <= "E0999" for c in codes)
    assert "release 2020-01" in count_line(html)
    assert '<option value="2020-01" selected>' in html and 'value="E0950-E0999"' in html and " checked" in html
    assert all("?release=2020-01" in link for link in re.findall(r'<li><a href="([^"]+)"', html))
    dated = client.get("/", params={"q": "infusion pain", "as_of": "2019-06-01"}).text
    assert "release 2019-01" in count_line(dated) and "/codes/S9328?as_of=2019-06-01" in dated
    # a terminated code is left out unless asked for
    assert "C9034" not in result_codes(client.get("/", params={"q": "C9034", "as_of": "2020-05-01"}).text)
    assert "C9034" in result_codes(client.get("/", params={"q": "C9034", "as_of": "2020-05-01",
                                                           "include_terminated": "1"}).text)


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"q": "pump", "as_of": "2020-13-01"}, 422, "query.as_of: as-of date '2020-13-01' is not a date"),
    ({"q": "pump", "release": "2031"}, 404, "2031-01 is not loaded"),
    ({"q": "pump", "codes": "E0100-"}, 422, "code filter 'E0100-'"),
])
def test_search_with_a_bad_filter_says_so_on_the_page(client: TestClient, params: dict[str, str], status: int,
                                                      message: str) -> None:
    response = client.get("/", params=params)
    assert response.status_code == status and response.headers["content-type"].startswith("text/html")
    alert = re.search(r'<p class="problem" role="alert">(.*?)</p>', response.text)
    assert alert is not None and message in unescape(alert.group(1))
    assert '<form id="search"' in response.text  # the form stays, filled in, to correct


def test_code_page_answers_at_a_glance(client: TestClient) -> None:
    html = client.get("/codes/S9328").text
    glance = re.search(r'<section class="summary".*?</section>', html, re.S)
    assert glance is not None
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", glance.group(0)))
    assert "In use on 2025-10-01" in facts["Status"] and facts["Added"] == "2002-01-01"
    assert facts["Medicare coverage"].startswith("Not payable by Medicare")
    assert facts["Pricing"].startswith("Service not separately priced") and "Undefined codes" in facts["BETOS"]
    assert facts["Not otherwise classified"] == "No"
    assert html.index('class="summary"') < html.index('<table class="fields"')
    assert html.count("<details><summary>Definition</summary>") > 20  # every definition folded
    old = client.get("/codes/C9034", params={"as_of": "2020-05-01"}).text
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", old))
    assert "Terminated on 2020-05-01" in facts["Status"] and facts["Terminated"] == "2018-12-31"
    assert '<a href="/codes/J1095">J1095</a>' in facts["Replaced by"]
    assert 'type="date" value="2020-05-01"' in old


def test_history_shows_the_added_date_and_diff_keeps_its_choices(client: TestClient) -> None:
    history = client.get("/codes/G9890/history").text
    assert "Added 2018-04-01" in history and "CMS added it on 2018-01-01" in history
    diff = client.get("/diff", params={"from": "2019", "to": "2020"}).text
    assert "<option selected>2019-01</option>" in diff and "<option selected>2020-01</option>" in diff
    assert diff.count(" selected>") == 2
    assert "→ <span class=\"muted\">(none)</span>" in diff and ": →" not in diff


@pytest.mark.parametrize(("path", "status", "text"), [
    ("/codes/S9998", 404, '<a href="/codes/S9992">S9992</a>'),
    ("/codes/99213", 422, "CPT"),
    ("/no/such/page", 404, "There is no page at /no/such/page."),
    ("/codes/S9328?release=2031", 404, "release 2031-01 is not loaded"),
    ("/diff?offset=-1", 422, "offset"),
])
def test_errors_on_pages_are_pages(client: TestClient, path: str, status: int, text: str) -> None:
    response = client.get(path)
    assert response.status_code == status and response.headers["content-type"].startswith("text/html")
    assert text in response.text and '<a href="/">Search the codes</a>' in response.text


def test_errors_elsewhere_keep_their_form(client: TestClient) -> None:
    api = client.get("/api/codes/S9998")
    assert api.status_code == 404 and api.json()["error"]["type"] == "not_found"
    assert client.get("/api/nothing").json()["error"]["status"] == 404
    fhir = client.get("/fhir/CodeSystem/other")
    assert fhir.status_code == 404 and fhir.json()["resourceType"] == "OperationOutcome"


def test_docs_are_served_from_the_installed_package(client: TestClient) -> None:
    html = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert "/static/docs/swagger-ui-bundle.js" in assets and "/static/docs.js" in assets
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200 and len(response.content) > 100, url
    assert "SwaggerUIBundle" in client.get("/static/docs/swagger-ui-bundle.js").text
    assert client.get("/static/docs/other.js").status_code == 404
    assert client.get("/redoc", follow_redirects=False).headers["location"] == "/docs"


@pytest.mark.parametrize("path", ["/", "/codes/S9328", "/codes/S9998", "/api/codes/S9328", "/api/search?q=x",
                                  "/fhir/metadata", "/static/style.css", "/docs", "/openapi.json"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"


def test_no_page_has_inline_script_or_style(client: TestClient) -> None:
    for path in ("/", "/?q=pump", "/codes/S9328", "/codes/G9890/history", "/diff", "/releases", "/docs",
                 "/codes/S9998"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html, path


def test_a_submitted_form_lands_on_its_short_url(client: TestClient) -> None:
    response = client.get("/?q=pump&release=&as_of=&codes=&include_terminated=1", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/?q=pump&include_terminated=1"
    assert client.get("/?q=&release=", follow_redirects=False).headers["location"] == "/"


def test_a_kept_page_is_not_served_after_a_new_load(tmp_path: Path) -> None:
    import hcpcs

    from .conftest import ANNUAL

    path = tmp_path / "hcpcs.sqlite"
    with hcpcs.open(path) as db:
        db.load([ANNUAL[2019]])
    with TestClient(create_app(path)) as test_client:
        before = test_client.get("/releases").text
        assert "2019-01" in before and "2020-01" not in before
        assert test_client.get("/releases").text == before  # kept
        with hcpcs.open(path) as db:
            db.load([ANNUAL[2020]])
        assert "2020-01" in test_client.get("/releases").text
        assert "release 2020-01" in count_line(test_client.get("/?q=infusion+pain").text)
