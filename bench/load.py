"""Load every shared release into a fresh database: hcpcs against a naive pandas baseline.

The baseline reads the same code files (every ANWEB text file and spreadsheet in ../shared/cms-hcpcs, in
zips, folders or loose) with pandas (read_fwf for text, read_excel for spreadsheets, every cell as text)
and writes them with DataFrame.to_sql, without joining continuations, typing, comparing, the auxiliary
files or provenance. Target: hcpcs under 10 s for all nine releases on this 2-core machine.
"""

from __future__ import annotations

import io
import sqlite3
import sys
import tempfile
import time
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from _common import CMS

from hcpcs import open as open_db
from hcpcs.model.layout import FIELDS

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
warnings.simplefilter("ignore")


def ours() -> float:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        with open_db(Path(folder) / "hcpcs.sqlite") as db:
            db.load([CMS])
        return time.perf_counter() - start


def code_files() -> Iterator[tuple[str, bytes]]:
    """Every ANWEB code file under the shared folder (not the transaction reports or corrections)."""
    def wanted(name: str) -> bool:
        lower = Path(name).name.lower()
        return ("anweb" in lower and lower.endswith((".txt", ".xls", ".xlsx"))
                and not any(word in lower for word in ("trans", "correction")))

    for path in sorted(CMS.rglob("*")):
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                yield from ((n, archive.read(n)) for n in archive.namelist() if wanted(n))
        elif path.is_file() and wanted(path.name):
            yield path.name, path.read_bytes()


def baseline() -> float:
    colspecs = [s for f in FIELDS for s in f.slices]
    names = [c for f in FIELDS for c in f.columns]
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        con = sqlite3.connect(Path(folder) / "naive.sqlite")
        for number, (name, data) in enumerate(code_files()):
            if name.lower().endswith(".txt"):
                frame = pd.read_fwf(io.BytesIO(data), colspecs=colspecs, names=names, dtype=str, encoding="cp1252",
                                    header=None)
            else:
                frame = pd.read_excel(io.BytesIO(data), dtype=str, header=None)
            frame.to_sql(f"t{number}", con, index=False)
        con.commit()
        con.close()
        return time.perf_counter() - start


a = sorted(ours() for _ in range(RUNS))[RUNS // 2]
b = sorted(baseline() for _ in range(RUNS))[RUNS // 2]
files = sum(1 for _ in code_files())
print(f"hcpcs load of ../shared/cms-hcpcs (9 releases, every file): {a:6.2f} s (median of {RUNS}; target < 10 s)")
print(f"naive pandas read_fwf/read_excel + to_sql ({files} code files): {b:6.2f} s (median of {RUNS})")
print(f"ratio baseline/hcpcs:                                       {b / a:6.2f}x")
