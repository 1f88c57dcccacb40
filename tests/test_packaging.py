"""seslog as a user installs it: one pyproject declares every dependency, and `pip install .` from a clean
copy of the repository into a fresh venv gives a `seslog` command that runs anywhere, with DuckDB and
pyarrow only in its `local` extra."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from seslog import __version__
from seslog.extras import INSTALL

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REQUIREMENTS = {
    "pulumi": ROOT / "requirements.txt",
    "policies": ROOT / "policies" / "requirements.txt",
    "dev": ROOT / "requirements-dev.txt",
}


def requirement_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("group", sorted(REQUIREMENTS))
def test_each_requirements_file_is_its_dependency_group_line_for_line(group):
    lines = requirement_lines(REQUIREMENTS[group])
    # The Pulumi program's venv is the policy pack's too: requirements.txt takes the pack's file as well.
    includes = ["-r policies/requirements.txt"] if group == "pulumi" else []
    assert lines == PYPROJECT["dependency-groups"][group] + includes


def test_make_installs_the_files_and_seslog_with_its_extra():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-r requirements.txt -r requirements-dev.txt -e '.[local,web,mcp]'" in makefile
    assert re.search(
        r"^\$\(VENV\)/\.installed: pyproject\.toml requirements\.txt requirements-dev\.txt policies/requirements\.txt$",
        makefile,
        re.MULTILINE,
    )


def clean_copy(target: Path) -> Path:
    """The files a clone of the working tree has: tracked and new ones, nothing ignored (no venv, no build output)."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with `pip install <clean copy>`; yields (copy, venv bin, a directory outside both)."""
    base = tmp_path_factory.mktemp("install")
    copy = clean_copy(base / "clone")
    venv.create(base / "venv", with_pip=False)
    bin_dir = base / "venv" / "bin"
    pip(bin_dir, str(copy))
    outside = base / "elsewhere"
    outside.mkdir()
    return copy, bin_dir, outside


def pip(bin_dir: Path, *arguments: str) -> None:
    # The suite's own pip installs into the new venv (--python), which saves bootstrapping one there.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "--quiet", "--no-compile", *arguments],
        check=True,
        timeout=600,
    )


def seslog(bin_dir: Path, cwd: Path, *arguments: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SESLOG_", "AWS_", "PYTEST_"))}
    environ.update(
        PATH=f"{bin_dir}:/usr/bin:/bin",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    return subprocess.run(
        [str(bin_dir / "seslog"), *arguments], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_base_install_is_seslog_alone_and_answers_outside_the_repository(installed):
    _, bin_dir, outside = installed
    site = next((bin_dir.parent / "lib").glob("python3*/site-packages"))
    ours = {
        p.name
        for p in site.iterdir()
        if p.name in {"seslog", "components", "offline", "bench", "policies", "provider", "tests", "eventlog"}
    }
    assert ours == {"seslog"}
    assert (site / "seslog" / "eventlog" / "queries" / "fragments" / "event_columns.sql").is_file()
    assert not any(site.glob("duckdb*")) and not any(site.glob("pyarrow*"))

    assert seslog(bin_dir, outside, "--version").stdout == f"seslog {__version__}\n"
    helped = seslog(bin_dir, outside, "--help")
    assert helped.returncode == 0 and "why" in helped.stdout
    cost = seslog(bin_dir, outside, "cost", "--emails-per-day", "10000")
    assert cost.returncode == 0 and cost.stdout.startswith("Monthly cost for 10,000 emails a day") and cost.stderr == ""

    # The Athena path needs the stack: without the Pulumi CLI or SESLOG_* values, one line says what to pass.
    asked = seslog(bin_dir, outside, "why", "taro@example.jp", "--no-aws")
    assert asked.returncode == 1 and asked.stdout == ""
    assert asked.stderr.startswith(
        "seslog: pulumi CLI not found, so the stack's Athena workgroup, Glue database, Glue table and partitioning scheme are unknown"
    )

    for arguments, feature, extra in (
        (["why", "taro@example.jp", "--local", str(outside)], "--local", "local"),
        (["demo-data", str(outside / "demo")], "demo-data", "local"),
        (["serve", "--local", str(outside)], "serve", "web"),
        (["mcp", "--local", str(outside)], "mcp", "mcp"),
    ):
        (outside / "events").mkdir(exist_ok=True)
        (outside / "events" / "object.json.gz").write_bytes(b"")
        done = seslog(bin_dir, outside, *arguments)
        assert (done.returncode, done.stdout) == (1, "")
        hint = INSTALL[extra]
        assert re.fullmatch(
            rf"seslog: {feature} needs seslog's {extra} extra \(\w+ is not installed\): {re.escape(hint)}\n", done.stderr
        ), done.stderr


def test_with_the_local_extra_demo_data_and_why_run_offline(installed):
    copy, bin_dir, outside = installed
    pip(bin_dir, f"{copy}[local]")
    written = seslog(
        bin_dir, outside, "demo-data", "demo", "--start", "2024-05-01", "--days", "1", "--messages", "40", "--recipients", "1"
    )
    assert written.returncode == 0 and written.stdout.startswith("wrote ") and written.stderr == ""
    answered = seslog(
        bin_dir, outside, "why", "user0000@example.com", "--local", "demo", "--from", "2024-05-01", "--until", "2024-05-02"
    )
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.startswith("user0000@example.com: ") and "Why: " in answered.stdout and "Next: " in answered.stdout
