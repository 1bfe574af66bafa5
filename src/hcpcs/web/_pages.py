"""The HTML pages: light (no page over 100 KB), offline (no CDN), printable, labelled for screen readers.

Every page names its JSON twin in a ``<link rel="alternate" type="application/json">``.
"""

from __future__ import annotations

import datetime as dt
from html import escape as e
from urllib.parse import quote, urlencode

from ..model import code_tables as _codetables
from ..model.answers import Code, CodeChange, Diff, History, Release
from ..render.code_page import INTRO, page_lines
from ..render.ndc_page import limit_text

DIFF_PAGE = 100


def layout(title: str, body: str, twin: str | None = None, scripts: tuple[str, ...] = (),
           styles: tuple[str, ...] = ()) -> str:
    """A whole page: ``body`` in the site's frame, with its JSON twin, and the scripts and style sheets
    (files under /static/; no inline script) it needs beside the site's own style."""
    alternate = f'<link rel="alternate" type="application/json" href="{e(twin)}">' if twin else ""
    head = "".join(f'<link rel="stylesheet" href="/static/{e(name)}">' for name in styles)
    head += "".join(f'<script src="/static/{e(name)}" defer></script>' for name in scripts)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<link rel="icon" href="data:,">
{head}<link rel="stylesheet" href="/static/style.css">
{alternate}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
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


def code(found: Code) -> str:
    query = {"release": found.release.id}
    if found.as_of:
        query = {"as_of": found.as_of.isoformat()}
    twin = f"/api/codes/{quote(found.code)}?{urlencode(query)}"
    rows = "\n".join(
        f'<tr><th scope="row">{e(line.label)}</th><td>{_linked(line.field, line.value)}'
        + (f"<details><summary>Definition</summary><p>{e(line.definition)}</p></details>" if line.definition else "")
        + "</td></tr>"
        for line in page_lines(found)
    )
    body = f"""<h1><span class="code">{e(found.code)}</span> <small>{e(found.short_description or "")}</small></h1>
<p class="lead">{e(found.long_description)}</p>
<p class="links"><a href="/codes/{quote(found.code)}/history">History</a> · <a href="{e(twin)}">JSON</a></p>
{summary(found)}
{_on_a_date(found)}
<h2 id="fields">Every field</h2>
<table class="fields">
<caption>Every field of {e(found.code)} in release {e(found.release.id)}, as CMS's record layout orders them;
open a definition to read it</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<details class="about"><summary>About HCPCS</summary><p>{e(INTRO)}</p></details>"""
    return layout(f"{found.code} {found.short_description or ''} (HCPCS {found.release.id})", body, twin)


def summary(found: Code) -> str:
    """The answers a coder looks for first: status on the date, dates, coverage, pricing, BETOS, NOC,
    replacements, drug products."""
    day = found.as_of or found.release.effective_date
    status = ("In use" if found.active else "Terminated") + f" on {day.isoformat()}"
    facts = [("Status", f'<span class="status-{e(found.status)}">{e(status)}</span>'),
             ("Release", f"{e(found.release.id)} (effective {found.release.effective_date.isoformat()})")]
    if found.added_date:
        facts.append(("Added", found.added_date.isoformat()))
    if found.termination_date:
        facts.append(("Terminated", found.termination_date.isoformat()))
    if found.status == "Terminated" and found.cross_references:
        facts.append(("Replaced by", _linked("replacements", ", ".join(found.cross_references))))
    if found.coverage:
        facts.append(("Medicare coverage", _coded(found.coverage.meaning, found.coverage.value)))
    if found.pricing_indicators:
        facts.append(("Pricing", "<br>".join(_coded(c.meaning, c.value) for c in found.pricing_indicators)))
    if found.betos:
        facts.append(("BETOS", _coded(found.betos.meaning, found.betos.value)))
    if found.noc is not None:
        facts.append(("Not otherwise classified", "Yes: a claim needs a narrative" if found.noc else "No"))
    facts += [(label, value) for label, value in _drug_products(found)]
    facts += [("Later releases", e(note)) for note in found.hindsight]
    items = "\n".join(f"<div><dt>{e(label)}</dt><dd>{value}</dd></div>" for label, value in facts)
    return f"""<section class="summary" aria-labelledby="glance"><h2 id="glance">At a glance</h2>
<dl class="facts">
{items}
</dl></section>"""


def _coded(meaning: str | None, value: str) -> str:
    return f"{e(meaning)} <span class=\"muted\">({e(value)})</span>" if meaning else e(value)


def _drug_products(found: Code) -> list[tuple[str, str]]:
    """From CMS's drug files: the payment limit and the NDC packages billed under the code on the page's date."""
    drugs = found.drugs
    if drugs is None or drugs.empty:
        return []
    facts = []
    if drugs.limit is not None and drugs.limits is not None:
        facts.append(("Payment limit", f"{e(limit_text(drugs.limit))} <span class=\"muted\">(quarter "
                                       f"{e(drugs.limits.quarter)})</span>"))
    if drugs.products:
        names = sorted({p.drug_name for p in drugs.products})
        shown = ", ".join(e(n) for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        count = len(drugs.products)
        facts.append(("Drug products", f"{count} NDC {'package' if count == 1 else 'packages'}: {shown}"))
    return facts


def _on_a_date(found: Code) -> str:
    day = found.as_of.isoformat() if found.as_of else ""
    return f"""<form class="on-date" action="/codes/{quote(found.code)}" method="get">
<label for="as_of">See {e(found.code)} as of a date of service</label>
<input id="as_of" name="as_of" type="date" value="{day}"> <button type="submit">Show</button></form>"""


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


def _value(value: object, meaning: str | None) -> str:
    """One side of a field change; a blank shows as (none)."""
    shown = e(str(value)) if value is not None and str(value).strip() else '<span class="muted">(none)</span>'
    return shown + (f" ({e(meaning)})" if meaning else "")


def _change_rows(change: CodeChange) -> str:
    lines = [f"{e(c.label)}: {_value(c.old, c.old_meaning)} → {_value(c.new, c.new_meaning)}"
             for c in change.changes]
    if change.note:
        lines.insert(0, f"<em>{e(change.note)}</em>")
    if not lines:  # added or discontinued, no field changed: say what CMS's action code means
        lines.append(e(_codetables.meaning("HCPCS Action Code", change.action) or change.action))
    return "<br>".join(lines)


def _first_seen(change: CodeChange) -> str:
    """The first loaded release of a code: its description and when CMS added it."""
    note = f"<br><em>{e(change.note)}</em>" if change.note else ""
    return e(change.long_description or "") + note


def history(found: History, added: dt.date | None = None) -> str:
    """The code's history; ``added`` is CMS's added date in the latest release that has the code."""
    rows = "\n".join(
        f'<tr><th scope="row">{e(ev.release.id)}</th>'
        f'<td data-label="Action">{"first seen" if ev.first else e(ev.change.action)}</td>'
        f'<td data-label="What changed">{_first_seen(ev.change) if ev.first else _change_rows(ev.change)}</td></tr>'
        for ev in found.events
    )
    flags = [f"Added {added.isoformat()} (CMS's Code Added Date in release {e(found.last_release)})."] if added else []
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
<table class="wide"><caption>Changes to {e(found.code)}, release by release</caption>
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


def diff(found: Diff, offset: int, releases: list[str], size: int = DIFF_PAGE, fields: tuple[str, ...] = ()) -> str:
    """A page of ``size`` changes from ``offset``; ``fields`` the fields compared (all when empty)."""
    page = found.changes[offset:offset + size]
    rows = "\n".join(
        f'<tr><th scope="row"><a href="/codes/{quote(c.code)}?release={e(found.new.id)}">{e(c.code)}</a></th>'
        f'<td data-label="Action">{e(c.action)}</td><td data-label="Short description">{e(c.short_description or "")}'
        f'</td><td data-label="What changed">{_change_rows(c)}</td></tr>'
        for c in page
    )
    counts = ", ".join(f"{a} {n}" for a, n in found.counts().items())
    def options(chosen: str) -> str:
        return "".join(f'<option{" selected" if r == chosen else ""}>{e(r)}</option>' for r in releases)

    kept = [*(("fields", f) for f in fields), *([("limit", str(size))] if size != DIFF_PAGE else [])]
    hidden = "".join(f'<input type="hidden" name="{e(k)}" value="{e(v)}">\n' for k, v in kept)  # as its pager

    def at(start: int) -> str:
        query = [("from", found.old.id), ("to", found.new.id), *kept]
        return "/diff?" + urlencode([*query, ("offset", str(start))])

    nav = []
    if offset > 0:
        nav.append(f'<a href="{e(at(max(0, offset - size)))}">Previous {size}</a>')
    if offset + size < len(found.changes):
        nav.append(f'<a href="{e(at(offset + size))}">Next {size}</a>')
    body = f"""<h1>Changes from {e(found.old.id)} to {e(found.new.id)}</h1>
<form class="compare" action="/diff" method="get">
<span><label for="from">From release</label> <select id="from" name="from">{options(found.old.id)}</select></span>
<span><label for="to">To release</label> <select id="to" name="to">{options(found.new.id)}</select></span>
<button type="submit">Compare</button>
{hidden}</form>
<p>{len(found.changes)} codes changed ({e(counts)}); showing {offset + 1 if page else 0}–{offset + len(page)}.
{" · ".join(nav)}</p>
<table class="wide"><caption>Codes changed, with CMS's action code</caption>
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
        f'<tr><th scope="row">{e(r.id)}</th><td data-label="Effective">{r.effective_date.isoformat()}</td>'
        f'<td data-label="Procedures">{r.procedure_count:,}</td><td data-label="Modifiers">{r.modifier_count}</td>'
        f'<td data-label="Files">{files(r)}</td></tr>' for r in found
    )
    body = f"""<h1>Loaded releases</h1>
<table class="wide"><caption>Every CMS release in this database, with its source files (sha256)</caption>
<thead><tr><th scope="col">Release</th><th scope="col">Effective</th><th scope="col">Procedures</th>
<th scope="col">Modifiers</th><th scope="col">Files</th></tr></thead>
<tbody>
{rows}
</tbody></table>"""
    return layout("HCPCS releases", body, "/api/releases")
