"""hcpcs update against an HTTP server on 127.0.0.1 that serves pages linking the way CMS's pages do,
and the zips from ../shared: discovery, download, resume, retries, corrupt zips, offline use."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

import hcpcs
from hcpcs._errors import UpdateError
from hcpcs.cli import cli

from .conftest import CMS, db_digest

ANNUAL_PAGE = "/Medicare/Coding/HCPCSReleaseCodeSets/Alpha-Numeric-HCPCS"
QUARTERLY_PAGE = "/Medicare/Coding/HCPCSReleaseCodeSets/HCPCS-Quarterly-Update"


@dataclass
class Site:
    """What the server serves (path -> bytes) and the faults it injects."""

    files: dict[str, bytes] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)  # path -> how many 503s before answering
    cut: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before the first reply breaks off
    log: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""

    def gets(self, suffix: str) -> list[str | None]:
        return [r for p, r in self.log if p.endswith(suffix)]


def page(*hrefs: str) -> bytes:
    items = "\n".join(f'<li><a href="{h}">{h.rsplit("/", 1)[-1]}</a></li>' for h in hrefs)
    return f"<!doctype html><html><body><h1>HCPCS</h1><ul>{items}</ul></body></html>".encode()


def quarterly_zip(folder: Path, month: str, stem: str) -> bytes:
    path = folder / f"{month}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(CMS / f"{stem}-anweb.xlsx", "anweb.xlsx")
        archive.write(CMS / f"{stem}-trans-alpha.xlsx", "trans-alpha.xlsx")
    return path.read_bytes()


def cms_like_site(folder: Path, *, annual: tuple[int, ...] = (2018, 2019, 2020), quarterly: bool = True,
                  corrections: bool = True) -> Site:
    """Pages shaped like CMS's: the annual page links one page per year, which links the zip; the
    quarterly page links its zips directly; both carry links that are not release files."""
    site = Site()
    year_pages = []
    for year in annual:
        item = f"/Medicare/Coding/HCPCSReleaseCodeSets/Alpha-Numeric-HCPCS-Items/{year}-Alpha-Numeric-HCPCS-File"
        zip_path = f"/files/zip/{year}-alpha-numeric-hcpcs-file.zip"
        site.files[item] = page(zip_path, "/files/document/readme.pdf")
        site.files[zip_path] = (CMS / f"{year}-Alpha-Numeric-HCPCS-File.zip").read_bytes()
        year_pages.append(item)
    fixes = []
    if corrections:
        for year in (2018, 2019):
            path = f"/files/zip/{year}-hcpcs-alpha-numeric-corrections.zip"
            site.files[path] = (CMS / f"{year}-HCPCS-Alpha-Numeric-Corrections.zip").read_bytes()
            fixes.append(path)
    site.files[ANNUAL_PAGE] = page(*year_pages, *fixes, "https://www.hhs.gov/", "/about-cms")
    zips = []
    if quarterly:
        for month, stem in (("april-2020", "2020-04"), ("october-2020", "2020-10")):
            path = f"/files/zip/{month}-alpha-numeric-hcpcs-file.zip"
            site.files[path] = quarterly_zip(folder, month, stem)
            zips.append(path)
    site.files[QUARTERLY_PAGE] = page(*zips, "/files/document/2020-hcpcs-quarterly-notes.pdf")
    return site


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[ThreadingHTTPServer] = []

    def start(site: Site) -> Site:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                wanted = self.headers.get("Range")
                site.log.append((path, wanted))
                if site.fail.get(path, 0) > 0:
                    site.fail[path] -= 1
                    self.send_error(503, "Service Unavailable")
                    return
                body = site.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                if wanted and wanted.startswith("bytes="):
                    start = int(wanted[6:].split("-")[0])
                    if start >= len(body):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                cut = site.cut.pop(path, None)
                if cut is not None:
                    self.wfile.write(body[start:start + cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body[start:])

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        site.url = f"http://127.0.0.1:{server.server_address[1]}"
        return site

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_fresh_database_then_update_loads_every_release_and_a_second_update_fetches_nothing(
        serve: object, tmp_path: Path) -> None:
    site = serve(cms_like_site(tmp_path))  # type: ignore[operator]
    db_path = tmp_path / "hcpcs.sqlite"
    with hcpcs.open(db_path) as db:
        report = db.update(base_url=site.url, download_dir=tmp_path / "dl", backoff=0.01)
        assert [r.id for r in db.releases()] == ["2018-01", "2019-01", "2020-01", "2020-04", "2020-10"]
        assert {p.release_id for p in report.published if p.kind == "corrections"} == {"2018-01", "2019-01"}
        assert len(report.downloaded) == 7 and all(len(d.sha256) == 64 for d in report.downloaded)
        stored = {f.name: f.sha256 for r in db.releases() for f in r.files if f.role == "archive"}
        for d in report.downloaded:
            if "corrections" not in d.path.name:
                assert stored[d.path.name] == d.sha256  # the zip's own sha256 is kept with the release
        assert db.corrections("2019")[0].code == "A5513"
        zips_before = [p for p, _ in site.log if p.endswith(".zip")]
        again = db.update(base_url=site.url, download_dir=tmp_path / "dl", backoff=0.01)
        assert again.wanted == [] and again.downloaded == [] and again.loaded is None
        assert [p for p, _ in site.log if p.endswith(".zip")] == zips_before  # nothing downloaded


def test_interrupted_download_resumes_with_a_range_request(serve: object, tmp_path: Path) -> None:
    site = cms_like_site(tmp_path, annual=(2020,), quarterly=False, corrections=False)
    target = "/files/zip/2020-alpha-numeric-hcpcs-file.zip"
    site.cut[target] = 1_000_000
    serve(site)  # type: ignore[operator]
    with hcpcs.open(tmp_path / "hcpcs.sqlite") as db:
        report = db.update(base_url=site.url, download_dir=tmp_path / "dl", backoff=0.01)
        assert [r.id for r in db.releases()] == ["2020-01"]
    (download,) = report.downloaded
    assert download.resumed and download.requests == 2
    first, second = site.gets(".zip")
    assert first is None and second is not None and second.startswith("bytes=")
    assert 0 < int(second[6:-1]) <= 1_000_000  # it asks for the rest of what it had written
    assert download.size == len(site.files[target])


def test_corrupt_zip_is_rejected_and_nothing_is_loaded(serve: object, tmp_path: Path) -> None:
    site = cms_like_site(tmp_path, annual=(2019, 2020), quarterly=False, corrections=False)
    broken = bytearray(site.files["/files/zip/2020-alpha-numeric-hcpcs-file.zip"])
    broken[len(broken) // 3: len(broken) // 3 + 64] = b"\x00" * 64
    site.files["/files/zip/2020-alpha-numeric-hcpcs-file.zip"] = bytes(broken)
    serve(site)  # type: ignore[operator]
    db_path = tmp_path / "hcpcs.sqlite"
    hcpcs.open(db_path).close()
    before = db_digest(db_path)
    with hcpcs.open(db_path) as db, pytest.raises(UpdateError,
                                                  match=r"^2020-alpha-numeric-hcpcs-file\.zip: .*nothing loaded"):
        db.update(base_url=site.url, download_dir=tmp_path / "dl", backoff=0.01)
    assert db_digest(db_path) == before
    assert not (tmp_path / "dl" / "2020-alpha-numeric-hcpcs-file.zip").exists()


def test_server_errors_are_retried_then_fail_with_a_clear_message(serve: object, tmp_path: Path) -> None:
    site = cms_like_site(tmp_path, annual=(2020,), quarterly=False, corrections=False)
    site.fail[QUARTERLY_PAGE] = 99
    serve(site)  # type: ignore[operator]
    with hcpcs.open(tmp_path / "hcpcs.sqlite") as db, pytest.raises(
            UpdateError, match=rf"^GET {site.url}{QUARTERLY_PAGE} failed 3 times; last: HTTP 503$"):
        db.update(base_url=site.url, download_dir=tmp_path / "dl", retries=2, backoff=0.01)
    assert site.gets(QUARTERLY_PAGE) == [None, None, None]


def test_a_server_error_that_passes_is_retried_to_success(serve: object, tmp_path: Path) -> None:
    site = cms_like_site(tmp_path, annual=(2020,), quarterly=False, corrections=False)
    site.fail["/files/zip/2020-alpha-numeric-hcpcs-file.zip"] = 2
    serve(site)  # type: ignore[operator]
    with hcpcs.open(tmp_path / "hcpcs.sqlite") as db:
        report = db.update(base_url=site.url, download_dir=tmp_path / "dl", backoff=0.01)
        assert [r.id for r in db.releases()] == ["2020-01"] and report.downloaded[0].requests == 3


def test_dry_run_lists_and_changes_nothing(serve: object, tmp_path: Path) -> None:
    site = serve(cms_like_site(tmp_path, annual=(2019, 2020)))  # type: ignore[operator]
    db_path = tmp_path / "hcpcs.sqlite"
    with hcpcs.open(db_path) as db:
        db.load([CMS / "2019-Alpha-Numeric-HCPCS-File.zip"])
        before = db_digest(db_path)
        report = db.update(base_url=site.url, dry_run=True, download_dir=tmp_path / "dl")
        assert sorted((p.release_id, p.kind) for p in report.wanted if not isinstance(p, Path)) == [
            ("2018-01", "corrections"), ("2019-01", "corrections"), ("2020-01", "release"),
            ("2020-04", "release"), ("2020-10", "release")]
    assert db_digest(db_path) == before and not (tmp_path / "dl").exists()


def test_from_dir_loads_what_is_missing_offline(tmp_path: Path) -> None:
    with hcpcs.open(tmp_path / "hcpcs.sqlite") as db:
        db.load([CMS / "2018-Alpha-Numeric-HCPCS-File.zip"])
        report = db.update(from_dir=CMS)
        names = sorted(p.name for p in report.wanted if isinstance(p, Path))
        assert "2018-Alpha-Numeric-HCPCS-File.zip" not in names and "2020-04-anweb.xlsx" in names
        assert "2016-Alpha-Numeric-HCPCS-File" in names  # a release unzipped into a folder
        assert [r.id for r in db.releases()] == ["2011-01", "2016-01", "2018-01", "2019-01", "2020-01", "2020-04",
                                                 "2020-10", "2025-01", "2025-10"]
        assert db.update(from_dir=CMS).wanted == []


def test_cli_update(serve: object, tmp_path: Path) -> None:
    site = serve(cms_like_site(tmp_path, annual=(2020,), quarterly=False, corrections=False))  # type: ignore[operator]
    db = str(tmp_path / "hcpcs.sqlite")
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db, "update", "--base-url", site.url, "--download-dir",
                                 str(tmp_path / "dl"), "--dry-run"])
    assert result.exit_code == 0 and "would load 2020-01 release" in result.output
    result = runner.invoke(cli, ["--db", db, "update", "--base-url", site.url, "--download-dir", str(tmp_path / "dl")])
    assert result.exit_code == 0, result.output
    assert "downloaded 2020-alpha-numeric-hcpcs-file.zip" in result.output
    assert "release 2020-01: loaded" in result.output
    result = runner.invoke(cli, ["--db", db, "update", "--base-url", site.url])
    assert result.exit_code == 0 and "up to date: nothing to fetch" in result.output
    site.fail[ANNUAL_PAGE] = 99
    result = runner.invoke(cli, ["--db", db, "update", "--base-url", site.url, "--retries", "0"])
    assert result.exit_code == 1 and result.output.startswith(f"Error: GET {site.url}{ANNUAL_PAGE} failed 1 times")
