"""A request seen before, in process: the CPU time of answering it again from the response cache (``Kept`` ahead
of routing), for a code's JSON, a code page, a search, a diff and a FHIR lookup, over the real app and database,
called as ASGI directly (a test client's own work, a few hundred microseconds, would drown the app's); and
before them the first answer of a code's JSON and of its page, each code once (nothing kept yet).
The peer in the same run is another checkout's code (``--peer``, default the main checkout), over the same
database: the two are run in turns, each in a process of its own, so a busy machine weighs on both alike.
The ratio is this tree's best round over the peer's (each round's figure a median).

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
#: answered the first time, each for a tenth of ``--count`` codes (JSON on the event loop, the page in a thread)
FIRST = ["/api/codes/{code}", "/codes/{code}"]


def measure(db: Path, count: int) -> dict[str, float]:
    """Microseconds of CPU a request (in this process): a first answer, the median over ``count // 10`` codes;
    a repeat of each URL, the median over batches of 100 repeats."""
    import hcpcs
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

    with hcpcs.open(db, readonly=True) as handle:
        codes = [code for code, _, _ in handle.listing()][:: 7][:count // 10]

    async def each() -> dict[str, float]:
        out = {}
        await call("/api/codes/A0021")  # handles opened
        for first in FIRST:  # each code once: worked out, not kept (the view itself, on the event loop)
            times = []
            for code in codes:
                start = time.process_time()
                status, _ = await call(first.format(code=code))
                times.append(time.process_time() - start)
                if status != 200:
                    raise SystemExit(f"{first.format(code=code)}: {status}")
            out[f"first {first}"] = statistics.median(times) * 1e6
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
    ours: dict[str, list[float]] = {url: [] for url in [*(f"first {f}" for f in FIRST), *URLS]}
    peer: dict[str, list[float]] = {url: [] for url in ours}
    for turn in range(args.rounds):  # in turns: the peer first in one round, this tree first in the next
        for src, into in ((args.peer, peer), (ROOT / "src", ours))[:: 1 if turn % 2 == 0 else -1]:
            for url, us in run(src, args.db, args.count).items():
                into[url].append(us)
    print(f"CPU us a request: first answers (median of {args.count // 10} codes), then a repeat answered from the "
          f"response cache (median of {args.count}), the best of {args.rounds} rounds; peer {args.peer}; "
          f"load average {os.getloadavg()[0]:.1f}")
    for url in ours:
        a, b = min(ours[url]), min(peer[url])  # the best round: a busy machine only adds
        print(f"{url:42} this tree {a:7.1f}  peer {b:7.1f}  ratio {a / b:5.2f}x")


if __name__ == "__main__":
    main()
