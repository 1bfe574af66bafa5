"""Finding the HCPCS files in what a user points at, and reading each for what it is.

Users hold CMS's releases as zips (renamed or not), as folders they unzipped, and as loose files; a
release zip carries beside its code file the processing notes, transaction report, NOC list, corrections
and record layout of that release. Each file's role is found from its name (``_names``) and, where the
name says nothing, from its content. Every file given is accounted for (``FileUse``): read for a role,
or skipped with the reason. A code file that cannot be read refuses the load; any other file that cannot
be fully understood is read as far as it can be, with a ``LoadWarning``. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath

from .._errors import InputError, LoadError
from ..model.records import (
    ReleaseData,
    Role,
    SourceFile,
)
from .members import Bundle, Member, ReadResult, roles_of
from .names import (
    release_named,
)
from .reading import Reading, has_codes
from .safe_read import read_file, zip_members


def gather(paths: Iterable[Path]) -> list[Bundle]:
    """Zips become one bundle each (a zip inside a zip too); loose files are grouped by the release their
    names give, else by the folder they are in (a release unzipped into a folder), else one a bundle."""
    bundles: list[Bundle] = []
    loose: dict[str, Bundle] = {}
    for path, shown, in_folder in _expand(paths):
        if path.suffix.lower() == ".zip":
            bundles.extend(_read_zip(shown, read_file(path, shown), in_folder))
            continue
        member = Member(shown, None, read_file(path, shown), in_folder)
        named = release_named(path.name) or (release_named(path.parent.name) if in_folder else None)
        key = named or f"file:{path}"
        loose.setdefault(key, Bundle(named or path.name)).members.append(member)
    return bundles + list(loose.values())




def read_all(paths: Iterable[Path], *, release: str | None = None, strict: bool = False,
             progress: Callable[[str], None] | None = None,
             on_release: Callable[[ReleaseData], None] | None = None) -> ReadResult:
    """Read everything given. ``strict``: a warning is an error (``LoadError``). ``on_release`` is given each
    release as soon as it is read, while the rest are still being read (a loader stores it meanwhile, in a
    transaction it rolls back if reading fails later)."""
    classified = [(bundle, roles_of(bundle)) for bundle in gather(paths)]
    if release is not None and sum(1 for _, roles in classified if has_codes(roles)) > 1:
        raise LoadError("--release names one release, but more than one release file was given")
    reading = Reading(strict)
    jobs = [(bundle, roles, release, strict) for bundle, roles in classified]
    seen: set[str] = set()
    read: dict[int, ReadResult] = {}
    for index, found in _read_bundles(jobs):  # as each is read
        if progress:
            progress(jobs[index][0].name)
        for data in found.releases:
            if data.release_id in seen:
                raise LoadError(f"more than one file given for release {data.release_id}: load them one at a time")
            seen.add(data.release_id)
            if on_release is not None:
                on_release(data)
        read[index] = found
    for index in range(len(jobs)):  # the summary in the order the files were given
        reading.merge(read[index])
    result = reading.finish()
    result.releases.sort(key=lambda r: r.effective_date)
    return result


_Job = tuple[Bundle, dict[Role | None, list[Member]], str | None, bool]


def _read_bundles(jobs: list[_Job]) -> Iterator[tuple[int, ReadResult]]:
    """Each bundle read on its own, with its index in ``jobs``, as it is done: in worker processes on a
    machine with more than one core (the readers are CPU-bound Python), else here, in order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    workers = min(len(jobs), len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from enumerate(map(_read_bundle, jobs))
        return
    # the largest bundles first, so that no core waits long at the end
    order = sorted(range(len(jobs)), key=lambda i: -sum(len(m.data) for m in jobs[i][0].members))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_die_with,
                               initargs=(os.getpid(),))
    try:
        futures = {pool.submit(_read_bundle, jobs[i]): i for i in order}
        for future in as_completed(futures):
            try:
                found = future.result()
            except BrokenProcessPool:  # killed, or out of memory: nothing is stored
                raise LoadError(f"the process reading {jobs[futures[future]][0].name} died; nothing was "
                                "loaded") from None
            yield futures[future], found
    finally:
        pool.shutdown(cancel_futures=True)  # on an error, read no further


def _die_with(parent: int) -> None:
    """A reader process ends with the load that started it, even one killed outright (``kill -9``): the
    forked workers hold both ends of their task pipe, so they would otherwise wait for work forever."""
    if sys.platform == "linux":
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the load died before this process could ask
        os._exit(1)


def _read_bundle(job: _Job) -> ReadResult:
    bundle, roles, release, strict = job
    reading = Reading(strict)
    reading.bundle(bundle, roles, release)
    return reading.result


























def _expand(paths: Iterable[Path]) -> list[tuple[Path, str, bool]]:
    """Every file given, and every file in the folders given (subfolders included): its path, its name in
    messages (with the subfolder it is in), and whether it was found in a folder. Hidden files and anything
    that is not a regular file (a FIFO, a device) are passed over."""
    out: list[tuple[Path, str, bool]] = []
    for path in paths:
        if path.is_dir():
            out.extend((p, p.relative_to(path).as_posix(), True) for p in sorted(path.rglob("*"))
                       if p.is_file() and not _hidden(p, path))
        elif path.exists():
            out.append((path, path.name, False))
        else:
            raise InputError(str(path), "no such file or folder")
    return out


def _hidden(path: Path, top: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in path.relative_to(top).parts)


def _read_zip(name: str, whole: bytes, in_folder: bool) -> list[Bundle]:
    """A zip's bundle, and one more for each zip inside it."""
    bundle = Bundle(name, is_zip=True)
    inner: list[Bundle] = []
    bundle.archive = SourceFile(name, "archive", hashlib.sha256(whole).hexdigest(), len(whole))
    for info, data in zip_members(whole, name):
        if PurePosixPath(info.filename).name.startswith(("~$", ".")) or "__MACOSX/" in info.filename:
            continue
        if info.filename.lower().endswith(".zip"):
            inner.extend(_read_zip(f"{name}:{info.filename}", data, in_folder))
        else:
            bundle.members.append(Member(name, info.filename, data, in_folder))
    if not bundle.members and not inner:
        raise InputError(name, "this zip is empty")
    return ([bundle] if bundle.members else []) + inner
