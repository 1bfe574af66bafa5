"""The drugs area: the code(s) an NDC bills under (``/ndc/{ndc}``, ``/api/ndc/{ndc}``), page and JSON twin from
one view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from ..model.drugs import NdcAnswer, Quarter
from ..model.identifiers import NDC_PATTERN
from ..render.schemas import DrugQuarterOut, NdcOut
from ..render.serialize import to_json
from . import _drug_page
from ._views import AsOf, Site, View


@dataclass(frozen=True, slots=True)
class NdcAsked:
    ndc: str
    as_of: dt.date | None


def ndc_asked(ndc: Annotated[str, Path(description="An NDC: 11 digits, 5-4-2, or 4-4-2, 5-3-2, 5-4-1",
                                       pattern=NDC_PATTERN)],
              as_of: AsOf = None) -> NdcAsked:
    return NdcAsked(ndc, as_of)


NDC: View[NdcAsked, NdcAnswer] = View("ndc", lambda db, asked: db.ndc(asked.ndc, as_of=asked.as_of),
                                      lambda found, _: to_json(found), lambda _, found, __: _drug_page.ndc(found))

QUARTERS: View[None, list[Quarter]] = View("quarters", lambda db, _: db.drug_quarters(),
                                               lambda found, _: [to_json(q) for q in found])


def routes(site: Site) -> APIRouter:
    router = APIRouter()

    @router.get("/api/ndc/{ndc}", response_model=NdcOut, tags=["drugs"])
    async def api_ndc(request: Request, asked: Annotated[NdcAsked, Depends(ndc_asked)]) -> Response:
        """The code(s) a drug package bills under, by CMS's ASP NDC-HCPCS crosswalk in effect on the date (else
        the latest quarter before it, said in ``note``), or the latest that lists it."""
        return await site.json(request, NDC, asked)

    @router.get("/api/quarters", response_model=list[DrugQuarterOut], tags=["drugs"])
    async def api_quarters(request: Request) -> Response:
        """Every loaded quarter of CMS's drug files (NDC crosswalk, payment limits): period, source file, sha256."""
        return await site.json(request, QUARTERS, None)

    @router.get("/ndc/{ndc}", response_class=HTMLResponse, include_in_schema=False)
    async def ndc_page(request: Request, asked: Annotated[NdcAsked, Depends(ndc_asked)]) -> Response:
        return await site.html(request, NDC, asked)

    return router
