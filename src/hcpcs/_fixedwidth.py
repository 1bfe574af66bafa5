"""Reader of CMS's fixed-width HCPCS file (``*ANWEB*.txt``): record lines to ``Record`` objects.

Handles what CMS's files hold: disclaimer lines before the first record, Windows line ends,
Windows-1252 text, long descriptions continued over records with id 4 (procedures) or 8 (modifiers),
two-character modifier codes, and lines trimmed to 92 or padded to 320 characters.
"""

from __future__ import annotations

import re

from ._errors import InputError
from ._layout import COLUMNS, CONTINUATION_IDS, FIELDS, FIRST_LINE_IDS
from ._models import Record
from ._values import decode_cms_text, typed_values

#: A record line: a code (procedures: five characters; modifiers: three blanks and two characters),
#: a five-digit sequence number and a record id.
RECORD_LINE = re.compile(r"[A-Z0-9 ]{3}[A-Z0-9]{2}\d{5}[3478]")
#: The last column a first-line record must reach: the action code.
_MIN_FIRST_LINE = max(f.start + f.length * f.occurs - 1 for f in FIELDS)

_DESCRIPTION = slice(11, 91)


def _field_pattern() -> re.Pattern[str]:
    """One regular expression whose groups are the fields of a first-line record, in COLUMNS order."""
    spans = sorted((a, b) for f in FIELDS for a, b in f.slices)
    parts, at = [], 0
    for a, b in spans:
        if a > at:
            parts.append(f".{{{a - at}}}")  # a filler
        parts.append(f"(.{{{b - a}}})")
        at = b
    return re.compile("".join(parts), re.S)


_FIELDS_OF_LINE = _field_pattern()
assert [c for f in FIELDS for c in f.columns] == list(COLUMNS)


def looks_like_fixed_width(head: bytes) -> bool:
    """True when the first few kilobytes of a file hold HCPCS record lines."""
    text = decode_cms_text(head)
    return any(RECORD_LINE.match(line) for line in text.splitlines()[:200])


def read_fixed_width(data: bytes, source: str) -> list[Record]:
    """Parse a whole fixed-width file; raise ``InputError`` naming the line on anything malformed."""
    lines = decode_cms_text(data).splitlines()
    records: list[Record] = []
    current: Record | None = None
    parts: list[str] = []
    started = False
    match = RECORD_LINE.match
    for number, line in enumerate(lines, start=1):
        if not match(line):
            if not line.strip():
                continue
            if started:
                raise InputError(source, f"not an HCPCS record: {line[:40].strip()!r}", line=number)
            continue  # a disclaimer line before the first record
        started = True
        record_id = line[10]
        code = line[:5].strip()
        if record_id in FIRST_LINE_IDS:
            if current is not None:
                current.values["long_description"] = " ".join(parts)
            if len(line) < _MIN_FIRST_LINE:
                raise InputError(
                    source,
                    f"record for {code} is cut short at {len(line)} characters, "
                    f"expected at least {_MIN_FIRST_LINE} (truncated file?)",
                    line=number,
                )
            if (len(code) == 2) != (record_id == "7"):
                raise InputError(source, f"record id {record_id} does not fit code {code!r}", line=number)
            fields = _FIELDS_OF_LINE.match(line)
            assert fields is not None  # the line is long enough, checked above
            raw = list(map(str.strip, fields.groups()))
            values, repairs = typed_values(raw, source=source, line=number)
            current = Record(code, values, number, repairs)
            records.append(current)
            parts = [line[_DESCRIPTION].strip()]
        else:
            assert record_id in CONTINUATION_IDS
            if current is None or current.code != code:
                raise InputError(
                    source, f"continuation of {code} does not follow its first record", line=number
                )
            text = line[_DESCRIPTION].strip()
            if text:
                parts.append(text)
    if current is not None:
        current.values["long_description"] = " ".join(parts)
    if not records:
        raise InputError(source, "holds no HCPCS records (is it the ANWEB file?)")
    return records
