"""The releases area: the loaded releases (``/releases``), what changed between two (``/diff``), each page and
its JSON twin from one view; the diff against CMS's transaction report and the record layout (JSON only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import StringConstraints

from .._errors import NotFound
from ..api.diff import COMPARED
from ..api.handle import Hcpcs
from ..model import code_tables as _codetables
from ..model.answers import Diff, Release
from ..model.layout import FIELDS
from ..render.schemas import DiffOut, FieldOut, ReleaseOut, ReportComparisonOut
from ..render.serialize import to_json
from . import _pages
from ._views import FROM_QUERY, TO_QUERY, Offset, ReleaseQuery, Site, View, given

#: /api/diff's fields: a compared field's name, or empty (left out)
DiffField = Annotated[str, StringConstraints(pattern="^(" + "|".join(f.name for f in COMPARED) + ")?$")]


@dataclass(frozen=True, slots=True)
class DiffAsked:
    """Two releases (the page defaults to the latest two), the fields compared (all by default), a page."""

    old: str | None
    new: str | None
    fields: tuple[str, ...] | None
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class DiffPage:
    """Which fields and which page of a diff: the parameters the diff page and /api/diff read alike."""

    fields: tuple[str, ...] | None
    limit: int
    offset: int


def diff_page(fields: Annotated[list[DiffField] | None, Query(description="Compare only these fields")] = None,
              limit: Annotated[int, Query(ge=1, le=10000)] = 1000, offset: Offset = 0) -> DiffPage:
    return DiffPage(tuple(f for f in fields or () if f.strip()) or None, limit, offset)


def _diff(db: Hcpcs, asked: DiffAsked) -> Diff:
    old, new = asked.old, asked.new
    if old is None or new is None:
        known = db.releases()
        if len(known) < 2:
            raise NotFound("a diff needs two loaded releases")
        old, new = old or known[-2].id, new or known[-1].id
    return db.diff(old, new, fields=asked.fields)


def _diff_data(found: Diff, asked: DiffAsked) -> dict[str, Any]:
    data = to_json(found)
    data["total"], data["offset"] = len(found.changes), asked.offset
    data["changes"] = [to_json(c) for c in found.changes[asked.offset:asked.offset + asked.limit]]
    return data


def _diff_html(db: Hcpcs, found: Diff, asked: DiffAsked) -> str:
    return _pages.diff(found, asked.offset, [r.id for r in db.releases()], size=min(asked.limit, _pages.DIFF_PAGE),
                       fields=asked.fields or ())


RELEASES: View[None, list[Release]] = View("releases", lambda db, _: db.releases(),
                                           lambda found, _: [to_json(r) for r in found],
                                           lambda _, found, __: _pages.releases(found))
DIFF: View[DiffAsked, Diff] = View("diff", _diff, _diff_data, _diff_html)
REPORT: View[tuple[str, str], dict[str, Any]] = View(
    "diff report", lambda db, pair: to_json(db.compare_report(db.diff(*pair))), lambda data, _: data)


def _layout(db: Hcpcs, release: str | None) -> _codetables.CodeTables:
    """The record layout that decodes a release (the latest by default); the shipped one with no release."""
    return db.record_layout(release) if release or db.releases() else _codetables.builtin()


def _fields(db: Hcpcs, release: str | None) -> list[dict[str, Any]]:
    layout = _layout(db, release)
    return [{**to_json(f), "definition": " ".join(layout.definition_paragraphs(f) or [])} for f in FIELDS]


FIELD_LIST: View[str | None, list[dict[str, Any]]] = View("fields", _fields, lambda data, _: data)
CODE_TABLES: View[str | None, Any] = View("code tables", lambda db, release: _layout(db, release).layout["code_tables"],
                                          lambda data, _: data)


def routes(site: Site) -> APIRouter:
    router = APIRouter()

    @router.get("/api/releases", response_model=list[ReleaseOut], tags=["releases"])
    async def api_releases(request: Request) -> Response:
        """Every loaded release, oldest first, with its source files and their sha256."""
        return await site.json(request, RELEASES, None)

    @router.get("/api/diff", response_model=DiffOut, tags=["releases"])
    async def api_diff(request: Request, from_: Annotated[str, FROM_QUERY], to: Annotated[str, TO_QUERY],
                       page: Annotated[DiffPage, Depends(diff_page)]) -> Response:
        """What changed between two releases, each code with CMS's action code and its field changes."""
        return await site.json(request, DIFF, DiffAsked(from_, to, page.fields, page.limit, page.offset))

    @router.get("/api/diff/report", response_model=ReportComparisonOut, tags=["releases"])
    async def api_diff_report(request: Request, from_: Annotated[str, FROM_QUERY],
                              to: Annotated[str, TO_QUERY]) -> Response:
        """Where the diff of two releases and CMS's transaction report of the newer one (as loaded with it)
        agree and differ, each difference with its reason."""
        return await site.json(request, REPORT, (from_, to))

    @router.get("/api/fields", response_model=list[FieldOut], tags=["reference"])
    async def api_fields(request: Request, release: ReleaseQuery = None) -> Response:
        """Every field of CMS's record layout, with its definition: in the layout that decodes the release
        (the latest by default), that of its year where one is loaded, else the nearest."""
        return await site.json(request, FIELD_LIST, given(release))

    @router.get("/api/code-tables", response_model=dict[str, dict[str, str]], tags=["reference"])
    async def api_code_tables(request: Request, release: ReleaseQuery = None) -> Response:
        """CMS's code tables: the meaning of every coded value (pricing, coverage, BETOS, ...), in the record
        layout that decodes the release (the latest by default)."""
        return await site.json(request, CODE_TABLES, given(release))

    @router.get("/releases", response_class=HTMLResponse, include_in_schema=False)
    async def releases_page(request: Request) -> Response:
        return await site.html(request, RELEASES, None)

    @router.get("/diff", response_class=HTMLResponse, include_in_schema=False)
    async def diff_html(request: Request, page: Annotated[DiffPage, Depends(diff_page)],
                        from_: Annotated[str | None, FROM_QUERY] = None,
                        to: Annotated[str | None, TO_QUERY] = None) -> Response:
        return await site.html(request, DIFF, DiffAsked(from_, to, page.fields, page.limit, page.offset))

    return router
