"""Every page with a JSON twin reads its parameters as the twin does: the same request, good or bad, gets the
same status from the page and from ``/api/``, a page's error says the message the JSON error carries, and the
page asked for JSON (``Accept``) gives the twin's very answer. In process, over every release and drug file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from hcpcs.web import create_app

from .conftest import CMS, SHARED, loaded_database


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = loaded_database(tmp_path_factory, "twins", CMS, SHARED / "cms-asp")
    with TestClient(create_app(path), raise_server_exceptions=False) as test_client:
        yield test_client


#: a page and its twin, by the parameters both take (path and query), good and bad
TWINS = [
    ("/codes/S9328", "/api/codes/S9328"),
    ("/codes/s9328?release=2020-04", "/api/codes/s9328?release=2020-04"),
    ("/codes/S9328?release=", "/api/codes/S9328?release="),
    ("/codes/C9034?as_of=2020-05-01", "/api/codes/C9034?as_of=2020-05-01"),
    ("/codes/S9328?release=2020-04&as_of=2020-05-01", "/api/codes/S9328?release=2020-04&as_of=2020-05-01"),
    ("/codes/S9328?release=2020-04&as_of=2025-11-01", "/api/codes/S9328?release=2020-04&as_of=2025-11-01"),
    ("/codes/S9328?release=2031", "/api/codes/S9328?release=2031"),
    ("/codes/S9328?release=20x7", "/api/codes/S9328?release=20x7"),
    ("/codes/S9328?as_of=2020-13-01", "/api/codes/S9328?as_of=2020-13-01"),
    ("/codes/S9328?as_of=", "/api/codes/S9328?as_of="),
    ("/codes/99213", "/api/codes/99213"),
    ("/codes/D0120", "/api/codes/D0120"),
    ("/codes/S93280", "/api/codes/S93280"),
    ("/codes/S9998", "/api/codes/S9998"),
    ("/codes/G9890/history", "/api/codes/G9890/history"),
    ("/codes/S9998/history", "/api/codes/S9998/history"),
    ("/codes/99213/history", "/api/codes/99213/history"),
    ("/ndc/55513-0078-01", "/api/ndc/55513-0078-01"),
    ("/ndc/00052-0602-02?as_of=2024-02-01", "/api/ndc/00052-0602-02?as_of=2024-02-01"),
    ("/ndc/00052-0602-02?as_of=x", "/api/ndc/00052-0602-02?as_of=x"),
    ("/ndc/5551300780", "/api/ndc/5551300780"),
    ("/ndc/55513-0078-09", "/api/ndc/55513-0078-09"),
    ("/?q=infusion+pain", "/api/search?q=infusion+pain"),
    ("/?q=pump&limit=5&offset=5&coverage=D", "/api/search?q=pump&limit=5&offset=5&coverage=D"),
    ("/?q=wheelchair&codes=E0950-E0999&release=2020-01&include_terminated=1",
     "/api/search?q=wheelchair&codes=E0950-E0999&release=2020-01&include_terminated=1"),
    ("/?q=pump&as_of=2020-13-01", "/api/search?q=pump&as_of=2020-13-01"),
    ("/?q=pump&release=2031", "/api/search?q=pump&release=2031"),
    ("/?q=pump&release=20x7", "/api/search?q=pump&release=20x7"),
    ("/?q=pump&release=2020-04&as_of=2025-11-01", "/api/search?q=pump&release=2020-04&as_of=2025-11-01"),
    ("/?q=pump&codes=E0100-", "/api/search?q=pump&codes=E0100-"),
    ("/?q=pump&offset=-1", "/api/search?q=pump&offset=-1"),
    ("/?q=pump&limit=0", "/api/search?q=pump&limit=0"),
    ("/?q=pump&coverage=toolong", "/api/search?q=pump&coverage=toolong"),
    ("/releases", "/api/releases"),
    ("/diff?from=2019&to=2020", "/api/diff?from=2019&to=2020"),
    ("/diff?from=2020-01&to=2020-04&fields=long_description&limit=5&offset=5",
     "/api/diff?from=2020-01&to=2020-04&fields=long_description&limit=5&offset=5"),
    ("/diff?from=2019&to=2031", "/api/diff?from=2019&to=2031"),
    ("/diff?from=2019x&to=2020", "/api/diff?from=2019x&to=2020"),
    ("/diff?from=2019&to=2020&fields=colour", "/api/diff?from=2019&to=2020&fields=colour"),
    ("/diff?from=2019&to=2020&offset=-1", "/api/diff?from=2019&to=2020&offset=-1"),
]


def alert(html: str) -> str:
    found = re.search(r'<p class="problem" role="alert">(.*?)</p>', html, re.S)
    assert found is not None, html[:2000]
    return unescape(found.group(1))


@pytest.mark.parametrize(("page", "twin"), TWINS, ids=[page for page, _ in TWINS])
def test_a_page_and_its_twin_read_the_same_parameters(client: TestClient, page: str, twin: str) -> None:
    html, data = client.get(page), client.get(twin)
    assert html.status_code == data.status_code, (html.status_code, data.text)
    assert html.headers["content-type"].startswith("text/html")
    assert data.headers["content-type"] == "application/json"
    if data.status_code >= 400:
        assert alert(html.text) == data.json()["error"]["message"]
    else:
        assert '<link rel="alternate" type="application/json"' in html.text
    asked = client.get(page, headers={"Accept": "application/json"})  # the page's own view, in its JSON form
    assert asked.status_code == data.status_code and asked.headers["content-type"] == "application/json"
    if data.status_code < 400 and not page.startswith("/?"):  # the search page shows at most 100 hits
        assert asked.content == data.content


def test_a_bad_filter_on_the_search_page_keeps_the_form_as_typed(client: TestClient) -> None:
    response = client.get("/", params={"q": "pump", "as_of": "2020-13-01", "coverage": "I"})
    assert response.status_code == 422
    assert 'value="2020-13-01"' in response.text and '<input type="hidden" name="coverage" value="I">' in response.text


def test_the_search_page_and_diff_page_carry_every_filter_to_the_next_page(client: TestClient) -> None:
    html = client.get("/", params={"q": "injection", "coverage": "I", "limit": 5}).text
    following = re.search(r'<a rel="next" href="([^"]+)">Next 5</a>', html)
    assert following is not None
    second = client.get(unescape(following.group(1)))
    api = client.get("/api/search", params={"q": "injection", "coverage": "I", "limit": 5, "offset": 5}).json()
    assert re.findall(r'<span class="code">([^<]+)</span>', second.text) == [h["code"] for h in api["hits"]]
    diff = client.get("/diff", params={"from": "2020-01", "to": "2020-04", "limit": 10}).text
    assert '/diff?from=2020-01&amp;to=2020-04&amp;limit=10&amp;offset=10">Next 10</a>' in diff
    assert client.get("/diff", params={"from": "2020-01", "to": "2020-04"}).text.count("<tr><th scope=\"row\">") == 35


def test_the_diff_pages_release_picker_keeps_the_fields_and_page_size(client: TestClient) -> None:
    html = client.get("/diff", params={"from": "2020-01", "to": "2020-04", "fields": "long_description",
                                       "limit": 5}).text
    form = re.search(r'<form class="compare".*?</form>', html, re.S)
    assert form is not None
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(0))
    assert hidden == [("fields", "long_description"), ("limit", "5")]
    # submitted with another pair chosen, as a browser sends the form: the same fields, the same page size
    submitted = client.get("/diff", params=[("from", "2020-04"), ("to", "2020-10"), *hidden])
    api = client.get("/api/diff", params={"from": "2020-04", "to": "2020-10", "fields": "long_description"}).json()
    shown = re.findall(r'<tr><th scope="row"><a href="/codes/[^"]+">([^<]+)</a>', submitted.text)
    assert shown == [c["code"] for c in api["changes"]][:5] and len(shown) == 5
    assert 'limit=5&amp;offset=5">Next 5</a>' in submitted.text
