"""CSV output, written one way everywhere: text that a spreadsheet program would run as a formula is
neutralised, as OWASP recommends against CSV injection.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a ``'`` in front,
so that a spreadsheet shows the text instead of evaluating it (CMS's files are spreadsheets, and a crafted
one can carry ``=cmd|' /C calc'!A0`` in a description). Numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

#: The characters that start a formula (or hide one behind a tab or a line break) in spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> Any:
    """``value``, or a text cell that would start a formula with ``'`` in front."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document: the header, then every row, each text cell neutralised, ``\\n`` between rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(map(neutral, row) for row in rows)
    return out.getvalue()
