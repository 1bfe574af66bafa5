"""CMS's code tables and field definitions, as read from its record layouts: the layout of each year loaded
into the database, and the 2019 one shipped with hcpcs.

Each release is decoded by the layout of its own year where one is loaded, else the nearest earlier one,
else the nearest later one; the shipped 2019 layout stands in for a loaded 2019 one (``Decoder``).
``data/code_tables.json`` is written by ``python -m hcpcs.readers.record_layout`` from CMS's
``HCPCS2019_recordlayout.txt``; a test checks it still equals what that reader makes of the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .layout import FIELDS, Field

#: The year of the record layout shipped with hcpcs.
BUILTIN_YEAR = 2019


@cache
def layout() -> dict[str, Any]:
    """The shipped (2019) layout as read: ``{"fields": ..., "code_tables": ..., "source": ...}``."""
    text = resources.files("hcpcs").joinpath("data/code_tables.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True, slots=True)
class CodeTables:
    """One year's record layout: its code tables and its field definitions, and the file they came from."""

    year: int
    #: the layout file's name, such as ``HCPC2025_recordlayout.txt``
    source: str
    layout: Mapping[str, Any]
    builtin: bool = False

    @property
    def name(self) -> str:
        """The layout as a page names it: ``2025 (HCPC2025_recordlayout.txt)``."""
        return f"{self.year} ({self.source}{', built into hcpcs' if self.builtin else ''})"

    def meaning(self, table: str | None, value: str) -> str | None:
        """What the table says ``value`` means, or ``None`` where it has no entry."""
        if table is None:
            return None
        entries: Mapping[str, str] = self.layout["code_tables"].get(table, {})
        return entries.get(value)

    def definition_paragraphs(self, field: Field) -> list[str] | None:
        """The field's definition in CMS's words, by paragraph; ``None`` where the layout lacks the field."""
        entry = self.layout["fields"].get(field.cms_name)
        return list(entry["definition"]) if entry else None


@cache
def builtin() -> CodeTables:
    """The record layout shipped with hcpcs (CMS's 2019 one)."""
    data = layout()
    source = str(data.get("source", {}).get("file", "HCPCS2019_recordlayout.txt")).rpartition(":")[2]
    return CodeTables(BUILTIN_YEAR, source, data, builtin=True)


def meaning(table: str | None, value: str) -> str | None:
    """What the shipped (2019) code table says ``value`` means, or ``None`` where the table has no entry."""
    return builtin().meaning(table, value)


@cache
def not_payable(*, by_statute: bool = False) -> frozenset[str]:
    """The coverage codes under which Medicare does not pay, as CMS's coverage table says (meanings that begin
    "Not payable" or "Non-covered"); ``by_statute``: only those a statute excludes."""
    table = builtin().layout["code_tables"].get("HCPCS Coverage Code", {})
    return frozenset(code for code, text in table.items() if text.startswith(("Not payable", "Non-covered"))
                     and (not by_statute or "statute" in text.lower()))


def definition(field: Field) -> str:
    """The field's definition in the shipped (2019) layout, its paragraphs joined."""
    return " ".join(builtin().definition_paragraphs(field) or [])


def preference(years: Iterable[int], year: int) -> list[int]:
    """``years`` in the order they stand in for ``year``: itself, then the earlier ones from the nearest,
    then the later ones from the nearest."""
    known = set(years)
    return ([year] if year in known else []) + sorted((y for y in known if y < year), reverse=True) \
        + sorted(y for y in known if y > year)


class Decoder:
    """How one release's coded values and fields are decoded: by ``tables``, the record layout chosen for it
    (see ``preference``), with the other layouts (``others``, read only when needed) for a value or field
    the chosen one lacks, each such use named."""

    __slots__ = ("_definitions", "_found", "_others", "_read_others", "release_id", "tables", "year")

    def __init__(self, release_id: str, year: int, tables: CodeTables,
                 others: Callable[[], Sequence[CodeTables]] = tuple) -> None:
        self.release_id, self.year, self.tables = release_id, year, tables
        self._read_others = others
        self._others: Sequence[CodeTables] | None = None
        self._found: dict[tuple[str, str], str] = {}
        self._definitions: dict[str, str] = {}

    @property
    def note(self) -> str | None:
        """Why the layout of another year decodes the release, where it does."""
        if self.tables.year == self.year:
            return None
        return f"no record layout of {self.year} is loaded: the nearest, {self.tables.year}, decodes this release"

    def others(self) -> Sequence[CodeTables]:
        if self._others is None:
            self._others = tuple(self._read_others())
        return self._others

    def meaning(self, table: str | None, value: str) -> str | None:
        """What ``value`` means by the chosen layout's table; else by the nearest other layout that defines it,
        saying which; else that no layout defines it. ``None`` for a field with no code table."""
        if table is None:
            return None
        found = self.tables.meaning(table, value)
        if found is not None:
            return found
        key = (table, value)
        if key not in self._found:
            self._found[key] = self._elsewhere(table, value)
        return self._found[key]

    def _elsewhere(self, table: str, value: str) -> str:
        for other in self.others():
            found = other.meaning(table, value)
            if found is not None:
                return f"{found} (from the record layout of {other.year}: the one of {self.tables.year} does not " \
                       f"define {value})"
        missing = f" (no record layout of {self.year} is loaded)" if self.tables.year != self.year else ""
        return f"not defined in the record layout of {self.tables.year}{missing}"

    def definitions(self) -> Mapping[str, str]:
        """Every field's definition (by ``Field.name``) in the chosen layout, else in the nearest layout that
        has the field; the same mapping on every call."""
        if not self._definitions:
            for field in FIELDS:
                paragraphs = self.tables.definition_paragraphs(field)
                for other in () if paragraphs is not None else self.others():
                    paragraphs = other.definition_paragraphs(field)
                    if paragraphs is not None:
                        break
                self._definitions[field.name] = " ".join(paragraphs or [])
        return self._definitions
