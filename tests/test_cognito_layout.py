"""Where the stack's Firehose stream puts Cognito's error log is where its Glue table looks, and the table reads what
the stream writes: the prefix the program registers, evaluated at arrivals around month and year ends, is the path
partition projection gives for that day, for as long as the bucket keeps the object; and DuckDB, reading objects
written as Firehose writes them with the table's columns and types, runs the saved query's DuckDB form and returns
exactly the records of the days asked for."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from offline.program import evaluate
from seslog.cognito.log import MESSAGE_FIELDS, SCHEME, TABLE_NAME, parse_line, subscription_message
from seslog.eventlog.layout import evaluate_prefix, java_time
from seslog.eventlog.queries import load
from tests.cognito_samples import CONTROL_MESSAGE, GUIDE_EXAMPLE, record

ROOT = Path(__file__).resolve().parents[1]
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
TABLE = "aws:glue/catalogTable:CatalogTable"
LOG_GROUP = "/aws/vendedlogs/cognito/ses-event-log-dev"
QUERY = load(ROOT / "seslog" / "cognito" / "queries" / "cognito-errors.sql")

NOT_VERIFIED = (
    "Email address is not verified. The following identities failed the check in region EU-WEST-1: no-reply@example.com"
)
RATE = "Maximum sending rate exceeded."
SANDBOX = (
    "Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: "
    "user@example.org"
)
PAUSED = "Sending paused for this account. For more information, please check the AWS Management Console."


@pytest.fixture(scope="module")
def registered() -> dict:
    """What the program registers for a stack naming a pool: the stream's layout and the table's."""
    ev = evaluate("dev", {"cognitoUserPoolIds": ["us-east-1_AbC123"]})
    (stream,) = [r for r in ev.of_type(STREAM) if "-cognito-" in r.name]
    (table,) = [r for r in ev.of_type(TABLE) if r.inputs["name"] == TABLE_NAME]
    s3 = stream.inputs["extendedS3Configuration"]
    return {
        "bucket": ev.exports["bucketName"],
        "stream": stream.outputs["name"],
        "prefix": s3["prefix"],
        "error_prefix": s3["errorOutputPrefix"],
        "extension": s3["fileExtension"],
        "parameters": table.inputs["parameters"],
        "location": table.inputs["storageDescriptor"]["location"],
        "columns": table.inputs["storageDescriptor"]["columns"],
        "partition_keys": table.inputs["partitionKeys"],
        "retention_days": 7,
    }


ARRIVALS = [
    datetime(2024, 2, 29, 12, 0, 0, tzinfo=UTC),  # a leap day
    datetime(2024, 3, 31, 23, 59, 59, tzinfo=UTC),  # the last second of a month
    datetime(2024, 4, 1, 0, 0, 0, tzinfo=UTC),
    datetime(2024, 12, 31, 23, 59, 30, tzinfo=UTC),  # the year's last minute
    datetime(2025, 1, 1, 0, 0, 5, tzinfo=UTC),
    datetime(2026, 11, 26, 7, 5, 9, tzinfo=UTC),
]


def projected_days(parameters: dict, now: date) -> tuple[date, date]:
    """The days partition projection lists for dt when a query runs on ``now``: ``NOW-<n>DAYS,NOW``."""
    low, high = parameters["projection.dt.range"].split(",")
    assert high == "NOW"
    days = int(re.fullmatch(r"NOW-(\d+)DAYS", low).group(1))
    return now - timedelta(days=days), now


def last_day_kept(arrival: datetime, retention_days: int) -> date:
    """S3 expires an object at the first midnight (UTC) after ``retention_days`` days (S3 guide, lifecycle expiration)."""
    return (arrival + timedelta(days=retention_days)).date()


@pytest.mark.parametrize("arrival", ARRIVALS, ids=[a.isoformat() for a in ARRIVALS])
def test_the_firehose_prefix_is_the_path_the_projection_gives_for_the_day(registered, arrival):
    parameters = registered["parameters"]
    path = evaluate_prefix(registered["prefix"], arrival)
    assert path == SCHEME.render_prefix(arrival) == f"cognito/dt={arrival:%Y-%m-%d}/"
    assert registered["partition_keys"] == [{"name": "dt", "type": "string"}]
    assert parameters["projection.enabled"] == "true" and parameters["projection.dt.type"] == "date"
    assert (parameters["projection.dt.interval"], parameters["projection.dt.interval.unit"]) == ("1", "DAYS")
    dt = java_time(parameters["projection.dt.format"], arrival)
    assert parameters["storage.location.template"].replace("${dt}", dt) == f"s3://{registered['bucket']}/{path}"
    assert f"s3://{registered['bucket']}/{path}".startswith(registered["location"])
    # Listed from the day the object arrives to the last day the bucket keeps it, and no longer.
    day = arrival.date()
    last = last_day_kept(arrival, registered["retention_days"])
    for now in (day, day + timedelta(days=1), last):
        low, high = projected_days(parameters, now)
        assert low <= day <= high, now
    low, _ = projected_days(parameters, last + timedelta(days=1))
    assert day < low
    # What the stream cannot deliver goes under its own error prefix, outside the table's location.
    failed = evaluate_prefix(registered["error_prefix"], arrival, error_output_type="processing-failed")
    assert failed == f"cognito-errors/processing-failed/dt={arrival:%Y-%m-%d}/"
    assert not f"s3://{registered['bucket']}/{failed}".startswith(registered["location"])


def duckdb_type(hive: str) -> str:
    """A Glue (Hive) column type as DuckDB spells it."""
    if hive.startswith("array<") and hive.endswith(">"):
        return duckdb_type(hive[len("array<") : -1]) + "[]"
    if hive.startswith("struct<") and hive.endswith(">"):
        fields, depth, start, body = [], 0, 0, hive[len("struct<") : -1]
        for i, char in enumerate(body + ","):
            depth += {"<": 1, ">": -1}.get(char, 0)
            if char == "," and depth == 0:
                fields.append(body[start:i])
                start = i + 1
        return "STRUCT(" + ", ".join(f'"{n}" {duckdb_type(t)}' for n, t in (f.split(":", 1) for f in fields)) + ")"
    return {"string": "VARCHAR", "bigint": "BIGINT"}[hive]


def write_object(root: Path, registered: dict, arrival: datetime, lines: list[dict]) -> Path:
    """An object as the stream writes it: under the prefix evaluated at its oldest record's arrival, named
    <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>, each decompressed subscription message a line, GZIP."""
    name = f"{registered['stream']}-1-{arrival:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}{registered['extension']}"
    path = root / evaluate_prefix(registered["prefix"], arrival) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode()))
    return path


def test_duckdb_reads_the_objects_with_the_tables_columns_and_the_saved_query_returns_the_days_records(registered, tmp_path):
    def message(records: list[dict], stream: str = "cognito") -> dict:
        return subscription_message(records, log_group=LOG_GROUP, log_stream=stream)

    end_of_year = datetime(2024, 12, 31, 23, 59, 30, tzinfo=UTC)
    new_year = datetime(2025, 1, 1, 0, 0, 5, tzinfo=UTC)
    next_day = datetime(2025, 1, 2, 8, 0, 0, tzinfo=UTC)
    asked = [
        GUIDE_EXAMPLE,
        record(end_of_year - timedelta(seconds=3), NOT_VERIFIED, "eu-west-1_AbC123"),
        record(new_year - timedelta(seconds=1), SANDBOX, "us-east-1_Zz9"),
        record(new_year, RATE, "us-east-1_Zz9"),
        record(next_day, PAUSED, "eu-west-1_AbC123"),
    ]
    too_early = record(datetime(2024, 12, 29, 10, 0, tzinfo=UTC), RATE, "eu-west-1_AbC123")
    too_late = record(datetime(2025, 1, 5, 9, 0, tzinfo=UTC), NOT_VERIFIED, "eu-west-1_AbC123")
    written = [
        (datetime(2024, 12, 29, 10, 0, 1, tzinfo=UTC), [message([too_early])]),
        (end_of_year, [CONTROL_MESSAGE, message(asked[:2])]),
        (new_year, [message(asked[2:3], "one"), message(asked[3:4], "two")]),
        (next_day, [message(asked[4:])]),
        (datetime(2025, 1, 5, 9, 0, 1, tzinfo=UTC), [message([too_late])]),
    ]
    for arrival, lines in written:
        path = write_object(tmp_path, registered, arrival, lines)
        # The lines are what seslog reads back (seslog/cognito/log.py), the control message holding none.
        kept = [error.details for line in gzip.decompress(path.read_bytes()).splitlines() for error in parse_line(line)]
        data = [m for m in lines if m["messageType"] == "DATA_MESSAGE"]
        assert kept == [json.loads(e["message"])["message"]["details"] for m in data for e in m["logEvents"]]

    # The table's columns and types, keyed as the JSON names them: the OpenX SerDe matches keys without regard
    # to case (case.insensitive), DuckDB with it, and DuckDB's identifiers, like Athena's, are case-insensitive.
    assert [c["name"] for c in registered["columns"]] == [f.column for f in MESSAGE_FIELDS]
    columns = ", ".join(f"'{f.name}': '{duckdb_type(c['type'])}'" for f, c in zip(MESSAGE_FIELDS, registered["columns"]))
    location = tmp_path / registered["location"].removeprefix(f"s3://{registered['bucket']}/")
    connection = duckdb.connect()
    connection.execute(
        f"CREATE VIEW {TABLE_NAME} AS SELECT * FROM read_json('{location}/*/*{registered['extension']}', "
        f"format = 'newline_delimited', compression = 'gzip', columns = {{{columns}}}, "
        "hive_partitioning = true, hive_types = {'dt': 'VARCHAR'})"
    )
    assert connection.execute(f"SELECT count(*) FROM {TABLE_NAME}").fetchone() == (7,)  # every line, the control message too

    query = QUERY.render(SCHEME, TABLE_NAME, "duckdb")
    assert query.placeholders == ("from_date", "to_date")
    rows = connection.execute(query.sql, query.named_parameters({"from_date": "2025-01-01", "to_date": "2025-01-01"}))
    names = [d[0] for d in rows.description]
    found = [dict(zip(names, row)) for row in rows.fetchall()]
    # Each column the query selects, as the record it comes from gives it.
    columns_of = {
        "log_time": lambda r: int(r["eventTimestamp"]),
        "event_timestamp": lambda r: r["eventTimestamp"],
        "user_pool_id": lambda r: r["logSourceId"]["userPoolId"],
        "event_source": lambda r: r["eventSource"],
        "log_level": lambda r: r["logLevel"],
        "details": lambda r: r["message"]["details"],
        "record": json.dumps,
    }
    assert {"user_pool_id", "details", "record"} <= set(names) <= set(columns_of), names
    expected = [
        {name: columns_of[name](r) for name in names} for r in sorted(asked, key=lambda r: int(r["eventTimestamp"]), reverse=True)
    ]
    assert found == expected
    # The day asked for widens by a day either way (an object's dt is its oldest record's arrival): no further.
    none = connection.execute(query.sql, query.named_parameters({"from_date": "2024-12-26", "to_date": "2024-12-27"}))
    assert none.fetchall() == []
    late = connection.execute(query.sql, query.named_parameters({"from_date": "2025-01-04", "to_date": "2025-01-06"}))
    assert [row[names.index("record")] for row in late.fetchall()] == [json.dumps(too_late)]
