"""One JSON form a model: every model the library hands out has exactly one serializer
(``hcpcs.render.serialize``), nothing else in the package turns models into JSON, and the JSON API's OpenAPI
document describes exactly what those serializers produce, key for key, on real answers from a running server."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import hcpcs
from hcpcs.render.serialize import to_json

from .conftest import CMS, ROOT, loaded_database, serving

ASP = CMS.parent / "cms-asp"
SRC = ROOT / "src" / "hcpcs"

#: models a public method returns that are not answers to serialize, and why
NOT_ANSWERS = {
    "SearchFilters": "what a search is narrowed to: an input",
    "Record": "a raw CMS record, read by the loaders; users get Code",
    "ReportEntry": "a line of CMS's transaction report, shown through Code and ReportComparison",
    "TransactionReport": "the report as read; users get ReportComparison",
    "CodeTables": "a year's record layout: served as its own mapping (/api/code-tables), not as an object",
    "Vocabulary": "the search index's words, which the ranking reads",
    "Reference": "what the validation engines read from the database",
    "Period": "a code's span of validity, inside Reference",
    "LoadReport": "the load summary: printed for people, no JSON form",
    "LoadedRelease": "a line of the load summary",
    "FileUse": "a line of the load summary",
    "LoadWarning": "a line of the load summary",
    "UpdateReport": "what update fetched: printed for people, no JSON form",
    "Published": "a line of update's report",
    "Downloaded": "a line of update's report",
}


def _answer_models() -> set[type]:
    """Every dataclass reachable from the return types of the public facade's methods."""
    # the annotations are text (``from __future__ import annotations``), some naming types imported for type
    # checking only: read them in a namespace holding every name of the package's modules
    import builtins
    import importlib
    import pkgutil
    import sys

    for info in pkgutil.walk_packages(hcpcs.__path__, "hcpcs."):
        if info.name not in ("hcpcs.__main__", "hcpcs.web._serve"):  # the two that run something on import
            importlib.import_module(info.name)
    names: dict[str, Any] = {**vars(builtins), **vars(typing)}
    for module in [m for n, m in sys.modules.items() if n.startswith("hcpcs")]:
        names.update(vars(module))
    found: set[type] = set()

    def walk(hint: Any, where: dict[str, Any]) -> None:
        if isinstance(hint, str):
            hint = eval(hint, {**names, **where})
        if typing.get_origin(hint) is typing.Literal:
            return
        for arg in typing.get_args(hint):
            walk(arg, where)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint not in found:
            found.add(hint)
            for item in dataclasses.fields(hint):
                walk(item.type, vars(sys.modules[hint.__module__]))

    for name, method in inspect.getmembers(hcpcs.Hcpcs, inspect.isfunction):
        if not name.startswith("_") and "return" in method.__annotations__:
            walk(method.__annotations__["return"], method.__globals__)
    return found


def test_every_answer_model_has_exactly_one_serializer() -> None:
    models = {m for m in _answer_models() if m.__name__ not in NOT_ANSWERS and m.__module__.startswith("hcpcs.")}
    missing = sorted(m.__name__ for m in models if to_json.dispatch(m) is to_json.registry[object])
    assert not missing, f"models with no JSON form in hcpcs.render.serialize: {missing}"
    # the facade's main answers are among them, so the walk above cannot pass by finding nothing
    assert {"Code", "History", "Diff", "SearchResult", "Release", "NdcAnswer"} <= {m.__name__ for m in models}
    # singledispatch keeps one function a type: a second registration would replace the first silently, so
    # count the registrations in the module's source
    tree = ast.parse((SRC / "render" / "serialize.py").read_text(encoding="utf-8"))
    registered = [node.args.args[0].annotation for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
                  and any(ast.unparse(d) == "to_json.register" for d in node.decorator_list)]
    names = [ast.unparse(a) for a in registered if a is not None]
    assert len(names) == len(set(names)), f"a model registered twice: {sorted(names)}"


def test_nothing_else_turns_models_into_json() -> None:
    """No ``*_json`` function and no ``dataclasses.asdict`` outside ``_json`` (one allowed use, named)."""
    allowed = {("web/_limits.py", "asdict")}  # the server's own settings passed to its workers, not a model
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        if where == "render/serialize.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_json") and node.name != "fhir_json":
                offenders.append(f"{where}: def {node.name}")
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("asdict") \
                    and (where, "asdict") not in allowed:
                offenders.append(f"{where}: {ast.unparse(node)}")
    assert not offenders, offenders


# -- the OpenAPI document against the serializers ---------------------------------------------------------------

#: a real request for every JSON GET route of the API, chosen so optional parts (drug data, payment limits,
#: replacements, report differences) are present; a new route must add its own here
EXAMPLES = {
    "/api/codes/{code}": ["/api/codes/J9325", "/api/codes/C9034?as_of=2019-06-01", "/api/codes/A4206"],
    "/api/codes/{code}/history": ["/api/codes/J9325/history", "/api/codes/C9034/history"],
    "/api/ndc/{ndc}": ["/api/ndc/55513-0078-01"],
    "/api/search": ["/api/search?q=hydrochloride+injection", "/api/search?q=imlygic", "/api/search?q=zzqqxx"],
    "/api/releases": ["/api/releases"],
    "/api/quarters": ["/api/quarters"],
    "/api/diff": ["/api/diff?from=2019&to=2020&limit=500"],
    "/api/diff/report": ["/api/diff/report?from=2019&to=2020"],
    "/api/fields": ["/api/fields"],
    "/api/code-tables": ["/api/code-tables"],
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = loaded_database(tmp_path_factory, "serializers", CMS / "2019-Alpha-Numeric-HCPCS-File.zip",
                           CMS / "2020-Alpha-Numeric-HCPCS-File.zip", CMS / "hcpcs-2025.zip", ASP)
    with serving(path) as url:
        yield url


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _mismatches(value: Any, schema: dict[str, Any], document: dict[str, Any], at: str) -> Iterator[str]:
    """Where ``value`` has keys the schema does not declare, or lacks keys it declares, recursively."""
    schema = _resolve(schema, document)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        fitting = [o for o in options if _resolve(o, document).get("type") != "null"] if value is not None else []
        for option in fitting:
            yield from _mismatches(value, option, document, at)
        return
    if isinstance(value, dict) and "properties" in schema:
        declared = set(schema["properties"])
        if extra := sorted(set(value) - declared):
            yield f"{at}: keys the schema lacks: {extra}"
        if missing := sorted(declared - set(value)):
            yield f"{at}: keys the schema declares but the answer lacks: {missing}"
        for key in set(value) & declared:
            yield from _mismatches(value[key], schema["properties"][key], document, f"{at}.{key}")
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            yield from _mismatches(item, schema["additionalProperties"], document, f"{at}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value[:50]):
            yield from _mismatches(item, schema["items"], document, f"{at}[{index}]")


def test_the_openapi_document_describes_exactly_what_the_serializers_write(base: str) -> None:
    document = httpx.get(f"{base}/openapi.json").json()
    routes = {path for path, item in document["paths"].items()
              if path.startswith("/api/") and "application/json" in
              item.get("get", {}).get("responses", {}).get("200", {}).get("content", {})}
    assert routes == set(EXAMPLES), "give every JSON route an example request here"
    problems: list[str] = []
    for route, urls in EXAMPLES.items():
        schema = document["paths"][route]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        for url in urls:
            answer = httpx.get(base + url, timeout=30)
            assert answer.status_code == 200, (url, answer.text[:200])
            problems += _mismatches(answer.json(), schema, document, url)
    assert not problems, "\n".join(dict.fromkeys(re.sub(r"\[\d+\]", "[]", p) for p in problems))


def test_the_check_finds_a_drifted_schema() -> None:
    """The comparison above catches both directions of drift (so the test above can fail)."""
    document: dict[str, Any] = {"components": {"schemas": {"Q": {"properties": {"a": {}, "b": {}}}}}}
    schema = {"items": {"$ref": "#/components/schemas/Q"}}
    assert list(_mismatches([{"a": 1, "b": 2}], schema, document, "x")) == []
    assert list(_mismatches([{"a": 1}], schema, document, "x")) == [
        "x[0]: keys the schema declares but the answer lacks: ['b']"]
    assert list(_mismatches([{"a": 1, "b": 2, "c": 3}], schema, document, "x")) == [
        "x[0]: keys the schema lacks: ['c']"]


def test_serializers_write_json_types_only(db: hcpcs.Hcpcs) -> None:
    """Dates as ISO text and tuples as lists: what ``json.dumps`` writes back unchanged."""
    import json

    for answer in (db.get("S9328"), db.history("G9890"), db.diff("2019", "2020"), db.search("wheelchair")):
        data = to_json(answer)
        assert json.loads(json.dumps(data)) == data


def test_to_json_refuses_what_is_not_a_model() -> None:
    with pytest.raises(TypeError, match="no JSON form for PosixPath"):
        to_json(Path("."))
    assert isinstance(to_json, types.FunctionType)
