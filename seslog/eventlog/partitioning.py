"""Partitioning schemes: where Firehose puts each object, and how Athena finds it again.

A scheme is an ordered list of keys. Each key knows its Firehose prefix expression, its JQ
extraction when it is dynamic, its Glue partition column and its projection settings, so
the Firehose prefix and Athena's ``storage.location.template`` are both derived from the
same list and cannot disagree. Adding a key (a configuration set, a sender domain) is one
entry here.

Keys measure one of two clocks: the arrival at Firehose (``dt``, ``hour``: the oldest record
of the object, UTC), or the send time every event of a message carries (``sent``: its
``mail.timestamp``, extracted with JQ). A message's events arrive over days, so an arrival key
spreads them over several partitions; the send key puts them all in one, the day a user's
question names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime

from seslog.eventlog.events import EVENT_TYPES
from seslog.eventlog.prefixes import DATA_PREFIX

# Firehose appends this when a prefix has no timestamp expression (Firehose guide); schemes
# without a time key spell it out so that the layout is visible in the config.
DEFAULT_TIME_PATH = "yyyy/MM/dd/HH"

_JAVA_TO_STRFTIME = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H"}


def strftime_pattern(java_pattern: str) -> str:
    """The strftime equivalent of the Java DateTimeFormatter patterns this project uses."""
    out = java_pattern
    for java, py in _JAVA_TO_STRFTIME.items():
        out = out.replace(java, py)
    return out


@dataclass(frozen=True)
class PartitionKey:
    column: str
    """Glue partition column, and the ``column=`` label in the object path."""
    column_type: str
    prefix_expression: str
    """What Firehose puts in the path, e.g. ``!{timestamp:yyyy-MM-dd}``."""
    projection: dict[str, str] = field(default_factory=dict)
    """``projection.<column>.*`` table parameters, without the prefix."""
    jq: str | None = None
    """JQ expression extracting the value from a record, for dynamic keys."""
    time_pattern: str | None = None
    """Java DateTimeFormatter pattern, for keys taken from the arrival time."""
    clock: str | None = None
    """What a date key's days are: ``ARRIVAL`` (Firehose's clock) or ``SENT`` (``mail.timestamp``)."""
    late_days: int = 0
    """For the send key: days after sending within which an event is filed under its send day."""

    @property
    def dynamic(self) -> bool:
        return self.jq is not None

    def path_segment(self, value: str) -> str:
        return f"{self.column}={value}/"


ARRIVAL, SENT = "arrival", "sent"
DAY_PROJECTION = {"type": "date", "format": "yyyy-MM-dd", "interval": "1", "interval.unit": "DAYS"}


def date_key() -> PartitionKey:
    return PartitionKey(
        column="dt",
        column_type="string",
        prefix_expression="!{timestamp:yyyy-MM-dd}",
        time_pattern="yyyy-MM-dd",
        projection=dict(DAY_PROJECTION),
        clock=ARRIVAL,
    )


SENT_COLUMN = "sent"
"""The partition column holding the UTC day a message was sent, in the send-date scheme."""

DEFAULT_LATE_DAYS = 90
"""The send key's ``late_days`` when no stack says otherwise (demo data, the benchmark): the
default ``retentionDays``. A stack uses its own ``retentionDays`` (``scheme_for``)."""

# The detail objects whose timestamp is the event's time (seslog/eventlog/queries/fragments/event_time.sql).
_EVENT_TIMESTAMPS = ("delivery", "bounce", "complaint", "deliveryDelay", "open", "click", "subscription")


def _sent_day_jq(late_days: int) -> str:
    """JQ-1.6 (only ``fromdateiso8601``, ``strftime``, ``try``, ``error``, ``max``, ``//``) giving
    the send day ``yyyy-MM-dd`` of a record, or failing, which sends the record to the error prefix.

    - ``mail.timestamp`` must be an ISO 8601 time SES writes; a missing, non-string or impossible
      one (``2024-02-30`` parses and normalises to March 1: the round trip catches it) fails, so
      that no record reaches a partition Athena's projection does not list.
    - An event more than ``late_days`` after its mail (by its detail's timestamp) is filed under
      the day ``late_days`` before it happened instead: the send days a buffer interval can
      see are then at most ``late_days + 2``, which bounds the active partitions
      (``Scheme.max_active_partitions``) however late opens and clicks come.
    """
    parse = '(.[0:19] + "Z" | fromdateiso8601)'
    sent = (
        f"(.mail.timestamp | {parse} as $t"
        f' | if ($t | strftime("%Y-%m-%dT%H:%M:%S")) == .[0:19] then $t else error("mail.timestamp is not a date") end)'
    )
    happened = "(" + " // ".join(f".{k}.timestamp" for k in _EVENT_TIMESTAMPS) + f" | try {parse} catch null)"
    return f'({sent} as $sent | {happened} as $at | [$sent, ($at // $sent) - {late_days * 86400}] | max | strftime("%Y-%m-%d"))'


def _sent_key(late_days: int) -> PartitionKey:
    return PartitionKey(
        column=SENT_COLUMN,
        column_type="string",
        prefix_expression=f"!{{partitionKeyFromQuery:{SENT_COLUMN}}}",
        jq=_sent_day_jq(late_days),
        projection=dict(DAY_PROJECTION),
        clock=SENT,
        late_days=late_days,
    )


def send_date_scheme(late_days: int = DEFAULT_LATE_DAYS) -> Scheme:
    """Per UTC day of sending (JQ on ``mail.timestamp``), then per UTC day of arrival: every event
    of a message within ``late_days`` of its sending is in its send day's partitions, and the
    event-day queries (bounces of a day, daily counts) still prune by arrival."""
    if late_days < 1:
        raise ValueError(f"late_days {late_days} must be at least 1")
    return Scheme(
        "send-date",
        (_sent_key(late_days), date_key()),
        "per UTC day of sending (dynamic partitioning with JQ on mail.timestamp), then per UTC day of arrival",
    )


def _hour_key() -> PartitionKey:
    return PartitionKey(
        column="hour",
        column_type="int",
        prefix_expression="!{timestamp:HH}",
        time_pattern="HH",
        projection={"type": "integer", "range": "0,23", "digits": "2"},
    )


EVENT_TYPE_COLUMN = "event_type"
"""The partition column holding the event type's SES v2 API name, in schemes that have one."""


def _event_type_key() -> PartitionKey:
    # Values are the SES v2 API names (SEND, RENDERING_FAILURE ...): no spaces in the path,
    # and the same names as the `eventTypes` config. An unknown eventType yields null, which
    # Firehose sends to the error prefix rather than to a partition Athena does not project.
    lookup = json.dumps({e.record_name: e.api_name for e in EVENT_TYPES}, separators=(",", ":"))
    return PartitionKey(
        column=EVENT_TYPE_COLUMN,
        column_type="string",
        prefix_expression=f"!{{partitionKeyFromQuery:{EVENT_TYPE_COLUMN}}}",
        jq=f"({lookup})[.eventType]",
        projection={"type": "enum", "values": ",".join(e.api_name for e in EVENT_TYPES)},
    )


@dataclass(frozen=True)
class Scheme:
    name: str
    keys: tuple[PartitionKey, ...]
    description: str
    root: str = DATA_PREFIX
    """The prefix every object of the layout is under (``events/``; ``cognito/`` for Cognito's error log)."""

    @property
    def dynamic(self) -> bool:
        """Whether Firehose dynamic partitioning is needed (JQ metadata extraction)."""
        return any(k.dynamic for k in self.keys)

    @property
    def has_time_key(self) -> bool:
        return any(k.time_pattern for k in self.keys)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(k.column for k in self.keys)

    def key(self, clock: str) -> PartitionKey | None:
        """The date key on ``clock`` (``ARRIVAL`` or ``SENT``), if the scheme has one."""
        return next((k for k in self.keys if k.clock == clock), None)

    def max_active_partitions(self) -> int:
        """The most partitions the stream can have buffers open for at once (Firehose counts
        them against its active partitions limit), with the error prefix's. A buffer opened
        before midnight is still open after it, so every arrival-day key doubles the count.
        An enum key has its values; the send key the send days an interval's events can
        have (``late_days`` before the day they happen, to the next day around midnight)."""
        if not self.dynamic:
            return 1
        count = 1
        for key in self.keys:
            if key.clock == SENT:
                count *= key.late_days + 2
            elif key.projection.get("type") == "enum":
                count *= len(key.projection["values"].split(","))
        days = 2 if self.key(ARRIVAL) else 1
        return count * days + days

    def firehose_prefix(self) -> str:
        prefix = self.root + "".join(k.path_segment(k.prefix_expression) for k in self.keys)
        if not self.has_time_key:
            prefix += f"!{{timestamp:{DEFAULT_TIME_PATH}}}/"
        return prefix

    def metadata_extraction_query(self) -> str | None:
        """The JQ query Firehose runs on each record: one object with every dynamic key."""
        dynamic = [k for k in self.keys if k.dynamic]
        if not dynamic:
            return None
        return "{" + ",".join(f"{k.column}:{k.jq}" for k in dynamic) + "}"

    def location_template(self, bucket: str) -> str | None:
        """Athena's ``storage.location.template``: one ``${column}`` per key, ending in ``/``."""
        if not self.keys:
            return None
        return f"s3://{bucket}/{self.root}" + "".join(k.path_segment(f"${{{k.column}}}") for k in self.keys)

    def projection_parameters(self, bucket: str, retention_days: int) -> dict[str, str]:
        """Glue table parameters that turn on partition projection for this scheme."""
        template = self.location_template(bucket)
        if template is None:
            return {}
        params = {"projection.enabled": "true", "storage.location.template": template}
        for key in self.keys:
            for name, value in key.projection.items():
                params[f"projection.{key.column}.{name}"] = value
            if key.clock == ARRIVAL:
                # Objects older than the retention are gone: no need to project them.
                params[f"projection.{key.column}.range"] = f"NOW-{retention_days}DAYS,NOW"
            elif key.clock == SENT:
                # An object kept ``retention_days`` holds events sent up to ``late_days`` before it arrived.
                params[f"projection.{key.column}.range"] = f"NOW-{retention_days + key.late_days}DAYS,NOW"
        return params

    def render_prefix(self, arrival: datetime, dynamic_values: dict[str, str] | None = None) -> str:
        """The prefix Firehose evaluates for an object whose oldest record arrived at ``arrival``
        (UTC), given the values the JQ query extracted."""
        values = dynamic_values or {}
        path = self.root
        for key in self.keys:
            if key.time_pattern:
                value = arrival.strftime(strftime_pattern(key.time_pattern))
            else:
                value = values[key.column]
            path += key.path_segment(value)
        if not self.has_time_key:
            path += arrival.strftime(strftime_pattern(DEFAULT_TIME_PATH)) + "/"
        return path


SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        Scheme("none", (), "no partitions; Firehose's default yyyy/MM/dd/HH/ folders, every query scans all"),
        Scheme("date", (date_key(),), "one partition per UTC day of arrival: dt=yyyy-MM-dd"),
        Scheme("hour", (date_key(), _hour_key()), "per UTC day and hour of arrival: dt=yyyy-MM-dd/hour=HH"),
        Scheme(
            "event-type",
            (_event_type_key(), date_key()),
            "per event type (dynamic partitioning with JQ), then per UTC day",
        ),
        send_date_scheme(),
    )
}

DEFAULT_SCHEME = "date"
"""A stack's scheme when its config leaves ``partitioning`` out (the ``partitioning`` key's default)."""


def scheme_of(partitioning: str | Scheme) -> Scheme:
    """A scheme given as itself or by its name in ``SCHEMES``."""
    if isinstance(partitioning, Scheme):
        return partitioning
    if partitioning not in SCHEMES:
        raise ValueError(f"partitioning {partitioning!r} is none of {', '.join(SCHEMES)}")
    return SCHEMES[partitioning]


def scheme_for(partitioning: str, retention_days: int) -> Scheme:
    """A stack's scheme: the send-date scheme files late events under their send day for as long
    as the stack keeps objects (``retentionDays``); the other schemes do not depend on it."""
    scheme = scheme_of(partitioning)
    key = scheme.key(SENT)
    if key is None:
        return scheme
    return replace(scheme, keys=tuple(_sent_key(retention_days) if k is key else k for k in scheme.keys))


ACTIVE_PARTITIONS_LIMIT = 500
"""Firehose's default active partitions per stream (raisable to 5,000 on request); records past
it go to the error prefix."""


def max_late_days() -> int:
    """The longest ``late_days`` (so ``retentionDays``) with which the send-date scheme stays
    within ``ACTIVE_PARTITIONS_LIMIT``."""
    days = 1
    while scheme_for("send-date", days + 1).max_active_partitions() <= ACTIVE_PARTITIONS_LIMIT:
        days += 1
    return days
