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


def test_search_as_you_type_then_open_a_code(server: str, browser: object) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/")
    box = page.get_by_label("Search codes and descriptions")
    box.press_sequentially("infusion pain", delay=30)
    results = page.locator("#results li")
    page.locator("#results li[data-href=\"/codes/S9328\"]").wait_for(timeout=10_000)
    texts = results.all_inner_texts()
    assert any(t.startswith("S9327") for t in texts) and any(t.startswith("S9328") for t in texts)
    assert page.locator("#results mark").count() > 0  # the matched words are highlighted
    page.screenshot(path=str(ARTIFACTS / "search-infusion-pain.png"))
    # keyboard: arrow down to S9328 and open it with Enter
    position = next(i for i, t in enumerate(texts) if t.startswith("S9328"))
    for _ in range(position + 1):
        box.press("ArrowDown")
    assert results.nth(position).get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_url("**/codes/S9328")
    row = page.locator("tr", has=page.locator("th", has_text="Coverage Code Description"))
    assert "Not payable by Medicare" in row.inner_text()
    assert "Hit pain imp pump diem" in page.locator("h1").inner_text()
    assert "Processing Note Text" in page.content()
    page.screenshot(path=str(ARTIFACTS / "code-S9328.png"), full_page=True)
    page.close()


def test_code_page_as_of_and_history(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/codes/C9034?as_of=2020-05-01")
    assert "Terminated" in page.locator("main").inner_text()
    page.get_by_role("link", name="History").click()
    page.wait_for_url("**/codes/C9034/history")
    assert "replaced by J1095" in page.locator("main").inner_text()
    page.close()
