"""What seslog prints for people: every command fits an 80- and a 120-column terminal, piped output is never
cut, and Ctrl-C (a real SIGINT to a real process) ends a local query or demo-data with one line and 130,
leaving nothing half-written."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seslog.cli import main
from seslog.eventlog.generator import generate, load_samples
from seslog.eventlog.layout import write_layout
from seslog.eventlog.partitioning import SCHEMES
from seslog.output import display_width, print_table

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2024, 5, 1, tzinfo=UTC)
RANGE = ["--from", "2024-05-01", "--until", "2024-05-02"]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, str, str]:
    """A data set, its busiest address and a message sent to several addresses."""
    root = tmp_path_factory.mktemp("widths")
    records = list(generate(load_samples(), seed=5, start=START, days=2, messages=150, recipients=8))
    write_layout(records, root, format="parquet", partitioning="date")
    sends = [r for _, r in records if r["eventType"] == "Send"]
    counts: dict[str, int] = {}
    for send in sends:
        for address in send["mail"]["destination"]:
            counts[address] = counts.get(address, 0) + 1
    several = next(s["mail"]["messageId"] for s in sends if len(s["mail"]["destination"]) > 1)
    return root, max(counts, key=counts.get), several


def commands(data) -> list[list[str]]:
    root, address, message = data
    local = ["--local", str(root)]
    return [
        ["find", "--to", address, *RANGE, *local],
        ["message", message, *RANGE, *local],
        ["stats", *RANGE, *local],
        ["why", address, *RANGE, *local],
        ["why", message, *RANGE, *local],
        ["why", "nobody@example.net", *RANGE, *local],
        ["cost", "--emails-per-day", "1000000", "--format", "parquet", "--partitioning", "event-type"],
        ["--help"],
        ["why", "--help"],
    ]


ACTING = "\x1b[2J\x1b]0;pwned\x07\rFORGED LINE\u202egnp.exe"
"""What a subject or a receiving server's reply may hold: clear the screen, retitle the window, return to the line's
start, reorder the text after it."""


@pytest.fixture(scope="module")
def acting(tmp_path_factory) -> tuple[Path, str, str]:
    """A data set whose subjects and bounce replies hold ``ACTING``; a bounced address and its message."""
    root = tmp_path_factory.mktemp("acting")
    records = []
    for arrival, record in generate(load_samples(), seed=5, start=START, days=2, messages=150, recipients=8):
        record = json.loads(json.dumps(record))
        record["mail"]["commonHeaders"]["subject"] = f"Hello {ACTING}"
        for bounced in record.get("bounce", {}).get("bouncedRecipients", []):
            bounced["diagnosticCode"] = f"smtp; 550 5.1.1 {ACTING}"
        records.append((arrival, record))
    write_layout(records, root, format="json", partitioning="date")
    bounce = next(r for _, r in records if r["eventType"] == "Bounce" and r["bounce"]["bounceSubType"] == "General")
    return root, bounce["bounce"]["bouncedRecipients"][0]["emailAddress"], bounce["mail"]["messageId"]


def test_what_an_email_holds_reaches_the_terminal_written_out_and_json_keeps_it_escaped(monkeypatch, acting):
    monkeypatch.setenv("COLUMNS", "100")
    for arguments in commands(acting)[:6]:
        for stdout in (Tty(), io.StringIO()):
            out = run(monkeypatch, stdout, arguments)
            assert out and not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out), arguments
            shows_subjects = arguments[0] in ("find", "why") and "nobody@example.net" not in arguments
            if shows_subjects and not isinstance(stdout, Tty):  # piped: nothing is cut
                assert "\\x1b[2J\\x1b]0;pwned\\x07\\x0dFORGED LINE\\u202egnp.exe" in out, arguments
    root, address, _ = acting
    out = run(monkeypatch, io.StringIO(), ["why", address, *RANGE, "--local", str(root), "--json"])
    assert "\\u001b[2J" in out and ACTING in json.loads(out)["verdicts"][0]["subject"]


def run(monkeypatch, stdout: io.StringIO, arguments: list[str]) -> str:
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        main(arguments)
    except SystemExit:  # --help
        pass
    return stdout.getvalue()


@pytest.mark.parametrize("columns", [80, 120])
def test_every_command_fits_the_terminal(monkeypatch, data, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    for arguments in commands(data):
        out = run(monkeypatch, Tty(), arguments)
        assert out, arguments
        widest = max(out.splitlines(), key=display_width)
        assert display_width(widest) <= columns, (arguments, widest)


def test_why_never_cuts_a_message_id_on_a_narrow_terminal(monkeypatch, data):
    monkeypatch.setenv("COLUMNS", "80")
    root, address, _ = data
    asked = ["why", address, *RANGE, "--local", str(root)]
    ids = [v["message_id"] for v in json.loads(run(monkeypatch, io.StringIO(), [*asked, "--json"]))["verdicts"]]
    out = run(monkeypatch, Tty(), asked)
    assert ids and all(f"\n{message_id}\n" in out for message_id in ids)


def test_piped_output_and_wide_are_never_cut(monkeypatch, data):
    monkeypatch.setenv("COLUMNS", "80")
    root, address, _ = data
    whole = json.loads(run(monkeypatch, io.StringIO(), ["find", "--to", address, *RANGE, "--local", str(root), "--json"]))[
        "messages"
    ]
    longest = max((m["subject"] for m in whole), key=display_width)
    assert display_width(longest) > 10
    for stdout, arguments in ((io.StringIO(), []), (Tty(), ["--wide"])):
        out = run(monkeypatch, stdout, ["find", "--to", address, *RANGE, "--local", str(root), *arguments])
        assert longest in out and "…" not in out
        assert all(m["message_id"] in out for m in whole)
    cut = run(monkeypatch, Tty(), ["find", "--to", address, *RANGE, "--local", str(root)])
    assert "…" in cut and all(m["message_id"] in cut for m in whole)  # IDs are never the part that is cut


def test_a_table_too_wide_to_cut_is_printed_one_record_at_a_time():
    out = io.StringIO()
    print_table(
        ["message_id", "sent_at", "detail"],
        [{"message_id": "x" * 60, "sent_at": "2024-05-01T00:00:00.000Z", "detail": "d" * 90}],
        out,
        width=80,
        shrink=["detail"],
    )
    assert out.getvalue().splitlines() == [
        "MESSAGE_ID  " + "x" * 60,
        "SENT_AT     2024-05-01T00:00:00.000Z",
        "DETAIL      " + "d" * 67 + "…",
    ]


def test_no_match_with_json_prints_an_empty_document_and_exits_1(capsys, data):
    root, _, _ = data
    for arguments, key in (
        (["find", "--to", "nobody@example.net"], "messages"),
        (["message", "0100018f00000000-00000000-0000-4000-8000-000000000000-000000"], "events"),
    ):
        code = main([*arguments, *RANGE, "--local", str(root), "--json"])
        captured = capsys.readouterr()
        assert code == 1 and json.loads(captured.out)[key] == [] and captured.err.startswith("seslog: no ")
    code = main(["stats", "--from", "2030-01-01", "--until", "2030-01-02", "--local", str(root), "--json"])
    captured = capsys.readouterr()
    assert code == 1 and json.loads(captured.out)["totals"]["Send"] == 0


def test_a_default_named_in_an_error_is_said_to_be_one(capsys, data):
    root, _, _ = data
    assert main(["stats", "--from", "2999-01-01", "--local", str(root)]) == 2
    today = datetime.now(UTC).date()
    assert capsys.readouterr().err == f"seslog: --from 2999-01-01 is after today ({today}, the default of --until)\n"


def test_a_bad_environment_value_is_a_usage_error_naming_the_variable(capsys, monkeypatch):
    monkeypatch.setenv("SESLOG_PARTITIONING", "daily")
    for name in ("WORKGROUP", "DATABASE", "TABLE"):
        monkeypatch.setenv(f"SESLOG_{name}", "x")
    assert main(["stats"]) == 2
    assert capsys.readouterr().err == f"seslog: SESLOG_PARTITIONING=daily is not one of {', '.join(SCHEMES)}\n"


# Ctrl-C, as a terminal sends it: SIGINT to the process.


def seslog_on_a_terminal(*arguments: str, **extra: str) -> tuple[subprocess.Popen, int]:
    """seslog with stderr on a pseudo-terminal, so that it shows progress as it would to a person; ``extra``: more
    environment variables (TMPDIR=...)."""
    leader, follower = pty.openpty()
    environ = {**os.environ, "COLUMNS": "100", **extra}
    environ.pop("PYTEST_CURRENT_TEST", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "seslog", *arguments], cwd=ROOT, stdout=subprocess.PIPE, stderr=follower, env=environ
    )
    os.close(follower)
    return process, leader


def read_until(leader: int, pattern: bytes, process: subprocess.Popen, seconds: float = 60) -> bytes:
    """What the process wrote to the terminal up to ``pattern`` (and perhaps a little after); it fails when the
    process ended, and the terminal holds nothing more, before writing it."""
    seen = b""
    deadline = time.monotonic() + seconds
    while pattern not in seen:
        assert time.monotonic() < deadline, seen.decode(errors="replace")
        if select.select([leader], [], [], 0.1)[0]:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO on Linux once every process holding the terminal has closed it
                chunk = b""
            assert chunk, f"ended before {pattern!r}: {seen.decode(errors='replace')}"
            seen += chunk
        else:
            assert process.poll() is None, f"ended before {pattern!r}: {seen.decode(errors='replace')}"
    return seen


def read_to_the_end(leader: int, process: subprocess.Popen, seconds: float = 30) -> tuple[int, str]:
    """The exit code and the rest of what the process wrote to the terminal. The terminal is read
    while waiting, as a real one is: a full pseudo-terminal would block the progress display's
    next write, and the process with it."""
    rest = b""
    deadline = time.monotonic() + seconds
    while True:  # until every process holding the terminal has closed it (EOF, or EIO on Linux)
        assert time.monotonic() < deadline, f"still running after {seconds} s: {rest.decode(errors='replace')[-500:]}"
        if select.select([leader], [], [], 0.1)[0]:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            rest += chunk
    assert process.wait(timeout=max(deadline - time.monotonic(), 1)) is not None
    return process.wait(), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", rest.decode(errors="replace"))


def test_ctrl_c_during_a_local_query_is_one_line_and_exit_130(tmp_path):
    write_layout(
        generate(load_samples(), seed=2, start=START, days=2, messages=6000, recipients=50),
        tmp_path,
        format="json",
        partitioning="none",
    )
    process, leader = seslog_on_a_terminal(
        "why", "user0001@example.net", "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(tmp_path)
    )
    read_until(leader, b"DuckDB: reading", process)
    process.send_signal(signal.SIGINT)
    code, rest = read_to_the_end(leader, process)
    assert code == 130, rest
    assert "seslog: interrupted" in rest and "Traceback" not in rest and "RuntimeError" not in rest
    assert process.stdout.read() == b""


def test_ctrl_c_during_demo_data_leaves_nothing_half_written(tmp_path):
    target = tmp_path / "demo"
    process, leader = seslog_on_a_terminal(
        "demo-data", str(target), "--messages", "300000", "--format", "json", "--partitioning", "date"
    )
    read_until(leader, b"writing the demo data", process)
    assert any(target.glob(".seslog-demo-partial-*/events/*"))
    process.send_signal(signal.SIGINT)
    code, rest = read_to_the_end(leader, process)
    assert code == 130, rest
    assert "seslog: interrupted" in rest and "Traceback" not in rest
    assert list(target.iterdir()) == []
