"""Views: one per area, each answering a page and its JSON twin from one function, so they cannot drift.

A view reads its parameters once (one FastAPI dependency per area: the same declared types, defaults and
errors for the page and the ``/api/`` route), asks the facade once (``View.ask``), and hands the answer to
``to_json`` or to the page's template. The route chooses: an ``/api/`` route always answers JSON; a page
answers JSON too when the request's ``Accept`` prefers it to HTML. A parameter that is not valid gets the same
status and message on both (``problem`` words it: hcpcs's own message for a code, NDC, release or date)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from .._errors import HcpcsError, NotFound
from ..api.handle import MAX_OFFSET, Hcpcs
from ..model.identifiers import (
    CODE_PATTERN,
    RELEASE_PATTERN,
    check_release_id,
    parse_code,
    parse_code_filter,
    parse_day,
    parse_ndc,
)
from ._cache import CACHE_HEADER, Cache
from ._error_pages import json_preferred
from ._pool import Handles

P = TypeVar("P", bound=Hashable)
T = TypeVar("T")

# -- the parameters every area reads the same way ----------------------------------------------------------------

CodePath = Annotated[str, Path(description="A Level II code (S9328) or modifier (GA), any case",
                               pattern=CODE_PATTERN)]
ReleaseQuery = Annotated[str | None, Query(description="A release id, YYYY-MM (YYYY for January)",
                                           pattern=RELEASE_PATTERN + "|^$")]
AsOf = Annotated[dt.date | None, Query(description="A date of service, YYYY-MM-DD")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many results to skip")]
#: the older and newer release of a diff (required by the JSON API; the diff page defaults to the latest two)
FROM_QUERY = Query(alias="from", description="The older release, YYYY-MM", pattern=RELEASE_PATTERN)
TO_QUERY = Query(description="The newer release, YYYY-MM", pattern=RELEASE_PATTERN)


def given(text: str | None) -> str | None:
    """An empty query parameter means the parameter was not given."""
    return text if text and text.strip() else None


def in_effect(db: Hcpcs, release: str | None, as_of: dt.date | None) -> str | None:
    """The release a request reads with ``release`` and ``as_of`` both given: the same as ``as_of`` alone when
    ``release`` was in effect that day (None is returned), else ``NotFound``; ``release`` when only it is given."""
    if release is None or as_of is None:
        return release
    wanted, effective = db.release(release), db.release_on(as_of)
    if wanted.id != effective.id:
        raise NotFound(f"release {wanted.id} was not in effect on {as_of.isoformat()}: release {effective.id} was")
    return None


#: the parameters read by one of hcpcs's parsers, for its message when FastAPI refuses them
_PARSERS: dict[tuple[str, ...], Callable[[str], object]] = {
    ("path", "code"): parse_code, ("path", "ndc"): parse_ndc, ("query", "codes"): parse_code_filter,
    ("query", "release"): check_release_id, ("query", "from"): check_release_id, ("query", "to"): check_release_id,
    ("query", "as_of"): lambda text: parse_day(text, "as-of date"),
}


def problem(exc: RequestValidationError) -> str:
    """What is wrong with a request's parameters, one clause each: for a code, NDC, release or date, hcpcs's own
    message (a CPT code is owned by the AMA ...), else FastAPI's."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {_problem(e)}" for e in exc.errors())


def _problem(error: dict[str, Any]) -> str:
    parser = _PARSERS.get(tuple(str(p) for p in error["loc"]))
    if parser is not None and error.get("type") != "missing":
        try:
            parser(str(error.get("input", "")))
        except HcpcsError as exc:
            return str(exc)
    return str(error["msg"])


# -- views ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class View(Generic[P, T]):
    """One area's answer in its two forms: ``ask`` the facade once with the parameters as read, then ``data``
    (the JSON form, from ``to_json``) or ``page`` (the HTML page) of the answer; a view may have only one."""

    name: str
    ask: Callable[[Hcpcs, P], T]
    data: Callable[[T, P], Any] | None
    page: Callable[[Hcpcs, T, P], str] | None = None
    #: the JSON answer is worked out on the event loop (a few milliseconds: one code), not in a worker thread
    quick: bool = False
    #: the page of a failed ask, with its status (the search page says the problem above the form); without it,
    #: the app's error page
    failed: Callable[[Hcpcs, HcpcsError, P], tuple[str, int]] | None = None


class Site:
    """What every area's routes share: the database handles and the one response cache (``Cache``, which
    decides what is kept and under which key). Each answer is worked out once per data version however many
    ask; the same request again is answered by ``Kept`` before it reaches the app."""

    def __init__(self, handles: Handles, cache: Cache) -> None:
        self.handles = handles
        self.cache = cache

    async def json(self, request: Request, view: View[P, T], params: P) -> Response:
        """The view's JSON answer, ``x-cache`` saying whether it was worked out for this request."""
        form = view.data
        assert form is not None, f"{view.name} has no JSON form"

        def encoded() -> tuple[bytes, int]:
            data = form(view.ask(self.handles.get(), params), params)
            return json.dumps(data, ensure_ascii=False).encode(), 200

        body, status, computed = await self.cache.answer(request.scope, ("json", view.name, params), encoded,
                                                        quick=view.quick)
        return Response(body, status_code=status, media_type="application/json",
                        headers={CACHE_HEADER: "miss" if computed else "hit"})

    async def html(self, request: Request, view: View[P, T], params: P) -> Response:
        """The view's page (or its JSON answer, when ``Accept`` prefers JSON)."""
        if view.page is None or (view.data is not None and json_preferred(request)):
            return await self.json(request, view, params)
        render = view.page

        def encoded() -> tuple[bytes, int]:
            db = self.handles.get()
            try:
                found = view.ask(db, params)
            except HcpcsError as exc:
                if view.failed is None:
                    raise
                page, status = view.failed(db, exc, params)
                return page.encode(), status
            return render(db, found, params).encode(), 200

        body, status, _ = await self.cache.answer(request.scope, ("page", view.name, params), encoded)
        return Response(body, status_code=status, media_type="text/html")
