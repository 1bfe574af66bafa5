"""Soak: ``hcpcs serve`` under well-formed load and hostile clients at once, against the server of the main
checkout (the peer: the same soak, the code before request limits and shared caches) in the same run.

    python bench/soak.py [--duration 60] [--connections 50] [--workers 1] [--db PATH] [--peer-src PATH]

For ``--duration`` seconds, ``--connections`` keep-alive connections loop over a mix of endpoints (code
lookups, search, history, releases, FHIR $lookup, a diff page) while, at the same time and from another
process: a header flood (16 MB headers, one connection after another), 1,000 slow sockets (a header line
every 2 s, reopened when dropped) and bursts of 50 concurrent identical diff reports (every 15 s, a new pair
of releases each time). The mix is asked once first (a warmed-up server, as in use). Prints, for each
server: the well-formed requests answered and those that failed (a status other than 200, a dropped
connection or no answer within 30 s; target 0), p50/p99 of code lookups (target p99 < 100 ms), the time to
answer each burst of diff reports, and the largest RSS of a worker (target < 600 MB).
``SOAK_HOSTILE=reports`` (or ``none``, or any of ``flood,reports,slow``) keeps only some hostile clients.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _common import ROOT, database, serving

CODES = ["S9328", "E0100", "A4253", "G0008", "L3000", "J1100", "A0425", "E1390", "GA", "K0001", "J3490", "G0439",
         "Q4081"]  # in every release: each lookup answers 200
MIX = [("code", "/api/codes/{code}"), ("code", "/api/codes/{code}?release=2020-04"),
       ("search", "/api/search?q=wheelchair+cushion"), ("search", "/api/search?q=infusion+pain&limit=5"),
       ("history", "/api/codes/{code}/history"), ("releases", "/api/releases"),
       ("fhir", "/fhir/CodeSystem/$lookup?code={code}"), ("page", "/codes/{code}"),
       ("code", "/api/codes/{code}?as_of=2020-05-01"), ("diff", "/api/diff?from=2025-01&to=2025-10&limit=20")]
REPORTS = [("2020-10", "2025-01"), ("2025-01", "2025-10"), ("2020-04", "2020-10"), ("2019", "2020")]
TIMEOUT = 30.0


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    bursts: list[float] = field(default_factory=list)
    floods: int = 0
    flood_seconds: list[float] = field(default_factory=list)
    slow_dropped: int = 0


async def request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def client(port: int, until: float, tally: Tally, offset: int) -> None:
    turn = offset
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.monotonic() < until:
        kind, template = MIX[turn % len(MIX)]
        path = template.format(code=CODES[turn % len(CODES)])
        turn += 1
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
            status = await asyncio.wait_for(request(*connection, path), TIMEOUT)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            tally.errors[kind] = tally.errors.get(kind, 0) + 1
            if connection is not None:
                connection[1].close()
            connection = None
            continue
        tally.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        if status != 200:
            tally.errors[kind] = tally.errors.get(kind, 0) + 1
    if connection is not None:
        connection[1].close()


async def header_flood(port: int, until: float, tally: Tally) -> None:
    """Connections that each send a 16 MB header as fast as the server takes it."""
    chunk = b"a" * 65536
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /api/releases HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Flood: ")
            for _ in range(256):
                writer.write(chunk)
                await writer.drain()
                if time.monotonic() > until:
                    break
            writer.write(b"\r\n\r\n")
            await writer.drain()
            writer.close()
        except OSError:
            pass  # refused and dropped: what we want
        tally.floods += 1
        tally.flood_seconds.append(time.perf_counter() - started)


async def slow_socket(port: int, until: float, tally: Tally) -> None:
    """One of the slow sockets: a request head one header line every 2 s, reopened when the server drops it."""
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /api/releases HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while time.monotonic() < until:
                await asyncio.sleep(2)
                if reader.at_eof():
                    break
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
            writer.close()
        except OSError:
            pass
        if time.monotonic() < until:
            tally.slow_dropped += 1
            await asyncio.sleep(0.5)


async def report_bursts(port: int, until: float, tally: Tally) -> None:
    """Every 15 s, 50 concurrent identical diff reports (a pair of releases not asked before)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT,
                                 limits=httpx.Limits(max_connections=50)) as http:
        for old, new in REPORTS:
            if time.monotonic() > until - 5:
                return
            started = time.perf_counter()
            answers = await asyncio.gather(*(http.get("/api/diff/report", params={"from": old, "to": new})
                                             for _ in range(50)), return_exceptions=True)
            for answer in answers:
                if isinstance(answer, BaseException) or answer.status_code != 200:
                    tally.errors["diff report"] = tally.errors.get("diff report", 0) + 1
                else:
                    tally.latencies.setdefault("diff report", []).append(answer.elapsed.total_seconds())
            tally.bursts.append(time.perf_counter() - started)
            await asyncio.sleep(max(0.0, 15 - (time.perf_counter() - started)))


async def hostile(port: int, until: float, tally: Tally) -> None:
    which = os.environ.get("SOAK_HOSTILE", "flood,reports,slow").split(",")
    tasks = [header_flood(port, until, tally)] if "flood" in which else []
    tasks += [report_bursts(port, until, tally)] if "reports" in which else []
    tasks += [slow_socket(port, until, tally) for _ in range(1000)] if "slow" in which else []
    await asyncio.gather(*tasks)


def hostile_process(port: int, duration: float, results: multiprocessing.Queue[Tally]) -> None:
    """The hostile clients, in a process of their own (so they do not slow the measuring clients down)."""
    tally = Tally()
    asyncio.run(hostile(port, time.monotonic() + duration, tally))
    results.put(tally)


async def soak(port: int, duration: float, connections: int) -> Tally:
    results: multiprocessing.Queue[Tally] = multiprocessing.Queue()
    other = multiprocessing.Process(target=hostile_process, args=(port, duration, results))
    other.start()
    tally = Tally()
    until = time.monotonic() + duration
    await asyncio.gather(*(client(port, until, tally, i) for i in range(connections)))
    hostile_tally = await asyncio.to_thread(results.get)
    other.join()
    for kind, values in hostile_tally.latencies.items():
        tally.latencies.setdefault(kind, []).extend(values)
    for kind, count in hostile_tally.errors.items():
        tally.errors[kind] = tally.errors.get(kind, 0) + count
    tally.bursts, tally.floods = hostile_tally.bursts, hostile_tally.floods
    tally.flood_seconds, tally.slow_dropped = hostile_tally.flood_seconds, hostile_tally.slow_dropped
    return tally


def rss_mb(pid: int) -> float:
    """The largest resident set among a server process and its worker processes."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    largest = 0.0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]) / 1024)
        except OSError:
            pass
    return largest


def run(name: str, db: Path, args: argparse.Namespace, src: Path | None) -> dict[str, float]:
    env = {**os.environ, **({"PYTHONPATH": str(src)} if src else {})}
    threads = ["--threads", str(args.threads)] if args.threads and src is None else []
    with serving(db, "--workers", str(args.workers), *threads, env=env) as (port, server):
        for i in range(len(MIX) * len(CODES)):  # warm up: each request of the mix once, as a server runs
            httpx.get(f"http://127.0.0.1:{port}" + MIX[i % len(MIX)][1].format(code=CODES[i % len(CODES)]),
                      timeout=TIMEOUT)
        peak = [rss_mb(server.pid)]

        async def watched() -> Tally:
            async def watch() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], rss_mb(server.pid))
                    await asyncio.sleep(0.5)

            done = asyncio.Event()
            watcher = asyncio.create_task(watch())
            try:
                return await soak(port, args.duration, args.connections)
            finally:
                done.set()
                await watcher

        tally = asyncio.run(watched())
    codes = sorted(tally.latencies.get("code", []))
    answered = sum(len(v) for v in tally.latencies.values())
    failed = sum(tally.errors.values())
    p99 = codes[int(len(codes) * 0.99)] * 1000 if codes else float("nan")
    p50 = statistics.median(codes) * 1000 if codes else float("nan")
    bursts = ", ".join(f"{b:.1f}" for b in tally.bursts)
    print(f"{name}: {answered:,} well-formed requests answered, {failed:,} failed "
          f"({', '.join(f'{k} {v}' for k, v in sorted(tally.errors.items())) or 'none'}); "
          f"code lookups {len(codes):,}, p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
          f"50-report bursts answered in [{bursts}] s; largest worker RSS {peak[0]:.0f} MB; "
          f"{tally.floods} header floods (median {statistics.median(tally.flood_seconds or [0]):.2f} s each); "
          f"slow sockets dropped and reopened {tally.slow_dropped:,} times", flush=True)
    return {"failed": failed, "p99": p99, "rss": peak[0], "answered": answered}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, help="hcpcs serve --threads (this checkout's server only)")
    parser.add_argument("--db", type=Path, help="A loaded database (default: load ../shared into a new one)")
    parser.add_argument("--peer-src", type=Path, default=ROOT.parent / "main" / "src",
                        help="The source folder of the peer server (default: the main checkout's)")
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = database(folder, args.db)
        ours = run("hcpcs serve (this checkout)", db, args, None)
        if args.no_peer or not args.peer_src.exists():
            return
        peer = run(f"hcpcs serve ({args.peer_src})", db, args, args.peer_src)
    print(f"ratio peer/ours: well-formed requests answered {peer['answered'] / max(ours['answered'], 1):.2f}, "
          f"code lookup p99 {peer['p99'] / ours['p99']:.1f}x, worker RSS {peer['rss'] / ours['rss']:.1f}x")


if __name__ == "__main__":
    main()
