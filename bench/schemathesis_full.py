"""Schemathesis, every phase (examples, coverage, fuzzing, stateful) and every check, against ``hcpcs serve``
over every release in ../shared: the long run of what tests/test_openapi.py checks briefly in CI.

    python bench/schemathesis_full.py [--examples 1000] [--db PATH] [--paths REGEX] [--log FILE]

Prints schemathesis's report and, last, one line: the cases generated and the failures found (target: 0).
Without --db it loads ../shared/cms-hcpcs into a temporary database first. Generation's ``filter_too_much``
health check is off: it says the generator threw many candidates of /api/diff's patterned parameters away,
not that the server did anything wrong.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import database, serving

#: A FHIR operation's inputs are alternatives the FHIR specification defines (code with system, or a coding, or a
#: codeableConcept, in the query or a Parameters body), which no OpenAPI schema can say: a request the document
#: allows may still lack them and get its OperationOutcome (400). As tests/test_openapi.py does, those operations
#: skip the one check that a request the schema allows is accepted; every other check holds for them.
CONFIG = """
[[operations]]
include-path-regex = "^/fhir/"
checks.positive_data_acceptance.enabled = false
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=1000, help="Examples per operation and phase")
    parser.add_argument("--db", type=Path, help="A loaded database (default: load ../shared into a new one)")
    parser.add_argument("--paths", help="Only the operations whose path matches this regular expression")
    parser.add_argument("--log", type=Path, help="Write schemathesis's whole report here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, serving(database(folder, args.db)) as (port, _):
        config = Path(folder) / "schemathesis.toml"
        config.write_text(CONFIG)
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
             f"http://127.0.0.1:{port}/openapi.json", "--checks", "all", "--phases",
             "examples,coverage,fuzzing,stateful", "--max-examples", str(args.examples), "--workers", "1",
             "--no-color", "--exclude-path", "/mcp", *(["--include-path-regex", args.paths] if args.paths else []),
             "--suppress-health-check", "filter_too_much"],
            capture_output=True, text=True, cwd=folder)  # its cache folder goes with the temporary one
        seconds = time.perf_counter() - started
    if args.log:
        args.log.write_text(run.stdout + run.stderr)
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
