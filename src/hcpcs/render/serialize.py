"""The JSON form of every model: one function a model, registered on :func:`to_json`.

This is the only place a model becomes JSON. The command line (``--format json``, ``ndjson``, ``csv``), the JSON
API, the pages' JSON twins and the MCP tools all serialize through it, and a test holds the JSON API's response
models (``web/_models.py``) against what these functions produce, so the published schema cannot drift from it.
Dates are ISO strings; every coded value comes with its meaning; keys are present even when empty (``None``).
"""

from __future__ import annotations

import datetime as dt
from functools import singledispatch
from typing import Any

from ..api.load import CheckReport
from ..api.report import ReportComparison, ReportDifference
from ..model import code_tables as _codetables
from ..model.answers import (
    Code,
    CodeChange,
    Coded,
    Diff,
    FieldChange,
    History,
    HistoryEvent,
    MatchReason,
    RelatedCode,
    Release,
    SearchHit,
    SearchResult,
)
from ..model.drugs import CodeDrugs, DrugProduct, NdcAnswer, PaymentLimit, Quarter
from ..model.layout import Field
from ..model.records import Correction, Disagreement, Repair, SourceFile, Value
from ..validate.engines import Summary
from ..validate.lines import Verdict
from .code_page import PageLine, page_lines

Json = dict[str, Any]


@singledispatch
def to_json(model: object) -> Json:
    """The JSON form of a model (a ``dict`` ready for ``json.dumps``)."""
    raise TypeError(f"no JSON form for {type(model).__name__}")


def iso(value: Value | dt.datetime) -> str | None:
    """A value as JSON text: dates as ISO, blanks as ``None``."""
    if value is None or value == "":
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def release_ref(release: Release) -> Json:
    """A reference to a release inside another answer (its id and effective date), not the release itself."""
    return {"id": release.id, "effective_date": release.effective_date.isoformat()}


@to_json.register
def _source_file(f: SourceFile) -> Json:
    return {"name": f.name, "member": f.member, "role": f.role, "sha256": f.sha256, "size": f.size}


@to_json.register
def _release(release: Release) -> Json:
    """A release with its counts and source files (each with its sha256)."""
    return {**release_ref(release), "loaded_at": iso(release.loaded_at),
            "procedure_count": release.procedure_count, "modifier_count": release.modifier_count,
            "disagreement_count": release.disagreement_count, "files": [to_json(f) for f in release.files]}


@to_json.register
def _coded(value: Coded) -> Json:
    return {"code": value.value, "meaning": value.meaning}


def _maybe(value: object | None) -> Json | None:
    return to_json(value) if value is not None else None


@to_json.register
def _related(related: RelatedCode) -> Json:
    return {"code": related.code, "why": related.why, "short_description": related.short_description}


@to_json.register
def _page_line(line: PageLine) -> Json:
    return {"label": line.label, "value": line.value, "definition": line.definition, "field": line.field}


@to_json.register
def _correction(c: Correction) -> Json:
    """One of CMS's corrections, its date as ISO (and as CMS wrote it)."""
    return {"code": c.code, "action": c.action, "effective_date": iso(c.effective_date),
            "effective_text": c.effective_text, "short_description": c.short_description,
            "long_description": c.long_description, "details": c.details, "source": c.source, "row": c.row}


@to_json.register
def _code(code: Code) -> Json:
    """The code page's facts as typed keys: each code with its meaning, dates as ISO strings."""
    report = code.transaction_report
    return {
        "code": code.code,
        "kind": code.kind,
        "release": release_ref(code.release),
        "status": code.status,
        "as_of": iso(code.as_of),
        "hindsight": list(code.hindsight),
        "active": code.active,
        "long_description": code.long_description,
        "short_description": code.short_description,
        "pricing_indicators": [to_json(c) for c in code.pricing_indicators],
        "multiple_pricing_indicator": _maybe(code.multiple_pricing_indicator),
        "cim_references": list(code.cim_references),
        "mcm_references": list(code.mcm_references),
        "statute": code.statute,
        "lab_certifications": [to_json(c) for c in code.lab_certifications],
        "cross_references": list(code.cross_references),
        "coverage": _maybe(code.coverage),
        "asc_group": _maybe(code.asc_group),
        "asc_effective_date": iso(code.asc_effective_date),
        "mog_payment_group": _maybe(code.mog_payment_group),
        "mog_payment_policy": _maybe(code.mog_payment_policy),
        "mog_effective_date": iso(code.mog_effective_date),
        "processing_note": (
            {"number": code.processing_note, "text": code.processing_note_text} if code.processing_note else None
        ),
        "betos": _maybe(code.betos),
        "types_of_service": [to_json(c) for c in code.types_of_service],
        "anesthesia_base_units": code.anesthesia_base_units,
        "added_date": iso(code.added_date),
        "action_effective_date": iso(code.action_effective_date),
        "termination_date": iso(code.termination_date),
        "action": _maybe(code.action),
        "noc": code.noc,
        "noc_list_year": code.noc_list_year,
        "noc_note": code.noc_note,
        "record_layout": {"year": code.layout_year, "source": code.layout_source, "note": code.layout_note},
        "as_of_note": code.as_of_note,
        "related_codes": [to_json(r) for r in code.related],
        "last_update": code.release.year,
        "corrections": [to_json(c) for c in code.corrections],
        "transaction_report": (
            {"action": report.action, "change": report.change, "line": report.line} if report else None
        ),
        "source": {"file": code.source, "line": code.line},
        "drugs": _maybe(code.drugs),
        "fields": [to_json(line) for line in page_lines(code)],
    }


@to_json.register
def _field_change(change: FieldChange) -> Json:
    return {"field": change.field, "label": change.label, "old": iso(change.old), "new": iso(change.new),
            "old_meaning": change.old_meaning, "new_meaning": change.new_meaning}


@to_json.register
def _code_change(change: CodeChange) -> Json:
    return {
        "code": change.code,
        "action": change.action,
        "action_meaning": _codetables.meaning("HCPCS Action Code", change.action),
        "actions": list(change.actions),
        "short_description": change.short_description,
        "long_description": change.long_description,
        "termination_date": iso(change.termination_date),
        "replacements": list(change.replacements),
        "reused": change.reused,
        "note": change.note,
        "changes": [to_json(c) for c in change.changes],
    }


@to_json.register
def _diff(diff: Diff) -> Json:
    return {"from": release_ref(diff.old), "to": release_ref(diff.new), "fields": list(diff.fields),
            "counts": diff.counts(), "changes": [to_json(c) for c in diff.changes]}


@to_json.register
def _history_event(event: HistoryEvent) -> Json:
    return {"release": event.release.id, "effective_date": event.release.effective_date.isoformat(),
            "first": event.first, **to_json(event.change)}


def _limit_in(quarter: Quarter, limit: PaymentLimit) -> Json:
    return {**to_json(limit), "quarter": to_json(quarter)}


@to_json.register
def _history(history: History) -> Json:
    return {
        "code": history.code,
        "releases": list(history.releases),
        "first_release": history.first_release,
        "last_release": history.last_release,
        "termination_date": iso(history.termination_date),
        "replacements": list(history.replacements),
        "reactivated": history.reactivated,
        "reused": history.reused,
        "events": [to_json(e) for e in history.events],
        "payment_limits": [_limit_in(q, x) for q, x in history.payment_limits],
    }


@to_json.register
def _report_difference(d: ReportDifference) -> Json:
    return {"code": d.code, "ours": d.ours, "report": d.theirs, "groups": list(d.groups), "reason": d.reason,
            "evidence": d.evidence}


@to_json.register
def _report_comparison(comparison: ReportComparison) -> Json:
    return {"from": comparison.old, "to": comparison.new, "report": comparison.report, "agreed": comparison.agreed,
            "differences": [to_json(d) for d in comparison.differences]}


@to_json.register
def _match_reason(reason: MatchReason) -> Json:
    return {"query": reason.query, "words": list(reason.words), "how": reason.how}


@to_json.register
def _search_hit(h: SearchHit) -> Json:
    return {"code": h.code, "short_description": h.short_description, "long_description": h.long_description,
            "status": h.status, "match": h.match, "score": round(h.score, 4), "why": [to_json(w) for w in h.why]}


@to_json.register
def _search_result(result: SearchResult) -> Json:
    return {
        "query": result.query,
        "release": result.release.id,
        "total": result.total,
        "offset": result.offset,
        "terms": list(result.terms),
        "corrections": {k: list(v) for k, v in result.corrections.items()},
        "notes": list(result.notes),
        "did_you_mean": result.did_you_mean,
        "hits": [to_json(h) for h in result.hits],
    }


@to_json.register
def _quarter(quarter: Quarter) -> Json:
    """A quarter of a drug file: its kind (ndc_crosswalk, payment_limits), effective period, source file, sha256
    and how many rows it holds."""
    return {"kind": quarter.kind, "quarter": quarter.quarter, "effective_from": quarter.effective_from.isoformat(),
            "effective_to": iso(quarter.effective_to), "source": quarter.source, "sha256": quarter.sha256,
            "rows": quarter.rows}


@to_json.register
def _product(p: DrugProduct) -> Json:
    return {"code": p.code, "labeler": p.labeler, "ndc": p.ndc, "product_id": p.product_id,
            "drug_name": p.drug_name, "dosage": p.dosage, "package_size": p.package_size,
            "package_quantity": p.package_quantity, "billing_units": p.billing_units,
            "billing_units_per_package": p.billing_units_per_package, "line": p.line}


@to_json.register
def _payment_limit(x: PaymentLimit) -> Json:
    return {"code": x.code, "dosage": x.dosage, "limit": x.limit, "coinsurance": x.coinsurance,
            "vaccine_awp": x.vaccine_awp, "vaccine_limit": x.vaccine_limit, "blood_awp": x.blood_awp,
            "blood_limit": x.blood_limit, "clotting_factor": x.clotting_factor, "notes": x.notes, "line": x.line}


@to_json.register
def _code_drugs(drugs: CodeDrugs) -> Json:
    """A code's drug data: the crosswalk's products and the payment limit, each with its quarter."""
    return {
        "payment_limit": ({**_limit_in(drugs.limits, drugs.limit), "note": drugs.limit_note}
                          if drugs.limit is not None and drugs.limits is not None else None),
        "crosswalk": ({**to_json(drugs.crosswalk), "note": drugs.crosswalk_note}
                      if drugs.crosswalk is not None else None),
        "products": [to_json(p) for p in drugs.products],
        "payment_limit_history": [_limit_in(q, x) for q, x in drugs.limit_history],
    }


@to_json.register
def _ndc_answer(answer: NdcAnswer) -> Json:
    return {"ndc": answer.ndc, "quarter": to_json(answer.quarter), "note": answer.note,
            "codes": sorted({p.code for p in answer.products}), "products": [to_json(p) for p in answer.products],
            "other_quarters": list(answer.other_quarters)}


@to_json.register
def _layout_field(f: Field) -> Json:
    """A field of the record layout; its definition belongs to a year's layout, so callers add it."""
    return {"name": f.name, "label": f.label, "start": f.start, "length": f.length, "occurs": f.occurs,
            "kind": f.kind, "code_table": f.code_table}


@to_json.register
def _verdict(verdict: Verdict) -> Json:
    """A claim line's result as one flat row (the form of the results file: lists joined, the NDC columns only
    where the line gave an NDC: the NDC in 5-4-2, ``""`` where it is none, and the billing units, a number or
    ``None``)."""
    found: Json = {"status": verdict.status, "reasons": ";".join(verdict.reasons),
                   "messages": " | ".join(verdict.messages), "warnings": ";".join(verdict.warnings)}
    if verdict.ndc_given:
        found["ndc"] = verdict.ndc or ""
        found["billing_units"] = verdict.billing_units
    return found


@to_json.register
def _summary(summary: Summary) -> Json:
    return {"lines": summary.lines, "valid": summary.valid, "reasons": summary.reasons, "warnings": summary.warnings,
            "seconds": round(summary.seconds, 3), "output": str(summary.output) if summary.output else None}


@to_json.register
def _disagreement(d: Disagreement) -> Json:
    return {"code": d.code, "field": d.field, "text_value": d.text_value, "spreadsheet_value": d.spreadsheet_value}


@to_json.register
def _repair(r: Repair) -> Json:
    return {"code": r.code, "field": r.field, "found": r.found, "read_as": r.read_as, "reason": r.reason}


@to_json.register
def _check_report(report: CheckReport) -> Json:
    return {"release": report.release_id, "disagreements": [to_json(d) for d in report.disagreements],
            "repairs": [to_json(r) for r in report.repairs]}
