"""The documentation shows real output: every `$ seslog ...` in the console blocks of the README and of
docs/investigating.md is run again, in order, in an empty directory, and must print exactly what they show."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

import pytest

from seslog.cli import main

ROOT = Path(__file__).resolve().parents[1]
README, GUIDE = ROOT / "README.md", ROOT / "docs" / "investigating.md"
PROMPT = "$ seslog "


def transcript(page: Path) -> list[tuple[str, str]]:
    """(arguments, what the page shows them print) for every command of its console blocks."""
    runs: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL):
        for line in block.splitlines():
            if line.startswith(PROMPT):
                runs.append((line.removeprefix(PROMPT), []))
            else:
                runs[-1][1].append(line)
    return [(arguments, "".join(line + "\n" for line in shown)) for arguments, shown in runs]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str, str]:
    """The data set both pages start from, written once: (directory, the command, what it printed)."""
    arguments = next(a for a, _ in transcript(README) if a.startswith("demo-data "))
    directory = tmp_path_factory.mktemp("documented")
    previous = Path.cwd()
    os.chdir(directory)
    try:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            main(shlex.split(arguments))
    finally:
        os.chdir(previous)
    return directory, arguments, buffer.getvalue()


@pytest.mark.parametrize("page", [README, GUIDE], ids=["README", "investigating"])
def test_the_documentation_shows_what_seslog_prints(page, demo, monkeypatch, capsys):
    runs = transcript(page)
    commands = [a.split()[0] for a, _ in runs]
    if page == GUIDE:
        assert commands[:2] == ["--help", "demo-data"] and {"why", "find", "message", "stats"} <= set(commands)
    else:
        assert commands == ["demo-data", "why"]
    directory, written, printed = demo
    monkeypatch.chdir(directory)
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps --help to the terminal's width
    for arguments, shown in runs:
        if arguments == written:  # the same data set for both pages: written once, by the fixture
            assert printed == shown
            continue
        main(shlex.split(arguments))
        captured = capsys.readouterr()
        assert captured.out + captured.err == shown, arguments


@pytest.mark.parametrize("name", ["why", "find", "message", "stats", "serve", "mcp", "download", "smoke-test", "demo-data"])
def test_the_guide_covers_every_investigation_command(name):
    assert f"seslog {name}" in GUIDE.read_text(encoding="utf-8")


def test_the_readme_starts_the_investigation_from_the_installed_command():
    text = README.read_text(encoding="utf-8")
    assert text.index("pip install '.[local,web,mcp]'") < text.index("$ seslog ")
    assert not any("python -m seslog" in p.read_text(encoding="utf-8") for p in (README, GUIDE))
