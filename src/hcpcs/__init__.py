"""hcpcs: every CMS HCPCS Level II release, every field decoded, in one versioned SQLite file.

    >>> import hcpcs
    >>> db = hcpcs.open()                    # $HCPCS_DB, or the default database
    >>> code = db.get("S9328")               # the latest release; or release="2020-04"
    >>> code.coverage.meaning
    'Not payable by Medicare'
"""

import typing

from ._errors import (
    CodeError,
    HcpcsError,
    InputError,
    LoadError,
    NotFound,
    StoreError,
    UpdateError,
    UsageError,
)

if typing.TYPE_CHECKING:
    from .api.handle import CheckReport, Hcpcs, LoadedRelease, LoadReport, UpdateReport, default_db_path, open
    from .api.report import ReportComparison, ReportDifference
    from .model.answers import (
        Code,
        CodeChange,
        Coded,
        Diff,
        FieldChange,
        History,
        HistoryEvent,
        RelatedCode,
        Release,
        SearchResult,
    )
    from .model.records import (
        Correction,
        Disagreement,
        FileUse,
        LoadWarning,
        Repair,
        ReportEntry,
        SourceFile,
        TransactionReport,
    )
    from .validate.engines import Columns, Summary
    from .validate.lines import Verdict

#: Where each name is defined: imported on first use, so that a command needing little starts quickly.
_LAZY = {
    **dict.fromkeys(("CheckReport", "Hcpcs", "LoadedRelease", "LoadReport", "UpdateReport", "default_db_path", "open"),
                   "api.handle"),
    **dict.fromkeys(("Columns", "Summary"), "validate.engines"),
    "Verdict": "validate.lines",
    **dict.fromkeys(("Code", "CodeChange", "Coded", "Diff", "FieldChange", "History", "HistoryEvent", "RelatedCode",
                     "Release", "SearchResult"), "model.answers"),
    **dict.fromkeys(("Correction", "Disagreement", "FileUse", "LoadWarning", "Repair", "ReportEntry", "SourceFile",
                     "TransactionReport"), "model.records"),
    **dict.fromkeys(("ReportComparison", "ReportDifference"), "api.report"),
}


def __getattr__(name: str) -> typing.Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hcpcs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"

__all__ = [
    "CheckReport",
    "Code",
    "CodeChange",
    "CodeError",
    "Coded",
    "Columns",
    "Correction",
    "Diff",
    "Disagreement",
    "FieldChange",
    "FileUse",
    "Hcpcs",
    "HcpcsError",
    "History",
    "HistoryEvent",
    "InputError",
    "LoadError",
    "LoadReport",
    "LoadWarning",
    "LoadedRelease",
    "NotFound",
    "RelatedCode",
    "Release",
    "Repair",
    "ReportComparison",
    "ReportDifference",
    "ReportEntry",
    "SearchResult",
    "SourceFile",
    "StoreError",
    "Summary",
    "TransactionReport",
    "UpdateError",
    "UpdateReport",
    "UsageError",
    "Verdict",
    "__version__",
    "default_db_path",
    "open",
]
