"""Our diff of two releases against CMS's transaction report for the newer one.

CMS's report gives every code of a release one action. Where our diff gives another, each difference
is explained from the data, so that a reader can tell a fault in CMS's report from a release that is
not loaded. The reasons, checked in this order:

    left-file        the code left the newer file, so the report (which lists that file) cannot name it
    not-in-report    the code is in the newer file but missing from the report
    between          the code changed on a date after the older release took effect and before the
                     newer one: CMS's report compares against a release in between that is not loaded
    retroactive      a termination date before the older release took effect, set afterwards; or (checked
                     after case) an action effective date before it, set afterwards (later than the older
                     release's): a change CMS made later and dated back
    missing-from-old the code was added on or before the older release took effect, but is not in
                     that release's file (CMS's report treats it as existing)
    encoding         the descriptions differ only where CMS's text file has "?" for a character
    case             the descriptions differ only in letter case (and spacing), and what else changed would not,
                     alone, make a difference on an add, a discontinuation or a description change
    report-misses    the files differ, but the report says "No Change"
    report-only      the report names a change the files do not show
    other            both name a change, with different action codes; or (checked first) the report's type of
                     change could not be read (action "?"), whatever the files show
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..model.answers import CodeChange, Diff
from ..model.records import ReportEntry, TransactionReport
from ..store import RecordRow

Reason = Literal["left-file", "not-in-report", "between", "retroactive", "missing-from-old", "encoding", "case",
                 "report-misses", "report-only", "other"]
Group = Literal["added", "discontinued", "description"]
_DESCRIPTION = frozenset("BCS")
_DESCRIPTION_FIELDS = frozenset({"long_description", "short_description"})


@dataclass(frozen=True, slots=True)
class ReportDifference:
    """A code on which our diff and CMS's report disagree, and why."""

    code: str
    ours: str
    theirs: str | None
    groups: tuple[Group, ...]
    reason: Reason
    evidence: str


@dataclass(frozen=True, slots=True)
class ReportComparison:
    old: str
    new: str
    report: str
    agreed: dict[str, int]
    differences: tuple[ReportDifference, ...]


def groups_of(ours: str, theirs: str | None) -> tuple[Group, ...]:
    """Which of the checked kinds of change (added, discontinued, description) a difference touches."""
    out: list[Group] = []
    if "A" in (ours, theirs):
        out.append("added")
    if "D" in (ours, theirs):
        out.append("discontinued")
    if (ours in _DESCRIPTION) != (theirs in _DESCRIPTION):
        out.append("description")
    return tuple(out)


def compare_report(diff: Diff, report: TransactionReport, old_records: Mapping[str, RecordRow],
                   new_records: Mapping[str, RecordRow]) -> ReportComparison:
    ours = diff.by_code()
    theirs = report.by_code()
    agreed: dict[str, int] = {}
    differences = []
    for code in sorted(ours.keys() | theirs.keys() | new_records.keys()):
        change = ours.get(code)
        entry = theirs.get(code)
        mine = change.action if change else "N"
        cms = entry.action if entry else None
        if mine == cms:
            agreed[mine] = agreed.get(mine, 0) + 1
            continue
        reason, evidence = _explain(code, change, entry, diff, old_records.get(code), new_records.get(code))
        differences.append(ReportDifference(code, mine, cms, groups_of(mine, cms), reason, evidence))
    return ReportComparison(diff.old.id, diff.new.id, report.source, dict(sorted(agreed.items())),
                            tuple(differences))


def _explain(code: str, change: CodeChange | None, entry: ReportEntry | None, diff: Diff,
             old: RecordRow | None, new: RecordRow | None) -> tuple[Reason, str]:
    start, end = diff.old.effective_date, diff.new.effective_date
    fields = "; ".join(f"{c.field} {_short(c.old, c.new)} -> {_short(c.new, c.old)}"
                       for c in change.changes) if change else ""
    if entry is None:
        if new is None:
            return "left-file", f"in {diff.old.id}, not in {diff.new.id}"
        return "not-in-report", f"in {diff.new.id}'s file (line {new.source_line}), not in the report"
    if entry.action == "?":
        return "other", f"report: {entry.change!r}, a type of change hcpcs cannot read; files: {fields or 'no change'}"
    record = new or old
    dates = {"added": record.added_date if record else None,
             "action effective": record.action_effective_date if record else None}
    ended = record.termination_date if record else None
    if ended is not None:
        dates["terminated after"] = ended + dt.timedelta(days=1)
    for name, day in dates.items():
        if day is not None and start < day < end:
            return "between", f"{name} {day.isoformat()}, between {start.isoformat()} and {end.isoformat()}"
    if change is not None and change.action == "D" and ended is not None and ended < start and old is not None:
        return "retroactive", f"termination date {ended.isoformat()} set in {diff.new.id}, before {diff.old.id}"
    added = dates["added"]
    if change is not None and change.action == "A" and old is None and added is not None and added <= start:
        return "missing-from-old", f"added {added.isoformat()}, yet not in {diff.old.id}'s file"
    if change is not None and change.changes and all(_only_encoding(c.old, c.new) for c in change.changes):
        return "encoding", fields
    if change is not None and _descriptions_only_in_case(change, entry.action):
        return "case", fields
    acted = new.action_effective_date if new else None
    acted_before = old.action_effective_date if old else None
    if (change is not None and old is not None and new is not None and acted is not None and acted < start
            and (acted_before is None or acted > acted_before)):
        was = acted_before.isoformat() if acted_before else "none"
        return "retroactive", (f"action effective date {acted.isoformat()} set in {diff.new.id} ({was} in "
                               f"{diff.old.id}), before {diff.old.id}")
    if entry.action == "N":
        return "report-misses", fields
    if change is None:
        return "report-only", f"report: {entry.change}; no compared field differs"
    return "other", f"report: {entry.change}; files: {fields}"


def _descriptions_only_in_case(change: CodeChange, theirs: str) -> bool:
    """Whether the descriptions differ only in letter case, and the other fields that changed, alone, would not
    make the diff and the report disagree on an add, a discontinuation or a description change."""
    described = [c for c in change.changes if c.field in _DESCRIPTION_FIELDS]
    if not described or not all(_only_case(c.old, c.new) for c in described):
        return False
    rest = [("F" if a == "B" else a) for a in change.actions if a not in ("C", "S")]  # B: C and F
    return not groups_of(rest[0] if rest else "N", theirs)


def _only_case(old: object, new: object) -> bool:
    """Text that differs only in letter case (and runs of white space, which the diff ignores too): CMS wrote
    descriptions in capitals until 2012."""
    if not isinstance(old, str) or not isinstance(new, str):
        return False
    return old != new and " ".join(old.split()).casefold() == " ".join(new.split()).casefold()


def _only_encoding(old: object, new: object) -> bool:
    if not isinstance(old, str) or not isinstance(new, str) or "?" not in old + new:
        return False
    return _question_marks_match(old, new) or _question_marks_match(new, old)


def _question_marks_match(lossy: str, whole: str) -> bool:
    """Whether ``whole`` is ``lossy`` with each "?" (and the spaces around it) standing for a character."""
    parts = re.split(r"\s*\?\s*", " ".join(lossy.split()))
    if len(parts) == 1:
        return False
    pattern = r"\s*\S{0,3}\s*".join(re.escape(p) for p in parts)
    return re.fullmatch(pattern, " ".join(whole.split())) is not None


def _short(value: object, other: object = None) -> str:
    """A value fit for one line; for long text, the words that differ from ``other``, with context."""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = repr(value)
    if len(text) <= 60 or not isinstance(value, str) or not isinstance(other, str):
        return text
    mine, theirs = value.split(), other.split()
    matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
    parts = [" ".join(mine[max(0, i1 - 2):i2 + 2]) for op, i1, i2, _, _ in matcher.get_opcodes() if op != "equal"]
    return "'..." + " ... ".join(parts)[:120] + "...'"
