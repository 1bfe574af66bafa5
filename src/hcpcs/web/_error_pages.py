"""Errors in the form the caller reads: a page for a browser's route, JSON under ``/api/``, and (in the app)
an OperationOutcome under ``/fhir/``. A missing code's page links the codes near it."""

from __future__ import annotations

from html import escape as e
from urllib.parse import quote

from starlette.requests import Request

from .._errors import CodeError, HcpcsError, NotFound, StoreError, UsageError
from ._pages import layout

TITLES = {400: "Not a code we can look up", 404: "Not found", 422: "A parameter is not valid",
          500: "Something went wrong", 503: "The database cannot be used"}


def status_of(exc: HcpcsError) -> tuple[int, str]:
    """The HTTP status and error type of a library error."""
    if isinstance(exc, NotFound):
        return 404, "not_found"
    if isinstance(exc, CodeError | UsageError):
        return 400, "bad_request"
    if isinstance(exc, StoreError):
        return 503, "unavailable"
    return 400, "bad_request"


def wants_page(request: Request) -> bool:
    """A route of the pages (not the JSON API, FHIR, MCP or the OpenAPI document) answers errors as a page, unless
    the request's ``Accept`` prefers JSON (a page's view answers in JSON then, errors too)."""
    path = request.url.path
    return not path.startswith(("/api/", "/fhir", "/mcp", "/openapi.json")) and path != "/api" \
        and not json_preferred(request)


def json_preferred(request: Request) -> bool:
    """Whether the request's ``Accept`` header asks for JSON before HTML (a browser's never does)."""
    accept = request.headers.get("accept", "")
    if "json" not in accept:
        return False
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    first_json = next(i for i, k in enumerate(kinds) if k.endswith("json"))
    first_html = next((i for i, k in enumerate(kinds) if k in ("text/html", "application/xhtml+xml")), len(kinds))
    return first_json < first_html


def error_page(status: int, message: str, suggestions: tuple[str, ...] = ()) -> str:
    """The page of one error: what went wrong in a sentence, the near codes as links, a way back."""
    near = ""
    if suggestions:
        links = "".join(f'<li><a href="/codes/{quote(code)}">{e(code)}</a></li>' for code in suggestions)
        near = f'<h2>Codes near it</h2>\n<ul class="near">{links}</ul>'
    body = f"""<h1>{e(TITLES.get(status, "Error"))}</h1>
<p class="problem" role="alert">{e(message)}</p>
{near}
<p><a href="/">Search the codes</a> · <a href="/releases">See the loaded releases</a></p>"""
    return layout(f"{TITLES.get(status, 'Error')} ({status}) - hcpcs", body)
