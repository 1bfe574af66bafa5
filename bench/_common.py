"""Helpers shared by the benchmark scripts: where the CMS files are, and a median timer."""

from __future__ import annotations

import statistics
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CMS = ROOT.parent / "shared" / "cms-hcpcs"


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
