"""Parse the 2020 fixed-width file: hcpcs's reader against pandas.read_fwf on the same bytes.

hcpcs parses every field, types dates, and joins continuation records into whole descriptions;
read_fwf only slices the columns (it does not join continuations). Target: hcpcs at least 3x faster.
"""

from __future__ import annotations

import io
import sys

import pandas as pd
from _common import anweb_text, paired_seconds

from hcpcs.model.layout import FIELDS
from hcpcs.readers.fixedwidth import read_fixed_width

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
name, data = anweb_text(2020)
colspecs = [s for f in FIELDS for s in f.slices]
names = [c for f in FIELDS for c in f.columns]


def ours() -> object:
    return read_fixed_width(data, name)


def peer() -> object:
    return pd.read_fwf(io.BytesIO(data), colspecs=colspecs, names=names, dtype=str, encoding="cp1252",
                       skiprows=9, header=None)


records = ours()
frame = peer()
count, rows = len(records), len(frame)  # type: ignore[arg-type]
del records, frame
a, b, ratio = paired_seconds(ours, peer, RUNS)
print(f"file: {name} ({len(data):,} bytes, {count:,} records, {rows:,} pandas rows)")
print(f"hcpcs read_fixed_width: {a * 1000:8.1f} ms (median of {RUNS}, run alternately with pandas)")
print(f"pandas.read_fwf:        {b * 1000:8.1f} ms (median of {RUNS})")
print(f"ratio pandas/hcpcs:     {ratio:8.2f}x  (median of the {RUNS} paired ratios; target >= 3x)")
