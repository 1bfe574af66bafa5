"""The code page: the seed pages' label/value pairs, and the same facts in every format."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

import hcpcs
from hcpcs.render.code_page import render
from hcpcs.render.serialize import to_json

from .conftest import SEEDS

SEED_CODES = ("S9327", "S9328", "S9329")


def seed_pairs(code: str) -> list[tuple[str, str]]:
    """(label, value) for every field line of the seed page of ``code``."""
    page = next(p for p in SEEDS.glob("*.txt") if re.search(rf"^{code}$", p.read_text(), re.M))
    pairs = []
    for line in page.read_text(encoding="utf-8").splitlines():
        if "<i>" not in line:
            continue
        cells = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in line.split("\t")]
        pairs.append((cells[0], cells[1]))
    return pairs


@pytest.mark.parametrize("code", SEED_CODES)
def test_text_page_carries_every_seed_pair(annual_2020: Path, code: str) -> None:
    with hcpcs.open(annual_2020, readonly=True) as db:
        text = render(db.get(code), "text")
    lines = {tuple(line.split("\t")[:2]) for line in text.splitlines() if "\t" in line}
    pairs = seed_pairs(code)
    assert len(pairs) >= 20  # the seed pages have 21 field lines; the parse must not come up empty
    for label, value in pairs:
        expected = "2020" if label == "Last Update Date" else value
        assert (label, expected) in lines, f"{code}: missing {label!r} = {expected!r}"


def test_text_page_layout(annual_2020: Path) -> None:
    with hcpcs.open(annual_2020, readonly=True) as db:
        text = render(db.get("S9328"), "text")
    lines = text.splitlines()
    assert lines[0] == "S9328"
    assert lines[2].startswith("HOME INFUSION THERAPY, IMPLANTED PUMP")
    field_lines = [line for line in lines if line.count("\t") == 2]
    labels = [line.split("\t")[0] for line in field_lines]
    # Each coded field is followed by its Description line, in the seed's order.
    assert labels.index("Coverage Code Description") == labels.index("Coverage Code") + 1
    assert labels[-4:] == ["Status", "Last Update Date", "Release", "Record Layout"]
    assert all(line.split("\t")[2] for line in field_lines)  # every field carries its definition
    assert "Contact Information for HCPCS" in text
    assert "hcpcs@cms.hhs.gov" in text


def test_page_goes_beyond_the_seeds(annual_2020: Path) -> None:
    with hcpcs.open(annual_2020, readonly=True) as db:
        code = db.get("S9329")
    assert code.processing_note_text is not None
    assert code.processing_note_text.startswith('"S" CODES ARE UNIQUE TEMPORARY CODES')
    assert [(r.code, r.why) for r in code.related] == [("S9330", "description"), ("S9331", "description")]
    assert code.related[0].short_description == "Hit cont chem diem"
    text = render(code, "text")
    assert "Related Code\tS9330 Hit cont chem diem\t" in text
    assert "Processing Note Text\t\"S\" CODES ARE UNIQUE" in text


def test_json_page_is_typed(annual_2020: Path) -> None:
    with hcpcs.open(annual_2020, readonly=True) as db:
        page = to_json(db.get("s9328"))
    assert page["code"] == "S9328"
    assert page["coverage"] == {"code": "I", "meaning": "Not payable by Medicare"}
    assert page["pricing_indicators"][0]["code"] == "00"
    assert page["added_date"] == "2002-01-01"
    assert page["termination_date"] is None
    assert page["anesthesia_base_units"] == 0
    assert page["processing_note"]["number"] == "0088"
    assert page["status"] == "Actual" and page["last_update"] == 2020
    assert page["source"]["file"].endswith("HCPC2020_ANWEB_w_disclaimer.txt")
    assert page["source"]["line"] > 9


def test_markdown_and_html_carry_the_same_lines(annual_2020: Path) -> None:
    with hcpcs.open(annual_2020, readonly=True) as db:
        code = db.get("S9328")
    text_lines = [line.split("\t") for line in render(code, "text").splitlines() if line.count("\t") == 2]
    markdown = render(code, "markdown")
    page = render(code, "html")
    for label, value, _ in text_lines:
        assert f"| {label} | {value.replace('|', chr(92) + '|')} |" in markdown
        assert f'<th scope="row">{html.escape(label)}</th><td>{html.escape(value)}</td>' in page
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page


def test_modifier_page(db: hcpcs.Hcpcs) -> None:
    code = db.get(" ga ")
    assert code.kind == "modifier"
    assert code.long_description == "Waiver of liability statement issued as required by payer policy, individual case"
    assert code.coverage is not None and code.coverage.meaning == "Carrier judgment"


def test_terminated_code_shows_terminated(db: hcpcs.Hcpcs) -> None:
    # G0503 ended 2017-12-31 and is still listed (CMS keeps discontinued codes four years).
    code = db.get("G0503", release="2019")
    assert code.termination_date is not None and code.termination_date.isoformat() == "2017-12-31"
    assert code.status == "Terminated" and not code.active
    assert code.cross_references == ("99493",)
    assert "Status\tTerminated" in render(code, "text")


def test_noc_flag_from_noc_list(db: hcpcs.Hcpcs) -> None:
    assert db.get("A0999", release="2019").noc is True
    assert db.get("S9328", release="2019").noc is False
    assert db.get("A0999", release="2019").noc_list_year == 2019


def test_page_says_what_cms_transaction_report_says(db: hcpcs.Hcpcs) -> None:
    added = db.get("C9053", release="2020-04")  # from 2020-04-trans-alpha.xlsx, loaded beside the release
    assert added.transaction_report is not None
    assert (added.transaction_report.action, added.transaction_report.change) == ("A", "ADD")
    assert "Transaction Report\tADD (A)\tWhat CMS's transaction report of release 2020-04 says of this code " \
           "(line 11)." in render(added, "text")
    assert to_json(db.get("S9328", release="2019"))["transaction_report"]["change"] == "No Change"
    # the 2020 zip's report says No Change for C9034, though 2020-01 gave it a termination date of 2018-12-31
    # (set after the fact): the page shows both, so a reader sees what the report left out
    ended = db.get("C9034", release="2020")
    assert ended.transaction_report is not None and ended.transaction_report.change == "No Change"
    assert ended.termination_date is not None and ended.termination_date.isoformat() == "2018-12-31"
