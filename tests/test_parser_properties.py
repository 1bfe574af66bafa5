"""Property tests: any record written in CMS's fixed-width layout reads back as written, however the lines
are trimmed or padded and the modifiers justified; a file cut inside its last line is refused, not misread."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcpcs import InputError
from hcpcs.model.layout import FIELDS, RECORD_WIDTH
from hcpcs.readers.fixedwidth import read_fixed_width

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789,;()/-'", min_size=1, max_size=12)
CODE = st.from_regex(r"[A-V][0-9]{4}", fullmatch=True)
MODIFIER = st.from_regex(r"[A-Z][A-Z0-9]", fullmatch=True)
DATE = st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(2030, 12, 31))


def write_record(code: str, description: str, values: dict[str, str], *, trim: bool, trim_first: bool = False,
                 left: bool = False) -> list[str]:
    """The lines CMS would write: the first line with every field, then continuation lines; trimmed of
    trailing blanks or not; a modifier right-justified in the code field (``   GA``) or left (``GA   ``)."""
    modifier = len(code) == 2
    chunks = textwrap.wrap(description, 80, break_on_hyphens=False) or [""]  # CMS breaks at spaces only
    first = [" "] * RECORD_WIDTH
    for f in FIELDS:
        for column, (a, b) in zip(f.columns, f.slices, strict=True):
            text = values.get(column, "")
            first[a:b] = list(text.ljust(b - a)[: b - a])
    head = code.ljust(5) if left else code.rjust(5)
    first[0:5] = list(head)
    first[5:11] = list("00100" + ("7" if modifier else "3"))
    first[11:91] = list(chunks[0].ljust(80))
    lines = ["".join(first).rstrip() if trim_first else "".join(first)]
    for n, chunk in enumerate(chunks[1:], start=2):
        line = f"{head}{n:03d}00{'8' if modifier else '4'}{chunk.ljust(80)}"
        lines.append(line if trim else line.ljust(RECORD_WIDTH))
    return lines


RECORDS = {
    "codes": st.lists(st.one_of(CODE, MODIFIER), min_size=1, max_size=6, unique=True),
    "words": st.lists(st.lists(WORD, min_size=1, max_size=40), min_size=6, max_size=6),
    "added": DATE,
    "short": st.text(alphabet="abcdefghij ", max_size=28),
    "trim": st.booleans(),
    "trim_first": st.booleans(),
    "left": st.booleans(),
    "preamble": st.lists(st.text(alphabet="abc *-.", max_size=60), max_size=4),
}


def write_file(codes: list[str], words: list[list[str]], added: dt.date, short: str, trim: bool, trim_first: bool,
               left: bool, preamble: list[str]) -> tuple[list[str], dict[str, str]]:
    lines = [*preamble, ""]
    expected = {}
    for code, description_words in zip(codes, words, strict=False):
        description = " ".join(description_words)
        values = {"short_description": short.strip(), "added_date": added.strftime("%Y%m%d"), "coverage": "I",
                  "pricing_indicator_1": "00", "type_of_service_1": "9"}
        lines += write_record(code, description, values, trim=trim, trim_first=trim_first, left=left)
        expected[code] = description
    return lines, expected


@settings(max_examples=150, deadline=None)
@given(**RECORDS, end=st.sampled_from(["", "\r\n"]))
def test_fixed_width_round_trip(codes: list[str], words: list[list[str]], added: dt.date, short: str,
                                trim: bool, trim_first: bool, left: bool, preamble: list[str], end: str) -> None:
    lines, expected = write_file(codes, words, added, short, trim, trim_first, left, preamble)
    data = ("\r\n".join(lines) + (end or ("\r\n" if trim_first else ""))).encode("cp1252")
    records = read_fixed_width(data, "generated.txt")
    assert [r.code for r in records] == list(expected)
    for record in records:
        assert record.values["long_description"] == expected[record.code]
        assert record.values["added_date"] == added
        assert record.values["short_description"] == (short.strip() or None)
        assert record.values["coverage"] == "I"
        assert record.values["pricing_indicator_1"] == "00"
        assert record.values["action_code"] is None
        assert record.kind == ("modifier" if len(record.code) == 2 else "procedure")


@settings(max_examples=100, deadline=None)
@given(**RECORDS, cut=st.floats(0, 1, exclude_max=True))
def test_a_file_cut_inside_its_last_line_is_refused_or_lost_only_blanks(
        codes: list[str], words: list[list[str]], added: dt.date, short: str, trim: bool, trim_first: bool,
        left: bool, preamble: list[str], cut: float) -> None:
    lines, _ = write_file(codes, words, added, short, trim, trim_first, left, preamble)
    whole = read_fixed_width(("\r\n".join(lines) + "\r\n").encode("cp1252"), "whole.txt")
    last = lines[-1]
    at = max(1, int(len(last) * cut))  # a cut at a line end leaves a whole file, one record short
    cut_data = "\r\n".join([*lines[:-1], last[:at]]).encode("cp1252")
    try:
        records = read_fixed_width(cut_data, "cut.txt")
    except InputError as exc:
        assert exc.line == len(lines) or "holds no HCPCS records" in str(exc), str(exc)
        return
    assert [r.row for r in records] == [r.row for r in whole]  # only blanks after the last field were cut
    assert not last[at:].strip()


def test_a_modifier_code_in_a_procedure_record_is_refused() -> None:
    line = write_record("GA", "a modifier", {}, trim=False)[0]
    with pytest.raises(InputError, match=r"line 1: record id 3 does not fit code 'GA'"):
        read_fixed_width((line[:10] + "3" + line[11:] + "\r\n").encode(), "x.txt")
