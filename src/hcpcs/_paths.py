"""Where the database is: ``$HCPCS_DB``, else the user data folder (read by commands before any import of
the facade, to start quickly)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_ENV = "HCPCS_DB"


def default_db_path() -> Path:
    """``$HCPCS_DB``, else ``hcpcs.sqlite`` in the user data directory of this platform."""
    env = os.environ.get(DEFAULT_DB_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("hcpcs", appauthor=False) / "hcpcs.sqlite"
