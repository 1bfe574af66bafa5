"""Shared fixtures: the real CMS files in ../shared, and databases loaded from them."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import hcpcs

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CMS = SHARED / "cms-hcpcs"
SEEDS = SHARED / "seeds"
#: Every release in ../shared/cms-hcpcs, and the latest of them (what a lookup without a release shows).
RELEASES = ["2011-01", "2016-01", "2018-01", "2019-01", "2020-01", "2020-04", "2020-10", "2025-01", "2025-10"]
LATEST = RELEASES[-1]
ANNUAL = {year: CMS / f"{year}-Alpha-Numeric-HCPCS-File.zip" for year in (2018, 2019, 2020)}


def member(zip_path: Path, *, suffix: str, contains: str = "anweb") -> tuple[str, bytes]:
    """One member of a CMS zip by what its name contains and ends with."""
    with zipfile.ZipFile(zip_path) as archive:
        names = [n for n in archive.namelist() if contains in n.lower() and n.lower().endswith(suffix)]
        assert len(names) == 1, names
        return names[0], archive.read(names[0])


def free_port() -> int:
    """A loopback port no one listens on now, for a server a test or benchmark starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def db_digest(path: Path) -> str:
    """A digest of everything in a database file, to show a failed load changed nothing."""
    if not path.exists():
        return "absent"
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()


def loaded_database(factory: pytest.TempPathFactory, name: str, *paths: Path) -> Path:
    """A new database in a temporary folder holding what ``paths`` load."""
    path = factory.mktemp(name) / "hcpcs.sqlite"
    with hcpcs.open(path) as db:
        db.load(list(paths))
    return path


@pytest.fixture(scope="session")
def all_loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding every release in ../shared/cms-hcpcs (loaded once per session)."""
    return loaded_database(tmp_path_factory, "all", CMS)


@pytest.fixture(scope="session")
def annual_2020(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loaded_database(tmp_path_factory, "y2020", ANNUAL[2020])


@pytest.fixture
def db(all_loaded: Path) -> Iterator[hcpcs.Hcpcs]:
    with hcpcs.open(all_loaded, readonly=True) as handle:
        yield handle


@contextmanager
def serving(db: Path, *options: str) -> Iterator[str]:
    """``hcpcs serve`` over ``db`` in its own process on a free loopback port: its base URL while it runs."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "hcpcs", "--db", str(db), "serve", "--port", str(port), *options],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/api/releases", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if server.poll() is not None:
                    raise RuntimeError(server.stderr.read().decode() if server.stderr else "ended") from None
                time.sleep(0.05)
        else:
            raise RuntimeError("hcpcs serve did not answer")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
