"""`seslog download`: only the partitions in range are listed, objects land under their keys, reruns skip them."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from seslog import cli
from seslog.cli import main
from seslog.download import partition_prefixes
from seslog.eventlog.events import EVENT_TYPES
from seslog.eventlog.generator import generate, load_samples
from seslog.eventlog.layout import write_layout
from seslog.eventlog.local import LayoutError, LocalEvents
from seslog.eventlog.partitioning import SCHEMES, max_late_days
from seslog.eventlog.prefixes import FETCHED_DAYS
from seslog.progress import Progress

BUCKET = "ses-event-log-dev-123"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


DAYS = [date(2026, 11, 24), date(2026, 11, 25)]


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("none", ["events/2026/11/24/", "events/2026/11/25/"]),
        ("date", ["events/dt=2026-11-24/", "events/dt=2026-11-25/"]),
        # Hours are finer than a day: the whole day is listed.
        ("hour", ["events/dt=2026-11-24/", "events/dt=2026-11-25/"]),
    ],
)
def test_partition_prefixes(scheme, expected):
    assert partition_prefixes(SCHEMES[scheme], DAYS) == expected


def test_event_type_prefixes_cover_every_type_and_day():
    prefixes = partition_prefixes(SCHEMES["event-type"], DAYS)
    assert len(prefixes) == len(EVENT_TYPES) * len(DAYS)
    assert "events/event_type=RENDERING_FAILURE/dt=2026-11-25/" in prefixes


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_prefixes_match_what_firehose_writes(scheme):
    """Objects the stream writes on a day in range fall under a listed prefix; others do not."""
    prefixes = partition_prefixes(SCHEMES[scheme], DAYS)
    for event_type in EVENT_TYPES:
        for arrival, wanted in [
            (datetime(2026, 11, 24, 0, 0, 1, tzinfo=UTC), True),
            (datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC), True),
            (datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC), False),
            (datetime(2026, 11, 26, 0, 0, 0, tzinfo=UTC), False),
        ]:
            # Under send-date, an open of a mail sent weeks before the day it arrived.
            values = {"event_type": event_type.api_name, "sent": (arrival - timedelta(days=40)).date().isoformat()}
            key = SCHEMES[scheme].render_prefix(arrival, values) + "stream-1-2026-11-24-00-00-01-uuid.json.gz"
            assert any(key.startswith(p) for p in prefixes) == wanted, (scheme, key)


@pytest.fixture
def s3(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put(s3, key: str, body: bytes) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def download(tmp_path: Path, *extra: str, partitioning: str = "date") -> int:
    return main(
        [
            "download",
            "--from",
            "2026-11-24",
            "--until",
            "2026-11-25",
            "--bucket",
            BUCKET,
            "--partitioning",
            partitioning,
            "--region",
            "us-east-1",
            *extra,
            str(tmp_path / "dir"),
        ]
    )


def test_downloads_the_range_keeps_keys_and_skips_what_is_there(s3, tmp_path, capsys):
    inside = {
        "events/dt=2026-11-24/ses-1-2026-11-24-10-00-00-a.json.gz": b"a" * 10,
        "events/dt=2026-11-25/ses-1-2026-11-25-23-55-00-b.json.gz": b"b" * 20,
        "cognito/dt=2026-11-25/cognito-errors-1-2026-11-25-08-00-00-f.gz": b"f" * 5,
    }
    outside = {
        "cognito/dt=2026-11-23/cognito-errors-1-2026-11-23-08-00-00-g.gz": b"g",
        "events/dt=2026-11-23/ses-1-2026-11-23-10-00-00-c.json.gz": b"c",
        "events/dt=2026-11-26/ses-1-2026-11-26-00-00-00-d.json.gz": b"d",
        "errors/processing-failed/dt=2026-11-24/ses-1-2026-11-24-10-00-00-e": b"e",
        "athena-results/x.csv": b"x",
    }
    for key, body in {**inside, **outside}.items():
        put(s3, key, body)
    put(s3, "events/dt=2026-11-24/", b"")  # a folder marker, as the console creates

    assert download(tmp_path) == 0
    out = capsys.readouterr().out
    assert (
        out
        == f"downloaded 3 objects (35 B) from s3://{BUCKET}/ into {tmp_path / 'dir'}; 0 already present with the same size (0 B); 4 partition prefixes listed\n"
    )
    files = {str(p.relative_to(tmp_path / "dir")): p.read_bytes() for p in (tmp_path / "dir").rglob("*") if p.is_file()}
    assert files.pop(FETCHED_DAYS) == b'["2026-11-24", "2026-11-25"]\n'  # the days fetched, whatever they held
    assert files == inside

    assert download(tmp_path) == 0
    assert "downloaded 0 objects (0 B)" in capsys.readouterr().out

    # A file of another size (an object replaced, a partial copy) is fetched again.
    (tmp_path / "dir" / "events/dt=2026-11-25/ses-1-2026-11-25-23-55-00-b.json.gz").write_bytes(b"short")
    assert download(tmp_path) == 0
    assert "downloaded 1 object (20 B)" in capsys.readouterr().out
    assert (tmp_path / "dir" / "events/dt=2026-11-25/ses-1-2026-11-25-23-55-00-b.json.gz").read_bytes() == b"b" * 20


def test_event_type_layout(s3, tmp_path, capsys):
    put(s3, "events/event_type=BOUNCE/dt=2026-11-24/o1.parquet", b"p1")
    put(s3, "events/event_type=SEND/dt=2026-11-25/o2.parquet", b"p22")
    put(s3, "events/event_type=SEND/dt=2026-11-22/o3.parquet", b"p333")
    assert download(tmp_path, partitioning="event-type") == 0
    assert "downloaded 2 objects (5 B)" in capsys.readouterr().out
    assert sorted(str(p.relative_to(tmp_path / "dir")) for p in (tmp_path / "dir").rglob("*.parquet")) == [
        "events/event_type=BOUNCE/dt=2026-11-24/o1.parquet",
        "events/event_type=SEND/dt=2026-11-25/o2.parquet",
    ]


def test_a_key_that_would_escape_the_directory_is_refused(s3, tmp_path, capsys):
    put(s3, "events/dt=2026-11-24/../../../escaped.json.gz", b"x")
    assert download(tmp_path) == 0
    captured = capsys.readouterr()
    assert "refused 'events/dt=2026-11-24/../../../escaped.json.gz'" in captured.err
    assert not (tmp_path / "escaped.json.gz").exists()


def test_a_day_fetched_without_objects_is_held_by_the_copy_not_missing(s3, tmp_path, capsys):
    """A quiet day leaves no object: the copy records that download fetched it, so a local answer does not call it
    missing (and a day never fetched still is)."""
    send = load_samples()["Send"]
    put(s3, "events/dt=2026-11-24/ses-1-2026-11-24-10-00-00-a.json.gz", gzip.compress(json.dumps(send).encode() + b"\n"))
    assert download(tmp_path) == 0
    capsys.readouterr()
    held = LocalEvents(tmp_path / "dir")
    days = [date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)]
    assert held.missing_days(days) == [date(2026, 11, 26)]
    (tmp_path / "dir" / FETCHED_DAYS).write_text("nonsense", encoding="utf-8")
    with pytest.raises(LayoutError, match="is not a list of days"):
        LocalEvents(tmp_path / "dir")


def test_nothing_in_range(s3, tmp_path, capsys):
    assert download(tmp_path) == 0
    assert (
        capsys.readouterr().out
        == f"no objects arrived 2026-11-24 to 2026-11-25 (UTC) under s3://{BUCKET}/events/ (date partitioning)\n"
    )


def test_missing_bucket(s3, tmp_path, capsys):
    code = main(["download", "--since", "2d", "--bucket", "no-such-bucket", "--partitioning", "date", str(tmp_path / "d")])
    assert code == 1
    assert (
        capsys.readouterr().err
        == "seslog: bucket 'no-such-bucket' does not exist: check --bucket or SESLOG_BUCKET, and the region\n"
    )


def test_directory_that_is_a_file(s3, tmp_path, capsys):
    (tmp_path / "dir").write_text("not a directory")
    assert download(tmp_path) == 1
    assert capsys.readouterr().err == f"seslog: {tmp_path / 'dir'} exists and is not a directory\n"


def test_bad_ranges_exit_2_in_one_line(tmp_path, capsys):
    for argv, message in [
        (["--since", "2w"], "argument --since: '2w' is not a span: use a whole number of days or hours, e.g. 7d or 12h"),
        (["--from", "2026-02-30"], "argument --from: '2026-02-30' is not a date: day is out of range for month"),
        (["--from", "24/11/2026"], "argument --from: '24/11/2026' is not a date: use YYYY-MM-DD, e.g. 2026-11-24"),
        (["--from", "2026-11-25", "--until", "2026-11-24"], "--from 2026-11-25 is after --until 2026-11-24"),
        (["--until", "2026-11-24"], "--until needs --from"),
        (["--since", "2d", "--from", "2026-11-24"], "use either --since or --from/--until, not both"),
        (["--since", "100000d"], "argument --since: '100000d' reaches back more than 3660 days"),
    ]:
        assert main(["download", *argv, "--bucket", "b", "--partitioning", "date", str(tmp_path)]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, (argv, err)


def test_since_counts_back_from_now():
    from seslog.arguments import TimeRange, since

    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    span = TimeRange(now - since("2h"), now)
    assert span.days() == [date(2026, 11, 24), date(2026, 11, 25)]
    assert TimeRange(now - timedelta(minutes=30), now).days() == [date(2026, 11, 25)]


@pytest.mark.parametrize(
    ("operation", "code", "status", "message"),
    [
        ("list_objects_v2", "AccessDenied", 403, "seslog: access denied calling ListObjectsV2: Access Denied\n"),
        ("list_objects_v2", "SlowDown", 503, "seslog: AWS throttled ListObjectsV2 (SlowDown); wait a moment and try again\n"),
        (
            "head_object",
            "403",
            403,
            (
                "seslog: access denied reading s3://ses-event-log-dev-123/events/dt=2026-11-24/o.json.gz: "
                "reading the event objects needs s3:GetObject on the bucket and kms:Decrypt on the stack's KMS key, "
                "which encrypts them\n"
            ),
        ),
    ],
)
def test_s3_errors_are_one_line(monkeypatch, tmp_path, capsys, operation, code, status, message):
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    monkeypatch.setattr(cli, "client", lambda service, region: s3)
    with Stubber(s3) as stubber:
        if operation == "head_object":
            stubber.add_response(
                "list_objects_v2",
                {"Contents": [{"Key": "events/dt=2026-11-24/o.json.gz", "Size": 3}], "IsTruncated": False},
                {"Bucket": BUCKET, "Prefix": "events/dt=2026-11-24/"},
            )
            stubber.add_response("list_objects_v2", {"IsTruncated": False}, {"Bucket": BUCKET, "Prefix": "events/dt=2026-11-25/"})
            for day in ("2026-11-24", "2026-11-25"):  # Cognito's error log: none
                stubber.add_response(
                    "list_objects_v2", {"IsTruncated": False}, {"Bucket": BUCKET, "Prefix": f"cognito/dt={day}/"}
                )
        stubber.add_client_error(
            operation, code, "Access Denied" if status == 403 else "Please reduce your request rate.", http_status_code=status
        )
        assert download(tmp_path) == 1
    assert capsys.readouterr().err == message
    assert not list((tmp_path / "dir").rglob("*.part"))


def test_listing_follows_continuation_tokens():
    from seslog.download import list_objects

    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    prefix = "events/dt=2026-11-24/"
    with Stubber(s3) as stubber:
        stubber.add_response(
            "list_objects_v2",
            {"Contents": [{"Key": prefix + "a.json.gz", "Size": 1}], "IsTruncated": True, "NextContinuationToken": "next"},
            {"Bucket": BUCKET, "Prefix": prefix},
        )
        stubber.add_response(
            "list_objects_v2",
            {"Contents": [{"Key": prefix + "b.json.gz", "Size": 2}], "IsTruncated": False},
            {"Bucket": BUCKET, "Prefix": prefix, "ContinuationToken": "next"},
        )
        assert [o["Key"] for o in list_objects(s3, BUCKET, [prefix])] == [prefix + "a.json.gz", prefix + "b.json.gz"]


def test_send_date_prefixes_reach_back_as_far_as_a_late_event_can_be_filed():
    scheme = SCHEMES["send-date"]
    prefixes = partition_prefixes(scheme, DAYS)
    late = max_late_days()
    # Each arrival day with the send days that can be filed under it: itself and the ``late`` before.
    assert len(prefixes) == (late + 1) * len(DAYS)
    first_sent = min(DAYS) - timedelta(days=late)
    assert f"events/sent={first_sent}/dt={min(DAYS)}/" in prefixes
    assert f"events/sent={first_sent - timedelta(days=1)}/dt={min(DAYS)}/" not in prefixes
    assert f"events/sent={first_sent}/dt={max(DAYS)}/" not in prefixes  # more than ``late`` days before it
    assert f"events/sent={max(DAYS)}/dt={min(DAYS)}/" not in prefixes  # sent after it arrived
    # The smoke test's messages are sent within its days: their send days alone, never after their arrival.
    assert partition_prefixes(scheme, DAYS, sent_since=min(DAYS)) == [
        f"events/sent={s}/dt={d}/" for s in DAYS for d in DAYS if s <= d
    ]


def test_a_month_of_send_date_lists_only_the_prefixes_that_can_hold_objects():
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(30)]
    prefixes = partition_prefixes(SCHEMES["send-date"], days)
    late = max_late_days()
    assert len(prefixes) == 30 * (late + 1) < 30 * (late + 30)
    for prefix in prefixes:
        sent, arrived = (date.fromisoformat(part.split("=")[1]) for part in prefix.split("/")[1:3])
        assert sent <= arrived <= sent + timedelta(days=late), prefix


def test_every_send_date_object_the_stream_writes_is_under_a_listed_prefix(tmp_path):
    """Messages sent over 4 days, their events arriving over the days after (opens and clicks late, buffers open
    across midnight): each object lies under a prefix listed for its arrival day."""
    objects = write_layout(
        generate(load_samples(), seed=3, start=datetime(2026, 11, 20, tzinfo=UTC), days=4, messages=400, recipients=50),
        tmp_path,
        format="json",
        partitioning="send-date",
    )
    keys = [o.key for o in objects if not o.error]
    arrived = sorted({date.fromisoformat(key.split("/")[2].split("=")[1]) for key in keys})
    assert len(arrived) > 4
    for day in arrived:
        prefixes = partition_prefixes(SCHEMES["send-date"], [day])
        assert all(any(k.startswith(p) for p in prefixes) for k in keys if f"/dt={day}/" in k)


def test_listing_shows_its_progress_on_a_terminal():
    from seslog.download import list_objects

    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    prefixes = partition_prefixes(SCHEMES["date"], DAYS)
    stream = Tty()
    with Stubber(s3) as stubber:
        for prefix in prefixes:
            stubber.add_response(
                "list_objects_v2",
                {"Contents": [{"Key": prefix + "a.json.gz", "Size": 1}], "IsTruncated": False},
                {"Bucket": BUCKET, "Prefix": prefix},
            )
        assert len(list_objects(s3, BUCKET, prefixes, Progress(stream))) == 2
    assert "listing 1 of 2 prefixes: 1 objects" in stream.getvalue()


def test_a_key_that_is_also_the_folder_of_another_is_skipped_and_the_rest_downloaded(s3, tmp_path, capsys):
    day = "events/dt=2026-11-24/"
    put(s3, day + "o.json.gz", b"object")
    put(s3, day + "o.json.gz/child", b"child")
    put(s3, day + "p.json.gz", b"other")
    put(s3, day + "../../../escaped.json.gz", b"x")
    assert download(tmp_path) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"seslog: refused '{day}../../../escaped.json.gz': it would be written outside {tmp_path / 'dir'}",
        f"seslog: skipped '{day}o.json.gz/child': the object '{day}o.json.gz' is a file where this key needs a folder",
    ]
    assert captured.out.startswith("downloaded 2 objects (11 B)")
    assert (tmp_path / "dir" / day / "o.json.gz").read_bytes() == b"object"
    assert (tmp_path / "dir" / day / "p.json.gz").read_bytes() == b"other"


def test_a_folder_where_an_object_goes_is_skipped_in_one_line(s3, tmp_path, capsys):
    day = "events/dt=2026-11-24/"
    put(s3, day + "o.json.gz", b"object")
    put(s3, day + "p.json.gz", b"other")
    (tmp_path / "dir" / day / "o.json.gz").mkdir(parents=True)
    assert download(tmp_path) == 0
    captured = capsys.readouterr()
    assert (
        captured.err == f"seslog: skipped '{day}o.json.gz': cannot write {tmp_path / 'dir' / day / 'o.json.gz'}: Is a directory\n"
    )
    assert captured.out.startswith("downloaded 1 object (5 B)")


def test_refusals_are_told_when_a_later_object_fails(monkeypatch, tmp_path, capsys):
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    monkeypatch.setattr(cli, "client", lambda service, region: s3)
    escaping = "events/dt=2026-11-24/../../../x.json.gz"
    with Stubber(s3) as stubber:
        stubber.add_response(
            "list_objects_v2",
            {
                "Contents": [{"Key": escaping, "Size": 1}, {"Key": "events/dt=2026-11-24/o.json.gz", "Size": 3}],
                "IsTruncated": False,
            },
            {"Bucket": BUCKET, "Prefix": "events/dt=2026-11-24/"},
        )
        stubber.add_response("list_objects_v2", {"IsTruncated": False}, {"Bucket": BUCKET, "Prefix": "events/dt=2026-11-25/"})
        for day in ("2026-11-24", "2026-11-25"):  # Cognito's error log: none
            stubber.add_response("list_objects_v2", {"IsTruncated": False}, {"Bucket": BUCKET, "Prefix": f"cognito/dt={day}/"})
        stubber.add_client_error("head_object", "403", "Forbidden", http_status_code=403)
        assert download(tmp_path) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"seslog: refused {escaping!r}: it would be written outside {tmp_path / 'dir'}"
    assert err[1].startswith("seslog: access denied reading s3://") and len(err) == 2
