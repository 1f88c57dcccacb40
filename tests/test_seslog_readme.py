"""The README's "Investigating with seslog" shows real output: every `$ seslog ...` in its console
blocks is run again, in order, in an empty directory, and must print exactly what the README shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from seslog.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
PROMPT = "$ seslog "


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Investigating with seslog\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def transcript() -> list[tuple[str, str]]:
    """(arguments, what the README shows them print) for every command of the section's console blocks."""
    runs: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", section(), re.DOTALL):
        for line in block.splitlines():
            if line.startswith(PROMPT):
                runs.append((line.removeprefix(PROMPT), []))
            else:
                runs[-1][1].append(line)
    return [(arguments, "".join(line + "\n" for line in shown)) for arguments, shown in runs]


def test_the_readme_shows_what_seslog_prints(tmp_path, monkeypatch, capsys):
    runs = transcript()
    assert [a.split()[0] for a, _ in runs[:2]] == ["--help", "demo-data"] and {"why", "find", "message", "stats"} <= {a.split()[0] for a, _ in runs}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps --help to the terminal's width
    for arguments, shown in runs:
        main(shlex.split(arguments))
        captured = capsys.readouterr()
        assert captured.out + captured.err == shown, arguments


@pytest.mark.parametrize("name", ["why", "find", "message", "stats", "serve", "mcp", "download", "smoke-test", "demo-data"])
def test_the_section_covers_every_investigation_command(name):
    assert f"seslog {name}" in section()


def test_the_section_starts_from_the_installed_command():
    text = section()
    assert text.index("pip install '.[local,web,mcp]'") < text.index("$ seslog ") and "python -m seslog" not in README.read_text(encoding="utf-8")
