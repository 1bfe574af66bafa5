"""Helpers shared by the benchmark scripts: where the CMS files are, and a median timer."""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CMS = ROOT.parent / "shared" / "cms-hcpcs"
ASP = ROOT.parent / "shared" / "cms-asp"


def free_port() -> int:
    """A loopback port no one listens on now, for a server a test or benchmark starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def anweb_text(year: int) -> tuple[str, bytes]:
    with zipfile.ZipFile(CMS / f"{year}-Alpha-Numeric-HCPCS-File.zip") as archive:
        name = next(n for n in archive.namelist() if "anweb" in n.lower() and n.lower().endswith(".txt"))
        return name, archive.read(name)


def median_seconds(func: Callable[[], object], runs: int) -> float:
    func()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_seconds(ours: Callable[[], object], peer: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Time ``ours`` and ``peer`` alternately, ``runs`` pairs: medians of each and of the per-pair ratio
    peer/ours. On a shared, noisy machine a pair run back to back sees the same load, so the median
    ratio is steadier than the ratio of medians."""
    ours()
    peer()  # warm-up
    mine, theirs = [], []
    for _ in range(runs):
        for func, times in ((ours, mine), (peer, theirs)):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
    ratios = [b / a for a, b in zip(mine, theirs, strict=True)]
    return statistics.median(mine), statistics.median(theirs), statistics.median(ratios)


def database(folder: str, given: Path | None) -> Path:
    """``given``, or a new database in ``folder`` holding every release in ../shared/cms-hcpcs."""
    if given is not None:
        return given
    from hcpcs import open as open_db

    db = Path(folder) / "hcpcs.sqlite"
    with open_db(db) as handle:
        handle.load([CMS])
    return db


@contextmanager
def serving(db: Path, *options: str, env: dict[str, str] | None = None,
            ) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``hcpcs serve`` over ``db`` on a free loopback port, answering: its port and process while it runs."""
    import httpx

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "hcpcs", "--db", str(db), "serve", "--port", str(port), *options],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/releases", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
