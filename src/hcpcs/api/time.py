"""The facade's time part: what changed between releases, a code's history, CMS's transaction reports."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .._errors import InputError, NotFound
from ..model.answers import CodeChange, Diff, History, HistoryEvent, Release
from ..model.identifiers import parse_code
from ..model.records import LoadWarning, TransactionReport
from ..store import RecordRow
from .base import HandleBase
from .diff import choose_fields, compare, diff_records
from .drug_files import limit_history
from .report import ReportComparison, compare_report


class TimeTravel(HandleBase):
    """Diffs of releases, histories of codes, and comparison with CMS's transaction reports."""

    def diff(self, old: str, new: str, *, fields: Iterable[str] | None = None) -> Diff:
        """Every code that changed from release ``old`` to release ``new``, with CMS's action codes.

        ``fields`` limits the compared fields (``coverage``, ``pricing_indicator``, ...); additions,
        discontinuations and re-activations are always reported.
        """
        chosen = choose_fields(fields)
        before, after = self.release(old), self.release(new)
        columns = list(dict.fromkeys([c for f in chosen for c in f.columns] + ["added_date", "termination_date"]))
        old_records, new_records = self._store.differing_records(before.id, after.id, columns)
        earlier = self._store.last_records_before(new_records.keys() - old_records.keys(), before.id)
        changes = diff_records(old_records, new_records, after.effective_date, chosen, earlier,
                               (self._decoder(before).meaning, self._decoder(after).meaning))
        return Diff(before, after, tuple(changes), tuple(f.name for f in chosen))

    def history(self, code: str) -> History:
        """A code across every loaded release: when it appeared, each change, termination, reuse."""
        wanted = parse_code(code)
        records = self._store.code_records(wanted)
        known = self.releases()
        if not records:
            if not known:
                raise NotFound(f"no releases loaded in {self.path}: run hcpcs load PATH")
            raise self._not_in(wanted, known[-1])
        events: list[HistoryEvent] = []
        previous: RecordRow | None = None
        last_seen: RecordRow | None = None
        before: Release | None = None  # the release of last_seen
        for rel in known:
            row = records.get(rel.id)
            if last_seen is None:
                if row is not None:
                    added = row.added_date
                    note = f"first loaded release with this code; CMS added it on {added.isoformat()}" if added \
                        else "first loaded release with this code"
                    events.append(HistoryEvent(rel, _first_change(wanted, row, note), first=True))
            else:
                assert before is not None
                change = compare(wanted, previous, row, rel.effective_date,
                                 earlier=last_seen if previous is None else None,
                                 meanings=(self._decoder(before).meaning, self._decoder(rel).meaning))
                if change is not None:
                    events.append(HistoryEvent(rel, change))
            previous = row
            if row is not None:
                last_seen, before = row, rel
        assert last_seen is not None
        ids = tuple(records)
        return History(
            code=wanted, releases=ids, events=tuple(events), first_release=ids[0], last_release=ids[-1],
            termination_date=last_seen.termination_date,
            replacements=last_seen.field("cross_reference") if last_seen.termination_date else (),
            reactivated=any("R" in e.change.actions for e in events),
            reused=any(e.change.reused for e in events),
            payment_limits=limit_history(self._store, wanted),
        )

    def read_report(self, path: str | Path) -> TransactionReport:
        """Read CMS's transaction report from a ``.prn``/``.xlsx`` file, or from a release zip holding one."""
        return read_transaction_report(Path(path))

    def transaction_report(self, release: str | None = None) -> TransactionReport:
        """CMS's transaction report of a loaded release (the latest by default), as stored at load time."""
        rid = self.release(release).id
        found = self._store.report(rid)
        if found is None:
            known = ", ".join(self._store.report_releases()) or "none"
            raise NotFound(f"no transaction report of {rid} is loaded (loaded: {known}); load the release zip "
                           "or CMS's *trans* file with hcpcs load")
        source, entries = found
        return TransactionReport(source, tuple(entries))

    def compare_report(self, diff: Diff, report: TransactionReport | str | Path | None = None) -> ReportComparison:
        """Where ``diff`` and CMS's transaction report for its newer release agree, and where not (and why).

        ``report`` is a report, or a file to read one from; by default, the one loaded with the newer release.
        """
        if report is None:
            found = self.transaction_report(diff.new.id)
        else:
            found = report if isinstance(report, TransactionReport) else self.read_report(report)
        return compare_report(diff, found, self._store.release_records(diff.old.id),
                              self._store.release_records(diff.new.id))


def read_transaction_report(path: Path) -> TransactionReport:
    """CMS's transaction report in a file, or in a zip or folder: the spreadsheet when there is one."""
    from ..readers.bundle import gather
    from ..readers.members import role_of, spreadsheet_first
    from ..readers.transactions import read_report

    members = [m for bundle in gather([path]) for m in bundle.members]
    reports = [m for m in members if role_of(m) == "transactions"] if len(members) > 1 else members
    if not reports:
        raise InputError(str(path), "holds no transaction report (*trans* or Changes_by_* files)")
    chosen = spreadsheet_first(reports)
    warnings: list[LoadWarning] = []
    report = read_report(chosen.data, chosen.display, warnings=warnings)
    if warnings:  # a comparison asked for by hand is made with every line understood, or not at all
        first = warnings[0]
        raise InputError(first.source, first.message, line=first.line, row=first.row)
    return report


def _first_change(code: str, row: RecordRow, note: str) -> CodeChange:
    return CodeChange(code, "A", ("A",), (), row.short_description, row.long_description,
                      row.termination_date, note=note)

