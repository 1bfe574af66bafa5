"""Commands that put CMS's files into the database (``load``, ``update``, ``migrate``) and ``check`` what was
loaded."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..render.forms import new_table

if TYPE_CHECKING:
    from ..model.records import FileUse

from .group import _open, cli, emit, handles_errors, output_options, quiet_option


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
@click.pass_context
@handles_errors
def migrate(ctx: click.Context) -> None:
    """Upgrade the database to this version's schema (a load does it too; read-only commands refuse an older
    database). All steps run in one transaction: readers see the file as it was or as it is now."""
    from .._paths import default_db_path
    from ..store import SCHEMA_VERSION, file_schema

    path = Path(ctx.obj["db"]).expanduser() if ctx.obj["db"] else default_db_path()
    before = file_schema(path)
    with _open(ctx, readonly=False):
        pass
    said = "already at" if before == SCHEMA_VERSION else f"upgraded from schema {before} to"
    click.echo(f"{path}: {said} schema {SCHEMA_VERSION}")


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
def check(ctx: click.Context, release: str, fmt: str) -> None:
    """List where CMS's text file and spreadsheet of a release disagree, and the slips hcpcs mended."""
    from ..render.serialize import to_json

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
