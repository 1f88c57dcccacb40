"""Cognito's message-delivery error log: what a record holds, and where it lies in the log bucket.

Cognito delivers a user pool's ``userNotification`` logs (level ``ERROR``: the email and SMS
messages it could not send) to a CloudWatch Logs log group only ("Exporting logs from Amazon Cognito
user pools": "You can't send user-notification logs to any destination other than CloudWatch Logs";
S3 and Firehose take only the Plus plan's ``userAuthEvents``). The pipeline subscribes Firehose to
that log group; Firehose decompresses what CloudWatch Logs sends and writes it, one subscription
message a line, GZIP-compressed, under ``cognito/dt=yyyy-MM-dd/`` (the UTC day it arrived).

A line is CloudWatch Logs' subscription message (CloudWatch Logs guide, "Subscription filters"):
``messageType`` (``DATA_MESSAGE``, or ``CONTROL_MESSAGE`` when CloudWatch Logs checks that the
destination is reachable), ``owner``, ``logGroup``, ``logStream``, ``subscriptionFilters`` and
``logEvents``, each ``{id, timestamp (ms), message}``. A log event's ``message`` is Cognito's record
as a JSON string; the developer guide gives its shape, "subject to change", "some fields might be
logged with null values"::

    {"eventTimestamp": "1687297330677", "eventSource": "USER_NOTIFICATION", "logLevel": "ERROR",
     "message": {"details": "String"}, "logSourceId": {"userPoolId": "String"}}

No field carries the recipient. ``message.details`` is Cognito's text, which may quote the error
SES or SNS gave, and with it, sometimes, an address: an error is said to be about an address only
when its text names it; otherwise it is one of the pool's errors in the range, and said so.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seslog.eventlog.compression import compress_json
from seslog.eventlog.partitioning import Scheme, date_key
from seslog.eventlog.prefixes import COGNITO_PREFIX
from seslog.eventlog.schema import BIGINT, STRING, Array, Field, struct

TABLE_NAME = "cognito_errors"
"""The Glue table of the log, in the stack's database beside ``events``."""

SCHEME = Scheme(
    "date",
    (date_key(),),
    "one partition per UTC day the subscription message reached Firehose: dt=yyyy-MM-dd",
    root=COGNITO_PREFIX,
)
"""The log's layout: Firehose's prefix and Athena's projection both come from it."""

COMPRESSION = "GZIP"
"""How Firehose compresses the objects (``.gz``, which the OpenX JSON SerDe and DuckDB read by the extension)."""

LOG_EVENT = struct(("id", STRING), ("timestamp", BIGINT), ("message", STRING))

MESSAGE_FIELDS = (
    Field("messageType", STRING, "DATA_MESSAGE, or CONTROL_MESSAGE (a reachability check, no log events)"),
    Field("owner", STRING, "the account of the log group"),
    Field("logGroup", STRING),
    Field("logStream", STRING),
    Field("subscriptionFilters", Array(STRING)),
    Field("logEvents", Array(LOG_EVENT), "Cognito's records, each message a JSON string"),
)
"""The columns of the table: a CloudWatch Logs subscription message."""


def glue_columns() -> list[dict[str, str]]:
    """The table's data columns, in the shape of Glue's ``StorageDescriptor.Columns``."""
    return [{"name": f.column, "type": f.type.hive(), "comment": f.comment} for f in MESSAGE_FIELDS]


@dataclass(frozen=True)
class CognitoError:
    """One record of the log."""

    time: datetime
    """When Cognito logged it (``eventTimestamp``, else the log event's timestamp), UTC."""
    user_pool_id: str | None
    details: str
    """``message.details``: Cognito's words, empty when it logged none."""
    event_source: str | None = None
    log_level: str | None = None

    def names(self, address: str) -> bool:
        """Whether the text names ``address`` (any case) as a whole address: not ``a@b.co`` inside ``xa@b.com``."""
        if not address:
            return False
        whole = r"(?<![\w.+-])" + re.escape(address) + r"(?![\w-]|\.\w)"
        return re.search(whole, self.details, re.IGNORECASE) is not None


def parse_record(message: str, timestamp_ms: int | None = None) -> CognitoError:
    """A log event's ``message``, Cognito's record; ``ValueError`` if it is not JSON, ``TypeError`` if not an object."""
    record = json.loads(message)
    if not isinstance(record, dict):
        raise TypeError("a Cognito log record is a JSON object")
    body = record.get("message")
    details = body.get("details") if isinstance(body, dict) else body
    source = record.get("logSourceId")
    pool = source.get("userPoolId") if isinstance(source, dict) else None
    return CognitoError(
        time=_time(record.get("eventTimestamp"), timestamp_ms),
        user_pool_id=pool if isinstance(pool, str) and pool else None,
        details=details if isinstance(details, str) else ("" if details is None else json.dumps(details)),
        event_source=_text(record.get("eventSource")),
        log_level=_text(record.get("logLevel")),
    )


def parse_line(line: str | bytes) -> Iterator[CognitoError]:
    """The Cognito records of one subscription message (a line of an object); none for a control message."""
    envelope = json.loads(line)
    if not isinstance(envelope, dict):
        raise TypeError("a subscription message is a JSON object")
    if envelope.get("messageType") != "DATA_MESSAGE":
        return
    for event in envelope.get("logEvents") or []:
        yield parse_record(event["message"], event.get("timestamp"))


def _time(value: Any, fallback_ms: int | None) -> datetime:
    for candidate in (value, fallback_ms):
        try:
            return datetime.fromtimestamp(int(candidate) / 1000, UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            continue
    raise ValueError("the record has neither eventTimestamp nor a log event timestamp")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def record_of(at: datetime, details: str | None, user_pool_id: str) -> dict[str, Any]:
    """A record in the shape the developer guide gives, as Cognito logs an error of ``user_pool_id`` at ``at``."""
    return {
        "eventTimestamp": str(int(at.timestamp() * 1000)),
        "eventSource": "USER_NOTIFICATION",
        "logLevel": "ERROR",
        "message": {"details": details},
        "logSourceId": {"userPoolId": user_pool_id},
    }


def subscription_message(
    records: list[dict[str, Any]], *, log_group: str, owner: str = "123456789012", log_stream: str = "cognito"
) -> dict[str, Any]:
    """Cognito's ``records`` as CloudWatch Logs hands them to a subscription: the shape of a line in the bucket."""
    return {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": ["cognito-errors"],
        "logEvents": [
            {"id": str(36_000_000_000 + i), "timestamp": int(r["eventTimestamp"]), "message": json.dumps(r)}
            for i, r in enumerate(records)
        ],
    }


STREAM_NAME = "cognito-errors"
"""The stream name in the objects' names (Firehose names an object after its stream)."""


def object_key(arrival: datetime, name_id: uuid.UUID, stream_name: str = STREAM_NAME) -> str:
    """Where Firehose puts an object whose oldest message arrived at ``arrival`` (UTC): the layout's prefix, then
    ``<stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid>.gz`` (Firehose guide, "Amazon S3 object name format")."""
    at = arrival.astimezone(UTC)
    return f"{SCHEME.render_prefix(at)}{stream_name}-1-{at:%Y-%m-%d-%H-%M-%S}-{name_id}.gz"


def write_object(root: Path, arrival: datetime, messages: list[dict[str, Any]], name_id: uuid.UUID) -> str:
    """One object as the stream writes it under ``root`` (a directory standing for the bucket): the subscription
    messages one JSON line each (the stream's AppendDelimiterToRecord), GZIP-compressed. Returns its key."""
    key = object_key(arrival, name_id)
    body = b"".join(json.dumps(m, separators=(",", ":")).encode() + b"\n" for m in messages)
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(compress_json(body, COMPRESSION))
    return key
