"""hcpcs: every CMS HCPCS Level II release, every field decoded, in one versioned SQLite file.

    >>> import hcpcs
    >>> db = hcpcs.open()                    # $HCPCS_DB, or the default database
    >>> code = db.get("S9328")               # the latest release; or release="2020-04"
    >>> code.coverage.meaning
    'Not payable by Medicare'
"""

from ._api import CheckReport, Hcpcs, LoadedRelease, LoadReport, default_db_path, open
from ._errors import CodeError, HcpcsError, InputError, LoadError, NotFound, StoreError, UsageError
from ._models import (
    Code,
    CodeChange,
    Coded,
    Diff,
    FieldChange,
    FileUse,
    History,
    HistoryEvent,
    LoadWarning,
    RelatedCode,
    Release,
    ReportEntry,
    SourceFile,
    TransactionReport,
)
from ._report import ReportComparison, ReportDifference

__version__ = "0.1.0"

__all__ = [
    "CheckReport",
    "Code",
    "CodeChange",
    "CodeError",
    "Coded",
    "Diff",
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
    "ReportComparison",
    "ReportDifference",
    "ReportEntry",
    "SourceFile",
    "StoreError",
    "TransactionReport",
    "UsageError",
    "__version__",
    "default_db_path",
    "open",
]
