"""The NDC page: the code(s) one drug package bills under, by CMS's ASP NDC-HCPCS crosswalk."""

from __future__ import annotations

from html import escape as e
from urllib.parse import quote

from ..model.drugs import NdcAnswer
from ..render.ndc_page import ndc_lines
from ._pages import layout


def ndc(found: NdcAnswer) -> str:
    twin = f"/api/ndc/{quote(found.ndc)}"
    rows = "\n".join(
        f'<tr><th scope="row">{e(label)}</th><td>'
        + (f'<a href="/codes/{quote(value)}">{e(value)}</a>' if label == "Code" and value[:1].isalpha() else e(value))
        + "</td></tr>"
        for label, value in ndc_lines(found))
    codes = ", ".join(sorted({p.code for p in found.products}))
    body = f"""<h1>NDC {e(found.ndc)} <small class="muted">bills under {e(codes)}</small></h1>
<p>From CMS's ASP NDC-HCPCS crosswalk of quarter {e(found.quarter.quarter)} · <a href="{e(twin)}">JSON</a></p>
<table>
<caption>What CMS's crosswalk says of NDC {e(found.ndc)}</caption>
<tbody>
{rows}
</tbody>
</table>"""
    return layout(f"NDC {found.ndc} (HCPCS {codes})", body, twin)
