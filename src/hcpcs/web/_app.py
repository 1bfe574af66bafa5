"""The ASGI app: the JSON API, the pages and the FHIR routes over a pool of read-only database handles. It only
assembles: the middleware, the error forms, and each area's routes (codes, search, releases, drugs, assets,
FHIR), whose views answer a page and its JSON twin from one function (``_views``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path as FilePath
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Mount

from .. import fhir, mcp_server
from .._errors import HcpcsError, NotFound
from ..render.schemas import ErrorEnvelope
from . import _assets, _codes, _drugs, _releases, _search
from ._cache import Cache, Kept
from ._error_pages import error_page, status_of, wants_page
from ._fhir_routes import FHIR_MEDIA, FhirEndpoint, fhir_router
from ._headers import SecurityHeaders
from ._limits import Guard, Limits, error_body
from ._pool import Handles
from ._views import Site, problem

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "A malformed request: the message names the parameter"},
    404: {"model": ErrorEnvelope, "description": "No such code, release or page"},
    422: {"model": ErrorEnvelope, "description": "A parameter of the wrong type"},
    500: {"model": ErrorEnvelope, "description": "A fault in hcpcs"},
}


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, kind, message), status_code=status, headers=headers)


def create_app(db: str | FilePath | None = None, *, limits: Limits | None = None) -> FastAPI:
    """The app over the database at ``db`` (default: ``$HCPCS_DB`` or the user data folder), with the
    ``Host`` check, body limit and ``HEAD`` of ``limits`` (default: no ``Host`` check)."""
    handles = Handles(FilePath(db) if db is not None else None)
    cache = Cache(handles.version)  # every answer kept, by one rule: see Cache
    mcp = mcp_server.create_server(handles.get, http=True)
    mcp_app = mcp.streamable_http_app()  # its one route, /mcp; its session manager runs in the app's lifespan

    limits = limits or Limits()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = limits.threads  # requests served at once
        async with mcp.session_manager.run():
            yield

    app = FastAPI(
        lifespan=lifespan,
        title="hcpcs", version="1",
        description="CMS HCPCS Level II codes: every release, every field decoded, history, search and FHIR. "
                    "Stability promise: within /api/ (version 1) fields are only added, never renamed, "
                    "retyped or removed; a breaking change would be served under /api/v2/.",
        responses=ERRORS,
        docs_url=None, redoc_url=None,  # /docs is served below from the installed assets, not a CDN
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Kept, cache=cache)  # a request seen before: its answer
    app.add_middleware(Guard, limits=limits)
    app.router.routes.extend(mcp_app.routes)  # MCP over streamable HTTP at /mcp (stateless, JSON answers)

    @app.exception_handler(HcpcsError)
    async def library_error(request: Request, exc: HcpcsError) -> Response:
        if request.url.path.startswith("/fhir"):
            issue = getattr(exc, "issue", "not-found" if isinstance(exc, NotFound) else "invalid")
            status = getattr(exc, "status", status_of(exc)[0])
            return JSONResponse(fhir.outcome(str(exc), issue), status_code=status, media_type=FHIR_MEDIA)
        status, kind = status_of(exc)
        if wants_page(request):
            suggestions = exc.suggestions if isinstance(exc, NotFound) else ()
            return HTMLResponse(error_page(status, str(exc), suggestions), status_code=status)
        return _error(status, kind, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        problems = problem(exc)
        if request.url.path.startswith("/fhir"):
            return JSONResponse(fhir.outcome(problems), status_code=400, media_type=FHIR_MEDIA)
        if wants_page(request):
            return HTMLResponse(error_page(422, problems), status_code=422)
        return _error(422, "invalid_parameter", problems)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/fhir"):
            return JSONResponse(fhir.outcome(str(exc.detail), "not-found"), status_code=exc.status_code,
                                media_type=FHIR_MEDIA, headers=dict(exc.headers) if exc.headers else None)
        if wants_page(request):
            missing = f"There is no page at {request.url.path}."
            message = missing if exc.status_code == 404 else str(exc.detail)
            return HTMLResponse(error_page(exc.status_code, message), status_code=exc.status_code,
                                headers=dict(exc.headers) if exc.headers else None)
        return _error(exc.status_code, "not_found" if exc.status_code == 404 else "http_error", str(exc.detail),
                      dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception) -> Response:
        if wants_page(request):
            return HTMLResponse(error_page(500, f"{type(exc).__name__}: {exc}"), status_code=500)
        return _error(500, "server_error", f"{type(exc).__name__}: {exc}")

    site = app.state.site = Site(handles, cache)
    for area in (_codes.routes(site), _search.routes(site), _releases.routes(site), _drugs.routes(site),
                 _assets.routes()):
        app.include_router(area)

    fhir_endpoint = FhirEndpoint(handles.get, cache)
    app.router.routes.insert(0, Mount("/fhir", app=fhir_endpoint))  # FHIR's fast path, ahead of every route
    app.include_router(fhir_router(fhir_endpoint))  # the same answers, as OpenAPI documents them; POST /fhir

    return app
