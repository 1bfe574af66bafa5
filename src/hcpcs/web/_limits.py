"""What ``hcpcs serve`` refuses before the app sees a request: oversized request lines, headers and bodies,
requests sent too slowly, and ``Host`` names it does not serve.

The byte and time limits live in the HTTP protocol (a subclass of uvicorn's httptools protocol), so a
flood is cut off as it arrives instead of being parsed first; the ``Host`` check, the body limit and
``HEAD`` live in a small ASGI middleware, so they hold in any ASGI server. ``hcpcs serve`` passes its
options to the worker processes in ``$HCPCS_LIMITS`` (as it passes the database in ``$HCPCS_DB``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

LIMITS_ENV = "HCPCS_LIMITS"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits on one request; the defaults are those of ``hcpcs serve``."""

    #: the request line and every header together, in bytes (431 over it)
    max_header_bytes: int = 64 * 1024
    #: the target of the request line (path and query), in bytes (414 over it)
    max_url_bytes: int = 16 * 1024
    #: a request body, in bytes (413 over it; only ``/mcp`` takes one)
    max_body_bytes: int = 1024 * 1024
    #: seconds from the connection (or the end of the previous response) to the whole request received;
    #: slower clients are answered 408 and dropped, connections that send nothing are closed
    request_timeout: float = 10.0
    #: the names the server answers to in the ``Host`` header (``*`` for any, ``*.example.org`` for a domain);
    #: empty: no check
    allowed_hosts: tuple[str, ...] = ()
    #: requests served at once (threads, each reading through one pooled database connection)
    threads: int = 4

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> Limits:
        text = os.environ.get(LIMITS_ENV)
        if not text:
            return cls()
        values = json.loads(text)
        values["allowed_hosts"] = tuple(values.get("allowed_hosts", ()))
        return cls(**values)


def default_hosts(bound: str) -> tuple[str, ...]:
    """The names a server bound to ``bound`` answers to unless told otherwise: that host and loopback."""
    return tuple(dict.fromkeys(h.strip("[]").lower() for h in (bound, "localhost", "127.0.0.1", "::1")))


def error_body(status: int, kind: str, message: str) -> dict[str, Any]:
    """The one shape of every error the JSON API answers."""
    return {"error": {"status": status, "type": kind, "message": message}}


_REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
            431: "Request Header Fields Too Large"}


def _raw_error(status: int, kind: str, message: str) -> bytes:
    body = json.dumps(error_body(status, kind, message)).encode()
    head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode() + body


class LimitedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the limits of ``$HCPCS_LIMITS`` on every request it reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = Limits.from_env()
        self._head_bytes = 0  # bytes received since the current request began, while its head is incomplete
        self._in_head = True
        self._receiving = False  # from a request's first byte to its last
        self._refused: bytes | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.limits.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._receiving:
            self._refuse(408, "request_timeout",
                         f"the request was not received within {self.limits.request_timeout:g} s")
        self.transport.close()

    def _refuse(self, status: int, kind: str, message: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_raw_error(status, kind, message))
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        # a flood is cut off within one chunk of the limit (the parser copies a long header once per chunk)
        super().data_received(data)
        if self._refused is not None:
            self._disarm()
            self.transport.write(self._refused)
            self.transport.close()
        elif self._in_head:
            self._head_bytes += len(data)
            if len(getattr(self, "url", b"")) > self.limits.max_url_bytes:
                self._refuse(414, "url_too_long", self._url_message())
            elif self._head_bytes > self.limits.max_header_bytes:
                self._refuse(431, "header_too_large", self._header_message())

    def _header_message(self) -> str:
        return f"the request line and headers are over {self.limits.max_header_bytes:,} bytes"

    def _url_message(self) -> str:
        return f"the URL is over {self.limits.max_url_bytes:,} bytes"

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = self._receiving = True
        self._arm()

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        self._in_head = False
        self._head_bytes = 0
        if len(self.url) > self.limits.max_url_bytes:
            self._refused = _raw_error(414, "url_too_long", self._url_message())
        elif size > self.limits.max_header_bytes:
            self._refused = _raw_error(431, "header_too_large", self._header_message())
        else:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._refused is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._receiving = False
        if self._refused is None:
            self._disarm()
            super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request, if any, within the timeout (keep-alive closes an idle one sooner)


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Whether the ``Host`` header ``host`` (with or without a port) names one of ``allowed``."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:name.find("]")] if "]" in name else ""
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    for pattern in allowed:
        pattern = pattern.strip("[]").lower()
        if pattern == "*" or name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


class Guard:
    """ASGI middleware: ``Host`` outside the allow list (400), bodies over the limit (413), and ``HEAD`` on
    every ``GET`` route (the ``GET`` answer's headers, no body)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if self.limits.allowed_hosts:
            host = headers.get(b"host", b"").decode("latin-1")
            if not host_allowed(host, self.limits.allowed_hosts):
                shown = f"Host {host!r}" if host else "a request without a Host header"
                return await _send_error(send, 400, "bad_host",
                                         f"this server does not answer to {shown}: start it with "
                                         "--allowed-host NAME to serve that name")
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limits.max_body_bytes:
            return await _send_error(send, 413, "body_too_large",
                                     f"the request body is over {self.limits.max_body_bytes:,} bytes")
        if b"transfer-encoding" in headers:
            whole = await read_whole(receive, self.limits.max_body_bytes)
            if whole is None:
                return await _send_error(send, 413, "body_too_large",
                                         f"the request body is over {self.limits.max_body_bytes:,} bytes")
            receive = whole[1]
        if scope["method"] == "HEAD":
            return await self.app({**scope, "method": "GET"}, receive, _without_body(send))
        await self.app(scope, receive, send)

async def read_whole(receive: Receive, limit: int | None = None) -> tuple[bytes, Receive] | None:
    """A request body read whole and a ``receive`` that hands it on to the app as one message (a chunked body
    becomes one); ``None`` when it grows past ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            parts.clear()
            first: Message = message
            break
        parts.append(message.get("body", b""))
        size += len(parts[-1])
        if limit is not None and size > limit:
            return None
        if not message.get("more_body", False):
            first = {"type": "http.request", "body": b"".join(parts), "more_body": False}
            break
    handed = False

    async def replay() -> Message:
        nonlocal handed
        if not handed:
            handed = True
            return first
        return await receive()

    return (first.get("body", b"") if first["type"] == "http.request" else b""), replay


def _without_body(send: Send) -> Send:
    async def head(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return head


async def _send_error(send: Send, status: int, kind: str, message: str) -> None:
    body = json.dumps(error_body(status, kind, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
