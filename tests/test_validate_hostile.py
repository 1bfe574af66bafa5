"""Hostile claim files for ``hcpcs validate``: ragged rows, huge cells, and interrupts, each ending in one
line naming the file and the physical line of the input (its header is line 1), with no file left behind."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import hcpcs
from hcpcs import InputError

HEADER = "claim_id,code,date,modifiers\n"
GOOD = "c{n},S9328,2020-05-01,GA\n"


@pytest.fixture
def db(annual_2020: Path) -> Iterator[hcpcs.Hcpcs]:
    with hcpcs.open(annual_2020, readonly=True) as handle:
        yield handle


def claims(path: Path, odd: str, *, before: int = 2, after: int = 3) -> Path:
    """A claims file whose line ``before + 2`` is ``odd`` (the header is line 1)."""
    path.write_text(HEADER + "".join(GOOD.format(n=n) for n in range(before)) + odd +
                    "".join(GOOD.format(n=n) for n in range(before, before + after)))
    return path


def refused(db: hcpcs.Hcpcs, source: Path, *expect: str) -> str:
    output = source.with_name("out.csv")
    with pytest.raises(InputError) as caught:
        db.validate_file(source, output)
    message = str(caught.value)
    for part in expect:
        assert part in message, message
    assert "\n" not in message and len(message) < 300, message
    assert list(source.parent.glob("out.csv*")) == []
    return message


@pytest.mark.parametrize(("row", "said"), [("c9,S9328,2020-05-01,GA,extra,more\n", "more"),
                                           ("c9,S9328\n", "fewer")])
def test_ragged_row_names_its_line(db: hcpcs.Hcpcs, tmp_path: Path, row: str, said: str) -> None:
    refused(db, claims(tmp_path / "claims.csv", row), "claims.csv, line 4: ",
            f"{said} fields than the 4 columns of the header")


@pytest.mark.parametrize("rows_before", [2, 30_000])  # inside and past the rows DuckDB samples
def test_bad_date_names_its_physical_line(db: hcpcs.Hcpcs, tmp_path: Path, rows_before: int) -> None:
    refused(db, claims(tmp_path / "claims.csv", "c9,S9328,2020-13-01,\n", before=rows_before),
            f"claims.csv, line {rows_before + 2}, field 'date'", "'2020-13-01' is not a date")


def test_date_of_a_megabyte_is_named_cut(db: hcpcs.Hcpcs, tmp_path: Path) -> None:
    refused(db, claims(tmp_path / "claims.csv", "c9,S9328," + "2" * 1_000_000 + ",\n"),
            "line 4, field 'date'", "'2222222222", "... (1,000,000 characters) is not a date")


def test_code_of_a_megabyte_is_malformed_and_echoed_cut(db: hcpcs.Hcpcs, tmp_path: Path) -> None:
    source = claims(tmp_path / "claims.csv", "c9," + "S" * 1_000_000 + ",2020-05-01,\n")
    summary = db.validate_file(source, tmp_path / "out.csv", ordered=True)
    assert (summary.lines, summary.valid) == (6, 5)
    with (tmp_path / "out.csv").open() as rows:
        results = list(csv.DictReader(rows))
    assert [int(r["line"]) for r in results] == [2, 3, 4, 5, 6, 7]  # the physical lines of the input
    odd = results[2]
    assert odd["code"] == "S" * 40 + "..."
    assert (odd["reasons"], odd["messages"]) == ("malformed_code", "S" * 40 + "... is not a Level II procedure code")


@pytest.mark.parametrize(("signum", "said", "code"), [(signal.SIGINT, "interrupted (Ctrl-C)", 130),
                                                      (signal.SIGTERM, "terminated (SIGTERM)", 143)])
def test_interrupt_ends_in_one_line_and_leaves_no_file(annual_2020: Path, tmp_path: Path, signum: int, said: str,
                                                       code: int) -> None:
    source = tmp_path / "claims.csv"
    with source.open("w") as out:
        out.write(HEADER)
        out.writelines(GOOD.format(n=n) for n in range(1_500_000))
    output = tmp_path / "results.parquet"
    part = tmp_path / "results.parquet.part"
    process = subprocess.Popen([sys.executable, "-m", "hcpcs", "--db", str(annual_2020), "validate", str(source),
                                "-o", str(output)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not part.exists() and process.poll() is None:  # until the results are being written
        time.sleep(0.01)
    assert process.poll() is None, "the validation ended before it could be interrupted"
    os.kill(process.pid, signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    message = stderr.strip()
    assert message == f"Error: {said}; validation stopped: nothing written to {output}", stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.csv"]
