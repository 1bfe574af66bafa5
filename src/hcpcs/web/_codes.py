"""The codes area: a code (``/codes/{code}``, ``/api/codes/{code}``) and its history (``.../history``), each
page and its JSON twin from one view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from ..api.handle import Hcpcs
from ..model.answers import Code, History
from ..render.schemas import CodeOut, HistoryOut
from ..render.serialize import to_json
from . import _pages
from ._views import AsOf, CodePath, ReleaseQuery, Site, View, given, in_effect


@dataclass(frozen=True, slots=True)
class CodeAsked:
    code: str
    release: str | None
    as_of: dt.date | None


def code_asked(code: CodePath, release: ReleaseQuery = None, as_of: AsOf = None) -> CodeAsked:
    return CodeAsked(code, given(release), as_of)


@dataclass(frozen=True, slots=True)
class HistoryAsked:
    code: str


def history_asked(code: CodePath) -> HistoryAsked:
    return HistoryAsked(code)


def _code(db: Hcpcs, asked: CodeAsked) -> Code:
    return db.get(asked.code, release=in_effect(db, asked.release, asked.as_of), as_of=asked.as_of)


def _history_page(db: Hcpcs, found: History, _: HistoryAsked) -> str:
    return _pages.history(found, db.get(found.code, release=found.last_release).added_date)


CODE: View[CodeAsked, Code] = View("code", _code, lambda found, _: to_json(found),
                                   lambda _, found, __: _pages.code(found), quick=True)
HISTORY: View[HistoryAsked, History] = View("history", lambda db, asked: db.history(asked.code),
                                            lambda found, _: to_json(found), _history_page)


def routes(site: Site) -> APIRouter:
    router = APIRouter()

    @router.get("/api/codes/{code}", response_model=CodeOut, tags=["codes"])
    async def api_code(request: Request, asked: Annotated[CodeAsked, Depends(code_asked)]) -> Response:
        """One code (or modifier) with every field decoded: the latest release, a release, or as of a date."""
        # answered on the event loop, from the cache after the first time, never waiting for a thread
        return await site.json(request, CODE, asked)

    @router.get("/api/codes/{code}/history", response_model=HistoryOut, tags=["codes"])
    async def api_history(request: Request, asked: Annotated[HistoryAsked, Depends(history_asked)]) -> Response:
        """The code across every loaded release: each change, termination, re-activation, reuse."""
        return await site.json(request, HISTORY, asked)

    @router.get("/codes/{code}", response_class=HTMLResponse, include_in_schema=False)
    async def code_page(request: Request, asked: Annotated[CodeAsked, Depends(code_asked)]) -> Response:
        return await site.html(request, CODE, asked)

    @router.get("/codes/{code}/history", response_class=HTMLResponse, include_in_schema=False)
    async def history_page(request: Request, asked: Annotated[HistoryAsked, Depends(history_asked)]) -> Response:
        return await site.html(request, HISTORY, asked)

    return router

