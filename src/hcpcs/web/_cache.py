"""The web app's one response cache: answers kept by request and data version, each computed once however
many identical requests arrive while it is being computed; and ``Kept``, the middleware that answers a request
seen before straight from that cache, without routing, parameter parsing or the handler."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, MutableMapping
from typing import Any

from anyio import to_thread

from ._limits import read_whole

#: An answer as kept: its encoded body and its HTTP status.
Answer = tuple[bytes, int]
#: A whole response as sent: body, status and every header (``Kept`` sends it again as it is).
Sent = tuple[bytes, int, list[tuple[bytes, bytes]]]
#: The response header saying whether an answer was computed for this request (``miss``) or not (``hit``).
CACHE_HEADER = "x-cache"
#: The scope key under which ``Kept`` asks the handler whether its response may be kept (see ``keepable``).
KEEP = "hcpcs.keep"
#: Request bodies ``Kept`` reads to key a POST by (FHIR operations posting a Parameters resource); larger
#: bodies and other POSTs go straight to the app.
MAX_KEPT_BODY = 16 * 1024
#: A response ``Kept`` keeps whole, at most (a big page of an expansion is worked out again each time).
MAX_KEPT_RESPONSE = 256 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Responses:
    """Encoded answers by key, least recently used first out beyond ``max_bytes`` or ``max_entries``.

    A key should hold the data version, so a load into the database makes every older answer unreachable.
    Used from the event loop only: the computation runs in a worker thread, and requests that arrive while it
    runs wait for it without holding a thread."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_entries: int = 4096) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.size = 0
        self._done: OrderedDict[Hashable, Answer | Sent] = OrderedDict()
        self._running: dict[Hashable, asyncio.Task[Answer]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Answer], *, quick: bool = False) -> tuple[Answer, bool]:
        """The answer for ``key`` and whether it was computed for this call. ``compute`` runs in a worker
        thread, or with ``quick`` (a few milliseconds' work, such as one code) on the event loop: no waiting
        for a thread behind slower requests."""
        found = self._done.get(key)
        if found is not None:
            self._done.move_to_end(key)
            return (found[0], found[1]), False
        if quick:
            answer = compute()
            self.put(key, answer)
            return answer, True
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running), False
        running = self._running[key] = asyncio.ensure_future(self._compute(key, compute))
        running.add_done_callback(lambda task: task.cancelled() or task.exception())  # an error left unread
        return await asyncio.shield(running), True  # one requester going away does not cancel the others' answer

    async def _compute(self, key: Hashable, compute: Callable[[], Answer]) -> Answer:
        try:
            answer = await to_thread.run_sync(compute)
        finally:
            del self._running[key]
        self.put(key, answer)
        return answer

    def sent(self, key: Hashable) -> Sent | None:
        """A whole response kept under ``key`` by ``put``, if it is still there."""
        found = self._done.get(key)
        if found is None or len(found) != 3:
            return None
        self._done.move_to_end(key)
        return found

    def put(self, key: Hashable, answer: Answer | Sent) -> None:
        if len(answer[0]) > self.max_bytes // 4:
            return  # one answer may not push out most of the others
        replaced = self._done.pop(key, None)
        if replaced is not None:
            self.size -= len(replaced[0])
        self._done[key] = answer
        self.size += len(answer[0])
        while self.size > self.max_bytes or len(self._done) > self.max_entries:
            _, dropped = self._done.popitem(last=False)
            self.size -= len(dropped[0])


def keepable(scope: Scope, version: int) -> None:
    """Say that the response the handler of this request is about to send may be kept by ``Kept`` and sent
    again for the same request until the data version changes from ``version``: its answer depends on nothing
    but the request's method, path, query, ``Host``, ``Accept``, ``Content-Type`` and body."""
    marker = scope.get(KEEP)
    if isinstance(marker, list):
        marker.append(version)


class Kept:
    """ASGI middleware: a request answered before and said ``keepable`` by its handler is answered again from
    ``responses`` (status, headers and body as they were sent, ``x-cache: hit``), as long as the data version
    (``version()``, asked once per request) has not changed. Only GET (and so HEAD) requests without a body,
    and POSTs under ``/fhir/`` with a small body, are looked up; nothing else is touched.

    It sits inside the middleware that checks ``Host`` and body limits, and outside the security headers,
    so a kept response carries the same headers and passes the same checks as a computed one."""

    def __init__(self, app: ASGIApp, responses: Responses, version: Callable[[], int]) -> None:
        self.app = app
        self.responses = responses
        self.version = version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"] if scope["type"] == "http" else ""
        if method not in ("GET", "POST"):
            return await self.app(scope, receive, send)  # HEAD reaches here as GET, from the Guard
        host = accept = kind = b""
        length = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"accept":
                accept = value
            elif name == b"content-type":
                kind = value
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                return await self.app(scope, receive, send)
        body = b""
        if method == "POST":
            if not scope["path"].startswith("/fhir/") or length is None or not length.isdigit() \
                    or int(length) > MAX_KEPT_BODY:
                return await self.app(scope, receive, send)
            read = await read_whole(receive)
            assert read is not None  # no limit: never None
            body, receive = read
        elif length not in (None, b"0"):
            return await self.app(scope, receive, send)
        version = self.version()
        key = ("sent", method, scope["path"], scope["query_string"], host, accept, kind, body,
               scope["scheme"], scope.get("root_path", ""), version)
        found = self.responses.sent(key)
        if found is not None:
            await send({"type": "http.response.start", "status": found[1], "headers": found[2]})
            await send({"type": "http.response.body", "body": found[0]})
            return
        marker: list[int] = []
        start: Message | None = None
        parts: list[bytes] = []
        whole = True

        async def capture(message: Message) -> None:
            nonlocal start, whole
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and whole:
                parts.append(message.get("body", b""))
                whole = not message.get("more_body", False) and len(parts) == 1
                if not whole:
                    parts.clear()  # a streamed response (MCP's events, say) is never kept: hold none of it
            await send(message)

        scope[KEEP] = marker
        await self.app(scope, receive, capture)
        if marker == [version] and start is not None and whole and len(parts) == 1 \
                and len(parts[0]) <= MAX_KEPT_RESPONSE:
            headers = [(name, b"hit" if name == b"x-cache" else value) for name, value in start.get("headers", [])]
            self.responses.put(key, (parts[0], start["status"], headers))
