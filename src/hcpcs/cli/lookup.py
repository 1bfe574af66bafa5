"""Commands that read the database: ``releases``, ``quarters``, ``show``, ``ndc``, ``history``, ``diff``,
``corrections``, ``rules``, ``search``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._errors import UsageError
from ..render.forms import new_table

if TYPE_CHECKING:
    pass

from .group import _LOADED_REPORT, _open, cli, emit, handles_errors, output_options


@cli.command()
@output_options()
@click.pass_context
@handles_errors
def releases(ctx: click.Context, fmt: str) -> None:
    """List the loaded releases, with their source files (as text, the drug files' quarters after them)."""
    from ..render.serialize import to_json

    with _open(ctx, readonly=True) as db:
        found = db.releases()
        quarters = db.drug_quarters() if fmt == "table" else []

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
        if quarters:
            click.echo("\nDrug files (hcpcs quarters):\n" + _quarters_text(quarters))

    from ..render.forms import csv_text

    emit(fmt, lambda: [to_json(r) for r in found], table=table, csv=lambda: csv_text(rows()))


@cli.command()
@output_options()
@click.pass_context
@handles_errors
def quarters(ctx: click.Context, fmt: str) -> None:
    """List the loaded quarters of CMS's drug files (NDC crosswalk, payment limits): effective period, source
    file, sha256 and rows."""
    from ..render.serialize import to_json

    with _open(ctx, readonly=True) as db:
        found = db.drug_quarters()

    def table() -> None:
        click.echo(_quarters_text(found) if found else "no drug files loaded: load CMS's ASP NDC-HCPCS crosswalk "
                   "and pricing files with hcpcs load PATH")

    emit(fmt, lambda: [to_json(q) for q in found], table=table)


#: A drug file's kind in words.
KIND_WORDS = {"ndc_crosswalk": "NDC crosswalk", "payment_limits": "payment limits"}


def _quarters_text(found: list[Any]) -> str:
    """Drug quarters as text within 80 columns: a line each (kind, quarter, effective period, rows, the start of
    its sha256), its source file on the next, indented (CMS's file names are long)."""
    return "\n".join(f"{KIND_WORDS.get(q.kind, q.kind):<15} {q.quarter:<8} {q.period:<25} {q.rows:>7,} rows  "
                     f"{q.sha256[:12]}\n  {q.source}" for q in found)


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
    from ..api.handle import parse_day
    from ..model.identifiers import parse_code
    from ..render.code_page import render

    parse_code(code)  # a malformed code is a usage error before any database is opened
    if as_of is not None:
        parse_day(as_of, "--as-of")
        if release is not None:
            raise UsageError("give --release or --as-of, not both")
    from ..render.code_page import page_lines
    from ..render.serialize import to_json

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
    from .._paths import default_db_path
    from ..api.drug_files import ndc_answer
    from ..model.identifiers import parse_day, parse_ndc
    from ..render.ndc_page import ndc_text
    from ..store import Store

    parse_ndc(ndc)  # a malformed NDC is a usage error before any database is opened
    day = parse_day(as_of, "--as-of") if as_of is not None else None
    # the store alone, not the whole library: the answer is a few rows of one table
    store = Store(Path(ctx.obj["db"]).expanduser() if ctx.obj["db"] else default_db_path(), readonly=True)
    try:
        found = ndc_answer(store, ndc, day)
    finally:
        store.close()
    from ..render.serialize import to_json

    emit(fmt, lambda: [{"ndc": found.ndc, **to_json(p)} for p in found.products],
         document=lambda: to_json(found), table=lambda: click.echo(ndc_text(found), nl=False))


@cli.command()
@click.argument("code")
@output_options()
@click.pass_context
@handles_errors
def history(ctx: click.Context, code: str, fmt: str) -> None:
    """Show a code across every loaded release: first and last release, each change, termination, reuse."""
    from ..model.identifiers import parse_code
    from ..render.changes import history_text
    from ..render.serialize import to_json

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
    from ..render import changes as _changes
    from ..render.serialize import to_json

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
@click.argument("release")
@output_options()
@click.pass_context
@handles_errors
def corrections(ctx: click.Context, release: str, fmt: str) -> None:
    """List CMS's corrections to a release (load CMS's corrections zip first), in CMS's order."""
    from ..render.serialize import to_json

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
    from ..render import results as _results

    query = " ".join(words)

    with _open(ctx, readonly=True) as db:
        found = db.search(query, release=release, as_of=as_of, limit=limit, offset=offset, codes=codes,
                          coverage=_split(coverage), betos=_split(betos), pricing_indicator=_split(pricing),
                          type_of_service=_split(type_of_service), noc_only=noc_only,
                          include_terminated=include_terminated, labeler=labeler)
    from ..render.serialize import to_json

    emit(fmt, lambda: to_json(found)["hits"], document=lambda: to_json(found),
         table=lambda: _results.print_search_table(found), csv=lambda: _results.search_csv(found))
