"""Load every shared release into a fresh database: hcpcs against a naive pandas baseline.

The baseline reads the same code files with pandas (read_fwf for text, read_excel for spreadsheets) and
writes them with DataFrame.to_sql, without joining continuations, typing, comparing or provenance.
Target: hcpcs under 5 s on this 2-core machine.
"""

from __future__ import annotations

import io
import sqlite3
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import pandas as pd
from _common import CMS

from hcpcs import open as open_db
from hcpcs._layout import FIELDS

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
warnings.simplefilter("ignore")


def ours() -> float:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        with open_db(Path(folder) / "hcpcs.sqlite") as db:
            db.load([CMS])
        return time.perf_counter() - start


def baseline() -> float:
    colspecs = [s for f in FIELDS for s in f.slices]
    names = [c for f in FIELDS for c in f.columns]
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        con = sqlite3.connect(Path(folder) / "naive.sqlite")
        for year in (2018, 2019, 2020):
            with zipfile.ZipFile(CMS / f"{year}-Alpha-Numeric-HCPCS-File.zip") as archive:
                for name in archive.namelist():
                    if "anweb" not in name.lower():
                        continue
                    data = io.BytesIO(archive.read(name))
                    if name.lower().endswith(".txt"):
                        frame = pd.read_fwf(data, colspecs=colspecs, names=names, dtype=str, encoding="cp1252",
                                            skiprows=9, header=None)
                    else:
                        frame = pd.read_excel(data, dtype=str, skiprows=10)
                    frame.to_sql(f"r{year}_{name[-4:].strip('.')}", con, index=False)
        for month in ("04", "10"):
            pd.read_excel(CMS / f"2020-{month}-anweb.xlsx", dtype=str, skiprows=10).to_sql(
                f"r2020_{month}", con, index=False)
        con.commit()
        con.close()
        return time.perf_counter() - start


a = sorted(ours() for _ in range(RUNS))[RUNS // 2]
b = sorted(baseline() for _ in range(RUNS))[RUNS // 2]
print(f"hcpcs load (5 releases + NOC, text and sheet compared): {a:6.2f} s (median of {RUNS}; target < 5 s)")
print(f"naive pandas read_fwf/read_excel + to_sql:              {b:6.2f} s (median of {RUNS})")
print(f"ratio baseline/hcpcs:                                   {b / a:6.2f}x")
