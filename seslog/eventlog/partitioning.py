"""Partitioning schemes: where Firehose puts each object, and how Athena finds it again.

A scheme is an ordered list of keys. Each key knows its Firehose prefix expression, its JQ
extraction when it is dynamic, its Glue partition column and its projection settings, so
the Firehose prefix and Athena's ``storage.location.template`` are both derived from the
same list and cannot disagree. Adding a key (a configuration set, a sender domain) is one
entry here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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

    @property
    def dynamic(self) -> bool:
        return self.jq is not None

    def path_segment(self, value: str) -> str:
        return f"{self.column}={value}/"


def _date_key() -> PartitionKey:
    return PartitionKey(
        column="dt",
        column_type="string",
        prefix_expression="!{timestamp:yyyy-MM-dd}",
        time_pattern="yyyy-MM-dd",
        projection={"type": "date", "format": "yyyy-MM-dd", "interval": "1", "interval.unit": "DAYS"},
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

    def firehose_prefix(self) -> str:
        prefix = DATA_PREFIX + "".join(k.path_segment(k.prefix_expression) for k in self.keys)
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
        return f"s3://{bucket}/{DATA_PREFIX}" + "".join(
            k.path_segment(f"${{{k.column}}}") for k in self.keys
        )

    def projection_parameters(self, bucket: str, retention_days: int) -> dict[str, str]:
        """Glue table parameters that turn on partition projection for this scheme."""
        template = self.location_template(bucket)
        if template is None:
            return {}
        params = {"projection.enabled": "true", "storage.location.template": template}
        for key in self.keys:
            for name, value in key.projection.items():
                params[f"projection.{key.column}.{name}"] = value
            if key.projection.get("type") == "date":
                # Objects older than the retention are gone: no need to project them.
                params[f"projection.{key.column}.range"] = f"NOW-{retention_days}DAYS,NOW"
        return params

    def render_prefix(self, arrival: datetime, dynamic_values: dict[str, str] | None = None) -> str:
        """The prefix Firehose evaluates for an object whose oldest record arrived at ``arrival``
        (UTC), given the values the JQ query extracted."""
        values = dynamic_values or {}
        path = DATA_PREFIX
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
        Scheme("date", (_date_key(),), "one partition per UTC day of arrival: dt=yyyy-MM-dd"),
        Scheme("hour", (_date_key(), _hour_key()), "per UTC day and hour of arrival: dt=yyyy-MM-dd/hour=HH"),
        Scheme(
            "event-type",
            (_event_type_key(), _date_key()),
            "per event type (dynamic partitioning with JQ), then per UTC day",
        ),
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
