"""Dates as users write them."""

from __future__ import annotations

import datetime as dt

from ._errors import UsageError


def parse_day(value: dt.date | str, what: str) -> dt.date:
    """A date as users give it: a ``date``, or ``YYYY-MM-DD`` text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a date: write YYYY-MM-DD, such as 2020-05-01") from None
