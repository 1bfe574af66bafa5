"""The ``hcpcs`` command: parses arguments, calls the library, formats output. No SQL here.

Its commands live in the modules beside this one, by what they do; importing them adds them to the group.
"""

from __future__ import annotations

from . import loading, lookup, serving, validating  # noqa: F401 - each adds its commands to the group
from .group import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(obj={})
