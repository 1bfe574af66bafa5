"""``hcpcs validate``: one claim line, or a file of them with DuckDB or Spark."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._errors import UsageError
from ..render.forms import new_table

if TYPE_CHECKING:
    from ..validate.engines import Columns

from .group import _interrupts, _open, cli, emit, handles_errors, output_options, quiet_option


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
        from ..validate.engines import Columns

        columns = Columns(code_column, date_column, claim_column or None, modifier_columns or ("modifiers",),
                          ndc_column, units_column)
        _validate_file(ctx, path, output, columns, engine, keep_order, not results_only, fmt, quiet)
        return
    if not day:
        raise UsageError("give the date of service: --date YYYY-MM-DD")
    from ..validate.lines import WARNINGS

    if units is not None and not ndc:
        raise UsageError("--units counts NDC packages: give --ndc too")
    if ndc is not None:
        from ..model.identifiers import parse_ndc

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

    from ..render.serialize import to_json

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

    from ..render.serialize import to_json

    document = to_json(summary)
    counts = [{"kind": "reason", "name": k, "lines": n} for k, n in summary.reasons.items()]
    counts += [{"kind": "warning", "name": k, "lines": n} for k, n in summary.warnings.items()]
    emit(fmt, lambda: counts, document=lambda: document, table=table)
    if summary.valid != summary.lines:
        sys.exit(1)
