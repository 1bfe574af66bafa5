"""Commands that serve the database to other programs: ``serve`` (web, JSON API, FHIR), ``mcp``, ``export``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._errors import StoreError

if TYPE_CHECKING:
    pass

from .group import _open, cli, handles_errors


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

    import uvicorn

    from ..api.handle import default_db_path
    from ..web._limits import LIMITS_ENV, LimitedHttpTools, Limits, default_hosts

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
    from ..mcp_server import run_stdio

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
    from .. import fhir

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
