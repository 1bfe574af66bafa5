"""Reader of CMS's record layout (``HCPCS2019_recordlayout.txt``): field definitions and code tables.

The layout is a mainframe report: numbered fields, each with its length and position, a definition,
aliases, and for coded fields a ``CODES :`` list (``00 = Service not separately priced ...``,
continued on deeper-indented lines). Appendix tables (``BETOS_TB``, ``CMS_TYPE_SRVC_TB``) follow.
``python -m hcpcs._layout_reader FILE`` writes the tables hcpcs ships (``data/code_tables.json``).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from ._values import decode_cms_text

_FIELD = re.compile(r"^\s{1,4}(\d{1,2})\.\s+(\S.*?)(?:\s{2,}(?:CHAR|NUM|GRP))?\s*$")
_POSITION = re.compile(r"^\s+(\d+)\s+(\d+)\s+(\d+)(?:\s+(?:CHAR|NUM|GRP))?\s*$")
_ALIAS = re.compile(r"^\s*(DB2|SAS|STANDARD|TITLE|SYSTEM)\s+ALIAS\s*:|^\s*(REDEFINE|LENGTH)\s*:")
_SECTION = re.compile(r"^\s*(CODES|COMMENTS|EDIT RULES|CODE TABLE|OCCURS MIN|SOURCE)\b\s*:?(.*)$")
_ENTRY = re.compile(r"^(\s*)([A-Za-z0-9]{1,3})\s*=\s+(\S.*)$")
_APPENDIX_TABLE = re.compile(r"^\s(\w+_TB)\s{2,}(\S.*)$")
_ASC_CODE = re.compile(r"The '(\w+)' indicator represents that this procedure is (.+?)\.", re.S)


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


def read_record_layout(data: bytes) -> dict[str, Any]:
    """``{"fields": {name: {...}}, "code_tables": {table: {code: meaning}}}`` from the layout text."""
    lines = [line.expandtabs(8).rstrip() for line in decode_cms_text(data).splitlines()]
    fields: list[LayoutField] = []
    tables: dict[str, dict[str, str]] = {}
    current: LayoutField | None = None
    section = "definition"
    paragraph: list[str] = []
    entries: dict[str, str] | None = None
    last_code: tuple[str, int] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "TABLE OF CODES APPENDIX" in line:
            _close(current, paragraph)
            current = None
            break
        head = _FIELD.match(line)
        if head and index < len(lines) and _POSITION.match(lines[index]):
            _close(current, paragraph)
            paragraph = []
            length, start, end = map(int, _POSITION.match(lines[index]).groups()[:3])  # type: ignore[union-attr]
            index += 1
            current = LayoutField(int(head.group(1)), head.group(2).strip(), length, start, end)
            fields.append(current)
            section, entries, last_code = "definition", None, None
            continue
        if current is None:
            continue
        if _ALIAS.match(line):
            _close(current, paragraph)
            paragraph = []
            section = "aliases"
            continue
        sect = _SECTION.match(line)
        if sect:
            _close(current, paragraph) if section == "definition" else None
            paragraph = []
            section = sect.group(1)
            if section == "CODES":
                entries, last_code = current.codes, None
            elif section == "CODE TABLE":
                current.code_table = sect.group(2).strip()
            continue
        if section == "definition":
            if line.strip():
                paragraph.append(line.strip())
            elif paragraph:
                current.definition.append(" ".join(paragraph))
                paragraph = []
        elif section == "CODES" and entries is not None:
            last_code = _code_line(line, entries, last_code)
    # The appendix: named tables.
    entries, last_code = None, None
    for line in lines[index:]:
        table = _APPENDIX_TABLE.match(line)
        if table:
            entries, last_code = tables.setdefault(table.group(1), {}), None
            continue
        if entries is not None:
            last_code = _code_line(line, entries, last_code)
    out_fields: dict[str, Any] = {}
    for f in fields:
        if f.name == "FILLER":
            continue
        out_fields[f.name] = {
            "number": f.number, "start": f.start, "end": f.end, "length": f.length,
            "definition": [re.sub(r"\s+", " ", p) for p in f.definition], "code_table": f.code_table,
        }
        if f.codes:
            tables[f.name] = f.codes
    asc = out_fields.get("HCPCS ASC Payment Group Code")
    if asc:
        match = _ASC_CODE.search(" ".join(asc["definition"]))
        if match:
            tables["HCPCS ASC Payment Group Code"] = {match.group(1): _sentence(match.group(2))}
    return {"fields": out_fields, "code_tables": {k: {c: _tidy(m) for c, m in v.items()} for k, v in tables.items()}}


def _code_line(line: str, entries: dict[str, str], last: tuple[str, int] | None) -> tuple[str, int] | None:
    entry = _ENTRY.match(line)
    if entry:
        indent, code, meaning = entry.groups()
        entries[code] = meaning.strip()
        return code, len(indent)
    text = line.strip()
    if last is not None and text and not text.startswith("-") and len(line) - len(line.lstrip()) > last[1]:
        entries[last[0]] += " " + text
        return last
    return None if text else last


def _close(current: LayoutField | None, paragraph: list[str]) -> None:
    if current is not None and paragraph:
        current.definition.append(" ".join(paragraph))


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
    layout = read_record_layout(data)
    layout["source"] = {"file": source, "sha256": hashlib.sha256(data).hexdigest()}
    json.dump(layout, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
