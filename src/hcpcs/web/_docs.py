"""The API documentation at ``/docs``, offline: Swagger UI's script and style come from the installed
``fastapi-offline`` package and are served from ``/static/docs/``; the page's start-up is static/docs.js."""

from __future__ import annotations

from functools import cache
from importlib import resources

from ._pages import layout

#: Swagger UI's files, as the package ships them, and their media types
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


def page() -> str:
    body = """<h1>hcpcs JSON API</h1>
<p>Every route with its parameters and answers. The OpenAPI document itself is
<a href="/openapi.json">/openapi.json</a>.</p>
<div id="swagger-ui"></div>"""
    return layout("hcpcs JSON API", body, "/openapi.json", scripts=("docs/swagger-ui-bundle.js", "docs.js"),
                  styles=("docs/swagger-ui.css", "docs.css"))


@cache
def asset(name: str) -> bytes:
    """One of Swagger UI's files, read once from the installed package."""
    return resources.files("fastapi_offline").joinpath("static", name).read_bytes()
