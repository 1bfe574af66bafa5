"""The code page: every field that has a value, its decoded meaning and its definition.

The text form follows the reference pages (``shared/seeds``): a title, then one line per field as
label TAB value TAB definition, a coded field followed by its "... Description" line, dates as
CMS writes them (YYYYMMDD), then Status and Last Update Date, then CMS's contact block.
Markdown, HTML and JSON carry the same facts.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from ..model.answers import Code
from ..model.drugs import CodeDrugs
from ..model.layout import FIELDS
from ..model.values import cms_date
from .ndc_page import limit_text, product_text

INTRO = (
    "The Healthcare Common Procedure Coding System (HCPCS) is a collection of codes that represent "
    "procedures, supplies, products and services which may be provided to Medicare beneficiaries and to "
    "individuals enrolled in private health insurance programs. Level II codes primarily correspond to "
    "services, procedures, and equipment not covered by CPT codes."
)
CONTACT = (
    ("HCPCS Email Address", "hcpcs@cms.hhs.gov"),
    ("PDAC toll free helpline", "(877) 735-1326"),
    ("HCPCS release files", "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"),
)
FORMATS = ("text", "markdown", "html")


@dataclass(frozen=True, slots=True)
class PageLine:
    """One line of the code page: a label, the value, and the field's definition."""

    label: str
    value: str
    definition: str
    field: str


def page_lines(code: Code) -> list[PageLine]:
    """Every line of the page, in the order of CMS's record layout."""
    values = code.values
    lines: list[PageLine] = []
    for f in FIELDS:
        if not f.on_page:
            continue
        definition = code.definitions.get(f.name, "")
        for column, label in zip(f.columns, f.labels, strict=True):
            value = values.get(column)
            if value is None or value == "":
                continue
            shown = cms_date(value) if isinstance(value, dt.date) else str(value)
            lines.append(PageLine(label, shown, definition, column))
            meaning = code.meanings.get(column)
            if meaning:
                lines.append(PageLine(f"{label} Description", meaning, f"Description of {label}", column))
            if f.name == "processing_note" and code.processing_note_text:
                lines.append(PageLine(
                    "Processing Note Text", code.processing_note_text,
                    "Text of the processing note, from CMS's processing notes file (Appendix A of the HCPCS "
                    "manual).", column,
                ))
    lines.append(_noc_line(code))
    for related in code.related:
        shown = related.code + (f" {related.short_description}" if related.short_description else "")
        lines.append(PageLine("Related Code", shown, _WHY[related.why], "related"))
    for fix in code.corrections:
        shown = fix.action + (f" (effective {cms_date(fix.effective_date)})" if fix.effective_date else "")
        lines.append(PageLine("Correction", shown, f"CMS corrected this code after publishing the release, in "
                              f"{fix.source}, row {fix.row}: see hcpcs corrections {code.release.year}.",
                              "corrections"))
    if code.transaction_report is not None:
        entry = code.transaction_report
        lines.append(PageLine("Transaction Report", f"{entry.change} ({entry.action})",
                              f"What CMS's transaction report of release {code.release.id} says of this code "
                              f"(line {entry.line}).", "transaction_report"))
    lines.append(PageLine("Status", code.status, "Actual: in use in this release; Terminated: its "
                          "termination date is before the release took effect (or before the as-of date).",
                          "status"))
    if code.status == "Terminated" and code.cross_references:
        lines.append(PageLine("Replaced By", ", ".join(code.cross_references),
                              "The codes CMS names in the cross reference fields of a terminated code.",
                              "replacements"))
    if code.as_of is not None:
        lines.append(PageLine("As Of", cms_date(code.as_of), "The date of service asked about; the page "
                              "shows the release in effect on that date.", "as_of"))
    if code.as_of_note is not None:
        lines.append(PageLine("Earliest Release", code.release.id,
                              code.as_of_note[0].upper() + code.as_of_note[1:] + ".", "as_of_note"))
    for note in code.hindsight:
        lines.append(PageLine("Later Releases", note, "What releases published after the one in effect say "
                              "about this date of service: CMS sets some terminations and reuses afterwards.",
                              "hindsight"))
    if code.drugs is not None:
        lines += drug_lines(code.drugs)
    lines.append(PageLine("Last Update Date", str(code.release.year), "The year of the release shown.",
                          "last_update"))
    lines.append(PageLine("Release", code.release.id, "The CMS release this page shows.", "release"))
    if code.layout_year is not None:
        why = f" {code.layout_note[0].upper()}{code.layout_note[1:]}." if code.layout_note else ""
        lines.append(PageLine("Record Layout", f"{code.layout_year} ({code.layout_source})",
                              "The CMS record layout whose code tables and definitions decode this page." + why,
                              "record_layout"))
    return lines


def drug_lines(drugs: CodeDrugs) -> list[PageLine]:
    """The payment limit per dosage unit and each NDC package billed under the code, from CMS's drug files."""
    lines: list[PageLine] = []
    if drugs.limit is not None and drugs.limits is not None:
        note = f" {drugs.limit_note[0].upper()}{drugs.limit_note[1:]}." if drugs.limit_note else ""
        lines.append(PageLine("Payment Limit", f"{limit_text(drugs.limit)}, quarter {drugs.limits.quarter}",
                              f"Medicare Part B payment allowance limit per HCPCS dosage unit, from CMS's ASP pricing "
                              f"file of quarter {drugs.limits.quarter} ({drugs.limits.source}).{note}",
                              "payment_limit"))
    if drugs.crosswalk is not None:
        note = f" {drugs.crosswalk_note[0].upper()}{drugs.crosswalk_note[1:]}." if drugs.crosswalk_note else ""
        lines.append(PageLine("Drug Products", f"{len(drugs.products)} in the NDC crosswalk of quarter "
                              f"{drugs.crosswalk.quarter}", "The drug packages CMS's ASP NDC-HCPCS crosswalk "
                              f"assigns to this code ({drugs.crosswalk.source}).{note}", "drug_products"))
        for p in drugs.products:
            lines.append(PageLine("Drug Product", product_text(p), "NDC (or product id), drug name as sold, "
                                  "labeler, package, and HCPCS billing units per package.", "drug_product"))
    return lines


def _noc_line(code: Code) -> PageLine:
    """Whether the code is NOC, and by which year's list: the release's own, or (said so) another, or none."""
    what = "Whether the code is in CMS's list of not otherwise classified codes"
    tail = "; a NOC code needs a narrative on the claim."
    if code.noc is None:
        return PageLine("Not Otherwise Classified (NOC)", "Not known", f"{what}: {code.noc_note}{tail}", "noc")
    shown = "Yes" if code.noc else "No"
    if code.noc_note:
        return PageLine("Not Otherwise Classified (NOC)", f"{shown} (inferred from the {code.noc_list_year} list)",
                        f"{what}, {code.noc_note}{tail}", "noc")
    return PageLine("Not Otherwise Classified (NOC)", shown, f"{what} of {code.noc_list_year}{tail}", "noc")


_WHY = {
    "cross reference": "Named in the code's cross reference fields.",
    "description": "Named in the code's long description.",
    "processing note": "Named in the code's processing note.",
}


def render(code: Code, fmt: str) -> str:
    if fmt == "text":
        return render_text(code)
    if fmt == "markdown":
        return render_markdown(code)
    if fmt == "html":
        return render_html(code)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def render_text(code: Code) -> str:
    out = [code.code, "", code.long_description.upper(), "", "Healthcare Common Procedure Coding System", "",
           INTRO, "", f"{code.code} {code.long_description}", ""]
    out += [f"{line.label}\t{line.value}\t{line.definition}" for line in page_lines(code)]
    out += ["", "Contact Information for HCPCS", ""]
    out += [f"{label}: {value}" for label, value in CONTACT]
    return "\n".join(out) + "\n"


def render_markdown(code: Code) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out = [f"# {code.code}", "", f"**{cell(code.long_description)}**", "", INTRO, "",
           "| Field | Value | Definition |", "| --- | --- | --- |"]
    out += [f"| {cell(line.label)} | {cell(line.value)} | {cell(line.definition)} |" for line in page_lines(code)]
    out += ["", "## Contact Information for HCPCS", ""]
    out += [f"- {label}: {value}" for label, value in CONTACT]
    return "\n".join(out) + "\n"


def render_html(code: Code) -> str:
    e = html.escape
    rows = "\n".join(
        f'<tr><th scope="row">{e(line.label)}</th><td>{e(line.value)}</td><td>{e(line.definition)}</td></tr>'
        for line in page_lines(code)
    )
    contact = "\n".join(f"<li>{e(label)}: {e(value)}</li>" for label, value in CONTACT)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(code.code)} {e(code.short_description or "")} (HCPCS {e(code.release.id)})</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 70rem; margin: 1rem auto; padding: 0 1rem; color: #111; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #999; padding: .3rem .5rem; text-align: left; vertical-align: top; }}
th {{ width: 22%; }} td:last-child {{ color: #333; font-size: .9rem; }}
@media print {{ body {{ margin: 0; }} }}
</style>
</head>
<body>
<main>
<h1>{e(code.code)}</h1>
<p><strong>{e(code.long_description)}</strong></p>
<p>{e(INTRO)}</p>
<table>
<caption>HCPCS {e(code.code)} in release {e(code.release.id)}</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Value</th><th scope="col">Definition</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<h2>Contact Information for HCPCS</h2>
<ul>
{contact}
</ul>
</main>
</body>
</html>
"""

