"""The SQLite store: the only module that speaks SQL.

One file holds every loaded release. A load is one transaction: a failure leaves the file as it was,
and readers (WAL mode) never see a release half written.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._drug_models import DrugFile
from ._errors import StoreError
from ._layout import COLUMNS, FIELDS, FIELDS_BY_NAME
from ._models import (
    CorrectionList,
    NocList,
    RecordLayoutData,
    ReleaseData,
    ReportData,
    SearchFilters,
    SourceFile,
    Value,
)

SCHEMA_VERSION = 5
_APPLICATION_ID = 0x48435043  # "HCPC"
_DATE_COLUMNS = frozenset(c for f in FIELDS if f.kind == "date" for c in f.columns)
_RECORD_COLUMNS = ", ".join(COLUMNS)
_RECORD_COLUMN_SET = frozenset(COLUMNS)

Row = dict[str, Any]


def _schema() -> str:
    types = {"text": "TEXT", "date": "TEXT", "number": "INTEGER"}
    columns = ",\n  ".join(f"{c} {types[f.kind]}" for f in FIELDS for c in f.columns)
    return f"""
CREATE TABLE releases (
  id TEXT PRIMARY KEY,
  effective_date TEXT NOT NULL,
  id_source TEXT NOT NULL,
  loaded_at TEXT NOT NULL,
  procedure_count INTEGER NOT NULL,
  modifier_count INTEGER NOT NULL,
  disagreement_count INTEGER NOT NULL,
  fingerprint TEXT NOT NULL
);
CREATE TABLE files (
  owner TEXT NOT NULL,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  member TEXT,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL
);
CREATE INDEX files_owner ON files(owner);
CREATE TABLE records (
  release_id TEXT NOT NULL REFERENCES releases(id),
  {columns},
  kind TEXT NOT NULL,
  source_line INTEGER NOT NULL,
  PRIMARY KEY (release_id, code)
) WITHOUT ROWID;
CREATE INDEX records_by_code ON records(code, release_id);
CREATE TABLE processing_notes (
  release_id TEXT NOT NULL REFERENCES releases(id),
  number TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (release_id, number)
) WITHOUT ROWID;
CREATE TABLE disagreements (
  release_id TEXT NOT NULL REFERENCES releases(id),
  code TEXT NOT NULL,
  field TEXT NOT NULL,
  text_value TEXT NOT NULL,
  spreadsheet_value TEXT NOT NULL
);
CREATE TABLE repairs (
  release_id TEXT NOT NULL REFERENCES releases(id),
  code TEXT NOT NULL,
  field TEXT NOT NULL,
  found TEXT NOT NULL,
  read_as TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE noc_lists (
  year INTEGER PRIMARY KEY,
  loaded_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL
);
CREATE TABLE noc_codes (
  year INTEGER NOT NULL REFERENCES noc_lists(year),
  code TEXT NOT NULL,
  long_description TEXT NOT NULL,
  added_date TEXT,
  termination_date TEXT,
  PRIMARY KEY (year, code)
) WITHOUT ROWID;
""" + _UPGRADES


#: Added in schema 2: CMS's corrections files.
_REPORTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS transaction_reports (
  release_id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  loaded_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS report_entries (
  release_id TEXT NOT NULL REFERENCES transaction_reports(release_id),
  code TEXT NOT NULL,
  action TEXT NOT NULL,
  change TEXT NOT NULL,
  short_description TEXT,
  long_description TEXT,
  line INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS report_entries_by_code ON report_entries(code, release_id);
"""

_CORRECTIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS correction_lists (
  release_id TEXT PRIMARY KEY,
  loaded_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS corrections (
  release_id TEXT NOT NULL REFERENCES correction_lists(release_id),
  code TEXT NOT NULL,
  action TEXT NOT NULL,
  effective_date TEXT,
  effective_text TEXT NOT NULL,
  short_description TEXT,
  long_description TEXT,
  details TEXT NOT NULL,
  source TEXT NOT NULL,
  row INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS corrections_by_code ON corrections(code, release_id);
"""
#: Added in schema 2: pair rules mined from the descriptions.
_RULES_SCHEMA = """
CREATE TABLE IF NOT EXISTS pair_rules (
  release_id TEXT NOT NULL,
  code TEXT NOT NULL,
  other TEXT NOT NULL,
  clause TEXT NOT NULL,
  PRIMARY KEY (release_id, code, other)
) WITHOUT ROWID;
"""
#: Added in schema 2: the full-text index, its vocabulary, and the learnt abbreviations.
_SEARCH_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(
  code, long_description, short_description, extra, release_id, release UNINDEXED, ended UNINDEXED,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS search_releases (
  release_id TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_words (
  word TEXT PRIMARY KEY,
  uses INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS abbreviations (
  abbreviation TEXT NOT NULL,
  expansion TEXT NOT NULL,
  uses INTEGER NOT NULL,
  PRIMARY KEY (abbreviation, expansion)
) WITHOUT ROWID;
"""
#: Added in schema 4: CMS's record layout of each year (its field definitions and code tables, as JSON).
_LAYOUTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS record_layouts (
  year INTEGER PRIMARY KEY,
  layout TEXT NOT NULL,
  loaded_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL
);
"""
#: Added in schema 5: CMS's drug files, a quarter each (the NDC crosswalk and the payment limits). The files'
#: short descriptions are never stored: for Level I codes they are the AMA's.
_DRUGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS drug_files (
  kind TEXT NOT NULL,
  quarter TEXT NOT NULL,
  effective_from TEXT NOT NULL,
  effective_to TEXT,
  rows INTEGER NOT NULL,
  loaded_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  PRIMARY KEY (kind, quarter)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS drug_products (
  quarter TEXT NOT NULL,
  code TEXT NOT NULL,
  labeler TEXT NOT NULL,
  ndc TEXT,
  product_id TEXT NOT NULL,
  drug_name TEXT NOT NULL,
  dosage TEXT NOT NULL,
  package_size TEXT NOT NULL,
  package_quantity TEXT NOT NULL,
  billing_units TEXT NOT NULL,
  billing_units_per_package TEXT NOT NULL,
  line INTEGER NOT NULL,
  PRIMARY KEY (quarter, line)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS drug_products_by_ndc ON drug_products(ndc, quarter);
CREATE INDEX IF NOT EXISTS drug_products_by_code ON drug_products(code, quarter);
CREATE TABLE IF NOT EXISTS payment_limits (
  quarter TEXT NOT NULL,
  code TEXT NOT NULL,
  dosage TEXT NOT NULL,
  payment_limit TEXT,
  coinsurance TEXT,
  vaccine_awp TEXT,
  vaccine_limit TEXT,
  blood_awp TEXT,
  blood_limit TEXT,
  clotting_factor TEXT,
  notes TEXT,
  line INTEGER NOT NULL,
  PRIMARY KEY (quarter, line)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS payment_limits_by_code ON payment_limits(code, quarter);
"""
#: Every table added after schema 1, each created only where missing: the upgrade of an older file.
_UPGRADES = (_SEARCH_SCHEMA + _CORRECTIONS_SCHEMA + _RULES_SCHEMA + _REPORTS_SCHEMA + _LAYOUTS_SCHEMA
             + _DRUGS_SCHEMA)
#: bm25 weights by column: code, long description (above the short), short description, extra terms.
_BM25 = "bm25(search, 8.0, 4.0, 2.0, 1.0, 0.0, 0.0, 0.0)"


class Store:
    """A connection to one hcpcs database file."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        if readonly:
            if not path.exists():
                raise StoreError(f"no database at {path}: load releases first (hcpcs load PATH)")
            uri = f"file:{path}?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = _dict_row
        try:
            self._prepare(readonly)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise StoreError(f"{path} is not an hcpcs database ({exc})") from None

    def _prepare(self, readonly: bool) -> None:
        (app,) = self.db.execute("PRAGMA application_id").fetchone().values()
        (version,) = self.db.execute("PRAGMA user_version").fetchone().values()
        tables = self.db.execute("SELECT count(*) AS n FROM sqlite_master").fetchone()["n"]
        if tables and app != _APPLICATION_ID:
            raise StoreError(f"{self.path} is an SQLite file, but not an hcpcs database")
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer hcpcs (schema {version}); upgrade hcpcs")
        if not tables and not readonly:
            self.db.execute("PRAGMA journal_mode=WAL")
            with self.transaction():
                self._run(_schema())
                self.db.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif tables and not readonly:
            with self.transaction():  # schema 1 -> ... -> 5 (the search index is filled by the facade); idempotent
                self._run(_UPGRADES)
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.db.execute("PRAGMA foreign_keys = ON")
        # the whole file (tens of MB) fits in memory: keep pages cached and read them mapped
        self.db.execute("PRAGMA cache_size = -65536")
        self.db.execute("PRAGMA mmap_size = 268435456")

    def _run(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self.db.execute(statement)

    def close(self) -> None:
        self.db.close()

    def data_version(self) -> int:
        """A number that changes when another connection commits to the file (to drop cached answers)."""
        value: int = self.db.execute("PRAGMA data_version").fetchone()["data_version"]
        return value

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- writing -----------------------------------------------------------------------------------

    def delete_release(self, release_id: str) -> None:
        for table in ("records", "processing_notes", "disagreements", "repairs", "search_releases"):
            self.db.execute(f"DELETE FROM {table} WHERE release_id = ?", (release_id,))
        self.db.execute("DELETE FROM search WHERE release = ?", (release_id,))
        self.db.execute("DELETE FROM files WHERE owner = ?", (release_id,))
        self.db.execute("DELETE FROM releases WHERE id = ?", (release_id,))

    def insert_release(self, release: ReleaseData, fingerprint: str) -> None:
        rid = release.release_id
        self.db.execute(
            "INSERT INTO releases VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, release.effective_date.isoformat(), release.id_source, _now(), release.procedure_count,
             release.modifier_count, len(release.disagreements), fingerprint),
        )
        self._insert_files(rid, release.files)
        marks = ", ".join("?" * (len(COLUMNS) + 3))
        self.db.executemany(
            f"INSERT INTO records (release_id, {_RECORD_COLUMNS}, kind, source_line) VALUES ({marks})",
            ((rid, *_sql_row(r.row), r.kind, r.line) for r in release.records),
        )
        self.db.executemany(
            "INSERT INTO processing_notes VALUES (?, ?, ?)",
            ((rid, number, text) for number, text in release.processing_notes.items()),
        )
        self.db.executemany(
            "INSERT INTO disagreements VALUES (?, ?, ?, ?, ?)",
            ((rid, d.code, d.field, d.text_value, d.spreadsheet_value) for d in release.disagreements),
        )
        self.db.executemany(
            "INSERT INTO repairs VALUES (?, ?, ?, ?, ?, ?)",
            ((rid, r.code, r.field, r.found, r.read_as, r.reason) for r in release.repairs),
        )

    def delete_noc_list(self, year: int) -> None:
        self.db.execute("DELETE FROM noc_codes WHERE year = ?", (year,))
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"noc:{year}",))
        self.db.execute("DELETE FROM noc_lists WHERE year = ?", (year,))

    def insert_noc_list(self, noc: NocList, fingerprint: str) -> None:
        self.db.execute("INSERT INTO noc_lists VALUES (?, ?, ?)", (noc.year, _now(), fingerprint))
        self._insert_files(f"noc:{noc.year}", noc.files)
        self.db.executemany(
            "INSERT OR REPLACE INTO noc_codes VALUES (?, ?, ?, ?, ?)",
            ((noc.year, e.code, e.long_description, _sql(e.added_date), _sql(e.termination_date))
             for e in noc.entries),
        )

    # -- drug files ----------------------------------------------------------------------------------

    def drug_file_fingerprint(self, kind: str, quarter: str) -> str | None:
        rows = self._drug_rows("SELECT fingerprint FROM drug_files WHERE kind = ? AND quarter = ?", (kind, quarter))
        return rows[0]["fingerprint"] if rows else None

    def delete_drug_file(self, kind: str, quarter: str) -> None:
        table = "drug_products" if kind == "ndc_crosswalk" else "payment_limits"
        self.db.execute(f"DELETE FROM {table} WHERE quarter = ?", (quarter,))
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"{kind}:{quarter}",))
        self.db.execute("DELETE FROM drug_files WHERE kind = ? AND quarter = ?", (kind, quarter))

    def insert_drug_file(self, data: DrugFile, fingerprint: str) -> None:
        self.db.execute("INSERT INTO drug_files VALUES (?, ?, ?, ?, ?, ?, ?)", (
            data.kind, data.quarter, data.effective_from.isoformat(), _sql(data.effective_to), data.rows, _now(),
            fingerprint))
        self._insert_files(f"{data.kind}:{data.quarter}", data.files)
        self.db.executemany("INSERT INTO drug_products VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (data.quarter, p.code, p.labeler, p.ndc, p.product_id, p.drug_name, p.dosage, p.package_size,
             p.package_quantity, p.billing_units, p.billing_units_per_package, p.line) for p in data.products))
        self.db.executemany("INSERT INTO payment_limits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (data.quarter, x.code, x.dosage, x.limit, x.coinsurance, x.vaccine_awp, x.vaccine_limit, x.blood_awp,
             x.blood_limit, x.clotting_factor, x.notes, x.line) for x in data.limits))

    def drug_files(self) -> list[Row]:
        """Every loaded drug file, by kind and quarter, with its code file's name and sha256."""
        return self._drug_rows(
            "SELECT d.*, f.name, f.member, f.sha256 FROM drug_files d LEFT JOIN files f "
            "ON f.owner = d.kind || ':' || d.quarter ORDER BY d.kind, d.quarter")

    def products_of_ndc(self, ndc: str) -> list[Row]:
        return self._drug_rows("SELECT * FROM drug_products WHERE ndc = ? ORDER BY quarter, code, line", (ndc,))

    def products_of_code(self, code: str, quarter: str) -> list[Row]:
        return self._drug_rows("SELECT * FROM drug_products WHERE code = ? AND quarter = ? ORDER BY drug_name, "
                               "ndc, product_id, line", (code, quarter))

    def labeler_ndcs(self, labeler: str, quarter: str) -> list[str]:
        """The NDCs of one labeler code (``00052``) in a quarter's crosswalk, in order."""
        rows = self._drug_rows("SELECT DISTINCT ndc FROM drug_products WHERE ndc >= ? AND ndc < ? AND quarter = ? "
                               "ORDER BY ndc", (labeler + "-", labeler + "-~", quarter))
        return [r["ndc"] for r in rows]

    def drug_names_like(self, quarter: str, word: str, labeler: str | None) -> list[Row]:
        """The crosswalk's (code, drug name, labeler) of a quarter whose drug name holds ``word`` (and whose labeler
        holds ``labeler``), ignoring case."""
        return self._drug_rows(
            "SELECT DISTINCT code, drug_name, labeler FROM drug_products WHERE quarter = ? AND drug_name LIKE ? "
            "ESCAPE '\\' AND labeler LIKE ? ESCAPE '\\' ORDER BY code",
            (quarter, f"%{_like(word)}%", f"%{_like(labeler or '')}%"))

    def payment_limits(self, code: str) -> list[Row]:
        return self._drug_rows("SELECT * FROM payment_limits WHERE code = ? ORDER BY quarter, line", (code,))

    def ndc_codes(self) -> list[Row]:
        """Every (quarter, NDC, code) of the loaded crosswalks, once each."""
        return self._drug_rows("SELECT DISTINCT quarter, ndc, code, billing_units_per_package FROM drug_products "
                               "WHERE ndc IS NOT NULL ORDER BY quarter, ndc, code")

    def _drug_rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[Row]:
        try:
            return self.db.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError:  # schema 4 or older, opened read-only: no drug files
            return []

    # -- record layouts ------------------------------------------------------------------------------

    def layout_fingerprint(self, year: int) -> str | None:
        try:
            row = self.db.execute("SELECT fingerprint FROM record_layouts WHERE year = ?", (year,)).fetchone()
        except sqlite3.OperationalError:  # schema 3 or older, opened read-only: no layouts
            return None
        return row["fingerprint"] if row else None

    def delete_layout(self, year: int) -> None:
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"layout:{year}",))
        self.db.execute("DELETE FROM record_layouts WHERE year = ?", (year,))

    def insert_layout(self, data: RecordLayoutData, fingerprint: str) -> None:
        self.db.execute("INSERT INTO record_layouts VALUES (?, ?, ?, ?)",
                        (data.year, json.dumps(data.layout, sort_keys=True), _now(), fingerprint))
        self._insert_files(f"layout:{data.year}", data.files)

    def layout_fingerprints(self) -> dict[int, str]:
        """The years whose record layout is loaded, in order, each with the fingerprint of its files."""
        try:
            rows = self.db.execute("SELECT year, fingerprint FROM record_layouts ORDER BY year").fetchall()
        except sqlite3.OperationalError:  # schema 3 or older, opened read-only
            return {}
        return {r["year"]: r["fingerprint"] for r in rows}

    def layout(self, year: int) -> tuple[dict[str, Any], list[Row]] | None:
        """The record layout of a year (fields and code tables, as ``_layout_reader`` read them) and the
        files it was read from."""
        try:
            row = self.db.execute("SELECT layout FROM record_layouts WHERE year = ?", (year,)).fetchone()
        except sqlite3.OperationalError:
            return None
        if row is None:
            return None
        layout: dict[str, Any] = json.loads(row["layout"])
        return layout, self.files(f"layout:{year}")

    def correction_fingerprint(self, release_id: str) -> str | None:
        row = self.db.execute("SELECT fingerprint FROM correction_lists WHERE release_id = ?",
                              (release_id,)).fetchone()
        return row["fingerprint"] if row else None

    def delete_corrections(self, release_id: str) -> None:
        self.db.execute("DELETE FROM corrections WHERE release_id = ?", (release_id,))
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"corrections:{release_id}",))
        self.db.execute("DELETE FROM correction_lists WHERE release_id = ?", (release_id,))

    def insert_corrections(self, corrections: CorrectionList, fingerprint: str) -> None:
        rid = corrections.release_id
        self.db.execute("INSERT INTO correction_lists VALUES (?, ?, ?)", (rid, _now(), fingerprint))
        self._insert_files(f"corrections:{rid}", corrections.files)
        self.db.executemany(
            "INSERT INTO corrections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((rid, c.code, c.action, _sql(c.effective_date), c.effective_text, c.short_description,
              c.long_description, json.dumps(c.details), c.source, c.row) for c in corrections.entries))

    def corrections(self, release_id: str | None = None, code: str | None = None, *,
                    year: int | None = None) -> list[Row]:
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
            f"SELECT * FROM corrections WHERE {' AND '.join(where) or '1'} ORDER BY release_id, rowid",
            parameters).fetchall()
        for row in rows:
            row["details"] = json.loads(row["details"])
            if row["effective_date"]:
                row["effective_date"] = dt.date.fromisoformat(row["effective_date"])
        return rows

    def correction_releases(self) -> list[str]:
        return [r["release_id"] for r in self.db.execute("SELECT release_id FROM correction_lists ORDER BY 1")]

    # -- transaction reports ------------------------------------------------------------------------

    def report_fingerprint(self, release_id: str) -> str | None:
        row = self.db.execute("SELECT fingerprint FROM transaction_reports WHERE release_id = ?",
                              (release_id,)).fetchone()
        return row["fingerprint"] if row else None

    def delete_report(self, release_id: str) -> None:
        self.db.execute("DELETE FROM report_entries WHERE release_id = ?", (release_id,))
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"report:{release_id}",))
        self.db.execute("DELETE FROM transaction_reports WHERE release_id = ?", (release_id,))

    def insert_report(self, data: ReportData, fingerprint: str) -> None:
        rid = data.release_id
        self.db.execute("INSERT INTO transaction_reports VALUES (?, ?, ?, ?)",
                        (rid, data.report.source, _now(), fingerprint))
        self._insert_files(f"report:{rid}", data.files)
        self.db.executemany(
            "INSERT INTO report_entries VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((rid, e.code, e.action, e.change, e.short_description, e.long_description, e.line)
             for e in data.report.entries))

    def report(self, release_id: str) -> tuple[str, list[Row]] | None:
        """A release's transaction report: its source and its entries in file order."""
        head = self.db.execute("SELECT source FROM transaction_reports WHERE release_id = ?",
                               (release_id,)).fetchone()
        if head is None:
            return None
        return head["source"], self.db.execute(
            "SELECT * FROM report_entries WHERE release_id = ? ORDER BY line", (release_id,)).fetchall()

    def report_releases(self) -> list[str]:
        return [r["release_id"] for r in self.db.execute("SELECT release_id FROM transaction_reports ORDER BY 1")]

    def report_entry(self, code: str, release_id: str) -> Row | None:
        row: Row | None = self.db.execute("SELECT * FROM report_entries WHERE code = ? AND release_id = ?",
                                          (code, release_id)).fetchone()
        return row

    def _insert_files(self, owner: str, files: Iterable[SourceFile]) -> None:
        self.db.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)",
            ((owner, f.role, f.name, f.member, f.sha256, f.size) for f in files),
        )

    # -- the search index --------------------------------------------------------------------------

    def unindexed_releases(self) -> list[str]:
        try:
            rows = self.db.execute("SELECT id FROM releases WHERE id NOT IN (SELECT release_id FROM search_releases) "
                                   "ORDER BY id").fetchall()
        except sqlite3.OperationalError:  # schema 1, opened read-only: no index at all
            rows = self.db.execute("SELECT id FROM releases ORDER BY id").fetchall()
        return [r["id"] for r in rows]

    def descriptions(self, release_id: str | None = None) -> list[Row]:
        """Code, long and short description of every record (of one release, or of all)."""
        where, parameters = ("WHERE release_id = ?", (release_id,)) if release_id else ("", ())
        return self.db.execute(
            f"SELECT release_id, code, long_description, short_description FROM records {where}",
            parameters).fetchall()

    def index_release(self, release_id: str, rows: Iterable[tuple[str, str, str | None, str]]) -> None:
        """Index one release: ``(code, long description, short description, extra terms)`` each."""
        token = _release_token(release_id)
        ended = {r["code"]: r["termination_date"] for r in self.db.execute(
            "SELECT code, termination_date FROM records WHERE release_id = ?", (release_id,))}
        self.db.executemany(
            "INSERT INTO search (code, long_description, short_description, extra, release_id, release, ended) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", ((*row, token, release_id, ended.get(row[0])) for row in rows))
        self.db.execute("INSERT INTO search_releases VALUES (?)", (release_id,))

    def replace_vocabulary(self, words: dict[str, int], abbreviations: dict[str, list[tuple[str, int]]]) -> None:
        self.db.execute("DELETE FROM search_words")
        self.db.executemany("INSERT INTO search_words VALUES (?, ?)", words.items())
        self.db.execute("DELETE FROM abbreviations")
        self.db.executemany("INSERT INTO abbreviations VALUES (?, ?, ?)",
                            ((a, e, n) for a, es in abbreviations.items() for e, n in es))

    def vocabulary(self) -> tuple[dict[str, int], dict[str, list[tuple[str, int]]]]:
        """Every indexed word with the number of records using it (``""``: the number of records)."""
        indexed = {r["word"]: r["uses"] for r in self.db.execute("SELECT word, uses FROM search_words")}
        learnt: dict[str, list[tuple[str, int]]] = {}
        for r in self.db.execute("SELECT * FROM abbreviations ORDER BY abbreviation, uses DESC, expansion"):
            learnt.setdefault(r["abbreviation"], []).append((r["expansion"], r["uses"]))
        return indexed, learnt

    def replace_rules(self, rules: Iterable[tuple[str, str, str, str]]) -> None:
        """Every pair rule, as ``(release id, code, other code, clause)``."""
        self.db.execute("DELETE FROM pair_rules")
        self.db.executemany("INSERT INTO pair_rules VALUES (?, ?, ?, ?)", rules)

    def rules(self, release_id: str | None = None) -> list[Row]:
        where, parameters = ("WHERE release_id = ?", (release_id,)) if release_id else ("", ())
        try:
            return self.db.execute(f"SELECT * FROM pair_rules {where} ORDER BY release_id, code, other",
                                   parameters).fetchall()
        except sqlite3.OperationalError:  # schema 1 opened read-only
            return []

    def periods(self, codes: Sequence[str] | None = None) -> list[Row]:
        """Each record (of ``codes``, or all) with the span of dates its release was in effect (to the next
        release's start)."""
        where, parameters = (f"WHERE r.code IN ({', '.join('?' * len(codes))})", tuple(codes)) \
            if codes is not None else ("", ())
        xrefs = ", ".join(f"r.{c}" for c in FIELDS_BY_NAME["cross_reference"].columns)
        return self.db.execute(
            "WITH spans AS (SELECT id, effective_date AS valid_from, "
            "LEAD(effective_date, 1, '9999-12-31') OVER (ORDER BY effective_date) AS valid_to FROM releases) "
            f"SELECT r.code, r.kind, s.id AS release_id, s.valid_from, s.valid_to, r.added_date, r.termination_date, "
            f"r.coverage, {xrefs} "
            f"FROM records r JOIN spans s ON s.id = r.release_id {where} ORDER BY r.code, s.valid_from",
            parameters).fetchall()

    def noc_codes(self, year: int) -> set[str]:
        return {r["code"] for r in self.db.execute("SELECT code FROM noc_codes WHERE year = ?", (year,))}

    def _filters(self, filters: SearchFilters) -> tuple[str, list[Any]]:
        """SQL conditions on records ``r`` for a search's filters."""
        sql: list[str] = []
        parameters: list[Any] = []
        if filters.codes:
            low, _, high = filters.codes.partition("-")
            if high:
                sql.append("r.code BETWEEN ? AND ?")
                parameters += [low, high]
            else:
                sql.append("substr(r.code, 1, ?) = ?")
                parameters += [len(low), low]
        for name, values in (("coverage", filters.coverage), ("betos", filters.betos)):
            if values:
                sql.append(f"r.{name} IN ({', '.join('?' * len(values))})")
                parameters += values
        for name, values in (("pricing_indicator", filters.pricing_indicator),
                             ("type_of_service", filters.type_of_service)):
            if values:
                marks = ", ".join("?" * len(values))
                columns = FIELDS_BY_NAME[name].columns
                sql.append("(" + " OR ".join(f"r.{c} IN ({marks})" for c in columns) + ")")
                parameters += list(values) * len(columns)
        if filters.noc_year is not None:
            sql.append("r.code IN (SELECT code FROM noc_codes WHERE year = ?)")
            parameters.append(filters.noc_year)
        if filters.labeler is not None:
            sql.append("r.code IN (SELECT code FROM drug_products WHERE quarter = ? AND labeler LIKE ? ESCAPE '\\')")
            parameters += [filters.labeler_quarter, f"%{_like(filters.labeler)}%"]
        if filters.active_on is not None:
            sql.append("(r.termination_date IS NULL OR r.termination_date >= ?)")
            parameters.append(filters.active_on.isoformat())
        return " AND ".join(sql) or "1", parameters

    def search_text(self, release_id: str, match: str, filters: SearchFilters, limit: int, offset: int,
                    skip: Sequence[str] = (), *, rare: bool = False) -> tuple[list[Row], int]:
        """Codes whose text matches an FTS5 query, best first (bm25), and how many match in all.

        ``rare``: the query's words are in few records of all releases, so the index finds them in every
        release and the release's own are kept after (faster than intersecting with the release's word)."""
        where, parameters = self._filters(filters)
        skipping = f" AND r.code NOT IN ({', '.join('?' * len(skip))})" if skip else ""
        # the release is a word of its own column, so FTS5 intersects it with the query's words
        scoped = match if rare else f"release_id : {_release_token(release_id)} AND ({match})"
        if filters == SearchFilters(active_on=filters.active_on):
            return self._search_index_only(scoped, filters.active_on, limit, offset, skip, release_id, rare)
        sql = (f"SELECT *, count(*) OVER () AS total FROM ("
               f"SELECT r.code, r.short_description, r.long_description, r.termination_date, {_BM25} AS score "
               f"FROM search JOIN records r ON r.release_id = search.release AND r.code = search.code "
               f"WHERE search MATCH ? AND search.release = ? AND {where}{skipping}) "
               f"ORDER BY score, code LIMIT ? OFFSET ?")
        try:
            rows = self.db.execute(sql, [scoped, release_id, *parameters, *skip, limit, offset]).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the search index cannot run this query ({exc})") from None
        if rows or offset == 0:
            return rows, rows[0]["total"] if rows else 0
        return rows, self.search_text(release_id, match, filters, 1, 0, skip, rare=rare)[1]

    def _search_index_only(self, scoped: str, active_on: dt.date | None, limit: int, offset: int,
                           skip: Sequence[str], release_id: str, rare: bool) -> tuple[list[Row], int]:
        """The common case (no filter but "active"): rank and count in the index alone, then read the page."""
        where = " AND release = ?" if rare else ""
        where += " AND (ended IS NULL OR ended >= ?)" if active_on else ""
        if skip:
            where += f" AND code NOT IN ({', '.join('?' * len(skip))})"
        parameters = [scoped, *([release_id] if rare else []), *([active_on.isoformat()] if active_on else []),
                      *skip]
        try:
            ranked = self.db.execute(
                f"SELECT *, count(*) OVER () AS total FROM (SELECT code, {_BM25} AS score FROM search "
                f"WHERE search MATCH ?{where}) ORDER BY score, code LIMIT ? OFFSET ?",
                [*parameters, limit, offset]).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the search index cannot run this query ({exc})") from None
        if not ranked and offset:
            return [], self._search_index_only(scoped, active_on, 1, 0, skip, release_id, rare)[1]
        total = ranked[0]["total"] if ranked else 0
        if not ranked:
            return [], total
        marks = ", ".join("?" * len(ranked))
        records = {r["code"]: r for r in self.db.execute(
            f"SELECT code, short_description, long_description, termination_date FROM records "
            f"WHERE release_id = ? AND code IN ({marks})", [release_id, *(r["code"] for r in ranked)])}
        return [{**records[r["code"]], "score": r["score"]} for r in ranked], total

    def search_codes(self, release_id: str, exact: str | None, prefix: str | None,
                     filters: SearchFilters) -> list[Row]:
        """The record whose code is ``exact``, then codes starting with ``prefix``, in code order."""
        where, parameters = self._filters(filters)
        found: list[Row] = []
        if exact:
            found += self.db.execute(
                f"SELECT r.code, r.short_description, r.long_description, r.termination_date FROM records r "
                f"WHERE r.release_id = ? AND r.code = ? AND {where}", [release_id, exact, *parameters]).fetchall()
        if prefix:
            found += self.db.execute(
                f"SELECT r.code, r.short_description, r.long_description, r.termination_date FROM records r "
                f"WHERE r.release_id = ? AND r.code > ? AND r.code < ? AND {where} ORDER BY r.code",
                [release_id, prefix, prefix + "~", *parameters]).fetchall()
        return [r for i, r in enumerate(found) if r["code"] not in {x["code"] for x in found[:i]}]

    # -- reading -----------------------------------------------------------------------------------

    def release_fingerprint(self, release_id: str) -> str | None:
        row = self.db.execute("SELECT fingerprint FROM releases WHERE id = ?", (release_id,)).fetchone()
        return row["fingerprint"] if row else None

    def noc_fingerprint(self, year: int) -> str | None:
        row = self.db.execute("SELECT fingerprint FROM noc_lists WHERE year = ?", (year,)).fetchone()
        return row["fingerprint"] if row else None

    def releases(self) -> list[Row]:
        return self.db.execute("SELECT * FROM releases ORDER BY effective_date").fetchall()

    def release(self, release_id: str) -> Row | None:
        row: Row | None = self.db.execute("SELECT * FROM releases WHERE id = ?", (release_id,)).fetchone()
        return row

    def files(self, owner: str) -> list[Row]:
        return self.db.execute("SELECT * FROM files WHERE owner = ? ORDER BY rowid", (owner,)).fetchall()

    def record(self, code: str, release_id: str) -> Row | None:
        row: Row | None = self.db.execute(
            "SELECT * FROM records WHERE release_id = ? AND code = ?", (release_id, code)
        ).fetchone()
        return _typed(row) if row else None

    def release_records(self, release_id: str) -> dict[str, Row]:
        """Every record of a release, by code."""
        return self._records_by_code("SELECT * FROM records WHERE release_id = ?", (release_id,))

    def _records_by_code(self, sql: str, parameters: tuple[Any, ...]) -> dict[str, Row]:
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples, zipped with the names once: twice as fast as dict rows
        cursor.execute(sql, parameters)
        names = [d[0] for d in cursor.description]
        return {row["code"]: _typed(row) for row in (dict(zip(names, values, strict=True)) for values in cursor)}

    def differing_records(self, old_id: str, new_id: str,
                          columns: Iterable[str]) -> tuple[dict[str, Row], dict[str, Row]]:
        """The records of two releases that differ in any of ``columns`` or are in one release only.

        SQLite compares the pairs, so only the few changed records are turned into Python objects.
        """
        names = list(columns)
        for name in names:
            if name not in _RECORD_COLUMN_SET:
                raise StoreError(f"not a record column: {name!r}")
        differs = " OR ".join(f"a.{c} IS NOT b.{c}" for c in names) or "0"
        sql = (f"SELECT a.* FROM records a LEFT JOIN records b ON b.release_id = ? AND b.code = a.code "
               f"WHERE a.release_id = ? AND (b.code IS NULL OR {differs})")
        return self._records_by_code(sql, (new_id, old_id)), self._records_by_code(sql, (old_id, new_id))

    def code_records(self, code: str) -> dict[str, Row]:
        """The records of one code, by release id, in the order the releases took effect."""
        rows = self.db.execute(
            "SELECT r.* FROM records r JOIN releases ON releases.id = r.release_id WHERE r.code = ? "
            "ORDER BY releases.effective_date", (code,))
        return {row["release_id"]: _typed(row) for row in rows}

    def last_records_before(self, codes: Iterable[str], release_id: str) -> dict[str, Row]:
        """For each code, its record in the latest release that took effect before ``release_id``."""
        wanted = list(codes)
        out: dict[str, Row] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT r.* FROM records r JOIN releases rel ON rel.id = r.release_id "
                f"WHERE r.code IN ({marks}) AND rel.effective_date < "
                f"(SELECT effective_date FROM releases WHERE id = ?) ORDER BY rel.effective_date",
                (*chunk, release_id))
            out.update((row["code"], _typed(row)) for row in rows)
        return out

    def code_list(self, release_id: str, active_on: dt.date | None = None) -> list[Row]:
        """Code, long description and termination date of every record of a release, in code order."""
        where = " AND (termination_date IS NULL OR termination_date >= ?)" if active_on else ""
        parameters = (release_id, active_on.isoformat()) if active_on else (release_id,)
        return self.db.execute(
            f"SELECT code, long_description, termination_date FROM records WHERE release_id = ?{where} "
            "ORDER BY code", parameters).fetchall()

    def crosswalk(self, release_id: str) -> list[Row]:
        """Code, long description, termination date and cross reference codes of every record of a release
        that names a cross reference, in code order."""
        columns = FIELDS_BY_NAME["cross_reference"].columns
        named = " OR ".join(f"coalesce({c}, '') <> ''" for c in columns)
        return self.db.execute(
            f"SELECT code, long_description, termination_date, {', '.join(columns)} FROM records "
            f"WHERE release_id = ? AND ({named}) ORDER BY code", (release_id,)).fetchall()

    def releases_with(self, code: str) -> list[str]:
        rows = self.db.execute("SELECT release_id FROM records WHERE code = ? ORDER BY release_id", (code,))
        return [r["release_id"] for r in rows]

    def neighbours(self, code: str, release_id: str, count: int) -> list[str]:
        """Codes of the same length next to ``code`` in sort order: what a user may have meant."""
        before = self.db.execute(
            "SELECT code FROM records WHERE release_id = ? AND length(code) = ? AND code < ? "
            "ORDER BY code DESC LIMIT ?", (release_id, len(code), code, count)).fetchall()
        after = self.db.execute(
            "SELECT code FROM records WHERE release_id = ? AND length(code) = ? AND code > ? "
            "ORDER BY code LIMIT ?", (release_id, len(code), code, count)).fetchall()
        return [r["code"] for r in reversed(before)] + [r["code"] for r in after]

    def short_descriptions(self, codes: Iterable[str], release_id: str) -> dict[str, str | None]:
        wanted = list(dict.fromkeys(codes))
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        rows = self.db.execute(
            f"SELECT code, short_description FROM records WHERE release_id = ? AND code IN ({marks})",
            (release_id, *wanted),
        )
        return {r["code"]: r["short_description"] for r in rows}

    def processing_note(self, number: str, release_id: str) -> tuple[str, str] | None:
        """The note's text from this release, else the nearest release (earlier first) that has it."""
        row = self.db.execute(
            "SELECT release_id, text FROM processing_notes WHERE number = ? "
            "ORDER BY release_id > ?, CASE WHEN release_id <= ? THEN release_id END DESC, release_id LIMIT 1",
            (number, release_id, release_id),
        ).fetchone()
        return (row["release_id"], row["text"]) if row else None

    def noc_years(self) -> list[int]:
        """The years whose NOC list is loaded, in order."""
        return [r["year"] for r in self.db.execute("SELECT year FROM noc_lists ORDER BY year")]

    def in_noc_list(self, code: str, year: int) -> bool:
        row = self.db.execute("SELECT 1 FROM noc_codes WHERE year = ? AND code = ?", (year, code)).fetchone()
        return row is not None

    def disagreements(self, release_id: str) -> list[Row]:
        return self.db.execute(
            "SELECT code, field, text_value, spreadsheet_value FROM disagreements WHERE release_id = ? "
            "ORDER BY code, field", (release_id,)).fetchall()

    def repairs(self, release_id: str) -> list[Row]:
        return self.db.execute(
            "SELECT code, field, found, read_as, reason FROM repairs WHERE release_id = ? ORDER BY code",
            (release_id,)).fetchall()


def porter_stems(words: Iterable[str]) -> dict[str, str]:
    """Each word's stem as the search index's tokenizer (porter) reads it, from an in-memory FTS5 table."""
    listed = list(words)
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE t USING fts5(w, tokenize = 'porter unicode61 remove_diacritics 2')")
        con.executemany("INSERT INTO t (rowid, w) VALUES (?, ?)", enumerate(listed))
        con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        return {listed[doc]: term for term, doc in con.execute("SELECT term, doc FROM v")}
    finally:
        con.close()


def _like(text: str) -> str:
    """Text to find inside a LIKE pattern (with ``ESCAPE '\\'``): its own ``%`` and ``_`` taken as they are."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _release_token(release_id: str) -> str:
    """The release as one index word: ``2020-04`` -> ``r202004``."""
    return "r" + release_id.replace("-", "")


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def _typed(row: Row) -> Row:
    for column in _DATE_COLUMNS:
        value = row[column]
        if value:
            row[column] = _date(value)
    return row


_date = functools.lru_cache(maxsize=4096)(dt.date.fromisoformat)


#: The positions of the date columns in a record's row (the other values go to SQL as they are).
_DATE_POSITIONS = tuple(i for i, column in enumerate(COLUMNS) if column in _DATE_COLUMNS)


def _sql_row(row: tuple[Value, ...]) -> list[Value]:
    """A record's row as SQL values: dates as ISO text."""
    out = list(row)
    for at in _DATE_POSITIONS:
        day = out[at]
        if isinstance(day, dt.date):
            out[at] = day.isoformat()
    return out


def _sql(value: Value) -> str | int | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
