"""Write SES records into a directory exactly as the Firehose stream writes them to the bucket.

The directory stands for the bucket: object keys become paths under it. For a format, a
compression and a partitioning scheme, a ``LayoutWriter`` does what the stream does:

- buffers records, per partition when the scheme is dynamic, and delivers a buffer as one
  object when it holds ``buffer_size_mib`` of incoming data or ``buffer_interval_seconds``
  after its oldest record arrived;
- evaluates the prefix the program registers (``Scheme.firehose_prefix()``) for each object:
  ``!{timestamp:...}`` is the arrival time (UTC) of the object's oldest record and
  ``!{partitionKeyFromQuery:...}`` the value the registered JQ query
  (``Scheme.metadata_extraction_query()``) extracts, run with the ``jq`` engine;
- names the object ``<prefix><stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><ext>``
  (Firehose guide, "Amazon S3 object name format"), the time being the oldest record's;
- JSON: concatenates the records as received (SES ends each with a newline), then compresses
  the object; Parquet/ORC: converts the records with the Glue columns
  (``seslog.eventlog.schema.glue_columns()``) as the OpenX deserializer reads them (``seslog.eventlog.arrow``);
- sends a record whose partition key is missing, null or not a scalar to the error prefix
  (``seslog.eventlog.prefixes.ERROR_PREFIX``) with error output type ``partitioning-failed``.

Records are handed over as ``Incoming`` objects, which compute their JSON line and their
partition keys once however many writers receive them, and whose Arrow rows are converted in
runs (``ArrowRows``), so one pass over a generated stream fills every format x scheme
(``write_layouts``).
"""

from __future__ import annotations

import base64
import bisect
import heapq
import itertools
import json
import random
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jq
import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import orc

from seslog.eventlog.arrow import row_converter, table_schema
from seslog.eventlog.compression import compress_json
from seslog.eventlog.formats import FORMATS, Format
from seslog.eventlog.partitioning import DEFAULT_TIME_PATH, Scheme, scheme_of, strftime_pattern
from seslog.eventlog.prefixes import ERROR_PREFIX
from seslog.eventlog.schema import glue_columns

MIB = 1024 * 1024

PARTITIONING_FAILED = "partitioning-failed"
"""Firehose's ``!{firehose:error-output-type}`` for a record whose partition keys cannot be
extracted (observed in aws-cdk's integration test of dynamic partitioning against AWS)."""

# pyarrow's names for the Firehose serializer compressions.
_PARQUET_COMPRESSION = {"SNAPPY": "snappy", "GZIP": "gzip", "UNCOMPRESSED": "none"}
_ORC_COMPRESSION = {"SNAPPY": "snappy", "ZLIB": "zlib", "NONE": "uncompressed"}

_EXPRESSION = re.compile(r"!\{([A-Za-z]+):([^}]*)\}")


class PrefixError(ValueError):
    """A prefix expression that cannot be evaluated for a record: Firehose sends the record
    to the error prefix."""


def java_time(pattern: str, at: datetime) -> str:
    """``at`` formatted with a Java DateTimeFormatter pattern of the kinds the project uses."""
    python = strftime_pattern(pattern)
    if re.search(r"[A-Za-z]", re.sub(r"%[A-Za-z]", "", python)):
        raise ValueError(f"timestamp pattern {pattern!r} has letters other than yyyy, MM, dd, HH")
    return at.astimezone(UTC).strftime(python)


def evaluate_prefix(
    template: str,
    arrival: datetime,
    partition_keys: Mapping[str, str] | None = None,
    *,
    error_output_type: str | None = None,
    random_string: Callable[[], str] | None = None,
) -> str:
    """A Firehose prefix with its expressions evaluated (Firehose guide, "Custom prefixes"):
    ``!{timestamp:<pattern>}`` at ``arrival`` (UTC), ``!{partitionKeyFromQuery:<key>}`` from
    ``partition_keys``, ``!{firehose:error-output-type}`` and ``!{firehose:random-string}``.
    A prefix without a timestamp expression gets Firehose's default ``yyyy/MM/dd/HH/``."""

    def value(match: re.Match[str]) -> str:
        namespace, name = match.groups()
        if namespace == "timestamp":
            return java_time(name, arrival)
        if namespace == "partitionKeyFromQuery":
            if partition_keys is None or name not in partition_keys:
                raise PrefixError(f"no value for partition key {name!r}")
            return partition_keys[name]
        if namespace == "firehose" and name == "error-output-type" and error_output_type:
            return error_output_type
        if namespace == "firehose" and name == "random-string" and random_string:
            return random_string()
        raise PrefixError(f"cannot evaluate !{{{namespace}:{name}}} here")

    evaluated = _EXPRESSION.sub(value, template)
    if "!{timestamp:" not in template:
        evaluated += java_time(DEFAULT_TIME_PATH, arrival) + "/"
    return evaluated


class Incoming:
    """One record as the stream receives it, with what writers derive from it, each computed once."""

    __slots__ = ("_keys", "_line", "arrival", "index", "record", "rows")

    def __init__(self, arrival: datetime, record: Mapping[str, Any], *, index: int = 0, rows: ArrowRows | None = None):
        if arrival.tzinfo is None:
            raise ValueError("arrival must be timezone-aware (UTC)")
        self.arrival = arrival
        self.record = record
        self.index = index
        """Its position in the stream."""
        self.rows = rows
        """The stream's Arrow rows, when it came through ``ArrowRows.receive``."""
        self._line: bytes | None = None
        self._keys: dict[str, dict[str, str] | None] = {}

    @property
    def line(self) -> bytes:
        """The bytes SES puts: the JSON object followed by a newline (SES guide)."""
        if self._line is None:
            self._line = (json.dumps(self.record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        return self._line

    def know_keys(self, extractor: KeyExtractor, keys: dict[str, str] | None) -> None:
        """Record the partition keys ``extractor`` gives this record, found by other means."""
        self._keys[extractor.query] = keys

    def partition_keys(self, extractor: KeyExtractor) -> dict[str, str] | None:
        if extractor.query not in self._keys:
            self._keys[extractor.query] = extractor.extract(self.line)
        return self._keys[extractor.query]


class ArrowRows:
    """The records of one stream as rows of the Glue table, converted a run at a time.

    Building an object's table from its records costs about 2 ms an object with this schema,
    whatever its size. Instead, when an object is delivered, every record received since the
    last conversion is converted as one run, and the object's table is taken from the runs
    that hold its records: one conversion serves every format and scheme written."""

    def __init__(self, schema: pa.Schema):
        self.schema = schema
        self._convert = row_converter(schema)
        self._received: list[Incoming] = []
        """Records not converted yet, in stream order."""
        self._starts: list[int] = []
        self._runs: list[pa.Table] = []
        self._next = 0

    def receive(self, arrival: datetime, record: Mapping[str, Any]) -> Incoming:
        incoming = Incoming(arrival, record, index=self._next, rows=self)
        self._next += 1
        self._received.append(incoming)
        return incoming

    def table(self, records: Sequence[Incoming]) -> pa.Table:
        """The rows of ``records`` (received here, in stream order) as one table."""
        if self._received and records[-1].index >= self._received[0].index:
            self._starts.append(self._received[0].index)
            self._runs.append(convert_rows(self._received, self._convert, self.schema))
            self._received = []
        # One take from the runs that hold the records, side by side (a take costs about the
        # same whatever its size: it visits every column of this nested schema).
        first = bisect.bisect_right(self._starts, records[0].index) - 1
        last = bisect.bisect_right(self._starts, records[-1].index)
        offsets, total = {}, 0
        for run in range(first, last):
            offsets[run] = total - self._starts[run]
            total += self._runs[run].num_rows
        positions = [r.index + offsets[bisect.bisect_right(self._starts, r.index, first, last) - 1] for r in records]
        return pa.concat_tables(self._runs[first:last]).take(positions).combine_chunks()

    def forget_before(self, index: int) -> None:
        """Drop the rows of records before ``index``: no object will hold them any more."""
        while len(self._starts) > 1 and self._starts[1] <= index:
            del self._starts[0], self._runs[0]
        self._received = [r for r in self._received if r.index >= index]


def convert_rows(
    records: Sequence[Incoming], convert: Callable[[Mapping[str, Any]], dict[str, Any]], schema: pa.Schema
) -> pa.Table:
    return pa.Table.from_pylist([convert(r.record) for r in records], schema=schema)


class KeyExtractor:
    """Firehose's inline parsing: the JQ metadata extraction query run on each record."""

    def __init__(self, query: str, keys: Sequence[str]):
        self.query = query
        self.keys = tuple(keys)
        self._program = jq.compile(query)

    def extract(self, data: bytes) -> dict[str, str] | None:
        """The partition keys of a record, or None when Firehose could not partition it
        (the query fails, or a key is missing, null or not a scalar)."""
        try:
            result = self._program.input_text(data.decode()).first()
        except (ValueError, StopIteration):
            return None
        return self.keys_of(result)

    def keys_of(self, result: Any) -> dict[str, str] | None:
        """The partition keys in the query's result for a record, or None (see ``extract``)."""
        if not isinstance(result, dict):
            return None
        values = {}
        for key in self.keys:
            value = result.get(key)
            if value is None or isinstance(value, (dict, list)):
                return None
            values[key] = json.dumps(value) if isinstance(value, bool) else str(value)
        return values


class CombinedExtractor:
    """Several extraction queries run as one JQ program, ``[(q1), (q2), ...]``: jq parses each
    record once for all of them, which is most of the cost of a query. A record for which the
    program fails or a query does not give exactly one result is left to each query alone."""

    def __init__(self, extractors: Sequence[KeyExtractor]):
        self.extractors = tuple(extractors)
        self._program = jq.compile("[" + ", ".join(f"({e.query})" for e in self.extractors) + "]")

    def fill(self, incoming: Incoming) -> None:
        try:
            results = self._program.input_text(incoming.line.decode()).first()
        except (ValueError, StopIteration):
            return
        if len(results) == len(self.extractors):
            for extractor, result in zip(self.extractors, results, strict=True):
                incoming.know_keys(extractor, extractor.keys_of(result))


@dataclass(frozen=True)
class WrittenObject:
    key: str
    """The object key: the path under the layout directory."""
    records: int
    size: int
    """Bytes in the object."""
    error: bool = False
    """Whether it went to the error prefix."""


@dataclass
class _Buffer:
    prefix: str
    started: datetime
    records: list[Incoming] = field(default_factory=list)
    size: int = 0


@dataclass(frozen=True)
class StreamSettings:
    """The stream settings that shape the layout, as the program configures them."""

    buffer_size_mib: int = 64
    buffer_interval_seconds: int = 300
    stream_name: str = "ses-event-log"
    """The delivery stream's name, which starts every object name."""
    version: int = 1
    """The stream's configuration version in object names (starts at 1)."""


class LayoutWriter:
    """Writes records under ``root`` as one Firehose stream would, for a format, compression
    and partitioning scheme. Feed it ``Incoming`` records in arrival order, then ``close()``."""

    def __init__(
        self,
        root: Path,
        *,
        format: str = "json",
        partitioning: str | Scheme = "date",
        compression: str | None = None,
        stream: StreamSettings = StreamSettings(),
        seed: int = 0,
    ):
        if format not in FORMATS:
            raise ValueError(f"format {format!r} is none of {', '.join(FORMATS)}")
        self.format: Format = FORMATS[format]
        self.scheme: Scheme = scheme_of(partitioning)
        self.compression = compression or self.format.default_compression
        if self.compression not in self.format.compressions:
            raise ValueError(f"compression {self.compression!r} is none of {', '.join(self.format.compressions)} for {format}")
        self.root = Path(root)
        self.stream = stream
        self.schema = table_schema(glue_columns())
        self._convert = row_converter(self.schema)
        query = self.scheme.metadata_extraction_query()
        dynamic = [k.column for k in self.scheme.keys if k.dynamic]
        self.extractor = KeyExtractor(query, dynamic) if query else None
        self._prefix = self.scheme.firehose_prefix()
        self._rng = random.Random(seed)
        # Buffers by their partition key values (None: records that could not be partitioned).
        self._buffers: dict[tuple[str, ...] | None, _Buffer] = {}
        # Deadlines in a heap; buffers whose deadlines tie are delivered in the order they opened.
        self._deadlines: list[tuple[datetime, int, tuple[str, ...] | None]] = []
        self._opened = itertools.count()
        self._last: datetime | None = None
        self._received = 0
        self._folders: set[Path] = set()
        self.objects: list[WrittenObject] = []
        self.busiest = 0
        """The most buffers open at once: Firehose's active partitions (its limit is 500 by default)."""
        self.busiest_at: datetime | None = None

    def put(self, incoming: Incoming) -> None:
        if self._last is not None and incoming.arrival < self._last:
            raise ValueError(f"records must come in arrival order: {incoming.arrival} after {self._last}")
        self._last = incoming.arrival
        self._received = incoming.index + 1
        self._deliver_due(incoming.arrival)
        keys = incoming.partition_keys(self.extractor) if self.extractor else {}
        # A buffer per evaluated prefix: per partition for dynamic schemes; the timestamp in
        # the prefix is the buffer's oldest record's, so it is fixed when the buffer opens.
        group = None if keys is None else tuple(keys.values())
        buffer = self._buffers.get(group)
        if buffer is None:
            if keys is None:
                prefix = evaluate_prefix(ERROR_PREFIX, incoming.arrival, error_output_type=PARTITIONING_FAILED)
            else:
                prefix = evaluate_prefix(self._prefix, incoming.arrival, keys)
            buffer = self._buffers[group] = _Buffer(prefix, incoming.arrival)
            deadline = incoming.arrival + timedelta(seconds=self.stream.buffer_interval_seconds)
            heapq.heappush(self._deadlines, (deadline, next(self._opened), group))
            if len(self._buffers) > self.busiest:
                self.busiest, self.busiest_at = len(self._buffers), incoming.arrival
        buffer.records.append(incoming)
        buffer.size += len(incoming.line)
        if buffer.size >= self.stream.buffer_size_mib * MIB:
            self._deliver(group)

    def oldest_buffered(self) -> int:
        """The stream index of the oldest record still buffered (past the last one when none)."""
        return min((b.records[0].index for b in self._buffers.values()), default=self._received)

    def close(self) -> list[WrittenObject]:
        """Deliver what is still buffered; returns every object written."""
        for group in list(self._buffers):
            self._deliver(group)
        self._deadlines.clear()
        return self.objects

    def _deliver_due(self, now: datetime) -> None:
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, _, group = heapq.heappop(self._deadlines)
            buffer = self._buffers.get(group)
            # The heap may hold the deadline of a buffer already delivered for its size.
            if buffer is not None and buffer.started + timedelta(seconds=self.stream.buffer_interval_seconds) == deadline:
                self._deliver(group)

    def _deliver(self, group: tuple[str, ...] | None) -> None:
        buffer = self._buffers.pop(group)
        error = group is None
        started = buffer.started.astimezone(UTC)
        name = f"{self.stream.stream_name}-{self.stream.version}-{started:%Y-%m-%d-%H-%M-%S}-{uuid.UUID(int=self._rng.getrandbits(128), version=4)}"
        if error:
            key, body = buffer.prefix + name, _error_documents(buffer.records)
        else:
            key, body = buffer.prefix + name + self.format.file_extension(self.compression), self._body(buffer.records)
        path = self.root / key
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        path.write_bytes(body)
        self.objects.append(WrittenObject(key, len(buffer.records), len(body), error))

    def _body(self, records: list[Incoming]) -> bytes:
        if not self.format.converts:
            return compress_json(b"".join(r.line for r in records), self.compression)
        # Records from write_layouts share their stream's converted rows (the same Glue schema).
        rows = records[0].rows
        table = rows.table(records) if rows is not None else convert_rows(records, self._convert, self.schema)
        sink = pa.BufferOutputStream()
        if self.format.name == "parquet":
            pq.write_table(table, sink, compression=_PARQUET_COMPRESSION[self.compression])
        else:
            orc.write_table(_without_nested_struct_nulls(table), sink, compression=_ORC_COMPRESSION[self.compression])
        return sink.getvalue().to_pybytes()


def _without_nested_struct_nulls(table: pa.Table) -> pa.Table:
    """``table`` with every null struct that sits directly in another struct (``mail.commonheaders``
    of a Rendering Failure) turned into a struct of nulls. pyarrow's ORC writer corrupts the rows
    after such a null (later values read back empty, with pyarrow and with pyorc alike), so ORC
    written here shows that struct as all-null fields instead of NULL; Firehose's own writer
    keeps the NULL. Queries read the same fields either way."""

    def fix(array: pa.Array, keep_nulls: bool) -> pa.Array:
        if pa.types.is_struct(array.type):
            # flatten() gives the children null where the struct is null (else they hold empties).
            children = [fix(child, keep_nulls=False) for child in array.flatten()]
            mask = array.is_null() if keep_nulls and array.null_count else None
            return pa.StructArray.from_arrays(children, fields=list(array.type), mask=mask)
        mask = array.is_null() if array.null_count else None
        if pa.types.is_map(array.type):
            return pa.MapArray.from_arrays(
                array.offsets, array.keys, fix(array.items, keep_nulls=True), type=array.type, mask=mask
            )
        if pa.types.is_list(array.type):
            return pa.ListArray.from_arrays(array.offsets, fix(array.values, keep_nulls=True), type=array.type, mask=mask)
        return array

    columns = [
        pa.chunked_array([fix(chunk, keep_nulls=True) for chunk in column.chunks], type=column.type) for column in table.columns
    ]
    return pa.Table.from_arrays(columns, schema=table.schema)


def _error_documents(records: list[Incoming]) -> bytes:
    # The Firehose guide documents this envelope for records it could not convert or process;
    # for partitioning failures it says only that the object holds the record and the error, so
    # the error code and message here are this writer's words, not Firehose's.
    lines = []
    for r in records:
        millis = int(r.arrival.timestamp() * 1000)
        lines.append(
            json.dumps(
                {
                    "attemptsMade": 1,
                    "arrivalTimestamp": millis,
                    "errorCode": "DynamicPartitioning.MetadataExtractionFailed",
                    "errorMessage": "The partition keys could not be extracted from the record.",
                    "attemptEndingTimestamp": millis,
                    "rawData": base64.b64encode(r.line).decode(),
                }
            )
        )
    return ("\n".join(lines) + "\n").encode()


FORGET_EVERY = 4096
"""Records between two drops of the rows no buffer holds any more."""


def write_layouts(events: Iterable[tuple[datetime, Mapping[str, Any]]], writers: Sequence[LayoutWriter]) -> None:
    """Feed one stream of ``(arrival, record)`` to every writer, then close them; each record's
    JSON, row and partition keys are computed once for all of them."""
    rows = ArrowRows(table_schema(glue_columns()))
    extractors = {w.extractor.query: w.extractor for w in writers if w.extractor}
    combined = CombinedExtractor(list(extractors.values())) if len(extractors) > 1 else None
    for arrival, record in events:
        incoming = rows.receive(arrival, record)
        if combined:
            combined.fill(incoming)
        for writer in writers:
            writer.put(incoming)
        if incoming.index % FORGET_EVERY == 0:
            rows.forget_before(min((w.oldest_buffered() for w in writers), default=incoming.index))
    for writer in writers:
        writer.close()


def write_layout(
    events: Iterable[tuple[datetime, Mapping[str, Any]]],
    root: Path,
    *,
    format: str = "json",
    partitioning: str | Scheme = "date",
    compression: str | None = None,
    stream: StreamSettings = StreamSettings(),
    seed: int = 0,
) -> list[WrittenObject]:
    """Write ``events`` under ``root`` as one stream would; returns the objects written."""
    writer = LayoutWriter(root, format=format, partitioning=partitioning, compression=compression, stream=stream, seed=seed)
    write_layouts(events, [writer])
    return writer.objects
