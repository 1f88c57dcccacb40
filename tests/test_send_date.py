"""The send-date scheme: its JQ run by the jq engine puts every event of a message under its send
day, in every format, where Athena's projection finds it; records without a usable
``mail.timestamp`` go to the error prefix; late events are bounded so that the stream stays
within Firehose's active partitions, and a stack that could exceed them is refused."""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from components.settings import SettingsError, parse
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.layout import PARTITIONING_FAILED, KeyExtractor, LayoutWriter, StreamSettings, write_layout, write_layouts
from seslog.eventlog.local import LocalEvents
from seslog.eventlog.partitioning import ACTIVE_PARTITIONS_LIMIT, SCHEMES, SENT_COLUMN, max_late_days, scheme_for
from seslog.eventlog.prefixes import DATA_PREFIX

STREAM = StreamSettings(buffer_size_mib=64, buffer_interval_seconds=900)
SENT = "2024-05-01T23:59:59.123Z"


def record(samples: dict, event_type: str, sent: object = SENT, at: str | None = None) -> dict:
    """An SES record of ``event_type`` whose mail was sent at ``sent`` (left out when None) and
    whose detail's timestamp is ``at``."""
    base = copy.deepcopy(samples[event_type])
    if sent is None:
        del base["mail"]["timestamp"]
    else:
        base["mail"]["timestamp"] = sent
    detail = next((k for k in base if k not in ("eventType", "mail")), None)
    if at is not None and detail and isinstance(base[detail], dict):
        base[detail]["timestamp"] = at
    return base


@pytest.fixture(scope="module")
def samples(sample_records):
    return {r["eventType"]: r for r in sample_records.values()}


def sent_key(partitioning: str = "send-date", retention: int = 90) -> KeyExtractor:
    return KeyExtractor(scheme_for(partitioning, retention).metadata_extraction_query(), [SENT_COLUMN])


def extract(extractor: KeyExtractor, data: dict) -> dict | None:
    import json

    return extractor.extract((json.dumps(data, ensure_ascii=False) + "\n").encode())


@pytest.mark.parametrize("event_type", ["Send", "Delivery", "Bounce", "Complaint", "Open", "Click", "Reject"])
def test_every_event_of_a_message_is_filed_under_its_send_day(samples, event_type):
    # Events of a mail sent a second before midnight happen the next day: still its send day.
    assert extract(sent_key(), record(samples, event_type, at="2024-05-02T08:00:00.000Z")) == {SENT_COLUMN: "2024-05-01"}


def test_an_open_80_days_later_stays_with_its_message_while_the_mail_is_kept(samples):
    late = record(samples, "Open", at="2024-07-20T10:00:00.000Z")  # 79 days and 10 hours after sending
    assert extract(sent_key(retention=90), late) == {SENT_COLUMN: "2024-05-01"}
    # Kept 30 days: filed 30 days before it happened, so a buffer interval sees at most 32 send days.
    assert extract(sent_key(retention=30), late) == {SENT_COLUMN: "2024-06-20"}
    # An event timestamp that is not a time leaves the send day.
    assert extract(sent_key(retention=30), record(samples, "Open", at="yesterday")) == {SENT_COLUMN: "2024-05-01"}


@pytest.mark.parametrize(
    "sent", [None, "", "2024-05-01", "2024-02-30T10:00:00.000Z", "2024-13-01T00:00:00.000Z", 1714608000, "soon"]
)
def test_a_missing_or_impossible_send_time_goes_to_the_error_prefix(samples, sent, tmp_path):
    data = record(samples, "Delivery", sent=sent, at="2024-05-02T08:00:00.000Z")
    assert extract(sent_key(), data) is None
    good = record(samples, "Delivery")
    arrival = datetime(2024, 5, 2, 8, tzinfo=UTC)
    objects = write_layout([(arrival, good), (arrival, data)], tmp_path, format="json", partitioning="send-date", stream=STREAM)
    failed = [o for o in objects if o.error]
    assert [o.key.split("/")[:3] for o in failed] == [["errors", PARTITIONING_FAILED, "dt=2024-05-02"]]
    assert [o.key.split("/")[:3] for o in objects if not o.error] == [["events", "sent=2024-05-01", "dt=2024-05-02"]]


def _projected(value: str, projection: dict[str, str], now: date) -> bool:
    """Whether Athena's date projection (range ``NOW-<n>DAYS,NOW``, format yyyy-MM-dd) lists ``value``."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    days = int(re.fullmatch(r"NOW-(\d+)DAYS,NOW", projection["range"])[1])
    return now - timedelta(days=days) <= date.fromisoformat(value) <= now


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_object_lies_where_the_projection_finds_it_and_reads_back(fmt, samples, tmp_path):
    """A month of a message's events, in each format: every object's key is the Firehose prefix
    evaluated with the jq engine's values, that prefix is the projection's location template
    filled with projected values on the day the object arrives, and every record reads back."""
    retention = 30
    scheme = scheme_for("send-date", retention)
    events = []
    for n, event_type in enumerate(["Send", "Delivery", "Open", "Open", "Click", "Open"]):
        at = datetime(2024, 5, 1, 23, 59, 59, 500000, tzinfo=UTC) + timedelta(days=[0, 0, 1, 20, 29, 45][n])
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        events.append((at + timedelta(seconds=1), record(samples, event_type, at=stamp)))
    objects = write_layout(events, tmp_path, format=fmt, partitioning=scheme, stream=STREAM)
    params = scheme.projection_parameters("bucket", retention)
    template = params["storage.location.template"]
    for obj in objects:
        values = dict(part.split("=", 1) for part in obj.key.split("/")[1:3])
        filled = re.sub(r"\$\{(\w+)\}", lambda m, v=values: v[m[1]], template)
        assert f"s3://bucket/{obj.key}".startswith(filled), obj.key
        # On the day the object arrives (its dt), the projection lists both of its values.
        for column in scheme.columns:
            projection = {k.split(".", 2)[2]: v for k, v in params.items() if k.startswith(f"projection.{column}.")}
            assert _projected(values[column], projection, date.fromisoformat(values["dt"])), (column, values[column])
    assert {o.key.split("/")[1] for o in objects} == {"sent=2024-05-01", "sent=2024-05-16"}
    local = LocalEvents(tmp_path)
    assert local.sql("SELECT count(*) FROM events").rows == [(6,)]
    # The timeline of its send day holds the events of the 30 days kept, the open 45 days later not.
    message = events[0][1]["mail"]["messageId"]
    rows = local.run("message-timeline", {"message_id": message, "from_date": "2024-05-01", "to_date": "2024-05-01"}).records()
    assert [r["event_type"] for r in rows] == ["Send", "Delivery", "Open", "Open", "Click"]


def test_late_events_never_open_more_partitions_than_the_bound(samples, tmp_path):
    """Every half hour for two days, an open of a mail sent on each of the last 15 days: with 10
    days kept the key folds the older ones, and the buffers open at once stay within the bound."""
    retention = 10
    scheme = scheme_for("send-date", retention)
    start = datetime(2024, 6, 1, tzinfo=UTC)
    events = []
    for tick in range(2 * 48):
        now = start + timedelta(minutes=30 * tick)
        for age in range(15):
            sent = now - timedelta(days=age, minutes=1)
            events.append(
                (
                    now + timedelta(seconds=age),
                    record(
                        samples, "Open", sent=sent.strftime("%Y-%m-%dT%H:%M:%S.000Z"), at=now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
                    ),
                )
            )
    writer = LayoutWriter(tmp_path, format="json", partitioning=scheme, stream=STREAM)
    write_layouts(events, [writer])
    assert retention + 1 <= writer.busiest <= scheme.max_active_partitions() <= ACTIVE_PARTITIONS_LIMIT
    assert not any(o.error for o in writer.objects)


def test_the_bound_follows_the_retention_and_the_other_dynamic_scheme_is_small():
    assert scheme_for("send-date", 30).max_active_partitions() == 2 * (30 + 2) + 2
    assert SCHEMES["event-type"].max_active_partitions() == 2 * 10 + 2
    assert SCHEMES["date"].max_active_partitions() == 1
    assert scheme_for("send-date", max_late_days()).max_active_partitions() <= ACTIVE_PARTITIONS_LIMIT
    assert scheme_for("send-date", max_late_days() + 1).max_active_partitions() > ACTIVE_PARTITIONS_LIMIT
    assert scheme_for("date", 400) is SCHEMES["date"]


def test_a_stack_that_could_exceed_the_active_partitions_is_refused():
    allowed = max_late_days()
    assert (
        parse({"partitioning": "send-date", "retentionDays": allowed, "noncurrentRetentionDays": 7}, "x").retention_days
        == allowed
    )
    with pytest.raises(SettingsError) as info:
        parse({"partitioning": "send-date", "retentionDays": allowed + 1}, "x")
    (problem,) = info.value.problems
    assert problem.startswith(f"retentionDays = {allowed + 1}: must be at most {allowed} with partitioning send-date")
    assert "above Firehose's 500 active partitions per stream" in problem
    # The same retention is fine with a scheme whose partitions do not grow with it.
    assert parse({"partitioning": "event-type", "retentionDays": 400}, "x").retention_days == 400


def test_the_send_date_layout_is_told_apart_from_the_others(samples, tmp_path):
    write_layout(
        [(datetime(2024, 5, 2, tzinfo=UTC), record(samples, "Send"))], tmp_path, format="parquet", partitioning="send-date"
    )
    local = LocalEvents(tmp_path)
    assert (local.format, local.scheme.name) == ("parquet", "send-date")
    assert {p.relative_to(tmp_path / DATA_PREFIX).parts[0] for p in tmp_path.rglob("*.parquet")} == {"sent=2024-05-01"}
