"""The connection every part of the store shares: opening a file, migrating it, transactions."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._errors import StoreError
from ..model.records import SourceFile, Value
from .migrations import SCHEMA_VERSION, migrate

_APPLICATION_ID = 0x48435043  # "HCPC"

#: A row as SQLite gives it, by column name, before the store types it.
Row = dict[str, Any]


class StoreBase:
    """A connection to one hcpcs database file, migrated to this code's schema (or refused)."""

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
        except StoreError:
            self.db.close()
            raise

    def _header(self) -> tuple[int, int, int]:
        """The file's application id, schema version and number of schema objects."""
        (app,) = self.db.execute("PRAGMA application_id").fetchone().values()
        (version,) = self.db.execute("PRAGMA user_version").fetchone().values()
        tables: int = self.db.execute("SELECT count(*) AS n FROM sqlite_master").fetchone()["n"]
        return app, version, tables

    def _check(self, app: int, version: int, tables: int) -> None:
        if tables and app != _APPLICATION_ID:
            raise StoreError(f"{self.path} is an SQLite file, but not an hcpcs database")
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema {version}, newer than this hcpcs knows (schema "
                             f"{SCHEMA_VERSION}): upgrade hcpcs")

    def _prepare(self, readonly: bool) -> None:
        app, version, tables = self._header()
        self._check(app, version, tables)
        if readonly and not tables:
            raise StoreError(f"no database at {self.path} (the file is empty): load releases first "
                             "(hcpcs load PATH)")
        if readonly and version < SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema {version}, older than this hcpcs's (schema {SCHEMA_VERSION}), "
                             "and was opened read-only: upgrade it with hcpcs migrate (or any hcpcs load)")
        if not readonly and version < SCHEMA_VERSION:
            if not tables:
                self.db.execute("PRAGMA journal_mode=WAL")
            with self.transaction():  # every step at once: readers see the file before or after, never between
                app, version, tables = self._header()  # another process may have migrated it meanwhile
                self._check(app, version, tables)
                try:
                    migrate(self.db, version)
                except sqlite3.DatabaseError as exc:
                    raise StoreError(f"{self.path}: the upgrade from schema {version} to schema {SCHEMA_VERSION} "
                                     f"failed ({exc}); the file is left as it was") from None
                self.db.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
        self.db.execute("PRAGMA foreign_keys = ON")
        # the whole file (tens of MB) fits in memory: keep pages cached and read them mapped
        self.db.execute("PRAGMA cache_size = -65536")
        self.db.execute("PRAGMA mmap_size = 268435456")

    def schema_version(self) -> int:
        value: int = self.db.execute("PRAGMA user_version").fetchone()["user_version"]
        return value

    def close(self) -> None:
        self.db.close()

    def data_version(self) -> int:
        """A number that changes when another connection commits to the file (to drop cached answers)."""
        value: int = self.db.execute("PRAGMA data_version").fetchone()["data_version"]
        return value

    def changes(self) -> int:
        """The rows this connection has written since it opened: with ``data_version``, whether anything changed."""
        return self.db.total_changes

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def files(self, owner: str) -> list[SourceFile]:
        """The files something was loaded from (``2020-04``, ``noc:2020``, ``layout:2025``), in load order."""
        return [_source_file(r) for r in self.db.execute(
            "SELECT role, name, member, sha256, size FROM files WHERE owner = ? ORDER BY rowid", (owner,))]

    def _insert_files(self, owner: str, files: Iterable[SourceFile]) -> None:
        self.db.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)",
            ((owner, f.role, f.name, f.member, f.sha256, f.size) for f in files),
        )

    def _fingerprint(self, sql: str, parameters: tuple[Any, ...]) -> str | None:
        row = self.db.execute(sql, parameters).fetchone()
        return row["fingerprint"] if row else None


def file_schema(path: Path) -> int:
    """The schema number of the database file at ``path``, read without changing it."""
    if not path.exists():
        raise StoreError(f"no database at {path}: load releases first (hcpcs load PATH)")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (version,) = con.execute("PRAGMA user_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not an hcpcs database ({exc})") from None
    finally:
        con.close()
    return int(version)


def _source_file(row: Row) -> SourceFile:
    return SourceFile(row["name"], row["role"], row["sha256"], row["size"], row["member"])


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


#: A date column's text as a date (the same few thousand dates recur: cached).
iso_date = functools.lru_cache(maxsize=4096)(dt.date.fromisoformat)


def day(text: str | None) -> dt.date | None:
    """A nullable date column's text as a date."""
    return iso_date(text) if text else None


def sql_value(value: Value) -> str | int | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def like(text: str) -> str:
    """Text to find inside a LIKE pattern (with ``ESCAPE '\\'``): its own ``%`` and ``_`` taken as they are."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
