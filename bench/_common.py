"""Helpers shared by the benchmark scripts: where the CMS files are, and a median timer."""

from __future__ import annotations

import socket
import statistics
import time
import zipfile
from collections.abc import Callable
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
