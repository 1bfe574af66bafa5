"""The search index: an FTS5 table of every release's descriptions and one of each release's words alone, its
vocabulary, and the queries over them."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from .._errors import StoreError
from ..model.answers import SearchFilters
from ..model.layout import FIELDS_BY_NAME
from ._base import Row, StoreBase, day, like
from .migrations import index_release_words, release_index, release_token
from .rows import Described, SearchRow

#: bm25 weights by column of a release's index (``release_index``): code, long description (above the short), short
#: description, extra terms, the release's word.
_BM25 = "bm25({}, 8.0, 4.0, 2.0, 1.0, 0.0)"
_FOUND = "r.code, r.short_description, r.long_description, r.termination_date"


class SearchIndex(StoreBase):
    """Filling the search index and searching it."""

    def unindexed_releases(self) -> list[str]:
        rows = self.db.execute("SELECT id FROM releases WHERE id NOT IN (SELECT release_id FROM search_releases) "
                               "ORDER BY id").fetchall()
        return [r["id"] for r in rows]

    def descriptions(self, release_id: str | None = None) -> list[Described]:
        """Code, long and short description of every record (of one release, or of all)."""
        where, parameters = ("WHERE release_id = ?", (release_id,)) if release_id else ("", ())
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples: every record of every release, at the end of each load
        return list(map(Described._make, cursor.execute(
            f"SELECT release_id, code, long_description, short_description FROM records {where}", parameters)))

    def index_release(self, release_id: str, rows: Iterable[tuple[str, str, str | None, str]]) -> None:
        """Index one release: ``(code, long description, short description, extra terms)`` each."""
        token = release_token(release_id)
        cursor = self.db.cursor()
        cursor.row_factory = None
        ended = dict(cursor.execute("SELECT code, termination_date FROM records WHERE release_id = ?", (release_id,)))
        before = self.db.execute("SELECT max(rowid) AS last FROM search").fetchone()
        self.db.executemany(
            "INSERT INTO search (code, long_description, short_description, extra, release_id, release, ended) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", ((*row, token, release_id, ended.get(row[0])) for row in rows))
        # the rows just written, each with its rowid, in the release's own index
        index_release_words(self.db, release_id, "rowid > ?", before["last"] or 0)
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

    def search_text(self, release_id: str, match: str, filters: SearchFilters, limit: int, offset: int,
                    skip: Sequence[str] = ()) -> tuple[list[SearchRow], int]:
        """Codes whose text matches an FTS5 query, best first (bm25), and how many match in all.

        The release's own index (``release_index``) finds them and bm25 reads its figures (how many of the
        release's rows have each word), not every release's rows of each word of the query. The table of index
        rows (``search``) gives each row found its code and end date, by rowid."""
        where, parameters = self._filters(filters)
        skipping = f" AND s.code NOT IN ({', '.join('?' * len(skip))})" if skip else ""
        if filters == SearchFilters(active_on=filters.active_on):
            return self._search_index_only(match, filters.active_on, limit, offset, skip, release_id)
        table = release_index(release_id)
        sql = (f"SELECT *, count(*) OVER () AS total FROM ("
               f"SELECT {_FOUND}, {_BM25.format(table)} AS score "
               f"FROM {table} CROSS JOIN search s ON s.rowid = {table}.rowid "
               f"JOIN records r ON r.release_id = ? AND r.code = s.code "
               f"WHERE {table} MATCH ? AND {where}{skipping}) "
               f"ORDER BY score, code LIMIT ? OFFSET ?")
        try:
            rows = self.db.execute(sql, [release_id, match, *parameters, *skip, limit, offset]).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the search index cannot run this query ({exc})") from None
        if rows or offset == 0:
            return [_found(r, r["score"]) for r in rows], rows[0]["total"] if rows else 0
        return [], self.search_text(release_id, match, filters, 1, 0, skip)[1]

    def search_rowids(self, release_id: str, match: str, span: tuple[int, int] | None = None) -> list[int]:
        """The index rows of one release (``span``: only those between two rows) matching an FTS5 query, in index
        order, unranked (no bm25: cheap)."""
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples: a common word finds thousands of rows
        table = release_index(release_id)
        between = " AND rowid BETWEEN ? AND ?" if span is not None else ""
        try:
            rows = cursor.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ?{between}", (match, *(span or ())))
            return [r[0] for r in rows]
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the search index cannot run this query ({exc})") from None

    def search_rows(self, rowids: Sequence[int]) -> list[tuple[int, SearchRow]]:
        """Index rows by rowid, in the order asked: each rowid with its code, descriptions and end date (score 0)."""
        if not rowids:
            return []
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples: the rows become search rows at once
        found = {r[0]: r for r in cursor.execute(
            f"SELECT rowid, code, long_description, short_description, ended FROM search "
            f"WHERE rowid IN ({', '.join('?' * len(rowids))})", list(rowids))}
        return [(i, SearchRow(code=r[1], short_description=r[3], long_description=r[2], termination_date=day(r[4]),
                              score=0.0)) for i in rowids if (r := found.get(i)) is not None]

    def _search_index_only(self, match: str, active_on: dt.date | None, limit: int, offset: int,
                           skip: Sequence[str], release_id: str) -> tuple[list[SearchRow], int]:
        """The common case (no filter but "active"): rank and count in the index alone, then read the page."""
        table = release_index(release_id)
        where = " AND (s.ended IS NULL OR s.ended >= ?)" if active_on else ""
        if skip:
            where += f" AND s.code NOT IN ({', '.join('?' * len(skip))})"
        parameters = [match, *([active_on.isoformat()] if active_on else []), *skip]
        try:
            ranked = self.db.execute(
                f"SELECT *, count(*) OVER () AS total FROM (SELECT s.code AS code, {_BM25.format(table)} AS score "
                f"FROM {table} CROSS JOIN search s ON s.rowid = {table}.rowid "
                f"WHERE {table} MATCH ?{where}) ORDER BY score, code LIMIT ? OFFSET ?",
                [*parameters, limit, offset]).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the search index cannot run this query ({exc})") from None
        if not ranked and offset:
            return [], self._search_index_only(match, active_on, 1, 0, skip, release_id)[1]
        total = ranked[0]["total"] if ranked else 0
        if not ranked:
            return [], total
        marks = ", ".join("?" * len(ranked))
        records = {r["code"]: r for r in self.db.execute(
            f"SELECT {_FOUND} FROM records r WHERE release_id = ? AND code IN ({marks})",
            [release_id, *(r["code"] for r in ranked)])}
        return [_found(records[r["code"]], r["score"]) for r in ranked], total

    def search_codes(self, release_id: str, exact: str | None, prefix: str | None,
                     filters: SearchFilters) -> list[SearchRow]:
        """The record whose code is ``exact``, then codes starting with ``prefix``, in code order."""
        where, parameters = self._filters(filters)
        found: list[Row] = []
        if exact:
            found += self.db.execute(
                f"SELECT {_FOUND} FROM records r WHERE r.release_id = ? AND r.code = ? AND {where}",
                [release_id, exact, *parameters]).fetchall()
        if prefix:
            found += self.db.execute(
                f"SELECT {_FOUND} FROM records r "
                f"WHERE r.release_id = ? AND r.code > ? AND r.code < ? AND {where} ORDER BY r.code",
                [release_id, prefix, prefix + "~", *parameters]).fetchall()
        return [_found(r, 0.0) for i, r in enumerate(found) if r["code"] not in {x["code"] for x in found[:i]}]

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
            parameters += [filters.labeler_quarter, f"%{like(filters.labeler)}%"]
        if filters.active_on is not None:
            sql.append("(r.termination_date IS NULL OR r.termination_date >= ?)")
            parameters.append(filters.active_on.isoformat())
        return " AND ".join(sql) or "1", parameters


def _found(row: Row, score: float) -> SearchRow:
    return SearchRow(code=row["code"], short_description=row["short_description"],
                     long_description=row["long_description"], termination_date=day(row["termination_date"]),
                     score=score)


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
