"""The schema's migrations: a file at every earlier schema is upgraded in one transaction and read back the same;
a newer file is refused; a read-only open of an older file is refused and changes nothing."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

import hcpcs
from hcpcs.cli import cli
from hcpcs.store import SCHEMA_VERSION
from hcpcs.store.migrations import MIGRATIONS, migrate

from .conftest import ANNUAL, CMS, SHARED, db_digest, loaded_database

CROSSWALK = SHARED / "cms-asp" / "section 508 version of January 2024 ASP NDC-HCPCS Crosswalk 122023.csv"


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database at this schema with something in every table: releases, corrections, a NOC list, transaction
    reports, a record layout and a drug file."""
    return loaded_database(tmp_path_factory, "current", ANNUAL[2019], CMS / "2019-HCPCS-Alpha-Numeric-Corrections.zip",
                           CMS / "2019-HCPCS-NOC-Codes.zip", CMS / "hcpcs-2025.zip", CROSSWALK)


def _loaded_tables(con: sqlite3.Connection) -> list[str]:
    """The tables holding what a load stored (the search index and its vocabulary aside: the facade fills them
    when it opens a file for writing)."""
    return [name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if not name.startswith("search") and name != "abbreviations"]


def _schema(path: Path) -> list[tuple[str, str]]:
    """The file's schema, each release's own index aside (made with the release's rows: data, not schema)."""
    con = sqlite3.connect(path)
    try:
        found = con.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")
        return sorted((name, sql) for name, sql in found if not _RELEASE_INDEX.match(name))
    finally:
        con.close()


_RELEASE_INDEX = re.compile(r"search_r\d+(_|$)")


def _old_file(current: Path, path: Path, version: int) -> Path:
    """A file at ``version`` built by the steps up to it, holding the current file's data of its tables."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    migrate(con, 0, version)
    con.execute(f"PRAGMA application_id = {0x48435043}")
    con.execute("ATTACH ? AS current", (str(current),))
    for table in _loaded_tables(con):
        con.execute(f"INSERT INTO main.{table} SELECT * FROM current.{table}")
    con.execute("COMMIT")
    con.execute("DETACH current")
    con.close()
    return path


def _version(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        (version,) = con.execute("PRAGMA user_version").fetchone()
        return int(version)
    finally:
        con.close()


def test_the_steps_build_the_schema_a_new_file_gets(current: Path, tmp_path: Path) -> None:
    built = _old_file(current, tmp_path / "built.sqlite", SCHEMA_VERSION)
    assert _version(built) == SCHEMA_VERSION == len(MIGRATIONS)
    assert _schema(built) == _schema(current)


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_file_at_every_earlier_schema_is_upgraded_and_reads_as_a_new_one(
        current: Path, tmp_path: Path, version: int) -> None:
    old = _old_file(current, tmp_path / f"schema{version}.sqlite", version)
    before = db_digest(old)
    with pytest.raises(hcpcs.StoreError) as refused:
        hcpcs.open(old, readonly=True)
    assert str(refused.value) == (
        f"{old} has schema {version}, older than this hcpcs's (schema {SCHEMA_VERSION}), and was opened "
        "read-only: upgrade it with hcpcs migrate (or any hcpcs load)")
    assert db_digest(old) == before  # a read-only open changes nothing

    with hcpcs.open(old):  # a writable open migrates (and indexes the releases for search)
        pass
    assert _version(old) == SCHEMA_VERSION
    assert _schema(old) == _schema(current)
    with hcpcs.open(old, readonly=True) as db, hcpcs.open(current, readonly=True) as new:
        assert db.releases() == new.releases()
        assert [h.code for h in db.search("infusion pump").hits] == [h.code for h in new.search("infusion pump").hits]
        assert db.rules() == new.rules()
        # what the file held before its upgrade reads the same; what its schema had no table for is empty
        for code, release in (("J9325", None), ("A4221", "2019-01"), ("E0776", "2019-01")):
            got, want = db.get(code, release=release), new.get(code, release=release)
            assert (got.values, got.release, got.related, got.noc, got.processing_note_text) == \
                   (want.values, want.release, want.related, want.noc, want.processing_note_text)
            assert got.corrections == (want.corrections if version >= 2 else ())
            assert got.transaction_report == (want.transaction_report if version >= 3 else None)
            assert got.layout_year == (want.layout_year if version >= 4 else 2019)
            assert got.drugs == (want.drugs if version >= 5 else None)
        if version >= 2:
            assert db.corrections("2019") == new.corrections("2019")
        assert db.drug_quarters() == (new.drug_quarters() if version >= 5 else [])


def test_a_schema_5_file_gets_each_release_its_own_index_and_plain_rows_answering_as_a_new_file(
        current: Path, tmp_path: Path) -> None:
    """Schema 6 gives each indexed release an index of its own, built from the file's full index, and schema 7
    keeps the full index's rows in a plain table: searches then answer as in a file loaded now, scores and all."""
    old = tmp_path / "schema5.sqlite"
    old.write_bytes(current.read_bytes())
    con = sqlite3.connect(old)
    indexes = [name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
               if re.fullmatch(r"search_r\d+", name)]
    assert len(indexes) == 2  # 2019-01 and 2025-01
    for name in indexes:
        con.execute(f"DROP TABLE {name}")
    # the rows back in schema 5's full index (FTS5), under the same rowids
    con.executescript("""
        ALTER TABLE search RENAME TO search_plain;
        DROP INDEX search_by_release;
        CREATE VIRTUAL TABLE search USING fts5(
          code, long_description, short_description, extra, release_id, release UNINDEXED, ended UNINDEXED,
          tokenize = 'porter unicode61 remove_diacritics 2');
        INSERT INTO search (rowid, code, long_description, short_description, extra, release_id, release, ended)
          SELECT id, code, long_description, short_description, extra, release_id, release, ended FROM search_plain;
        DROP TABLE search_plain;""")
    con.execute("PRAGMA user_version = 5")
    con.commit()
    con.close()
    with hcpcs.open(old):
        pass
    assert _version(old) == SCHEMA_VERSION == 7
    con = sqlite3.connect(old)
    assert sorted(con.execute("SELECT name, sql FROM sqlite_master")) == sorted(
        sqlite3.connect(current).execute("SELECT name, sql FROM sqlite_master"))
    con.close()
    with hcpcs.open(old, readonly=True) as db, hcpcs.open(current, readonly=True) as new:
        for query, release in (("infusion pump", None), ("wheelchair cushion", "2019-01"), ("walker, folding", None)):
            assert db.search(query, release=release) == new.search(query, release=release)
            assert db.search(query, release=release, coverage=["C"]) == new.search(query, release=release,
                                                                                    coverage=["C"])


def test_a_schema_2_file_from_before_corrections_and_pair_rules_is_upgraded(current: Path, tmp_path: Path) -> None:
    """The first files at schema 2 had the search index only: the upgrade makes the tables they lack."""
    old = _old_file(current, tmp_path / "early2.sqlite", 2)
    con = sqlite3.connect(old)
    for table in ("corrections", "correction_lists", "pair_rules"):
        con.execute(f"DROP TABLE {table}")
    con.commit()
    con.close()
    with hcpcs.open(old) as db:
        assert db.rules() and db.get("J9325").code == "J9325"
    assert _version(old) == SCHEMA_VERSION and _schema(old) == _schema(current)


def test_a_failed_step_leaves_the_file_at_its_schema(current: Path, tmp_path: Path) -> None:
    """Every step runs in one transaction: when step 4 fails, step 3's tables are not left behind."""
    old = _old_file(current, tmp_path / "clash.sqlite", 2)
    con = sqlite3.connect(old)
    con.execute("CREATE TABLE record_layouts (x)")  # step 4 cannot create its table
    con.commit()
    con.close()
    before = db_digest(old)
    with pytest.raises(hcpcs.StoreError) as failed:
        hcpcs.open(old)
    assert str(failed.value) == (f"{old}: the upgrade from schema 2 to schema {SCHEMA_VERSION} failed (table "
                                 "record_layouts already exists); the file is left as it was")
    assert db_digest(old) == before and _version(old) == 2


def test_a_file_from_a_newer_hcpcs_is_refused_naming_both_schemas(current: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    newer.write_bytes(current.read_bytes())
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    message = (f"{newer} has schema {SCHEMA_VERSION + 1}, newer than this hcpcs knows (schema {SCHEMA_VERSION}): "
               "upgrade hcpcs")
    for readonly in (True, False):
        with pytest.raises(hcpcs.StoreError) as refused:
            hcpcs.open(newer, readonly=readonly)
        assert str(refused.value) == message
    for args in (["show", "J9325"], ["load", str(CROSSWALK)], ["migrate"]):
        result = CliRunner().invoke(cli, ["--db", str(newer), *args])
        assert result.exit_code == 1 and result.output == f"Error: {message}\n", args
    assert _version(newer) == SCHEMA_VERSION + 1


def test_hcpcs_migrate_upgrades_an_older_file_then_says_it_is_current(current: Path, tmp_path: Path) -> None:
    old = _old_file(current, tmp_path / "schema3.sqlite", 3)
    result = CliRunner().invoke(cli, ["--db", str(old), "show", "J9325"])
    assert result.exit_code == 1 and "has schema 3, older" in result.output and "hcpcs migrate" in result.output
    result = CliRunner().invoke(cli, ["--db", str(old), "migrate"])
    assert result.exit_code == 0 and result.output == f"{old}: upgraded from schema 3 to schema {SCHEMA_VERSION}\n"
    result = CliRunner().invoke(cli, ["--db", str(old), "migrate"])
    assert result.exit_code == 0 and result.output == f"{old}: already at schema {SCHEMA_VERSION}\n"
    result = CliRunner().invoke(cli, ["--db", str(old), "show", "J9325"])
    assert result.exit_code == 0 and result.output.startswith("J9325\n")


def test_hcpcs_migrate_without_a_database_creates_none(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    result = CliRunner().invoke(cli, ["--db", str(missing), "migrate"])
    assert result.exit_code == 1 and "no database at" in result.output and not missing.exists()
