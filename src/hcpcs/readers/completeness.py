"""Whether a code file is whole: the signs that one was cut short at a line (or row) boundary.

A file cut in the middle of a line is refused by the readers (its last record is short). A file cut at a
line boundary reads as records like any other, so the load checks two rules that hold for every CMS release
in ``../shared`` (2011 to October 2025, text and spreadsheet alike) and follow from how CMS builds the file:

1. **The last code is a V code.** CMS lists the modifiers first, then the procedure codes in ascending
   order, A codes to V codes: every release 2011-2025 ends at V5364. A file whose last procedure code is
   not a V code ends before the last range of the code set.
2. **No fewer procedures than the release before, less a tenth.** CMS keeps discontinued codes in the file
   (with their termination date) for years, so a release has about as many codes as the one before it or
   more (5,410 in 2011 to 8,463 in October 2025, never fewer from one to the next). A release with fewer
   than nine tenths of the procedure codes of the release before it (by effective date, among those
   loaded) lost them.

Each rule broken is a ``LoadWarning`` naming the file and the last record (a release of a few codes built
by hand breaks them, and may be loaded); ``--strict`` makes it an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model.records import LoadWarning, Record

#: The letter of the last range of Level II procedure codes (vision, hearing and speech services).
LAST_RANGE = "V"
#: A release with fewer procedure codes than this share of the release before it lost some.
KEPT_SHARE = 0.9


def cut_short(records: Sequence[Record], source: str, *, in_rows: bool) -> list[LoadWarning]:
    """Rule 1: the warning for a code file whose last procedure code is not a V code (``in_rows``: a
    spreadsheet, whose records are numbered by row)."""
    if not records:
        return []
    last = next((r for r in reversed(records) if len(r.code) == 5), records[-1])
    if last.code.startswith(LAST_RANGE) and len(last.code) == 5:
        return []
    kind = "code" if len(last.code) == 5 else "modifier (there is no procedure code)"
    return [LoadWarning(source, f"the last code is {kind} {last.code}, not a {LAST_RANGE} code as in every CMS code "
                        f"file (which ends at V5364): cut short? ({len(records):,} records read)",
                        line=None if in_rows else last.line, row=last.line if in_rows else None)]


def fewer_than_before(release: str, count: int, previous: str, previous_count: int, source: str) -> list[LoadWarning]:
    """Rule 2: the warning for a release with fewer than nine tenths of the procedure codes of the one before."""
    if count >= KEPT_SHARE * previous_count:
        return []
    return [LoadWarning(source, f"release {release} holds {count:,} procedure codes, {previous_count - count:,} "
                        f"fewer than release {previous} ({previous_count:,}): cut short?")]
