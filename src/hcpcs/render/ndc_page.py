"""The NDC page: what CMS's crosswalk says of one drug package, as text (label TAB value) lines."""

from __future__ import annotations

from ..model.drugs import DrugProduct, NdcAnswer, PaymentLimit


def limit_text(limit: PaymentLimit) -> str:
    """``$137.892 per 1 ML (coinsurance 20.000%)``."""
    amount = f"${limit.limit}" if limit.limit else "none given"
    coinsurance = f" (coinsurance {limit.coinsurance}%)" if limit.coinsurance else ""
    return f"{amount} per {limit.dosage}{coinsurance}"


def product_text(p: DrugProduct) -> str:
    """One package on one line: its NDC (or product id), drug name, labeler, and billing units."""
    ident = f"NDC {p.ndc}" if p.ndc else f"product {p.product_id}"
    return (f"{ident} {p.drug_name} ({p.labeler}): package {p.package_size} x {p.package_quantity}, "
            f"{p.billing_units_per_package} billing units of {p.dosage} per package")


def ndc_lines(answer: NdcAnswer) -> list[tuple[str, str]]:
    """The page's (label, value) lines: the NDC, then each code it bills under with the package's facts."""
    lines = [("NDC", answer.ndc)]
    for p in answer.products:
        lines += [
            ("Code", p.code),
            ("Drug Name", p.drug_name),
            ("Labeler", p.labeler),
            ("HCPCS Dosage", p.dosage),
            ("Package Size", p.package_size),
            ("Package Quantity", p.package_quantity),
            ("Billing Units", p.billing_units),
            ("Billing Units Per Package", p.billing_units_per_package),
        ]
    q = answer.quarter
    lines.append(("Quarter", f"{q.quarter} ({q.period})"))
    lines.append(("Source", q.source))
    if answer.note:
        lines.append(("Note", answer.note[0].upper() + answer.note[1:]))
    if answer.other_quarters:
        lines.append(("Also In", ", ".join(answer.other_quarters)))
    return lines


def ndc_text(answer: NdcAnswer) -> str:
    return "".join(f"{label}\t{value}\n" for label, value in ndc_lines(answer))
