"""CMS's code tables and field definitions, as read from its record layout and shipped with hcpcs.

``data/code_tables.json`` is written by ``python -m hcpcs._layout_reader`` from CMS's
``HCPCS2019_recordlayout.txt``; a test checks it still equals what that reader makes of the file.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ._layout import Field


@cache
def layout() -> dict[str, Any]:
    text = resources.files("hcpcs").joinpath("data/code_tables.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def meaning(table: str | None, value: str) -> str | None:
    """What CMS's code table says ``value`` means, or ``None`` where the table has no entry."""
    if table is None:
        return None
    entries: dict[str, str] = layout()["code_tables"].get(table, {})
    return entries.get(value)


def table(name: str) -> dict[str, str]:
    entries: dict[str, str] = layout()["code_tables"].get(name, {})
    return dict(entries)


def definition(field: Field) -> str:
    """The field's definition in CMS's words, its paragraphs joined."""
    entry = layout()["fields"].get(field.cms_name)
    return " ".join(entry["definition"]) if entry else ""


def definition_paragraphs(field: Field) -> list[str]:
    entry = layout()["fields"].get(field.cms_name)
    return list(entry["definition"]) if entry else []
