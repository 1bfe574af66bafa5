"""A request seen before, in process: the CPU time of answering it again from the response cache (``Kept`` ahead
of routing), for a code's JSON, a code page, a search, a diff and a FHIR lookup, over the real app and database,
called as ASGI directly (a test client's own work, a few hundred microseconds, would drown the app's).
The peer in the same run is another checkout's code (``--peer``, default the main checkout), over the same
database: the two are run in turns, each in a process of its own, so a busy machine weighs on both alike.
The ratio is this tree's median over the peer's.

    python bench/repeat_answer.py --db PATH [--peer ../main/src] [--rounds 3] [--count 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import ROOT

URLS = ["/api/codes/S9328", "/codes/S9328", "/api/search?q=infusion+pain", "/?q=wheelchair",
        "/api/diff?from=2020-01&to=2020-04", "/fhir/CodeSystem/$lookup?code=S9328"]


def measure(db: Path, count: int) -> dict[str, float]:
    """Microseconds of CPU per repeat of each URL: the median over batches of 100 repeats (in this process)."""
    from hcpcs.web import create_app

    app = create_app(db)

    async def call(url: str) -> tuple[int, dict[bytes, bytes]]:
        path, _, query = url.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1),
                 "server": ("testserver", 80)}
        started: dict[str, Any] = {}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)

        await app(scope, receive, send)
        return started["status"], dict(started["headers"])

    async def each() -> dict[str, float]:
        out = {}
        for url in URLS:
            status, _ = await call(url)
            status, headers = await call(url)  # kept by now (a JSON answer says so; a page has no x-cache)
            if status != 200 or headers.get(b"x-cache", b"hit") != b"hit":
                raise SystemExit(f"{url}: {status}, not kept")
            batches = []
            for _ in range(max(count // 100, 1)):
                start = time.process_time()
                for _ in range(100):
                    await call(url)
                batches.append((time.process_time() - start) / 100)
            out[url] = statistics.median(batches) * 1e6
        return out

    return asyncio.run(each())


def run(src: Path, db: Path, count: int) -> dict[str, float]:
    """``measure`` in a process of its own, importing hcpcs from ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, __file__, "--child", "--db", str(db), "--count", str(count)],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{src}: {done.stderr.strip().splitlines()[-1:]}")
    found: dict[str, float] = json.loads(done.stdout)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True, help="a loaded database")
    parser.add_argument("--peer", type=Path, default=ROOT.parent / "main" / "src", help="the peer's src folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.db, args.count)))
        return
    ours: dict[str, list[float]] = {url: [] for url in URLS}
    peer: dict[str, list[float]] = {url: [] for url in URLS}
    for turn in range(args.rounds):  # in turns: the peer first in one round, this tree first in the next
        for src, into in ((args.peer, peer), (ROOT / "src", ours))[:: 1 if turn % 2 == 0 else -1]:
            for url, us in run(src, args.db, args.count).items():
                into[url].append(us)
    print(f"a repeat answered from the response cache (CPU us, median of {args.count} x {args.rounds} rounds); "
          f"peer {args.peer}; load average {os.getloadavg()[0]:.1f}")
    for url in URLS:
        a, b = statistics.median(ours[url]), statistics.median(peer[url])
        print(f"{url:42} this tree {a:7.1f}  peer {b:7.1f}  ratio {a / b:5.2f}x")


if __name__ == "__main__":
    main()
