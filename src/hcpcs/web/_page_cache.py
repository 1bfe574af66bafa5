"""Rendered pages kept by URL and database version: a page asked for again (a popular code, the latest
diff) is answered from memory on the event loop; a new one is rendered in a worker thread."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from starlette.concurrency import run_in_threadpool

Page = tuple[str, int]  # the HTML and its HTTP status


class PageCache:
    """The ``size`` pages asked for last. Used from the event loop only, so it needs no lock; a key
    should carry the database's data version, so that a new load is never answered with an old page."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.pages: OrderedDict[Hashable, Page] = OrderedDict()

    async def get(self, key: Hashable, render: Callable[[], Page]) -> Page:
        found = self.pages.get(key)
        if found is not None:
            self.pages.move_to_end(key)
            return found
        page = await run_in_threadpool(render)  # an error raised here is answered, not kept
        self.pages[key] = page
        if len(self.pages) > self.size:
            self.pages.popitem(last=False)
        return page
