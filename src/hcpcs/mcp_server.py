"""The MCP server: the lookups coders use, as tools, resources and prompts for AI assistants.

``hcpcs mcp`` serves it over stdio; ``hcpcs serve`` mounts it over streamable HTTP at ``/mcp``. Every tool
is a thin call to the facade whose answer is the JSON API's shape (``_json.to_json``, the CLI's validation
row) under a ``release`` naming the release it was answered from. Errors are tool errors carrying the CLI's
one-line message. Read-only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qs

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ._errors import HcpcsError, NotFound, UsageError
from .api.handle import Hcpcs
from .model.identifiers import parse_day
from .render.changes import history_text
from .render.code_page import render
from .render.ndc_page import ndc_text
from .render.schemas import CodeOut, DiffOut, HistoryOut, NdcOut, ReleaseOut, SearchOut
from .render.serialize import release_ref, to_json

#: Bounds on what one call may ask for and answer.
MAX_SEARCH = 100
MAX_DIFF = 500
MAX_LINES = 100
MAX_TEXT = 4000

INSTRUCTIONS = (
    "CMS HCPCS Level II codes (not CPT or CDT): every loaded CMS release, every field decoded. Look up a code "
    "in a release or on a date of service, search, see a code's history, what changed between releases, and "
    "validate claim lines. Every answer names the release it comes from."
)


class ReleaseRef(BaseModel):
    id: str = Field(description="The CMS release id, YYYY-MM")
    effective_date: str = Field(description="The day the release took effect, YYYY-MM-DD")


class CodeAnswer(BaseModel):
    release: ReleaseRef
    as_of: str | None = Field(description="The date of service asked for, if any")
    code: CodeOut


class SearchAnswer(BaseModel):
    release: ReleaseRef
    as_of: str | None
    search: SearchOut


class HistoryAnswer(BaseModel):
    release: ReleaseRef = Field(description="The latest loaded release: the history runs up to it")
    history: HistoryOut


class DiffAnswer(BaseModel):
    release: ReleaseRef = Field(description="The newer release (TO)")
    from_release: ReleaseRef
    diff: DiffOut


class ClaimLine(BaseModel):
    code: str = Field(max_length=40, description="The procedure code, e.g. S9328")
    date: str = Field(max_length=40, description="The date of service, YYYY-MM-DD")
    modifiers: list[str] = Field(default=[], max_length=10, description="Modifiers, e.g. GA")
    claim_id: str | None = Field(default=None, max_length=100,
                                 description="Lines with the same claim id are checked against each other's codes "
                                             "(pair rules)")
    ndc: str | None = Field(default=None, max_length=40,
                            description="The drug package billed (NDC: 11 digits, 5-4-2, or 4-4-2, 5-3-2, 5-4-1), "
                                        "checked against CMS's NDC-HCPCS crosswalk of the date")
    units: float | None = Field(default=None, ge=0, description="How many NDC packages (for the billing units)")


class LineVerdict(BaseModel):
    code: str
    date: str
    modifiers: list[str]
    claim_id: str | None
    release: str | None = Field(description="The release in effect on the date of service")
    status: str = Field(description="valid or invalid")
    reasons: str = Field(description="Reason codes, ';'-separated")
    messages: str = Field(description="One message per reason, ' | '-separated")
    warnings: str = Field(description="Warning codes, ';'-separated")
    ndc: str | None = Field(default=None, description="The line's NDC in 5-4-2 ('' where it is not an NDC)")
    billing_units: float | None = Field(default=None, description="Units times the crosswalk's billing units per "
                                                                   "package")


class NdcAnswer(BaseModel):
    release: ReleaseRef = Field(description="The latest loaded release")
    ndc: NdcOut


class ValidateAnswer(BaseModel):
    release: ReleaseRef = Field(description="The latest loaded release: later releases can reveal retroactive "
                                            "terminations and re-added codes")
    lines: list[LineVerdict]


class ReleasesAnswer(BaseModel):
    release: ReleaseRef = Field(description="The latest loaded release")
    releases: list[ReleaseOut]


def _answer(text: str, data: dict[str, Any]) -> CallToolResult:
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT].rsplit("\n", 1)[0] + "\n... (the structured content has the rest)"
    return CallToolResult(content=[TextContent(type="text", text=text)], structuredContent=data)


def _given(text: str | None) -> str | None:
    return text if text and text.strip() else None


def _one_of(release: str | None, as_of: str | None) -> None:
    if _given(release) and _given(as_of):
        raise UsageError("give release or as_of, not both")


class HcpcsMCP(FastMCP[Any]):
    """FastMCP whose tool errors carry hcpcs's own one-line message (as the CLI prints it)."""

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        try:
            return await super().call_tool(name, arguments)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, HcpcsError):
                return CallToolResult(content=[TextContent(type="text", text=str(cause))], isError=True)
            raise


def create_server(handle: Callable[[], Hcpcs], *, http: bool = False) -> FastMCP[Any]:
    """The MCP server over the read-only handle ``handle()`` gives (one per thread for the web app)."""
    server = HcpcsMCP(
        "hcpcs", instructions=INSTRUCTIONS, stateless_http=http, json_response=http, log_level="WARNING",
        # the same public, read-only data as the JSON API beside it: no host check, so --host 0.0.0.0 works
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    read_only = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)

    @server.tool(annotations=read_only)
    def lookup_code(
        code: Annotated[str, Field(max_length=40, description="A Level II code (S9328) or modifier (GA)")],
        release: Annotated[str | None, Field(max_length=20, description="A release id, YYYY-MM")] = None,
        as_of: Annotated[str | None, Field(max_length=40, description="A date of service, YYYY-MM-DD")] = None,
    ) -> Annotated[CallToolResult, CodeAnswer]:
        """One HCPCS Level II code with every field decoded: in the latest release, a given release, or as in
        effect on a date of service (terminated codes name their replacements)."""
        _one_of(release, as_of)
        found = handle().get(code, release=_given(release), as_of=_given(as_of))
        data = to_json(found)
        head = f"{found.code} in release {found.release.id}"
        if found.as_of:
            head += f" as of {found.as_of.isoformat()}"
        lines = [f"{head}: {found.status}", found.long_description]
        if found.termination_date:
            ended = f"terminated {found.termination_date.isoformat()}"
            lines.append(ended + (f"; replaced by {', '.join(found.cross_references)}"
                                  if found.cross_references else ""))
        if found.coverage:
            lines.append(f"coverage {found.coverage.value}: {found.coverage.meaning or ''}".rstrip())
        lines += [*found.hindsight, *([found.as_of_note] if found.as_of_note else [])]
        return _answer("\n".join(lines), {"release": data["release"], "as_of": data["as_of"], "code": data})

    @server.tool(annotations=read_only)
    def search_codes(
        query: Annotated[str, Field(min_length=1, max_length=10000, description="Words or a code")],
        limit: Annotated[int, Field(ge=1, le=MAX_SEARCH)] = 20,
        offset: Annotated[int, Field(ge=0, le=100000)] = 0,
        release: Annotated[str | None, Field(max_length=20, description="A release id, YYYY-MM")] = None,
        as_of: Annotated[str | None, Field(max_length=40, description="Search the release in effect then")] = None,
        codes: Annotated[str | None, Field(max_length=20, description="A letter, prefix or range: E, J93, "
                                                                      "E0100-E0200")] = None,
        coverage: Annotated[list[str], Field(max_length=20, description="Coverage codes, e.g. I, M")] = [],  # noqa: B006
        betos: Annotated[list[str], Field(max_length=20, description="BETOS codes, e.g. D1E")] = [],  # noqa: B006
        pricing: Annotated[list[str], Field(max_length=20, description="Pricing indicators, e.g. 13")] = [],  # noqa: B006
        tos: Annotated[list[str], Field(max_length=20, description="Types of service, e.g. 1")] = [],  # noqa: B006
        noc: Annotated[bool, Field(description="Only not-otherwise-classified codes")] = False,
        include_terminated: Annotated[bool, Field(description="Also codes no longer active")] = False,
    ) -> Annotated[CallToolResult, SearchAnswer]:
        """Ranked search of codes and descriptions: exact code, code prefixes, then words (abbreviations, lay
        words, misspellings), with the filters of `hcpcs search`."""
        _one_of(release, as_of)
        db = handle()
        found = db.search(query, limit=limit, offset=offset, release=_given(release), as_of=_given(as_of),
                          codes=_given(codes), coverage=coverage, betos=betos, pricing_indicator=pricing,
                          type_of_service=tos, noc_only=noc, include_terminated=include_terminated)
        day = parse_day(as_of, "as_of").isoformat() if as_of and as_of.strip() else None
        shown = f"{found.offset + 1}-{found.offset + len(found.hits)} of " if found.hits else ""
        lines = [f"{shown}{found.total} codes for {query!r} in release {found.release.id}"]
        lines += [f"{h.code}\t{h.short_description or ''}\t{h.long_description}" for h in found.hits]
        lines += list(found.notes)
        return _answer("\n".join(lines), {"release": release_ref(found.release), "as_of": day,
                                          "search": to_json(found)})

    @server.tool(annotations=read_only)
    def code_history(
        code: Annotated[str, Field(max_length=40, description="A Level II code or modifier")],
    ) -> Annotated[CallToolResult, HistoryAnswer]:
        """A code across every loaded release: each change, termination with replacements, re-activation and
        reuse (a code with more than one meaning over time)."""
        db = handle()
        found = db.history(code)
        return _answer(history_text(found), {"release": release_ref(db.release()), "history": to_json(found)})

    @server.tool(annotations=read_only)
    def diff_releases(
        from_release: Annotated[str, Field(max_length=20, description="The older release, YYYY-MM")],
        to_release: Annotated[str, Field(max_length=20, description="The newer release, YYYY-MM")],
        fields: Annotated[list[str], Field(max_length=40, description="Compare only these fields")] = [],  # noqa: B006
        limit: Annotated[int, Field(ge=1, le=MAX_DIFF)] = 100,
        offset: Annotated[int, Field(ge=0, le=100000)] = 0,
    ) -> Annotated[CallToolResult, DiffAnswer]:
        """What changed between two releases: each code with CMS's action code (A added, D discontinued, R
        re-activated, C/S descriptions, F/B administrative, P payment, T BETOS/type of service)."""
        found = handle().diff(from_release, to_release, fields=[f for f in fields if f.strip()] or None)
        data = to_json(found)
        page = found.changes[offset:offset + limit]
        data["total"], data["offset"] = len(found.changes), offset
        data["changes"] = [to_json(c) for c in page]
        counts = ", ".join(f"{a} {n}" for a, n in found.counts().items()) or "no changes"
        lines = [f"HCPCS {found.old.id} -> {found.new.id}: {len(found.changes)} codes changed ({counts})"]
        lines += [f"{c.code}\t{c.action}\t{c.short_description or ''}" for c in page]
        return _answer("\n".join(lines), {"release": release_ref(found.new), "from_release": release_ref(found.old),
                                          "diff": data})

    @server.tool(annotations=read_only)
    def validate_claim_lines(
        lines: Annotated[list[ClaimLine], Field(min_length=1, max_length=MAX_LINES)],
    ) -> Annotated[CallToolResult, ValidateAnswer]:
        """Was each claim line's code, and each modifier, valid on its date of service? Lines sharing a
        claim_id are checked against each other (pair rules)."""
        db = handle()
        known = db.releases()
        out: list[dict[str, Any]] = []
        text: list[str] = []
        for index, line in enumerate(lines):
            others = [o.code for j, o in enumerate(lines) if j != index and line.claim_id is not None
                      and o.claim_id == line.claim_id]
            verdict = db.validate(line.code, line.date, modifiers=line.modifiers, claim_codes=others,
                                  ndc=_given(line.ndc), units=line.units)
            day = parse_day(line.date, "date of service")
            try:
                in_effect: str | None = db.release_on(day).id
            except NotFound:
                in_effect = known[0].id if known else None
            out.append(LineVerdict(code=line.code.strip().upper(), date=day.isoformat(), modifiers=line.modifiers,
                                   claim_id=line.claim_id, release=in_effect, **to_json(verdict)).model_dump())
            text.append(f"{line.code.strip().upper()} {day.isoformat()} (release {in_effect}): {verdict.status}")
            text += [f"  {r}: {m}" for r, m in zip(verdict.reasons, verdict.messages, strict=True)]
            text += [f"  warning: {w}" for w in verdict.warnings]
            if verdict.billing_units is not None:
                text.append(f"  billing units: {verdict.billing_units:g}")
        return _answer("\n".join(text), {"release": release_ref(db.release()), "lines": out})

    @server.tool(annotations=read_only)
    def ndc_lookup(
        ndc: Annotated[str, Field(max_length=40, description="An NDC: 11 digits, 5-4-2, or 4-4-2, 5-3-2, 5-4-1")],
        as_of: Annotated[str | None, Field(max_length=40, description="A date of service, YYYY-MM-DD")] = None,
    ) -> Annotated[CallToolResult, NdcAnswer]:
        """The code(s) a drug package (NDC) bills under, by CMS's ASP NDC-HCPCS crosswalk in effect on the date
        (else the latest quarter before it), or the latest that lists it: labeler, drug name as sold, dosage,
        package, billing units per package."""
        db = handle()
        found = db.ndc(ndc, as_of=_given(as_of))
        return _answer(ndc_text(found), {"release": release_ref(db.release()), "ndc": to_json(found)})

    @server.tool(annotations=read_only)
    def list_releases() -> Annotated[CallToolResult, ReleasesAnswer]:
        """Every loaded CMS release, oldest first, with its effective date, counts and source files."""
        db = handle()
        known = db.releases()
        latest = db.release()
        text = [f"{len(known)} releases loaded; latest {latest.id}"]
        text += [f"{r.id}\teffective {r.effective_date.isoformat()}\t{r.procedure_count} procedures, "
                 f"{r.modifier_count} modifiers" for r in known]
        return _answer("\n".join(text), {"release": release_ref(latest), "releases": [to_json(r) for r in known]})

    @server.resource("hcpcs://codes/{code}", mime_type="text/markdown",
                     description="A code page as markdown; add ?release=YYYY-MM or ?as_of=YYYY-MM-DD")
    def code_page(code: str) -> str:
        name, _, query = code.partition("?")
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        release, as_of = _given(params.get("release")), _given(params.get("as_of"))
        _one_of(release, as_of)
        return render(handle().get(name, release=release, as_of=as_of), "markdown")

    @server.resource("hcpcs://releases", mime_type="application/json",
                     description="Every loaded release with its effective date, counts and source files")
    def releases() -> str:
        return json.dumps([to_json(r) for r in handle().releases()], indent=2)

    @server.prompt(title="Check this claim line")
    def check_claim_line(code: str, date: str, modifiers: str = "") -> str:
        """Check a claim line: was the code (and its modifiers) valid on the date of service?"""
        mods = f" with modifiers {modifiers}" if modifiers.strip() else ""
        return (f"Check the claim line {code}{mods} on the date of service {date}. Use the validate_claim_lines "
                f"tool, then lookup_code with as_of={date} for what the code meant that day. Say whether the "
                f"line is valid, each reason and warning in plain words, and the CMS release you relied on.")

    @server.prompt(title="What replaced this code")
    def what_replaced(code: str, date: str = "") -> str:
        """What replaced a terminated code (and when it ended)?"""
        when = date or dt.date.today().isoformat()
        return (f"What replaced the HCPCS code {code}? Use code_history for {code} and lookup_code with "
                f"as_of={when}. Give the termination date, the replacement codes CMS names (look each one up), "
                f"whether the code was ever reused with another meaning, and the releases you relied on.")

    return server


def run_stdio(handle: Hcpcs) -> None:
    """Serve MCP over stdio (for desktop assistants) until the client hangs up."""
    create_server(lambda: handle).run("stdio")
