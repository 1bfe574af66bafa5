"""HTTP throughput: wrk against ``hcpcs serve`` and, on the same SQLite file, Datasette and a naive peer, in the
same run with the same connection counts: a code lookup, FHIR ``$lookup`` (GET) and ``$validate-code`` (POST of
a Parameters resource), and a full-text search on each.

    python bench/serve.py [--duration 10] [--connections 50] [--workers 2]
    python bench/serve.py --pages [--connections 20]


hcpcs: GET /api/codes/S9328, GET /fhir/CodeSystem/$lookup?code=S9328, POST /fhir/CodeSystem/$validate-code
and GET /api/search?q=infusion+pain. Datasette (immutable mode, its fastest): the row endpoint
/hcpcs/records/2020-10,S9328.json and the table search /hcpcs/search.json?_search=.... The FHIR operations'
peer is ``bench/naive_tx.py``: a bare SQLite read of the code behind the same HTTP stack (uvicorn, Starlette),
the same workers, GET and POST alike; ``$validate every code`` POSTs each code of the latest release in turn,
more than hcpcs's answer cache holds (4,096 answers, least recently used out), so each answer is worked out.
Targets: the code lookup at least 2x Datasette's requests/s; at least 3,000 requests/s with p99 under 20 ms
at 50 connections on this 2-core machine; the two FHIR operations at least 5,000 requests/s with p99 under
20 ms.

``--pages``: every HTML page (search with results, code, history, diff, releases, docs, a missing code's
error page): its size (target under 100 KB) and requests/s with p99 at 20 connections (target under 50 ms),
beside Datasette's HTML pages for the same row and the same search.
"""

from __future__ import annotations

import argparse
import json
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
    for _ in range(1200):  # two minutes: two workers take half a minute to start on a busy machine
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"no answer from {url}")


def validate_body(code: str) -> str:
    """A $validate-code request: a Parameters resource, POSTed as HAPI's remote terminology support does."""
    return json.dumps({"resourceType": "Parameters", "parameter": [
        {"name": "url", "valueUri": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"},
        {"name": "code", "valueCode": code}]})


def wrk(url: str, connections: int, duration: int, body: str | list[str] | None = None) -> tuple[float, float]:
    """Requests per second and the p99 latency in ms; with ``body``, each request POSTs it as FHIR JSON (with a
    list, each request the next body of the list, in turn)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if body is not None:
            script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/fhir+json"\n')
        if isinstance(body, str):
            script.write(f"wrk.body = {json.dumps(body)}\n")
        elif body is not None:
            script.write("bodies = {" + ",".join(json.dumps(b) for b in body) + "}\ni = 0\n"
                         "request = function()\n  i = i % #bodies + 1\n"
                         "  return wrk.format(nil, nil, nil, bodies[i])\nend\n")
        script.flush()
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name,
                              url], capture_output=True, text=True, check=True).stdout
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
            every_code = [validate_body(code) for code, _, _ in handle.listing()]
        ours_port, theirs_port = free_port(), free_port()
        env = {**os.environ, "HCPCS_DB": str(db)}
        ours = subprocess.Popen([sys.executable, "-m", "hcpcs", "serve", "--port", str(ours_port), "--workers",
                                 str(args.workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        theirs = subprocess.Popen([sys.executable, "-m", "datasette", "serve", "-i", str(db), "--port",
                                   str(theirs_port), "--setting", "num_sql_threads", "4"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        naive_port = free_port()
        naive = subprocess.Popen([sys.executable, "-m", "uvicorn", "naive_tx:app", "--port", str(naive_port),
                                  "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
                                 env=env, cwd=Path(__file__).parent, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            base, other = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{theirs_port}"
            bare = f"http://127.0.0.1:{naive_port}"
            validate = validate_body("S9328")
            pairs: dict[str, tuple[str, str | list[str] | None, str, str | list[str] | None]] = {
                "code lookup": (f"{base}/api/codes/S9328", None, f"{other}/hcpcs/records/2020-10,S9328.json", None),
                "FHIR $lookup": (f"{base}/fhir/CodeSystem/$lookup?code=S9328", None, f"{bare}/lookup?code=S9328",
                                 None),
                "FHIR $validate POST": (f"{base}/fhir/CodeSystem/$validate-code", validate, f"{bare}/validate",
                                        validate),
                # every code of the release in turn: more than the answer cache holds, so each is worked out
                "$validate every code": (f"{base}/fhir/CodeSystem/$validate-code", every_code, f"{bare}/validate",
                                         every_code),
                "full-text search": (f"{base}/api/search?q=infusion+pain", None,
                                     f"{other}/hcpcs/search.json?_search=infusion+pain&_size=20", None),
            }
            for a, body, b, peer_body in pairs.values():
                wait(a if body is None else f"{base}/fhir/metadata")
                wait(b if peer_body is None else f"{bare}/lookup?code=S9328")
            if args.pages:
                pages(base, other, args.connections, args.duration)
                return
            print(f"wrk -t2 -c{args.connections} -d{args.duration}s; hcpcs serve --workers {args.workers}; "
                  f"datasette -i (immutable); naive: a bare SQLite read on uvicorn --workers {args.workers}")
            for a, body, b, peer_body in pairs.values():  # warm both servers: connections opened, caches filled
                wrk(a, args.connections, 2, body)
                wrk(b, args.connections, 2, peer_body)
            for name, (a, body, b, peer_body) in pairs.items():
                rate_a, p99_a = wrk(a, args.connections, args.duration, body)
                rate_b, p99_b = wrk(b, args.connections, args.duration, peer_body)
                peer = "naive" if b.startswith(bare) else "datasette"
                print(f"{name:20} hcpcs {rate_a:8.0f} req/s p99 {p99_a:6.1f} ms | {peer:9} {rate_b:8.0f} req/s "
                      f"p99 {p99_b:6.1f} ms | ratio {rate_a / rate_b:5.2f}x")
        finally:
            for process in (ours, theirs, naive):
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
