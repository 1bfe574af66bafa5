"""Schemathesis, every phase (examples, coverage, fuzzing, stateful) and every check, against ``hcpcs serve``
over every release in ../shared: the long run of what tests/test_openapi.py checks briefly in CI.

    python bench/schemathesis_full.py [--examples 1000] [--db PATH] [--port N]

Prints schemathesis's report and, last, one line: the cases generated and the failures found (target: 0).
Without --db it loads ../shared/cms-hcpcs into a temporary database first.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import CMS, free_port

from hcpcs import open as open_db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=1000, help="Examples per operation and phase")
    parser.add_argument("--db", type=Path, help="A loaded database (default: load ../shared into a new one)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db
        if db is None:
            db = Path(folder) / "hcpcs.sqlite"
            with open_db(db) as handle:
                handle.load([CMS])
        port = args.port or free_port()
        server = subprocess.Popen([sys.executable, "-m", "hcpcs", "--db", str(db), "serve", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/api/releases", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            started = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json", "--checks", "all",
                 "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", str(args.examples),
                 "--workers", "1", "--no-color", "--exclude-path", "/mcp"],
                capture_output=True, text=True)
            seconds = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(run.stdout[-6000:])
    generated = re.search(r"(\d+) generated", run.stdout)
    failures = re.search(r"(\d+) unique failures", run.stdout)
    errors = re.search(r"(\d+) errors?\b", run.stdout.rpartition("SUMMARY")[2])
    print(f"schemathesis, all phases and checks, {args.examples} examples per operation: "
          f"{generated.group(1) if generated else '?'} cases in {seconds:.0f} s, "
          f"{failures.group(1) if failures else 0} failures, {errors.group(1) if errors else 0} errors "
          f"(exit {run.returncode})")


if __name__ == "__main__":
    main()
