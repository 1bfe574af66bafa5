"""The search page: the query and its filters live in the URL (``/?q=...&release=...``), the results are
rendered here, and a page works with JavaScript off; search.js only swaps in this same markup as you type."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from html import escape as e
from urllib.parse import quote, urlencode

from ..model.answers import Release, SearchHit, SearchResult
from ._pages import layout

PAGE_SIZE = 20
#: the most results one page shows (a page stays light); /api/search gives up to 1,000
PAGE_MAX = 100
#: the search filters beside the form's own fields, carried in the page's links and form as they came
FILTERS = ("coverage", "betos", "pricing", "tos", "noc", "labeler")


@dataclass(frozen=True, slots=True)
class SearchForm:
    """What the search form asks: the words and filters as typed, blanks meaning not given."""

    q: str = ""
    release: str = ""
    as_of: str = ""
    codes: str = ""
    include_terminated: bool = False
    offset: int = 0
    limit: int = PAGE_SIZE
    #: the other filters (``FILTERS``) as name and value pairs
    filters: tuple[tuple[str, str], ...] = ()

    @classmethod
    def typed(cls, query: Iterable[tuple[str, str]]) -> SearchForm:
        """The form as the query string has it, read leniently (to show it again, with what is wrong)."""
        pairs = list(query)
        values = dict(pairs)

        def number(name: str, default: int) -> int:
            text = values.get(name, "").strip()
            return int(text) if text.isdigit() and len(text) < 9 else default

        return cls(values.get("q", ""), values.get("release", ""), values.get("as_of", ""), values.get("codes", ""),
                   values.get("include_terminated", "").strip().lower() in ("1", "true", "on", "yes"),
                   number("offset", 0), number("limit", PAGE_SIZE),
                   tuple((k, v) for k, v in pairs if k in FILTERS and v.strip()))

    def url(self, **changes: object) -> str:
        """This search's URL with ``changes`` applied, naming only the parameters that are set."""
        form = replace(self, **changes)  # type: ignore[arg-type]
        params = [(name, value) for name, value in (
            ("q", form.q), ("release", form.release), ("as_of", form.as_of), ("codes", form.codes),
            ("include_terminated", "1" if form.include_terminated else ""), ("offset", form.offset or ""),
            ("limit", form.limit if form.limit != PAGE_SIZE else ""),
        ) if value]
        params += form.filters
        return "/?" + urlencode(params) if params else "/"


def page(releases: list[Release], form: SearchForm, result: SearchResult | None, problem: str = "") -> str:
    """The search page for ``form``: its results, or the ``problem`` with a search (a bad filter) above them."""
    alert = f'<p class="problem" role="alert">{e(problem)}</p>' if problem else ""
    latest = releases[-1] if releases else None
    intro = (f"<p>Release {e(latest.id)}, {latest.procedure_count:,} codes and {latest.modifier_count} modifiers. "
             "Type words, abbreviations or a code.</p>" if latest else "<p>No release is loaded yet.</p>")
    body = f"""<h1>HCPCS Level II codes</h1>
{intro}
{_form(form, releases)}
<section id="found" aria-live="polite" aria-label="Search results">
{alert}{_results(form, result) if result else ""}
</section>"""
    title = f"{form.q.strip()} - HCPCS search" if form.q.strip() else "HCPCS Level II search"
    twin = "/api/search?" + urlencode({"q": form.q.strip()})
    return layout(title, body, twin, scripts=("search.js",))


def _form(form: SearchForm, releases: list[Release]) -> str:
    options = "".join(f'<option value="{e(r.id)}"{" selected" if r.id == form.release.strip() else ""}>'
                      f"{e(r.id)}</option>" for r in reversed(releases))
    checked = " checked" if form.include_terminated else ""
    kept = [*form.filters, *([("limit", str(form.limit))] if form.limit != PAGE_SIZE else [])]
    hidden = "".join(f'<input type="hidden" name="{e(k)}" value="{e(v)}">\n' for k, v in kept)
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
{hidden}</form>"""


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
    size = form.limit
    if result.offset > 0:
        links.append(f'<a rel="prev" href="{e(form.url(offset=max(0, result.offset - size)))}">Previous {size}</a>')
    if result.offset + size < result.total:
        links.append(f'<a rel="next" href="{e(form.url(offset=result.offset + size))}">Next '
                     f"{min(size, result.total - result.offset - size)}</a>")
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
