"""Releases and their records: writing a release, reading releases, records, notes, disagreements, repairs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .._errors import StoreError
from ..model.answers import Release
from ..model.layout import COLUMNS, FIELDS, FIELDS_BY_NAME
from ..model.records import Disagreement, ReleaseData, Repair, Value
from ._base import Row, StoreBase, _source_file, day, iso_date, now
from .migrations import release_index
from .rows import CodeLine, CrosswalkLine, RecordRow

_DATE_COLUMNS = tuple(c for f in FIELDS if f.kind == "date" for c in f.columns)
_RECORD_COLUMNS = ", ".join(COLUMNS)
_RECORD_COLUMN_SET = frozenset(COLUMNS)
#: The positions of the date columns in a record's row (the other values go to SQL as they are).
_DATE_POSITIONS = tuple(i for i, column in enumerate(COLUMNS) if column in _DATE_COLUMNS)
_CROSS_REFERENCES = FIELDS_BY_NAME["cross_reference"].columns
#: The columns a release's records are written to, in the order ``insert_release`` gives their values
_WRITTEN = ("release_id", *COLUMNS, "kind", "source_line")
#: What a record's queries select, in the order ``_record`` reads it (bare, and for the aliases ``a`` and ``r``).
_SELECT = f"{_RECORD_COLUMNS}, release_id, kind, source_line"
_SELECT_A = ", ".join(f"a.{c}" for c in (*COLUMNS, "release_id", "kind", "source_line"))
_SELECT_R = ", ".join(f"r.{c}" for c in (*COLUMNS, "release_id", "kind", "source_line"))

class Releases(StoreBase):
    """Releases, their files and their records."""

    # -- writing -----------------------------------------------------------------------------------

    def delete_release(self, release_id: str) -> None:
        for table in ("records", "processing_notes", "disagreements", "repairs", "search_releases"):
            self.db.execute(f"DELETE FROM {table} WHERE release_id = ?", (release_id,))
        self.db.execute("DELETE FROM search WHERE release = ?", (release_id,))
        self.db.execute(f"DROP TABLE IF EXISTS {release_index(release_id)}")
        self.db.execute("DELETE FROM files WHERE owner = ?", (release_id,))
        self.db.execute("DELETE FROM releases WHERE id = ?", (release_id,))

    def insert_release(self, release: ReleaseData, fingerprint: str) -> None:
        rid = release.release_id
        self.db.execute(
            "INSERT INTO releases VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, release.effective_date.isoformat(), release.id_source, now(), release.procedure_count,
             release.modifier_count, len(release.disagreements), fingerprint),
        )
        self._insert_files(rid, release.files)
        for columns, rows in _by_shape((rid, *_sql_row(r.row), r.kind, r.line) for r in release.records):
            self.db.executemany(f"INSERT INTO records ({', '.join(_WRITTEN[at] for at in columns)}) "
                                f"VALUES ({', '.join('?' * len(columns))})", rows)
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

    # -- releases ----------------------------------------------------------------------------------

    def release_fingerprint(self, release_id: str) -> str | None:
        return self._fingerprint("SELECT fingerprint FROM releases WHERE id = ?", (release_id,))

    def releases(self) -> list[Release]:
        """Every loaded release with its files, oldest first."""
        files: dict[str, list[Row]] = {}
        for f in self.db.execute("SELECT * FROM files WHERE owner IN (SELECT id FROM releases) ORDER BY rowid"):
            files.setdefault(f["owner"], []).append(f)
        return [_release(row, files.get(row["id"], [])) for row in
                self.db.execute("SELECT * FROM releases ORDER BY effective_date")]

    def release(self, release_id: str) -> Release | None:
        row = self.db.execute("SELECT * FROM releases WHERE id = ?", (release_id,)).fetchone()
        if row is None:
            return None
        return _release(row, self.db.execute("SELECT * FROM files WHERE owner = ? ORDER BY rowid",
                                             (release_id,)).fetchall())

    def release_ids(self) -> list[str]:
        """Every loaded release's id, oldest first."""
        return [r["id"] for r in self.db.execute("SELECT id FROM releases ORDER BY effective_date")]

    # -- records -----------------------------------------------------------------------------------

    def record(self, code: str, release_id: str) -> RecordRow | None:
        found = list(self._records(f"SELECT {_SELECT} FROM records WHERE release_id = ? AND code = ?",
                                   (release_id, code)))
        return found[0] if found else None

    def release_records(self, release_id: str) -> dict[str, RecordRow]:
        """Every record of a release, by code."""
        return {r.code: r for r in self._records(f"SELECT {_SELECT} FROM records WHERE release_id = ?",
                                                 (release_id,))}

    def _records(self, sql: str, parameters: tuple[str, ...]) -> Iterator[RecordRow]:
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples, typed once by position: twice as fast as dict rows
        cursor.execute(sql, parameters)
        return map(_record, cursor)

    def differing_records(self, old_id: str, new_id: str,
                          columns: Iterable[str]) -> tuple[dict[str, RecordRow], dict[str, RecordRow]]:
        """The records of two releases that differ in any of ``columns`` or are in one release only.

        SQLite compares the pairs, so only the few changed records are turned into Python objects.
        """
        names = list(columns)
        for name in names:
            if name not in _RECORD_COLUMN_SET:
                raise StoreError(f"not a record column: {name!r}")
        differs = " OR ".join(f"a.{c} IS NOT b.{c}" for c in names) or "0"
        sql = (f"SELECT {_SELECT_A} FROM records a LEFT JOIN records b ON b.release_id = ? AND b.code = a.code "
               f"WHERE a.release_id = ? AND (b.code IS NULL OR {differs})")
        return ({r.code: r for r in self._records(sql, (new_id, old_id))},
                {r.code: r for r in self._records(sql, (old_id, new_id))})

    def code_records(self, code: str) -> dict[str, RecordRow]:
        """The records of one code, by release id, in the order the releases took effect."""
        return {r.release_id: r for r in self._records(
            f"SELECT {_SELECT_R} FROM records r JOIN releases ON releases.id = r.release_id WHERE r.code = ? "
            "ORDER BY releases.effective_date", (code,))}

    def last_records_before(self, codes: Iterable[str], release_id: str) -> dict[str, RecordRow]:
        """For each code, its record in the latest release that took effect before ``release_id``."""
        wanted = list(codes)
        out: dict[str, RecordRow] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            out.update((r.code, r) for r in self._records(
                f"SELECT {_SELECT_R} FROM records r JOIN releases rel ON rel.id = r.release_id "
                f"WHERE r.code IN ({marks}) AND rel.effective_date < "
                f"(SELECT effective_date FROM releases WHERE id = ?) ORDER BY rel.effective_date",
                (*chunk, release_id)))
        return out

    def code_list(self, release_id: str, active_on: dt.date | None = None) -> list[CodeLine]:
        """Code, long description and termination date of every record of a release, in code order."""
        where = " AND (termination_date IS NULL OR termination_date >= ?)" if active_on else ""
        parameters = (release_id, active_on.isoformat()) if active_on else (release_id,)
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples: a release has thousands of codes
        cursor.execute(f"SELECT code, long_description, termination_date FROM records WHERE release_id = ?{where} "
                       "ORDER BY code", parameters)
        return [CodeLine(code, text, day(ended)) for code, text, ended in cursor]

    def crosswalk(self, release_id: str) -> list[CrosswalkLine]:
        """Every record of a release that names a cross reference, in code order."""
        named = " OR ".join(f"coalesce({c}, '') <> ''" for c in _CROSS_REFERENCES)
        rows = self.db.execute(
            f"SELECT code, long_description, termination_date, {', '.join(_CROSS_REFERENCES)} FROM records "
            f"WHERE release_id = ? AND ({named}) ORDER BY code", (release_id,))
        return [CrosswalkLine(r["code"], r["long_description"], day(r["termination_date"]),
                              tuple(r[c] for c in _CROSS_REFERENCES if r[c])) for r in rows]

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

    def disagreements(self, release_id: str) -> list[Disagreement]:
        return [Disagreement(r["code"], r["field"], r["text_value"], r["spreadsheet_value"]) for r in self.db.execute(
            "SELECT code, field, text_value, spreadsheet_value FROM disagreements WHERE release_id = ? "
            "ORDER BY code, field", (release_id,))]

    def repairs(self, release_id: str) -> list[Repair]:
        return [Repair(r["code"], r["field"], r["found"], r["read_as"], r["reason"]) for r in self.db.execute(
            "SELECT code, field, found, read_as, reason FROM repairs WHERE release_id = ? ORDER BY code",
            (release_id,))]


def _release(row: Row, files: Iterable[Row]) -> Release:
    return Release(row["id"], dt.date.fromisoformat(row["effective_date"]), row["loaded_at"], row["procedure_count"],
                   row["modifier_count"], row["disagreement_count"], tuple(map(_source_file, files)))


def _record(row: tuple[Any, ...]) -> RecordRow:
    """A row of ``_SELECT`` as a typed record: every layout column by name, dates as dates."""
    values = dict(zip(COLUMNS, row, strict=False))  # the layout's columns; release, kind and line follow
    for column in _DATE_COLUMNS:
        text = values[column]
        if text:
            values[column] = iso_date(text)
    return RecordRow(row[-3], row[-2], row[-1], values)


def _by_shape(rows: Iterable[Sequence[Value]]) -> Iterator[tuple[tuple[int, ...], list[tuple[Value, ...]]]]:
    """Rows grouped by the columns they fill (their positions), each row with those values alone: most of a
    record's columns are empty, and a statement naming only the filled ones binds a third of the values (the
    records of nine releases were written in 2.3 s instead of 5.6, on a busy machine)."""
    shapes: dict[tuple[int, ...], list[tuple[Value, ...]]] = {}
    for row in rows:
        filled = tuple(at for at, value in enumerate(row) if value is not None)
        shapes.setdefault(filled, []).append(tuple(row[at] for at in filled))
    return iter(shapes.items())


def _sql_row(row: tuple[Value, ...]) -> list[Value]:
    """A record's row as SQL values: dates as ISO text."""
    out = list(row)
    for at in _DATE_POSITIONS:
        value = out[at]
        if isinstance(value, dt.date):
            out[at] = value.isoformat()
    return out
