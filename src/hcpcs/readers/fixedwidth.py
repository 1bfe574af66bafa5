"""Reader of CMS's fixed-width HCPCS file (``*ANWEB*.txt``): record lines to ``Record`` objects.

Handles what CMS's files hold, 2011 to today: disclaimer lines before the first record, a stray character
in the first record's code field (2011's backtick), Windows line ends, Windows-1252 text, long descriptions
continued over records with id 4 (procedures) or 8 (modifiers), two-character modifier codes right- or
left-justified in the code field, and lines trimmed (92 characters), padded (320) or ending early (293 in
2011): a line that ends early is read as if padded with blanks. Only the last line of a file that ends
without a line end, short of a whole record, is taken for a truncated file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .._errors import InputError
from ..model.layout import (
    COLUMN_INDEX,
    COLUMNS,
    CONTINUATION_IDS,
    FIELDS,
    FIELDS_BY_NAME,
    FIRST_LINE_IDS,
    RECORD_WIDTH,
    SPAN_FIELDS,
)
from ..model.records import Record, Repair, Value
from ..model.values import check_texts, decode_cms_text, typed_row

#: A record line: a code (procedures: five characters; modifiers: two characters after or before three
#: blanks), a five-digit sequence number and a record id.
RECORD_LINE = re.compile(r"(?:[A-Z0-9 ]{3}[A-Z0-9]{2}|[A-Z0-9]{2}   )\d{5}[3478]")
#: Stray characters at the start of the first record: 2011 has a backtick in place of the code's first blank
#: ("`  A1001007"); a byte-order mark would come in front of the line.
_STRAY_START = re.compile(r"[^A-Z0-9 ]{1,3}")
#: The last column a first-line record must reach: the action code.
_MIN_FIRST_LINE = max(f.start + f.length * f.occurs - 1 for f in FIELDS)
_LONG_END = FIELDS_BY_NAME["long_description"].slices[0][1]

_SEQUENCE, _LONG, _SHORT = (slice(*FIELDS_BY_NAME[name].slices[0]) for name in (
    "sequence", "long_description", "short_description"))
#: After the descriptions the line is read in spans of neighbouring fields (``_layout.SPAN_FIELDS``), each
#: span's text typed once per file: values recur across codes (the same indicators, references, BETOS,
#: dates), so a file holds few distinct texts per span (2020: 7,079 records, at most 805 distinct texts in a span).


@dataclass(frozen=True)
class _Span:
    start: int  # the span's slice of the line
    end: int
    first: int  # the index in COLUMNS of its first column
    cuts: tuple[tuple[int, int], ...]  # each column's slice of the span's text


def _spans() -> tuple[_Span, ...]:
    names = [f.name for f in FIELDS]
    spans = []
    for first_name, last_name in SPAN_FIELDS:
        fields = FIELDS[names.index(first_name): names.index(last_name) + 1]
        cuts = [cut for f in fields for cut in f.slices]
        start = cuts[0][0]
        spans.append(_Span(start, cuts[-1][1], COLUMN_INDEX[fields[0].columns[0]],
                           tuple((a - start, b - start) for a, b in cuts)))
    return tuple(spans)


_SPANS = _spans()
_HEAD = ("code", "sequence", "record_id", "long_description", "short_description")
assert COLUMNS[: len(_HEAD)] == _HEAD and _SPANS[0].first == len(_HEAD)
assert sum(len(span.cuts) for span in _SPANS) == len(COLUMNS) - len(_HEAD)  # every column, once


def looks_like_fixed_width(head: bytes) -> bool:
    """True when the first few kilobytes of a file hold HCPCS record lines."""
    text = decode_cms_text(head)
    return any(RECORD_LINE.match(line) for line in text.splitlines()[:200])


def read_fixed_width(data: bytes, source: str) -> list[Record]:
    """Parse a whole fixed-width file; raise ``InputError`` naming the line on anything malformed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[1:400:2].count(0) > 100 or data[0:400:2].count(0) > 100:
        raise InputError(source, "the file is UTF-16 text; CMS's code files are Windows-1252 (ANSI): save it as that")
    lines = decode_cms_text(data.rstrip(b"\x1a") if data.endswith(b"\x1a") else data).splitlines()  # DOS's Ctrl-Z
    count = len(lines)
    ended = not data or data.endswith((b"\n", b"\r", b"\x1a"))
    cut = count if ended else count - 1  # the number of the last line with a line end
    if not ended and lines[-1].isspace():
        raise InputError(source, "the file ends in blanks without a line end (truncated file?)", line=count)
    # Per span of the line: the span's slice and columns, and its distinct texts typed so far.
    spans: list[tuple[int, int, int, tuple[tuple[int, int], ...], dict[str, tuple[Value, ...]]]] = [
        (span.start, span.end, span.first, span.cuts, {}) for span in _SPANS
    ]
    records: list[Record] = []
    match = RECORD_LINE.match
    number = 0  # the 1-based number of the line just read
    while number < count:
        line = lines[number]
        number += 1
        if not match(line):
            if not line.strip():
                continue
            if records:
                raise InputError(source, f"not an HCPCS record: {line[:40].strip()!r}", line=number)
            behind_stray = _first_record(line)
            if behind_stray is None:
                continue  # a disclaimer line before the first record
            line, stray = behind_stray
        else:
            stray = None
        record_id = line[10]
        code = line[:5].strip()
        if record_id not in FIRST_LINE_IDS:
            raise InputError(source, f"continuation of {code} does not follow its first record", line=number)
        if len(line) < _MIN_FIRST_LINE:
            if number > cut:
                raise _truncated(source, code, line, number, _MIN_FIRST_LINE)
            line = line.ljust(RECORD_WIDTH)  # trailing blanks trimmed, or a record that ends early
        if (len(code) == 2) != (record_id == "7"):
            raise InputError(source, f"record id {record_id} does not fit code {code!r}", line=number)
        first_line = number
        # The long description goes on in the continuation records that follow (blank lines aside).
        parts = [line[_LONG].strip()]
        while number < count:
            more = lines[number]
            if more[10:11] in CONTINUATION_IDS and match(more):
                number += 1
                _check_continuation(more, code, source, number, cut)
                if text := more[_LONG].strip():
                    parts.append(text)
            elif not more or more.isspace():
                number += 1
            else:
                break
        head = (code, line[_SEQUENCE], record_id, " ".join(parts) or None, line[_SHORT].strip() or None)
        check_texts(head, code=code, source=source, line=first_line)
        row: tuple[Value, ...] = head
        repairs = [] if stray is None else [stray]
        for start, end, first, cuts, typed in spans:
            text = line[start:end]
            values = typed.get(text)
            if values is None:
                values, mended = typed_row([text[a:b].strip() for a, b in cuts], code=code,
                                           source=source, first=first, line=first_line)
                if mended:  # a repair names its code: such a span is typed again each time
                    repairs += mended
                else:
                    typed[text] = values
            row += values
        records.append(Record(code, row, first_line, repairs))
    if not records:
        raise InputError(source, "holds no HCPCS records (is it the ANWEB file?)")
    return records


def _first_record(line: str) -> tuple[str, Repair] | None:
    """The first record behind stray characters, read as if they were blanks or, failing that, absent."""
    stray = _STRAY_START.match(line)
    if stray is None:
        return None
    rest = line[stray.end():]
    for mended, how in ((" " * stray.end() + rest, "as blanks"), (rest, "dropped")):
        if RECORD_LINE.match(mended):
            code = mended[:5].strip()
            return mended, Repair(code, "code", repr(line[:5]), f"{mended[:5]!r} (the stray characters {how})",
                                  "stray characters before the first record")
    return None


def _check_continuation(line: str, code: str, source: str, number: int, cut: int) -> None:
    """A continuation record goes on its code's description and holds nothing else."""
    if line[:5].strip() != code:
        raise InputError(source, f"continuation of {line[:5].strip()} does not follow its first record", line=number)
    if number > cut and len(line) < _LONG_END:
        raise _truncated(source, code, line, number, _LONG_END)
    if line[_LONG_END:].strip():
        raise InputError(source, f"continuation of {code} holds more than its description: "
                         f"{line[_LONG_END:].strip()[:40]!r}", line=number)


def _truncated(source: str, code: str, line: str, number: int, expected: int) -> InputError:
    return InputError(source, f"record for {code} is cut short at {len(line)} characters, expected at least "
                      f"{expected}, and the file ends there without a line end (truncated file?)", line=number)
