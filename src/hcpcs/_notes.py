"""Readers of the smaller CMS files: processing notes (``proc_notes_YYYY.txt``) and the NOC code list."""

from __future__ import annotations

import datetime as dt
import re

from ._errors import InputError
from ._models import NocEntry
from ._spreadsheet import cell_text, find_header, read_rows
from ._values import decode_cms_text, parse_date

_NOTE_START = re.compile(r"^\s*(\d{4})--(.*)$")
_NOTE_TAIL = re.compile(r"\s*\*?\s*$")
_NOC_LINE = re.compile(r"^\s{0,6}([A-Z]\d{4})\s+(.*?)\s+(\d{8})(?:\s+(\d{8}))?\s*$")
_NOC_HEADERS = frozenset({"HCPCS", "LONG DESCRIPTION", "ADD DATE", "TERM DATE"})


def looks_like_processing_notes(head: bytes) -> bool:
    return "PROCESSING NOTES" in decode_cms_text(head[:4000]).upper()


def read_processing_notes(data: bytes, source: str) -> dict[str, str]:
    """Processing note number (``0088``) to its text, continuation lines joined with single spaces."""
    notes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in decode_cms_text(data).splitlines():
        body = _NOTE_TAIL.sub("", line)
        start = _NOTE_START.match(body)
        if start:
            number, text = start.groups()
            if number in notes:
                raise InputError(source, f"processing note {number} appears twice")
            current = notes[number] = [text.strip()]
        elif current is not None and body.strip():
            current.append(body.strip())
        elif not body.strip():
            current = None
    if not notes:
        raise InputError(source, "holds no processing notes (lines such as '0088--TEXT')")
    return {number: " ".join(parts) for number, parts in notes.items()}


def read_noc_text(data: bytes, source: str) -> list[NocEntry]:
    """The ``.prn`` NOC list: code, long description (cut at 80 characters by CMS), add and term dates."""
    entries = []
    for number, line in enumerate(decode_cms_text(data).splitlines(), start=1):
        match = _NOC_LINE.match(line)
        if match:
            code, text, added, ended = match.groups()
            entries.append(NocEntry(code, text, _date(added, source, number), _date(ended or "", source, number)))
    if not entries:
        raise InputError(source, "holds no NOC codes")
    return entries


def read_noc_spreadsheet(data: bytes, source: str) -> list[NocEntry]:
    rows = read_rows(data, source)
    found = find_header(rows, _NOC_HEADERS)
    if found is None:
        raise InputError(source, "no header row (HCPCS, LONG DESCRIPTION, ADD DATE, TERM DATE)")
    start, at = found
    entries = []
    for index in range(start + 1, len(rows)):
        row = rows[index]
        code = cell_text(row[at["HCPCS"]]).upper()
        if not code:
            continue
        entries.append(NocEntry(
            code,
            cell_text(row[at["LONG DESCRIPTION"]]),
            _date(cell_text(row[at["ADD DATE"]]), source, index + 1),
            _date(cell_text(row[at["TERM DATE"]]), source, index + 1),
        ))
    if not entries:
        raise InputError(source, "holds no NOC codes")
    return entries


def _date(raw: str, source: str, line: int) -> dt.date | None:
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise InputError(source, str(exc), line=line) from None

