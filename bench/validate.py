"""Bulk validation: 10 million generated claim lines (real codes and dates, about 5% faults), validated by
hcpcs (DuckDB, streaming) and by a pandas baseline (merge_asof of lines against code validity periods),
each in its own process, same input. Prints lines/s, peak memory and the ratio.

    python bench/validate.py [--lines 10000000] [--ndc]

``--ndc``: every line bills a drug package, with an ``ndc`` and a ``units`` column: the lines are the (NDC, code)
pairs of CMS's January 2024 crosswalk, dated in its quarter, half the NDCs written as 11 digits, 3% faults
(another pair's NDC, an NDC no crosswalk lists, text that is no NDC); the pandas baseline then also checks the
NDC against the crosswalk and computes the billing units (11-digit and 5-4-2 spellings only).

Targets: at least 2 million lines/s, at least 5x the pandas baseline, peak memory under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from _common import ASP, CMS

from hcpcs import open as open_db

GENERATE = """
COPY (
  WITH codes AS (SELECT code, row_number() OVER (ORDER BY code) - 1 AS n FROM periods
                 WHERE kind = 'procedure' AND release_id = '2020-10' AND termination_date IS NULL
                   AND added_date <= DATE '2018-01-01'),
  counted AS (SELECT count(*) AS total FROM codes),
  raw AS (SELECT i, hash(i) AS h, hash(i * 7 + 3) AS g, hash(i) % (SELECT total FROM counted) AS pick
          FROM range({lines}) t(i))
  SELECT CAST(i // 4 AS VARCHAR) AS claim_id,
    CASE WHEN g % 100 = 0 THEN '99213'                       -- a CPT code: malformed
         WHEN g % 100 = 1 THEN 'S9998'                       -- unknown
         WHEN g % 100 = 2 THEN 'C9034'                       -- terminated
         ELSE codes.code END AS code,
    CAST(DATE '2018-01-01' + CAST(h % 1030 AS INTEGER)
         - CASE WHEN g % 100 = 3 THEN 400 ELSE 0 END AS VARCHAR) AS date,  -- 3: before any release
    CASE WHEN g % 100 = 4 THEN 'XX' WHEN h % 5 = 0 THEN 'GA' WHEN h % 7 = 0 THEN 'KX' ELSE '' END AS modifiers
  FROM raw JOIN codes ON codes.n = raw.pick
  ORDER BY i
) TO '{path}' (FORMAT parquet)
"""

GENERATE_NDC = """
COPY (
  WITH pairs AS (SELECT ndc, code, row_number() OVER (ORDER BY ndc, code) - 1 AS n FROM ndcs),
  counted AS (SELECT count(*) AS total FROM pairs),
  raw AS (SELECT i, hash(i) AS h, hash(i * 7 + 3) AS g, hash(i) % (SELECT total FROM counted) AS pick,
                 hash(i * 13 + 5) % (SELECT total FROM counted) AS other FROM range({lines}) t(i))
  SELECT CAST(i // 4 AS VARCHAR) AS claim_id, p.code,
    CAST(DATE '2024-01-01' + CAST(h % 90 AS INTEGER) AS VARCHAR) AS date,
    CASE WHEN h % 5 = 0 THEN 'JW' ELSE '' END AS modifiers,
    CASE WHEN g % 100 = 0 THEN q.ndc                         -- another pair's NDC: a mismatch (mostly)
         WHEN g % 100 = 1 THEN '99999-9999-99'               -- no crosswalk lists it
         WHEN g % 100 = 2 THEN 'not an ndc'
         WHEN g % 2 = 0 THEN replace(p.ndc, '-', '')          -- 11 digits
         ELSE p.ndc END AS ndc,
    CAST(1 + g % 4 AS VARCHAR) AS units
  FROM raw JOIN pairs p ON p.n = raw.pick JOIN pairs q ON q.n = raw.other
  ORDER BY i
) TO '{path}' (FORMAT parquet)
"""

OURS = """
import json, sys, time
import hcpcs
{peak}
db = hcpcs.open(sys.argv[1], readonly=True)
db.reference()
start = time.perf_counter()
summary = db.validate_file(sys.argv[2], sys.argv[3], echo=sys.argv[4] == "echo")
seconds = time.perf_counter() - start
print(json.dumps({"lines": summary.lines, "invalid": summary.lines - summary.valid, "seconds": seconds,
                  "peak_mb": peak_mb()}))
"""

PANDAS = """
import json, sys, time
import pandas as pd
{peak}
import hcpcs
db = hcpcs.open(sys.argv[1], readonly=True)
ref = db.reference()
import dataclasses
periods = pd.DataFrame([dataclasses.asdict(p) for p in ref.periods])
start = time.perf_counter()
lines = pd.read_parquet(sys.argv[2])
lines["day"] = pd.to_datetime(lines["date"], errors="coerce").astype("datetime64[us]")
lines["code"] = lines["code"].astype(str).str.strip().str.upper()
lines["line"] = range(len(lines))
periods["valid_from"] = pd.to_datetime(periods["valid_from"]).astype("datetime64[us]")
periods["valid_to"] = pd.to_datetime(periods["valid_to"].astype(str).str.replace("9999-12-31", "2262-01-01")
                                     ).astype("datetime64[us]")
for column in ("added_date", "termination_date"):
    periods[column] = pd.to_datetime(periods[column]).astype("datetime64[us]")
periods["code"] = periods["code"].astype(str)
procs = periods[periods["kind"] == "procedure"].sort_values("valid_from")
mods = periods[periods["kind"] == "modifier"].sort_values("valid_from")
left = lines.sort_values("day")
merged = pd.merge_asof(left, procs, left_on="day", right_on="valid_from", by="code")
found = merged["valid_to"] > merged["day"]
merged["reason"] = None
merged.loc[~found, "reason"] = "unknown_code"
merged.loc[found & (merged["added_date"] > merged["day"]), "reason"] = "not_yet_effective"
merged.loc[found & (merged["termination_date"] < merged["day"]), "reason"] = "terminated"
first = merged["modifiers"].str.split().str[0].fillna("")
merged["mod"] = first.astype(str).str.upper()
with_mod = merged[merged["mod"] != ""][["line", "day", "mod"]].sort_values("day")
checked = pd.merge_asof(with_mod, mods.rename(columns={"code": "mod"})[["mod", "valid_from", "valid_to"]],
                        left_on="day", right_on="valid_from", by="mod")
bad_mods = set(checked.loc[~(checked["valid_to"] > checked["day"]), "line"])
merged.loc[merged["line"].isin(bad_mods) & merged["reason"].isna(), "reason"] = "unknown_modifier"
if "ndc" in merged.columns:
    ndcs = pd.DataFrame(ref.ndcs, columns=["quarter", "ndc", "code", "per_package"])
    raw = merged["ndc"].astype(str).str.strip()
    eleven = raw.str.fullmatch(r"[0-9]{11}")
    merged["ndc"] = raw.where(~eleven, raw.str[:5] + "-" + raw.str[5:9] + "-" + raw.str[9:])
    merged = merged.merge(ndcs[["ndc", "code", "per_package"]], on=["ndc", "code"], how="left")
    known = merged["ndc"].isin(set(ndcs["ndc"]))
    merged.loc[known & merged["per_package"].isna() & merged["reason"].isna(), "reason"] = "ndc_mismatch"
    merged["warning"] = None
    merged.loc[~known, "warning"] = "ndc_unknown"
    merged["billing_units"] = pd.to_numeric(merged["units"], errors="coerce") * merged["per_package"]
merged = merged.sort_values("line")
kept = ["claim_id", "code", "date", "modifiers", "reason"]
if "ndc" in merged.columns:
    kept += ["ndc", "warning", "billing_units"]
merged[kept].to_parquet(sys.argv[3])
seconds = time.perf_counter() - start
print(json.dumps({"lines": len(merged), "invalid": int(merged["reason"].notna().sum()), "seconds": seconds,
                  "peak_mb": peak_mb()}))
"""


# The process's own high-water mark (VmHWM): getrusage's ru_maxrss would carry the parent's size over exec.
PEAK = """
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""


def run(script: str, *args: str) -> dict[str, float]:
    code = textwrap.dedent(script).replace("{peak}", PEAK)
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--ndc", action="store_true", help="an NDC and units on every line")
    args = parser.parse_args()
    import duckdb

    from hcpcs.validate.engines import load_reference

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "hcpcs.sqlite"
        with open_db(db) as handle:
            handle.load([CMS, ASP] if args.ndc else [CMS])
            reference = handle.reference()
        lines = Path(folder) / "claims.parquet"
        con = duckdb.connect()
        load_reference(con, reference, Path(folder))
        con.execute("CREATE TEMP TABLE ndcs AS SELECT unnest($1::VARCHAR[]) AS ndc, unnest($2::VARCHAR[]) AS code",
                    [[n for _, n, _, _ in reference.ndcs], [c for _, _, c, _ in reference.ndcs]])
        con.execute((GENERATE_NDC if args.ndc else GENERATE).format(lines=args.lines, path=lines))
        con.close()
        ours = run(OURS, str(db), str(lines), str(Path(folder) / "ours.parquet"), "echo")
        lean = run(OURS, str(db), str(lines), str(Path(folder) / "lean.parquet"), "results-only")
        base = run(PANDAS, str(db), str(lines), str(Path(folder) / "pandas.parquet"))
    n = args.lines
    with_ndc = ", an NDC and units on each" if args.ndc else ""
    print(f"{n:,} claim lines (parquet in and out{with_ndc}), {ours['invalid'] / n:.1%} invalid")
    print(f"hcpcs (DuckDB):   {ours['seconds']:6.2f} s  {n / ours['seconds'] / 1e6:5.2f} M lines/s  "
          f"peak {ours['peak_mb']:6.0f} MB  (targets: >= 2 M lines/s, < 1024 MB)")
    print(f"  --results-only:  {lean['seconds']:6.2f} s  {n / lean['seconds'] / 1e6:5.2f} M lines/s  "
          f"peak {lean['peak_mb']:6.0f} MB  (line number and result, without the input's columns)")
    print(f"pandas merge_asof: {base['seconds']:5.2f} s  {n / base['seconds'] / 1e6:5.2f} M lines/s  "
          f"peak {base['peak_mb']:6.0f} MB  (code and first-modifier checks only)")
    print(f"ratio pandas/hcpcs: {base['seconds'] / ours['seconds']:.2f}x  (target >= 5x)")


if __name__ == "__main__":
    main()
