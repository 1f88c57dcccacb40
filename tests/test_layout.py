"""Where Firehose puts each record is where Athena's partition projection looks for it.

For every scheme, the prefix, error prefix and JQ query the program registers on the stream, and
the ``storage.location.template`` and projection it registers on the Glue table, must agree on
every sample record; the layout writer must follow them."""

import base64
import gzip
import json
import re
from datetime import UTC, datetime, timedelta

import jq
import pytest

from offline.program import evaluate
from seslog.eventlog import layout as layout_module
from seslog.eventlog.compression import decompress_json
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.generator import all_samples, generate, load_samples
from seslog.eventlog.layout import (
    PARTITIONING_FAILED,
    Incoming,
    LayoutWriter,
    StreamSettings,
    evaluate_prefix,
    java_time,
    write_layout,
    write_layouts,
)
from seslog.eventlog.partitioning import EVENT_TYPE_COLUMN, SCHEMES, max_late_days

ARRIVAL = datetime(2024, 5, 1, 7, 5, 9, tzinfo=UTC)
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
TABLE = "aws:glue/catalogTable:CatalogTable"


@pytest.fixture(scope="module", params=sorted(SCHEMES))
def registered(request):
    """What the prod stack registers when partitioned by each scheme (with send-date, keeping
    the longest retention Firehose's active partitions allow, as prod's 400 days are refused)."""
    ev = evaluate(
        "prod", {"partitioning": request.param, **({"retentionDays": max_late_days()} if request.param == "send-date" else {})}
    )
    s3 = ev.one(STREAM).inputs["extendedS3Configuration"]
    table = ev.one(TABLE, name="events").inputs
    processors = (s3.get("processingConfiguration") or {}).get("processors", [])
    parameters = {p["parameterName"]: p["parameterValue"] for proc in processors for p in proc["parameters"]}
    return {
        "scheme": SCHEMES[request.param],
        "prefix": s3["prefix"],
        "error_prefix": s3["errorOutputPrefix"],
        "extension": s3["fileExtension"],
        "query": parameters.get("MetadataExtractionQuery"),
        "parameters": table["parameters"],
        "location": table["storageDescriptor"]["location"],
        "partition_keys": [k["name"] for k in table["partitionKeys"]],
    }


@pytest.fixture(scope="module")
def samples(sample_records):
    return all_samples({r["eventType"]: r for r in sample_records.values()})


def extract(query: str | None, record: dict) -> dict:
    return jq.compile(query).input_value(record).first() if query else {}


def projected_value(parameters: dict, column: str, keys: dict, arrival: datetime) -> str:
    """The value Athena projects for a partition column, checked against its projection settings."""
    kind = parameters[f"projection.{column}.type"]
    if kind == "date" and column in keys:
        # A day the JQ took from the record (the send day): the samples' are years before ARRIVAL,
        # so only its form is checked here; tests/test_send_date.py checks the range at real arrivals.
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", keys[column]) and parameters[f"projection.{column}.format"] == "yyyy-MM-dd"
        return keys[column]
    if kind == "date":
        value = java_time(parameters[f"projection.{column}.format"], arrival)
        # The range is evaluated when a query runs: a day after the arrival it must admit it.
        low, high = parameters[f"projection.{column}.range"].split(",")
        days = int(re.fullmatch(r"NOW-(\d+)DAYS", low).group(1))
        assert high == "NOW"
        now = arrival + timedelta(days=1)
        assert (now - timedelta(days=days)).date() <= arrival.date() <= now.date()
        return value
    if kind == "integer":
        low, high = map(int, parameters[f"projection.{column}.range"].split(","))
        number = int(java_time("HH", arrival))
        assert low <= number <= high
        return str(number).zfill(int(parameters.get(f"projection.{column}.digits", "1")))
    if kind == "enum":
        assert keys[column] in parameters[f"projection.{column}.values"].split(","), keys
        return keys[column]
    raise AssertionError(f"unexpected projection type {kind}")


def test_the_location_template_yields_the_firehose_prefix_of_every_record(registered, samples):
    scheme = registered["scheme"]
    bucket = registered["location"].removeprefix("s3://").split("/", 1)[0]
    parameters = registered["parameters"]
    assert registered["partition_keys"] == list(scheme.columns)
    for name, record in samples.items():
        keys = extract(registered["query"], record)
        path = evaluate_prefix(registered["prefix"], ARRIVAL, keys)
        assert path == scheme.render_prefix(ARRIVAL, keys), name
        if not scheme.keys:
            # No partitions: Athena reads everything under the location, folders included.
            assert "projection.enabled" not in parameters
            assert f"s3://{bucket}/{path}".startswith(registered["location"])
            assert path.endswith(ARRIVAL.strftime("%Y/%m/%d/%H/"))
            continue
        assert parameters["projection.enabled"] == "true"
        location = parameters["storage.location.template"]
        for column in registered["partition_keys"]:
            location = location.replace(f"${{{column}}}", projected_value(parameters, column, keys, ARRIVAL))
        assert location == f"s3://{bucket}/{path}", name


def test_every_event_type_gets_its_own_partition_under_the_event_type_scheme(samples):
    scheme = SCHEMES["event-type"]
    paths = {
        evaluate_prefix(scheme.firehose_prefix(), ARRIVAL, extract(scheme.metadata_extraction_query(), r))
        for r in samples.values()
    }
    assert paths == {f"events/event_type={api}/dt=2024-05-01/" for api in scheme.keys[0].projection["values"].split(",")}


def test_the_writer_puts_each_record_where_the_registered_prefix_says(registered, samples, tmp_path):
    scheme = registered["scheme"]
    objects = write_layout(((ARRIVAL, r) for r in samples.values()), tmp_path, format="parquet", partitioning=scheme.name)
    expected = {evaluate_prefix(registered["prefix"], ARRIVAL, extract(registered["query"], r)) for r in samples.values()}
    assert {o.key.rsplit("/", 1)[0] + "/" for o in objects} == expected
    name = re.compile(r"ses-event-log-1-2024-05-01-07-05-09-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
    for o in objects:
        assert name.fullmatch(o.key.rsplit("/", 1)[1].removesuffix(registered["extension"])), o.key
    assert sum(o.records for o in objects) == len(samples)


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(lambda r: {k: v for k, v in r.items() if k != "eventType"}, id="missing-eventType"),
        pytest.param(lambda r: {**r, "eventType": "Unsubscribe"}, id="unexpected-eventType"),
        pytest.param(lambda r: {**r, "eventType": ["Send"]}, id="eventType-not-a-string"),
    ],
)
def test_a_record_without_a_usable_partition_key_goes_to_the_registered_error_prefix(registered, samples, tmp_path, broken):
    scheme = registered["scheme"]
    record = broken(samples["Send"])
    objects = write_layout([(ARRIVAL, samples["Delivery"]), (ARRIVAL, record)], tmp_path, format="json", partitioning=scheme.name)
    errors = [o for o in objects if o.error]
    if EVENT_TYPE_COLUMN not in scheme.columns:
        # Nothing it extracts is broken (the send-date key's failures: tests/test_send_date.py): delivered with the others.
        assert errors == [] and sum(o.records for o in objects) == 2
        return
    # The error prefix Firehose evaluates (Firehose guide: `!{firehose:error-output-type}`).
    expected = evaluate_prefix(registered["error_prefix"], ARRIVAL, error_output_type=PARTITIONING_FAILED)
    assert expected == "errors/partitioning-failed/dt=2024-05-01/"
    assert [o.key.rsplit("/", 1)[0] + "/" for o in errors] == [expected]
    document = json.loads((tmp_path / errors[0].key).read_text())
    assert base64.b64decode(document["rawData"]) == Incoming(ARRIVAL, record).line
    delivered = [o for o in objects if not o.error]
    assert [o.key.split("/")[1] for o in delivered] == ["event_type=DELIVERY"]


def test_buffers_close_on_interval_and_on_size(samples, tmp_path):
    record = samples["Delivery"]
    line = len(Incoming(ARRIVAL, record).line)
    stream = StreamSettings(buffer_size_mib=1, buffer_interval_seconds=60)
    # Three arrivals a minute apart, then enough records in one second to fill a buffer twice.
    burst = 2 * (1024 * 1024 // line + 1)
    events = [(ARRIVAL + timedelta(minutes=m), record) for m in range(3)]
    events += [(ARRIVAL + timedelta(minutes=5), record)] * burst
    objects = write_layout(events, tmp_path, format="json", partitioning="date", compression="UNCOMPRESSED", stream=stream)
    assert [o.records for o in objects[:3]] == [1, 1, 1]
    assert sum(o.records for o in objects[3:]) == burst and len(objects[3:]) >= 2
    assert all(o.size >= 1024 * 1024 for o in objects[3:-1])


def test_a_buffer_opened_before_midnight_keeps_its_day(samples, tmp_path):
    """The prefix's timestamp is the oldest record's arrival: a record that arrives after
    midnight can land in the previous day's partition (so queries widen day ranges)."""
    before, after = datetime(2024, 5, 1, 23, 59, 30, tzinfo=UTC), datetime(2024, 5, 2, 0, 0, 30, tzinfo=UTC)
    objects = write_layout(
        [(before, samples["Send"]), (after, samples["Delivery"])], tmp_path, format="json", partitioning="hour"
    )
    assert [(o.key.rsplit("/", 1)[0], o.records) for o in objects] == [("events/dt=2024-05-01/hour=23", 2)]


@pytest.mark.parametrize("compression", FORMATS["json"].compressions)
def test_json_objects_are_the_records_newline_terminated_and_compressed_as_configured(samples, tmp_path, compression):
    records = list(samples.values())
    (obj,) = write_layout([(ARRIVAL, r) for r in records], tmp_path, format="json", partitioning="date", compression=compression)
    assert obj.key.endswith(FORMATS["json"].file_extension(compression))
    body = (tmp_path / obj.key).read_bytes()
    if compression == "GZIP":
        assert body[:2] == b"\x1f\x8b"
        assert gzip.decompress(body) == decompress_json(body, compression)
    data = decompress_json(body, compression)
    # SES ends each record with a newline: one record per line, no empty lines.
    assert data.endswith(b"\n")
    assert [json.loads(line) for line in data.decode().splitlines()] == records


def test_records_out_of_arrival_order_and_bad_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="compression 'ZLIB' is none of GZIP"):
        LayoutWriter(tmp_path, format="json", compression="ZLIB")
    with pytest.raises(ValueError, match="partitioning 'daily' is none of"):
        LayoutWriter(tmp_path, partitioning="daily")
    writer = LayoutWriter(tmp_path)
    writer.put(Incoming(ARRIVAL, {"eventType": "Send"}))
    with pytest.raises(ValueError, match="arrival order"):
        writer.put(Incoming(ARRIVAL - timedelta(seconds=1), {"eventType": "Send"}))


@pytest.mark.parametrize("fmt", ["parquet", "orc"])
def test_tables_taken_from_converted_runs_are_the_rows_of_each_object_alone(tmp_path, monkeypatch, fmt):
    """``write_layouts`` converts the stream's rows in runs, drops the ones no buffer holds, and
    takes each object's table from the runs: the objects must be byte for byte the ones a writer
    builds from each object's own records."""
    monkeypatch.setattr(layout_module, "FORGET_EVERY", 7)
    events = list(generate(load_samples(), seed=5, start=ARRIVAL, days=1, messages=80, recipients=50))
    # ORC uncompressed: its ZLIB costs about 10 ms an object here, and compresses the same tables alike.
    compression = {"orc": "NONE"}.get(fmt, FORMATS[fmt].default_compression)
    settings = {
        "format": fmt,
        "partitioning": "event-type",
        "compression": compression,
        "stream": StreamSettings(buffer_interval_seconds=3600),
        "seed": 3,
    }
    shared = [LayoutWriter(tmp_path / "shared", **settings), LayoutWriter(tmp_path / "other", format="json", partitioning="date")]
    write_layouts(events, shared)
    alone = LayoutWriter(tmp_path / "alone", **settings)
    for arrival, record in events:
        alone.put(Incoming(arrival, record))
    alone.close()
    assert len(alone.objects) > 40
    assert [o.key for o in shared[0].objects] == [o.key for o in alone.objects]
    for o in alone.objects:
        assert (tmp_path / "shared" / o.key).read_bytes() == (tmp_path / "alone" / o.key).read_bytes(), o.key
