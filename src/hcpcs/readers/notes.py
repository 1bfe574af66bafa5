"""Readers of the smaller CMS files: processing notes (``proc_notes_YYYY.txt``) and the NOC code list; and
the tables the side-file readers share (NOC lists, corrections, transaction reports): finding a header row
by what its columns mean, and cutting CMS's fixed-width ``.prn`` text into cells.

A side file never blocks a release: what a reader cannot fully understand goes to the ``warnings`` list it
is given (naming the file and the line or row), and everything else is stored. A line, row or note holding a
control character (NUL, escape, ...) or a cell as long as a spreadsheet cell can be (cut, or not CMS's) is
not stored, with a warning naming it and its field: its value would be wrong. Only a file that is not that
kind of file at all (no header, nothing readable, UTF-16 text) raises ``InputError``.

Layouts met so far:

- NOC lists: a ``.prn`` (2018, 2019) with a title, a header line (``HCPCS``, ``LONG DESCRIPTION``,
  ``ADD DATE``, ``TERM DATE``) and the description cut at 80 characters; an ``.xlsx`` with the header on
  row 3 (2025) or 4 (2018, 2019); a tab-separated ``.txt``. In all of them CMS splits a long description
  over two lines, the second with the same code, no dates and the rest of the text (``J1566``, 2018).
- Processing notes: ``0088--TEXT`` lines, continued on the lines below, notes ended by a blank line (or a
  line holding only ``*``), under a ``PROCESSING NOTES`` title.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import InputError
from ..model.records import LoadWarning, NocEntry
from ..model.values import decode_cms_text, text_fault
from .spreadsheet import cell_text, read_rows

SPREADSHEET = (".xlsx", ".xls", ".xlsm")
HEADER_SCAN = 60
#: A test of a header label (upper case, single spaces) for one meaning.
Meaning = Callable[[str], bool]

_NOTE_START = re.compile(r"^\s*(\d{4})\s*--(.*)$")
_NOTE_TAIL = re.compile(r"\s*\*?\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # Ctrl-Z (end of file) and the like
_CHUNK = re.compile(r"\S+(?: \S+)*")  # text between runs of two or more spaces
_SPLIT_LIMIT = 300
_NOC_CODE = re.compile(r"[A-Z][0-9]{4}")
_NOC_LABELS = ("HCPCS", "LONG DESCRIPTION", "ADD DATE", "TERM DATE")


# -- processing notes ---------------------------------------------------------------------------------------

def side_text(data: bytes, source: str) -> str:
    """A side file's text (Windows-1252, as CMS writes it); ``InputError`` for UTF-16 text, whose every other
    byte would read as a NUL."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[1:400:2].count(0) > 100 or data[0:400:2].count(0) > 100:
        raise InputError(source, "the file is UTF-16 text; CMS's files are Windows-1252 (ANSI): save it as that")
    return decode_cms_text(data)


def looks_like_processing_notes(head: bytes) -> bool:
    return "PROCESSING NOTES" in decode_cms_text(head[:4000]).upper()


def read_processing_notes(data: bytes, source: str, *, warnings: list[LoadWarning]) -> dict[str, str]:
    """Processing note number (``0088``) to its text, continuation lines joined with single spaces.

    A note number given twice keeps its first text; a line outside every note after the first note is
    skipped; a note with a line that holds a control character or is as long as a spreadsheet cell can be
    is left out; each with a warning."""
    notes: dict[str, list[str]] = {}
    spoiled: set[str] = set()
    current: list[str] | None = None
    note = ""
    for number, line in enumerate(side_text(data, source).splitlines(), start=1):
        body = _NOTE_TAIL.sub("", line)
        start = _NOTE_START.match(body)
        if start:
            note = start.group(1)
            current = _start_note(notes, note, start.group(2).strip(), source, number, warnings)
        elif blank(body):
            current = None
        elif current is not None:
            current.append(body.strip())
        elif notes:
            warnings.append(LoadWarning(source, f"not part of a processing note, skipped: {body.strip()[:60]!r}",
                                        line=number))
            continue
        fault = text_fault(body.strip()) if current is not None and current is notes.get(note) else None
        if fault is not None and note not in spoiled:
            spoiled.add(note)
            warnings.append(LoadWarning(source, f"{fault[1]}: processing note {note} not stored", line=number,
                                        field=f"note {note}"))
    for note in spoiled:
        notes.pop(note, None)
    if not notes:
        raise InputError(source, "holds no processing notes (lines such as '0088--TEXT')")
    return {number: " ".join(parts) for number, parts in notes.items()}


def _start_note(notes: dict[str, list[str]], number: str, text: str, source: str, line: int,
                warnings: list[LoadWarning]) -> list[str]:
    """The list to gather a note's lines in: a new note's, or a throwaway one for a number given twice."""
    if number in notes:
        warnings.append(LoadWarning(source, f"processing note {number} appears again: kept the first text, "
                                    f"skipped {text[:40]!r}", line=line))
        return []
    notes[number] = [text]
    return notes[number]


# -- NOC lists ----------------------------------------------------------------------------------------------

def read_noc_text(data: bytes, source: str, *, warnings: list[LoadWarning]) -> list[NocEntry]:
    """The ``.prn`` (fixed-width) or tab-separated ``.txt`` NOC list: code, long description (cut at 80
    characters in the ``.prn``), add and term dates."""
    table = text_table(side_text(data, source), source, _NOC_MEANINGS, _NOC_REQUIRED, _NOC_LABELS)
    if table is None:
        raise InputError(source, "no header line (HCPCS, LONG DESCRIPTION, ADD DATE, TERM DATE): not a NOC list")
    return _noc_entries(table, warnings)


def read_noc_spreadsheet(data: bytes, source: str, *, warnings: list[LoadWarning]) -> list[NocEntry]:
    """The ``.xlsx``/``.xls`` NOC list, its header found by meaning wherever it is in the first rows."""
    table = sheet_table(read_rows(data, source), source, _NOC_MEANINGS, _NOC_REQUIRED)
    if table is None:
        raise InputError(source, "no header row (HCPCS, LONG DESCRIPTION, ADD DATE, TERM DATE): not a NOC list")
    return _noc_entries(table, warnings)


def _noc_entries(table: Table, warnings: list[LoadWarning]) -> list[NocEntry]:
    entries: list[NocEntry] = []
    seen: set[str] = set()
    for index in table.body(warnings):
        code = table.cell(index, "code").upper()
        text = table.cell(index, "description")
        added, ended = table.cell(index, "added"), table.cell(index, "terminated")
        if not _NOC_CODE.fullmatch(code):
            table.warn(warnings, index, f"not a NOC line (a code, its description, dates), skipped: "
                                        f"{' '.join(table.rows[index])[:60]!r}")
        elif entries and entries[-1].code == code and not added and not ended and text[:1].islower():
            # the rest of the description above, which CMS split over two lines
            entries[-1] = dataclasses.replace(entries[-1], long_description=f"{entries[-1].long_description} {text}")
        elif code in seen:
            table.warn(warnings, index, f"{code} is listed again ({text[:40]!r}): kept the first line")
        else:
            seen.add(code)
            entries.append(NocEntry(code, text, table.day(index, added, warnings), table.day(index, ended, warnings)))
    if not entries:
        raise InputError(table.source, "holds a header but no NOC codes")
    return entries


# -- tables: header by meaning, cells of every kind of side file --------------------------------------------

def label_key(text: str) -> str:
    """A header label as compared: upper case, underscores as spaces, single spaces."""
    return " ".join(text.replace("_", " ").upper().split())


def label_words(label: str) -> set[str]:
    return set(re.split(r"[\s/.,&()-]+", label)) - {""}


def is_code_label(label: str) -> bool:
    """``HCPCS``, ``HCPC``, ``HCPCS/MOD``, ``HCPCS/Modifier Code``, ``HCPCS/MOD Code``, ``CODE``..."""
    return label.startswith("HCPC") or label in {"CODE", "CODES", "MOD", "MODIFIER", "PROCEDURE CODE"}


def is_date_text(text: str) -> bool:
    return bool(re.fullmatch(r"\d{8}|\d{1,2}/\d{1,2}/\d{2,4}", text))


def cms_day(text: str) -> dt.date | None:
    """A date as CMS writes it in side files: ``YYYYMMDD`` (also what a date cell reads as) or
    ``MM/DD/YYYY``; ``None`` when it is neither."""
    for form in ("%Y%m%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def blank(text: str) -> bool:
    return not _CONTROL.sub("", text).strip()


@dataclass(frozen=True, slots=True)
class Table:
    """A side file as rows of cell texts, with its header row and the columns found in it by meaning.

    Rows are numbered as in the file (``rows[0]`` is line or row 1), so warnings can name them."""

    source: str
    rows: list[list[str]]
    header: int
    columns: dict[str, int]
    labels: dict[int, str]
    by_line: bool

    def body(self, warnings: list[LoadWarning]) -> list[int]:
        """The indexes of the rows below the header that hold anything. A row with a cell that cannot be
        stored as it is (see ``text_fault``) is left out, with a warning naming its field."""
        out = []
        for index in range(self.header + 1, len(self.rows)):
            row = self.rows[index]
            fault = next(((at, found[1]) for at, cell in enumerate(row) if (found := text_fault(cell))), None)
            if fault is not None:
                at, why = fault
                self.warn(warnings, index, f"{why}: not stored", field=self.labels.get(at, f"column {at + 1}"))
            elif not all(blank(cell) for cell in row):
                out.append(index)
        return out

    def cell(self, index: int, meaning: str) -> str:
        position = self.columns.get(meaning)
        row = self.rows[index]
        return row[position].strip() if position is not None and position < len(row) else ""

    def at(self, index: int, position: int) -> str:
        row = self.rows[index]
        return row[position].strip() if position < len(row) else ""

    def warn(self, warnings: list[LoadWarning], index: int, message: str, *, field: str | None = None) -> None:
        if self.by_line:
            warnings.append(LoadWarning(self.source, message, line=index + 1, field=field))
        else:
            warnings.append(LoadWarning(self.source, message, row=index + 1, field=field))

    def day(self, index: int, text: str, warnings: list[LoadWarning]) -> dt.date | None:
        """The date in ``text``; a warning (and ``None``) when it is not one."""
        if not text:
            return None
        found = cms_day(text)
        if found is None:
            self.warn(warnings, index, f"{text[:20]!r} is not a date (YYYYMMDD or MM/DD/YYYY): stored without it")
        return found


def find_header(rows: Sequence[Sequence[str]], meanings: Mapping[str, Meaning],
                required: frozenset[str]) -> tuple[int, dict[str, int], dict[int, str]] | None:
    """The first row (of the first ``HEADER_SCAN``) whose labels carry every ``required`` meaning: its
    index, each meaning's position (the first label that has it), and every label by position."""
    for index, row in enumerate(rows[:HEADER_SCAN]):
        labels = {position: key for position, cell in enumerate(row) if (key := label_key(cell))}
        columns: dict[str, int] = {}
        for position, label in labels.items():
            meaning = next((name for name, test in meanings.items() if test(label)), None)
            if meaning is not None and meaning not in columns:
                columns[meaning] = position
        if required <= columns.keys():
            return index, columns, labels
    return None


def sheet_table(rows: list[list[Any]], source: str, meanings: Mapping[str, Meaning],
                required: frozenset[str]) -> Table | None:
    """A spreadsheet's first sheet as a table, or ``None`` when no header row has the ``required`` meanings."""
    texts = [[cell_text(cell) for cell in row] for row in rows]
    found = find_header(texts, meanings, required)
    return Table(source, texts, *found, by_line=False) if found else None


def text_table(text: str, source: str, meanings: Mapping[str, Meaning], required: frozenset[str],
               names: Sequence[str]) -> Table | None:
    """A text side file as a table: tab-separated, or fixed-width as Excel writes a ``.prn`` (see
    ``fixed_width_cells``), its header line found by meaning; ``None`` when there is none."""
    lines = text.splitlines()
    if any("\t" in line for line in lines[:HEADER_SCAN]):
        found = find_header([line.split("\t") for line in lines], meanings, required)
        return Table(source, [line.split("\t") for line in lines], *found, by_line=True) if found else None
    heads = [[label.name for label in header_labels(line, names)] for line in lines[:HEADER_SCAN]]
    found = find_header(heads, meanings, required)
    if found is None:
        return None
    index = found[0]
    labels = header_labels(lines[index], names)
    starts = column_starts(labels, lines[index + 1:])
    rows = [[line] for line in lines[:index]] + [heads[index]]
    rows += [fixed_width_cells(line, starts) for line in lines[index + 1:]]
    return Table(source, rows, *found, by_line=True)


# -- fixed-width text as Excel writes it ("Formatted Text (Space delimited)", .prn) --------------------------
#
# Every column has a width. A header label sits in its column, left-aligned or centred; one cut to its
# column's width runs into the next (``TOBETOCOPRIC``: TOS, BETOS, COV, PRICE). A value longer than its
# column is cut when the next cell holds something (``Change ASC Ind/ASC eff04/01/2017``) and runs on over
# the next cells when they are empty (``Should not have been updated - revert back to 2017 description``).


@dataclass(frozen=True, slots=True)
class Label:
    """A header label of a fixed-width line: its text (the whole name, for a label Excel cut) and place."""

    name: str
    start: int
    end: int


def header_labels(line: str, names: Sequence[str]) -> list[Label]:
    """The labels of a header line. Text between runs of two or more spaces is one label, unless it splits
    into labels from ``names`` (whole, or cut to at least two characters)."""
    labels: list[Label] = []
    for chunk in _CHUNK.finditer(line):
        parts = _split_labels(chunk.group(), tuple(name.upper() for name in names))
        if parts is None:
            labels.append(Label(chunk.group(), chunk.start(), chunk.end()))
        else:
            labels.extend(Label(name, chunk.start() + start, chunk.start() + end) for name, start, end in parts)
    return labels


def _split_labels(text: str, names: tuple[str, ...]) -> list[tuple[str, int, int]] | None:
    upper = text.upper()
    longest = max((len(name) for name in names), default=0)
    if len(upper) > _SPLIT_LIMIT:  # longer than any header line; the search below recurses once per label
        return None

    @functools.cache
    def split_from(at: int) -> tuple[tuple[str, int, int], ...] | None:
        if at == len(upper):
            return ()
        if upper[at] == " ":
            return split_from(at + 1)
        for size in range(min(len(upper) - at, longest), 1, -1):
            piece = upper[at:at + size]
            for name in names:
                if name.startswith(piece) and (rest := split_from(at + size)) is not None:
                    return ((name, at, at + size), *rest)
        return None

    found = split_from(0)
    return list(found) if found is not None else None


def column_starts(labels: Sequence[Label], lines: Sequence[str]) -> list[int]:
    """Where each labelled column starts: the first at 0; each other where most data lines start a cell,
    between the end of the label before and its own label's start (else at its label)."""
    starts = [0]
    for before, label in itertools.pairwise(labels):
        places = range(before.end + 1, label.start + 1)
        votes = Counter(p for line in lines for p in places if _starts_cell(line, p))
        best = max(places, key=lambda p: (votes[p], p), default=label.start)
        starts.append(best if votes[best] else label.start)
    return starts


def _starts_cell(line: str, at: int) -> bool:
    """Whether a cell plausibly starts at ``at``: not a lower-case letter, after a space or where the kind
    of character changes (``01/01/201Next``, ``eff04/01/2017``, ``vaborbaInjection``)."""
    if at >= len(line) or line[at] == " " or line[at].islower():
        return False
    before = line[at - 1]
    if before == " ":
        return True
    return (line[at].isupper() and not before.isupper()) or (line[at].isdigit() and before.isalpha())


def fixed_width_cells(line: str, starts: Sequence[int]) -> list[str]:
    """A data line cut at the column starts, a value that runs on over empty cells joined back together
    (its cell then holds it all, the cells it ran over are empty)."""
    ends = [*starts[1:], max(len(line), starts[-1])]
    pieces = [line[start:end] for start, end in zip(starts, ends, strict=True)]
    cells = [pieces[0]]
    owner = 0
    for piece in pieces[1:]:
        if _runs_on(cells[owner], piece):
            cells[owner] += piece
            cells.append("")
        else:
            cells.append(piece)
            owner = len(cells) - 1
    return [cell.strip() for cell in cells]


def _runs_on(text: str, piece: str) -> bool:
    """Whether ``piece`` (the next column's text) continues ``text``: a lower-case letter right after it (at
    most one space between), or digits right after digits with nothing else in the cell (a date run on)."""
    if not text.strip() or text.endswith("  ") or not piece.strip():
        return False
    rest = piece.lstrip(" ")
    if len(piece) - len(rest) > (0 if text.endswith(" ") else 1):
        return False
    if rest[0].islower():
        return True
    return text[-1].isdigit() and rest[0].isdigit() and len(piece.split()) == 1


_NOC_MEANINGS: dict[str, Meaning] = {
    "added": lambda label: bool(label_words(label) & {"ADD", "ADDED"}),
    "terminated": lambda label: bool(label_words(label) & {"TERM", "TERMINATION", "TERMINATED", "END"}),
    "description": lambda label: any(word.startswith("DESC") for word in label_words(label)),
    "code": is_code_label,
}
_NOC_REQUIRED = frozenset({"code", "description"})
