"""The ASGI app: JSON API, pages and FHIR routes over a pool of read-only database handles."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path as FilePath
from typing import Annotated, Any

from anyio import to_thread
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import StringConstraints
from starlette.exceptions import HTTPException
from starlette.routing import Mount

from .. import fhir, mcp_server
from .._errors import HcpcsError, NotFound
from ..api.diff import COMPARED
from ..api.handle import MAX_OFFSET, Hcpcs
from ..model import code_tables as _codetables
from ..model.identifiers import CODE_PATTERN, NDC_PATTERN, RELEASE_PATTERN, parse_code, parse_ndc
from ..model.layout import FIELDS
from ..render.schemas import (
    CodeOut,
    DiffOut,
    DrugQuarterOut,
    ErrorEnvelope,
    FieldOut,
    HistoryOut,
    NdcOut,
    ReleaseOut,
    ReportComparisonOut,
    SearchOut,
)
from ..render.serialize import to_json
from . import _docs, _drug_page, _pages, _search_page
from ._cache import CACHE_HEADER, Kept, Responses, keepable
from ._error_pages import error_page, status_of, wants_page
from ._fhir_routes import FHIR_MEDIA, FhirEndpoint, fhir_router
from ._headers import SecurityHeaders
from ._limits import Guard, Limits, error_body
from ._pool import Handles

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "A malformed request: the message names the parameter"},
    404: {"model": ErrorEnvelope, "description": "No such code, release or page"},
    422: {"model": ErrorEnvelope, "description": "A parameter of the wrong type"},
    500: {"model": ErrorEnvelope, "description": "A fault in hcpcs"},
}
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many results to skip")]


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, kind, message), status_code=status, headers=headers)


def create_app(db: str | FilePath | None = None, *, limits: Limits | None = None) -> FastAPI:
    """The app over the database at ``db`` (default: ``$HCPCS_DB`` or the user data folder), with the
    ``Host`` check, body limit and ``HEAD`` of ``limits`` (default: no ``Host`` check)."""
    handles = Handles(FilePath(db) if db is not None else None)
    responses = Responses()
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
    app.add_middleware(Kept, responses=responses, version=handles.version)  # a request seen before: its answer
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
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {_problem(e)}" for e in exc.errors())
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

    async def cached(request: Request, key: tuple[Hashable, ...], compute: Callable[[], Any],
                     media_type: str = "application/json", *, quick: bool = False) -> Response:
        """The answer to a request, computed once per data version however many ask (in a worker thread, or
        ``quick`` on the event loop); ``compute`` gives JSON data, or the text of a page. The same request
        again is answered by ``Kept`` before it reaches the app."""
        def encoded() -> tuple[bytes, int]:
            data = compute()
            return data.encode() if isinstance(data, str) else json.dumps(data, ensure_ascii=False).encode(), 200

        version = handles.version()
        (body, status), computed = await responses.get((*key, version), encoded, quick=quick)
        keepable(request.scope, version)
        return Response(body, status_code=status, media_type=media_type,
                        headers={CACHE_HEADER: "miss" if computed else "hit"})

    # -- JSON API --------------------------------------------------------------------------------------

    @app.get("/api/codes/{code}", response_model=CodeOut, tags=["codes"])
    async def api_code(request: Request, code: CodePath, release: ReleaseQuery = None,
                 as_of: Annotated[dt.date | None, Query(description="A date of service, YYYY-MM-DD")] = None,
                 ) -> Response:
        """One code (or modifier) with every field decoded: the latest release, a release, or as of a date."""
        # async: answered on the event loop, from the cache after the first time, never waiting for a thread
        def found() -> dict[str, Any]:
            db = handles.get()
            return to_json(db.get(code, release=_in_effect(db, _given(release), as_of), as_of=as_of))

        return await cached(request, ("code", code, _given(release), as_of), found, quick=True)

    @app.get("/api/codes/{code}/history", response_model=HistoryOut, tags=["codes"])
    async def api_history(request: Request, code: CodePath) -> Response:
        """The code across every loaded release: each change, termination, re-activation, reuse."""
        return await cached(request, ("history", code), lambda: to_json(handles.get().history(code)))

    @app.get("/api/ndc/{ndc}", response_model=NdcOut, tags=["drugs"])
    async def api_ndc(request: Request,
                      ndc: Annotated[str, Path(description="An NDC: 11 digits, 5-4-2, or 4-4-2, 5-3-2, 5-4-1",
                                               pattern=NDC_PATTERN)],
                      as_of: Annotated[dt.date | None, Query(description="A date of service, YYYY-MM-DD")] = None,
                      ) -> Response:
        """The code(s) a drug package bills under, by CMS's ASP NDC-HCPCS crosswalk in effect on the date (else
        the latest quarter before it, said in ``note``), or the latest that lists it."""
        return await cached(request, ("ndc", ndc, as_of), lambda: to_json(handles.get().ndc(ndc, as_of=as_of)))

    @app.get("/api/search", response_model=SearchOut, tags=["search"])
    def api_search(
        q: Annotated[str, Query(description="Words or a code", max_length=1000, pattern=r"\S")],
        limit: Annotated[int, Query(ge=1, le=1000)] = 20,
        offset: Offset = 0,
        release: ReleaseQuery = None,
        as_of: Annotated[dt.date | None, Query(description="Search the release in effect on this date")] = None,
        codes: Annotated[str | None, Query(description="A letter, prefix or range: E, J93, E0100-E0200",
                                           pattern=r"^\s*([A-Za-z][0-9]{0,4}|[A-Za-z][0-9]{4}-[A-Za-z][0-9]{4})?\s*$")
                         ] = None,
        coverage: Annotated[list[TableValue] | None, Query(description="Coverage codes (C, D, I, M, S)")] = None,
        betos: Annotated[list[TableValue] | None, Query(description="BETOS codes (D1G)")] = None,
        pricing: Annotated[list[TableValue] | None, Query(description="Pricing indicators (11)")] = None,
        tos: Annotated[list[TableValue] | None, Query(description="Types of service (1)")] = None,
        noc: bool = False, include_terminated: bool = False,
        labeler: Annotated[str | None, Query(description="Only codes with a drug product of this labeler (any part "
                                             "of its name) in CMS's NDC crosswalk", max_length=200)] = None,
    ) -> Any:
        """Ranked search: exact code, code prefixes, then words (abbreviations, lay words, misspellings)."""
        db = handles.get()
        found = db.search(q, limit=limit, offset=offset, release=_in_effect(db, _given(release), as_of), as_of=as_of,
                                     codes=_given(codes),
                                     coverage=coverage or (), betos=betos or (), pricing_indicator=pricing or (),
                                     type_of_service=tos or (), noc_only=noc, include_terminated=include_terminated,
                                     labeler=_given(labeler))
        return to_json(found)

    @app.get("/api/releases", response_model=list[ReleaseOut], tags=["releases"])
    async def api_releases(request: Request) -> Response:
        """Every loaded release, oldest first, with its source files and their sha256."""
        return await cached(request, ("releases",), lambda: [to_json(r) for r in handles.get().releases()])

    @app.get("/api/quarters", response_model=list[DrugQuarterOut], tags=["drugs"])
    async def api_quarters(request: Request) -> Response:
        """Every loaded quarter of CMS's drug files (NDC crosswalk, payment limits): period, source file, sha256."""
        return await cached(request, ("quarters",), lambda: [to_json(q) for q in handles.get().drug_quarters()])

    @app.get("/api/diff", response_model=DiffOut, tags=["releases"])
    async def api_diff(
        request: Request,
        from_: Annotated[str, Query(alias="from", description="The older release, YYYY-MM", pattern=RELEASE_PATTERN)],
        to: Annotated[str, Query(description="The newer release, YYYY-MM", pattern=RELEASE_PATTERN)],
        fields: Annotated[list[DiffField] | None, Query(description="Compare only these fields")] = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
        offset: Offset = 0,
    ) -> Response:
        """What changed between two releases, each code with CMS's action code and its field changes."""
        wanted = tuple(f for f in fields or () if f.strip()) or None

        def page() -> dict[str, Any]:
            found = handles.get().diff(from_, to, fields=wanted)
            data = to_json(found)
            data["total"], data["offset"] = len(found.changes), offset
            data["changes"] = [to_json(c) for c in found.changes[offset:offset + limit]]
            return data

        return await cached(request, ("diff", from_, to, wanted, limit, offset), page)

    @app.get("/api/diff/report", response_model=ReportComparisonOut, tags=["releases"])
    async def api_diff_report(
        request: Request,
        from_: Annotated[str, Query(alias="from", description="The older release, YYYY-MM", pattern=RELEASE_PATTERN)],
        to: Annotated[str, Query(description="The newer release, YYYY-MM", pattern=RELEASE_PATTERN)],
    ) -> Response:
        """Where the diff of two releases and CMS's transaction report of the newer one (as loaded with it)
        agree and differ, each difference with its reason."""
        def report() -> dict[str, Any]:
            db = handles.get()
            return to_json(db.compare_report(db.diff(from_, to)))

        return await cached(request, ("diff report", from_, to), report)

    def layout_of(release: str | None) -> _codetables.CodeTables:
        """The record layout that decodes a release (the latest by default); the shipped one with no release."""
        db = handles.get()
        return db.record_layout(release) if release or db.releases() else _codetables.builtin()

    @app.get("/api/fields", response_model=list[FieldOut], tags=["reference"])
    async def api_fields(request: Request, release: ReleaseQuery = None) -> Response:
        """Every field of CMS's record layout, with its definition: in the layout that decodes the release
        (the latest by default), that of its year where one is loaded, else the nearest."""
        def fields() -> list[dict[str, Any]]:
            layout = layout_of(_given(release))
            return [{**to_json(f), "definition": " ".join(layout.definition_paragraphs(f) or [])} for f in FIELDS]

        return await cached(request, ("fields", _given(release)), fields)

    @app.get("/api/code-tables", response_model=dict[str, dict[str, str]], tags=["reference"])
    async def api_code_tables(request: Request, release: ReleaseQuery = None) -> Response:
        """CMS's code tables: the meaning of every coded value (pricing, coverage, BETOS, ...), in the record
        layout that decodes the release (the latest by default)."""
        return await cached(request, ("code tables", _given(release)),
                            lambda: layout_of(_given(release)).layout["code_tables"])

    # -- pages -----------------------------------------------------------------------------------------

    async def page(request: Request, render: Callable[[], tuple[str, int]]) -> Response:
        """The page at this URL: from the one response cache, else rendered (in a worker thread) and kept."""
        def encoded() -> tuple[bytes, int]:
            html, status = render()
            return html.encode(), status

        version = handles.version()
        (body, status), _ = await responses.get(("page", request.url.path, request.url.query, version), encoded)
        keepable(request.scope, version)
        return HTMLResponse(body, status_code=status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request, q: Annotated[str, Query(max_length=10000)] = "", release: str = "",
                   as_of: str = "", codes: str = "", include_terminated: bool = False,
                   offset: Offset = 0) -> Response:
        form = _search_page.SearchForm(q, release, as_of, codes, include_terminated, offset)
        if any(not value.strip() for value in request.query_params.values()):
            return RedirectResponse(form.url(), status_code=303)  # the form's blank fields left out of the URL
        return await page(request, lambda: _search_page.page(handles.get(), form))

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs() -> str:
        return _docs.page()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> Response:
        return RedirectResponse("/docs")

    @app.get("/codes/{code}", response_class=HTMLResponse, include_in_schema=False)
    async def code_page(request: Request, code: str, release: str | None = None,
                        as_of: str | None = None) -> Response:
        return await page(request, lambda: (_pages.code(handles.get().get(code, release=release, as_of=as_of)), 200))

    @app.get("/ndc/{ndc}", response_class=HTMLResponse, include_in_schema=False)
    def ndc_page(ndc: str, as_of: str | None = None) -> str:
        return _drug_page.ndc(handles.get().ndc(ndc, as_of=_given(as_of)))

    @app.get("/codes/{code}/history", response_class=HTMLResponse, include_in_schema=False)
    async def history_page(request: Request, code: str) -> Response:
        def render() -> tuple[str, int]:
            db = handles.get()
            found = db.history(code)
            return _pages.history(found, db.get(found.code, release=found.last_release).added_date), 200

        return await page(request, render)

    @app.get("/diff", response_class=HTMLResponse, include_in_schema=False)
    async def diff_page(request: Request, from_: Annotated[str | None, Query(alias="from")] = None,
                        to: str | None = None, offset: Offset = 0) -> Response:
        def render() -> tuple[str, int]:
            db = handles.get()
            known = db.releases()
            if len(known) < 2 and (from_ is None or to is None):
                raise NotFound("a diff needs two loaded releases")
            found = db.diff(from_ or known[-2].id, to or known[-1].id)
            return _pages.diff(found, offset, [r.id for r in known]), 200

        return await page(request, render)

    @app.get("/releases", response_class=HTMLResponse, include_in_schema=False)
    async def releases_page(request: Request) -> Response:
        return await page(request, lambda: (_pages.releases(handles.get().releases()), 200))

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in ("search.js", "docs.js", "style.css", "docs.css"):
            raise NotFound(f"no static file {name!r}")
        body = resources.files("hcpcs.web").joinpath("static", name).read_bytes()
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(body, media_type=kind, headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/static/docs/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        if name not in _docs.ASSETS:
            raise NotFound(f"no static file {name!r}")
        return Response(_docs.asset(name), media_type=_docs.ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})

    fhir_endpoint = FhirEndpoint(handles.get, handles.version)
    app.router.routes.insert(0, Mount("/fhir", app=fhir_endpoint))  # FHIR's fast path, ahead of every route
    app.include_router(fhir_router(fhir_endpoint))  # the same answers, as OpenAPI documents them; POST /fhir

    return app


CodePath = Annotated[str, Path(description="A Level II code (S9328) or modifier (GA), any case",
                               pattern=CODE_PATTERN)]
ReleaseQuery = Annotated[str | None, Query(description="A release id, YYYY-MM (YYYY for January)",
                                           pattern=RELEASE_PATTERN + "|^$")]
#: a value of one of CMS's code tables, to filter search on
TableValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,3}$")]
#: /api/diff's fields: a compared field's name, or empty (left out)
DiffField = Annotated[str, StringConstraints(pattern="^(" + "|".join(f.name for f in COMPARED) + ")?$")]


def _in_effect(db: Hcpcs, release: str | None, as_of: dt.date | None) -> str | None:
    """The release a request reads with ``release`` and ``as_of`` both given: the same as ``as_of`` alone when
    ``release`` was in effect that day (None is returned), else ``NotFound``; ``release`` when only it is given."""
    if release is None or as_of is None:
        return release
    wanted, in_effect = db.release(release), db.release_on(as_of)
    if wanted.id != in_effect.id:
        raise NotFound(f"release {wanted.id} was not in effect on {as_of.isoformat()}: release {in_effect.id} was")
    return None


def _given(text: str | None) -> str | None:
    """An empty query parameter means the parameter was not given."""
    return text if text and text.strip() else None


def _problem(error: dict[str, Any]) -> str:
    """What is wrong with a parameter: for a code, hcpcs's own message (a CPT code is owned by the AMA ...)."""
    where, given = tuple(error["loc"]), str(error.get("input", ""))
    try:
        if where in (("path", "code"), ("query", "code")):
            parse_code(given)
        elif where == ("path", "ndc"):
            parse_ndc(given)
    except HcpcsError as exc:
        return str(exc)
    return str(error["msg"])

