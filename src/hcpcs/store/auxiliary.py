"""The files CMS publishes beside the releases: NOC lists, corrections, transaction reports, record layouts;
and what hcpcs derives from the records for validation (pair rules, each record's span of dates)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..model.layout import FIELDS_BY_NAME
from ..model.periods import Period
from ..model.records import (
    Correction,
    CorrectionList,
    NocList,
    RecordLayoutData,
    ReportData,
    ReportEntry,
    SourceFile,
)
from ._base import StoreBase, day, iso_date, now, sql_value
from .rows import PairRule

_CROSS_REFERENCES = FIELDS_BY_NAME["cross_reference"].columns


class AuxiliaryFiles(StoreBase):
    """NOC lists, corrections, transaction reports, record layouts, pair rules and record spans."""

    # -- NOC lists ---------------------------------------------------------------------------------

    def noc_fingerprint(self, year: int) -> str | None:
        return self._fingerprint("SELECT fingerprint FROM noc_lists WHERE year = ?", (year,))

    def delete_noc_list(self, year: int) -> None:
        self.db.execute("DELETE FROM noc_codes WHERE year = ?", (year,))
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"noc:{year}",))
        self.db.execute("DELETE FROM noc_lists WHERE year = ?", (year,))

    def insert_noc_list(self, noc: NocList, fingerprint: str) -> None:
        self.db.execute("INSERT INTO noc_lists VALUES (?, ?, ?)", (noc.year, now(), fingerprint))
        self._insert_files(f"noc:{noc.year}", noc.files)
        self.db.executemany(
            "INSERT OR REPLACE INTO noc_codes VALUES (?, ?, ?, ?, ?)",
            ((noc.year, e.code, e.long_description, sql_value(e.added_date), sql_value(e.termination_date))
             for e in noc.entries),
        )

    def noc_years(self) -> list[int]:
        """The years whose NOC list is loaded, in order."""
        return [r["year"] for r in self.db.execute("SELECT year FROM noc_lists ORDER BY year")]

    def in_noc_list(self, code: str, year: int) -> bool:
        row = self.db.execute("SELECT 1 FROM noc_codes WHERE year = ? AND code = ?", (year, code)).fetchone()
        return row is not None

    def noc_codes(self, year: int) -> set[str]:
        return {r["code"] for r in self.db.execute("SELECT code FROM noc_codes WHERE year = ?", (year,))}

    # -- record layouts ------------------------------------------------------------------------------

    def layout_fingerprint(self, year: int) -> str | None:
        return self._fingerprint("SELECT fingerprint FROM record_layouts WHERE year = ?", (year,))

    def delete_layout(self, year: int) -> None:
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"layout:{year}",))
        self.db.execute("DELETE FROM record_layouts WHERE year = ?", (year,))

    def insert_layout(self, data: RecordLayoutData, fingerprint: str) -> None:
        self.db.execute("INSERT INTO record_layouts VALUES (?, ?, ?, ?)",
                        (data.year, json.dumps(data.layout, sort_keys=True), now(), fingerprint))
        self._insert_files(f"layout:{data.year}", data.files)

    def layout_fingerprints(self) -> dict[int, str]:
        """The years whose record layout is loaded, in order, each with the fingerprint of its files."""
        return {r["year"]: r["fingerprint"]
                for r in self.db.execute("SELECT year, fingerprint FROM record_layouts ORDER BY year")}

    def layout(self, year: int) -> tuple[dict[str, Any], list[SourceFile]] | None:
        """The record layout of a year (fields and code tables, as ``_layout_reader`` read them) and the
        files it was read from."""
        row = self.db.execute("SELECT layout FROM record_layouts WHERE year = ?", (year,)).fetchone()
        if row is None:
            return None
        layout: dict[str, Any] = json.loads(row["layout"])
        return layout, self.files(f"layout:{year}")

    # -- corrections ---------------------------------------------------------------------------------

    def correction_fingerprint(self, release_id: str) -> str | None:
        return self._fingerprint("SELECT fingerprint FROM correction_lists WHERE release_id = ?", (release_id,))

    def delete_corrections(self, release_id: str) -> None:
        self.db.execute("DELETE FROM corrections WHERE release_id = ?", (release_id,))
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"corrections:{release_id}",))
        self.db.execute("DELETE FROM correction_lists WHERE release_id = ?", (release_id,))

    def insert_corrections(self, corrections: CorrectionList, fingerprint: str) -> None:
        rid = corrections.release_id
        self.db.execute("INSERT INTO correction_lists VALUES (?, ?, ?)", (rid, now(), fingerprint))
        self._insert_files(f"corrections:{rid}", corrections.files)
        self.db.executemany(
            "INSERT INTO corrections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((rid, c.code, c.action, sql_value(c.effective_date), c.effective_text, c.short_description,
              c.long_description, json.dumps(c.details), c.source, c.row) for c in corrections.entries))

    def corrections(self, release_id: str | None = None, code: str | None = None, *,
                    year: int | None = None) -> list[Correction]:
        """Corrections of one release (or of every release of a year), optionally of one code, in file order."""
        where, parameters = [], []
        if release_id is not None:
            where.append("release_id = ?")
            parameters.append(release_id)
        if year is not None:
            where.append("substr(release_id, 1, 4) = ?")
            parameters.append(f"{year:04d}")
        if code is not None:
            where.append("code = ?")
            parameters.append(code)
        rows = self.db.execute(
            f"SELECT * FROM corrections WHERE {' AND '.join(where) or '1'} ORDER BY release_id, rowid", parameters)
        return [Correction(r["code"], r["action"], day(r["effective_date"]), r["effective_text"],
                           r["short_description"], r["long_description"], json.loads(r["details"]), r["source"],
                           r["row"]) for r in rows]

    def correction_releases(self) -> list[str]:
        return [r["release_id"] for r in self.db.execute("SELECT release_id FROM correction_lists ORDER BY 1")]

    # -- transaction reports ------------------------------------------------------------------------

    def report_fingerprint(self, release_id: str) -> str | None:
        return self._fingerprint("SELECT fingerprint FROM transaction_reports WHERE release_id = ?", (release_id,))

    def delete_report(self, release_id: str) -> None:
        self.db.execute("DELETE FROM report_entries WHERE release_id = ?", (release_id,))
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"report:{release_id}",))
        self.db.execute("DELETE FROM transaction_reports WHERE release_id = ?", (release_id,))

    def insert_report(self, data: ReportData, fingerprint: str) -> None:
        rid = data.release_id
        self.db.execute("INSERT INTO transaction_reports VALUES (?, ?, ?, ?)",
                        (rid, data.report.source, now(), fingerprint))
        self._insert_files(f"report:{rid}", data.files)
        self.db.executemany(
            "INSERT INTO report_entries VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((rid, e.code, e.action, e.change, e.short_description, e.long_description, e.line)
             for e in data.report.entries))

    def report(self, release_id: str) -> tuple[str, list[ReportEntry]] | None:
        """A release's transaction report: its source and its entries in file order."""
        head = self.db.execute("SELECT source FROM transaction_reports WHERE release_id = ?",
                               (release_id,)).fetchone()
        if head is None:
            return None
        return head["source"], [_entry(r) for r in self.db.execute(
            "SELECT * FROM report_entries WHERE release_id = ? ORDER BY line", (release_id,))]

    def report_releases(self) -> list[str]:
        return [r["release_id"] for r in self.db.execute("SELECT release_id FROM transaction_reports ORDER BY 1")]

    def report_entry(self, code: str, release_id: str) -> ReportEntry | None:
        row = self.db.execute("SELECT * FROM report_entries WHERE code = ? AND release_id = ?",
                              (code, release_id)).fetchone()
        return _entry(row) if row else None

    # -- derived: pair rules and record spans ---------------------------------------------------------

    def replace_rules(self, rules: Iterable[tuple[str, str, str, str]]) -> None:
        """Every pair rule, as ``(release id, code, other code, clause)``."""
        self.db.execute("DELETE FROM pair_rules")
        self.db.executemany("INSERT INTO pair_rules VALUES (?, ?, ?, ?)", rules)

    def rules(self, release_id: str | None = None) -> list[PairRule]:
        where, parameters = ("WHERE release_id = ?", (release_id,)) if release_id else ("", ())
        return [PairRule(*r.values()) for r in self.db.execute(
            f"SELECT release_id, code, other, clause FROM pair_rules {where} ORDER BY release_id, code, other",
            parameters)]

    def periods(self, codes: Sequence[str] | None = None) -> list[Period]:
        """Each record (of ``codes``, or all) with the span of dates its release was in effect (to the next
        release's start); the NOC flags and hindsight are the facade's and validation's to set."""
        where, parameters = (f"WHERE r.code IN ({', '.join('?' * len(codes))})", tuple(codes)) \
            if codes is not None else ("", ())
        xrefs = ", ".join(f"r.{c}" for c in _CROSS_REFERENCES)
        rows = self.db.execute(
            "WITH spans AS (SELECT id, effective_date AS valid_from, "
            "LEAD(effective_date, 1, '9999-12-31') OVER (ORDER BY effective_date) AS valid_to FROM releases) "
            f"SELECT r.code, r.kind, s.id AS release_id, s.valid_from, s.valid_to, r.added_date, r.termination_date, "
            f"r.coverage, {xrefs} "
            f"FROM records r JOIN spans s ON s.id = r.release_id {where} ORDER BY r.code, s.valid_from",
            parameters)
        return [Period(r["code"], r["kind"], r["release_id"], iso_date(r["valid_from"]), iso_date(r["valid_to"]),
                       day(r["added_date"]), day(r["termination_date"]), r["coverage"],
                       ", ".join(r[c] for c in _CROSS_REFERENCES if r[c])) for r in rows]


def _entry(row: dict[str, Any]) -> ReportEntry:
    return ReportEntry(row["code"], row["action"], row["change"], row["short_description"], row["long_description"],
                       row["line"])
