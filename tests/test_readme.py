"""Every ``$ command`` transcript in the README is run, and its output checked against what the README shows.

In a transcript, a line ``...`` stands for any number of lines, and ``...`` inside a line for any text;
otherwise the lines shown must be the command's output lines, in order and one after the other. The load
transcript runs into a fresh database (its path shown as the README's); the others on every shared
release loaded. Commands that start a server (ending in ``&``) or call one (``curl``) are checked by the
web tests instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT

README = ROOT / "README.md"
README_DB = "/home/me/.local/share/hcpcs/hcpcs.sqlite"


def transcripts() -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```\n(.*?)^```", README.read_text(), flags=re.S | re.M):
        current: tuple[str, list[str]] | None = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = (line[2:].split("  #")[0].strip(), [])
                out.append(current)
            elif current is not None:
                current[1].append(line)
    return out


def runnable() -> list[tuple[str, list[str]]]:
    return [(command, lines) for command, lines in transcripts()
            if not command.endswith("&") and not command.startswith("curl")]


def matches(expected: list[str], actual: list[str]) -> str | None:
    """``None`` when the output matches the transcript, else what did not."""
    position = 0
    free = True  # the first line shown may come anywhere: commands print progress first
    for want in expected:
        if want.strip() == "...":
            free = True
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in want.rstrip().split("...")) + r"\Z")
        found = None
        for index in range(position, len(actual) if free else min(position + 1, len(actual))):
            if pattern.match(actual[index].rstrip()):
                found = index
                break
        if found is None:
            near = actual[position:position + 3]
            return f"expected {want!r} after line {position}; the output goes on with {near!r}"
        position, free = found + 1, False
    return None


def test_the_readme_has_transcripts() -> None:
    commands = [command for command, _ in runnable()]
    assert any(c.startswith("hcpcs load") for c in commands)
    assert len(commands) >= 10, commands


@pytest.mark.parametrize(("command", "expected"), runnable(), ids=[c for c, _ in runnable()])
def test_transcript(command: str, expected: list[str], all_loaded: Path, tmp_path: Path) -> None:
    if shutil.which("hcpcs") is None:
        pytest.fail("the hcpcs command is not installed (pip install -e .)")
    db = all_loaded
    if command.startswith("hcpcs load"):
        db = tmp_path / "hcpcs.sqlite"
    env = {**os.environ, "HCPCS_DB": str(db), "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    output = (done.stdout + done.stderr).replace(str(db), README_DB)
    problem = matches(expected, output.splitlines())
    assert problem is None, f"{command}: {problem}\n--- output ---\n{output[:3000]}"
