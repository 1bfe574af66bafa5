"""Claim-line validation on real codes: every reason and warning, the single-line path against DuckDB
(a property test over random lines) and Spark, and malformed input files."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hcpcs
from hcpcs.cli import cli
from hcpcs.render.serialize import to_json
from hcpcs.validate.lines import Reference, check_line

# (code, date, modifiers, other codes on the claim) -> (status, reasons, first message, warnings)
CASES = [
    (("S9328", "2020-05-01", ["GA"], []), ("valid", "", "", "not_payable")),
    (("s9328 ", "2020-05-01", [], []), ("valid", "", "", "not_payable")),
    (("99213", "2020-05-01", [], []), ("invalid", "malformed_code", "99213 is not a Level II procedure code", "")),
    (("D0120", "2020-05-01", [], []), ("invalid", "malformed_code", "D0120 is not a Level II procedure code", "")),
    # before the first loaded release (2011-01), that release answers: S9328 was added on 2002-01-01
    (("S9328", "2001-05-01", [], []), ("invalid", "not_yet_effective",
                                       "S9328 is not yet in effect on 2001-05-01: added 2002-01-01",
                                       "not_payable;before_first_release")),
    (("A4206", "2001-05-01", [], []), ("valid", "", "", "before_first_release")),
    (("C9034", "2018-03-01", [], []),
     ("invalid", "not_yet_effective", "C9034 is not yet in effect on 2018-03-01: first in release 2019-01", "")),
    (("S9998", "2020-05-01", [], []), ("invalid", "unknown_code", "S9998 is not in release 2020-04", "")),
    (("C9034", "2020-05-01", [], []),
     ("invalid", "terminated", "C9034 was terminated on 2018-12-31; replaced by J1095", "")),
    (("E0424", "2020-05-01", ["XX"], []),
     ("invalid", "unknown_modifier", "modifier XX is not in release 2020-04", "")),
    (("E0424", "2018-05-01", ["JF"], []),
     ("invalid", "terminated_modifier", "modifier JF was terminated on 2015-06-30", "")),
    (("S9325", "2020-05-01", [], ["S9327"]),
     ("invalid", "pair_conflict", "S9325 is not to be billed with S9327 on the same claim", "not_payable")),
    (("A4252", "2020-05-01", [], []), ("valid", "", "", "not_payable;statute_excluded")),
    (("A4210", "2020-05-01", [], []), ("valid", "", "", "not_payable")),
    (("A9999", "2019-06-01", [], []), ("valid", "", "", "noc")),
    # no NOC list of 2020 is loaded: the nearest (2019) only infers it
    (("A9999", "2020-05-01", [], []), ("valid", "", "", "noc_inferred")),
    # what later releases say: 2019-01 still lists C9034, 2020-01 ends it on 2018-12-31 (after the fact)
    (("C9034", "2019-06-01", [], []), ("valid", "", "", "retroactive_termination")),
    (("C9034", "2018-12-31", [], []),
     ("invalid", "not_yet_effective", "C9034 is not yet in effect on 2018-12-31: first in release 2019-01", "")),
    # G9890 in 2018-01 has its old meaning; 2019-01 says it was re-added on 2018-04-01, with a new one
    (("G9890", "2018-05-01", [], []), ("valid", "", "", "re_added")),
    (("G9890", "2018-03-31", [], []), ("valid", "", "", "")),
]


@pytest.mark.parametrize(("line", "expected"), CASES, ids=[f"{c[0].strip()}-{c[1]}" for c, _ in CASES])
def test_every_reason_and_warning_on_real_codes(db: hcpcs.Hcpcs, line: tuple[str, str, list[str], list[str]],
                                                expected: tuple[str, str, str, str]) -> None:
    code, day, modifiers, others = line
    verdict = db.validate(code, day, modifiers=modifiers, claim_codes=others)
    status, reasons, message, warnings = expected
    assert verdict.status == status
    assert ";".join(verdict.reasons) == reasons
    assert (verdict.messages[0] if verdict.messages else "") == message
    assert ";".join(verdict.warnings) == warnings


def test_several_reasons_on_one_line(db: hcpcs.Hcpcs) -> None:
    verdict = db.validate("C9034", "2020-05-01", modifiers=["XX", "JF", "GA"])
    assert verdict.reasons == ("terminated", "unknown_modifier", "terminated_modifier")


def write_lines(path: Path, lines: list[tuple[str, str, str, str]]) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["claim_id", "code", "date", "modifiers"])
        writer.writerows(lines)


def single_line_rows(db: hcpcs.Hcpcs, lines: list[tuple[str, str, str, str]]) -> list[dict[str, str]]:
    out = []
    for i, (claim, code, day, mods) in enumerate(lines):
        others = [c for j, (k, c, _, _) in enumerate(lines) if j != i and claim.strip() and k.strip() == claim.strip()]
        verdict = db.validate(code, day, modifiers=mods.replace(",", " ").split(), claim_codes=others)
        out.append(to_json(verdict))
    return out


def bulk_rows(path: Path) -> list[dict[str, str]]:
    """The results in input order (the engine writes them as it finishes, each with its line number)."""
    with path.open() as rows:
        ordered = sorted(csv.DictReader(rows), key=lambda r: int(r["line"]))
    assert [int(r["line"]) for r in ordered] == list(range(2, len(ordered) + 2))  # the header is line 1
    return [{k: r[k] for k in ("status", "reasons", "messages", "warnings")} for r in ordered]


CODES = ["S9328", "S9325", "S9327", "S9329", "S9330", "C9034", "J1095", "G9890", "E0424", "A4252", "A9999",
         "S9998", "99213", "D0120", "da", "", "q5111", " j1120 "]
MODIFIERS = ["", "GA", "JF", "XX", "KX", "GA KX", "Q9,GA", "CP", "L1 JF XX GA KX"]


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(["1", "2", "3", ""]), st.sampled_from(CODES),
                          st.dates(dt.date(2000, 6, 1), dt.date(2026, 3, 1)).map(dt.date.isoformat),
                          st.sampled_from(MODIFIERS)), min_size=1, max_size=40))
def test_single_line_and_duckdb_agree(db: hcpcs.Hcpcs, tmp_path_factory: pytest.TempPathFactory,
                                      lines: list[tuple[str, str, str, str]]) -> None:
    folder = tmp_path_factory.mktemp("lines")
    write_lines(folder / "lines.csv", lines)
    summary = db.validate_file(folder / "lines.csv", folder / "out.csv")
    assert summary.lines == len(lines)
    assert bulk_rows(folder / "out.csv") == single_line_rows(db, lines)


@pytest.fixture(scope="module")
def whole_reference(all_loaded: Path) -> Reference:
    with hcpcs.open(all_loaded, readonly=True) as db:
        return db.reference()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(CODES), st.dates(dt.date(2000, 6, 1), dt.date(2026, 3, 1)), st.sampled_from(MODIFIERS),
       st.lists(st.sampled_from(CODES), max_size=3))
def test_one_line_reads_only_its_codes_and_agrees_with_the_whole_reference(
        all_loaded: Path, whole_reference: Reference, code: str, day: dt.date, modifiers: str,
        others: list[str]) -> None:
    with hcpcs.open(all_loaded, readonly=True) as fresh:
        mods = modifiers.replace(",", " ").split()
        alone = fresh.validate(code, day, modifiers=mods, claim_codes=others)  # no reference built: its codes only
        assert fresh._reference is None
    assert alone == check_line(whole_reference, code, day, mods, {c.strip().upper() for c in others})


def all_cases_lines() -> list[tuple[str, str, str, str]]:
    lines = []
    for n, ((code, day, mods, others), _) in enumerate(CASES):
        lines.append((f"c{n}", code, day, " ".join(mods)))
        lines += [(f"c{n}", other, day, "") for other in others]
    return lines


def all_cases_file(folder: Path) -> Path:
    path = folder / "claims.csv"
    write_lines(path, all_cases_lines())
    return path


def test_duckdb_file_gives_every_reason_and_parquet_both_ways(db: hcpcs.Hcpcs, tmp_path: Path) -> None:
    source = all_cases_file(tmp_path)
    summary = db.validate_file(source, tmp_path / "out.parquet")
    assert set(summary.reasons) == {"malformed_code", "not_yet_effective", "unknown_code", "terminated",
                                    "unknown_modifier", "terminated_modifier", "pair_conflict"}
    assert set(summary.warnings) == {"not_payable", "statute_excluded", "noc", "noc_inferred",
                                     "retroactive_termination", "re_added", "before_first_release"}
    again = db.validate_file(tmp_path / "out.parquet", tmp_path / "again.csv",
                             columns=hcpcs.Columns(modifiers=("modifiers",)))
    assert again.lines == summary.lines


def test_spark_gives_the_same_results_as_duckdb(db: hcpcs.Hcpcs, tmp_path: Path) -> None:
    if shutil.which("java") is None:
        pytest.fail("Java is needed for the Spark engine")
    source = all_cases_file(tmp_path)
    duck = db.validate_file(source, tmp_path / "duck.csv", ordered=True)
    spark = db.validate_file(source, tmp_path / "spark.csv", engine="spark")
    assert (tmp_path / "duck.csv").read_text() == (tmp_path / "spark.csv").read_text()
    assert (spark.lines, spark.valid, spark.reasons, spark.warnings) == (
        duck.lines, duck.valid, duck.reasons, duck.warnings)


def test_missing_column_names_it_and_writes_nothing(db: hcpcs.Hcpcs, tmp_path: Path) -> None:
    source = tmp_path / "claims.csv"
    source.write_text("claim,hcpcs,dos\n1,S9328,2020-05-01\n")
    with pytest.raises(hcpcs.InputError, match=r"^claims\.csv: no column 'code', 'date', 'claim_id', 'modifiers' "
                                               r"\(columns: claim, hcpcs, dos\)"):
        db.validate_file(source, tmp_path / "out.csv")
    assert not list(tmp_path.glob("out.csv*"))


def test_bad_date_names_the_line_and_writes_nothing(db: hcpcs.Hcpcs, tmp_path: Path) -> None:
    lines = [("1", "S9328", "2020-05-01", "")] * 5 + [("2", "S9328", "2020-13-45", "")] + \
        [("3", "S9328", "05/01/2020", "")]
    write_lines(tmp_path / "claims.csv", lines)
    with pytest.raises(hcpcs.InputError, match=r"^claims\.csv, line 7, field 'date': date '2020-13-45' is not a "
                                               r"date \(YYYY-MM-DD\); 2 such rows in all"):
        db.validate_file(tmp_path / "claims.csv", tmp_path / "out.csv")
    assert not list(tmp_path.glob("out.csv*"))


def test_cli_one_line_and_a_file(all_loaded: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(all_loaded), "validate", "S9328", "--date", "2020-05-01", "--modifier",
                                 "GA"])
    assert result.exit_code == 0 and result.output.startswith("valid\n")
    result = runner.invoke(cli, ["--db", str(all_loaded), "validate", "C9034", "--date", "2020-05-01"])
    assert result.exit_code == 1
    assert "terminated: C9034 was terminated on 2018-12-31; replaced by J1095" in result.output
    result = runner.invoke(cli, ["--db", str(all_loaded), "validate", "C9034", "--date", "2019-06-01"])
    assert result.exit_code == 0 and result.output == (
        "valid\n  warning: retroactive_termination: a later release ends the code before this date "
        "(CMS set it after the fact)\n")
    result = runner.invoke(cli, ["--db", str(all_loaded), "validate", "S9328"])
    assert result.exit_code == 2 and "--date" in result.output
    result = runner.invoke(cli, ["--db", str(all_loaded), "validate", "S9328", "--date", "2001-05-01"])
    assert result.exit_code == 1 and result.output == (
        "invalid\n  not_yet_effective: S9328 is not yet in effect on 2001-05-01: added 2002-01-01\n"
        "  warning: not_payable: the coverage code says Medicare does not pay for it (I, M or S)\n"
        "  warning: before_first_release: no loaded release was in effect on this date: the earliest loaded release "
        "answers for it\n")
    source = all_cases_file(tmp_path)
    result = runner.invoke(cli, ["--db", str(all_loaded), "validate", str(source), "-o", str(tmp_path / "r.csv"),
                                 "--format", "json"])
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["lines"] == len(all_cases_lines()) and data["reasons"]["terminated"] == 1
    result = runner.invoke(cli, ["--db", str(all_loaded), "rules", "--format", "json"])
    rules = json.loads(result.output)
    assert {"release": "2020-10", "code": "S9329", "other": "S9330",
            "clause": "do not use this code with s9330 or s9331"} in rules


def test_no_release_only_with_none_loaded(tmp_path: Path) -> None:
    with hcpcs.open(tmp_path / "empty.sqlite") as db:
        verdict = db.validate("S9328", "2020-05-01")
        assert verdict.reasons == ("no_release",)
        assert verdict.messages == ("no loaded release is in effect on 2020-05-01",)
        write_lines(tmp_path / "lines.csv", [("1", "S9328", "2020-05-01", "GA")])
        db.validate_file(tmp_path / "lines.csv", tmp_path / "out.csv")
        assert bulk_rows(tmp_path / "out.csv") == single_line_rows(db, [("1", "S9328", "2020-05-01", "GA")])


def test_keep_order_writes_the_input_order(db: hcpcs.Hcpcs, tmp_path: Path) -> None:
    source = all_cases_file(tmp_path)
    db.validate_file(source, tmp_path / "ordered.csv", ordered=True)
    with (tmp_path / "ordered.csv").open() as rows:
        lines = [int(r["line"]) for r in csv.DictReader(rows)]
    assert lines == list(range(2, len(all_cases_lines()) + 2))


def test_results_only_leaves_the_input_columns_out(db: hcpcs.Hcpcs, tmp_path: Path) -> None:
    source = all_cases_file(tmp_path)
    db.validate_file(source, tmp_path / "lean.csv", echo=False)
    db.validate_file(source, tmp_path / "full.csv")
    with (tmp_path / "lean.csv").open() as lean, (tmp_path / "full.csv").open() as full:
        lean_rows, full_rows = list(csv.DictReader(lean)), list(csv.DictReader(full))
    assert list(lean_rows[0]) == ["line", "status", "reasons", "messages", "warnings"]
    by_line = {r["line"]: r for r in full_rows}
    assert all(by_line[r["line"]][k] == r[k] for r in lean_rows for k in r)
