"""Turning CMS's text into typed values, the same way for every reader."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from functools import cache

from .._errors import InputError
from .layout import COLUMNS, FIELDS
from .records import Repair, Value

_ASC_GROUP = COLUMNS.index("asc_group")
_ASC_DATE = COLUMNS.index("asc_effective_date")
_SHIFTED_ASC_DATE = re.compile(r"\d{6}")
_DIGITS = re.compile(r"\d+")


def parse_date(raw: str) -> dt.date | None:
    """``YYYYMMDD`` as CMS writes it; blank is ``None``; anything else raises ``ValueError``."""
    if not raw:
        return None
    if len(raw) != 8 or not raw.isdigit():
        raise ValueError(f"{raw!r} is not a date in the form YYYYMMDD")
    try:
        return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        raise ValueError(f"{raw!r} is not a real calendar date") from None


def parse_number(raw: str) -> int | None:
    if not raw:
        return None
    if not _DIGITS.fullmatch(raw):
        raise ValueError(f"{raw!r} is not a whole number")
    return int(raw)


_PARSERS: dict[str, Callable[[str], Value]] = {"date": cache(parse_date), "number": cache(parse_number)}
#: Columns that need typing (dates, numbers): (position in COLUMNS, parser, label).
_TYPED: tuple[tuple[int, Callable[[str], Value], str], ...] = tuple(
    (COLUMNS.index(column), _PARSERS[f.kind], label)
    for f in FIELDS
    if f.kind != "text"
    for column, label in zip(f.columns, f.labels, strict=True)
)


#: Each column's label, in ``COLUMNS`` order, for messages.
_LABELS = tuple(label for f in FIELDS for label in f.labels)
#: Control characters (NUL, bell, escape, ..., DEL and the C1 controls): no CMS text holds them. Tab, line
#: ends and DOS's end-of-file mark (Ctrl-Z) are the file's, not a field's.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f\x7f-\x9f]")
#: The most a spreadsheet cell holds (Excel): a text this long was cut by whatever wrote it, or was never
#: a cell of CMS's.
MAX_CELL = 32_767


def text_fault(text: str) -> tuple[int, str] | None:
    """Why a text cannot be stored as it is (a control character, or as long as a spreadsheet cell can be),
    with the character it happens at; ``None`` for a text that can."""
    if found := _CONTROL.search(text):
        return found.start(), (f"control character U+{ord(found.group()):04X} at character {found.start() + 1}: "
                               f"{text[:40]!r}")
    if len(text) >= MAX_CELL:
        return MAX_CELL, (f"{len(text):,} characters, as long as a spreadsheet cell can hold ({MAX_CELL:,}) or "
                          f"longer: cut, or not CMS's ({text[:40]!r}...)")
    return None


def check_texts(texts: Sequence[str | None], *, code: str, source: str, first: int = 0, line: int | None = None,
                row: int | None = None) -> None:
    """Refuse a field holding a control character, or as long as a spreadsheet cell can be: the value
    would be stored wrong (``texts`` stands for the columns from ``COLUMNS[first]`` on)."""
    joined = "".join(text for text in texts if text)
    if len(joined) < MAX_CELL and not _CONTROL.search(joined):
        return
    for at, text in enumerate(texts):
        if not text:
            continue
        label = _LABELS[first + at]
        if found := _CONTROL.search(text):
            raise InputError(source, f"control character U+{ord(found.group()):04X} in {code}'s {label}, at "
                             f"character {found.start() + 1}: {text[:40]!r}", line=line, row=row, field=label)
        if len(text) >= MAX_CELL:
            raise InputError(source, f"{code}'s {label} is {len(text):,} characters, as long as a spreadsheet "
                             f"cell can hold ({MAX_CELL:,}) or longer: cut, or not CMS's ({text[:40]!r}...)",
                             line=line, row=row, field=label)


def typed_row(texts: list[str], *, code: str, source: str, first: int = 0, line: int | None = None,
              row: int | None = None) -> tuple[tuple[Value, ...], list[Repair]]:
    """Stripped texts standing for the columns ``COLUMNS[first:first + len(texts)]`` as typed values:
    blanks as ``None``, dates and numbers parsed; with the repairs made to CMS's known slips (see
    ``repair``). ``InputError`` names the source, the line or row, and the field."""
    check_texts(texts, code=code, source=source, first=first, line=line, row=row)
    repairs = repair(texts, code, first) if first <= _ASC_GROUP and first + len(texts) > _ASC_DATE else []
    values: list[Value] = [text or None for text in texts]
    for index, parse, label in _TYPED:
        at = index - first
        if 0 <= at < len(texts) and (text := texts[at]):
            try:
                values[at] = parse(text)
            except ValueError as exc:
                raise InputError(source, str(exc), line=line, row=row, field=label) from None
    return tuple(values), repairs


def repair(texts: list[str], code: str, first: int = 0) -> list[Repair]:
    """Mend the slips CMS is known to make, identically in its text file and its spreadsheet.

    2018: five C codes (C9488, C9745-C9748) carry their ASC payment group date two columns early:
    the group field holds the century ("20") and the date field the rest ("170401"). Read as no ASC
    group and the date 2017-04-01; the raw text is kept in the repair note. ``texts`` stands for the
    columns from ``COLUMNS[first]`` on and is mended in place.
    """
    at_group, at_date = _ASC_GROUP - first, _ASC_DATE - first
    group, date = texts[at_group], texts[at_date]
    if group in ("19", "20") and _SHIFTED_ASC_DATE.fullmatch(date):
        texts[at_group], texts[at_date] = "", group + date
        return [Repair(code, "asc_effective_date", f"ASC_GRP={group!r} ASC_DT={date!r}",
                       f"ASC_GRP='' ASC_DT={group + date!r}",
                       "date written two columns early, its century in the ASC group field")]
    return []


def cms_date(value: dt.date | None) -> str:
    """A date the way CMS writes it (``YYYYMMDD``), blank for ``None``."""
    return value.strftime("%Y%m%d") if value else ""


def decode_cms_text(data: bytes) -> str:
    """CMS's text files are Windows-1252; bytes that code page leaves undefined are read as Latin-1."""
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return "".join(_decode_line(line) for line in data.splitlines(keepends=True))


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        return line.decode("latin-1")
