"""The web app's one response cache and its one way in, ``Cache``: the only place that decides what is kept,
under which key and until when (the data version). Answers are kept by view and parameters, each computed once
however many identical requests arrive while it is being computed, and whole responses by request, which
``Kept``, the middleware, sends again straight from the cache, without routing, parameter parsing or the
handler."""

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


class Cache:
    """The app's one response cache, and the one way into it: the only place that decides what is kept, under
    which key and until when. Every key ends with the data version, read once per request (``version``), so a
    load into the database makes every older answer unreachable at once.

    Two kinds of entry, in one ``Responses``: a view's answer (``answer``: keyed by the view and its parameters
    as read, so requests written differently that mean the same share it, and identical requests arriving
    together share one computation), and a whole response as sent (``Kept``: keyed by the request as written,
    so a repeat is answered before routing). A handler says its response may be kept whole by ``keep``."""

    def __init__(self, version: Callable[[], int]) -> None:
        self._version = version
        self.responses = Responses()

    def version(self, scope: Scope) -> int:
        """The data version this request is answered at: read once, when first asked (by ``Kept`` before the
        app, else by the handler), and the same for every later question about the request."""
        found: int | None = scope.get(_VERSION)
        if found is None:
            found = scope[_VERSION] = self._version()
        return found

    async def answer(self, scope: Scope, key: tuple[Hashable, ...], compute: Callable[[], Answer], *,
                     quick: bool = False) -> tuple[bytes, int, bool]:
        """A view's answer for ``key`` (the view's name and parameters) at this request's data version: body,
        status and whether it was computed for this request. ``compute`` runs as ``Responses.get`` says; the
        response may then be kept whole (``keep``)."""
        (body, status), computed = await self.responses.get((*key, self.version(scope)), compute, quick=quick)
        self.keep(scope)
        return body, status, computed

    def keep(self, scope: Scope) -> None:
        """Say that the response the handler of this request is about to send may be kept by ``Kept`` and sent
        again for the same request at the same data version: its answer depends on nothing but the request's
        method, path, query, ``Host``, ``Accept``, ``Content-Type`` and body."""
        marker = scope.get(_KEEP)
        if isinstance(marker, list):
            marker.append(True)  # a list, so a copy of the scope (a mounted app's, say) still reaches ``Kept``

    def sent_key(self, scope: Scope, body: bytes) -> Hashable | None:
        """The key of a whole response for this request, or None where the request is not looked up: only GET
        (and so HEAD) requests without a body, and POSTs under ``/fhir/`` with a small body (``body``, read)."""
        method = scope["method"]
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
                return None
        if method == "GET" and length not in (None, b"0"):
            return None  # (a POST's length ``Kept`` has checked: ``_small_post``)
        version = scope[_VERSION] = self._version()  # the request's one reading (``version``)
        return ("sent", method, scope["path"], scope["query_string"], host, accept, kind, body,
                scope["scheme"], scope.get("root_path", ""), version)


#: The scope keys under which a request's data version is held, and whether its response may be kept whole.
_VERSION = "hcpcs.version"
_KEEP = "hcpcs.keep"


def _small_post(scope: Scope) -> bool:
    """A POST under ``/fhir/`` whose declared body is small enough to key it by."""
    if scope["method"] != "POST" or not scope["path"].startswith("/fhir/"):
        return False
    length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
    return length is not None and length.isdigit() and int(length) <= MAX_KEPT_BODY


class Kept:
    """ASGI middleware: a request answered before and said kept (``Cache.keep``) by its handler is answered
    again from ``cache`` (status, headers and body as they were sent, ``x-cache: hit``), as long as the data
    version has not changed. Only the requests ``Cache.sent_key`` keys are looked up; nothing else is touched.

    It sits inside the middleware that checks ``Host`` and body limits, and outside the security headers,
    so a kept response carries the same headers and passes the same checks as a computed one."""

    def __init__(self, app: ASGIApp, cache: Cache) -> None:
        self.app = app
        self.key = cache.sent_key
        self.responses = cache.responses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"] if scope["type"] == "http" else ""
        if method not in ("GET", "POST"):
            return await self.app(scope, receive, send)  # HEAD reaches here as GET, from the Guard
        body = b""
        if method == "POST":
            if not _small_post(scope):
                return await self.app(scope, receive, send)
            read = await read_whole(receive)
            assert read is not None  # no limit: never None
            body, receive = read
        key = self.key(scope, body)
        if key is None:
            return await self.app(scope, receive, send)
        found = self.responses.sent(key)
        if found is not None:
            await send({"type": "http.response.start", "status": found[1], "headers": found[2]})
            await send({"type": "http.response.body", "body": found[0]})
            return
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

        kept: list[bool] = []
        scope[_KEEP] = kept
        await self.app(scope, receive, capture)
        if kept and start is not None and whole and len(parts) == 1 and len(parts[0]) <= MAX_KEPT_RESPONSE:
            headers = [(name, b"hit" if name == b"x-cache" else value) for name, value in start.get("headers", [])]
            self.responses.put(key, (parts[0], start["status"], headers))
