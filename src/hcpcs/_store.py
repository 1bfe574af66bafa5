"""The SQLite store: the only module that speaks SQL.

One file holds every loaded release. A load is one transaction: a failure leaves the file as it was,
and readers (WAL mode) never see a release half written.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._errors import StoreError
from ._layout import COLUMNS, FIELDS
from ._models import NocList, ReleaseData, SourceFile, Value

SCHEMA_VERSION = 1
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
"""


class Store:
    """A connection to one hcpcs database file."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
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
                for statement in _schema().split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.db.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        self.db.close()

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
        for table in ("records", "processing_notes", "disagreements", "repairs"):
            self.db.execute(f"DELETE FROM {table} WHERE release_id = ?", (release_id,))
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
            (
                (rid, *(_sql(r.values.get(c)) for c in COLUMNS), r.kind, r.line)
                for r in release.records
            ),
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

    def _insert_files(self, owner: str, files: Iterable[SourceFile]) -> None:
        self.db.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)",
            ((owner, f.role, f.name, f.member, f.sha256, f.size) for f in files),
        )

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

    def noc_list_year(self, year: int) -> int | None:
        """The NOC list for a release year: the latest list of that year or before, else the earliest."""
        row = self.db.execute(
            "SELECT year FROM noc_lists ORDER BY year > ?, CASE WHEN year <= ? THEN year END DESC, year LIMIT 1",
            (year, year),
        ).fetchone()
        return row["year"] if row else None

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

    def record_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT release_id, count(*) AS n FROM records GROUP BY release_id")
        return {r["release_id"]: r["n"] for r in rows}


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def _typed(row: Row) -> Row:
    for column in _DATE_COLUMNS:
        value = row[column]
        if value:
            row[column] = _date(value)
    return row


_date = functools.lru_cache(maxsize=4096)(dt.date.fromisoformat)


def _sql(value: Value) -> str | int | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
