"""The forms every read command writes: ``table`` (for people; ``text`` is the same), ``json`` (one
document), ``ndjson`` (one JSON record a line) and ``csv`` (one record a row, a header first)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import safe_csv as _csv

FORMATS = ("table", "json", "ndjson", "csv")
#: other names a form answers to
ALIASES = {"text": "table"}


def json_text(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def ndjson_text(records: Iterable[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def csv_text(records: Sequence[Mapping[str, Any]]) -> str:
    """The records as CSV (formula text neutralised), their keys in first-seen order as the header; lists
    joined by spaces."""
    columns = list(dict.fromkeys(key for record in records for key in record))
    return _csv.csv_text(columns, ([_cell(record.get(column)) for column in columns] for record in records))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return " ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def new_table(*names: str, right: tuple[str, ...] = (), title: str | None = None) -> Any:
    """A rich table that fits 80 columns: no vertical rules, values folded, and each column at least as
    wide as the longest word of its header, so a header wraps between words and is never cut."""
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for name in names:
        table.add_column(name, justify="right" if name in right else "left", overflow="fold",
                         min_width=max(len(word) for word in name.split()))
    return table
