"""What changed between two releases, classified the way CMS's transaction reports classify it.

Pure functions over records as the store returns them (typed rows, every layout column by name in
``values``); nothing here touches the database. CMS's action codes (from the record layout):

    A  added (or re-added: a code whose added date moved on, possibly reused with a new meaning)
    D  discontinued (a termination date appeared, or the code left the file)
    R  re-activated (the termination date was removed, or the code came back with the same meaning)
    B  long description and an administrative field changed       C  long description changed
    S  short description changed                                   F  an administrative field changed
    P  payment change (pricing indicators, MOG, ASC, anesthesia base units)
    T  miscellaneous change (BETOS, type of service)

Descriptions are compared with runs of white space collapsed: CMS's text file and spreadsheets of the
same text differ in double spaces, and CMS does not report such differences as changes.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._errors import UsageError
from ..model import code_tables as _codetables
from ..model.answers import CodeChange, FieldChange
from ..model.layout import FIELDS, FIELDS_BY_NAME, Field
from ..model.records import PRECEDENCE, ActionCode, Value
from ..store import RecordRow as Row

_RANK = {action: rank for rank, action in enumerate(PRECEDENCE)}

_PAYMENT = ("pricing_indicator", "multiple_pricing_indicator", "mog_payment_group", "mog_payment_policy",
            "mog_effective_date", "asc_group", "asc_effective_date", "anesthesia_base_units")
_MISCELLANEOUS = ("betos", "type_of_service")
#: Bookkeeping fields: they say when and how CMS last touched the record, not what the code is.
_NOT_COMPARED = frozenset({"code", "sequence", "record_id", "action_code", "action_effective_date"})
#: The fields a diff compares, in layout order.
COMPARED: tuple[Field, ...] = tuple(f for f in FIELDS if f.name not in _NOT_COMPARED)
#: What a coded value means: ``(code table, value) -> meaning``, by some release's record layout.
Meaning = Callable[[str | None, str], str | None]
#: How a diff decodes values: by the old release's layout, and by the new one's.
Meanings = tuple[Meaning, Meaning]
#: By the record layout shipped with hcpcs, for both releases.
BUILTIN_MEANINGS: Meanings = (_codetables.meaning, _codetables.meaning)


def action_of(field: Field) -> ActionCode:
    """The action code CMS gives a change in this field."""
    if field.name == "long_description":
        return "C"
    if field.name == "short_description":
        return "S"
    if field.name in _PAYMENT:
        return "P"
    if field.name in _MISCELLANEOUS:
        return "T"
    return "F"


def choose_fields(names: Iterable[str] | None) -> tuple[Field, ...]:
    """The fields named (``coverage``, ``pricing_indicator``, ...), or every compared field."""
    if names is None:
        return COMPARED
    chosen: list[Field] = []
    for name in names:
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
        field = FIELDS_BY_NAME.get(key)
        if field is None or field.name in _NOT_COMPARED:
            known = ", ".join(f.name for f in COMPARED)
            raise UsageError(f"unknown field {name!r}; choose from {known}")
        if field not in chosen:
            chosen.append(field)
    return tuple(f for f in COMPARED if f in chosen)


def normalise(value: Value) -> Value:
    """A value as compared: text with runs of white space collapsed."""
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def compare(code: str, old: Row | None, new: Row | None, new_effective: dt.date,
            fields: tuple[Field, ...] = COMPARED, earlier: Row | None = None,
            meanings: Meanings = BUILTIN_MEANINGS) -> CodeChange | None:
    """The change to one code from ``old`` to ``new`` (either may be missing), or ``None``.

    ``earlier`` is the code's last record in a release before ``old``'s, where ``old`` lacks it: a
    code that comes back is re-activated if its meaning is the same, else reused. ``meanings`` decode the
    old and the new values, each by its own release's record layout.
    """
    if old is None and new is None:
        return None
    if old is None:
        assert new is not None
        end = new.termination_date
        if end is not None and end < new_effective:
            return _change(code, ["D"], (), new, note="added and discontinued between the two releases")
        if earlier is not None:
            back = f"back in the file after leaving it (last seen in release {earlier.release_id})"
            if normalise(earlier.long_description) == normalise(new.long_description):
                return _change(code, ["R"], tuple(c for _, c in _field_changes(earlier, new, fields, meanings)), new,
                               note=back)
            return _change(code, ["A"], tuple(c for _, c in _field_changes(earlier, new, fields, meanings)), new,
                           note=back + " with a new meaning (reused code)", reused=True)
        return _change(code, ["A"], (), new)
    if new is None:
        end = old.termination_date
        note: str | None = (f"dropped from the file (terminated {end.isoformat()})" if end is not None
                else "left the file without a termination date")
        return _change(code, ["D"], (), old, note=note, replacements=_crossrefs(old))
    found = list(_field_changes(old, new, fields, meanings))
    changes = tuple(change for _, change in found)
    actions: list[ActionCode] = []
    note = None
    reused = False
    old_end, new_end = old.termination_date, new.termination_date
    old_added, new_added = old.added_date, new.added_date
    if old_added is not None and new_added is not None and new_added > old_added:
        actions.append("A")
        reused = normalise(old.long_description) != normalise(new.long_description)
        note = (f"re-added on {new_added.isoformat()} with a new meaning (reused code)" if reused
                else f"re-added on {new_added.isoformat()}")
    if new_end is not None and old_end is None:
        actions.append("D")
    elif old_end is not None and new_end is None:
        actions.append("R")
    letters: set[ActionCode] = {action_of(field) for field, _ in found
                                if field.name not in ("termination_date", "added_date")}
    if "C" in letters and "F" in letters:
        letters.add("B")
    if "B" in letters:
        letters -= {"C", "F"}
    actions += sorted(letters, key=_RANK.__getitem__)
    if not actions and not changes:
        return None
    if not actions:  # only the added or termination date moved
        actions.append("F")
    return _change(code, actions, changes, new, note=note, reused=reused,
                   replacements=_crossrefs(new) if "D" in actions else ())


def _change(code: str, actions: list[ActionCode], changes: tuple[FieldChange, ...], row: Row, *,
            note: str | None = None, reused: bool = False, replacements: tuple[str, ...] = ()) -> CodeChange:
    ordered = tuple(sorted(dict.fromkeys(actions), key=_RANK.__getitem__))
    return CodeChange(
        code=code, action=ordered[0], actions=ordered, changes=changes,
        short_description=row.short_description, long_description=row.long_description,
        termination_date=row.termination_date, replacements=replacements or (
            _crossrefs(row) if ordered[0] == "D" else ()),
        reused=reused, note=note,
    )


@functools.cache
def _slots(fields: tuple[Field, ...]) -> tuple[Callable[[Mapping[str, Value]], tuple[Any, ...]],
                                               tuple[tuple[Field, str, str], ...]]:
    """For a choice of fields: a getter of all their columns at once (from a record's ``values``), and each
    (field, column, label)."""
    slots = tuple((f, column, label) for f in fields for column, label in zip(f.columns, f.labels, strict=True))
    getter = operator.itemgetter(*(column for _, column, _ in slots))
    return (getter if len(slots) > 1 else lambda row: (getter(row),)), slots


def _field_changes(old: Row, new: Row, fields: tuple[Field, ...],
                   meanings: Meanings) -> Iterable[tuple[Field, FieldChange]]:
    getter, slots = _slots(fields)
    before_all, after_all = getter(old.values), getter(new.values)
    if before_all == after_all:  # most codes: nothing changed, decided in one C-level comparison
        return
    for (field, column, label), before, after in zip(slots, before_all, after_all, strict=True):
        if before == after or normalise(before) == normalise(after):
            continue
        yield field, FieldChange(column, label, before, after, _meaning(field, before, meanings[0]),
                                 _meaning(field, after, meanings[1]))


def _meaning(field: Field, value: Value, meaning: Meaning) -> str | None:
    if field.code_table is None or value is None:
        return None
    return meaning(field.code_table, str(value))


def _crossrefs(row: Row) -> tuple[str, ...]:
    return row.field("cross_reference")


def diff_records(old: Mapping[str, Row], new: Mapping[str, Row], new_effective: dt.date,
                 fields: tuple[Field, ...] = COMPARED, earlier: Mapping[str, Row] | None = None,
                 meanings: Meanings = BUILTIN_MEANINGS) -> list[CodeChange]:
    """Every changed code between two whole releases, in code order.

    ``earlier`` holds, for codes in ``new`` but not ``old``, their last record before ``old``.
    """
    earlier = earlier or {}
    out = []
    for code in sorted(old.keys() | new.keys()):
        change = compare(code, old.get(code), new.get(code), new_effective, fields, earlier.get(code), meanings)
        if change is not None:
            out.append(change)
    return out
