"""Diffs, histories and report comparisons as text and CSV (what ``hcpcs diff`` and ``history`` print; their
JSON form is in ``_json``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..api.report import ReportComparison
from ..model import code_tables as _codetables
from ..model.answers import CodeChange, Diff, History
from ..model.records import Value
from .ndc_page import limit_text
from .safe_csv import csv_text

CSV_COLUMNS = ("code", "action", "actions", "field", "old", "new", "old_meaning", "new_meaning",
               "short_description", "termination_date", "replacements", "reused", "note")


def _text(value: Value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _shown(value: Value, meaning: str | None) -> str:
    text = _text(value) or "(blank)"
    return f"{text} ({meaning})" if meaning else text












def diff_csv(diff: Diff) -> str:
    """One row per changed field (one row for a code added or discontinued with no field changes)."""
    return csv_text(CSV_COLUMNS, _diff_rows(diff))


def _diff_rows(diff: Diff) -> Iterator[tuple[str, ...]]:
    for c in diff.changes:
        common = (c.short_description or "", _text(c.termination_date), " ".join(c.replacements),
                  "yes" if c.reused else "", c.note or "")
        rows = c.changes or (None,)
        for f in rows:
            cells = ("", "", "", "", "") if f is None else (
                f.field, _text(f.old), _text(f.new), f.old_meaning or "", f.new_meaning or "")
            yield (c.code, c.action, "".join(c.actions), *cells, *common)


def _change_lines(change: CodeChange, indent: str) -> list[str]:
    head = f"{indent}{change.code}  {change.action}  {change.short_description or ''}"
    if len(change.actions) > 1:
        head += f"  [{''.join(change.actions)}]"
    lines = [head.rstrip()]
    if change.note:
        lines.append(f"{indent}    {change.note}")
    if change.termination_date and change.action == "D":
        lines.append(f"{indent}    terminated {change.termination_date.isoformat()}"
                     + (f"; replaced by {', '.join(change.replacements)}" if change.replacements else ""))
    for f in change.changes:
        lines.append(f"{indent}    {f.label}: {_shown(f.old, f.old_meaning)} -> {_shown(f.new, f.new_meaning)}")
    return lines


def diff_text(diff: Diff) -> str:
    counts = ", ".join(f"{action} {n}" for action, n in diff.counts().items()) or "no changes"
    out = [f"HCPCS {diff.old.id} -> {diff.new.id}: {len(diff.changes)} codes changed ({counts})", ""]
    out.append("Action codes: " + "; ".join(
        f"{a} {_codetables.meaning('HCPCS Action Code', a)}" for a in diff.counts()))
    for change in diff.changes:
        out += ["", *_change_lines(change, "")]
    return "\n".join(out) + "\n"




def history_text(history: History) -> str:
    out = [f"{history.code}: in releases {', '.join(history.releases)}"]
    if history.termination_date:
        out.append(f"terminated {history.termination_date.isoformat()}"
                   + (f"; replaced by {', '.join(history.replacements)}" if history.replacements else ""))
    if history.reused:
        out.append("REUSED: this code has had more than one meaning; check the date of service")
    if history.reactivated:
        out.append("re-activated after a discontinuation")
    for event in history.events:
        out += ["", f"{event.release.id} ({event.release.effective_date.isoformat()})"]
        if event.first:
            out.append(f"    first seen: {event.change.long_description or ''}")
            if event.change.note:
                out.append(f"    {event.change.note}")
        else:
            out += _change_lines(event.change, "    ")
    if history.payment_limits:
        out += ["", "Payment limit per dosage unit (CMS's ASP pricing files)"]
        out += [f"    {q.quarter}  {limit_text(x)}" for q, x in history.payment_limits]
    return "\n".join(out) + "\n"




def comparison_text(comparison: ReportComparison) -> str:
    agreed = ", ".join(f"{a} {n}" for a, n in comparison.agreed.items())
    out = [f"HCPCS {comparison.old} -> {comparison.new} against {comparison.report}",
           f"agree on {sum(comparison.agreed.values())} codes ({agreed}); differ on {len(comparison.differences)}"]
    for d in comparison.differences:
        theirs = d.theirs or "-"
        out.append(f"{d.code}\tours {d.ours}\treport {theirs}\t{d.reason}\t{d.evidence}")
    return "\n".join(out) + "\n"


def comparison_csv(comparison: ReportComparison) -> str:
    return csv_text(("code", "ours", "report", "groups", "reason", "evidence"),
                    ((d.code, d.ours, d.theirs or "", " ".join(d.groups), d.reason, d.evidence)
                     for d in comparison.differences))

