"""Reader of CMS's record layout (``HCPCS2019_recordlayout.txt``): field definitions and code tables.

The layout is a mainframe report: numbered fields, each with its length and position, a definition,
aliases, and for coded fields a ``CODES :`` list (``00 = Service not separately priced ...``,
continued on deeper-indented lines). Appendix tables (``BETOS_TB``, ``CMS_TYPE_SRVC_TB``) follow.
The 2016, 2019 and 2025 layouts are read whole; what another year's layout holds that this reader does not
understand is reported in ``warnings`` and left out, rather than failing the whole file.
``python -m hcpcs.readers.record_layout FILE`` writes the tables hcpcs ships (``data/code_tables.json``).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from .._errors import InputError
from ..model.records import LoadWarning
from ..model.values import decode_cms_text, text_fault
from .notes import side_text

_FIELD = re.compile(r"^\s{1,4}(\d{1,2})\.\s+(\S.*?)(?:\s{2,}(?:CHAR|NUM|GRP))?\s*$")
_POSITION = re.compile(r"^\s+(\d+)\s+(\d+)\s+(\d+)(?:\s+(?:CHAR|NUM|GRP))?\s*$")
#: A field's head with its length and positions on the same line (not in 2016-2025, but a layout may).
_FIELD_INLINE = re.compile(r"^\s{1,4}(\d{1,2})\.\s+(\S.*?)\s+(\d+)\s+(\d+)\s+(\d+)(?:\s+(?:CHAR|NUM|GRP))?\s*$")
_ALIAS = re.compile(r"^\s*(DB2|SAS|STANDARD|TITLE|SYSTEM)\s+ALIAS\s*:|^\s*(REDEFINE|LENGTH)\s*:")
_SECTION = re.compile(r"^\s*(CODES|COMMENTS|EDIT RULES|CODE TABLE|OCCURS MIN|SOURCE)\b\s*:?(.*)$")
_ENTRY = re.compile(r"^(\s*)([A-Za-z0-9]{1,3})\s*=\s+(\S.*)$")
_APPENDIX = re.compile(r"TABLE OF CODES APPENDIX")
_APPENDIX_TABLE = re.compile(r"^\s{0,3}([A-Z][A-Z0-9_]*_TB)\b\s*(.*)$")
_ASC_CODE = re.compile(r"The '(\w+)' indicator represents that this procedure is (.+?)\.", re.S)
_YEAR = re.compile(r"HCPCS Contractor Record\s*-\s*(\d{4})|(\d{4}) Healthcare Common Procedure Coding System")
#: A BETOS code is a letter, a digit and (mostly) a letter: CMS's 2025 layout writes ``01L`` for ``O1L``.
_BETOS_ZERO = re.compile(r"0(\d[A-Z]?)")


@dataclass
class LayoutField:
    number: int
    name: str
    length: int = 0
    start: int = 0
    end: int = 0
    definition: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)
    code_table: str | None = None
    comments: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class _Reading:
    """One pass over a layout: what is found, and what could not be understood."""

    source: str
    warnings: list[LoadWarning]
    repairs: list[str] = field(default_factory=list)

    def warn(self, message: str, line: int | None = None) -> None:
        self.warnings.append(LoadWarning(self.source, message, line=line))

    def add(self, entries: dict[str, str], code: str, meaning: str, table: str, line: int) -> None:
        if code in entries and entries[code] != meaning:
            self.warn(f"{table}: code {code} given twice ({entries[code]!r}, then {meaning!r}); the first is kept",
                      line)
            return
        entries.setdefault(code, meaning)


def read_record_layout(data: bytes, source: str = "record layout", *,
                       warnings: list[LoadWarning] | None = None) -> dict[str, Any]:
    """``{"fields": {name: {...}}, "code_tables": {table: {code: meaning}}}`` from the layout text.

    A field's entry holds its number, position, length, definition (paragraphs), the appendix table it
    names (``code_table``) and, where CMS gives them, its comments. What cannot be understood goes to
    ``warnings`` (with ``source`` and the line) and is left out, as is a line holding a control character
    or as long as a spreadsheet cell can be; a text with no numbered field at all (or UTF-16 text) is not a
    record layout and raises ``InputError``. Slips mended on the way are listed under ``repairs``.
    """
    reading = _Reading(source, warnings if warnings is not None else [])
    lines = [line.expandtabs(8).rstrip() for line in side_text(data, source).splitlines()]
    for number, line in enumerate(lines, start=1):
        if fault := text_fault(line):  # read as a blank line: its text would be stored wrong
            reading.warn(f"{fault[1]}: line not read", number)
            lines[number - 1] = ""
    fields, appendix_at = _read_fields(lines, reading)
    if not fields:
        raise InputError(source, "no numbered field with its length and position: not a CMS record layout")
    tables: dict[str, dict[str, str]] = {}
    if appendix_at is None:
        named = sorted({f.code_table for f in fields if f.code_table})
        if named:
            reading.warn(f"no TABLE OF CODES APPENDIX: the tables {', '.join(named)} are not read")
    else:
        tables = _read_appendix(lines, appendix_at, reading)
    out_fields: dict[str, Any] = {}
    for f in fields:
        if f.name.upper() == "FILLER":
            continue
        if f.name in out_fields:
            reading.warn(f"field {f.number} ({f.name}) has the name of field {out_fields[f.name]['number']}; "
                         "the first is kept", f.line)
            continue
        if f.code_table and appendix_at is not None and f.code_table not in tables:
            reading.warn(f"field {f.number} ({f.name}) names the code table {f.code_table}, which the appendix "
                         "does not hold", f.line)
        out_fields[f.name] = {
            "number": f.number, "start": f.start, "end": f.end, "length": f.length,
            "definition": [re.sub(r"\s+", " ", p) for p in f.definition], "code_table": f.code_table,
        }
        if f.comments:
            out_fields[f.name]["comments"] = [re.sub(r"\s+", " ", c) for c in f.comments]
        if f.codes:
            tables[f.name] = f.codes
    asc = out_fields.get("HCPCS ASC Payment Group Code")
    if asc:
        match = _ASC_CODE.search(" ".join(asc["definition"]))
        if match:
            tables["HCPCS ASC Payment Group Code"] = {match.group(1): _sentence(match.group(2))}
    out: dict[str, Any] = {
        "fields": out_fields,
        "code_tables": {k: {c: _tidy(m) for c, m in v.items()} for k, v in tables.items()},
    }
    if reading.repairs:
        out["repairs"] = reading.repairs
    return out


def layout_year(data: bytes) -> int | None:
    """The year a record layout says it describes (``HCPCS Contractor Record - 2025``), if it says."""
    match = _YEAR.search(decode_cms_text(data[:4000]))
    return int(match.group(1) or match.group(2)) if match else None


def _read_fields(lines: list[str], reading: _Reading) -> tuple[list[LayoutField], int | None]:
    """The numbered fields, and the index of the appendix's first line (``None`` where there is none)."""
    fields: list[LayoutField] = []
    current: LayoutField | None = None
    section = "definition"
    paragraph: list[str] = []
    comment: list[str] = []
    entries: dict[str, str] | None = None
    last_code: tuple[str, int] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if _APPENDIX.search(line):
            _close(current, paragraph, comment)
            return fields, index
        head = _FIELD_INLINE.match(line) or _FIELD.match(line)
        if head:
            inline = head.re is _FIELD_INLINE
            position = head if inline else _POSITION.match(lines[index]) if index < len(lines) else None
            _close(current, paragraph, comment)
            paragraph, comment = [], []
            section, entries, last_code = "definition", None, None
            if position is None:
                reading.warn(f"field {head.group(1)} ({head.group(2).strip()}) has no length and position "
                             "line after it: left out", index)
                current = None
                continue
            length, start, end = map(int, position.groups()[2:5] if inline else position.groups()[:3])
            current = LayoutField(int(head.group(1)), head.group(2).strip(), length, start, end, line=index)
            index += 0 if inline else 1
            _check_position(current, fields[-1] if fields else None, reading)
            fields.append(current)
            continue
        if current is None:
            continue
        if _ALIAS.match(line):
            _close(current, paragraph, comment)
            paragraph, comment = [], []
            section = "aliases"
            continue
        sect = _SECTION.match(line)
        if sect:
            _close(current, paragraph, comment)
            paragraph, comment = [], []
            section = sect.group(1)
            if section == "CODES":
                entries, last_code = current.codes, None
            elif section == "CODE TABLE":
                current.code_table = sect.group(2).strip() or None
            elif section == "COMMENTS" and sect.group(2).strip():
                comment.append(sect.group(2).strip())
            continue
        if section == "definition":
            if line.strip():
                paragraph.append(line.strip())
            elif paragraph:
                current.definition.append(" ".join(paragraph))
                paragraph = []
        elif section == "COMMENTS":
            if line.strip():
                comment.append(line.strip())
            elif comment:
                current.comments.append(" ".join(comment))
                comment = []
        elif section == "CODES" and entries is not None:
            last_code = _code_line(line, entries, last_code, reading, current.name, index)[0]
    _close(current, paragraph, comment)
    return fields, None


def _check_position(found: LayoutField, previous: LayoutField | None, reading: _Reading) -> None:
    if found.end - found.start + 1 != found.length:
        reading.warn(f"field {found.number} ({found.name}): length {found.length} does not fit positions "
                     f"{found.start}-{found.end}", found.line)
    if previous is not None and found.number != previous.number + 1:
        reading.warn(f"field {found.number} ({found.name}) follows field {previous.number}: the numbering skips "
                     "or repeats", found.line)


def _read_appendix(lines: list[str], start: int, reading: _Reading) -> dict[str, dict[str, str]]:
    """The appendix's named tables: a ``NAME_TB  Title`` line, then entries like those of a field."""
    tables: dict[str, dict[str, str]] = {}
    entries: dict[str, str] | None = None
    name = ""
    last_code: tuple[str, int] | None = None
    for number, line in enumerate(lines[start:], start + 1):
        table = _APPENDIX_TABLE.match(line)
        if table:
            name = table.group(1)
            if name in tables:
                reading.warn(f"the appendix holds table {name} twice: the entries are merged", number)
            entries, last_code = tables.setdefault(name, {}), None
            continue
        if entries is None:
            if line.strip():
                reading.warn(f"appendix line before any table, not understood: {line.strip()[:60]!r}", number)
            continue
        last_code, kind = _code_line(line, entries, last_code, reading, name, number)
        if kind == "other" and not line.strip().startswith("-"):
            reading.warn(f"{name}: line not understood: {line.strip()[:60]!r}", number)
    if "BETOS_TB" in tables:
        tables["BETOS_TB"] = _mend_betos(tables["BETOS_TB"], reading)
    return tables


def _mend_betos(entries: dict[str, str], reading: _Reading) -> dict[str, str]:
    """BETOS codes start with a letter: a code starting with the digit 0 (``01L``) is read as the letter O
    (``O1L``, as the code files give it), where that code is not in the table already."""
    mended: dict[str, str] = {}
    for code, meaning in entries.items():
        slip = _BETOS_ZERO.fullmatch(code)
        if slip and "O" + slip.group(1) not in entries:
            mended["O" + slip.group(1)] = meaning
            reading.repairs.append(f"BETOS_TB: {code} read as O{slip.group(1)} (BETOS codes start with a letter)")
        else:
            mended[code] = meaning
    return mended


def _code_line(line: str, entries: dict[str, str], last: tuple[str, int] | None, reading: _Reading, table: str,
               number: int) -> tuple[tuple[str, int] | None, str]:
    """One line of a code list: an entry (``00 = ...``), a deeper-indented continuation of the last entry,
    a blank, or something else (a heading, a rule), which closes the last entry. Returns the entry that
    further lines may continue, and which kind of line this was."""
    entry = _ENTRY.match(line)
    if entry:
        indent, code, meaning = entry.groups()
        kept = code not in entries
        reading.add(entries, code, meaning.strip(), table, number)
        return ((code, len(indent)) if kept else None), "entry"
    text = line.strip()
    if not text:
        return last, "blank"
    if last is not None and not text.startswith("-") and len(line) - len(line.lstrip()) > last[1]:
        entries[last[0]] += " " + text
        return last, "continuation"
    return None, "other"


def _close(current: LayoutField | None, paragraph: list[str], comment: list[str]) -> None:
    if current is not None and paragraph:
        current.definition.append(" ".join(paragraph))
    if current is not None and comment:
        current.comments.append(" ".join(comment))


def _tidy(meaning: str) -> str:
    """One meaning as one clean line: CMS's title-casing slip ``e.G.`` mended, spaces single."""
    meaning = re.sub(r"\s+", " ", meaning).strip()
    return re.sub(r"\be\.G\.", "e.g.", meaning)


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text[0].upper() + text[1:]


def main(argv: list[str]) -> int:
    import hashlib
    import zipfile
    from pathlib import Path

    path = Path(argv[0])
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if "layout" in n.lower())
            data, source = archive.read(name), f"{path.name}:{name}"
    else:
        data, source = path.read_bytes(), path.name
    warnings: list[LoadWarning] = []
    layout = read_record_layout(data, source, warnings=warnings)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    layout["source"] = {"file": source, "sha256": hashlib.sha256(data).hexdigest()}
    json.dump(layout, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
