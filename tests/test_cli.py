"""The hcpcs command: exit codes, formats, idempotent loads, conflicts, and help for every command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hcpcs.cli import cli

from .conftest import ANNUAL, CMS, LATEST, RELEASES, ROOT, db_digest, free_port


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("typed", ["S9328", "s9328", "  s9328 "])
def test_show_found(all_loaded: Path, typed: str) -> None:
    code, out = run(all_loaded, "show", typed, "--release", "2020-01")
    assert code == 0
    assert out.startswith("S9328\n")
    assert "Coverage Code Description\tNot payable by Medicare\t" in out


def test_show_modifier(all_loaded: Path) -> None:
    code, out = run(all_loaded, "show", "GA")
    assert code == 0 and out.startswith("GA\n") and "Waiver of liability" in out


def test_show_unknown_code_names_release_and_near_codes(all_loaded: Path) -> None:
    code, out = run(all_loaded, "show", "S9998")
    assert code == 1
    assert out.strip() == ("Error: S9998 is not in release 2025-10; near codes: S9992, S9994, S9996, S9999, "
                           "T1000, T1001")


def test_show_code_of_another_release_says_where(all_loaded: Path) -> None:
    # G0503 was dropped after 2019 (discontinued codes stay four years, this one less).
    code, out = run(all_loaded, "show", "G0503", "--release", "2020-10")
    assert code in (0, 1)
    if code == 1:
        assert "it is in release" in out


@pytest.mark.parametrize(("typed", "why"), [
    ("S93", "is not an HCPCS Level II code"),
    ("99213", "CPT (Level I)"),
    ("D0120", "CDT (dental)"),
    ("25", "CPT (Level I) modifier"),
    ("'; DROP TABLE records; --", "is not an HCPCS Level II code"),
])
def test_show_malformed_code_is_usage_error(all_loaded: Path, typed: str, why: str) -> None:
    code, out = run(all_loaded, "show", typed)
    assert code == 2
    assert out.startswith("Error: ") and why in out and out.count("\n") == 1


def test_show_unknown_release(all_loaded: Path) -> None:
    code, out = run(all_loaded, "show", "S9328", "--release", "2017")
    assert code == 1 and "release 2017-01 is not loaded" in out
    code, out = run(all_loaded, "show", "S9328", "--release", "20x7")
    assert code == 2 and "not a release id" in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
def test_show_formats(all_loaded: Path, fmt: str) -> None:
    code, out = run(all_loaded, "show", "S9329", "--format", fmt, "--release", "2020")
    assert code == 0
    if fmt == "json":
        assert json.loads(out)["related_codes"][0]["code"] == "S9330"
    else:
        assert "S9330" in out and "Not payable by Medicare" in out


def test_releases_lists_sources(all_loaded: Path) -> None:
    code, out = run(all_loaded, "releases", "--format", "json")
    assert code == 0
    found = json.loads(out)
    assert [r["id"] for r in found] == RELEASES
    assert all(len(f["sha256"]) == 64 for r in found for f in r["files"])


def test_check_lists_disagreements(all_loaded: Path) -> None:
    code, out = run(all_loaded, "check", "2019", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert len(report["disagreements"]) == 131
    code, out = run(all_loaded, "check", "2018")
    assert "5 repairs" in out and "C9488" in out


def test_load_twice_is_a_no_op(tmp_path: Path) -> None:
    db = tmp_path / "twice.sqlite"
    assert run(db, "load", "--silent", str(ANNUAL[2019]))[0] == 0
    before = db_digest(db)
    code, out = run(db, "load", str(ANNUAL[2019]))
    assert code == 0 and "unchanged" in out
    assert db_digest(db) == before


def test_other_file_claiming_a_loaded_release(tmp_path: Path) -> None:
    db = tmp_path / "conflict.sqlite"
    assert run(db, "load", "--silent", str(CMS / "2020-04-anweb.xlsx"))[0] == 0
    before = db_digest(db)
    impostor = tmp_path / "2020-04-anweb.xlsx"
    shutil.copy(CMS / "2020-10-anweb.xlsx", impostor)
    code, out = run(db, "load", str(impostor))
    assert code == 1 and "release 2020-04 is already loaded from other files" in out and "--replace" in out
    assert db_digest(db) == before
    code, out = run(db, "load", "--replace", str(impostor))
    assert code == 0 and "replaced" in out
    code, out = run(db, "show", "--format", "json", "S9328", "--release", "2020-04")
    assert code == 0


def test_release_from_content_and_override(tmp_path: Path) -> None:
    db = tmp_path / "named.sqlite"
    bare = tmp_path / "anweb.xlsx"
    shutil.copy(CMS / "2020-10-anweb.xlsx", bare)
    code, out = run(db, "load", str(bare))
    assert code == 0 and "content" in out
    code, out = run(db, "releases", "--format", "json")
    assert [r["id"] for r in json.loads(out)] == ["2020-10"]
    other = tmp_path / "codes.xlsx"
    shutil.copy(CMS / "2020-04-anweb.xlsx", other)
    assert run(db, "load", "--silent", "--release", "2020-04", str(other))[0] == 0
    code, out = run(db, "releases", "--format", "json")
    assert [r["id"] for r in json.loads(out)] == ["2020-04", "2020-10"]


def test_no_database_yet(tmp_path: Path) -> None:
    code, out = run(tmp_path / "none.sqlite", "show", "S9328")
    assert code == 1 and "no database at" in out and "hcpcs load" in out


def test_not_an_hcpcs_database(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    import sqlite3

    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.close()
    code, out = run(other, "releases")
    assert code == 1 and "not an hcpcs database" in out


def test_every_command_has_help_and_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        assert command.help and command.help.strip(), name
        assert f"hcpcs {name}" in readme, f"README does not document hcpcs {name}"
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0


def test_console_script_and_env_db(all_loaded: Path) -> None:
    """The installed ``hcpcs`` script, with the database named by $HCPCS_DB."""
    exe = shutil.which("hcpcs") or f"{sys.executable} -m hcpcs"
    env = {**os.environ, "HCPCS_DB": str(all_loaded)}
    done = subprocess.run([*exe.split(), "show", "S9328", "--format", "json"], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["release"]["id"] == LATEST
    done = subprocess.run([*exe.split(), "show", "nonsense!"], capture_output=True, text=True, env=env,
                          check=False)
    assert done.returncode == 2 and done.stderr.startswith("Error: ")


def test_show_as_of(all_loaded: Path) -> None:
    code, out = run(all_loaded, "show", "C9034", "--as-of", "2020-05-01")
    assert code == 0 and "Status\tTerminated\t" in out and "Replaced By\tJ1095\t" in out
    assert "Release\t2020-04\t" in out
    code, out = run(all_loaded, "show", "C9034", "--as-of", "2018-03-01")
    assert code == 1 and out.strip() == ("Error: C9034 was not yet in effect on 2018-03-01: added 2018-10-01 "
                                         "(release 2019-01)")
    code, out = run(all_loaded, "show", "C9034", "--as-of", "03/01/2018")
    assert code == 2 and "is not a date: write YYYY-MM-DD" in out
    code, out = run(all_loaded, "show", "C9034", "--as-of", "2020-05-01", "--release", "2020")
    assert code == 2 and "not both" in out


def test_history_text_and_json(all_loaded: Path) -> None:
    code, out = run(all_loaded, "history", "c9034")
    assert code == 0 and "terminated 2018-12-31; replaced by J1095" in out
    code, out = run(all_loaded, "history", "G9890", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["reused"] is True and [e["action"] for e in data["events"]] == ["A", "A"]
    code, out = run(all_loaded, "history", "99213")
    assert code == 2 and "CPT" in out


def test_diff_formats(all_loaded: Path) -> None:
    code, out = run(all_loaded, "diff", "2020-01", "2020-04")
    assert code == 0 and out.startswith("HCPCS 2020-01 -> 2020-04: 35 codes changed (A 18, C 14, D 1, F 2)")
    assert "G1000  D  Cdsm applied pathways\n    terminated 2020-03-31" in out
    code, out = run(all_loaded, "diff", "2020-01", "2020-04", "--format", "json")
    data = json.loads(out)
    assert data["counts"] == {"A": 18, "C": 14, "D": 1, "F": 2} and len(data["changes"]) == 35
    code, out = run(all_loaded, "diff", "2019", "2020", "--format", "csv", "--fields", "coverage")
    rows = out.splitlines()
    assert rows[0].startswith("code,action,actions,field,old,new,old_meaning,new_meaning")
    assert "B4105,F,F,coverage,D,C,Special coverage instructions apply,Carrier judgment" in out
    code, out = run(all_loaded, "diff", "2019", "2020", "--fields", "colour")
    assert code == 2 and "unknown field 'colour'" in out
    code, out = run(all_loaded, "diff", "2019", "2031")
    assert code == 1 and "release 2031-01 is not loaded" in out


def test_diff_against_report(all_loaded: Path) -> None:
    report = CMS / "2020-04-trans-alpha.xlsx"
    code, out = run(all_loaded, "diff", "2020-01", "2020-04", "--against-report", str(report))
    assert code == 0
    assert "agree on 7085 codes (A 18, C 4, D 1, N 7062); differ on 12" in out
    assert "G9448\tours C\treport N\tencoding\t" in out
    code, out = run(all_loaded, "diff", "2020-01", "2020-04", "--against-report", str(report), "--format", "csv")
    assert out.splitlines()[0] == "code,ours,report,groups,reason,evidence" and len(out.splitlines()) == 13
    code, loaded = run(all_loaded, "diff", "2020-01", "2020-04", "--format", "csv", "--against-report")
    assert code == 0 and loaded == out  # alone: the report loaded with 2020-04
    code, out = run(all_loaded, "diff", "2020-01", "2020-04", "--against-report", "no-such-report.xlsx")
    assert code == 2 and "no-such-report.xlsx: no such file" in out


def test_search_takes_its_words_quoted_or_not(all_loaded: Path) -> None:
    quoted = run(all_loaded, "search", "insulin pump", "--format", "csv", "--limit", "5")
    loose = run(all_loaded, "search", "insulin", "pump", "--format", "csv", "--limit", "5")
    assert quoted[0] == loose[0] == 0 and quoted[1] == loose[1]
    assert "S9145,Insulin pump initiation" in loose[1]
    code, out = run(all_loaded, "search")
    assert code == 2 and "Missing argument" in out


@pytest.mark.parametrize(("command", "other"), [
    (["releases"], "text"), (["history", "G9890"], "table"), (["corrections", "2019"], "text"),
    (["show", "S9328"], "table"), (["check", "2019"], "text"),
])
def test_table_and_text_are_one_format_on_every_command(all_loaded: Path, command: list[str], other: str) -> None:
    plain = run(all_loaded, *command)
    named = run(all_loaded, *command, "--format", other)
    assert plain[0] == named[0] == 0, named
    assert plain[1] == named[1]


def test_serve_says_where_it_serves(all_loaded: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "hcpcs", "--db", str(all_loaded), "serve", "--port", str(port)],
                              stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert line.startswith(f"Serving {all_loaded} at http://127.0.0.1:{port}/ "), line


def test_update_from_a_relative_folder(tmp_path: Path) -> None:
    """A folder given as a relative path (as the README's examples do) is read, not a traceback."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "hcpcs", "--db", str(tmp_path / "db.sqlite"), "update",
                           "--from-dir", os.path.relpath(CMS, ROOT), "--dry-run"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "would load 2016-Alpha-Numeric-HCPCS-File" in done.stdout
    assert "would load hcpcs-2025.zip" in done.stdout
