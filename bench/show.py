"""``hcpcs show S9328`` from a cold start (a new process each run), against the floor: a bare Python
process that opens the same SQLite file and reads the same row. Target: hcpcs under 0.3 s."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import CMS

from hcpcs import open as open_db

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15


def timed(command: list[str], env: dict[str, str]) -> float:
    times = []
    subprocess.run(command, env=env, capture_output=True, check=True)  # warm the file cache
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


with tempfile.TemporaryDirectory() as folder:
    db = Path(folder) / "hcpcs.sqlite"
    with open_db(db) as handle:
        handle.load([CMS])
    env = {**os.environ, "HCPCS_DB": str(db)}
    exe = shutil.which("hcpcs")
    command = [exe] if exe else [sys.executable, "-m", "hcpcs"]
    ours = timed([*command, "show", "S9328"], env)
    floor = timed([sys.executable, "-c",
                   f"import sqlite3; print(sqlite3.connect({str(db)!r}).execute("
                   "\"SELECT * FROM records WHERE code='S9328' ORDER BY release_id DESC\").fetchone())"], env)
print(f"hcpcs show S9328, cold process:          {ours * 1000:7.1f} ms (median of {RUNS}; target < 300 ms)")
print(f"bare python + sqlite3 row read (floor):  {floor * 1000:7.1f} ms (median of {RUNS})")
print(f"ratio hcpcs/floor:                       {ours / floor:7.2f}x")
