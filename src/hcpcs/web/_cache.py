"""The web app's one response cache: answers kept by request and data version, each computed once however
many identical requests arrive while it is being computed."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable

from anyio import to_thread

#: An answer as kept: its encoded body and its HTTP status.
Answer = tuple[bytes, int]
#: The response header saying whether an answer was computed for this request (``miss``) or not (``hit``).
CACHE_HEADER = "x-cache"


class Responses:
    """Encoded answers (body and status) by key, least recently used first out beyond ``max_bytes``.

    A key should hold the data version, so a load into the database makes every older answer unreachable.
    Used from the event loop only: the computation runs in a worker thread, and requests that arrive while it
    runs wait for it without holding a thread."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._done: OrderedDict[Hashable, Answer] = OrderedDict()
        self._running: dict[Hashable, asyncio.Task[Answer]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Answer], *, quick: bool = False) -> tuple[Answer, bool]:
        """The answer for ``key`` and whether it was computed for this call. ``compute`` runs in a worker
        thread, or with ``quick`` (a few milliseconds' work, such as one code) on the event loop: no waiting
        for a thread behind slower requests."""
        found = self._done.get(key)
        if found is not None:
            self._done.move_to_end(key)
            return found, False
        if quick:
            answer = compute()
            self._keep(key, answer)
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
        self._keep(key, answer)
        return answer

    def _keep(self, key: Hashable, answer: Answer) -> None:
        if len(answer[0]) > self.max_bytes // 4:
            return  # one answer may not push out most of the others
        self._done[key] = answer
        self.size += len(answer[0])
        while self.size > self.max_bytes:
            _, dropped = self._done.popitem(last=False)
            self.size -= len(dropped[0])
