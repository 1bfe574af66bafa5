"""The HTML pages: light (no page over 100 KB), offline (no CDN), printable, labelled for screen readers.

Every page names its JSON twin in a ``<link rel="alternate" type="application/json">``.
"""

from __future__ import annotations

from html import escape as e
from urllib.parse import quote, urlencode

from .._api import Hcpcs
from .._drug_pages import limit_text
from .._models import Code, CodeChange, Diff, History, Release
from .._page import INTRO, page_lines

DIFF_PAGE = 100


def layout(title: str, body: str, twin: str | None = None) -> str:
    alternate = f'<link rel="alternate" type="application/json" href="{e(twin)}">' if twin else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<link rel="stylesheet" href="/static/style.css">
{alternate}
</head>
<body>
<header><strong><a href="/">hcpcs</a></strong>
<nav aria-label="Main"><a href="/">Search</a> · <a href="/releases">Releases</a> · <a href="/diff">Changes</a> ·
<a href="/docs">API</a></nav></header>
<main id="main">
{body}
</main>
<footer class="muted">HCPCS Level II codes from CMS's public release files. CPT and CDT codes are not included.</footer>
</body>
</html>
"""


def home(db: Hcpcs) -> str:
    latest = db.release()
    body = f"""<h1>HCPCS Level II codes</h1>
<p>Release {e(latest.id)}, {latest.procedure_count:,} codes and {latest.modifier_count} modifiers.
Type words, abbreviations or a code; use the arrow keys and Enter to open a result.</p>
<form id="search" action="/api/search" role="search" onsubmit="return false">
<label for="q">Search codes and descriptions</label>
<input id="q" name="q" type="search" autocomplete="off" autofocus role="combobox" aria-autocomplete="list"
 aria-controls="results" aria-expanded="false" placeholder="e.g. infusion pain, wheelchair cushion, E0424">
</form>
<p id="status" class="muted" role="status" aria-live="polite"></p>
<ul id="results" role="listbox" aria-label="Search results"></ul>
<script src="/static/app.js" defer></script>"""
    return layout("HCPCS Level II search", body, "/api/search?q=")


def code(found: Code) -> str:
    query = {"release": found.release.id}
    if found.as_of:
        query = {"as_of": found.as_of.isoformat()}
    twin = f"/api/codes/{quote(found.code)}?{urlencode(query)}"
    rows = "\n".join(
        f'<tr><th scope="row">{e(line.label)}</th><td>{_linked(line.field, line.value)}</td>'
        f'<td class="definition">{e(line.definition)}</td></tr>'
        for line in page_lines(found)
    )
    status = f'<span class="status-{e(found.status)}">{e(found.status)}</span>'
    body = f"""<h1>{e(found.code)} <small class="muted">{e(found.short_description or "")}</small></h1>
<p><strong>{e(found.long_description)}</strong></p>
<p>Status: {status} · Release {e(found.release.id)} (effective {found.release.effective_date.isoformat()})
{f" · as of {found.as_of.isoformat()}" if found.as_of else ""} ·
<a href="/codes/{quote(found.code)}/history">History</a> · <a href="{e(twin)}">JSON</a></p>
<p class="muted">{e(INTRO)}</p>
<table>
<caption>Every field of {e(found.code)} in release {e(found.release.id)}</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Value</th><th scope="col">Definition</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>"""
    return layout(f"{found.code} {found.short_description or ''} (HCPCS {found.release.id})", body, twin)


def _linked(field: str, value: str) -> str:
    if field == "drug_product" and value.startswith("NDC "):
        ndc, _, rest = value[4:].partition(" ")
        return f'NDC <a href="/ndc/{quote(ndc)}">{e(ndc)}</a> {e(rest)}'
    if field == "related":
        code, _, rest = value.partition(" ")
        return f'<a href="/codes/{quote(code)}">{e(code)}</a> {e(rest)}'
    if field.startswith("cross_reference") or field == "replacements":
        return ", ".join(f'<a href="/codes/{quote(c.strip())}">{e(c.strip())}</a>' for c in value.split(","))
    return e(value)


def _change_rows(change: CodeChange) -> str:
    lines = [f"{e(c.label)}: {e(str(c.old or ''))}{' (' + e(c.old_meaning) + ')' if c.old_meaning else ''} → "
             f"{e(str(c.new or ''))}{' (' + e(c.new_meaning) + ')' if c.new_meaning else ''}" for c in change.changes]
    if change.note:
        lines.insert(0, f"<em>{e(change.note)}</em>")
    return "<br>".join(lines)


def history(found: History) -> str:
    rows = "\n".join(
        f"<tr><th scope=\"row\">{e(ev.release.id)}</th><td>{'first seen' if ev.first else e(ev.change.action)}</td>"
        f"<td>{e(ev.change.long_description or '') if ev.first else _change_rows(ev.change)}</td></tr>"
        for ev in found.events
    )
    flags = []
    if found.reused:
        flags.append("<strong>Reused:</strong> this code has had more than one meaning; check the date of service.")
    if found.termination_date:
        flags.append(f"Terminated {found.termination_date.isoformat()}"
                     + (f"; replaced by {', '.join(found.replacements)}" if found.replacements else "") + ".")
    if found.reactivated:
        flags.append("Re-activated after a discontinuation.")
    body = f"""<h1>History of <a href="/codes/{quote(found.code)}">{e(found.code)}</a></h1>
<p>In releases {e(", ".join(found.releases))}.</p>
{"".join(f"<p>{f}</p>" for f in flags)}
<table><caption>Changes to {e(found.code)}, release by release</caption>
<thead><tr><th scope="col">Release</th><th scope="col">Action</th><th scope="col">What changed</th></tr></thead>
<tbody>
{rows}
</tbody></table>{_payment_limits(found)}"""
    return layout(f"History of {found.code}", body, f"/api/codes/{quote(found.code)}/history")


def _payment_limits(found: History) -> str:
    """The payment limit per dosage unit in each loaded quarter of CMS's pricing files."""
    if not found.payment_limits:
        return ""
    rows = "\n".join(f'<tr><th scope="row">{e(q.quarter)}</th><td>{e(limit_text(x))}</td><td>{e(q.source)}</td></tr>'
                     for q, x in found.payment_limits)
    return f"""
<table><caption>Medicare Part B payment limit per dosage unit, quarter by quarter</caption>
<thead><tr><th scope="col">Quarter</th><th scope="col">Payment limit</th><th scope="col">Source</th></tr></thead>
<tbody>
{rows}
</tbody></table>"""


def diff(found: Diff, offset: int, releases: list[str]) -> str:
    page = found.changes[offset:offset + DIFF_PAGE]
    rows = "\n".join(
        f'<tr><th scope="row"><a href="/codes/{quote(c.code)}?release={e(found.new.id)}">{e(c.code)}</a></th>'
        f"<td>{e(c.action)}</td><td>{e(c.short_description or '')}</td><td>{_change_rows(c)}</td></tr>"
        for c in page
    )
    counts = ", ".join(f"{a} {n}" for a, n in found.counts().items())
    options = "".join(f"<option>{e(r)}</option>" for r in releases)
    nav = []
    if offset > 0:
        nav.append(f'<a href="/diff?from={e(found.old.id)}&amp;to={e(found.new.id)}&amp;offset='
                   f'{max(0, offset - DIFF_PAGE)}">Previous {DIFF_PAGE}</a>')
    if offset + DIFF_PAGE < len(found.changes):
        nav.append(f'<a href="/diff?from={e(found.old.id)}&amp;to={e(found.new.id)}&amp;offset='
                   f'{offset + DIFF_PAGE}">Next {DIFF_PAGE}</a>')
    body = f"""<h1>Changes from {e(found.old.id)} to {e(found.new.id)}</h1>
<form action="/diff" method="get"><label for="from">From release</label>
<select id="from" name="from">{options}</select>
<label for="to">To release</label><select id="to" name="to">{options}</select>
<button type="submit">Compare</button></form>
<p>{len(found.changes)} codes changed ({e(counts)}); showing {offset + 1 if page else 0}–{offset + len(page)}.
{" · ".join(nav)}</p>
<table><caption>Codes changed, with CMS's action code</caption>
<thead><tr><th scope="col">Code</th><th scope="col">Action</th><th scope="col">Short description</th>
<th scope="col">What changed</th></tr></thead>
<tbody>
{rows}
</tbody></table>"""
    return layout(f"HCPCS changes {found.old.id} to {found.new.id}", body,
                  f"/api/diff?from={found.old.id}&to={found.new.id}")


def releases(found: list[Release]) -> str:
    def files(r: Release) -> str:
        return "<br>".join(f"{e(f.display)} <code>{f.sha256[:12]}</code>" for f in r.files)

    rows = "\n".join(
        f"<tr><th scope=\"row\">{e(r.id)}</th><td>{r.effective_date.isoformat()}</td><td>{r.procedure_count:,}</td>"
        f"<td>{r.modifier_count}</td><td>{files(r)}</td></tr>" for r in found
    )
    body = f"""<h1>Loaded releases</h1>
<table><caption>Every CMS release in this database, with its source files (sha256)</caption>
<thead><tr><th scope="col">Release</th><th scope="col">Effective</th><th scope="col">Procedures</th>
<th scope="col">Modifiers</th><th scope="col">Files</th></tr></thead>
<tbody>
{rows}
</tbody></table>"""
    return layout("HCPCS releases", body, "/api/releases")
