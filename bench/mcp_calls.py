"""MCP tool-call latency in process: the SDK's own client over in-memory streams against ``create_server``,
against the same lookups through the JSON API of a running ``hcpcs serve`` with httpx (the naive peer), in
the same run, on every release in ../shared/cms-hcpcs.

    python bench/mcp_calls.py [--rounds 200] [--db PATH]

The calls: lookup_code S9328, lookup_code C9034 as of 2020-05-01, search_codes "infusion pain", code_history
G9890, and (MCP only, the JSON API has no such route) validate_claim_lines. Target: p99 under 50 ms a call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import database, free_port
from mcp.shared.memory import create_connected_server_and_client_session

from hcpcs import open as open_db
from hcpcs.mcp_server import create_server

CALLS: list[tuple[str, str, dict[str, Any], str | None]] = [
    ("lookup S9328", "lookup_code", {"code": "S9328"}, "/api/codes/S9328"),
    ("lookup C9034 as_of", "lookup_code", {"code": "C9034", "as_of": "2020-05-01"},
     "/api/codes/C9034?as_of=2020-05-01"),
    ("search", "search_codes", {"query": "infusion pain"}, "/api/search?q=infusion+pain"),
    ("history G9890", "code_history", {"code": "G9890"}, "/api/codes/G9890/history"),
    ("validate C9034", "validate_claim_lines", {"lines": [{"code": "C9034", "date": "2020-05-01"}]}, None),
]


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


async def ours(db: Path, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Through the SDK's client (which validates every answer against the tool's output schema), and the
    server's own handling (FastMCP.call_tool: argument and output validation, the facade, serializing)."""
    handle = open_db(db, readonly=True)
    server = create_server(lambda: handle)
    times: dict[str, list[float]] = {label: [] for label, _, _, _ in CALLS}
    served: dict[str, list[float]] = {label: [] for label, _, _, _ in CALLS}
    async with create_connected_server_and_client_session(server._mcp_server) as session:
        await session.initialize()
        for _, name, arguments, _ in CALLS:  # warm-up
            await session.call_tool(name, arguments)
        for _ in range(rounds):
            for label, name, arguments, _ in CALLS:
                start = time.perf_counter()
                result = await session.call_tool(name, arguments)
                times[label].append(time.perf_counter() - start)
                assert not result.isError, result.content
                start = time.perf_counter()
                await server.call_tool(name, arguments)
                served[label].append(time.perf_counter() - start)
    handle.close()
    return times, served


def peer(db: Path, rounds: int) -> dict[str, list[float]]:
    port = free_port()
    env = {**os.environ, "HCPCS_DB": str(db)}
    server = subprocess.Popen([sys.executable, "-m", "hcpcs", "serve", "--port", str(port)], env=env)
    times: dict[str, list[float]] = {label: [] for label, _, _, path in CALLS if path}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(300):
                try:
                    if client.get("/api/releases").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            for _, _, _, path in CALLS:
                if path:
                    client.get(path)
            for _ in range(rounds):
                for label, _, _, path in CALLS:
                    if path is None:
                        continue
                    start = time.perf_counter()
                    client.get(path).raise_for_status()
                    times[label].append(time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = database(folder, args.db)
        mine, served = asyncio.run(ours(db, args.rounds))
        theirs = peer(db, args.rounds)
    print(f"{'call':<20} {'client p50':>10} {'client p99':>10} {'server p99':>10} {'API p50':>9} {'API p99':>9}"
          f" {'p99 ratio':>9}")
    for name, _, _, _ in CALLS:
        p50, p99 = percentiles(mine[name])
        row = f"{name:<20} {p50:8.2f}ms {p99:8.2f}ms {percentiles(served[name])[1]:8.2f}ms"
        if name in theirs:
            q50, q99 = percentiles(theirs[name])
            row += f" {q50:8.2f}ms {q99:8.2f}ms {q99 / p99:8.2f}x"
        print(row)
    server_p50, server_p99 = percentiles([t for name in served for t in served[name]])
    every = [t for name in mine for t in mine[name]]
    common = [t for name in theirs for t in mine[name]]
    api = [t for name in theirs for t in theirs[name]]
    p50, p99 = percentiles(every)
    c50, c99 = percentiles(common)
    q50, q99 = percentiles(api)
    print(f"all MCP calls: p50 {p50:.2f} ms, p99 {p99:.2f} ms (target p99 < 50 ms: {'met' if p99 < 50 else 'NOT met'})")
    print(f"server side alone (FastMCP.call_tool): p50 {server_p50:.2f} ms, p99 {server_p99:.2f} ms")
    print(f"the lookups both serve: MCP p99 {c99:.2f} ms, JSON API over HTTP (httpx) p99 {q99:.2f} ms: "
          f"ratio {q99 / c99:.2f}x (p50 {c50:.2f} vs {q50:.2f} ms)")


if __name__ == "__main__":
    main()
