"""The first answer to a request, before any cache has it: a page and its JSON twin, in process (FastAPI's test
client over the real app and database), for the code page and the search page. ``Kept`` and the response cache
answer repeats ahead of routing, so ``bench/serve.py`` measures mostly them; this measures the view itself:
parameter reading, the facade, the template or ``to_json``. Each request asks a different code or query, so
each is worked out. The peer in the same run is the page's JSON twin (the ratio is page/twin time).

    python bench/first_answer.py [--db PATH] [--count 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus

from _common import CMS, ROOT
from fastapi.testclient import TestClient

import hcpcs
from hcpcs.web import create_app


def timed(client: TestClient, urls: list[str]) -> list[float]:
    """Milliseconds of CPU (every thread of the process: the test client's and the app's) each first request
    took, each URL once (every one must answer 200); CPU time, not wall time, as the machine may be shared."""
    out = []
    for url in urls:
        start = time.process_time()
        response = client.get(url)
        out.append((time.process_time() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:200]}")
    return out


def line(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    return f"{name:22} median {statistics.median(ms):6.2f} ms  p90 {ms[int(len(ms) * 0.9)]:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, help="a loaded database (default: load ../shared/cms-hcpcs afresh)")
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "hcpcs.sqlite"
        if args.db is None:
            with hcpcs.open(db) as handle:
                handle.load([CMS])
        with hcpcs.open(db, readonly=True) as handle:
            codes = [code for code, _, _ in handle.listing()][:: 7][: args.count]
        queries = [row.split("\t")[0] for row in (ROOT / "bench" / "search_queries.tsv").read_text().splitlines()
                   if row.strip() and not row.startswith("#")][: args.count]
        with TestClient(create_app(db)) as client:
            client.get("/codes/A0021"), client.get("/api/codes/A0021"), client.get("/?q=warm")  # handles opened
            half = len(codes) // 2  # page first for one half, twin first for the other: neither warms the other
            code_page = timed(client, [f"/codes/{c}" for c in codes[:half]])
            code_json = timed(client, [f"/api/codes/{c}" for c in codes[:half]])
            code_json += timed(client, [f"/api/codes/{c}" for c in codes[half:]])
            code_page += timed(client, [f"/codes/{c}" for c in codes[half:]])
            half = len(queries) // 2
            search_page = timed(client, [f"/?q={quote_plus(q)}" for q in queries[:half]])
            search_json = timed(client, [f"/api/search?q={quote_plus(q)}" for q in queries[:half]])
            search_json += timed(client, [f"/api/search?q={quote_plus(q)}" for q in queries[half:]])
            search_page += timed(client, [f"/?q={quote_plus(q)}" for q in queries[half:]])
    print(f"first answers (CPU time), in process, {len(codes)} codes and {len(queries)} queries; "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, page, twin in (("code page", code_page, code_json), ("search page", search_page, search_json)):
        print(line(name, page))
        print(line("  its JSON twin", twin))
        print(f"  page/twin (median)   {statistics.median(page) / statistics.median(twin):5.2f}x")


if __name__ == "__main__":
    main()
