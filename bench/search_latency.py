"""Search latency: every query of bench/search_queries.tsv against every loaded release (first run of
each query and release: nothing is cached between calls), in-process, limit 20. Prints p50/p99 for hcpcs
and for the naive LIKE baseline (see search_quality.py) in the same run. Target: hcpcs p99 under 5 ms.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from _common import CMS
from search_quality import naive, read_queries

from hcpcs import open as open_db


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    queries = [q for q, _, _ in read_queries()]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hcpcs.sqlite"
        with open_db(path) as handle:
            handle.load([CMS])
        with open_db(path, readonly=True) as db:
            releases = [r.id for r in db.releases()]
            db.search("warm up")  # reads the vocabulary once per handle
            con = sqlite3.connect(path)
            ours, base = [], []
            slowest: list[tuple[float, str, str]] = []
            for release in releases:
                baseline = naive(con, release)
                for query in queries:
                    start = time.perf_counter()
                    db.search(query, release=release, limit=20)
                    elapsed = time.perf_counter() - start
                    ours.append(elapsed)
                    slowest.append((elapsed, query, release))
                    start = time.perf_counter()
                    baseline(query)
                    base.append(time.perf_counter() - start)
    ms = 1000
    print(f"{len(ours)} searches ({len(queries)} queries x {len(releases)} releases), limit 20")
    print(f"hcpcs search:  p50 {percentile(ours, .5) * ms:5.2f} ms  p99 {percentile(ours, .99) * ms:5.2f} ms  "
          f"mean {statistics.mean(ours) * ms:5.2f} ms  (target p99 < 5 ms)")
    print(f"naive LIKE:    p50 {percentile(base, .5) * ms:5.2f} ms  p99 {percentile(base, .99) * ms:5.2f} ms  "
          f"mean {statistics.mean(base) * ms:5.2f} ms")
    print("slowest hcpcs searches:", "; ".join(f"{q!r} in {r} {t * ms:.1f} ms" for t, q, r in sorted(slowest)[-3:]))


if __name__ == "__main__":
    main()
