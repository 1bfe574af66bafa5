"""The search area: the search page (``/``, also the home page) and ``/api/search``, from one view. The page
is the form too: without ``q`` it shows the empty form; a submitted form's blank fields are left out of its URL
(a redirect); a filter that is not valid is said above the form, filled in as typed, with the status and
message ``/api/search`` gives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import StringConstraints

from .._errors import HcpcsError
from ..api.handle import Hcpcs
from ..model.answers import SearchResult
from ..model.identifiers import CODE_FILTER_PATTERN
from ..render.schemas import SearchOut
from ..render.serialize import to_json
from . import _search_page
from ._error_pages import json_preferred, status_of
from ._views import Offset, ReleaseQuery, Site, View, given, in_effect, problem

#: a value of one of CMS's code tables, to filter search on
TableValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,3}$")]
Words = Query(description="Words or a code", max_length=1000, pattern=r"\S")


@dataclass(frozen=True, slots=True)
class Filters:
    """Everything a search takes beside its words: the parameters the page and /api/search read alike."""

    limit: int
    offset: int
    release: str | None
    as_of: dt.date | None
    codes: str | None
    coverage: tuple[str, ...]
    betos: tuple[str, ...]
    pricing: tuple[str, ...]
    tos: tuple[str, ...]
    noc: bool
    include_terminated: bool
    labeler: str | None


def filters(
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    offset: Offset = 0,
    release: ReleaseQuery = None,
    as_of: Annotated[dt.date | None, Query(description="Search the release in effect on this date")] = None,
    codes: Annotated[str | None, Query(description="A letter, prefix or range: E, J93, E0100-E0200",
                                       pattern=CODE_FILTER_PATTERN)
                     ] = None,
    coverage: Annotated[list[TableValue] | None, Query(description="Coverage codes (C, D, I, M, S)")] = None,
    betos: Annotated[list[TableValue] | None, Query(description="BETOS codes (D1G)")] = None,
    pricing: Annotated[list[TableValue] | None, Query(description="Pricing indicators (11)")] = None,
    tos: Annotated[list[TableValue] | None, Query(description="Types of service (1)")] = None,
    noc: bool = False, include_terminated: bool = False,
    labeler: Annotated[str | None, Query(description="Only codes with a drug product of this labeler (any part "
                                         "of its name) in CMS's NDC crosswalk", max_length=200)] = None,
) -> Filters:
    return Filters(limit, offset, given(release), as_of, given(codes), tuple(coverage or ()), tuple(betos or ()),
                   tuple(pricing or ()), tuple(tos or ()), noc, include_terminated, given(labeler))


@dataclass(frozen=True, slots=True)
class SearchAsked:
    q: str
    filters: Filters
    #: the search form as typed, for the page (None for /api/search)
    form: _search_page.SearchForm | None = None


def _search(db: Hcpcs, asked: SearchAsked) -> SearchResult:
    f = asked.filters
    return db.search(asked.q, limit=f.limit, offset=f.offset, release=in_effect(db, f.release, f.as_of), as_of=f.as_of,
                     codes=f.codes, coverage=f.coverage, betos=f.betos, pricing_indicator=f.pricing,
                     type_of_service=f.tos, noc_only=f.noc, include_terminated=f.include_terminated, labeler=f.labeler)


def _form(asked: SearchAsked) -> _search_page.SearchForm:
    return asked.form or _search_page.SearchForm(asked.q)


def _failed(db: Hcpcs, exc: HcpcsError, asked: SearchAsked) -> tuple[str, int]:
    return _search_page.page(db.releases(), _form(asked), None, str(exc)), status_of(exc)[0]


SEARCH: View[SearchAsked, SearchResult] = View(
    "search", _search, lambda found, _: to_json(found),
    lambda db, found, asked: _search_page.page(db.releases(), _form(asked), found), failed=_failed)
#: the home page: the search form, nothing asked yet
HOME: View[_search_page.SearchForm, None] = View(
    "home", lambda db, form: None, None,
    lambda db, found, form: _search_page.page(db.releases(), form, None))


def routes(site: Site) -> APIRouter:
    router = APIRouter()

    @router.get("/api/search", response_model=SearchOut, tags=["search"])
    async def api_search(request: Request, q: Annotated[str, Words],
                         asked: Annotated[Filters, Depends(filters)]) -> Response:
        """Ranked search: exact code, code prefixes, then words (abbreviations, lay words, misspellings)."""
        return await site.json(request, SEARCH, SearchAsked(q, asked))

    async def search_page(request: Request, asked: Annotated[Filters, Depends(filters)],
                          q: Annotated[str | None, Words] = None) -> Response:
        size = min(asked.limit, _search_page.PAGE_MAX)
        form = replace(_search_page.SearchForm.typed(request.query_params.multi_items()), limit=size)
        if q is None:
            return await site.html(request, HOME, form)
        return await site.html(request, SEARCH, SearchAsked(q, replace(asked, limit=size), form))

    router.add_api_route("/", search_page, response_class=HTMLResponse, include_in_schema=False,
                         route_class_override=_FormRoute)
    return router


class _FormRoute(APIRoute):
    """The search page's route: a submitted form's blank fields are left out of its URL (a redirect), and a
    parameter that is not valid is said on the search page, above the form as typed."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            form = _search_page.SearchForm.typed(request.query_params.multi_items())
            if any(not value.strip() for value in request.query_params.values()):
                return RedirectResponse(form.url(), status_code=303)
            try:
                return await handler(request)
            except RequestValidationError as exc:
                if json_preferred(request):
                    raise
                site: Site = request.app.state.site
                page = _search_page.page(site.handles.get().releases(), form, None, problem(exc))
                return HTMLResponse(page, status_code=422)

        return answer
