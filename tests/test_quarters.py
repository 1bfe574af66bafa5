"""``hcpcs quarters`` and ``/api/quarters``: every loaded quarter of CMS's drug files, on the shared files; and
the drug quarters after the releases in ``hcpcs releases``' text."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from hcpcs.cli import cli

from .conftest import CMS, loaded_database
from .test_drugs import ASP, CROSSWALK, PRICING_2024, PRICING_2025, data_rows

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

#: the shared drug files: (kind, quarter, effective from, to, file, the first header of its rows)
FILES = [("ndc_crosswalk", "2024-01", "2024-01-01", "2024-03-31", CROSSWALK, "_2023_CODE"),
         ("payment_limits", "2024-01", "2024-01-01", "2024-03-31", PRICING_2024, "HCPCS Code"),
         ("payment_limits", "2025-10", "2025-10-01", "2025-12-31", PRICING_2025, "HCPCS Code")]


@pytest.fixture(scope="module")
def quarters_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One release and every drug file in ../shared/cms-asp."""
    return loaded_database(tmp_path_factory, "quarters", CMS / "2020-10-anweb.xlsx", ASP)


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], terminal_width=80)
    return result.exit_code, result.output


def test_every_drug_file_is_listed_with_its_period_file_sha256_and_rows(quarters_db: Path) -> None:
    code, out = run(quarters_db, "quarters", "--format", "json")
    assert code == 0
    found = json.loads(out)
    assert [(q["kind"], q["quarter"], q["effective_from"], q["effective_to"]) for q in found] == [
        f[:4] for f in FILES]
    for quarter, (*_, path, header) in zip(found, FILES, strict=True):
        assert quarter["source"] == path.name
        assert quarter["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert quarter["rows"] == len(data_rows(path, header))  # every row of the file, counted by plain csv


def test_every_form_holds_the_same_quarters(quarters_db: Path) -> None:
    answers = {fmt: run(quarters_db, "quarters", "--format", fmt) for fmt in ("table", "text", "json", "ndjson", "csv")}
    assert all(code == 0 for code, _ in answers.values()), answers
    assert answers["table"] == answers["text"] == run(quarters_db, "quarters")
    document = json.loads(answers["json"][1])
    assert [json.loads(line) for line in answers["ndjson"][1].splitlines()] == document
    rows = list(csv.DictReader(io.StringIO(answers["csv"][1])))
    assert rows == [{key: str(value) for key, value in q.items()} for q in document]
    text = answers["text"][1].splitlines()
    assert text[0].split() == ["NDC", "crosswalk", "2024-01", "2024-01-01", "to", "2024-03-31", "6,684", "rows",
                               document[0]["sha256"][:12]]
    assert text[1] == "  " + CROSSWALK.name
    assert [line.split()[:2] for line in text[2::2]] == [["payment", "limits"]] * 2
    assert max(len(line) for line in text) <= 80


def test_releases_text_lists_the_drug_quarters_after_the_releases_and_its_other_forms_the_releases_only(
        quarters_db: Path) -> None:
    code, out = run(quarters_db, "releases")
    assert code == 0
    releases, quarters = out.split("\nDrug files (hcpcs quarters):\n")
    assert "2020-10" in releases and "6,684 rows" not in releases
    assert quarters == run(quarters_db, "quarters")[1]
    code, out = run(quarters_db, "releases", "--format", "json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["2020-10"]


def test_with_no_drug_file_loaded_the_list_is_empty(annual_2020: Path) -> None:
    assert run(annual_2020, "quarters", "--format", "json") == (0, "[]\n")
    code, out = run(annual_2020, "quarters")
    assert code == 0 and out.startswith("no drug files loaded") and "hcpcs load" in out
    assert "Drug files" not in run(annual_2020, "releases")[1]


@pytest.fixture(scope="module")
def client(quarters_db: Path) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from hcpcs.web import create_app

    with TestClient(create_app(quarters_db), raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_json_api_gives_what_the_command_gives(client: TestClient, quarters_db: Path) -> None:
    answer = client.get("/api/quarters")
    assert answer.status_code == 200
    assert answer.json() == json.loads(run(quarters_db, "quarters", "--format", "json")[1])
