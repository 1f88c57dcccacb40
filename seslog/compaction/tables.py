"""The two compacted tables: what a row holds, where its file lies, and which lookups it answers.

Each table holds the rows one named query returns (the same query fragments make them:
``queries/answer-rows.sql``), filed by send day and by a hash bucket of the table's key, sorted by the key, in row
groups small enough that their min/max statistics skip all but a few:

- ``compact/recipients/sent=yyyy-MM-dd/bucket=NN/<unit>-<generation>.parquet``, keyed by ``recipient_key`` (the
  address, lower case): ``recipient-events``;
- ``compact/messages/sent=yyyy-MM-dd/bucket=NN/<unit>-<generation>.parquet``, keyed by ``message_id``:
  ``message-events``.

The path is also the Glue tables' layout: ``sent`` a date projection, ``bucket`` an integer one of two digits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from seslog.eventlog.partitioning import DAY_PROJECTION, SENT, PartitionKey, Scheme
from seslog.eventlog.prefixes import COMPACT_PREFIX
from seslog.eventlog.queries import NamedQuery, load

BUCKETS = 16
"""Hash buckets of each table's key per send day: a lookup reads one."""

ROW_GROUP_ROWS = 4096
"""Rows per Parquet row group: small enough that a key's rows span one or two groups, whose statistics skip the rest."""

ROWS: NamedQuery = load(Path(__file__).parent / "queries" / "answer-rows.sql")
"""The rows the compacted tables hold, rendered for the raw layout being compacted."""

_BIGINT = ("destinations", "processing_time_ms")

COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (name, "bigint" if name in _BIGINT else "string")
    for name in (
        *("message_id", "sent_at", "sender", "subject", "destinations", "event_time", "event_type", "bounce_type"),
        *("bounce_subtype", "reporting_mta", "remote_mta_ip", "smtp_response", "processing_time_ms", "delay_type"),
        *("expiration_time", "complaint_type", "reject_reason", "template_name", "template_error", "recipient"),
        *("diagnostic_code", "status", "recipient_key"),
    )
)
"""A compacted row, as Hive types: the columns both named queries return, in their order, then the recipient's key.
Every file is written with them (``run``), so the Glue columns and an Athena UNION with the raw table agree."""

ANSWER_COLUMNS = [name for name, _ in COLUMNS if name != "recipient_key"]
"""The columns of ``recipient-events`` and ``message-events``, in their order."""


def glue_columns() -> list[dict[str, str]]:
    """The compacted tables' data columns, in the shape of Glue's ``StorageDescriptor.Columns``."""
    return [{"name": name, "type": hive} for name, hive in COLUMNS]


@dataclass(frozen=True)
class Table:
    name: str
    """The folder under ``compact/``; the Glue table is ``compact_<name>``."""
    key: str
    """The column a lookup asks for, hashed into the bucket."""
    order: tuple[str, ...]
    """The sort order: the key first, so that row-group statistics prune by it."""

    @property
    def glue_name(self) -> str:
        return f"compact_{self.name}"

    def prefix(self) -> str:
        return f"{COMPACT_PREFIX}{self.name}/"

    def scheme(self, late_days: int) -> Scheme:
        """The table's layout, for Athena's partition projection: the send day (a late event is filed under its mail's
        day, up to ``late_days`` before its object arrived), then the bucket."""
        sent = PartitionKey("sent", "string", "", projection=dict(DAY_PROJECTION), clock=SENT, late_days=late_days)
        bucket = PartitionKey("bucket", "int", "", projection={"type": "integer", "range": f"0,{BUCKETS - 1}", "digits": "2"})
        return Scheme(self.glue_name, (sent, bucket), "by send day, then by hash bucket of the key", root=self.prefix())

    def file_key(self, sent: str, bucket: str, unit: str, generation: str) -> str:
        sent_key, bucket_key = self.scheme(0).keys
        return f"{self.prefix()}{sent_key.path_segment(sent)}{bucket_key.path_segment(bucket)}{unit}-{generation}.parquet"


RECIPIENTS = Table("recipients", "recipient_key", ("recipient_key", "sent_at", "message_id", "event_time", "event_type"))
MESSAGES = Table("messages", "message_id", ("message_id", "recipient_key", "event_time", "event_type"))
TABLES = (RECIPIENTS, MESSAGES)

_FILE_KEY = re.compile(
    rf"{re.escape(COMPACT_PREFIX)}(?P<table>\w+)/sent=(?P<sent>\d{{4}}-\d\d-\d\d)/bucket=(?P<bucket>\d\d)/(?P<name>[^/]+\.parquet)"
)


@dataclass(frozen=True)
class FileKey:
    table: str
    sent: str
    bucket: str


def parse_file_key(key: str) -> FileKey:
    """The table, send day and bucket of a compacted file's key."""
    found = _FILE_KEY.fullmatch(key)
    if found is None:
        raise ValueError(f"{key!r} is not a compacted file's key")
    return FileKey(found["table"], found["sent"], found["bucket"])


def bucket_of(key: str) -> str:
    """The bucket of a key (``00`` to ``15``): the first 32 bits of its MD5, modulo ``BUCKETS``. The job computes it
    with ``duckdb_bucket``, a reader with this function; both are held equal by the tests."""
    return f"{int(hashlib.md5(key.encode('utf-8')).hexdigest()[:8], 16) % BUCKETS:02d}"


def duckdb_bucket(column: str) -> str:
    """``bucket_of`` in DuckDB's SQL, over ``column``."""
    return f"lpad(CAST(CAST(('0x' || substr(md5({column}), 1, 8)) AS UBIGINT) % {BUCKETS} AS VARCHAR), 2, '0')"


@dataclass(frozen=True)
class Answered:
    """A named query the compacted tables answer: which table, which parameter is its key, and the query's order."""

    table: Table
    parameter: str
    match: str
    """The SQL that keeps the key's rows, over the compacted table's columns; ``{key}`` is the key parameter's placeholder."""
    order: str
    """The named query's ORDER BY, over its output columns (the template's, which sorts on its own expressions)."""

    def key_of(self, value: str) -> str:
        """The table key a parameter value stands for (an address is keyed in lower case)."""
        return value.lower() if self.table.key == "recipient_key" else value


ANSWERED = {
    "recipient-events": Answered(
        RECIPIENTS,
        "address",
        "recipient_key = lower({key})",
        "sent_at, message_id, event_time, CASE WHEN event_type = 'Send' THEN 0 ELSE 1 END",
    ),
    "message-events": Answered(
        MESSAGES,
        "message_id",
        "message_id = {key}",
        "lower(recipient), event_time, CASE WHEN event_type = 'Send' THEN 0 ELSE 1 END",
    ),
}
"""The queries whose answers the compacted tables hold; the others read the event objects."""
