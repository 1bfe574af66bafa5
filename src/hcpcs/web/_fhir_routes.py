"""The FHIR terminology routes under ``/fhir``: GET and POST (a ``Parameters`` resource or a form) of every
operation, at type and instance level, reads, ``url`` searches, batches and metadata. Each route turns the HTTP
request into inputs and hands it to ``fhir.handle``; answers are JSON only (``_format=xml`` or an ``Accept`` with
no JSON is a 406)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from .. import fhir
from ..api.handle import Hcpcs
from ._cache import Cache

FHIR_JSON = "application/fhir+json"
FHIR_MEDIA = FHIR_JSON + "; charset=utf-8"
FHIR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {FHIR_JSON: {"schema": {"type": "object"}}}}
    for status, text in ((200, "A FHIR resource"), (400, "OperationOutcome: a malformed request"),
                         (404, "OperationOutcome: no such code, release or resource"),
                         (405, "OperationOutcome: a method this path does not take"),
                         (406, "OperationOutcome: a format other than JSON was asked for"),
                         (413, "OperationOutcome: a body over the size limit"),
                         (415, "OperationOutcome: a body neither FHIR JSON nor a form"),
                         (422, "OperationOutcome: too costly (an expansion or batch over the limit)"),
                         (503, "OperationOutcome: the database cannot be used"))
}
#: Answered on the event loop (a millisecond or two, then cached); the rest run in the thread pool.
_QUICK = ("$lookup", "$validate-code", "$subsumes", "$translate")
_JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json", "application/json+fhir"})
_MAX_BODY = 5_000_000


class _Refused(Exception):
    def __init__(self, status: int, message: str, issue: str) -> None:
        super().__init__(message)
        self.status, self.issue = status, issue


def _check_format(request: Request) -> None:
    """JSON only: ``_format`` must name JSON, and an ``Accept`` header must allow it."""
    for value in request.query_params.getlist("_format"):
        if value.strip().lower() not in _JSON_FORMATS:
            raise _Refused(406, f"_format {value!r} is not supported: this server answers FHIR JSON only "
                                "(_format=json, application/fhir+json)", "not-supported")
    accept = request.headers.get("accept")
    if accept and "_format" not in request.query_params:
        kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
        if not any(k in ("*/*", "application/*") or k.endswith("json") for k in kinds):
            raise _Refused(406, f"Accept {accept!r} allows no format this server answers: it answers "
                                f"{FHIR_JSON} only", "not-supported")


async def _inputs(request: Request) -> tuple[fhir.Inputs, Any]:
    """The query's parameters, and a POST's: a Parameters resource (returned too, as the body) or a form."""
    inputs = fhir.Inputs((k, v) for k, v in request.query_params.multi_items() if k not in ("_format", "_pretty"))
    if request.method != "POST":
        return inputs, None
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise _Refused(413, f"the body is {len(body):,} bytes, over the {_MAX_BODY:,} this server reads",
                       "too-costly")
    if not body.strip():
        return inputs, None
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=False):
            inputs.add(name, value)
        return inputs, None
    if kind and not kind.endswith("json"):
        raise _Refused(415, f"a body of {kind} is not supported: POST {FHIR_JSON} (a Parameters resource) or "
                            "application/x-www-form-urlencoded", "not-supported")
    try:
        resource = json.loads(body)
    except ValueError as exc:
        raise _Refused(400, f"the body is not JSON: {exc}", "invalid") from None
    return inputs, resource


def _allowed(path: str) -> str:
    """The methods a path under /fhir takes, for the ``Allow`` header of a 405: POST at the base (a batch),
    GET and POST for operations, GET for reads, searches and metadata."""
    if not path:
        return "POST"
    return "GET, POST" if path.rpartition("/")[2].startswith("$") else "GET"


def fhir_json(resource: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(resource, ensure_ascii=False).encode(), status_code=status, media_type=FHIR_MEDIA,
                    headers=headers)


class FhirEndpoint:
    """Answers every FHIR request: as the endpoint of the documented routes, and as an ASGI app mounted at
    ``/fhir`` ahead of the app's route table (no walk through every route, no dependency solving). Its answers
    (but those of the server's own faults) may be kept whole (``Cache.keep``): the same request again, until
    the data version changes, is answered from the app's one response cache before it gets here."""

    def __init__(self, database: Callable[[], Hcpcs], cache: Cache) -> None:
        self.database = database
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.answer(Request(scope, receive))
        await response(scope, receive, send)

    def compute(self, method: str, path: str, inputs: fhir.Inputs, body: Any, base: str) -> tuple[int, bytes]:
        db = self.database()
        if body is not None and path == "":
            status, resource = 200, fhir.batch(db, body, base)
        else:
            if body is not None:
                for name, values in fhir.Inputs.of_parameters(body).values.items():
                    for value in values:
                        inputs.add(name, value)
            status, resource = fhir.handle(db, method, path, inputs, base)
        return status, json.dumps(resource, ensure_ascii=False).encode()

    async def answer(self, request: Request) -> Response:
        path = request.scope["path"].removeprefix("/fhir").strip("/")  # as sent: url.path drops a newline
        base = str(request.base_url).rstrip("/") + "/fhir"
        try:
            _check_format(request)
            inputs, body = await _inputs(request)
            if path.endswith(_QUICK):
                status, content = self.compute(request.method, path, inputs, body, base)
            else:
                status, content = await run_in_threadpool(self.compute, request.method, path, inputs, body, base)
        except _Refused as exc:
            return fhir_json(fhir.outcome(str(exc), exc.issue), exc.status)
        except fhir.FhirError as exc:
            return fhir_json(fhir.outcome(str(exc), exc.issue), exc.status)
        if status < 500 and path not in ("", "metadata"):  # (metadata says today's date)
            self.cache.keep(request.scope)
        return Response(content, status_code=status, media_type=FHIR_MEDIA,
                        headers={"Allow": _allowed(path)} if status == 405 else None)


def fhir_router(endpoint: FhirEndpoint) -> APIRouter:
    """The ``/fhir`` routes, as OpenAPI documents them, each answered by ``endpoint``."""
    router = APIRouter(prefix="/fhir", tags=["fhir"])
    answer = endpoint.answer

    def add(path: str, methods: list[str], summary: str, own_id: str = "") -> None:
        # the endpoint reads the request itself, so a path's id is declared here for the document to name it
        extra = {"parameters": [{"name": "resource_id", "in": "path", "required": True,
                                 "description": "The resource's id: this server has one of each type",
                                 "schema": {"type": "string", "enum": [own_id]}}]}
        for method in methods:
            named = re.sub(r"\W+", "_", f"fhir_{method}_{path}").strip("_").lower()
            router.add_api_route(path, answer, methods=[method], summary=summary, responses=FHIR_RESPONSES,
                                 response_class=Response, operation_id=named,
                                 openapi_extra=extra if "{resource_id}" in path else None)

    add("/metadata", ["GET"], "CapabilityStatement; mode=terminology: TerminologyCapabilities")
    add("", ["POST"], "A batch Bundle of operations, answered in one batch-response")
    for kind, (own_id, _, _) in fhir.RESOURCES.items():
        add(f"/{kind}", ["GET"], f"Search {kind} by url (url|version), version, _id; _summary, _elements")
        for (of, name) in fhir.OPERATIONS:
            if of == kind:
                add(f"/{kind}/${name}", ["GET", "POST"], f"{kind} ${name}")
                add(f"/{kind}/{{resource_id}}/${name}", ["GET", "POST"], f"{kind} ${name} on {own_id}", own_id)
        add(f"/{kind}/{{resource_id}}", ["GET"], f"Read {kind} {own_id} (version=, _summary, _elements)", own_id)
    # anything else under /fhir: an OperationOutcome naming what this server has, not a bare 404
    router.add_api_route("/{rest:path}", answer, methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                         include_in_schema=False)
    return router
