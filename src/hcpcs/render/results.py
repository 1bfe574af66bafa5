"""Search results as a table (matched words highlighted), JSON and CSV."""

from __future__ import annotations

import re

from ..model.answers import SearchHit, SearchResult
from .safe_csv import csv_text


def why_text(hit: SearchHit) -> str:
    """Why a code matched, in a line: ``inj -> injection (abbreviation); naloxone``."""
    parts = []
    for reason in hit.why:
        other = [w for w in reason.words if w != reason.query]
        if not other:
            parts.append(reason.query if reason.how == "word" else f"{reason.query} ({reason.how})")
        else:
            parts.append(f"{reason.query} -> {', '.join(other)} ({reason.how})")
    return "; ".join(parts)




def search_csv(result: SearchResult) -> str:
    """One row a hit; ``why`` says which query words matched and how (as the table's Matched column)."""
    return csv_text(("code", "short_description", "long_description", "status", "match", "why"),
                    ((h.code, h.short_description or "", h.long_description, h.status, h.match, why_text(h))
                     for h in result.hits))


def highlighter(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """A pattern finding words that start with any searched term (so "pump" marks "pumps")."""
    wanted = sorted({t for t in terms if len(t) >= 2}, key=len, reverse=True)
    if not wanted:
        return None
    return re.compile(r"(?i)\b(" + "|".join(re.escape(t) for t in wanted) + r")\w*")


def print_search_table(result: SearchResult) -> None:
    from rich.console import Console
    from rich.markup import escape

    from .forms import new_table

    pattern = highlighter(result.terms)

    def marked(text: str) -> str:
        if pattern is None:
            return escape(text)
        out, at = [], 0
        for m in pattern.finditer(text):
            out += [escape(text[at:m.start()]), f"[bold yellow]{escape(m.group(0))}[/]"]
            at = m.end()
        return "".join([*out, escape(text[at:])])

    shown = f"{result.offset + 1}-{result.offset + len(result.hits)}" if result.hits else "0"
    title = f"{shown} of {result.total} for {result.query[:60]!r} in release {result.release.id}"
    table = new_table("Code", "Short description", "Long description", "Status", "Matched", title=escape(title))
    for hit in result.hits:
        table.add_row(hit.code, marked(hit.short_description or ""), marked(hit.long_description), hit.status,
                      escape(why_text(hit) or hit.match))
    console = Console()
    console.print(table)
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/]")
    for word, nearest in result.corrections.items():
        console.print(f"[dim]{escape(word)}: no such word in the index; also searched {escape(', '.join(nearest))}[/]")
    if result.did_you_mean:
        console.print(f"nothing matched; did you mean: hcpcs search {escape(result.did_you_mean)}")
