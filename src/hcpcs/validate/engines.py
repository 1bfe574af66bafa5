"""The bulk engines behind ``hcpcs validate FILE``: DuckDB (default, streaming) and Spark (``--engine spark``).

Both load the same reference tables and run the same SQL (``_validate.core_sql``); only reading the input
and writing the output differ. The output is written beside its target and renamed into place at the
end, so a failed run leaves no partial file. Nothing here touches the hcpcs database.
"""

from __future__ import annotations

import contextlib
import csv
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import InputError, UsageError
from .columns import Columns as Columns
from .lines import MODIFIERS, Reference
from .passes import (
    gather_both,
    gather_rule_lines,
    listed,
    load_drug_keys,
    load_ruled,
    quoted,
    spellings_of,
    sql_text,
)
from .sql import REFERENCE_COLUMNS, core_sql, ndc_width, reference_columns, ruled_codes

Progress = Callable[[float], None]


@dataclass(slots=True)
class Summary:
    lines: int = 0
    valid: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    output: Path | None = None


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise UsageError(f"{path.name}: give a .csv or .parquet file")


def load_reference(con: Any, ref: Reference, folder: Path) -> None:
    """The reference tables into DuckDB, through small CSV files (faster than importing pyarrow)."""
    write_reference(ref, folder)
    read_reference(con, folder)


def write_reference(ref: Reference, folder: Path) -> None:
    """The reference tables as CSV files in ``folder``, one per table (Python's part: no engine needed)."""
    for name, columns in reference_columns(ref).items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(zip(*columns.values(), strict=True))


def read_reference(con: Any, folder: Path) -> None:
    """The reference tables from the files of ``write_reference``."""
    types = {"text": "VARCHAR", "date": "DATE", "boolean": "BOOLEAN", "double": "DOUBLE"}
    for name, kinds in REFERENCE_COLUMNS.items():
        spec = ", ".join(f"'{c}': '{types[k]}'" for c, k in kinds.items())
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM read_csv({_literal(folder / f'{name}.csv')}, "
                    f"header = false, columns = {{{spec}}}, nullstr = '', quote = '\"', auto_detect = false)")


class _Writer(threading.Thread):
    """``write_reference`` in a thread of its own: Python writes the files while DuckDB reads the input."""

    def __init__(self, ref: Reference, folder: Path) -> None:
        super().__init__(daemon=True)
        self.ref, self.folder = ref, folder
        self.failure: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            write_reference(self.ref, self.folder)
        except BaseException as exc:  # handed to the caller's thread
            self.failure = exc

    def done(self) -> None:
        self.join()
        if self.failure is not None:
            raise self.failure


def validate_duckdb(ref: Reference, source: Path, output: Path, columns: Columns,
                    progress: Progress | None = None, memory_limit: str = "400MB", ordered: bool = False,
                    echo: bool = True) -> Summary:
    """Validate every line of ``source`` into ``output`` with DuckDB, streaming.

    Each output row carries its input ``line`` number; rows come as the engine finishes them. ``ordered``
    sorts them back into the input's order (a sort of the whole output: more time and memory). ``echo``
    repeats the line's claim id, code, date and modifiers beside its result; without them the output is the
    line number and the result only (about a quarter less time on large files).
    """
    started = time.perf_counter()
    kind, out_kind = file_format(source), file_format(output)
    if not source.exists():
        raise InputError(str(source), "no such file")
    scratch = tempfile.TemporaryDirectory(prefix="hcpcs-")
    writer = _Writer(ref, Path(scratch.name))  # the reference tables' files, while the passes below run
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")  # every row carries its line number
        con.execute("SET enable_progress_bar = false")  # hcpcs draws its own
        reader = (f"read_csv({_literal(source)}, all_varchar = true, header = true)" if kind == "csv"
                  else f"read_parquet({_literal(source)})")
        try:
            con.execute(f"CREATE TEMP VIEW src AS SELECT * FROM {reader}")
            present = [row[0] for row in con.execute("DESCRIBE src").fetchall()]
        except duckdb.Error as exc:
            raise _ragged(con, source, kind) or _input_error(source, kind, exc) from None
        if kind == "csv" and len(present) != len(csv_header(source)[1]):  # the dialect guessed wrong
            raise _ragged(con, source, kind) or InputError(source.name, "cannot tell its columns apart: give a "
                                                           "CSV file with a header line") from None
        check_columns(source, present, columns)
        drugs = columns.ndc in present
        part = output.with_name(output.name + ".part")
        options = "FORMAT parquet" if out_kind == "parquet" else "FORMAT csv, HEADER true"
        query = core_sql(ref.spans, crosswalks=ref.crosswalks if drugs else None, ndc_width=ndc_width(ref))
        if not echo:
            extra = ", ndc, billing_units" if drugs else ""
            query = f"SELECT line, status, reasons, messages, warnings{extra} FROM ({query}) results"
        query += " ORDER BY line" if ordered else ""  # the joins do not keep the order
        # The input is read once by the main query, which parses each date once (a date that is none stops
        # it; only then is the file read again, to name the line). Before it, passes over a column or three:
        # the distinct NDC spellings, and the few lines whose code is in a pair rule (``ruled``); a CSV file,
        # whose every pass parses every line, gives both in one pass.
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE src)").fetchall())
        try:
            named = ruled_codes(ref)
            if drugs and kind == "csv":
                load_drug_keys(con, ref, gather_both(con, columns, named))
            else:
                if drugs:
                    load_drug_keys(con, ref, spellings_of(con, columns.ndc))
                gather_rule_lines(con, columns, named)
            writer.done()
            read_reference(con, Path(scratch.name))
            load_ruled(con, ref)
            con.execute(f"CREATE TEMP VIEW lines AS {_lines_sql(columns, source, kind, present, types, named)}")
            _run_with_progress(con, f"COPY ({query}) TO {_literal(part)} ({options})", progress)
        except duckdb.Error as exc:
            raise _explained(con, source, columns, kind, exc) from None
        summary = _summarise(con, part, out_kind)
        part.replace(output)
    except BaseException:
        output.with_name(output.name + ".part").unlink(missing_ok=True)
        raise
    finally:
        writer.join()
        scratch.cleanup()
        con.close()
    summary.seconds = time.perf_counter() - started
    summary.output = output
    return summary


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200]


#: The longest line read back from a results file (DuckDB's default is 2 MB, the longest of an input line).
MAX_LINE_BYTES = 8 * 1024 * 1024
#: Values longer than this are cut in messages and in the results' echo of a malformed code.
SHOWN_CHARS = 40
_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COLUMN_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def csv_header(source: Path) -> tuple[str, list[str]]:
    """A CSV file's delimiter (``,``, ``;``, tab or ``|``, as its header line says) and column names."""
    try:
        with source.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            first = handle.readline(MAX_LINE_BYTES)
    except OSError as exc:
        raise InputError(source.name, exc.strerror or str(exc)) from None
    if not first.strip():
        raise InputError(source.name, "the file is empty: a CSV file of claim lines starts with its header", line=1)
    delimiter = "\t" if source.suffix.lower() == ".tsv" else max(",;\t|", key=first.count)
    return delimiter, next(csv.reader([first.rstrip("\r\n")], delimiter=delimiter))


def _ragged(con: Any, source: Path, kind: str) -> InputError | None:
    """Where DuckDB could not guess a CSV's dialect, the error of reading it strictly with its header's
    columns (the line of a row with more or fewer fields than the header), if any."""
    import duckdb

    if kind != "csv":
        return None
    try:
        con.execute(f"SELECT count(*) FROM {csv_reader(source)}").fetchone()
    except duckdb.Error as exc:
        return _input_error(source, kind, exc)
    return None


def csv_reader(source: Path) -> str:
    """A strict reading of a CSV of claim lines: every column text, the header's columns and no guessing,
    so that a row with more or fewer fields than the header is an error naming its line."""
    delimiter, names = csv_header(source)
    spec = ", ".join(f"{sql_text(name)}: 'VARCHAR'" for name in names)
    return (f"read_csv({_literal(source)}, delim = {sql_text(delimiter)}, quote = '\"', escape = '\"', "
            f"header = true, auto_detect = false, columns = {{{spec}}}, max_line_size = {MAX_LINE_BYTES})")


def _input_error(source: Path, kind: str, exc: BaseException) -> InputError:
    """A DuckDB error reading the input as one line naming the file and, for a CSV, the line."""
    message = str(exc)
    if found := _CSV_LINE.search(message):
        line = int(found.group(1))
        if counts := _COLUMN_COUNT.search(message):
            expected, seen = map(int, counts.groups())
            return InputError(source.name, f"{'more' if seen > expected else 'fewer'} fields than the "
                              f"{expected} columns of the header (a ragged row)", line=line)
        return InputError(source.name, _first_line(exc), line=line)
    return InputError(source.name, f"cannot read it as {kind.upper()} ({_first_line(exc)})")


def check_columns(source: Path, present: list[str], columns: Columns) -> None:
    wanted = [columns.code, columns.date, *([columns.claim] if columns.claim else []), *columns.modifiers]
    missing = [c for c in wanted if c not in present]
    if missing:
        raise InputError(source.name, f"no column {', '.join(repr(c) for c in missing)} "
                         f"(columns: {', '.join(present)}); name them with --code-column, --date-column, "
                         "--claim-column, --modifier-column")


def _explained(con: Any, source: Path, columns: Columns, kind: str, exc: BaseException) -> InputError:
    """The input error of a failed query: a date of service that is none (``_check_dates``, which reads the
    file again), else the engine's error in one line."""
    import duckdb

    with contextlib.suppress(duckdb.Error):  # the file cannot be read at all: the query's own error says why
        _check_dates(con, source, columns, kind)
    return _input_error(source, kind, exc)


def _check_dates(con: Any, source: Path, columns: Columns, kind: str) -> None:
    """Every date of service readable, else an input error naming the first bad one."""
    date = quoted(columns.date)
    day = f"TRY_CAST(CAST({date} AS VARCHAR) AS DATE)"
    (count,) = con.execute(f"SELECT count(*) FROM src WHERE {day} IS NULL").fetchone()
    if not count:
        return
    row, value = con.execute(
        f"SELECT n, d FROM (SELECT row_number() OVER () AS n, CAST({date} AS VARCHAR) AS d FROM src) "
        f"WHERE TRY_CAST(d AS DATE) IS NULL LIMIT 1").fetchone()
    where = {"line": row + 1} if kind == "csv" else {"row": row}
    shown = "missing" if value is None or not str(value).strip() else f"{cut_value(value)} is not a date (YYYY-MM-DD)"
    raise InputError(source.name, f"{columns.date} {shown}; {count:,} such rows in all", field=columns.date,
                     **where)


def cut_value(value: object) -> str:
    """A value as messages show it: quoted, and cut after ``SHOWN_CHARS`` characters with its length."""
    text = str(value)
    return repr(text) if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]!r}... ({len(text):,} characters)"


def _lines_sql(columns: Columns, source: Path, kind: str, present: list[str], types: dict[str, str],
               named: list[str]) -> str:
    """The input normalised: line number, claim id, code, date, whether the code is well formed, modifiers;
    where the file has an NDC column, the NDC as written and the units.

    Parquet gives each row's number as it reads (in parallel); a CSV's rows are numbered as they stream.
    """
    mods = ", ".join(f"CAST({quoted(m)} AS VARCHAR)" for m in columns.modifiers) or "''"
    given = f"concat_ws(' ', {mods})"
    # most cells hold no modifier or one: those without the regex that splits at white space and commas
    split = (f"CASE WHEN {given} = '' THEN CAST([] AS VARCHAR[]) WHEN regexp_full_match({given}, '[A-Z0-9]+') "
             f"THEN [{given}] ELSE string_split(trim(regexp_replace(upper({given}), '[\\s,]+', ' ', 'g')), ' ') END")
    if kind == "parquet":
        numbered, origin = "file_row_number + 1", f"read_parquet({_literal(source)}, file_row_number = true)"
    else:  # the physical line of the file: its header is line 1
        numbered, origin = "row_number() OVER () + 1", "src"
    picks = ", ".join(f"NULLIF(mods[{n}], '') AS m{n}" for n in range(1, MODIFIERS + 1))
    raw = quoted(columns.claim) if columns.claim else "NULL"
    claim = "NULLIF(trim(CAST(claim_raw AS VARCHAR)), '')"
    whole = f"upper(trim(CAST({quoted(columns.code)} AS VARCHAR)))"
    # (a code longer than any is echoed and named in messages cut: a results line need not repeat a huge cell)
    code = f"CASE WHEN length({whole}) > {SHOWN_CHARS} THEN left({whole}, {SHOWN_CHARS}) || '...' ELSE {whole} END"
    drug, drug_columns = "", ""
    if columns.ndc in present:  # the NDC as written: drug_keys reads each spelling once
        units = f"TRY_CAST({quoted(columns.units)} AS DOUBLE)" if columns.units in present else "CAST(NULL AS DOUBLE)"
        drug = f", CAST({quoted(columns.ndc)} AS VARCHAR) AS ndc_raw, {units} AS units"
        drug_columns = ", ndc_raw, units"
    date = quoted(columns.date)
    # strict: a date that is none (or missing) stops the query, and _check_dates names it
    day = (f"CASE WHEN {date} IS NULL THEN error('date missing') ELSE {date} END" if types.get(columns.date) == "DATE"
           else f"CAST(coalesce(CAST({date} AS VARCHAR), '') AS DATE)")
    # claim_key, for the join to the pair rules' clashes: the claim id only where a rule names the code (the
    # claim_id of every line is read only where the results repeat it)
    key = f"CASE WHEN code IN ({listed(named)}) THEN {claim} END"
    return (f"SELECT line, {claim} AS claim_id, {key} AS claim_key, code, day, "
            f"regexp_full_match(code, '[A-CE-Z][0-9]{{4}}') AS code_ok, {picks}{drug_columns} "
            f"FROM (SELECT {numbered} AS line, {raw} AS claim_raw, coalesce({code}, '') AS code, "
            f"{day} AS day, {split} AS mods{drug} FROM {origin})")



def _run_with_progress(con: Any, sql: str, progress: Progress | None) -> None:
    """Run ``sql`` in a worker thread, reporting progress; an interrupt here (Ctrl-C, or SIGTERM made an
    exception) stops the query and waits for it before going on, so nothing is written after."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
            if progress is None:
                continue
            try:
                done = con.query_progress()
            except Exception:
                done = -1
            if done is not None and done >= 0:
                progress(float(done))
    except BaseException:
        con.interrupt()
        worker.join()
        raise
    if failure:
        raise failure[0]
    if progress is not None:
        progress(100.0)


def _summarise(con: Any, path: Path, kind: str) -> Summary:
    """The counts of a results file, in one reading of it: each distinct (status, reasons, warnings) with its
    lines (a few hundred at most), split into reasons and warnings here."""
    reader = f"read_parquet({_literal(path)})" if kind == "parquet" else \
        f"read_csv({_literal(path)}, all_varchar = true, header = true, max_line_size = {MAX_LINE_BYTES})"
    summary = Summary()
    rows = con.execute(f"SELECT status, reasons, warnings, count(*) FROM {reader} GROUP BY ALL").fetchall()
    for status, reasons, warnings, count in rows:
        summary.lines += count
        summary.valid += count if status == "valid" else 0
        for text, target in ((reasons, summary.reasons), (warnings, summary.warnings)):
            for name in (text or "").split(";"):
                if name:
                    target[name] = target.get(name, 0) + count
    summary.reasons = dict(sorted(summary.reasons.items()))
    summary.warnings = dict(sorted(summary.warnings.items()))
    return summary
