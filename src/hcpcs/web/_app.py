"""The ASGI app: JSON API, pages and FHIR routes over a pool of read-only database handles."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path as FilePath
from typing import Annotated, Any

from anyio import to_thread
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import StringConstraints
from starlette.exceptions import HTTPException

from .. import _codetables, fhir, mcp_server
from .._api import MAX_OFFSET, Hcpcs
from .._changes import code_change_json, comparison_json, diff_json, history_json, release_json
from .._codes import parse_code
from .._diff import COMPARED
from .._errors import CodeError, HcpcsError, NotFound, StoreError, UsageError
from .._layout import FIELDS
from .._page import to_json
from .._results import search_dict
from . import _pages
from ._cache import CACHE_HEADER, Responses
from ._limits import Guard, Limits, error_json
from ._models import (
    CodeOut,
    DiffOut,
    ErrorEnvelope,
    FieldOut,
    HistoryOut,
    ReleaseOut,
    ReportComparisonOut,
    SearchOut,
)
from ._pool import Handles

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "A malformed request: the message names the parameter"},
    404: {"model": ErrorEnvelope, "description": "No such code, release or page"},
    422: {"model": ErrorEnvelope, "description": "A parameter of the wrong type"},
    500: {"model": ErrorEnvelope, "description": "A fault in hcpcs"},
}
FHIR_JSON = "application/fhir+json"
FHIR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {FHIR_JSON: {"schema": {"type": "object"}}}}
    for status, text in ((200, "A FHIR resource"), (400, "OperationOutcome: a malformed request"),
                         (404, "OperationOutcome: no such code, release or resource"),
                         (503, "OperationOutcome: the database cannot be used"))
}
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many results to skip")]
RELEASE_PATTERN = r"^\s*((19|20)[0-9]{2})(-(0?[1-9]|1[0-2]))?\s*$"


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_json(status, kind, message), status_code=status, headers=headers)


def _status(exc: HcpcsError) -> tuple[int, str]:
    if isinstance(exc, NotFound):
        return 404, "not_found"
    if isinstance(exc, CodeError | UsageError):
        return 400, "bad_request"
    if isinstance(exc, StoreError):
        return 503, "unavailable"
    return 400, "bad_request"


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
    )

    app.add_middleware(Guard, limits=limits)
    app.router.routes.extend(mcp_app.routes)  # MCP over streamable HTTP at /mcp (stateless, JSON answers)

    @app.exception_handler(HcpcsError)
    async def library_error(request: Request, exc: HcpcsError) -> Response:
        if request.url.path.startswith("/fhir"):
            issue = getattr(exc, "issue", "not-found" if isinstance(exc, NotFound) else "invalid")
            status = getattr(exc, "status", _status(exc)[0])
            return JSONResponse(fhir.outcome(str(exc), issue), status_code=status, media_type=FHIR_JSON)
        status, kind = _status(exc)
        return _error(status, kind, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {_problem(e)}" for e in exc.errors())
        if request.url.path.startswith("/fhir"):
            unsupported = any(tuple(e["loc"]) in _SYSTEM_PARAMETERS for e in exc.errors())
            return JSONResponse(fhir.outcome(problems, "not-supported" if unsupported else "invalid"), status_code=400,
                                media_type=FHIR_JSON)
        return _error(422, "invalid_parameter", problems)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/fhir"):
            return JSONResponse(fhir.outcome(str(exc.detail), "not-found"), status_code=exc.status_code,
                                media_type=FHIR_JSON, headers=dict(exc.headers) if exc.headers else None)
        return _error(exc.status_code, "not_found" if exc.status_code == 404 else "http_error", str(exc.detail),
                      dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception) -> Response:
        return _error(500, "server_error", f"{type(exc).__name__}: {exc}")

    async def cached(key: tuple[Hashable, ...], compute: Callable[[], Any], media_type: str = "application/json",
                     *, quick: bool = False) -> Response:
        """The answer to a request, computed once per data version however many ask (in a worker thread, or
        ``quick`` on the event loop); ``compute`` gives JSON data, or the text of a page."""
        def encoded() -> bytes:
            data = compute()
            return data.encode() if isinstance(data, str) else json.dumps(data, ensure_ascii=False).encode()

        body, computed = await responses.get((*key, handles.version()), encoded, quick=quick)
        return Response(body, media_type=media_type, headers={CACHE_HEADER: "miss" if computed else "hit"})

    # -- JSON API --------------------------------------------------------------------------------------

    @app.get("/api/codes/{code}", response_model=CodeOut, tags=["codes"])
    async def api_code(code: CodePath, release: ReleaseQuery = None,
                 as_of: Annotated[dt.date | None, Query(description="A date of service, YYYY-MM-DD")] = None,
                 ) -> Response:
        """One code (or modifier) with every field decoded: the latest release, a release, or as of a date."""
        # async: answered on the event loop, from the cache after the first time, never waiting for a thread
        def found() -> dict[str, Any]:
            db = handles.get()
            return to_json(db.get(code, release=_in_effect(db, _given(release), as_of), as_of=as_of))

        return await cached(("code", code, _given(release), as_of), found, quick=True)

    @app.get("/api/codes/{code}/history", response_model=HistoryOut, tags=["codes"])
    def api_history(code: CodePath) -> Any:
        """The code across every loaded release: each change, termination, re-activation, reuse."""
        return history_json(handles.get().history(code))

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
    ) -> Any:
        """Ranked search: exact code, code prefixes, then words (abbreviations, lay words, misspellings)."""
        db = handles.get()
        found = db.search(q, limit=limit, offset=offset, release=_in_effect(db, _given(release), as_of), as_of=as_of,
                                     codes=_given(codes),
                                     coverage=coverage or (), betos=betos or (), pricing_indicator=pricing or (),
                                     type_of_service=tos or (), noc_only=noc, include_terminated=include_terminated)
        return search_dict(found)

    @app.get("/api/releases", response_model=list[ReleaseOut], tags=["releases"])
    def api_releases() -> Any:
        """Every loaded release, oldest first, with its source files and their sha256."""
        return [release_json(r) for r in handles.get().releases()]

    @app.get("/api/diff", response_model=DiffOut, tags=["releases"])
    async def api_diff(
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
            data = diff_json(found)
            data["total"], data["offset"] = len(found.changes), offset
            data["changes"] = [code_change_json(c) for c in found.changes[offset:offset + limit]]
            return data

        return await cached(("diff", from_, to, wanted, limit, offset), page)

    @app.get("/api/diff/report", response_model=ReportComparisonOut, tags=["releases"])
    async def api_diff_report(
        from_: Annotated[str, Query(alias="from", description="The older release, YYYY-MM", pattern=RELEASE_PATTERN)],
        to: Annotated[str, Query(description="The newer release, YYYY-MM", pattern=RELEASE_PATTERN)],
    ) -> Response:
        """Where the diff of two releases and CMS's transaction report of the newer one (as loaded with it)
        agree and differ, each difference with its reason."""
        def report() -> dict[str, Any]:
            db = handles.get()
            return comparison_json(db.compare_report(db.diff(from_, to)))

        return await cached(("diff report", from_, to), report)

    def layout_of(release: str | None) -> _codetables.CodeTables:
        """The record layout that decodes a release (the latest by default); the shipped one with no release."""
        db = handles.get()
        return db.record_layout(release) if release or db.releases() else _codetables.builtin()

    @app.get("/api/fields", response_model=list[FieldOut], tags=["reference"])
    def api_fields(release: ReleaseQuery = None) -> Any:
        """Every field of CMS's record layout, with its definition: in the layout that decodes the release
        (the latest by default), that of its year where one is loaded, else the nearest."""
        layout = layout_of(_given(release))
        return [{"name": f.name, "label": f.label, "start": f.start, "length": f.length, "occurs": f.occurs,
                 "kind": f.kind, "code_table": f.code_table,
                 "definition": " ".join(layout.definition_paragraphs(f) or [])} for f in FIELDS]

    @app.get("/api/code-tables", response_model=dict[str, dict[str, str]], tags=["reference"])
    def api_code_tables(release: ReleaseQuery = None) -> Any:
        """CMS's code tables: the meaning of every coded value (pricing, coverage, BETOS, ...), in the record
        layout that decodes the release (the latest by default)."""
        return layout_of(_given(release)).layout["code_tables"]

    # -- pages -----------------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        return _pages.home(handles.get())

    @app.get("/codes/{code}", response_class=HTMLResponse, include_in_schema=False)
    def code_page(code: str, release: str | None = None, as_of: str | None = None) -> str:
        return _pages.code(handles.get().get(code, release=release, as_of=as_of))

    @app.get("/codes/{code}/history", response_class=HTMLResponse, include_in_schema=False)
    def history_page(code: str) -> str:
        return _pages.history(handles.get().history(code))

    @app.get("/diff", response_class=HTMLResponse, include_in_schema=False)
    async def diff_page(from_: Annotated[str | None, Query(alias="from")] = None, to: str | None = None,
                        offset: Offset = 0) -> Response:
        def page() -> str:
            db = handles.get()
            known = db.releases()
            if len(known) < 2 and (from_ is None or to is None):
                raise NotFound("a diff needs two loaded releases")
            return _pages.diff(db.diff(from_ or known[-2].id, to or known[-1].id), offset, [r.id for r in known])

        return await cached(("diff page", from_, to, offset), page, "text/html; charset=utf-8")

    @app.get("/releases", response_class=HTMLResponse, include_in_schema=False)
    def releases_page() -> str:
        return _pages.releases(handles.get().releases())

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in ("app.js", "style.css"):
            raise NotFound(f"no static file {name!r}")
        body = resources.files("hcpcs.web").joinpath("static", name).read_bytes()
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(body, media_type=kind, headers={"Cache-Control": "public, max-age=3600"})

    # -- FHIR ------------------------------------------------------------------------------------------

    def fhir_json(resource: dict[str, Any], status: int = 200) -> Response:
        return JSONResponse(resource, status_code=status, media_type=FHIR_JSON)

    @app.get("/fhir/metadata", tags=["fhir"], responses=FHIR_RESPONSES)
    def fhir_metadata(request: Request, mode: str | None = None) -> Response:
        """The CapabilityStatement, or with ``mode=terminology`` the TerminologyCapabilities."""
        if mode == "terminology":
            return fhir_json(fhir.terminology_capabilities(handles.get()))
        return fhir_json(fhir.capability_statement(str(request.base_url) + "fhir"))

    @app.get("/fhir/CodeSystem/$lookup", tags=["fhir"], responses=FHIR_RESPONSES)
    def fhir_lookup(code: FhirCode, system: FhirSystem = None, version: FhirVersion = None,
                    date: FhirDate = None) -> Response:
        """``$lookup``: display, short description, and every decoded field as a property."""
        return fhir_json(fhir.lookup(handles.get(), code, system=system, version=version, date=date))

    @app.get("/fhir/CodeSystem/$validate-code", tags=["fhir"], responses=FHIR_RESPONSES)
    def fhir_validate(code: FhirCode, system: FhirSystem = None, url: FhirSystem = None,
                      version: FhirVersion = None, date: FhirDate = None, display: str | None = None) -> Response:
        """``$validate-code``, with ``date`` for a date of service."""
        return fhir_json(fhir.validate_code(handles.get(), code, system=system or url, version=version, date=date,
                                            display=display))

    @app.get("/fhir/ValueSet/$expand", tags=["fhir"], responses=FHIR_RESPONSES)
    async def fhir_expand(url: str | None = None, filter: str | None = None,
                          count: Annotated[int, Query(ge=0, le=1000)] = 100, offset: Offset = 0,
                          activeOnly: bool = False, date: FhirDate = None,
                          version: FhirVersion = None) -> Response:
        """``$expand`` of the implicit value set of all codes: ``filter``, paging, ``activeOnly``, ``date``."""
        return await cached(("expand", url, filter, count, offset, activeOnly, date, version),
                            lambda: fhir.expand(handles.get(), url=url, filter=filter, count=count, offset=offset,
                                                active_only=activeOnly, date=date, version=version), FHIR_JSON)

    @app.get("/fhir/CodeSystem/{resource_id}", tags=["fhir"], responses=FHIR_RESPONSES)
    def fhir_code_system(resource_id: str, version: FhirVersion = None) -> Response:
        """Read the CodeSystem (its metadata; ``hcpcs export fhir`` writes every concept)."""
        if resource_id != fhir.CODE_SYSTEM_ID:
            raise fhir.FhirError(f"no CodeSystem {resource_id!r}: this server holds {fhir.CODE_SYSTEM_ID!r}",
                                 issue="not-found", status=404)
        return fhir_json(fhir.code_system(handles.get(), version=version))

    return app


# the shapes parse_code takes (no CDT D codes, no all-digit CPT modifiers); the others get its message, as 422
CODE_PATTERN = r"^([A-CE-Za-ce-z][0-9]{4}|[A-Za-z][A-Za-z0-9]|[0-9][A-Za-z])$"
CodePath = Annotated[str, Path(description="A Level II code (S9328) or modifier (GA), any case",
                               pattern=CODE_PATTERN)]
ReleaseQuery = Annotated[str | None, Query(description="A release id, YYYY-MM (YYYY for January)",
                                           pattern=RELEASE_PATTERN + "|^$")]
FhirVersion = Annotated[str | None, Query(description="A release id, YYYY-MM (YYYY for January)",
                                          pattern=RELEASE_PATTERN)]
FhirDate = Annotated[str | None, Query(
    description="A date of service: YYYY-MM-DD, or a FHIR dateTime (its date is used)",
    pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$",
    json_schema_extra={"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]})]
FhirCode = Annotated[str, Query(description="A Level II code (S9328) or modifier (GA), any case",
                                pattern=CODE_PATTERN)]
FhirSystem = Annotated[str | None, Query(description="The code system: " + fhir.SYSTEM,
                                         pattern="^(" + "|".join(re.escape(s) for s in sorted(fhir.SYSTEMS)) + ")$")]
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
        elif where in _SYSTEM_PARAMETERS:
            fhir.check_system(given)
    except HcpcsError as exc:
        return str(exc)
    return str(error["msg"])


_SYSTEM_PARAMETERS = (("query", "system"), ("query", "url"))
