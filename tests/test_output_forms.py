"""Every read command writes every form: table (text the same), json, ndjson, csv; tables fit 80 columns."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hcpcs.cli import cli

READ_COMMANDS = {
    "releases": ["releases"],
    "show": ["show", "S9328"],
    "history": ["history", "G9890"],
    "diff": ["diff", "2020-01", "2020-04"],
    "diff against the report": ["diff", "2020-01", "2020-04", "--against-report"],
    "corrections": ["corrections", "2019"],
    "rules": ["rules", "--release", "2020-01"],
    "search": ["search", "insulin", "pump"],
    "check": ["check", "2019"],
    "validate": ["validate", "S9328", "--date", "2020-05-01"],
}


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], terminal_width=80)
    return result.exit_code, result.output


@pytest.mark.parametrize("name", READ_COMMANDS)
def test_every_read_command_writes_every_form(all_loaded: Path, name: str) -> None:
    command = READ_COMMANDS[name]
    answers = {fmt: run(all_loaded, *command, "--format", fmt) for fmt in ("table", "text", "json", "ndjson", "csv")}
    for fmt, (code, out) in answers.items():
        assert code == 0 and out.strip(), (fmt, out[:500])
    assert answers["table"] == answers["text"] == run(all_loaded, *command)  # table is the default, text its alias
    document = json.loads(answers["json"][1])
    records = [json.loads(line) for line in answers["ndjson"][1].splitlines()]
    assert records and all(isinstance(r, dict) for r in records)
    rows = list(csv.DictReader(io.StringIO(answers["csv"][1])))
    assert rows and all(None not in row for row in rows)  # no row longer than the header
    if isinstance(document, list):  # a list: ndjson is the same records, a line each
        assert records == document


def test_an_unknown_form_is_a_usage_error(all_loaded: Path) -> None:
    code, out = run(all_loaded, "releases", "--format", "xml")
    assert code == 2 and "'xml' is not one of" in out and "ndjson" in out


@pytest.mark.parametrize("name", ["releases", "corrections", "rules", "search"])
def test_tables_fit_80_columns_with_headers_whole(all_loaded: Path, name: str) -> None:
    code, out = run(all_loaded, *READ_COMMANDS[name])
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80, out
    assert "…" not in out  # nothing cut short with an ellipsis


def test_quiet_is_on_every_command_with_a_progress_bar(tmp_path: Path) -> None:
    for command in ("load", "update", "validate"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert "-q, --quiet" in result.output, command
