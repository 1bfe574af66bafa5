"""Exceptions raised by hcpcs.

    HcpcsError                 every error this package raises on purpose
    ├── InputError             a CMS file we cannot read: names the file, and the line, row or field
    ├── LoadError              a load that was refused (a conflicting release, nothing to load)
    ├── UsageError             a request that cannot be answered as asked (a bad date, unknown field)
    │   ├── CodeError          a code that is malformed or out of scope (CPT, CDT)
    │   └── NdcError           text that is no NDC in any of its forms (defined in ``hcpcs.model.identifiers``)
    ├── NotFound               a code or release that is not in the database
    ├── StoreError             a database file that is missing, not ours, or too new
    ├── UpdateError            a CMS page or zip that could not be fetched, or a download cut short
    └── FhirError              a FHIR request that cannot be answered (carries its HTTP status and
                               OperationOutcome issue code; defined in ``hcpcs.fhir``)

Every message is one line, fit to print after ``Error:``.
"""

from __future__ import annotations

from typing import Any


class HcpcsError(Exception):
    """Base class of every error hcpcs raises on purpose."""


class InputError(HcpcsError, ValueError):
    """A CMS release file that cannot be read as what it claims to be."""

    def __init__(self, source: str, message: str, *, line: int | None = None, row: int | None = None,
                 field: str | None = None) -> None:
        self.source, self.line, self.row, self.field = source, line, row, field
        self.reason = message
        where = source
        if line is not None:
            where += f", line {line}"
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:  # across processes: rebuilt from its parts, not its message
        return (_input_error, (self.source, self.reason, self.line, self.row, self.field))


def _input_error(source: str, message: str, line: int | None, row: int | None, field: str | None) -> InputError:
    return InputError(source, message, line=line, row=row, field=field)


class LoadError(HcpcsError):
    """A load that was refused; the database is unchanged."""


class UsageError(HcpcsError, ValueError):
    """A request that is malformed: a bad date, an unknown field name, conflicting options."""


class CodeError(UsageError):
    """A code that is malformed, or not a Level II code."""


class NotFound(HcpcsError, LookupError):
    """A code or release that is not in the database."""

    def __init__(self, message: str, *, suggestions: tuple[str, ...] = ()) -> None:
        self.suggestions = suggestions
        super().__init__(message)


class StoreError(HcpcsError):
    """The database file cannot be used."""


class UpdateError(HcpcsError):
    """A page or file that could not be fetched, or a download that is not a whole zip."""
