"""The web pages in a real browser: Debian's chromium, driven by Playwright, against ``hcpcs serve`` on
127.0.0.1 in its own process. Screenshots are kept in tests/artifacts/ (not committed)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def server(all_loaded: Path) -> Iterator[str]:
    with serving(all_loaded) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


PAGES = {  # name: path, and what the page must show
    "search": ("/?q=infusion+pain", "S9328"),
    "code": ("/codes/S9328", "At a glance"),
    "code-terminated": ("/codes/C9034?as_of=2020-05-01", "Replaced by"),
    "history": ("/codes/G9890/history", "Added 2018-04-01"),
    "diff": ("/diff?from=2019&to=2020", "Changes from 2019-01 to 2020-01"),
    "releases": ("/releases", "Loaded releases"),
    "error": ("/codes/S9998", "Codes near it"),
    "docs": ("/docs", "/api/codes/{code}"),
}
WIDTHS = (1280, 390)
SERIOUS = ("serious", "critical")


class Visit:
    """A browser context at one width that records every request its pages make."""

    def __init__(self, browser: object, server: str, width: int, javascript: bool = True) -> None:
        self.server = server
        self.context = browser.new_context(viewport={"width": width, "height": 900},  # type: ignore[attr-defined]
                                           java_script_enabled=javascript)
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()

    def close(self) -> None:
        self.context.close()
        assert self.requests, "no request was recorded"
        elsewhere = [url for url in self.requests if not url.startswith(("http://127.0.0.1:", "data:"))]
        assert not elsewhere, f"requests left 127.0.0.1: {elsewhere}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_screenshot_offline_and_accessible(server: str, browser: object, name: str, width: int) -> None:
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path, shows = PAGES[name]
    visit = Visit(browser, server, width)
    page = visit.page
    page.goto(server + path)
    page.get_by_text(shows, exact=False).first.wait_for(timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    violations = Axe().run(page).response["violations"]
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
           if v["impact"] in SERIOUS]
    assert not bad, bad
    visit.close()


def test_search_as_you_type_then_open_a_code_by_keyboard(server: str, browser: object) -> None:
    visit = Visit(browser, server, 1280)
    page = visit.page
    page.goto(server + "/")
    box = page.get_by_label("Search codes and descriptions")
    box.press_sequentially("infusion pain", delay=30)
    # the address bar follows the query (a bookmark, a link, the back button) once its results are in
    page.wait_for_url("**/?q=infusion+pain", timeout=10_000)
    page.locator('#results a[href="/codes/S9328"]').wait_for(timeout=10_000)
    assert page.locator("#results mark").count() > 0  # the matched words are highlighted
    # an abbreviation says what it was read as
    box.fill("inj naloxone")
    page.locator('#results li:has(a[href="/codes/J2312"]) .why').wait_for(timeout=10_000)
    assert "inj: injection" in page.locator('#results li:has(a[href="/codes/J2312"]) .why').inner_text()
    box.fill("infusion pain")
    page.wait_for_url("**/?q=infusion+pain", timeout=10_000)
    page.locator('#results a[href="/codes/S9328"]').wait_for(timeout=10_000)
    links = page.locator("#results a")
    position = next(i for i, t in enumerate(links.all_inner_texts()) if t.startswith("S9328"))
    box.press("ArrowDown")
    for _ in range(position):
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/codes/S9328"
    page.keyboard.press("Enter")
    page.wait_for_url("**/codes/S9328")
    row = page.locator("tr", has=page.locator("th", has_text="Coverage Code Description"))
    assert "Not payable by Medicare" in row.inner_text()
    assert "Hit pain imp pump diem" in page.locator("h1").inner_text()
    page.go_back()
    page.wait_for_url("**/?q=infusion+pain")
    assert page.get_by_label("Search codes and descriptions").input_value() == "infusion pain"
    visit.close()


def test_search_paging_and_code_page_without_javascript(server: str, browser: object) -> None:
    visit = Visit(browser, server, 390, javascript=False)
    page = visit.page
    page.goto(server + "/")
    page.get_by_label("Search codes and descriptions").fill("infusion pain")
    page.get_by_label("Include terminated codes").check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/?q=infusion+pain&include_terminated=1")
    count = page.locator("#count").inner_text()
    assert "showing 1–20" in count
    first = page.locator("#results a").all_inner_texts()
    page.get_by_role("link", name="Next 20").click()
    assert "showing 21–40" in page.locator("#count").inner_text()
    assert not set(first) & set(page.locator("#results a").all_inner_texts())
    assert page.get_by_label("Include terminated codes").is_checked()  # the filters are kept from page to page
    page.get_by_role("link", name="Previous 20").click()
    page.locator('#results a[href="/codes/S9328"]').click()
    page.wait_for_url("**/codes/S9328")
    assert "In use on 2025-10-01" in page.locator(".summary").inner_text()
    definition = page.locator("tr", has=page.locator("th", has_text="Coverage Code Description")).locator("details")
    assert not definition.locator("text=Description of").is_visible()
    definition.locator("summary").click()  # the definitions open without JavaScript
    assert definition.locator("text=Description of").is_visible()
    page.get_by_label("See S9328 as of a date of service").fill("2019-06-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/codes/S9328?as_of=2019-06-01")
    assert "In use on 2019-06-01" in page.locator(".summary").inner_text()
    assert "2019-01 (effective 2019-01-01)" in page.locator(".summary").inner_text()
    page.screenshot(path=str(ARTIFACTS / "code-no-javascript-390.png"), full_page=True)
    visit.close()


def test_code_page_prints_with_its_definitions(server: str, browser: object) -> None:
    visit = Visit(browser, server, 1280)
    page = visit.page
    page.goto(server + "/codes/S9328")
    page.emulate_media(media="print")
    assert not page.locator("header nav").is_visible() and not page.locator(".on-date").is_visible()
    definition = page.locator("tr", has=page.locator("th", has_text="Coverage Code Description")).locator("details")
    assert definition.locator("text=Description of").is_visible()
    page.screenshot(path=str(ARTIFACTS / "code-print.png"), full_page=True)
    visit.close()


def test_code_page_as_of_and_history(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/codes/C9034?as_of=2020-05-01")
    assert "Terminated" in page.locator("main").inner_text()
    page.get_by_role("link", name="History").click()
    page.wait_for_url("**/codes/C9034/history")
    assert "replaced by J1095" in page.locator("main").inner_text()
    page.close()
