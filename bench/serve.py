"""HTTP throughput: wrk against ``hcpcs serve`` and against Datasette serving the same SQLite file, in the
same run with the same connection counts: a code lookup and a full-text search on each.

    python bench/serve.py [--duration 10] [--connections 50] [--workers 2]
    python bench/serve.py --pages [--connections 20]


hcpcs: GET /api/codes/S9328 and GET /api/search?q=infusion+pain. Datasette (immutable mode, its fastest):
the row endpoint /hcpcs/records/2020-10,S9328.json and the table search /hcpcs/search.json?_search=....
Targets: the code lookup at least 2x Datasette's requests/s; at least 3,000 requests/s with p99 under
20 ms at 50 connections on this 2-core machine.

``--pages``: every HTML page (search with results, code, history, diff, releases, docs, a missing code's
error page): its size (target under 100 KB) and requests/s with p99 at 20 connections (target under 50 ms),
beside Datasette's HTML pages for the same row and the same search.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import CMS, free_port

from hcpcs import open as open_db


def wait(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"no answer from {url}")


def wrk(url: str, connections: int, duration: int) -> tuple[float, float]:
    """Requests per second and the p99 latency in ms."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{out}")
    return rate, p99


PAGES = {
    "search": "/?q=infusion+pain",
    "search page 2": "/?q=infusion+pain&offset=20",
    "code": "/codes/S9328",
    "code as of": "/codes/C9034?as_of=2020-05-01",
    "history": "/codes/G9890/history",
    "diff": "/diff?from=2019&to=2020",
    "releases": "/releases",
    "docs": "/docs",
}
PEER_PAGES = {"code": "/hcpcs/records/2020-10,S9328", "search": "/hcpcs/search?_search=infusion+pain"}


def pages(base: str, other: str, connections: int, duration: int) -> None:
    """Size, requests/s and p99 of every page; the missing code's page (a 404) by its size alone."""
    print(f"pages: wrk -t2 -c{connections} -d{duration}s")
    missing = httpx.get(base + "/codes/S9998")
    print(f"{'error (404)':14} {len(missing.content) / 1024:6.1f} KB")
    for name, path in PAGES.items():
        size = len(httpx.get(base + path).content)
        wrk(base + path, connections, 2)
        rate, p99 = wrk(base + path, connections, duration)
        line = f"{name:14} {size / 1024:6.1f} KB  hcpcs {rate:7.0f} req/s p99 {p99:6.1f} ms"
        if name in PEER_PAGES:
            peer = other + PEER_PAGES[name]
            wrk(peer, connections, 2)
            rate_b, p99_b = wrk(peer, connections, duration)
            line += f" | datasette {rate_b:6.0f} req/s p99 {p99_b:6.1f} ms | ratio {rate / rate_b:5.2f}x"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pages", action="store_true", help="the HTML pages at 20 connections (or --connections)")
    args = parser.parse_args()
    if args.pages and "--connections" not in sys.argv:
        args.connections = 20
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "hcpcs.sqlite"
        with open_db(db) as handle:
            handle.load([CMS])
        ours_port, theirs_port = free_port(), free_port()
        env = {**os.environ, "HCPCS_DB": str(db)}
        ours = subprocess.Popen([sys.executable, "-m", "hcpcs", "serve", "--port", str(ours_port), "--workers",
                                 str(args.workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        theirs = subprocess.Popen([sys.executable, "-m", "datasette", "serve", "-i", str(db), "--port",
                                   str(theirs_port), "--setting", "num_sql_threads", "4"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base, other = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{theirs_port}"
            pairs = {
                "code lookup": (f"{base}/api/codes/S9328", f"{other}/hcpcs/records/2020-10,S9328.json"),
                "full-text search": (f"{base}/api/search?q=infusion+pain",
                                     f"{other}/hcpcs/search.json?_search=infusion+pain&_size=20"),
            }
            for a, b in pairs.values():
                wait(a)
                wait(b)
            if args.pages:
                pages(base, other, args.connections, args.duration)
                return
            print(f"wrk -t2 -c{args.connections} -d{args.duration}s; hcpcs serve --workers {args.workers}; "
                  f"datasette -i (immutable)")
            for a, b in pairs.values():  # warm both servers: connections opened, caches filled
                wrk(a, args.connections, 2)
                wrk(b, args.connections, 2)
            for name, (a, b) in pairs.items():
                rate_a, p99_a = wrk(a, args.connections, args.duration)
                rate_b, p99_b = wrk(b, args.connections, args.duration)
                print(f"{name:17} hcpcs {rate_a:8.0f} req/s p99 {p99_a:6.1f} ms | datasette {rate_b:8.0f} req/s "
                      f"p99 {p99_b:6.1f} ms | ratio {rate_a / rate_b:5.2f}x")
        finally:
            for process in (ours, theirs):
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
