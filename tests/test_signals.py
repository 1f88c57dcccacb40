"""SIGTERM (a service manager, ``kill``) and SIGHUP (a closed terminal) end seslog as Ctrl-C does: sent for real to a
real process, each leaves nothing behind (demo-data's hidden directory, a Snappy JSON query's decompressed copy, a
running Athena query), says so in one line on stderr and exits 128 + the signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seslog.eventlog.generator import generate, load_samples
from seslog.eventlog.layout import write_layout
from tests.test_seslog_output import read_to_the_end, read_until, seslog_on_a_terminal

ROOT = Path(__file__).resolve().parents[1]
ENDING = [pytest.param(signal.SIGTERM, 143, "SIGTERM", id="SIGTERM"), pytest.param(signal.SIGHUP, 129, "SIGHUP", id="SIGHUP")]


def environment(**extra: str) -> dict[str, str]:
    environ = {**os.environ, "COLUMNS": "100", **extra}
    environ.pop("PYTEST_CURRENT_TEST", None)
    return environ


def wait_for(condition, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)


def ended(process: subprocess.Popen, seconds: float = 30) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=seconds)
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


@pytest.mark.parametrize(("signum", "code", "name"), ENDING)
def test_demo_data_leaves_nothing_half_written(tmp_path, signum, code, name):
    target = tmp_path / "demo"
    process = subprocess.Popen(
        [sys.executable, "-m", "seslog", "demo-data", str(target), "--messages", "300000", "--format", "json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )
    wait_for(lambda: any(target.glob(".seslog-demo-partial-*/events/*")), process)
    process.send_signal(signum)
    returned, out, err = ended(process)
    assert (returned, out, err) == (code, "", f"seslog: interrupted by {name}\n")
    assert list(target.iterdir()) == []


@pytest.fixture(scope="module")
def snappy(tmp_path_factory) -> Path:
    """Framed Snappy JSON, which DuckDB cannot read: a local query reads a decompressed copy in the temporary directory."""
    root = tmp_path_factory.mktemp("snappy")
    write_layout(
        generate(load_samples(), seed=2, start=datetime(2024, 5, 1, tzinfo=UTC), days=2, messages=6000, recipients=50),
        root,
        format="json",
        partitioning="none",
        compression="HADOOP_SNAPPY",
    )
    assert any(root.rglob("*.snappy"))
    return root


@pytest.mark.parametrize(("signum", "code", "name"), ENDING)
def test_a_local_query_on_snappy_json_removes_its_decompressed_copy(tmp_path, snappy, signum, code, name):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process, leader = seslog_on_a_terminal(
        "why",
        "user0001@example.net",
        "--from",
        "2024-05-01",
        "--until",
        "2024-05-02",
        "--local",
        str(snappy),
        TMPDIR=str(temporary),
    )
    read_until(leader, b"DuckDB: reading", process)
    assert [p.name[: len("eventlog-json-")] for p in temporary.iterdir()] == ["eventlog-json-"]
    process.send_signal(signum)
    returned, rest = read_to_the_end(leader, process)
    assert returned == code, rest
    assert f"seslog: interrupted by {name}" in rest and "Traceback" not in rest
    assert process.stdout.read() == b""
    assert list(temporary.iterdir()) == []


ATHENA = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from seslog import cli

    calls = Path(sys.argv[1])


    class Athena:
        def start_query_execution(self, **request):
            return {"QueryExecutionId": "q-1"}

        def get_query_execution(self, QueryExecutionId):
            # Said once seslog polls: it knows the query's id by then, and cancels it when interrupted.
            calls.write_text("started\\n")
            return {"QueryExecution": {"QueryExecutionId": QueryExecutionId, "Status": {"State": "RUNNING"}}}

        def stop_query_execution(self, QueryExecutionId):
            with calls.open("a") as log:
                log.write(f"stopped {QueryExecutionId}\\n")
            return {}


    cli.client = lambda service, region: Athena()
    sys.exit(cli.main(sys.argv[2:]))
    """
)


@pytest.mark.parametrize(("signum", "code", "name"), ENDING)
def test_a_running_athena_query_is_stopped(tmp_path, signum, code, name):
    calls = tmp_path / "calls"
    stack = ["--workgroup", "wg", "--database", "db", "--table", "events", "--partitioning", "date", "--region", "us-east-1"]
    process = subprocess.Popen(
        [sys.executable, "-c", ATHENA, str(calls), "stats", "--from", "2024-05-01", "--until", "2024-05-02", *stack],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )
    wait_for(calls.exists, process)
    time.sleep(0.2)  # polling, between two GetQueryExecution
    process.send_signal(signum)
    returned, out, err = ended(process)
    assert (returned, out, err) == (code, "", f"seslog: interrupted by {name}: cancelled query q-1\n")
    assert calls.read_text() == "started\nstopped q-1\n"


def test_ctrl_c_still_says_interrupted_and_exits_130(tmp_path):
    calls = tmp_path / "calls"
    stack = ["--workgroup", "wg", "--database", "db", "--table", "events", "--partitioning", "date", "--region", "us-east-1"]
    process = subprocess.Popen(
        [sys.executable, "-c", ATHENA, str(calls), "stats", "--from", "2024-05-01", "--until", "2024-05-02", *stack],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )
    wait_for(calls.exists, process)
    process.send_signal(signal.SIGINT)
    assert ended(process) == (130, "", "seslog: interrupted: cancelled query q-1\n")
    assert calls.read_text() == "started\nstopped q-1\n"
