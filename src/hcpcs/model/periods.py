"""A record over the span of dates its release was in effect, and what later releases say of a record.

CMS sets some dates after the fact: a later release may end a code before a day an earlier release covered
(a retroactive termination), or say it was added again (re-added, perhaps reused with a new meaning). Both the
look-up of one code on a day and the validation of claim lines ask this; ``hindsight`` answers it for both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


@dataclass(frozen=True, slots=True)
class Period:
    """A record over the span its release was in effect (``valid_to``: the next release's start, exclusive)."""

    code: str
    kind: str
    release_id: str
    valid_from: dt.date
    valid_to: dt.date
    added_date: dt.date | None
    termination_date: dt.date | None
    coverage: str | None
    #: the codes CMS names to use in its place, comma-separated ("" where none)
    replacements: str
    noc: bool = False
    #: The earliest termination date a later release gives the code, where it differs from this record's.
    later_termination: dt.date | None = None
    #: The earliest added date a later release gives the code after this record's own: the code re-added.
    re_added_on: dt.date | None = None
    #: NOC by the nearest year's list, where no list of the release's year is loaded (``noc`` is then false)
    noc_inferred: bool = False


class Dated(Protocol):
    """A record of a code, as far as hindsight reads it."""

    @property
    def added_date(self) -> dt.date | None: ...

    @property
    def termination_date(self) -> dt.date | None: ...


D = TypeVar("D", bound=Dated)


@dataclass(frozen=True, slots=True)
class Hindsight(Generic[D]):
    """What later records of a code say of an earlier one, in the order their releases took effect."""

    #: the later records that give the code a termination date other than the earlier record's
    ended: tuple[D, ...]
    #: the later records that give the code an added date after the earlier record's: the code added again
    re_added: tuple[D, ...]

    def __bool__(self) -> bool:
        return bool(self.ended or self.re_added)

    def earliest_end(self) -> dt.date | None:
        """The earliest termination date the later records give."""
        return min((r.termination_date for r in self.ended if r.termination_date is not None), default=None)

    def earliest_re_added(self) -> dt.date | None:
        """The earliest added date the later records give after the earlier record's."""
        return min((r.added_date for r in self.re_added if r.added_date is not None), default=None)

    def on(self, day: dt.date) -> Hindsight[D]:
        """What of it bears on a day: terminations before the day, re-additions on or before it."""
        return Hindsight(tuple(r for r in self.ended if r.termination_date is not None and r.termination_date < day),
                         tuple(r for r in self.re_added if r.added_date is not None and r.added_date <= day))


def hindsight(record: Dated, later: Iterable[D]) -> Hindsight[D]:
    """What the records of releases published after ``record``'s say of its code (``later``: in the order the
    releases took effect): a termination date other than its own, an added date after its own."""
    ended, added = record.termination_date, record.added_date
    ends: list[D] = []
    re_added: list[D] = []
    for other in later:
        if other.termination_date is not None and other.termination_date != ended:
            ends.append(other)
        if added is not None and other.added_date is not None and other.added_date > added:
            re_added.append(other)
    return Hindsight(tuple(ends), tuple(re_added))
