"""Time travel speed: a full diff of two annual releases (target < 1 s) and the history of one code
(target < 5 ms), each beside a peer run in the same process on the same SQLite file:

- diff: pandas reads both releases from SQLite, outer-merges them on the code and compares every field
  column (the usual hand-rolled diff; it classifies nothing and decodes nothing);
- history: a naive baseline that reads each release's row for the code in its own query.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

import pandas as pd
from _common import CMS, median_seconds

from hcpcs import open as open_db
from hcpcs.model.layout import COLUMNS

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
COMPARED = [c for c in COLUMNS if c not in ("code", "sequence", "record_id", "action_code",
                                            "action_effective_date")]


def pandas_diff(path: Path, old: str, new: str) -> int:
    con = sqlite3.connect(path)
    a = pd.read_sql("SELECT * FROM records WHERE release_id = ?", con, params=(old,))
    b = pd.read_sql("SELECT * FROM records WHERE release_id = ?", con, params=(new,))
    con.close()
    merged = a.merge(b, on="code", how="outer", suffixes=("_old", "_new"), indicator=True)
    changed = merged["_merge"] != "both"
    for column in COMPARED:
        old_values, new_values = merged[f"{column}_old"], merged[f"{column}_new"]
        changed |= ~((old_values == new_values) | (old_values.isna() & new_values.isna()))
    return int(changed.sum())


def naive_history(path: Path, code: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    ids = [r[0] for r in con.execute("SELECT id FROM releases ORDER BY effective_date")]
    rows = [con.execute("SELECT * FROM records WHERE release_id = ? AND code = ?", (i, code)).fetchone()
            for i in ids]
    con.close()
    return rows


with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "hcpcs.sqlite"
    with open_db(path) as handle:
        handle.load([CMS])
    with open_db(path, readonly=True) as db:
        ours_diff = median_seconds(lambda: db.diff("2019", "2020"), RUNS)
        peer_diff = median_seconds(lambda: pandas_diff(path, "2019-01", "2020-01"), RUNS)
        changed = len(db.diff("2019", "2020").changes)
        ours_history = median_seconds(lambda: db.history("S9328"), RUNS * 20)
        ours_reused = median_seconds(lambda: db.history("G9890"), RUNS * 20)
        peer_history = median_seconds(lambda: naive_history(path, "S9328"), RUNS * 20)

print(f"diff 2019 -> 2020 ({changed} codes changed, classified and decoded):")
print(f"  hcpcs diff:                 {ours_diff * 1000:8.1f} ms (median of {RUNS}; target < 1000 ms)")
print(f"  pandas read + merge + compare: {peer_diff * 1000:5.1f} ms (no classification, no decoding)")
print(f"  ratio pandas/hcpcs:         {peer_diff / ours_diff:8.2f}x")
print("history of one code:")
print(f"  hcpcs history S9328:        {ours_history * 1000:8.2f} ms (median of {RUNS * 20}; target < 5 ms)")
print(f"  hcpcs history G9890 (reused): {ours_reused * 1000:6.2f} ms")
print(f"  naive per-release queries:  {peer_history * 1000:8.2f} ms (rows only, no comparison)")
print(f"  ratio naive/hcpcs:          {peer_history / ours_history:8.2f}x")
