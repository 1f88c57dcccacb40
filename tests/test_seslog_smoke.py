"""`seslog smoke-test` against moto: SES v2 sends for real (in moto), the test plays Firehose and writes the events."""

from __future__ import annotations

import copy
import gzip
import io
import json
import re
import uuid
from datetime import UTC, datetime

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from seslog.cli import main
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.partitioning import SCHEMES
from seslog.smoke import SCENARIOS, TAG_NAME, run_smoke_test
from seslog.target import StackTarget

BUCKET = "ses-event-log-dev-123"
SENDER = "noreply@example.jp"
CONFIGURATION_SET = "ses-event-log-dev"


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SESLOG_SENDER", raising=False)
    with mock_aws():
        ses = boto3.client("sesv2", region_name="us-east-1")
        ses.create_email_identity(EmailIdentity=SENDER)
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield ses, s3


class Sent:
    """Records what the code under test sent, through botocore's event hooks on the real client."""

    def __init__(self, ses) -> None:
        self.requests: list[dict] = []
        self.ids: dict[str, str] = {}
        ses.meta.events.register("provide-client-params.sesv2.SendEmail", self._request)
        ses.meta.events.register("after-call.sesv2.SendEmail", self._response)

    def _request(self, params, **_):
        self.requests.append(copy.deepcopy(params))

    def _response(self, parsed, **_):
        mailbox = self.requests[len(self.ids)]["Destination"]["ToAddresses"][0].split("@")[0]
        self.ids[mailbox] = parsed["MessageId"]


def record(samples: dict, event: str, message_id: str, **detail) -> dict:
    r = copy.deepcopy(samples[event])
    r["mail"]["messageId"] = message_id
    for key, value in detail.items():
        r[key.split(".")[0]][key.split(".")[1]] = value
    return r


class Firehose:
    """Writes records to the moto bucket the way the stream does: key from the scheme, body in the format."""

    def __init__(self, s3, format: str = "json", partitioning: str = "date"):
        self.s3, self.format, self.scheme = s3, format, SCHEMES[partitioning]

    def deliver(self, records: list[dict], event_type: str = "SEND") -> None:
        arrival = datetime.now(UTC)
        fmt = FORMATS[self.format]
        compression = fmt.default_compression
        key = (
            self.scheme.render_prefix(arrival, {"event_type": event_type})
            + f"ses-event-log-dev-1-{arrival:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}{fmt.file_extension(compression)}"
        )
        if fmt.name == "json":
            body = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in records))
        else:
            # Converted objects carry the Glue table's lower-case column and field names.
            sink = io.BytesIO()
            pq.write_table(pa.Table.from_pylist([lowercase(r) for r in records]), sink)
            body = sink.getvalue()
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def lowercase(value):
    if isinstance(value, dict):
        # Send's empty detail has no column in the Glue table (seslog.eventlog.schema), so none in the object.
        return {k.lower(): lowercase(v) for k, v in value.items() if v != {}}
    if isinstance(value, list):
        return [lowercase(v) for v in value]
    return value


def table(out: str) -> dict[str, dict[str, str]]:
    """The pass/fail table printed by the command, by address."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ADDRESS"))
    header = [h.lower() for h in re.split(r"\s{2,}", lines[start])]
    rows = [dict(zip(header, re.split(r"\s{2,}", line))) for line in lines[start + 1 : start + 1 + len(SCENARIOS)]]
    return {row["address"]: row for row in rows}


class FakeTime:
    def __init__(self, on_sleep):
        self.now, self.sleeps, self.on_sleep = 0.0, [], on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.on_sleep(len(self.sleeps))


def run(ses, s3, partitioning: str, on_sleep, timeout: float = 600, err=None):
    fake = FakeTime(on_sleep)
    out = io.StringIO()
    target = StackTarget(bucket=BUCKET, configuration_set=CONFIGURATION_SET, partitioning=partitioning)
    code = run_smoke_test(
        ses=ses,
        s3=s3,
        target=target,
        sender=SENDER,
        timeout=timeout,
        out=out,
        err=err or io.StringIO(),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    return code, out.getvalue(), fake


def test_every_expected_event_arrives(aws, sample_records):
    ses, s3 = aws
    sent = Sent(ses)
    firehose = Firehose(s3)

    def deliver(call: int) -> None:
        ids = sent.ids
        if call == 1:
            firehose.deliver(
                [record(sample_records, "Send", i) for i in ids.values()] + [record(sample_records, "Delivery", ids["success"])]
            )
        if call == 2:
            firehose.deliver(
                [
                    record(
                        sample_records,
                        "Bounce",
                        ids["bounce"],
                        **{"bounce.bounceType": "Permanent", "bounce.bounceSubType": "General"},
                    ),
                    record(sample_records, "Delivery", ids["complaint"]),
                    record(sample_records, "Complaint", ids["complaint"]),
                    record(
                        sample_records,
                        "Bounce",
                        ids["suppressionlist"],
                        **{"bounce.bounceType": "Permanent", "bounce.bounceSubType": "Suppressed"},
                    ),
                ]
            )

    code, out, fake = run(ses, s3, "date", deliver)

    assert code == 0
    assert fake.sleeps == [15, 15]
    assert [r["Destination"]["ToAddresses"] for r in sent.requests] == [[s.address] for s in SCENARIOS]
    run_id = sent.requests[0]["EmailTags"][0]["Value"]
    for request in sent.requests:
        assert request["FromEmailAddress"] == SENDER
        assert request["ConfigurationSetName"] == CONFIGURATION_SET
        assert request["EmailTags"] == [{"Name": TAG_NAME, "Value": run_id}]
    lines = out.splitlines()
    assert lines[0] == f"sent 4 messages from {SENDER} through configuration set {CONFIGURATION_SET} (run {run_id})"
    rows = table(out)
    assert rows == {
        s.address: {"address": s.address, "message_id": sent.ids[s.mailbox], "expected": expected, "seen": seen, "result": "PASS"}
        for s, expected, seen in zip(
            SCENARIOS,
            ["Send, Delivery", "Send, Bounce (Permanent)", "Send, Delivery, Complaint", "Send, Bounce (Permanent)"],
            [
                "Send, Delivery",
                "Send, Bounce (Permanent/General)",
                "Send, Delivery, Complaint",
                "Send, Bounce (Permanent/Suppressed)",
            ],
        )
    }
    assert lines[-1] == f"PASS: all 4 scenarios logged in s3://{BUCKET}/events/ after 30 s"


def test_parquet_objects_in_event_type_partitions(aws, sample_records):
    ses, s3 = aws
    sent = Sent(ses)
    firehose = Firehose(s3, format="parquet", partitioning="event-type")

    def deliver(call: int) -> None:
        ids = sent.ids
        firehose.deliver([record(sample_records, "Send", i) for i in ids.values()], "SEND")
        firehose.deliver([record(sample_records, "Delivery", ids[m]) for m in ("success", "complaint")], "DELIVERY")
        firehose.deliver([record(sample_records, "Complaint", ids["complaint"])], "COMPLAINT")
        firehose.deliver(
            [
                record(sample_records, "Bounce", ids[m], **{"bounce.bounceType": "Permanent"})
                for m in ("bounce", "suppressionlist")
            ],
            "BOUNCE",
        )

    code, out, _ = run(ses, s3, "event-type", deliver)
    assert code == 0, out
    assert {a: (r["seen"], r["result"]) for a, r in table(out).items()} == {
        "success@simulator.amazonses.com": ("Send, Delivery", "PASS"),
        "bounce@simulator.amazonses.com": ("Send, Bounce (Permanent/General)", "PASS"),
        "complaint@simulator.amazonses.com": ("Send, Delivery, Complaint", "PASS"),
        "suppressionlist@simulator.amazonses.com": ("Send, Bounce (Permanent/General)", "PASS"),
    }


def test_missing_events_fail_at_the_timeout(aws, sample_records):
    ses, s3 = aws
    sent = Sent(ses)
    firehose = Firehose(s3)
    err = io.StringIO()

    def deliver(call: int) -> None:
        ids = sent.ids
        if call == 1:
            firehose.deliver(
                [record(sample_records, "Send", ids[m]) for m in ("success", "bounce", "complaint")]
                + [record(sample_records, "Delivery", ids[m]) for m in ("success", "complaint")]
                # A soft bounce is not what bounce@ must produce.
                + [
                    record(
                        sample_records,
                        "Bounce",
                        ids["bounce"],
                        **{"bounce.bounceType": "Transient", "bounce.bounceSubType": "General"},
                    )
                ]
            )
            s3.put_object(Bucket=BUCKET, Key="errors/format-conversion-failed/dt=2026-11-24/x", Body=b"{}")
            s3.put_object(Bucket=BUCKET, Key=f"events/dt={datetime.now(UTC):%Y-%m-%d}/corrupt.json.gz", Body=b"not gzip")

    code, out, fake = run(ses, s3, "date", deliver, timeout=60, err=err)

    assert code == 1
    assert fake.sleeps == [15, 15, 15, 15]
    assert {a: (r["seen"], r["result"]) for a, r in table(out).items()} == {
        "success@simulator.amazonses.com": ("Send, Delivery", "PASS"),
        "bounce@simulator.amazonses.com": ("Send, Bounce (Transient/General)", "FAIL"),
        "complaint@simulator.amazonses.com": ("Send, Delivery", "FAIL"),
        "suppressionlist@simulator.amazonses.com": ("nothing yet", "FAIL"),
    }
    assert "FAIL: 1/4 scenarios complete after 60 s (timeout 60 s)" in out
    assert f"1 object under s3://{BUCKET}/errors/ since the start: Firehose could not convert" in out
    assert "seslog: skipped an object: events/dt=" in err.getvalue() and "cannot read it as json (GZIP)" in err.getvalue()


def test_cli_times_out_with_exit_code_1(aws, capsys):
    code = main(
        [
            "smoke-test",
            "--from",
            SENDER,
            "--timeout",
            "0.01",
            "--bucket",
            BUCKET,
            "--configuration-set",
            CONFIGURATION_SET,
            "--partitioning",
            "date",
            "--region",
            "us-east-1",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert {r["seen"] + " " + r["result"] for r in table(captured.out).values()} == {"nothing yet FAIL"}
    assert "FAIL: 0/4 scenarios complete after 0 s (timeout 0.01 s)" in captured.out
    assert captured.err == ""


def test_unverified_sender_is_one_line(aws, capsys):
    code = main(
        [
            "smoke-test",
            "--from",
            "someone@example.com",
            "--bucket",
            BUCKET,
            "--configuration-set",
            CONFIGURATION_SET,
            "--partitioning",
            "date",
            "--region",
            "us-east-1",
        ]
    )
    assert code == 1
    assert capsys.readouterr().err == (
        "seslog: SES rejected the message from someone@example.com: Email address not verified someone@example.com "
        "(the sender must be a verified identity in this region)\n"
    )


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        ([], {}, "seslog: smoke-test needs a verified SES sender identity: pass --from ADDRESS or set SESLOG_SENDER\n"),
        (
            ["--from", "not-an-address"],
            {},
            "seslog: sender 'not-an-address' is not an email address (expected name@example.com)\n",
        ),
        ([], {"SESLOG_SENDER": "a@b"}, "seslog: sender 'a@b' is not an email address (expected name@example.com)\n"),
    ],
)
def test_sender_is_required_and_checked(aws, capsys, monkeypatch, argv, environ, message):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert main(["smoke-test", *argv, "--bucket", BUCKET]) == 2
    assert capsys.readouterr().err == message
