"""The `seslog` command line: cost, output, and errors as one line without a traceback (the query commands: test_seslog_query.py)."""

from __future__ import annotations

import argparse
import errno
import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from seslog import cli
from seslog.arguments import add_time_range_arguments, message_id, time_range
from seslog.eventlog.costs import MB, PRICES, Usage, monthly_cost
from seslog.output import print_table

ROOT = Path(__file__).resolve().parents[1]


def test_cost_prints_the_breakdown_with_the_price_table_date(capsys):
    assert (
        cli.main(
            [
                "cost",
                "--emails-per-day",
                "250000",
                "--format",
                "parquet",
                "--partitioning",
                "event-type",
                "--retention-days",
                "400",
                "--queries-per-month",
                "300",
                "--bytes-per-query",
                "256MB",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    expected = monthly_cost(
        Usage(
            emails_per_day=250_000,
            format="parquet",
            partitioning="event-type",
            retention_days=400,
            queries_per_month=300,
            bytes_scanned_per_query=256 * MB,
        )
    )
    assert out[0] == (
        "Monthly cost for 250,000 emails a day with 3 events each, parquet objects, event-type partitioning, "
        "400 days kept, 300 Athena queries a month of 256.0 MiB each, with the hourly compaction:"
    )
    assert out[1].split() == ["ITEM", "USD"]
    rows = len(expected.rows())
    assert [line.rsplit(None, 1) for line in out[2 : 2 + rows]] == [[item, f"{value:,.2f}"] for item, value in expected.rows()]
    assert expected.compaction > 0 and expected.compaction_storage > 0 and expected.compaction_requests > 0
    assert out[2 + rows] == f"Prices as of {PRICES.as_of}: {PRICES.source}."


def test_cost_without_compaction_leaves_the_job_out(capsys):
    assert cli.main(["cost", "--emails-per-day", "1000000", "--no-compaction"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(", without the hourly compaction:")
    without = monthly_cost(Usage(emails_per_day=1_000_000, compaction=False))
    assert (without.compaction, without.compaction_storage, without.compaction_requests) == (0, 0, 0)
    assert without.total < monthly_cost(Usage(emails_per_day=1_000_000)).total


def test_cost_defaults_are_the_cost_model_defaults(capsys):
    assert cli.main(["cost", "--emails-per-day", "1000"]) == 0
    total = capsys.readouterr().out.splitlines()[1 + len(monthly_cost(Usage(emails_per_day=1000)).rows())]
    assert total.rsplit(None, 1) == ["Total", f"{monthly_cost(Usage(emails_per_day=1000)).total:,.2f}"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--emails-per-day", "1e300"], "'1e300' is out of range: use 0.01 to 1,000,000,000 emails a day"),
        (["--emails-per-day", "0.001"], "'0.001' is out of range: use 0.01 to 1,000,000,000 emails a day"),
        (["--emails-per-day", "5", "--retention-days", "99999999999999999999"], "out of range: use 1 to 3,660 days"),
        (["--emails-per-day", "5", "--events-per-email", "1e10"], "out of range: use 1 to 1,000 events an email"),
        (["--emails-per-day", "5", "--queries-per-month", "1e400"], "'1e400' is out of range: use 0 to 10,000,000 queries"),
        (["--emails-per-day", "5", "--queries-per-month", "nan"], "'nan' is not a number"),
        (["--emails-per-day", "5", "--bytes-per-query", "9" * 400 + "TB"], "is out of range: use 0 to 1024TB"),
    ],
)
def test_cost_refuses_absurd_magnitudes_saying_the_bounds(capsys, argv, message):
    assert cli.main(["cost", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_cost_says_fractional_volumes_and_no_queries_as_given(capsys):
    assert cli.main(["cost", "--emails-per-day", "0.5", "--events-per-email", "2.25", "--queries-per-month", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Monthly cost for 0.5 emails a day with 2.25 events each, ") and "0 Athena queries" in out
    assert "inf" not in out and "nan" not in out


def test_cost_cites_the_public_pricing_pages():
    assert "AWS_FACTS" not in PRICES.source and "../" not in PRICES.source
    for page in ("firehose", "s3", "athena"):
        assert f"https://aws.amazon.com/{page}/pricing/" in PRICES.source


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cost"], "the following arguments are required: --emails-per-day"),
        (["cost", "--emails-per-day", "-5"], "argument --emails-per-day: '-5' must be a positive number"),
        (["cost", "--emails-per-day", "5", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["cost", "--emails-per-day", "5", "--bytes-per-query", "10XB"], "argument --bytes-per-query: '10XB' is not a size"),
        (
            ["cost", "--emails-per-day", "5", "--retention-days", "0"],
            "argument --retention-days: '0' must be a whole number of at least 1",
        ),
        (["nonsense"], "argument COMMAND: invalid choice: 'nonsense'"),
        # A typo of an address is not taken for a message ID (and searched for 30 days).
        (
            ["why", "user0009.example.jp"],
            "argument ADDRESS|MESSAGE_ID: 'user0009.example.jp' is neither an email address (name@example.com) nor an SES message ID",
        ),
        (["message", "0100-abc"], "argument MESSAGE_ID: '0100-abc' is not an SES message ID"),
        # A pasted zero-width space would find nothing, with no hint why.
        (["find", "--to", "taro\u200b@example.jp"], "holds an invisible character (ZERO WIDTH SPACE, U+200B) at position 5"),
        # An empty path is not "here", nor "no --local" (which would query the stack's Athena, billed).
        (["why", "taro@example.jp", "--local", ""], "argument --local: an empty path is not a directory"),
        (["demo-data", ""], "argument DIR: an empty path is not a directory"),
        (["download", " "], "argument DIR: an empty path is not a directory"),
        # Checked before a timedelta is made of it, which would overflow.
        (["find", "--to", "taro@example.jp", "--since", "99999999999d"], "argument --since: '99999999999d' reaches back more"),
        (["stats", "--since", "99999999999h"], "argument --since: '99999999999h' reaches back more"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.endswith("--help)\n"), err


def run_module(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "seslog", *argv], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )


def test_python_dash_m_seslog_without_credentials_fails_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    done = run_module(
        "download",
        "--since",
        "2d",
        "--bucket",
        "b",
        "--partitioning",
        "date",
        "--region",
        "us-east-1",
        str(tmp_path / "d"),
        env=env,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "seslog: no AWS credentials found: set AWS_PROFILE (after `aws sso login` if needed) "
        "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
    )
    assert "Traceback" not in done.stderr + done.stdout


def test_python_dash_m_seslog_help_and_usage():
    assert run_module("--help").returncode == 0
    done = run_module()
    assert done.returncode == 2
    assert done.stderr == "seslog: error: the following arguments are required: COMMAND (see seslog --help)\n"


@pytest.mark.parametrize("argv", [["cost", "--emails-per-day", "1000"], ["--help"], ["cost", "--help"]])
def test_a_full_disk_is_one_line_saying_the_output_failed(argv):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "seslog", *argv],
            check=False,
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert (done.returncode, done.stderr) == (1, "seslog: writing the output failed: No space left on device (ENOSPC)\n")


class Full(io.StringIO):
    """stdout on a full disk, failing at the first write rather than when the buffer is flushed."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_write_failing_midway_is_the_output_failing_not_a_bug(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", Full())
    assert cli.main(["cost", "--emails-per-day", "1000"]) == 1
    assert capsys.readouterr().err == "seslog: writing the output failed: No space left on device (ENOSPC)\n"


def test_a_message_id_is_taken_in_any_case_as_ses_writes_it():
    real = "0100018F40071D2E-C6E8799C-7ADC-487A-8358-88C70DDB3EBD-000000"
    assert message_id(real) == real.lower() == message_id(f"<{real}@email.amazonses.com>")
    example = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"  # the AWS guide's, kept as it is
    assert message_id(example) == example


def test_table_aligns_wide_characters():
    out = io.StringIO()
    print_table(
        ["subject", "opens"],
        [{"subject": "ご注文の確認", "opens": 2}, {"subject": "Receipt", "opens": None}],
        out,
        right=["opens"],
    )
    assert out.getvalue().splitlines() == [
        "SUBJECT       OPENS",
        "ご注文の確認      2",
        "Receipt",
    ]


def test_from_without_until_runs_to_today():
    parser = argparse.ArgumentParser()
    add_time_range_arguments(parser, default_since="7d")
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    assert time_range(parser.parse_args(["--from", "2026-11-23"]), now).days() == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
    ]
    assert time_range(parser.parse_args([]), now).first_day == date(2026, 11, 18)


def test_demo_data_refuses_a_range_past_the_last_day_seslog_reads(tmp_path, capsys):
    target = tmp_path / "demo"
    assert cli.main(["demo-data", str(target), "--start", "2999-12-30", "--days", "5"]) == 2
    assert capsys.readouterr().err == (
        "seslog: --start 2999-12-30 with --days 5 ends on 3000-01-03, after 2999-12-31, the last day seslog reads: "
        "start by 2999-12-27, or write at most 2 days\n"
    )
    assert not target.exists()


def test_demo_data_at_the_last_days_suggests_a_command_seslog_takes(tmp_path, capsys):
    target = tmp_path / "demo"
    argv = ["demo-data", str(target), "--start", "2999-12-27", "--days", "5", "--messages", "20", "--recipients", "5"]
    assert cli.main(argv) == 0
    suggested = capsys.readouterr().out.rsplit("try: seslog ", 1)[1].split()
    assert suggested[-2:] == ["--until", "2999-12-31"]
    assert cli.main(suggested) == 0
