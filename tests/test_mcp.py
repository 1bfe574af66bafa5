"""The MCP server, through the SDK's own client: in process, over stdio (``hcpcs mcp``) and over streamable
HTTP (``hcpcs serve``, a real server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.memory import create_connected_server_and_client_session

import hcpcs
from hcpcs.mcp_server import MAX_SEARCH, create_server

from .conftest import CMS, LATEST, SHARED, loaded_database, serving

TOOLS = {"lookup_code", "search_codes", "code_history", "diff_releases", "validate_claim_lines", "ndc_lookup",
         "list_releases"}
#: One call of every tool on real codes, and what its text must say.
CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("lookup_code", {"code": "S9328"}, f"S9328 in release {LATEST}: Actual"),
    ("lookup_code", {"code": "C9034", "as_of": "2020-05-01"}, "terminated 2018-12-31; replaced by J1095"),
    ("lookup_code", {"code": "s9328", "release": "2020-04"}, "S9328 in release 2020-04"),
    ("search_codes", {"query": "hit pain imp pump", "limit": 3, "coverage": ["I"]}, "S9328\tHit pain imp pump diem"),
    ("code_history", {"code": "G9890"}, "REUSED"),
    ("diff_releases", {"from_release": "2020-01", "to_release": "2020-04", "limit": 5}, "HCPCS 2020-01 -> 2020-04"),
    ("validate_claim_lines", {"lines": [{"code": "C9034", "date": "2020-05-01"},
                                        {"code": "S9325", "date": "2020-05-01", "claim_id": "1"},
                                        {"code": "S9328", "date": "2020-05-01", "claim_id": "1"}]},
     "terminated: C9034 was terminated on 2018-12-31; replaced by J1095"),
    ("list_releases", {}, f"latest {LATEST}"),
]

Session = Callable[[Callable[[ClientSession], Awaitable[None]]], None]


async def exercise(session: ClientSession) -> None:
    """What every transport must do: list and call every tool, an error, a resource read."""
    await session.initialize()
    listed = {t.name: t for t in (await session.list_tools()).tools}
    assert set(listed) == TOOLS
    for tool in listed.values():
        jsonschema.Draft202012Validator.check_schema(tool.inputSchema)
        assert tool.outputSchema is not None
        jsonschema.Draft202012Validator.check_schema(tool.outputSchema)
        assert tool.annotations is not None and tool.annotations.readOnlyHint
    for name, arguments, said in CALLS:
        result = await session.call_tool(name, arguments)
        assert not result.isError, result.content
        assert result.structuredContent is not None
        jsonschema.validate(result.structuredContent, listed[name].outputSchema or {})
        assert result.structuredContent["release"]["id"]  # every answer names its release
        text = result.content[0].text  # type: ignore[union-attr]
        assert said in text, (name, text)
    bad = await session.call_tool("lookup_code", {"code": "S9998"})
    assert bad.isError
    assert bad.content[0].text == (  # type: ignore[union-attr]
        f"S9998 is not in release {LATEST}; near codes: S9992, S9994, S9996, S9999, T1000, T1001")
    page = await session.read_resource("hcpcs://codes/S9328")  # type: ignore[arg-type]
    assert page.contents[0].text.startswith("# S9328")  # type: ignore[union-attr]


def run(check: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(check(), timeout=60))


@pytest.fixture(scope="module")
def in_process(all_loaded: Path) -> Iterator[Session]:
    db = hcpcs.open(all_loaded, readonly=True)
    server = create_server(lambda: db)

    def session(body: Callable[[ClientSession], Awaitable[None]]) -> None:
        async def go() -> None:
            async with create_connected_server_and_client_session(server._mcp_server) as client:
                await body(client)

        run(go)

    yield session
    db.close()


def test_in_process_tools_and_resources(in_process: Session) -> None:
    in_process(exercise)


def test_answers(in_process: Session) -> None:
    async def body(s: ClientSession) -> None:
        await s.initialize()
        found = (await s.call_tool("lookup_code", {"code": "C9034", "as_of": "2020-05-01"})).structuredContent
        assert found is not None
        assert found["release"] == {"id": "2020-04", "effective_date": "2020-04-01"}
        assert found["as_of"] == "2020-05-01"
        assert found["code"]["status"] == "Terminated" and found["code"]["cross_references"] == ["J1095"]
        history = (await s.call_tool("code_history", {"code": "G9890"})).structuredContent
        assert history is not None and history["history"]["reused"] is True
        lines = (await s.call_tool("validate_claim_lines", {"lines": [
            {"code": "S9325", "date": "2020-05-01", "claim_id": "1"},
            {"code": "S9328", "date": "2020-05-01", "claim_id": "1"},
            {"code": "S9325", "date": "2020-05-01", "claim_id": "2"},
            {"code": "G9890", "date": "2018-05-01"}]})).structuredContent
        assert lines is not None
        assert [line["status"] for line in lines["lines"]] == ["invalid", "valid", "valid", "valid"]
        assert lines["lines"][0]["reasons"] == "pair_conflict"
        assert "re_added" in lines["lines"][3]["warnings"] and lines["lines"][3]["release"] == "2018-01"
        diff = (await s.call_tool("diff_releases", {"from_release": "2019", "to_release": "2020", "limit": 2}))
        assert diff.structuredContent is not None
        assert diff.structuredContent["diff"]["total"] > 2 and len(diff.structuredContent["diff"]["changes"]) == 2
        old = await s.read_resource("hcpcs://codes/C9034?as_of=2020-05-01")  # type: ignore[arg-type]
        assert "J1095" in old.contents[0].text  # type: ignore[union-attr]
        listing = await s.read_resource("hcpcs://releases")  # type: ignore[arg-type]
        assert LATEST in listing.contents[0].text  # type: ignore[union-attr]
        prompts = {p.name for p in (await s.list_prompts()).prompts}
        assert prompts == {"check_claim_line", "what_replaced"}

    in_process(body)


@pytest.mark.parametrize(("name", "arguments", "message"), [
    ("lookup_code", {"code": "99213"},
     "99213 is a CPT (Level I) code, owned by the AMA: hcpcs holds Level II codes only"),
    ("lookup_code", {"code": "C9034", "as_of": "2018-03-01"},
     "C9034 was not yet in effect on 2018-03-01: added 2018-10-01 (release 2019-01)"),
    ("lookup_code", {"code": "S9328", "release": "2020-04", "as_of": "2020-05-01"}, "give release or as_of, not both"),
    ("diff_releases", {"from_release": "2020-01", "to_release": "2021-01"}, "release 2021-01 is not loaded"),
    ("validate_claim_lines", {"lines": [{"code": "S9328", "date": "yesterday"}]}, "date of service"),
])
def test_errors_are_the_cli_messages(in_process: Session, name: str, arguments: dict[str, Any],
                                     message: str) -> None:
    async def body(s: ClientSession) -> None:
        await s.initialize()
        result = await s.call_tool(name, arguments)
        assert result.isError
        assert message in result.content[0].text  # type: ignore[union-attr]
        assert not result.content[0].text.startswith("Error executing")  # type: ignore[union-attr]

    in_process(body)


def test_bounded(in_process: Session) -> None:
    async def body(s: ClientSession) -> None:
        await s.initialize()
        too_many = await s.call_tool("search_codes", {"query": "injection", "limit": MAX_SEARCH + 1})
        assert too_many.isError
        found = await s.call_tool("search_codes", {"query": "injection", "limit": MAX_SEARCH})
        assert found.structuredContent is not None and len(found.structuredContent["search"]["hits"]) == MAX_SEARCH
        assert len(found.content[0].text) < 5000  # type: ignore[union-attr]

    in_process(body)


def test_stdio(all_loaded: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "hcpcs", "--db", str(all_loaded), "mcp"],
                                   env=dict(os.environ))

    async def go() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await exercise(session)

    run(go)


def test_http(all_loaded: Path) -> None:
    with serving(all_loaded) as base:
        async def go() -> None:
            async with streamable_http_client(f"{base}/mcp") as (read, write, _), ClientSession(read, write) as s:
                await exercise(s)

        run(go)
        assert httpx.get(f"{base}/api/codes/S9328").json()["code"] == "S9328"  # the JSON API beside it


@pytest.fixture(scope="module")
def with_drugs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The October 2020 and 2025 releases and CMS's drug files (the January 2024 crosswalk)."""
    return loaded_database(tmp_path_factory, "mcp-drugs", CMS / "2020-10-anweb.xlsx", CMS / "hcpcs-2025.zip",
                           CMS / "HCPC2025_OCT_ANWEB_v4.xlsx", SHARED / "cms-asp")


def test_ndc_lookup_and_ndc_on_claim_lines(with_drugs: Path) -> None:
    db = hcpcs.open(with_drugs, readonly=True)
    server = create_server(lambda: db)

    async def go() -> None:
        async with create_connected_server_and_client_session(server._mcp_server) as s:
            await s.initialize()
            listed = {t.name: t for t in (await s.list_tools()).tools}
            found = await s.call_tool("ndc_lookup", {"ndc": "55513007801", "as_of": "2024-02-01"})
            assert not found.isError and found.structuredContent is not None
            jsonschema.validate(found.structuredContent, listed["ndc_lookup"].outputSchema or {})
            assert found.structuredContent["ndc"]["ndc"] == "55513-0078-01"
            assert found.structuredContent["ndc"]["codes"] == ["J9325"]
            assert "IMLYGIC" in found.content[0].text  # type: ignore[union-attr]
            bad = await s.call_tool("ndc_lookup", {"ndc": "abc"})
            assert bad.isError and "is not an NDC" in bad.content[0].text  # type: ignore[union-attr]
            lines = await s.call_tool("validate_claim_lines", {"lines": [
                {"code": "J9325", "date": "2024-02-01", "ndc": "55513-0079-01", "units": 2},
                {"code": "J9271", "date": "2024-02-01", "ndc": "55513-0079-01"},
                {"code": "J9271", "date": "2024-02-01", "ndc": "5551300780"}]})
            assert lines.structuredContent is not None
            jsonschema.validate(lines.structuredContent, listed["validate_claim_lines"].outputSchema or {})
            rows = lines.structuredContent["lines"]
            assert [(r["status"], r["reasons"], r["warnings"], r["ndc"], r["billing_units"]) for r in rows] == [
                ("valid", "", "", "55513-0079-01", 200.0),
                ("invalid", "ndc_mismatch", "", "55513-0079-01", None),
                ("valid", "", "ndc_unknown", "", None)]
            assert "billing units: 200" in lines.content[0].text  # type: ignore[union-attr]

    try:
        run(go)
    finally:
        db.close()
