"""The ``hcpcs`` command: parses arguments, calls the library, formats output. No SQL here."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from ._errors import HcpcsError, NotFound, StoreError, UsageError
from ._output import new_table

if TYPE_CHECKING:
    from . import FileUse
    from ._engines import Columns

F = TypeVar("F", bound=Callable[..., Any])

EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def handles_errors(func: F) -> F:
    """Library errors become one ``Error: ...`` line: usage errors exit 2, everything else 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as exc:
            _fail(str(exc), EXIT_USAGE)
        except NotFound as exc:
            _fail(str(exc), EXIT_NOT_FOUND)
        except HcpcsError as exc:
            _fail(str(exc), 1)

    return wrapper  # type: ignore[return-value]


class _Terminated(BaseException):
    """SIGTERM, raised where the program is, so that what it was doing is cleaned up as on Ctrl-C."""


@contextlib.contextmanager
def _interrupts(said: str) -> Iterator[None]:
    """Ctrl-C and SIGTERM end the command with one line (``said``) and exit 130 or 143, as a shell's
    convention has it, after the code interrupted has cleaned up (whatever error the interrupted query
    then raised)."""
    received: list[int] = []

    def interrupt(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt if signum == signal.SIGINT else _Terminated

    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except BaseException:
        if not received:
            raise
        how = "interrupted (Ctrl-C)" if received[0] == signal.SIGINT else "terminated (SIGTERM)"
        click.echo(f"Error: {how}; {said}", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        # Out at once, cleaned up: the engine's own threads, stopped mid-query, may not survive the
        # interpreter's shutdown.
        os._exit(128 + received[0])
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _open(ctx: click.Context, *, readonly: bool) -> Any:
    from ._api import open as open_db

    return open_db(ctx.obj["db"], readonly=readonly)


def output_options(*extra: str) -> Callable[[F], F]:
    """``--format`` of every read command: table (``text`` is the same), json, ndjson, csv, and the command's
    ``extra`` forms."""
    from ._output import ALIASES, FORMATS

    accepted = [*FORMATS, *ALIASES, *extra]

    def normal(ctx: click.Context, param: click.Parameter, value: str) -> str:
        return ALIASES.get(value, value)

    return click.option("--format", "fmt", type=click.Choice(accepted), default="table", show_default=True,
                        callback=normal, help="Output form: table (text is the same) for people, json one document, "
                        "ndjson one record a line, csv one record a row.")


def quiet_option(func: F) -> F:
    """``--quiet``: no progress bar."""
    return click.option("-q", "--quiet", is_flag=True, help="No progress bar.")(func)


def emit(fmt: str, records: Callable[[], Sequence[Mapping[str, Any]]], *, table: Callable[[], None],
         document: Callable[[], Any] | None = None, csv: Callable[[], str] | None = None) -> None:
    """Write a read command's answer in ``fmt``: ``records`` for ndjson and csv (and json, without a
    ``document``), ``table`` for people; ``csv`` where the command has its own."""
    from . import _output

    if fmt == "json":
        click.echo(_output.json_text(document() if document else list(records())), nl=False)
    elif fmt == "ndjson":
        click.echo(_output.ndjson_text(records()), nl=False)
    elif fmt == "csv":
        click.echo(csv() if csv else _output.csv_text(records()), nl=False)
    else:
        table()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The database file. Default: $HCPCS_DB, else hcpcs.sqlite in your user data folder.")
@click.version_option(package_name="hcpcs")
@click.pass_context
def cli(ctx: click.Context, db: Path | None) -> None:
    """Every CMS HCPCS Level II release, every field decoded, in one SQLite file."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


#: What ``--against-report`` given alone stands for: the transaction report loaded with the release.
_LOADED_REPORT = ":loaded:"

@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--release", help="The release id (YYYY-MM) of the file given, where its name does not say.")
@click.option("--replace", is_flag=True, help="Replace a release already loaded from other files.")
@click.option("--strict", is_flag=True,
              help="Refuse the load on any warning (a file or line that could not be fully understood).")
@click.option("--silent", is_flag=True, help="No progress bar and no summary.")
@quiet_option
@click.pass_context
@handles_errors
def load(ctx: click.Context, paths: tuple[Path, ...], release: str | None, replace: bool, strict: bool,
         silent: bool, quiet: bool) -> None:
    """Load CMS release files: zips, folders of them (subfolders too), or single .txt/.xlsx/.xls files.

    Everything given is read first and stored in one transaction: on any error nothing is stored. The
    summary lists every file and zip member given, with its role and what the load did with it.
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with _open(ctx, readonly=False) as db:
        if silent:
            report = db.load(paths, release=release, replace=replace, strict=strict)
        else:
            columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=True, disable=quiet) as progress:
                task = progress.add_task("reading", total=None)
                report = db.load(paths, release=release, replace=replace, strict=strict,
                                 progress=lambda name: progress.update(task, description=f"reading {name}"))
        if silent:
            return
        click.echo(f"Loaded into {db.path}")
        table = new_table("Release", "Status", "Procedures", "Modifiers", "Disagreements", "Repairs", "Id from",
                          right=("Procedures", "Modifiers", "Disagreements", "Repairs"))
        for r in report.releases:
            table.add_row(r.release_id, r.status, f"{r.procedure_count:,}", f"{r.modifier_count:,}",
                          str(r.disagreement_count), str(r.repair_count), r.id_source)
        Console().print(table)
        for r in report.releases:
            said = []
            if r.disagreement_count:
                said.append(f"{r.disagreement_count} disagreements between CMS's text file and spreadsheet")
            if r.repair_count:
                said.append(f"{r.repair_count} repairs")
            if said:
                click.echo(f"{r.release_id}: {', '.join(said)}: see hcpcs check {r.release_id}")
        for year, count, status in report.noc_lists:
            click.echo(f"NOC list {year}: {count} codes, {status}")
        for release_id, count, status in report.corrections:
            click.echo(f"corrections to {release_id}: {count}, {status}")
        for release_id, count, status in report.transaction_reports:
            click.echo(f"transaction report of {release_id}: {count:,} entries, {status}")
        for year, fields, status in report.layouts:
            click.echo(f"record layout {year}: {fields} fields, {status}")
        for what, quarter, rows, status in report.drug_files:
            click.echo(f"{what} {quarter}: {rows:,} rows, {status}")
        _echo_files(report.files)
        for warning in report.warnings:
            click.echo(f"warning: {warning}")


def _echo_files(files: list[FileUse]) -> None:
    """Every file given, one line each: what the load did with it, its role, its name, and the detail."""
    click.echo(f"{len(files)} files: {sum(f.outcome == 'loaded' for f in files)} loaded, "
               f"{sum(f.outcome == 'skipped' for f in files)} skipped, "
               f"{sum(1 for f in files if f.warnings)} with warnings")
    width = max((len(f.role) for f in files), default=0)
    for f in files:
        warned = f" ({f.warnings} warning{'' if f.warnings == 1 else 's'})" if f.warnings else ""
        click.echo(f"  {f.outcome:<7}  {f.role:<{width}}  {f.file}: {f.detail}{warned}")


@cli.command()
@output_options()
@click.pass_context
@handles_errors
def releases(ctx: click.Context, fmt: str) -> None:
    """List the loaded releases, with their source files."""
    from ._json import to_json

    with _open(ctx, readonly=True) as db:
        found = db.releases()

    def code_file(r: Any) -> Any:
        return next((f for f in r.files if f.role == "codes"), None) or next(
            (f for f in r.files if f.role == "codes_spreadsheet"), None)

    def rows() -> list[dict[str, Any]]:
        return [{"id": r.id, "effective_date": r.effective_date.isoformat(), "procedure_count": r.procedure_count,
                 "modifier_count": r.modifier_count, "code_file": code_file(r).display if code_file(r) else None,
                 "sha256": code_file(r).sha256 if code_file(r) else None} for r in found]

    def table() -> None:
        from rich.console import Console

        out = new_table("Release", "Effective", "Procedures", "Modifiers", "Code file", "sha256",
                        right=("Procedures", "Modifiers"))
        for r in found:
            main = code_file(r)
            out.add_row(r.id, r.effective_date.isoformat(), f"{r.procedure_count:,}", f"{r.modifier_count:,}",
                        main.display if main else "", main.sha256[:12] if main else "")
        Console().print(out)

    from ._output import csv_text

    emit(fmt, lambda: [to_json(r) for r in found], table=table, csv=lambda: csv_text(rows()))


@cli.command()
@click.pass_context
@handles_errors
def migrate(ctx: click.Context) -> None:
    """Upgrade the database to this version's schema (a load does it too; read-only commands refuse an older
    database). All steps run in one transaction: readers see the file as it was or as it is now."""
    from ._paths import default_db_path
    from .store import SCHEMA_VERSION, file_schema

    path = Path(ctx.obj["db"]).expanduser() if ctx.obj["db"] else default_db_path()
    before = file_schema(path)
    with _open(ctx, readonly=False):
        pass
    said = "already at" if before == SCHEMA_VERSION else f"upgraded from schema {before} to"
    click.echo(f"{path}: {said} schema {SCHEMA_VERSION}")


@cli.command()
@click.argument("code")
@click.option("--release", help="Release id (YYYY-MM, or YYYY for January). Default: the latest loaded.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
              help="A date of service: show the code as it stood in the release in effect that day.")
@output_options("markdown", "html")
@click.pass_context
@handles_errors
def show(ctx: click.Context, code: str, release: str | None, as_of: str | None, fmt: str) -> None:
    """Show one code (or modifier) with every field, its meaning and its definition."""
    from ._api import parse_day
    from ._codes import parse_code
    from ._page import render

    parse_code(code)  # a malformed code is a usage error before any database is opened
    if as_of is not None:
        parse_day(as_of, "--as-of")
        if release is not None:
            raise UsageError("give --release or --as-of, not both")
    from ._json import to_json
    from ._page import page_lines

    with _open(ctx, readonly=True) as db:
        found = db.get(code, release=release, as_of=as_of)
    if fmt in ("markdown", "html"):
        click.echo(render(found, fmt), nl=False)
        return
    emit(fmt, lambda: [to_json(line) for line in page_lines(found)],
         table=lambda: click.echo(render(found, "text"), nl=False),
         document=lambda: to_json(found))


@cli.command()
@click.argument("ndc")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
              help="A date of service: the crosswalk in effect that day (else the latest before it, said so).")
@output_options()
@click.pass_context
@handles_errors
def ndc(ctx: click.Context, ndc: str, as_of: str | None, fmt: str) -> None:
    """Show the code(s) a drug package (NDC) bills under, by CMS's ASP NDC-HCPCS crosswalk.

    Any spelling: 11 digits, 5-4-2 with dashes, or the 10-digit 4-4-2, 5-3-2 and 5-4-1. Without --as-of,
    the latest loaded crosswalk that lists the NDC. Exit 1 when no crosswalk lists it, 2 when it is no NDC.
    """
    from ._dates import parse_day
    from ._drug_pages import ndc_text
    from ._drugs import ndc_answer
    from ._ndc import parse_ndc
    from ._paths import default_db_path
    from .store import Store

    parse_ndc(ndc)  # a malformed NDC is a usage error before any database is opened
    day = parse_day(as_of, "--as-of") if as_of is not None else None
    # the store alone, not the whole library: the answer is a few rows of one table
    store = Store(Path(ctx.obj["db"]).expanduser() if ctx.obj["db"] else default_db_path(), readonly=True)
    try:
        found = ndc_answer(store, ndc, day)
    finally:
        store.close()
    from ._json import to_json

    emit(fmt, lambda: [{"ndc": found.ndc, **to_json(p)} for p in found.products],
         document=lambda: to_json(found), table=lambda: click.echo(ndc_text(found), nl=False))


@cli.command()
@click.argument("code")
@output_options()
@click.pass_context
@handles_errors
def history(ctx: click.Context, code: str, fmt: str) -> None:
    """Show a code across every loaded release: first and last release, each change, termination, reuse."""
    from ._changes import history_text
    from ._codes import parse_code
    from ._json import to_json

    parse_code(code)
    with _open(ctx, readonly=True) as db:
        found = db.history(code)
    document = to_json(found)

    def rows() -> list[dict[str, Any]]:  # one row per field change, one for an event without any
        out = []
        for event in document["events"]:
            head = {"code": found.code, "release": event["release"], "effective_date": event["effective_date"],
                    "first": event["first"], "action": event["action"], "note": event.get("note")}
            out += [{**head, **change} for change in event["changes"]] or [head]
        return out

    emit(fmt, rows if fmt == "csv" else lambda: document["events"],
         table=lambda: click.echo(history_text(found), nl=False), document=lambda: document)


@cli.command()
@click.argument("old", metavar="FROM")
@click.argument("new", metavar="TO")
@output_options()
@click.option("--fields", help="Compare only these fields, comma-separated (coverage,pricing_indicator,...). "
              "Additions, discontinuations and re-activations are always listed.")
@click.option("--against-report", "report", is_flag=False, flag_value=_LOADED_REPORT, metavar="[FILE]",
              help="Compare with CMS's transaction report for TO: show where it and this diff agree and differ, "
              "and why. Alone, the report loaded with TO; or a file (.prn, .xlsx, or the release zip).")
@click.pass_context
@handles_errors
def diff(ctx: click.Context, old: str, new: str, fmt: str, fields: str | None, report: str | None) -> None:
    """List what changed from release FROM to release TO, classified with CMS's action codes.

    A added, D discontinued, R re-activated, C long description, S short description, B long
    description and an administrative field, F administrative field, P payment, T BETOS or type of
    service.
    """
    from . import _changes
    from ._json import to_json

    names = [f for f in fields.split(",") if f.strip()] if fields else None
    with _open(ctx, readonly=True) as db:
        found = db.diff(old, new, fields=names)
        if report is not None:
            if report != _LOADED_REPORT and not Path(report).exists():
                raise UsageError(f"--against-report {report}: no such file")
            comparison = db.compare_report(found, None if report == _LOADED_REPORT else Path(report))
            compared = to_json(comparison)
            emit(fmt, lambda: compared["differences"], document=lambda: compared,
                 table=lambda: click.echo(_changes.comparison_text(comparison), nl=False),
                 csv=lambda: _changes.comparison_csv(comparison))
            return
    emit(fmt, lambda: [to_json(c) for c in found.changes], document=lambda: to_json(found),
         table=lambda: click.echo(_changes.diff_text(found), nl=False), csv=lambda: _changes.diff_csv(found))


@cli.command()
@click.option("--base-url", metavar="URL", help="A mirror of www.cms.gov (the HCPCS pages under the same paths).")
@click.option("--from-dir", "from_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Offline: load the CMS zips in this folder that are not loaded yet; no network.")
@click.option("--dry-run", is_flag=True, help="List what would be fetched and loaded; change nothing.")
@click.option("--download-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where fetched zips are kept. Default: the hcpcs folder in your user cache.")
@click.option("--retries", type=click.IntRange(0, 10), default=4, show_default=True,
              help="Attempts after the first on a server error or a dropped connection (waits 1, 2, 4 ... s).")
@quiet_option
@click.pass_context
@handles_errors
def update(ctx: click.Context, base_url: str | None, from_dir: Path | None, dry_run: bool, download_dir: Path | None,
           retries: int, quiet: bool) -> None:
    """Find the releases and corrections CMS has published that are not loaded, download and load them.

    Reads CMS's HCPCS annual and quarterly-update pages, downloads each new zip (resuming an interrupted
    download, retrying server errors, checking the zip whole), records its sha256, and loads everything in
    one transaction. A second run downloads nothing.
    """
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    console = Console(stderr=True)
    with _open(ctx, readonly=False) as db:
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
        hidden = quiet or dry_run or not console.is_terminal
        with Progress(*columns, console=console, transient=True, disable=hidden) as bar:
            tasks: dict[str, Any] = {}

            def progress(name: str, done: int, total: int | None) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done, total=total)

            report = db.update(base_url=base_url, from_dir=from_dir, dry_run=dry_run, download_dir=download_dir,
                               progress=progress, retries=retries)
    if from_dir is None:
        click.echo(f"CMS lists {len(report.published)} zips; {len(report.wanted)} not loaded yet")
    for item in report.wanted:
        name = item.name if isinstance(item, Path) else f"{item.release_id} {item.kind}: {item.url}"
        click.echo(("would load " if dry_run else "new: ") + name)
    for d in report.downloaded:
        how = " (resumed)" if d.resumed else ""
        click.echo(f"downloaded {d.path.name}: {d.size:,} bytes, sha256 {d.sha256[:16]}{how}")
    if report.loaded is not None:
        for r in report.loaded.releases:
            click.echo(f"release {r.release_id}: {r.status} ({r.procedure_count:,} procedures, {r.modifier_count} "
                       "modifiers)")
        for release_id, count, status in report.loaded.corrections:
            click.echo(f"corrections to {release_id}: {count}, {status}")
    elif not report.wanted:
        click.echo("up to date: nothing to fetch")


@cli.command()
@click.argument("release")
@output_options()
@click.pass_context
@handles_errors
def corrections(ctx: click.Context, release: str, fmt: str) -> None:
    """List CMS's corrections to a release (load CMS's corrections zip first), in CMS's order."""
    from ._json import to_json

    with _open(ctx, readonly=True) as db:
        found = db.corrections(release)

    def table() -> None:
        from rich.console import Console
        from rich.markup import escape

        out = new_table("Code", "Action", "Effective", "New values", "Source",
                        title=f"{len(found)} corrections to {release}")
        for c in found:
            values = [v for v in (c.short_description, c.long_description) if v]
            values += [f"{k} {v}" for k, v in c.details.items()]
            out.add_row(c.code, escape(c.action), c.effective_date.isoformat() if c.effective_date else
                        c.effective_text, escape("; ".join(values)), f"{c.source}:{c.row}")
        Console().print(out)

    emit(fmt, lambda: [to_json(c) for c in found], table=table)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (one per core serves the most requests).")
@click.option("--db", "db_here", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The database file (the same as hcpcs --db).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A name the server answers to in the Host header, other requests get 400 (repeat for more; "
                   "*.example.org for a domain, * for any). Default: the --host, localhost, 127.0.0.1 and ::1.")
@click.option("--threads", type=click.IntRange(1, 256), default=4, show_default=True,
              help="Requests served at once per worker, each through a pooled read-only connection "
                   "(more threads than cores mostly wait for each other).")
@click.option("--request-timeout", type=click.FloatRange(0.1, 3600), default=10.0, show_default=True,
              help="Seconds a client has to send a whole request; slower ones get 408 and are dropped.")
@click.option("--max-header-bytes", type=click.IntRange(1024), default=64 * 1024, show_default=True,
              help="The request line and headers together; larger get 431.")
@click.option("--max-url-bytes", type=click.IntRange(256), default=16 * 1024, show_default=True,
              help="The path and query of a request; longer get 414.")
@click.option("--max-body-bytes", type=click.IntRange(0), default=1024 * 1024, show_default=True,
              help="A request body (only /mcp takes one); larger get 413.")
@click.pass_context
@handles_errors
def serve(ctx: click.Context, host: str, port: int, workers: int, db_here: Path | None,
          allowed_hosts: tuple[str, ...], threads: int, request_timeout: float, max_header_bytes: int,
          max_url_bytes: int, max_body_bytes: int) -> None:
    """Serve the JSON API (/api/, OpenAPI at /docs), web pages (/), FHIR terminology (/fhir/) and MCP (/mcp)."""
    import os

    import uvicorn

    from ._api import default_db_path
    from .web._limits import LIMITS_ENV, LimitedHttpTools, Limits, default_hosts

    if db_here is not None:
        ctx.obj["db"] = db_here
    path = Path(ctx.obj["db"]) if ctx.obj["db"] else default_db_path()
    if not path.exists():
        raise StoreError(f"no database at {path}: load releases first (hcpcs load PATH)")
    os.environ["HCPCS_DB"] = str(path.resolve())  # the workers open it by this
    with _open(ctx, readonly=True):
        pass  # a database that cannot be opened is an error here, not in every worker
    limits = Limits(max_header_bytes=max_header_bytes, max_url_bytes=max_url_bytes, max_body_bytes=max_body_bytes,
                    request_timeout=request_timeout, allowed_hosts=allowed_hosts or default_hosts(host),
                    threads=threads)
    os.environ[LIMITS_ENV] = limits.to_env()  # the workers read their limits from it
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {path} at http://{shown}:{port}/ (JSON API /docs, FHIR /fhir/metadata, MCP /mcp); "
               "Ctrl-C stops", err=True)
    uvicorn.run("hcpcs.web._serve:app", host=host, port=port, workers=workers, log_level="warning",
                access_log=False, http=LimitedHttpTools, server_header=False)


@cli.command("mcp")
@click.pass_context
@handles_errors
def mcp_command(ctx: click.Context) -> None:
    """Serve MCP over stdio for AI assistants: code lookup, search, history, diff, validation, releases.

    Register it with an assistant as the command `hcpcs mcp` (add --db PATH before mcp for another database);
    `hcpcs serve` serves the same over streamable HTTP at /mcp.
    """
    from .mcp_server import run_stdio

    with _open(ctx, readonly=True) as db:
        db.release()  # no releases loaded is an error here, not on the first call
        run_stdio(db)


@cli.group()
def export() -> None:
    """Write the code set in other formats."""


@export.command("fhir")
@click.option("--release", help="Release id (YYYY-MM). Default: the latest loaded.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write. Default: standard output.")
@click.pass_context
@handles_errors
def export_fhir(ctx: click.Context, release: str | None, output: Path | None) -> None:
    """Write the complete FHIR R4 CodeSystem resource of a release (every code, every decoded field)."""
    from . import fhir

    with _open(ctx.find_root(), readonly=True) as db:
        resource = fhir.code_system(db, version=release, complete=True)
    text = json.dumps(resource, indent=1, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    partial = output.with_name(output.name + ".part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(output)  # never a half-written file under the real name
    click.echo(f"wrote {output}: CodeSystem {resource['version']}, {len(resource['concept']):,} concepts", err=True)


@cli.command()
@click.argument("target", metavar="CODE|FILE")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="The date of service (one line).")
@click.option("--modifier", "modifiers", multiple=True, help="A modifier on the line (one line; repeat for more).")
@click.option("--with", "claim_codes", multiple=True, metavar="CODE",
              help="Another code on the same claim, for pair rules (one line; repeat for more).")
@click.option("--ndc", help="The drug package billed (one line): checked against CMS's NDC crosswalk.")
@click.option("--units", type=float, help="How many NDC packages (one line, with --ndc): gives the billing units.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Results file (.csv or .parquet) for a file of lines. Default: FILE-results.csv.")
@click.option("--code-column", default="code", show_default=True)
@click.option("--date-column", default="date", show_default=True)
@click.option("--claim-column", default="claim_id", show_default=True, help="Empty string: no claim ids.")
@click.option("--modifier-column", "modifier_columns", multiple=True,
              help="Column(s) holding modifiers (several per cell split on spaces or commas). Default: modifiers.")
@click.option("--ndc-column", default="ndc", show_default=True, help="The NDC column, checked where the file has it.")
@click.option("--units-column", default="units", show_default=True,
              help="How many NDC packages, where the file has it: gives each line's billing units.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True)
@click.option("--keep-order", is_flag=True, help="Write results in the input's order (a sort; every row carries "
              "its input line number either way).")
@click.option("--results-only", is_flag=True, help="Leave the input's claim id, code, date and modifiers out of the "
              "results file (line number and result only; faster on large files).")
@output_options()
@quiet_option
@click.pass_context
@handles_errors
def validate(ctx: click.Context, target: str, day: str | None, modifiers: tuple[str, ...],
             claim_codes: tuple[str, ...], ndc: str | None, units: float | None, output: Path | None, code_column: str,
             date_column: str, claim_column: str, modifier_columns: tuple[str, ...], ndc_column: str, units_column: str,
             engine: str, keep_order: bool, results_only: bool, fmt: str, quiet: bool) -> None:
    """Check claim lines: was the code (and each modifier) valid on the date of service?

    One line: hcpcs validate S9328 --date 2020-05-01 --modifier GA. A file (.csv or .parquet) of lines:
    hcpcs validate claims.csv -o results.parquet. Exit 0 when every line is valid, 1 when any is not.
    """
    path = Path(target)
    if path.suffix.lower() in (".csv", ".parquet", ".pq", ".tsv", ".txt"):
        if day or modifiers or claim_codes or ndc or units is not None:
            raise UsageError("--date, --modifier, --with, --ndc and --units are for one line; a file names them by "
                             "column")
        from ._engines import Columns

        columns = Columns(code_column, date_column, claim_column or None, modifier_columns or ("modifiers",),
                          ndc_column, units_column)
        _validate_file(ctx, path, output, columns, engine, keep_order, not results_only, fmt, quiet)
        return
    if not day:
        raise UsageError("give the date of service: --date YYYY-MM-DD")
    from ._validate import WARNINGS

    if units is not None and not ndc:
        raise UsageError("--units counts NDC packages: give --ndc too")
    if ndc is not None:
        from ._ndc import parse_ndc

        parse_ndc(ndc, "--ndc")
    with _open(ctx, readonly=True) as db:
        verdict = db.validate(target, day, modifiers=modifiers, claim_codes=claim_codes, ndc=ndc, units=units)

    def text() -> None:
        click.echo(verdict.status)
        for reason, message in zip(verdict.reasons, verdict.messages, strict=True):
            click.echo(f"  {reason}: {message}")
        for warning in verdict.warnings:
            click.echo(f"  warning: {warning}: {WARNINGS[warning]}")
        if verdict.billing_units is not None:
            click.echo(f"  billing units: {verdict.billing_units:g}")

    from ._json import to_json

    line = {"code": target.strip().upper(), "date": day, "modifiers": list(modifiers), **to_json(verdict)}
    emit(fmt, lambda: [line], document=lambda: line, table=text)
    if verdict.status != "valid":
        sys.exit(1)


def _validate_file(ctx: click.Context, path: Path, output: Path | None, columns: Columns, engine: str, ordered: bool,
                   echo: bool, fmt: str, quiet: bool) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

    target = output or path.with_name(path.stem + "-results.csv")
    console = Console(stderr=True)
    with _interrupts(f"validation stopped: nothing written to {target}"), _open(ctx, readonly=True) as db, \
            Progress(BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), console=console, transient=True,
                     disable=quiet or not console.is_terminal) as bar:
        task = bar.add_task("validating", total=100)
        summary = db.validate_file(path, target, engine=engine, columns=columns, ordered=ordered, echo=echo,
                                   progress=lambda done: bar.update(task, completed=done))

    def table() -> None:
        click.echo(f"{summary.lines:,} lines, {summary.valid:,} valid -> {target}")
        out = new_table("Reason or warning", "Lines", right=("Lines",))
        for name, count in summary.reasons.items():
            out.add_row(name, f"{count:,}")
        for name, count in summary.warnings.items():
            out.add_row(f"warning: {name}", f"{count:,}")
        Console().print(out)
        rate = summary.lines / summary.seconds if summary.seconds else 0
        click.echo(f"{summary.seconds:.2f} s, {rate:,.0f} lines/s")

    from ._json import to_json

    document = to_json(summary)
    counts = [{"kind": "reason", "name": k, "lines": n} for k, n in summary.reasons.items()]
    counts += [{"kind": "warning", "name": k, "lines": n} for k, n in summary.warnings.items()]
    emit(fmt, lambda: counts, document=lambda: document, table=table)
    if summary.valid != summary.lines:
        sys.exit(1)


@cli.command()
@click.option("--release", help="Release id (YYYY-MM). Default: every release.")
@output_options()
@click.pass_context
@handles_errors
def rules(ctx: click.Context, release: str | None, fmt: str) -> None:
    """List the pair rules mined from CMS's descriptions ("do not use this code with S9330 or S9331")."""
    with _open(ctx, readonly=True) as db:
        found = db.rules(release)

    def table() -> None:
        from rich.console import Console

        out = new_table("Release", "Code", "Not with", "CMS's words", title=f"{len(found)} pair rules")
        for row in found:
            out.add_row(*row)
        Console().print(out)

    emit(fmt, lambda: [{"release": r, "code": c, "other": o, "clause": t} for r, c, o, t in found], table=table)


def _split(values: tuple[str, ...]) -> list[str]:
    return [v for value in values for v in value.split(",") if v.strip()]


@cli.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--release", help="Release id (YYYY-MM). Default: the latest loaded.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Search the release in effect on this date.")
@click.option("--codes", metavar="E|J93|E0100-E0200", help="Only codes with this letter, prefix or in this range.")
@click.option("--coverage", multiple=True, metavar="CODE", help="Coverage code(s), e.g. --coverage I,M.")
@click.option("--betos", multiple=True, metavar="CODE", help="BETOS code(s), e.g. --betos D1E.")
@click.option("--pricing", "pricing", multiple=True, metavar="CODE", help="Pricing indicator(s), e.g. 13.")
@click.option("--tos", "type_of_service", multiple=True, metavar="CODE", help="Type of service code(s).")
@click.option("--noc", "noc_only", is_flag=True, help="Only codes in CMS's NOC list.")
@click.option("--include-terminated", is_flag=True, help="Also codes terminated in the release searched.")
@click.option("--labeler", metavar="NAME", help="Only codes with a drug product of this labeler (any part of its "
              "name) in CMS's NDC crosswalk.")
@output_options()
@click.pass_context
@handles_errors
def search(ctx: click.Context, words: tuple[str, ...], limit: int, offset: int, release: str | None, as_of: str | None,
           codes: str | None, coverage: tuple[str, ...], betos: tuple[str, ...], pricing: tuple[str, ...],
           type_of_service: tuple[str, ...], noc_only: bool, include_terminated: bool, labeler: str | None,
           fmt: str) -> None:
    """Search codes and descriptions: exact code first, then code prefixes (E04), then ranked text.

    Words are matched as typed, abbreviated (inj, hit), stemmed, by lay word (shot, brace) and, when a
    word matches nothing, by the nearest spelling. Every word must match; when too few codes match
    them all, codes matching some words follow. The words may come quoted or not: insulin pump.
    """
    from . import _results

    query = " ".join(words)

    with _open(ctx, readonly=True) as db:
        found = db.search(query, release=release, as_of=as_of, limit=limit, offset=offset, codes=codes,
                          coverage=_split(coverage), betos=_split(betos), pricing_indicator=_split(pricing),
                          type_of_service=_split(type_of_service), noc_only=noc_only,
                          include_terminated=include_terminated, labeler=labeler)
    from ._json import to_json

    emit(fmt, lambda: to_json(found)["hits"], document=lambda: to_json(found),
         table=lambda: _results.print_search_table(found), csv=lambda: _results.search_csv(found))


@cli.command()
@click.argument("release")
@output_options()
@click.pass_context
@handles_errors
def check(ctx: click.Context, release: str, fmt: str) -> None:
    """List where CMS's text file and spreadsheet of a release disagree, and the slips hcpcs mended."""
    from ._json import to_json

    with _open(ctx, readonly=True) as db:
        report = db.check(release)
    emit(fmt, lambda: [*({"kind": "disagreement", **to_json(d)} for d in report.disagreements),
                       *({"kind": "repair", **to_json(r)} for r in report.repairs)],
         document=lambda: to_json(report),
         table=lambda: _check_table(report))


def _check_table(report: Any) -> None:
    click.echo(f"Release {report.release_id}: {len(report.disagreements)} disagreements between the text file "
               f"(canonical) and the spreadsheet; {len(report.repairs)} repairs")
    for d in report.disagreements:
        click.echo(f"{d.code}\t{d.field}\ttext={d.text_value!r}\tspreadsheet={d.spreadsheet_value!r}")
    for r in report.repairs:
        click.echo(f"{r.code}\t{r.field}\trepaired: {r.reason}: {r.found} -> {r.read_as}")


def main() -> None:
    cli(obj={})
