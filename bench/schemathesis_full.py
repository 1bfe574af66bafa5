"""Schemathesis, every phase (examples, coverage, fuzzing, stateful) and every check, against ``hcpcs serve``
over every release in ../shared: the long run of what tests/test_openapi.py checks briefly in CI.

    python bench/schemathesis_full.py [--examples 1000] [--db PATH] [--only API|FHIR] [--log FILE]

Prints the end of each run's report and a line for each: the cases generated and the failures found (target: 0).
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

#: Two runs: the JSON API and pages with every check; the FHIR operations with every check but one. A FHIR
#: operation's inputs are alternatives the FHIR specification defines (code with system, or a coding, or a
#: codeableConcept, in the query or a Parameters body), which no OpenAPI schema can say: a request the document
#: allows may still lack them and get its OperationOutcome (400). As in tests/test_openapi.py, those operations
#: skip the check that a request the schema allows is accepted (positive_data_acceptance).
RUNS = (("API", ["--exclude-path-regex", "^/(mcp|fhir)"]),
        ("FHIR", ["--include-path-regex", "^/fhir", "--exclude-checks", "positive_data_acceptance"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=1000, help="Examples per operation and phase")
    parser.add_argument("--db", type=Path, help="A loaded database (default: load ../shared into a new one)")
    parser.add_argument("--only", choices=[name for name, _ in RUNS], help="Only one of the two runs")
    parser.add_argument("--log", type=Path, help="Write schemathesis's whole reports here")
    args = parser.parse_args()
    reports = []
    with tempfile.TemporaryDirectory() as folder, serving(database(folder, args.db)) as (port, _):
        for name, options in RUNS:
            if args.only and name != args.only:
                continue
            started = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-m", "schemathesis.cli", "run", f"http://127.0.0.1:{port}/openapi.json",
                 "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful", "--max-examples",
                 str(args.examples), "--workers", "1", "--no-color", *options,
                 "--suppress-health-check", "filter_too_much"],
                capture_output=True, text=True, cwd=folder)  # its cache folder goes with the temporary one
            reports.append((name, run, time.perf_counter() - started))
    if args.log:
        args.log.write_text("\n".join(run.stdout + run.stderr for _, run, _ in reports))
    for name, run, seconds in reports:
        print(run.stdout[-4000:])
        generated = re.search(r"(\d+) generated", run.stdout)
        failures = re.search(r"(\d+) unique failures?", run.stdout)
        errors = re.search(r"(\d+) errors?\b", run.stdout.rpartition("SUMMARY")[2])
        print(f"schemathesis ({name}), all phases and checks, {args.examples} examples per operation: "
              f"{generated.group(1) if generated else '?'} cases in {seconds:.0f} s, "
              f"{failures.group(1) if failures else 0} failures, {errors.group(1) if errors else 0} errors "
              f"(exit {run.returncode})")


if __name__ == "__main__":
    main()
