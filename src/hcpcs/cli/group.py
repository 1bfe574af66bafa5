"""The ``hcpcs`` command group and what every command shares: error handling, output forms, the database."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from .._errors import HcpcsError, NotFound, UsageError

if TYPE_CHECKING:
    pass



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
    from ..api.handle import open as open_db

    return open_db(ctx.obj["db"], readonly=readonly)


def output_options(*extra: str) -> Callable[[F], F]:
    """``--format`` of every read command: table (``text`` is the same), json, ndjson, csv, and the command's
    ``extra`` forms."""
    from ..render.forms import ALIASES, FORMATS

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
    from ..render import forms as _output

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
