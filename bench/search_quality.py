"""Search quality: top-1, top-5 and MRR over the documented query sets (bench/search_queries.tsv, the drug
names as sold of bench/search_drug_names.tsv, built by bench/drug_name_queries.py, and the queries of
bench/search_queries_noted.tsv, each with a note saying why: CMS's index phrasing, lay words, abbreviations,
partial words, misspellings, doses, routes and brand names), and the fresh set of
bench/search_queries_fresh.tsv (lay, index-style, cut short and misspelt queries in the families the others touch
thinly, written before the fixes made with it, and reported apart as well as in the totals), for
hcpcs search and two baselines run in the same process on the same SQLite file, each over the active
codes of the latest release, in code order:
- naive LIKE: every query word occurs in the long description (SQL LIKE '%word%');
- prefix-AND: every query word starts a word of the long description (the approach of NLM's clinical
  tables search).
Targets: top-1 at least 0.90 and top-5 at least 0.97 for hcpcs, and top-5 at least 0.25 above LIKE.

    python bench/search_quality.py                 # summary
    python bench/search_quality.py --misses        # also every query hcpcs misses at rank 1 (its top 3)
    python bench/search_quality.py --db FILE       # reuse a loaded database instead of loading a new one
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from _common import ASP, CMS, ROOT

from hcpcs import Hcpcs
from hcpcs import open as open_db

QUERY_FILES = (ROOT / "bench" / "search_queries.tsv", ROOT / "bench" / "search_drug_names.tsv",
               ROOT / "bench" / "search_queries_noted.tsv", ROOT / "bench" / "search_queries_fresh.tsv")
#: Reported apart too: queries written before the search changes they led to, the nearest to held-out ones
FRESH = "search_queries_fresh.tsv"
DEPTH = 10
Engine = Callable[[str], list[str]]


def read_queries() -> list[tuple[str, set[str], str, str]]:
    out = []
    for queries in QUERY_FILES:
        for number, line in enumerate(queries.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            query, expected, kind, *_note = line.split("\t")  # a fourth column says why, where given
            if not expected.split():
                raise SystemExit(f"{queries.name}, line {number}: no expected codes")
            out.append((query, set(expected.split()), kind, queries.name))
    return out


def naive(con: sqlite3.Connection, release: str) -> Engine:
    def search(query: str) -> list[str]:
        words = query.split() or [query]
        where = " AND ".join("long_description LIKE ?" for _ in words)
        rows = con.execute(
            f"SELECT code FROM records WHERE release_id = ? AND termination_date IS NULL AND {where} "
            f"ORDER BY code LIMIT {DEPTH}", (release, *(f"%{w}%" for w in words)))
        return [r[0] for r in rows]
    return search


def prefix_and(con: sqlite3.Connection, release: str) -> Engine:
    """Every query word starts a word of the long description (punctuation read as a space)."""
    spaced = ("' ' || lower(replace(replace(replace(replace(long_description, ',', ' '), '-', ' '), '(', ' '), "
              "'/', ' '))")

    def search(query: str) -> list[str]:
        words = query.lower().split() or [query]
        where = " AND ".join(f"{spaced} LIKE ?" for _ in words)
        rows = con.execute(
            f"SELECT code FROM records WHERE release_id = ? AND termination_date IS NULL AND {where} "
            f"ORDER BY code LIMIT {DEPTH}", (release, *(f"% {w}%" for w in words)))
        return [r[0] for r in rows]
    return search


def score(found: list[str], expected: set[str]) -> tuple[int, int, float]:
    rank = next((i for i, code in enumerate(found, start=1) if code in expected), None)
    return int(rank == 1), int(rank is not None and rank <= 5), (1 / rank if rank else 0.0)


def measure(db: Hcpcs, path: Path, queries: list[tuple[str, set[str], str, str]]) -> None:
    release = db.release().id
    con = sqlite3.connect(path)
    known = {r[0] for r in con.execute("SELECT code FROM records WHERE release_id = ? AND termination_date IS NULL",
                                       (release,))}
    unknown = sorted({c for _, expected, _, _ in queries for c in expected} - known)
    if unknown:
        raise SystemExit(f"expected codes not active in release {release}: {', '.join(unknown)}")
    engines: dict[str, Engine] = {"hcpcs": lambda q: [h.code for h in db.search(q, limit=DEPTH).hits],
                                  "naive LIKE": naive(con, release), "prefix-AND": prefix_and(con, release)}
    totals: dict[str, list[float]] = {name: [0, 0, 0.0] for name in engines}
    by_kind: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    # the fresh set by engine and kind ("" for all its queries), and hcpcs on the other files alone
    fresh: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    others = [0, 0, 0.0, 0]
    misses = []
    for query, expected, kind, source in queries:
        for name, engine in engines.items():
            found = engine(query)
            top1, top5, rr = score(found, expected)
            for i, value in enumerate((top1, top5, rr)):
                totals[name][i] += value
                by_kind[(name, kind)][i] += value
            by_kind[(name, kind)][3] += 1
            for i, value in enumerate((top1, top5, rr, 1)):
                if source == FRESH:
                    fresh[(name, "")][i] += value
                    fresh[(name, kind)][i] += value
                elif name == "hcpcs":
                    others[i] += value
            if name == "hcpcs" and not top1:
                misses.append(f"{query!r} [{kind}] -> {' '.join(found[:3]) or 'nothing'}"
                              f" (want {' '.join(sorted(expected)[:3])})")
    n = len(queries)
    print(f"{n} queries ({', '.join(q.name for q in QUERY_FILES)}), release {release}")
    print(f"{'engine':12} {'top-1':>6} {'top-5':>6} {'MRR':>6}")
    for name, (top1, top5, rr) in totals.items():
        print(f"{name:12} {top1 / n:6.3f} {top5 / n:6.3f} {rr / n:6.3f}")
    gap = (totals["hcpcs"][1] - totals["naive LIKE"][1]) / n
    print(f"top-5 above the LIKE baseline: {gap:+.3f} (target >= +0.25); hcpcs targets top-1 >= 0.90, top-5 >= 0.97")
    print("by kind of query (top-1 / top-5 / MRR):")
    for kind in dict.fromkeys(k for _, _, k, _ in queries):
        cells = []
        for name in engines:
            top1, top5, rr, count = by_kind[(name, kind)]
            cells.append(f"{name} {top1 / count:.2f} {top5 / count:.2f} {rr / count:.2f}")
        print(f"  {kind:13} n={int(by_kind[('hcpcs', kind)][3]):3}  " + "  |  ".join(cells))
    if fresh:
        print(f"fresh set ({FRESH}, written before the fixes), top-1 / top-5 / MRR:")
        for kind in ["", *dict.fromkeys(k for _, _, k, source in queries if source == FRESH)]:
            cells = []
            for name in engines:
                top1, top5, rr, count = fresh[(name, kind)]
                cells.append(f"{name} {top1 / count:.3f} {top5 / count:.3f} {rr / count:.3f}")
            print(f"  {kind or 'all':13} n={int(fresh[('hcpcs', kind)][3]):3}  " + "  |  ".join(cells))
        top1, top5, rr, count = others
        print(f"the other files alone (n={int(count)}): hcpcs {top1 / count:.3f} {top5 / count:.3f} {rr / count:.3f}")
    if "--misses" in sys.argv:
        print("hcpcs misses at rank 1:")
        print("\n".join(f"  {m}" for m in misses) or "  none")


def main() -> None:
    queries = read_queries()
    if "--db" in sys.argv:
        path = Path(sys.argv[sys.argv.index("--db") + 1])
        with open_db(path, readonly=True) as db:
            measure(db, path, queries)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hcpcs.sqlite"
        with open_db(path) as handle:
            handle.load([CMS, ASP])
        with open_db(path, readonly=True) as db:
            measure(db, path, queries)


if __name__ == "__main__":
    main()
