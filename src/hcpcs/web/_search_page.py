"""The search page: the query and its filters live in the URL (``/?q=...&release=...``), the results are
rendered here, and a page works with JavaScript off; search.js only swaps in this same markup as you type."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html import escape as e
from urllib.parse import quote, urlencode

from .._errors import HcpcsError
from ..api.handle import Hcpcs
from ..model.answers import Release, SearchHit, SearchResult
from ._error_pages import status_of
from ._pages import layout

PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class SearchForm:
    """What the search form asks: the words and filters as typed, blanks meaning not given."""

    q: str = ""
    release: str = ""
    as_of: str = ""
    codes: str = ""
    include_terminated: bool = False
    offset: int = 0

    def url(self, **changes: object) -> str:
        """This search's URL with ``changes`` applied, naming only the parameters that are set."""
        form = replace(self, **changes)  # type: ignore[arg-type]
        params = {name: value for name, value in (
            ("q", form.q), ("release", form.release), ("as_of", form.as_of), ("codes", form.codes),
            ("include_terminated", "1" if form.include_terminated else ""), ("offset", form.offset or ""),
        ) if value}
        return "/?" + urlencode(params) if params else "/"


def page(db: Hcpcs, form: SearchForm) -> tuple[str, int]:
    """The search page for ``form`` and its HTTP status (400 or 404 with the message for a bad filter)."""
    releases = db.releases()
    result: SearchResult | None = None
    problem, status = "", 200
    if form.q.strip():
        try:
            result = db.search(form.q, release=form.release.strip() or None, as_of=form.as_of.strip() or None,
                               codes=form.codes.strip() or None, include_terminated=form.include_terminated,
                               limit=PAGE_SIZE, offset=form.offset)
        except HcpcsError as exc:
            status = status_of(exc)[0]
            problem = f'<p class="problem" role="alert">{e(str(exc))}</p>'
    latest = releases[-1] if releases else None
    intro = (f"<p>Release {e(latest.id)}, {latest.procedure_count:,} codes and {latest.modifier_count} modifiers. "
             "Type words, abbreviations or a code.</p>" if latest else "<p>No release is loaded yet.</p>")
    body = f"""<h1>HCPCS Level II codes</h1>
{intro}
{_form(form, releases)}
<section id="found" aria-live="polite" aria-label="Search results">
{problem}{_results(form, result) if result else ""}
</section>"""
    title = f"{form.q.strip()} - HCPCS search" if form.q.strip() else "HCPCS Level II search"
    twin = "/api/search?" + urlencode({"q": form.q.strip()})
    return layout(title, body, twin, scripts=("search.js",)), status


def _form(form: SearchForm, releases: list[Release]) -> str:
    options = "".join(f'<option value="{e(r.id)}"{" selected" if r.id == form.release.strip() else ""}>'
                      f"{e(r.id)}</option>" for r in reversed(releases))
    checked = " checked" if form.include_terminated else ""
    return f"""<form id="search" action="/" method="get" role="search">
<label for="q">Search codes and descriptions</label>
<div class="searchbar"><input id="q" name="q" type="search" value="{e(form.q)}" autocomplete="off"
 placeholder="e.g. infusion pain, wheelchair cushion, E0424" aria-describedby="keys">
<button type="submit">Search</button></div>
<p id="keys" class="muted">Arrow down moves into the results; Enter opens one.</p>
<fieldset class="filters"><legend>Filters</legend>
<span><label for="release">Release</label><select id="release" name="release">
<option value="">Latest</option>{options}</select></span>
<span><label for="as_of">or in effect on</label>
<input id="as_of" name="as_of" type="date" value="{e(form.as_of)}"></span>
<span><label for="codes">Codes</label><input id="codes" name="codes" value="{e(form.codes)}" size="12"
 placeholder="E, J93, E0100-E0200"></span>
<span class="check"><input id="include_terminated" name="include_terminated" type="checkbox" value="1"{checked}>
<label for="include_terminated">Include terminated codes</label></span>
</fieldset>
</form>"""


def _results(form: SearchForm, result: SearchResult) -> str:
    first, last = result.offset + 1, result.offset + len(result.hits)
    if not result.hits:
        count = (f"No codes found in release {e(result.release.id)}." if result.total == 0 else
                 f"No codes on this page: {result.total:,} found in release {e(result.release.id)}.")
    else:
        count = (f"{result.total:,} {'code' if result.total == 1 else 'codes'} found in release "
                 f"{e(result.release.id)}; showing {first:,}–{last:,}.")
    hints = [f"{e(word)} read as {e(', '.join(alts))}" for word, alts in result.corrections.items()]
    hints += [e(note) for note in result.notes]
    if result.did_you_mean:
        hints.append(f'Did you mean <a href="{e(form.url(q=result.did_you_mean, offset=0))}">'
                     f"{e(result.did_you_mean)}</a>?")
    items = "\n".join(
        f'<li><a href="/codes/{quote(h.code)}{_release_query(form)}"><span class="code">{e(h.code)}</span> '
        f"{_mark(h.long_description, result.terms)}</a>"
        + (' <span class="status-Terminated">(terminated)</span>' if h.status == "Terminated" else "")
        + _why(h) + "</li>"
        for h in result.hits
    )
    return f"""<p id="count">{count}</p>
{"".join(f'<p class="muted">{h}</p>' for h in hints)}
<ol id="results" start="{first}">
{items}
</ol>
{_pager(form, result)}"""


def _why(hit: SearchHit) -> str:
    """The query words read as something other than themselves (``inj: injection (abbreviation)``)."""
    told = [f"{reason.query}: {', '.join(w for w in reason.words if w != reason.query)} ({reason.how})"
            if any(w != reason.query for w in reason.words) else f"{reason.query} ({reason.how})"
            for reason in hit.why if reason.how != "word" or tuple(reason.words) != (reason.query,)]
    return f' <span class="why">{e("; ".join(told))}</span>' if told else ""


def _release_query(form: SearchForm) -> str:
    """A result links to the code in the release searched, or as of the date searched."""
    if form.as_of.strip():
        return "?" + urlencode({"as_of": form.as_of.strip()})
    return "?" + urlencode({"release": form.release.strip()}) if form.release.strip() else ""


def _pager(form: SearchForm, result: SearchResult) -> str:
    links = []
    if result.offset > 0:
        links.append(f'<a rel="prev" href="{e(form.url(offset=max(0, result.offset - PAGE_SIZE)))}">'
                     f"Previous {PAGE_SIZE}</a>")
    if result.offset + PAGE_SIZE < result.total:
        links.append(f'<a rel="next" href="{e(form.url(offset=result.offset + PAGE_SIZE))}">Next '
                     f"{min(PAGE_SIZE, result.total - result.offset - PAGE_SIZE)}</a>")
    return f'<nav class="pager" aria-label="Result pages">{" · ".join(links)}</nav>' if links else ""


def _mark(text: str, terms: tuple[str, ...]) -> str:
    """``text`` escaped, with the words that start with a search term in ``<mark>``."""
    words = sorted({t for t in terms if len(t) > 1}, key=len, reverse=True)
    if not words:
        return e(text)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    out, at = [], 0
    for found in pattern.finditer(text):
        out += [e(text[at:found.start()]), f"<mark>{e(found.group())}</mark>"]
        at = found.end()
    return "".join([*out, e(text[at:])])
