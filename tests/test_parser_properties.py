"""Property tests: any record written in CMS's fixed-width layout reads back as written."""

from __future__ import annotations

import datetime as dt
import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from hcpcs._fixedwidth import read_fixed_width
from hcpcs._layout import FIELDS, RECORD_WIDTH

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789,;()/-'", min_size=1, max_size=12)
CODE = st.from_regex(r"[A-V][0-9]{4}", fullmatch=True)
MODIFIER = st.from_regex(r"[A-Z][A-Z0-9]", fullmatch=True)
DATE = st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(2030, 12, 31))


def write_record(code: str, description: str, values: dict[str, str], *, trim: bool) -> list[str]:
    """The lines CMS would write: the first line with every field, then continuation lines."""
    modifier = len(code) == 2
    chunks = textwrap.wrap(description, 80, break_on_hyphens=False) or [""]  # CMS breaks at spaces only
    first = [" "] * RECORD_WIDTH
    for f in FIELDS:
        for column, (a, b) in zip(f.columns, f.slices, strict=True):
            text = values.get(column, "")
            first[a:b] = list(text.ljust(b - a)[: b - a])
    head = code.rjust(5)
    first[0:5] = list(head)
    first[5:11] = list("00100" + ("7" if modifier else "3"))
    first[11:91] = list(chunks[0].ljust(80))
    lines = ["".join(first)]
    for n, chunk in enumerate(chunks[1:], start=2):
        line = f"{head}{n:03d}00{'8' if modifier else '4'}{chunk.ljust(80)}"
        lines.append(line if trim else line.ljust(RECORD_WIDTH))
    return lines


@settings(max_examples=150, deadline=None)
@given(
    codes=st.lists(st.one_of(CODE, MODIFIER), min_size=1, max_size=6, unique=True),
    words=st.lists(st.lists(WORD, min_size=1, max_size=40), min_size=6, max_size=6),
    added=DATE,
    short=st.text(alphabet="abcdefghij ", max_size=28),
    trim=st.booleans(),
    preamble=st.lists(st.text(alphabet="abc *-.", max_size=60), max_size=4),
)
def test_fixed_width_round_trip(codes: list[str], words: list[list[str]], added: dt.date, short: str,
                                trim: bool, preamble: list[str]) -> None:
    lines = [*preamble, ""]
    expected = {}
    for code, description_words in zip(codes, words, strict=False):
        description = " ".join(description_words)
        values = {"short_description": short.strip(), "added_date": added.strftime("%Y%m%d"), "coverage": "I",
                  "pricing_indicator_1": "00", "type_of_service_1": "9"}
        lines += write_record(code, description, values, trim=trim)
        expected[code] = description
    data = "\r\n".join(lines).encode("cp1252")
    records = read_fixed_width(data, "generated.txt")
    assert [r.code for r in records] == list(expected)
    for record in records:
        assert record.values["long_description"] == expected[record.code]
        assert record.values["added_date"] == added
        assert record.values["short_description"] == (short.strip() or None)
        assert record.values["coverage"] == "I"
        assert record.kind == ("modifier" if len(record.code) == 2 else "procedure")
