"""Finding and downloading CMS's published releases: the network side of ``hcpcs update``.

CMS lists its HCPCS files on two pages (annual and quarterly), each linking zips such as
``2021-alpha-numeric-hcpcs-file.zip``, ``october-2020-alpha-numeric-hcpcs-file.zip`` or ``*-files.zip``,
directly or from one page per release. Downloads resume where they stopped (HTTP ranges), are retried
with backoff on server errors and dropped connections, and a zip is checked whole before anything is
loaded. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import re
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from .._errors import UpdateError
from ..readers.names import release_named

DEFAULT_BASE_URL = "https://www.cms.gov"
PAGES = (
    "/Medicare/Coding/HCPCSReleaseCodeSets/Alpha-Numeric-HCPCS",
    "/Medicare/Coding/HCPCSReleaseCodeSets/HCPCS-Quarterly-Update",
)
_ZIP = re.compile(r"(?i)(alpha-?numeric-hcpcs-files?|-files|corrections)\.zip$")
_SUBPAGE = re.compile(r"(?i)/Medicare/Coding/HCPCSReleaseCodeSets/.*(Alpha-Numeric|Quarterly|HCPCS-File)")
_CHUNK = 1 << 16
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class Published:
    """A zip CMS links: its URL, file name, the release it is for, and what it holds."""

    url: str
    name: str
    release_id: str | None
    kind: Literal["release", "corrections"]


@dataclass(frozen=True, slots=True)
class Downloaded:
    path: Path
    sha256: str
    size: int
    requests: int
    resumed: bool


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def links(html: str, base: str) -> list[str]:
    """Every link of a page, made absolute."""
    parser = _Links()
    parser.feed(html)
    return [urljoin(base, href.strip()) for href in parser.hrefs]


def published(url: str) -> Published | None:
    name = unquote(PurePosixPath(urlsplit(url).path).name)
    if not _ZIP.search(name):
        return None
    return Published(url, name, release_named(name), "corrections" if "correction" in name.lower() else "release")


class Fetcher:
    """HTTP with retries: ``retries`` attempts after the first, waiting ``backoff`` seconds, doubled each time."""

    def __init__(self, client: httpx.Client, *, retries: int = 4, backoff: float = 1.0) -> None:
        self.client, self.retries, self.backoff = client, retries, backoff

    def page(self, url: str) -> str:
        for attempt in self._attempts(url):
            try:
                response = self.client.get(url)
            except httpx.TransportError as exc:
                attempt.failed(f"{type(exc).__name__}: {exc}")
                continue
            if _failed(response, attempt, url):
                continue
            return response.text
        raise AssertionError("unreachable")

    def download(self, url: str, target: Path, progress: Progress | None = None) -> Downloaded:
        """Fetch ``url`` into ``target`` through ``target.part``, resuming a part left by an earlier try."""
        part = target.with_name(target.name + ".part")
        requests = 0
        resumed = False
        for attempt in self._attempts(url):
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            requests += 1
            try:
                with self.client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 416:  # the part is already whole, or the file changed
                        part.unlink()
                        attempt.failed("HTTP 416: starting again")
                        continue
                    if _failed(response, attempt, url):
                        continue
                    appending = response.status_code == 206 and have > 0
                    resumed = resumed or appending
                    total = _total(response, have if appending else 0)
                    with part.open("ab" if appending else "wb") as out:
                        done = have if appending else 0
                        for chunk in response.iter_bytes(_CHUNK):
                            out.write(chunk)
                            done += len(chunk)
                            if progress:
                                progress(target.name, done, total)
                    if total is not None and done < total:
                        attempt.failed(f"connection closed at {done} of {total} bytes")
                        continue
            except httpx.TransportError as exc:
                attempt.failed(f"{type(exc).__name__}: {exc}")
                continue
            check_zip(part, target.name)
            part.replace(target)
            data = target.read_bytes()
            return Downloaded(target, hashlib.sha256(data).hexdigest(), len(data), requests, resumed)
        raise AssertionError("unreachable")

    def _attempts(self, url: str) -> Iterable[_Attempt]:
        last = _Attempt()
        for number in range(self.retries + 1):
            if number:
                time.sleep(self.backoff * 2 ** (number - 1))
            last = _Attempt()
            yield last
            if not last.error:
                return
        raise UpdateError(f"GET {url} failed {self.retries + 1} times; last: {last.error}")


class _Attempt:
    def __init__(self) -> None:
        self.error = ""

    def failed(self, why: str) -> None:
        self.error = why


def _failed(response: httpx.Response, attempt: _Attempt, url: str) -> bool:
    """True for a server error worth another try; a client error (404 ...) ends the update."""
    if response.status_code >= 500:
        attempt.failed(f"HTTP {response.status_code}")
        return True
    if response.status_code >= 400:
        raise UpdateError(f"GET {url}: HTTP {response.status_code}")
    return False


def _total(response: httpx.Response, already: int) -> int | None:
    length = response.headers.get("content-length")
    return already + int(length) if length and length.isdigit() else None


def check_zip(path: Path, name: str) -> None:
    """Raise ``UpdateError`` (and delete the file) unless it is a whole, readable zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        path.unlink(missing_ok=True)
        raise UpdateError(f"{name}: downloaded file is not a readable zip ({exc}); nothing loaded") from None
    if broken is not None:
        path.unlink(missing_ok=True)
        raise UpdateError(f"{name}: member {broken} of the downloaded zip is damaged (CRC); nothing loaded")


def discover(fetcher: Fetcher, base_url: str, pages: Iterable[str] = PAGES) -> list[Published]:
    """Every release and corrections zip linked from CMS's pages, or from the pages they link to."""
    found: dict[str, Published] = {}
    visited: set[str] = set()
    queue = [(urljoin(base_url.rstrip("/") + "/", page.lstrip("/")), 0) for page in pages]
    host = urlsplit(base_url).netloc
    while queue:
        url, depth = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        for link in links(fetcher.page(url), url):
            item = published(link)
            if item is not None:
                found.setdefault(item.url, item)
            elif depth == 0 and urlsplit(link).netloc == host and _SUBPAGE.search(urlsplit(link).path):
                queue.append((link.split("#")[0], 1))
    return sorted(found.values(), key=lambda p: (p.release_id or "", p.kind, p.name))
