"""hcpcs: every CMS HCPCS Level II release, every field decoded, in one versioned SQLite file.

    >>> import hcpcs
    >>> db = hcpcs.open()                    # $HCPCS_DB, or the default database
    >>> code = db.get("S9328")               # the latest release; or release="2020-04"
    >>> code.coverage.meaning
    'Not payable by Medicare'
"""

from ._api import CheckReport, Hcpcs, LoadedRelease, LoadReport, default_db_path, open
from ._errors import CodeError, HcpcsError, InputError, LoadError, NotFound, StoreError
from ._models import Code, Coded, RelatedCode, Release, SourceFile

__version__ = "0.1.0"

__all__ = [
    "CheckReport",
    "Code",
    "CodeError",
    "Coded",
    "Hcpcs",
    "HcpcsError",
    "InputError",
    "LoadError",
    "LoadReport",
    "LoadedRelease",
    "NotFound",
    "RelatedCode",
    "Release",
    "SourceFile",
    "StoreError",
    "__version__",
    "default_db_path",
    "open",
]
