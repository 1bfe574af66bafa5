"""Build bench/search_drug_names.tsv: drug names as sold, from CMS's January 2024 ASP NDC-HCPCS crosswalk.

How the set is built (run again to rebuild it; the output is the same for the same files):
1. every row of the crosswalk whose code is a Level II code active in release 2025-10 (the release the
   quality benchmark searches);
2. each distinct drug name (compared in lower case, letters and digits only) with every code it bills under:
   any one of them in the results counts;
3. only names that occur in none of those codes' long descriptions: brand names (Keytruda, Imlygic), which
   CMS's words never name, not generic names that word search finds anyway (pembrolizumab);
4. every seventh name of those, in name order, for a set of about a hundred.

    python bench/drug_name_queries.py
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from _common import ASP, CMS, ROOT

from hcpcs import open as open_db

OUTPUT = ROOT / "bench" / "search_drug_names.tsv"
CROSSWALK = next(ASP.glob("*January 2024*Crosswalk*"))
EVERY = 7


def key(text: str) -> str:
    return " ".join(re.split(r"[^0-9a-z]+", text.lower())).strip()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hcpcs.sqlite"
        with open_db(path) as db:
            db.load([CMS / "HCPC2025_OCT_ANWEB_v4.xlsx", CROSSWALK])
            release = db.release()
            active = {code: long.lower() for code, long, ended in db.listing(release.id) if not ended}
            quarter = db.drug_quarters("ndc_crosswalk")[0].quarter
            codes_of: dict[str, set[str]] = {}
            shown: dict[str, str] = {}
            for code in sorted(active):
                for product in db.get(code).drugs.products if db.get(code).drugs else ():  # type: ignore[union-attr]
                    name = key(product.drug_name)
                    if len(name) >= 3:
                        codes_of.setdefault(name, set()).add(code)
                        shown.setdefault(name, product.drug_name.strip())
    brands = sorted(name for name, codes in codes_of.items()
                    if not any(name in key(active[c]) for c in codes))
    chosen = brands[::EVERY]
    lines = ["# query\texpected codes (any one in the results counts)\tkind",
             f"# Drug names as sold, from CMS's ASP NDC-HCPCS crosswalk of {quarter} ({CROSSWALK.name}): brand names",
             f"# that no long description of their codes in release {release.id} holds; every {EVERY}th of "
             f"{len(brands)}. Built by bench/drug_name_queries.py."]
    lines += [f"{shown[name]}\t{' '.join(sorted(codes_of[name]))}\tdrug name" for name in chosen]
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(chosen)} drug names of {len(brands)} -> {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
