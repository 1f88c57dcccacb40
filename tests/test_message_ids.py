"""The send time in an SES message ID, and the window `seslog message ID` and `seslog why ID` read
when no dates are given: real-shaped IDs of known time decode to it, other shapes do not, and
the window is the send day's partitions under each scheme."""

from __future__ import annotations

import argparse
import io
import json
import types
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from seslog import athena as athena_module
from seslog import cli
from seslog.arguments import TimeRange
from seslog.cli import main
from seslog.eventlog.generator import all_samples, generate
from seslog.eventlog.local import LocalEvents
from seslog.eventlog.message_ids import ATHENA_SEND_TIME, decode
from seslog.eventlog.partitioning import SCHEMES
from seslog.eventlog.queries import LOOKAHEAD_DAYS, QUERIES
from seslog.target import StackTarget
from seslog.window import message_range, message_window

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
PUBLIC_BOUNCE = "0100017f5acb66f1-e509f90c-9c19-4dd6-ae93-bb7a0f7ea93c-000000"
"""A public Bounce record's messageId; its mail.timestamp is 2022-03-05T15:55:53.969Z."""
FALLBACK = TimeRange(NOW - timedelta(days=30), NOW)


def test_the_public_bounce_id_decodes_to_its_mail_timestamp_to_the_millisecond():
    decoded = decode(PUBLIC_BOUNCE, NOW)
    assert decoded.sent_at == datetime(2022, 3, 5, 15, 55, 53, 969000, tzinfo=UTC)
    assert "2022-03-05T15:55:53.969Z" in decoded.reason
    assert decoded.days() == (date(2022, 3, 5), date(2022, 3, 5))


@pytest.mark.parametrize("prefix", ["0100", "0101", "0102", "0106", "0107", "010d"])
def test_every_regional_prefix_decodes_and_case_does_not_matter(prefix):
    message_id = prefix + PUBLIC_BOUNCE[4:]
    assert decode(message_id, NOW).sent_at == decode(PUBLIC_BOUNCE, NOW).sent_at
    assert decode(message_id.upper(), NOW).sent_at == decode(PUBLIC_BOUNCE, NOW).sent_at


def test_every_generated_id_decodes_to_its_mail_timestamp(sample_records):
    samples = all_samples({r["eventType"]: r for r in sample_records.values()})
    records = [
        r for _, r in generate(samples, seed=3, start=datetime(2024, 5, 1, tzinfo=UTC), days=2, messages=200, recipients=50)
    ]
    for record in records:
        decoded = decode(record["mail"]["messageId"], NOW)
        assert decoded.sent_at is not None
        assert decoded.sent_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z" == record["mail"]["timestamp"]


@pytest.mark.parametrize(
    ("message_id", "why"),
    [
        ("EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000", "not 16 hex characters"),  # the AWS guide's examples
        ("00000000000000000-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000", "not 16 hex characters"),  # 17 hex characters
        ("0100017f5acb66f1-e509f90c-9c19-4dd6-ae93-bb7a0f7ea93c", "not 16 hex characters"),  # no -000000
        ("e509f90c-9c19-4dd6-ae93-bb7a0f7ea93c", "not 16 hex characters"),  # a bare UUID
        ("0100-abc", "not 16 hex characters"),
        ("0100000000000001-e509f90c-9c19-4dd6-ae93-bb7a0f7ea93c-000000", "before SES existed"),  # 1970
        ("0100ffffffffffff-e509f90c-9c19-4dd6-ae93-bb7a0f7ea93c-000000", "in the future"),  # year 10889
    ],
)
def test_ids_of_other_shapes_or_implausible_times_are_not_decoded(message_id, why):
    decoded = decode(message_id, NOW)
    assert decoded.sent_at is None and why in decoded.reason


def test_the_aws_guide_sample_records_carry_no_decodable_id(sample_records):
    ids = {r["mail"]["messageId"] for r in sample_records.values()}
    assert ids and all(decode(i, NOW).sent_at is None for i in ids)


def test_a_time_within_a_second_of_midnight_takes_both_days():
    # One published Rendering Failure's ID is 147 ms earlier than its mail.timestamp.
    before = f"0100{int(datetime(2024, 5, 3, 23, 59, 59, 900000, tzinfo=UTC).timestamp() * 1000):012x}" + PUBLIC_BOUNCE[16:]
    after = f"0100{int(datetime(2024, 5, 4, 0, 0, 0, 500000, tzinfo=UTC).timestamp() * 1000):012x}" + PUBLIC_BOUNCE[16:]
    assert decode(before, NOW).days() == (date(2024, 5, 3), date(2024, 5, 4))
    assert decode(after, NOW).days() == (date(2024, 5, 3), date(2024, 5, 4))


def test_the_athena_description_computes_the_same_time_as_the_decoder():
    # Trino's substr is 1-based: characters 5 to 16 are the milliseconds.
    assert "substr('<message ID>', 5, 12), 16) / 1e3" in ATHENA_SEND_TIME
    assert int(PUBLIC_BOUNCE[4:16], 16) / 1e3 == decode(PUBLIC_BOUNCE, NOW).sent_at.timestamp()
    for name in ("message-timeline", "message-events"):
        for scheme in SCHEMES:
            description = QUERIES[name].athena_description(scheme, "events")
            assert ATHENA_SEND_TIME in description and len(description) <= 1024
    assert "up to 90 days after sending" in QUERIES["message-timeline"].athena_description("send-date", "events")
    assert f"to {LOOKAHEAD_DAYS + 1} days after" in QUERIES["message-timeline"].athena_description("date", "events")
    assert ATHENA_SEND_TIME not in QUERIES["recipient-messages"].athena_description("date", "events")


@pytest.mark.parametrize(
    ("scheme", "reads"),
    [
        (
            "send-date",
            "the send days' partitions sent=2022-03-05, which hold every event of a message up to the stack's retentionDays after sending",
        ),
        ("date", "the arrival days dt=2022-03-04 to 2022-03-09 from the day before sending to 4 days after"),
        ("hour", "the arrival days dt=2022-03-04 to 2022-03-09"),
        ("event-type", "the arrival days dt=2022-03-04 to 2022-03-09"),
        ("none", "every object: none partitioning has no partitions to narrow the read"),
    ],
)
def test_the_window_is_the_send_day_and_says_what_each_scheme_reads_of_it(scheme, reads):
    span, line = message_window(PUBLIC_BOUNCE, SCHEMES[scheme], NOW, FALLBACK)
    assert (span.first_day, span.last_day) == (date(2022, 3, 5), date(2022, 3, 5))
    assert line.startswith(
        "seslog: reading messages sent 2022-03-05 (UTC), from the send time in the message ID, 2022-03-05T15:55:53.969Z: "
    )
    assert reads in line and line.count("\n") == 1 and line.endswith("\n")


def test_an_id_without_a_send_time_falls_back_and_says_why():
    span, line = message_window("EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000", SCHEMES["date"], NOW, FALLBACK)
    assert span == FALLBACK
    assert line == (
        f"seslog: reading {FALLBACK.describe()}, the default range: the ID is not 16 hex characters, a UUID and -000000, "
        "so it carries no send time seslog can read\n"
    )


def _args(**given) -> argparse.Namespace:
    return argparse.Namespace(**{"since": None, "from_day": None, "until_day": None, "default_since": "30d", **given})


def test_dates_on_the_command_line_win_and_print_no_window():
    err = io.StringIO()
    span = message_range(
        _args(from_day=date(2024, 5, 1), until_day=date(2024, 5, 2)),
        PUBLIC_BOUNCE,
        StackTarget(partitioning="send-date"),
        err,
        NOW,
    )
    assert (span.first_day, span.last_day, err.getvalue()) == (date(2024, 5, 1), date(2024, 5, 2), "")
    span = message_range(_args(since=timedelta(days=2)), PUBLIC_BOUNCE, StackTarget(partitioning="send-date"), err, NOW)
    assert (span.first_day, err.getvalue()) == (date(2026, 11, 29), "")
    span = message_range(_args(), PUBLIC_BOUNCE, StackTarget(partitioning="send-date"), err, NOW)
    assert span.first_day == date(2022, 3, 5) and "sent=2022-03-05" in err.getvalue()


# --- the commands, on a local copy and on the stack's Athena ----------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Two days of demo data in the send-date scheme, and a message with an Open."""
    root = tmp_path_factory.mktemp("send-date-demo")
    assert (
        main(
            [
                "demo-data",
                str(root),
                "--start",
                "2024-05-01",
                "--days",
                "2",
                "--messages",
                "60",
                "--partitioning",
                "send-date",
                "--format",
                "json",
            ]
        )
        == 0
    )
    local = LocalEvents(root)
    message = local.sql("SELECT mail.messageid FROM events WHERE eventtype = 'Open' ORDER BY 1 LIMIT 1").rows[0][0]
    return root, message


@pytest.mark.parametrize("command", ["message", "why"])
def test_without_dates_the_commands_read_the_send_day_and_say_so(capsys, demo, command):
    root, message = demo
    sent = decode(message, NOW).sent_at.date().isoformat()
    assert main([command, message, "--local", str(root), "--json"]) == 0
    without = capsys.readouterr()
    window = without.err.splitlines()[0]
    assert window.startswith(f"seslog: reading messages sent {sent} (UTC), from the send time in the message ID, {sent}T")
    assert window.endswith(
        f"sent={sent}, which hold every event of a message up to the stack's retentionDays after sending, whenever it arrived"
    )
    assert json.loads(without.out)["from"] == json.loads(without.out)["until"] == sent
    assert main([command, message, "--local", str(root), "--json", "--from", "2024-05-01", "--until", "2024-05-02"]) == 0
    given = capsys.readouterr()
    assert "seslog: reading" not in given.err
    # The same events, whether the days come from the ID or the command line.
    events = "events" if command == "message" else "verdicts"
    assert json.loads(given.out)[events] == json.loads(without.out)[events]


def test_on_athena_the_query_is_asked_for_the_send_day_in_the_id(capsys, monkeypatch):
    client = boto3.client("athena", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    monkeypatch.setattr(athena_module, "time", types.SimpleNamespace(monotonic=lambda: 0.0, sleep=lambda seconds: None))
    monkeypatch.setattr(cli, "client", lambda service, region: client)
    for name, value in {
        "WORKGROUP": "wg",
        "DATABASE": "db",
        "TABLE": "events",
        "PARTITIONING": "send-date",
        "REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(f"SESLOG_{name}", value)
    rendered = QUERIES["message-timeline"].render("send-date", "events")
    day = "'2022-03-05'"
    status = {
        "QueryExecution": {
            "QueryExecutionId": "q",
            "StatementType": "DML",
            "Status": {"State": "SUCCEEDED"},
            "Statistics": {"DataScannedInBytes": 0},
        }
    }
    with Stubber(client) as stubber:
        stubber.add_response(
            "start_query_execution",
            {"QueryExecutionId": "q"},
            {
                "QueryString": rendered.sql,
                "WorkGroup": "wg",
                "QueryExecutionContext": {"Database": "db", "Catalog": "AwsDataCatalog"},
                "ExecutionParameters": [f"'{PUBLIC_BOUNCE}'", day, day, day, day, day],
            },
        )
        stubber.add_response("get_query_execution", status, {"QueryExecutionId": "q"})
        stubber.add_response(
            "get_query_results",
            {
                "ResultSet": {
                    "Rows": [{"Data": [{"VarCharValue": "event_time"}]}],
                    "ResultSetMetadata": {"ColumnInfo": [{"Name": "event_time", "Type": "varchar"}]},
                }
            },
            {"QueryExecutionId": "q"},
        )
        assert main(["message", PUBLIC_BOUNCE]) == 1
        stubber.assert_no_pending_responses()
    err = capsys.readouterr().err
    assert err.startswith(
        "seslog: reading messages sent 2022-03-05 (UTC), from the send time in the message ID, 2022-03-05T15:55:53.969Z: "
        "the send days' partitions sent=2022-03-05"
    )
    assert f"no events for message {PUBLIC_BOUNCE} sent between 2022-03-05 and 2022-03-05 (UTC)" in err
