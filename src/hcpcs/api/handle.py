"""The library facade: what the CLI, the web app and Python users call.

``Hcpcs`` is one handle on one database, built from parts kept in their own modules: the base (releases
and codes, ``_api_base``), loading and updating (``_api_load``), time travel (``_api_time``), search
(``_api_search``), claim-line validation (``_api_validate``) and CMS's drug files (``_api_drugs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .._paths import DEFAULT_DB_ENV, default_db_path
from ..model.identifiers import parse_day
from ..store import Store
from .drugs import Drugs
from .load import (
    CheckReport,
    LoadedRelease,
    Loading,
    LoadReport,
    LoadStatus,
    UpdateReport,
    default_download_dir,
)
from .search import MAX_OFFSET, Searching
from .time import TimeTravel, read_transaction_report
from .validate import Validating


class Hcpcs(Loading, TimeTravel, Searching, Validating, Drugs):
    """A handle on one hcpcs database. Use ``hcpcs.open()`` to get one."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        if not store.readonly and store.unindexed_releases():
            with store.transaction():  # a database from before search: index it once
                self._index()


def open(db: str | Path | None = None, *, readonly: bool = False) -> Hcpcs:
    """Open (creating if need be) the hcpcs database at ``db``, ``$HCPCS_DB`` or the default path."""
    path = Path(db).expanduser() if db is not None else default_db_path()
    return Hcpcs(Store(path, readonly=readonly))


__all__: Sequence[str] = (
    "DEFAULT_DB_ENV", "MAX_OFFSET", "CheckReport", "Hcpcs", "LoadReport", "LoadStatus", "LoadedRelease",
    "UpdateReport", "default_db_path", "default_download_dir", "open", "parse_day", "read_transaction_report",
)
