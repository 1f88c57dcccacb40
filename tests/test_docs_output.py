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
from tests.shared_data import shared_directory

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


DEMO_DATA = next(a for a, _ in transcript(README) if a.startswith("demo-data "))
"""The command both pages start from: the data set every other command reads."""
RUNS = [(page, n) for page in (README, GUIDE) for n in range(len(transcript(page)))]


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> tuple[Path, str]:
    """The data set both pages start from, written once: (directory, what writing it printed)."""
    printed = io.StringIO()

    def write(directory: Path) -> None:
        previous = Path.cwd()
        os.chdir(directory)
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                main(shlex.split(DEMO_DATA))
        finally:
            os.chdir(previous)
        (directory / "printed.txt").write_text(printed.getvalue(), encoding="utf-8")

    directory = shared_directory(tmp_path_factory, "documented", write)
    return directory, (directory / "printed.txt").read_text(encoding="utf-8")


def test_the_pages_run_the_commands_the_reader_needs():
    for page in (README, GUIDE):
        commands = [a.split()[0] for a, _ in transcript(page)]
        if page == GUIDE:
            assert commands[:2] == ["--help", "demo-data"] and {"why", "find", "message", "stats"} <= set(commands)
        else:
            assert commands == ["demo-data", "why"]
    assert [a for a, _ in transcript(GUIDE) if a.startswith("demo-data ")] == [DEMO_DATA]


@pytest.mark.parametrize(("page", "index"), RUNS, ids=[f"{p.stem}-{n + 1}" for p, n in RUNS])
def test_the_documentation_shows_what_seslog_prints(page, index, demo, monkeypatch, capsys):
    """Each command on its own (they read the data set and change nothing), so that they spread over the workers."""
    arguments, shown = transcript(page)[index]
    directory, printed = demo
    if arguments == DEMO_DATA:  # the same data set for both pages: written once, by the fixture
        assert printed == shown
        return
    monkeypatch.chdir(directory)
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps --help to the terminal's width
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
