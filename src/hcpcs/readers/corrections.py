"""Reader of CMS's corrections files (``*Corrections*.xlsx`` / ``.prn`` / ``.txt``), published after a release.

Each file is a header row under a title, one row per correction: the code, what CMS corrected, when it
takes effect, the new descriptions, then the fields corrected. The layouts met so far:

- 2011 (``2011_Corrections_alpha.xlsx``, inside the annual zip), 2018 (V1 to V4) and 2019: ``CODE``,
  ``ACTION``, ``EFF DATE``, ``SHORT DESC``, ``LONG DESC``, then ``TOS``, ``BETOS``, ``COV``, ``PRICE``,
  ``XREF CODE``, ``ASC IND``, ``ASC DATE``, ``LC EDIT``, ``PROC NOTE``, ``COMMENTS`` (some of them);
- 2025 (``HCPC2025_JAN_ANWEB_Corrections_*.xlsx``): ``HCPCS/MOD Code``, ``Action`` (``Revise LD``),
  ``Short Description``, ``Long Description``, ``Effective Date``, ``TOS``, ``BETOS``, ``Coverage``,
  ``Pricing``, ``Comments``, the header on the first row;
- the ``.prn`` copies of 2018 and 2019: the same columns cut to their widths (``Change ASC Ind/ASC eff``,
  ``01/01/201``), the labels of narrow columns run together (``TOBETOCOPRIC``).

Columns are found by what their labels mean; the fields corrected are kept under their labels (title
case, the whole name for a label a ``.prn`` cut). CMS reissues the file with more rows (2018: V1 to V4)
or adds a second file (2019: ``_v2``); rows repeated across files are kept once. The spreadsheet is read
where there is one: the ``.prn`` cuts every column short.
"""

from __future__ import annotations

from .._errors import InputError
from ..model.identifiers import CODE_SHAPE
from ..model.records import Correction, LoadWarning
from .notes import SPREADSHEET, Meaning, Table, is_code_label, label_words, sheet_table, side_text, text_table
from .spreadsheet import read_rows

_MAIN = ("code", "action", "effective", "short", "long")
_MEANINGS: dict[str, Meaning] = {
    "effective": lambda label: label.startswith("EFF") or "EFFECTIVE" in label_words(label),
    "short": lambda label: "SHORT" in label_words(label) or label == "SD",
    "long": lambda label: "LONG" in label_words(label) or label == "LD",
    "action": lambda label: "ACTION" in label_words(label) or label in {"CORRECTION", "CORRECTIONS", "CHANGE"},
    "code": is_code_label,
}
#: The labels CMS has used, for splitting the run-together labels of a ``.prn`` header (``COV`` before
#: ``CODE`` and ``COMMENTS``: a lone ``CO`` between ``BETO`` and ``PRIC`` is the coverage column).
LABELS = ("COV", "COVERAGE", "CODE", "ACTION", "EFF DATE", "EFFECTIVE DATE", "SHORT DESC", "LONG DESC", "TOS",
          "BETOS", "PRICE", "PRICING", "XREF CODE", "ASC IND", "ASC DATE", "LC EDIT", "PROC NOTE", "COMMENTS")


def read_corrections(data: bytes, source: str, *, warnings: list[LoadWarning]) -> list[Correction]:
    """Every correction row of one file. A row whose code is not an HCPCS code is skipped, and an effective
    date that is not a date is kept as written (``effective_text``): both with a warning in ``warnings``."""
    table = _table(data, source)
    if table is None:
        raise InputError(source, "no header row (CODE, ACTION, EFF DATE): not a corrections file")
    out = []
    for index in table.body(warnings):
        code = table.cell(index, "code").upper()
        if not CODE_SHAPE.fullmatch(code):
            table.warn(warnings, index, f"not an HCPCS code, row skipped: {code[:20]!r}")
            continue
        effective_text = table.cell(index, "effective")
        out.append(Correction(
            code, " ".join(table.cell(index, "action").split()), table.day(index, effective_text, warnings),
            effective_text, table.cell(index, "short") or None, table.cell(index, "long") or None,
            _details(table, index), source, index + 1,
        ))
    if not out:
        raise InputError(source, "holds a header but no corrections")
    return out


def _table(data: bytes, source: str) -> Table | None:
    required = frozenset({"code", "action"})
    if source.lower().endswith(SPREADSHEET):
        table = sheet_table(read_rows(data, source), source, _MEANINGS, required)
    else:
        table = text_table(side_text(data, source), source, _MEANINGS, required, LABELS)
    if table is None or not {"effective", "short", "long"} & table.columns.keys():
        return None
    return table


def _details(table: Table, index: int) -> dict[str, str]:
    """The corrected fields beyond code, action, date and descriptions, under their labels (``Tos``)."""
    main = {table.columns[name] for name in _MAIN if name in table.columns}
    return {label.title(): value for position, label in table.labels.items()
            if position not in main and (value := table.at(index, position))}


def merge(lists: list[list[Correction]]) -> list[Correction]:
    """Corrections from several files, each distinct row once (the first file's copy), in file order."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for entries in lists:
        for entry in entries:
            key = (entry.code, entry.action, entry.effective_text, entry.short_description, entry.long_description,
                   tuple(sorted(entry.details.items())))
            if key not in seen:
                seen.add(key)
                out.append(entry)
    return out

