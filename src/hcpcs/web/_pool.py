"""The web app's read-only database handles: a pool shared by the threads that serve requests, and the data
version every cache of the app is keyed by."""

from __future__ import annotations

import threading
from pathlib import Path

from ..api.handle import Hcpcs
from ..api.handle import open as open_db


class Handles:
    """Read-only handles lent to threads: a thread keeps its handle while it lives (SQLite connections are not
    shared between threads at once) and gives it back to the pool when it ends, so a worker holds no more
    handles than it ever ran threads at the same time (the app bounds those), not one per thread it ever ran.

    Each time a thread takes its handle, the handle looks at the data version, so its own caches (the search
    vocabulary, record layouts) are dropped once another process has loaded into the database."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._free: list[Hcpcs] = []
        self._lock = threading.Lock()
        self._local = threading.local()
        self._watch = open_db(path, readonly=True)  # fails now, not on the first request, when there is no database

    def get(self) -> Hcpcs:
        """This thread's handle, up to date with the database."""
        lease: _Lease | None = getattr(self._local, "lease", None)
        if lease is None:
            with self._lock:
                handle = self._free.pop() if self._free else None
            lease = self._local.lease = _Lease(self, handle or open_db(self.path, readonly=True))
        lease.handle.data_version()  # drops the handle's caches after a load by another process
        return lease.handle

    def version(self) -> int:
        """The data version: a number that changes whenever a load commits to the database."""
        with self._lock:
            return self._watch.data_version()

    def give_back(self, handle: Hcpcs) -> None:
        with self._lock:
            self._free.append(handle)


class _Lease:
    """A handle lent to one thread; given back to the pool when the thread ends (and its locals go)."""

    def __init__(self, pool: Handles, handle: Hcpcs) -> None:
        self.pool = pool
        self.handle = handle

    def __del__(self) -> None:
        self.pool.give_back(self.handle)
