"""The schema, as the steps that built it: each a small function from schema N to N+1.

A new file is built by running every step from 0; an older file by running the steps it lacks, all in one
transaction, so a reader sees the file as it was or as it is now, never in between. The schema number is kept
in the file's header (``PRAGMA user_version``): it is written in the same transaction as the steps, it can be
read before anything else is known about the file (so a file newer than this code is refused before any of its
tables is touched), and every file hcpcs has ever written already carries it. A version table would repeat it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from ..model.layout import FIELDS


def _run(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def releases_and_nocs(db: sqlite3.Connection) -> None:
    """Schema 1: releases with their files, records, processing notes, disagreements and repairs; NOC lists."""
    types = {"text": "TEXT", "date": "TEXT", "number": "INTEGER"}
    columns = ",\n  ".join(f"{c} {types[f.kind]}" for f in FIELDS for c in f.columns)
    _run(db, f"""
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
) WITHOUT ROWID""")


def search_corrections_and_rules(db: sqlite3.Connection) -> None:
    """Schema 2: the full-text index, its vocabulary and the learnt abbreviations (filled by the facade);
    CMS's corrections files; pair rules mined from the descriptions."""
    _run(db, """
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
CREATE TABLE IF NOT EXISTS pair_rules (
  release_id TEXT NOT NULL,
  code TEXT NOT NULL,
  other TEXT NOT NULL,
  clause TEXT NOT NULL,
  PRIMARY KEY (release_id, code, other)
) WITHOUT ROWID""")


def transaction_reports(db: sqlite3.Connection) -> None:
    """Schema 3: CMS's transaction reports. (Schema 2 files written before corrections or pair rules existed
    lack their tables, so step 2's tables are made where missing first.)"""
    search_corrections_and_rules(db)
    _run(db, """
CREATE TABLE transaction_reports (
  release_id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  loaded_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL
);
CREATE TABLE report_entries (
  release_id TEXT NOT NULL REFERENCES transaction_reports(release_id),
  code TEXT NOT NULL,
  action TEXT NOT NULL,
  change TEXT NOT NULL,
  short_description TEXT,
  long_description TEXT,
  line INTEGER NOT NULL
);
CREATE INDEX report_entries_by_code ON report_entries(code, release_id)""")


def record_layouts(db: sqlite3.Connection) -> None:
    """Schema 4: CMS's record layout of each year (its field definitions and code tables, as JSON)."""
    _run(db, """
CREATE TABLE record_layouts (
  year INTEGER PRIMARY KEY,
  layout TEXT NOT NULL,
  loaded_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL
)""")


def drug_files(db: sqlite3.Connection) -> None:
    """Schema 5: CMS's drug files, a quarter each (the NDC crosswalk and the payment limits). The files' short
    descriptions are never stored: for Level I codes they are the AMA's."""
    _run(db, """
CREATE TABLE drug_files (
  kind TEXT NOT NULL,
  quarter TEXT NOT NULL,
  effective_from TEXT NOT NULL,
  effective_to TEXT,
  rows INTEGER NOT NULL,
  loaded_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  PRIMARY KEY (kind, quarter)
) WITHOUT ROWID;
CREATE TABLE drug_products (
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
CREATE INDEX drug_products_by_ndc ON drug_products(ndc, quarter);
CREATE INDEX drug_products_by_code ON drug_products(code, quarter);
CREATE TABLE payment_limits (
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
CREATE INDEX payment_limits_by_code ON payment_limits(code, quarter)""")


def release_indexes(db: sqlite3.Connection) -> None:
    """Schema 6: each indexed release's words in an FTS5 table of its own as well (``release_index``), so a
    search in one release reads that release's rows of each word only (and bm25 its figures)."""
    cursor = db.cursor()
    cursor.row_factory = None  # plain tuples, whatever the connection's rows
    for (release_id,) in cursor.execute("SELECT release_id FROM search_releases").fetchall():
        index_release_words(db, release_id, "release = ?", release_id)


def release_index(release_id: str) -> str:
    """The FTS5 table of one release's words: the same rows, by rowid, as the table of index rows ``search``."""
    return "search_" + release_token(release_id)


def release_token(release_id: str) -> str:
    """The release as one index word: ``2020-04`` -> ``r202004``."""
    return "r" + release_id.replace("-", "")


def index_release_words(db: sqlite3.Connection, release_id: str, rows: str, *parameters: Any) -> None:
    """Make a release's own index (anew: one left from an earlier index of the release is dropped) and fill it with
    the index rows of the release (``rows``: an SQL condition on them): the words alone, no copy of the text
    (contentless). Its segments are then merged into one (FTS5's optimize): every word of a query
    is looked up in each segment, and one answers faster, with the same rows and figures; the index is not written
    again."""
    table = release_index(release_id)
    db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(code, long_description, short_description, "
               f"extra, release_id, content = '', tokenize = 'porter unicode61 remove_diacritics 2')")
    db.execute(f"INSERT INTO {table} (rowid, code, long_description, short_description, extra, release_id) "
               f"SELECT rowid, code, long_description, short_description, extra, release_id FROM search "
               f"WHERE {rows}", parameters)
    db.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")


def plain_search_rows(db: sqlite3.Connection) -> None:
    """Schema 7: the index rows (code, texts, release, end date) in a plain table under the same rowids: each
    release's own index finds them (schema 6), so the words are no longer indexed a second time over every release
    (a load tokenized each description twice), and a row is read by its rowid from a table's b-tree."""
    _run(db, """
CREATE TABLE search_rows (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL,
  long_description TEXT,
  short_description TEXT,
  extra TEXT,
  release_id TEXT NOT NULL,
  release TEXT NOT NULL,
  ended TEXT
);
INSERT INTO search_rows (id, code, long_description, short_description, extra, release_id, release, ended)
  SELECT rowid, code, long_description, short_description, extra, release_id, release, ended FROM search;
DROP TABLE search;
ALTER TABLE search_rows RENAME TO search;
CREATE INDEX search_by_release ON search(release)""")


#: The steps in order: ``MIGRATIONS[n]`` takes a file from schema n to schema n + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    releases_and_nocs, search_corrections_and_rules, transaction_reports, record_layouts, drug_files,
    release_indexes, plain_search_rows)
#: The schema this code reads and writes.
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, version: int, to: int = SCHEMA_VERSION) -> None:
    """Run the steps from schema ``version`` to ``to``, recording each; the caller holds the transaction."""
    for step in range(version, to):
        MIGRATIONS[step](db)
        db.execute(f"PRAGMA user_version = {step + 1}")
