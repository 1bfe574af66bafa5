"""The DuckDB engine's passes before its main query: the input's distinct NDC spellings and the table
``drug_keys`` of them, and the lines whose code a pair rule names (``rule_lines``, then ``ruled``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .lines import Reference
from .sql import drug_key_columns, drug_keys, ndc_width, ruled_sql

if TYPE_CHECKING:
    from .columns import Columns


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def spellings_of(con: Any, ndc: str) -> dict[str, tuple[dt.date, dt.date]]:
    """Each distinct NDC spelling of the input, under every crosswalk (``drug_keys`` takes the dates each is
    written on; all of time here, so that the dates are parsed once, by the main query)."""
    rows = con.execute(f"SELECT DISTINCT CAST({quoted(ndc)} AS VARCHAR) FROM src").fetchall()
    return {raw: (dt.date.min, dt.date.max) for (raw,) in rows if raw is not None}


def gather_rule_lines(con: Any, columns: Columns, named: list[str]) -> None:
    """The table ``rule_lines``: the input's lines whose code a pair rule names (a pass over the code column,
    the claim and date read only for the lines kept)."""
    code = f"upper(trim(CAST({quoted(columns.code)} AS VARCHAR)))"
    claim = quoted(columns.claim) if columns.claim else "NULL"
    con.execute(f"CREATE TEMP TABLE rule_lines AS SELECT {claim} AS claim, {code} AS code, "
                f"{quoted(columns.date)} AS date FROM src WHERE {code} IN ({listed(named)})")


def gather_both(con: Any, columns: Columns, named: list[str]) -> dict[str, tuple[dt.date, dt.date]]:
    """``rule_lines`` and the distinct NDC spellings (as ``spellings_of``) in one pass over the input: each
    distinct (spelling, and for a line a pair rule names, its claim, code and date)."""
    code = f"upper(trim(CAST({quoted(columns.code)} AS VARCHAR)))"
    claim = quoted(columns.claim) if columns.claim else "NULL"
    named_line = f"{code} IN ({listed(named)})"
    con.execute(f"CREATE TEMP TABLE first_pass AS SELECT DISTINCT CAST({quoted(columns.ndc)} AS VARCHAR) AS raw, "
                f"CASE WHEN {named_line} THEN {claim} END AS claim, CASE WHEN {named_line} THEN {code} END AS code, "
                f"CASE WHEN {named_line} THEN {quoted(columns.date)} END AS date FROM src")
    con.execute("CREATE TEMP TABLE rule_lines AS SELECT claim, code, date FROM first_pass WHERE code IS NOT NULL")
    rows = con.execute("SELECT DISTINCT raw FROM first_pass").fetchall()
    return {raw: (dt.date.min, dt.date.max) for (raw,) in rows if raw is not None}


def load_ruled(con: Any, ref: Reference) -> None:
    """The table ``ruled`` (``ruled_sql``): the lines of ``rule_lines`` once each, with their claim and release."""
    source = ("(SELECT NULLIF(trim(CAST(claim AS VARCHAR)), '') AS claim_id, code, "
              "TRY_CAST(CAST(date AS VARCHAR) AS DATE) AS day FROM rule_lines)")
    con.execute(f"CREATE TEMP TABLE ruled AS {ruled_sql(ref.spans, source)}")


def listed(codes: list[str]) -> str:
    """Codes as an SQL list; one that matches nothing where there are none."""
    return ", ".join(sql_text(c) for c in codes) or "NULL"


def load_drug_keys(con: Any, ref: Reference, spellings: dict[str, tuple[dt.date, dt.date]]) -> None:
    """The table ``drug_keys`` (``_validate.drug_keys``) of the input's NDC spellings. Its NDCs are an ENUM:
    the results' ndc column is then written from the dictionary, not string by string."""
    width = ndc_width(ref)
    table = drug_keys(ref, spellings)
    types = {"text": "VARCHAR", "double": "DOUBLE", "integer": "INTEGER"}
    kinds = drug_key_columns(width)
    picks = ", ".join(f"unnest(${n}::{types[kinds[name]]}[]) AS {name}" for n, name in enumerate(table, 1))
    con.execute(f"CREATE TEMP TABLE drug_spellings AS SELECT {picks}", list(table.values()))
    con.execute("CREATE TYPE ndc_text AS ENUM (SELECT DISTINCT ndc FROM drug_spellings)")
    con.execute("CREATE TEMP TABLE drug_keys AS SELECT * REPLACE (CAST(ndc AS ndc_text) AS ndc) FROM drug_spellings")
