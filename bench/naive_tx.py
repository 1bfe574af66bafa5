"""The naive peer of the FHIR operations in ``bench/serve.py``: a bare SQLite row read behind the same HTTP
stack (uvicorn, Starlette), no FHIR around it and no cache. ``GET /lookup?code=`` and ``POST /validate`` (a
Parameters resource) answer the code's latest description. The database is ``$HCPCS_DB``.

    HCPCS_DB=hcpcs.sqlite uvicorn naive_tx:app --workers 2
"""

from __future__ import annotations

import json
import os
import sqlite3

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_db = sqlite3.connect(f"file:{os.environ['HCPCS_DB']}?mode=ro", uri=True, check_same_thread=False)
_SQL = "SELECT long_description FROM records WHERE code = ? ORDER BY release_id DESC LIMIT 1"


def _answer(code: str) -> JSONResponse:
    row = _db.execute(_SQL, (code.upper(),)).fetchone()
    return JSONResponse({"code": code, "result": row is not None, "display": row[0] if row else None})


async def lookup(request: Request) -> JSONResponse:
    return _answer(request.query_params.get("code", ""))


async def validate(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    code = next((p.get("valueCode", "") for p in body.get("parameter", []) if p.get("name") == "code"), "")
    return _answer(code)


app = Starlette(routes=[Route("/lookup", lookup), Route("/validate", validate, methods=["POST"])])
