"""``hcpcs serve`` against hostile and careless clients, over real sockets on 127.0.0.1: oversized heads,
URLs and bodies, slow and silent connections, foreign ``Host`` names; and ``HEAD``, with no server banner."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import serving


@pytest.fixture(scope="module")
def server(all_loaded: Path) -> Iterator[str]:
    with serving(all_loaded, "--request-timeout", "1", "--allowed-host", "hcpcs.example.org",
                 "--allowed-host", "127.0.0.1") as base:
        yield base


def connect(base: str) -> socket.socket:
    url = urlsplit(base)
    sock = socket.create_connection((url.hostname or "", url.port or 80))
    sock.settimeout(60)  # a server that never answers fails the test instead of hanging it
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def error_of(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    return status, json.loads(body)["error"]


def test_a_header_flood_is_refused_before_it_is_read(server: str) -> None:
    sock = connect(server)
    sock.sendall(b"GET /api/releases HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Flood: ")
    sent = 0
    with pytest.raises(OSError):  # the server answers and closes long before 16 MB have gone
        for _ in range(256):
            sock.sendall(b"a" * 65536)
            sent += 65536
    assert sent < 16 * 1024 * 1024
    status, error = error_of(read_all(sock))
    assert status == 431 and error["type"] == "header_too_large" and "65,536 bytes" in str(error["message"])


def test_too_long_url_and_body(server: str) -> None:
    response = httpx.get(f"{server}/api/search", params={"q": "a" * 20000})
    assert response.status_code == 414 and response.json()["error"]["type"] == "url_too_long"
    posted = httpx.post(f"{server}/mcp", content=b"{" * (2 * 1024 * 1024),
                        headers={"content-type": "application/json"})
    assert posted.status_code == 413 and "1,048,576 bytes" in posted.json()["error"]["message"]


def test_a_slow_request_gets_408_and_is_dropped(server: str) -> None:
    sock = connect(server)
    sock.sendall(b"GET /api/releases HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
    status, error = error_of(read_all(sock))  # read_all returns only once the server closes
    assert status == 408 and "within 1 s" in str(error["message"])


def test_a_silent_connection_is_closed(server: str) -> None:
    assert read_all(connect(server)) == b""


def test_a_host_outside_the_allow_list_gets_400(server: str) -> None:
    bad = httpx.get(f"{server}/api/codes/S9328", headers={"Host": "attacker.example.com"})
    assert bad.status_code == 400
    assert bad.json()["error"]["type"] == "bad_host" and "attacker.example.com" in bad.json()["error"]["message"]
    for host in ("hcpcs.example.org", "HCPCS.example.org:8443", "127.0.0.1"):
        assert httpx.get(f"{server}/api/codes/S9328", headers={"Host": host}).status_code == 200, host


def test_default_allow_list_is_the_bound_host_and_loopback(all_loaded: Path) -> None:
    with serving(all_loaded) as base:
        for host, status in (("localhost", 200), ("127.0.0.1:1234", 200), ("[::1]", 200), ("rebound.example", 400)):
            assert httpx.get(f"{base}/api/releases", headers={"Host": host}).status_code == status, host


@pytest.mark.parametrize("path", ["/api/codes/S9328", "/api/releases", "/api/search?q=wheelchair", "/",
                                  "/codes/S9328", "/fhir/metadata", "/static/style.css", "/openapi.json"])
def test_head_answers_every_get_route_without_a_body(server: str, path: str) -> None:
    got, head = httpx.get(server + path), httpx.head(server + path)
    assert got.status_code == head.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    assert int(head.headers["content-length"]) == len(got.content)


def test_no_server_banner(server: str) -> None:
    for response in (httpx.get(f"{server}/api/releases"), httpx.get(f"{server}/nothing")):
        assert "server" not in response.headers
