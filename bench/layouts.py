"""The layouts compared: each format x partitioning scheme, the unoptimised baseline, and a
layout partitioned by recipient, designed to win the recipient lookup.

Every layout is written with the same stream settings, stated in the results. At the volumes
SES senders typically have (thousands to a million emails a day) no buffer ever fills
128 MiB, so objects are cut by the buffer interval: 900 s, the longest Firehose allows,
gives the fewest and largest objects; one layout at the program's default of 300 s shows
what the shorter interval costs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from seslog.eventlog.formats import FORMATS
from seslog.eventlog.layout import LayoutWriter, StreamSettings
from seslog.eventlog.partitioning import SCHEMES, PartitionKey, Scheme

RECIPIENT_BUCKETS = 8
"""Partitions of the recipient key. With the day key, at most 2 x 8 partitions are active at
once (a buffer open across midnight), far below Firehose's 500 active partitions."""

RECIPIENT_COLUMN = "recipient_bucket"

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def recipient_bucket(address: str) -> int:
    """The bucket of a message whose first recipient is ``address``: the sum of the code points
    of the address with ASCII letters lower-cased, modulo ``RECIPIENT_BUCKETS``. The same as
    the key's JQ (``ascii_downcase | explode | add``), so a client can compute the partition
    of an address it looks up. A hash and not the first character: the first characters of
    real addresses are uneven (and in the generated stream all the same)."""
    return sum(map(ord, address.translate(_ASCII_LOWER))) % RECIPIENT_BUCKETS


def _recipient_key() -> PartitionKey:
    return PartitionKey(
        column=RECIPIENT_COLUMN,
        column_type="int",
        prefix_expression=f"!{{partitionKeyFromQuery:{RECIPIENT_COLUMN}}}",
        jq=f"((.mail.destination[0] | ascii_downcase | explode | add) % {RECIPIENT_BUCKETS})",
        projection={"type": "integer", "range": f"0,{RECIPIENT_BUCKETS - 1}"},
    )


RECIPIENT_SCHEME = Scheme(
    "recipient",
    (_recipient_key(), *SCHEMES["date"].keys),
    f"per bucket of the first recipient's address (dynamic partitioning, {RECIPIENT_BUCKETS} buckets), then per UTC day",
)
"""Every event of a message lands in the partition of the message's first recipient
(``mail.destination[0]``): a lookup for any other recipient cannot use the bucket."""

BENCH_SCHEMES = {**SCHEMES, RECIPIENT_SCHEME.name: RECIPIENT_SCHEME}

STREAM = StreamSettings(buffer_size_mib=128, buffer_interval_seconds=900)
DEFAULT_INTERVAL_STREAM = dataclasses.replace(STREAM, buffer_size_mib=64, buffer_interval_seconds=300)
"""The program's default buffering (``bufferSizeMib`` 64, ``bufferIntervalSeconds`` 300)."""


@dataclass(frozen=True)
class Layout:
    name: str
    format: str
    compression: str
    scheme: str
    stream: StreamSettings = STREAM
    derived_from: str | None = None
    """A layout of the same format and stream whose objects this one has too, under other
    prefixes: without dynamic partitioning the stream keeps one buffer whatever the scheme,
    so the objects are the same and only their keys differ. Linked, not written again."""

    @property
    def partitioning(self) -> Scheme:
        return BENCH_SCHEMES[self.scheme]

    @property
    def description(self) -> str:
        return f"{self.format} {self.compression}, {self.scheme}, {self.stream.buffer_size_mib} MiB / {self.stream.buffer_interval_seconds} s"


BASELINE = "json-none"
"""GZIP JSON under Firehose's default ``yyyy/MM/dd/HH/`` folders, no partition projection:
the ``none`` scheme with JSON, where Athena reads every object whatever the query."""


def _layouts() -> dict[str, Layout]:
    layouts = []
    for fmt in FORMATS:
        compression = FORMATS[fmt].default_compression
        for scheme in SCHEMES.values():
            source = f"{fmt}-date" if not scheme.dynamic and scheme.name != "date" else None
            layouts.append(Layout(f"{fmt}-{scheme.name}", fmt, compression, scheme.name, derived_from=source))
    layouts += [
        Layout("json-recipient", "json", "GZIP", RECIPIENT_SCHEME.name),
        Layout("parquet-recipient", "parquet", "SNAPPY", RECIPIENT_SCHEME.name),
        Layout("parquet-date-300s", "parquet", "SNAPPY", "date", DEFAULT_INTERVAL_STREAM),
    ]
    return {layout.name: layout for layout in layouts}


LAYOUTS = _layouts()

EXTRA_LAYOUTS = ("parquet-recipient", "parquet-date-300s", "orc-send-date")
"""Written only when asked for (``--layouts all``), to keep the default run shorter: the recipient
layout in Parquet (the JSON one answers whether the layout pays), and Parquet at the program's
default 300 s interval (three times the objects of 900 s), and ORC by send day (the JSON and Parquet ones
answer whether the scheme pays)."""

DEFAULT_LAYOUTS = tuple(name for name in LAYOUTS if name not in EXTRA_LAYOUTS)


def derived_key(key: str, layout: Layout) -> str:
    """The key under ``layout`` of an object written with key ``key`` by its ``derived_from``
    layout: the scheme's prefix at the arrival time in the object's name (Firehose names it
    ``<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>``, the time of its oldest record)."""
    name = key.rsplit("/", 1)[-1]
    stamp = name[len(f"{layout.stream.stream_name}-{layout.stream.version}-") :][:19]
    arrival = datetime.strptime(stamp, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC)
    return layout.partitioning.render_prefix(arrival) + name


def writer(layout: Layout, root: Path, seed: int) -> LayoutWriter:
    """A writer for ``layout`` under ``root / layout.name``."""
    return LayoutWriter(
        root / layout.name,
        format=layout.format,
        partitioning=layout.partitioning,
        compression=layout.compression,
        stream=layout.stream,
        seed=seed,
    )
