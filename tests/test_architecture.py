"""The layers the README describes, held against the code's own imports: each folder of ``src/hcpcs`` imports only
the folders below it, so arrows point one way and there are no circles; no module outgrows 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

SRC = ROOT / "src" / "hcpcs"

#: each part of the package and the parts it may import (besides itself, the standard library, third parties,
#: and ``_errors``, which every layer raises); the order is the layers' order, top down
MAY_IMPORT: dict[str, set[str]] = {
    "__main__": {"cli"},
    "cli": {"api", "render", "validate", "model", "readers", "store", "_paths", "web", "mcp_server", "fhir"},
    "mcp_server": {"api", "render", "validate", "model", "_paths"},
    "web": {"api", "render", "fhir", "model", "mcp_server", "_paths"},
    "fhir": {"api", "render", "model"},
    "__init__": {"api", "validate", "model"},
    "render": {"api", "validate", "model"},
    "api": {"store", "readers", "search", "validate", "model", "_paths"},
    "search": {"store", "model"},
    "validate": {"model"},
    "store": {"model"},
    "readers": {"model"},
    "model": set(),
    "_paths": set(),
    "_errors": set(),
}


def _part(module: str) -> str:
    """The part of the package a dotted module name belongs to (``hcpcs.api.load`` -> ``api``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["hcpcs", *parts]) if parts else "hcpcs"


def _imports(path: Path) -> set[str]:
    """The hcpcs modules a file imports, at the top or inside functions, type-checking imports included."""
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.startswith("hcpcs"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("hcpcs"))
    return found


FILES = sorted(SRC.rglob("*.py"))


def test_every_part_is_placed() -> None:
    parts = {_part(_module_of(p)) for p in FILES}
    assert parts <= set(MAY_IMPORT), f"parts with no place in the layers: {parts - set(MAY_IMPORT)}"
    assert {"model", "readers", "store", "api", "cli", "web", "fhir"} <= parts


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(SRC).as_posix() for p in FILES])
def test_imports_point_down(path: Path) -> None:
    own = _part(_module_of(path))
    allowed = MAY_IMPORT[own] | {own, "_errors", "__init__"}
    wrong = sorted(m for m in _imports(path) if _part(m) not in allowed and m != "hcpcs")
    assert not wrong, f"{path.relative_to(SRC)} ({own}) may not import {wrong}"


def test_no_module_over_400_lines() -> None:
    long = {p.relative_to(SRC).as_posix(): n for p in FILES if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long


def test_every_folder_says_what_it_owns() -> None:
    for init in SRC.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert len(doc) > 80 and ("May import" in doc or init.parent.name in ("web", "fhir", "cli")), init


def test_the_check_sees_imports() -> None:
    """The import reader above finds relative imports, one level and two up (so the tests above can fail), and
    the store is among what a reader may not import."""
    found = _imports(SRC / "api" / "base.py")
    assert any(m.startswith("hcpcs.store") for m in found) and any(m.startswith("hcpcs.model.") for m in found)
    assert "hcpcs.readers.names" in _imports(SRC / "readers" / "bundle.py")
    assert _part("hcpcs.store.Store") not in MAY_IMPORT["readers"]
