"""The files the pages load (style sheets, scripts) and the API's documentation at ``/docs``, all served from
the installed package (no CDN)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .._errors import NotFound
from . import _docs

STATIC = ("search.js", "docs.js", "style.css", "docs.css")


def routes() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs", response_class=HTMLResponse)
    async def docs() -> str:
        return _docs.page()

    @router.get("/redoc")
    async def redoc() -> Response:
        return RedirectResponse("/docs")

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in STATIC:
            raise NotFound(f"no static file {name!r}")
        body = resources.files("hcpcs.web").joinpath("static", name).read_bytes()
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(body, media_type=kind, headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/static/docs/{name}")
    def docs_asset(name: str) -> Response:
        if name not in _docs.ASSETS:
            raise NotFound(f"no static file {name!r}")
        return Response(_docs.asset(name), media_type=_docs.ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})

    return router
