"""Run the named queries with DuckDB over a local copy of the bucket (see ``seslog.eventlog.layout``).

``LocalEvents`` opens a directory laid out as the bucket, in any format and scheme, as the
view ``events``: the Glue table's columns (``seslog.eventlog.schema.glue_columns()``), their struct
fields under the Glue (lower-case) names, plus the scheme's partition columns, their values
taken from the object paths as Athena's partition projection does. Opening lists the objects
and reads none: every query reads them itself, and its predicates on the partition columns
keep it from opening the objects of other partitions, in every format. Every view is a
connection to the process's one DuckDB database; what the process read and may read again is
kept (Parquet footers, ORC columns) until ``forget()``, and an object changed since is read anew.

- Parquet: DuckDB's ``read_parquet``.
- JSON: each line read as text by DuckDB's ``read_json_objects`` and typed by one
  ``json_transform`` from ``seslog.eventlog.schema`` under the keys as SES writes them
  (``Field.name``: DuckDB matches keys case-sensitively), renamed to the Glue names in the view
  (struct fields with ``remap_struct``; map keys keep their case). Every query parses whole
  lines, which costs less than ``read_json``'s typed columns do for each object it opens.
  Firehose's Hadoop-framed Snappy, which DuckDB cannot
  decompress, is decompressed into a temporary copy when the directory is opened (a damaged
  object then raises ``UnreadableObjectError`` naming it).
- ORC, which DuckDB cannot read: a ``pyarrow.dataset`` of the objects there when the
  directory is opened, which DuckDB scans, pushing its partition filters and columns into it;
  the columns read are kept in memory, up to ``_ORC_KEPT_BYTES`` (``_OrcObjects``).
  ORC written by ``seslog.eventlog.layout`` holds a struct of nulls where Firehose writes a null
  ``mail.commonheaders``; the queries read both alike.

JSON is read as the OpenX SerDe reads it (``seslog.eventlog.arrow``) for every record SES writes:
keys that match no column are ignored, missing keys are null, a string column takes any JSON
value as compact JSON text, and an empty string for an array is null. A line that is not a JSON
object fails the query, naming the object and the line, as the SerDe fails an Athena query on
it (the program's table leaves ``ignore.malformed.json`` at false); so does a JSON object with
neither ``eventType`` nor ``mail``, which the SerDe would read as a row of nulls. Records SES never writes read differently: a key in another case
(``eventtype``) is ignored rather than matched; a non-array value for an array column (or map
value) is null rather than a one-element array; a value of the wrong type for a boolean or
number column is converted where DuckDB can (``1`` is true) rather than null; an empty line is
skipped rather than a row of nulls.
"""

from __future__ import annotations

import functools
import json
import os
import re
import struct
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
from pyarrow.fs import LocalFileSystem

from seslog.eventlog.arrow import table_schema
from seslog.eventlog.compression import decompress_json
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.partitioning import SCHEMES, Scheme, scheme_of
from seslog.eventlog.prefixes import DATA_PREFIX, FETCHED_DAYS, FIREHOSE_NAME
from seslog.eventlog.queries import QUERIES, NamedQuery, QueryError, message_arrival_days
from seslog.eventlog.schema import DUCKDB_TYPES, RECORD, Array, Field, Map, Struct, Type, duckdb_type, glue_columns

if TYPE_CHECKING:
    from seslog.compaction.manifest import Manifest
    from seslog.compaction.tables import Answered

TABLE = "events"
"""The DuckDB view the rendered queries read."""


_ORC_BATCH_ROWS = 2048
"""DuckDB's vector size."""

_ORC_READ_AT_ONCE = 256
"""ORC objects read in one pyarrow scan (which reads objects ahead, twice as fast as one by one)."""

_ORC_KEPT_BYTES = 512 * 1024**2
"""How much of the ORC columns read stays in memory for the next queries (see ``_KeptColumns``)."""

_FRAMED_SNAPPY = "HADOOP_SNAPPY"
"""The one JSON compression DuckDB cannot read (it reads gzip and plain text itself)."""


class LayoutError(ValueError):
    """A directory that does not hold event objects laid out as Firehose writes them."""


class UnreadableObjectError(ValueError):
    """An event object that cannot be read; the message starts with its path."""


class MalformedRecord(ValueError):
    """A JSON line that is not a JSON object. Athena's OpenX SerDe fails the query on it
    (``HIVE_CURSOR_ERROR: Row is not a valid JSON Object``) unless the table sets
    ``ignore.malformed.json``, which the program's table does not: so does this engine."""


_NOT_A_RECORD = "seslog: not an SES record in "
"""What the view's ``error()`` says, followed by the object's path."""

_MALFORMED_JSON = re.compile(r'Malformed JSON in file "(.+?)", at ')
"""How DuckDB names the object holding a line that is not JSON."""

_SCHEMA_MISMATCH = re.compile(r'Failed to read file "(.+?)": schema mismatch')
"""How DuckDB names a Parquet object whose columns are not those of the first it read."""

_RECORD_COLUMNS = frozenset(RECORD.field(name).column for name in ("eventType", "mail"))
"""The columns every SES event object has: an object with neither is foreign to the event log."""


class ForeignObjectError(UnreadableObjectError):
    """An object of the copy's format that is no SES event object (foreign columns, or a column of another type);
    the message starts with its key."""


def _foreign(key: str, columns: Iterable[str]) -> str:
    names = ", ".join(columns) or "none"
    return f"{key}: not an SES event object (its columns: {names}; an event object has eventtype and mail); remove it"


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@functools.cache
def _extensions() -> tuple[tuple[str, str, str], ...]:
    """(file extension, format, compression) for every object a stream can write, longest first
    (asked once per object listed: worked out once)."""
    found = {(f.file_extension(c), f.name, c) for f in FORMATS.values() for c in f.compressions}
    return tuple(sorted(found, key=lambda e: -len(e[0])))


def _kind(path: Path) -> tuple[str, str] | None:
    return next(((fmt, comp) for ext, fmt, comp in _extensions() if path.name.endswith(ext)), None)


def object_files(data: Path) -> list[Path]:
    """Every file under ``data`` (a copy's ``events/``), sorted: what ``layout`` sorts into objects and skipped files."""
    return sorted(p for p in data.rglob("*") if p.is_file())


_DAY_FOLDERS = re.compile(r"\d{4}/\d{2}/\d{2}/\d{2}")
"""Firehose's default ``yyyy/MM/dd/HH`` folders, which the ``none`` scheme's objects lie under."""


def _scheme_of_path(relative: Path, given: Scheme | None = None) -> str | None:
    """The scheme an object's folders fit (``given``, a caller's own such as the benchmark's, else one of ``SCHEMES``),
    or None when they fit none (a file foreign to the layout)."""
    folders = relative.parts[:-1]
    if folders and all("=" in part for part in folders):
        columns = tuple(part.split("=", 1)[0] for part in folders)
        return next((s.name for s in ([given] if given else SCHEMES.values()) if s.columns == columns), None)
    return "none" if _DAY_FOLDERS.fullmatch("/".join(folders)) else None


@dataclass(frozen=True)
class Layout:
    """The event objects under a directory's ``events/``, and the files there that are not event objects."""

    format: str
    scheme: str
    objects: list[Path]
    skipped: list[Path]
    """Files under ``events/`` that are no event object of the layout (hidden, foreign names or folders), skipped."""


def layout(data: Path, files: list[Path], format: str | None = None, partitioning: Scheme | None = None) -> Layout:
    """The objects of ``files`` (under ``data``) laid out in one format and scheme (those given, else the only ones
    found); a hidden file or folder (``.DS_Store``), a name of no event object, or folders of no scheme are skipped."""
    kinds: dict[Path, tuple[str, str]] = {}
    skipped = []
    for path in files:
        relative = path.relative_to(data)
        kind = _kind(path)
        scheme = _scheme_of_path(relative, partitioning)
        if kind is None or scheme is None or any(part.startswith(".") for part in relative.parts):
            skipped.append(path)
        else:
            kinds[path] = (kind[0], scheme)
    if not kinds:
        raise LayoutError(f"no event objects under {data}" if not files else f"{data} holds no json, parquet or orc objects")
    formats = {format} if format else {fmt for fmt, _ in kinds.values()}
    if len(formats) != 1:
        raise LayoutError(f"{data} holds objects of several formats")
    (found_format,) = formats
    schemes = {partitioning.name} if partitioning else {s for fmt, s in kinds.values() if fmt == found_format}
    if len(schemes) != 1:
        raise LayoutError(f"the folders under {data} match no single partitioning scheme ({', '.join(SCHEMES)})")
    (found_scheme,) = schemes
    objects = [p for p, (fmt, s) in kinds.items() if fmt == found_format and (partitioning or s == found_scheme)]
    # A file of another format or scheme than the one given (or found) is no object of this copy either.
    skipped += [p for p in kinds if p not in set(objects)] if partitioning or format else []
    return Layout(found_format, found_scheme, objects, sorted(skipped))


def _fetched_days(root: Path) -> frozenset[date]:
    """The days ``seslog download`` recorded fetching into ``root`` (``FETCHED_DAYS``); none when it recorded none."""
    marker = root / FETCHED_DAYS
    if not marker.is_file():
        return frozenset()
    try:
        return frozenset(date.fromisoformat(day) for day in json.loads(marker.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        raise LayoutError(f"{marker} is not a list of days (YYYY-MM-DD): delete it, or fetch the days again") from None


def detect(root: Path) -> tuple[str, str]:
    """The format and partitioning scheme of the event objects under ``root``, judged from their
    file extensions and the ``column=value`` folders of their paths."""
    data = Path(root) / DATA_PREFIX
    found = layout(data, object_files(data))
    return found.format, found.scheme


def arrival_day(relative: Path) -> date | None:
    """The UTC day an object arrived, from its key: the ``dt=`` folder, else the time in the name Firehose gives it,
    else its ``yyyy/MM/dd`` folders."""
    for part in relative.parts[:-1]:
        if part.startswith("dt="):
            return _day(part[3:])
    if named := FIREHOSE_NAME.search(relative.name):
        return _day(named.group(1))
    folders = relative.parts[:-1]
    return _day("-".join(folders[:3])) if _DAY_FOLDERS.fullmatch("/".join(folders)) else None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_structure(type_: Type) -> Any:
    """``json_transform``'s structure for a schema type, its struct fields under the JSON keys."""
    if isinstance(type_, Struct):
        return {f.name: _json_structure(f.type) for f in type_.fields}
    if isinstance(type_, Array):
        return [_json_structure(type_.element)]
    return duckdb_type(type_, _json_key)


def _renaming(type_: Type) -> str | None:
    """``remap_struct``'s mapping from the JSON key names within ``type_`` to the Glue names, or
    None when it holds no struct."""
    if isinstance(type_, Struct):
        return "{" + ", ".join(f"{_sql_string(f.column)}: {_renamed(f.name, f.type)}" for f in type_.fields) + "}"
    if isinstance(type_, Array) and (element := _renaming(type_.element)):
        return f"{{'list': {_renamed('list', type_.element, element)}}}"
    if isinstance(type_, Map) and (value := _renaming(type_.value)):
        return f"{{'key': 'key', 'value': {_renamed('value', type_.value, value)}}}"
    return None


def _renamed(source: str, type_: Type, inner: str | None = None) -> str:
    inner = inner or _renaming(type_)
    return f"ROW({_sql_string(source)}, {inner})" if inner else _sql_string(source)


def _json_key(field: Field) -> str:
    return field.name


def _glue_column(field: Field) -> str:
    """The select item turning a column read under its JSON key into its Glue column."""
    mapping = _renaming(field.type)
    if mapping is None:
        return f"{_identifier(field.name)} AS {_identifier(field.column)}"
    return f"remap_struct({_identifier(field.name)}, NULL::{duckdb_type(field.type)}, {mapping}, NULL) AS {_identifier(field.column)}"


_EVENT_TYPE, _MAIL = RECORD.field("eventType"), RECORD.field("mail")


def _checked_column(field: Field) -> str:
    """``_glue_column``, but reading any column from a line that is no SES record is an error.

    ``json_transform`` reads a value of the wrong type as null, as the OpenX SerDe does; it also
    reads a JSON line that is not an object as a row of nulls, where the SerDe fails the query.
    Every SES record has ``eventType`` and ``mail``, so a row without either is such a line (a
    line that is not JSON at all fails ``read_json_objects``, which names the object). Every column checks it, not
    only ``eventtype``: DuckDB evaluates a query's filters (``mail.messageid = ?``, the event's day) before the
    columns it selects, and a filter of a column without the check would drop the line before any check saw it."""
    missing = f"{_identifier(_EVENT_TYPE.name)} IS NULL AND {_identifier(_MAIL.name)} IS NULL"
    return f"CASE WHEN {missing} THEN error({_sql_string(_NOT_A_RECORD)} || filename) ELSE {_glue_column(field).rsplit(' AS ', 1)[0]} END AS {_identifier(field.column)}"


class _Stopped(Exception):
    """The query was interrupted: the ORC scan ends (nothing half read is kept)."""


class _OrcObjects(ds.FileSystemDataset):
    """ORC objects for DuckDB, which pushes its partition filters and columns into ``scanner``.

    The columns a query reads of each object stay in memory for the next (``_KEPT``): pyarrow's
    ORC reader sets up every column it reads for each object, about a millisecond for the few
    records of a Firehose object, and one question asks several queries of the same objects
    (why: the events, then the address's other labels; the message page: the timeline, then the
    verdicts), as do the questions that follow it in serve and mcp. Objects are read in batches of
    DuckDB's vector size: pyarrow's default of 131,072 rows sets up buffers for that many rows of
    every nested column."""

    def __init__(self, fragments: list[ds.Fragment], schema: pa.Schema, partitions: list[str]):
        files = fragments[0].filesystem if fragments else LocalFileSystem()
        super().__init__(fragments, schema, ds.OrcFileFormat(), files)
        self._partitions = partitions
        self.unreadable: UnreadableObjectError | None = None
        """The object the last query could not read (DuckDB reports it with a Python traceback)."""
        self.stop = threading.Event()
        """Set when the query is interrupted: the scan ends at the next object (DuckDB would wait for its end)."""

    def scanner(self, **options: Any) -> ds.Scanner:
        filter_, columns = options.get("filter"), options.get("columns")
        # The filter's columns too: DuckDB leaves out of ``columns`` those it only filters on. A
        # name found in the filter's text that it does not use only costs a column read.
        text = "" if filter_ is None else str(filter_)
        wanted = set(columns if columns is not None else self.schema.names)
        wanted |= {name for name in self.schema.names if re.search(rf'(?<![\w"]){re.escape(name)}(?![\w"])', text)}
        schema = pa.schema([f for f in self.schema if f.name in wanted or f.name in self._partitions])
        fragments = list(self.get_fragments() if filter_ is None else self.get_fragments(filter=filter_))
        return ds.Scanner.from_batches(self._batches(fragments, schema), schema=schema, columns=columns, filter=filter_)

    def _batches(self, fragments: list[ds.Fragment], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        data = [name for name in schema.names if name not in self._partitions]
        for start in range(0, len(fragments), _ORC_READ_AT_ONCE):
            if self.stop.is_set():
                raise _Stopped
            some = fragments[start : start + _ORC_READ_AT_ONCE]
            tables = []
            for fragment, columns in zip(some, _KEPT.columns(some, data, self._read), strict=True):
                values = ds.get_partition_keys(fragment.partition_expression)
                rows = len(columns[data[0]]) if data else fragment.count_rows()
                arrays = [columns[f.name] if f.name in columns else pa.array([values.get(f.name)] * rows, f.type) for f in schema]
                tables.append(pa.table(arrays, schema=schema))
            # In batches of many objects' rows: pyarrow's filter and DuckDB's conversion cost about
            # a millisecond a batch, whatever its size.
            yield from pa.concat_tables(tables).combine_chunks().to_batches(_ORC_BATCH_ROWS)

    def _read(self, fragments: list[ds.Fragment], columns: list[str]) -> dict[str, dict[str, pa.ChunkedArray]]:
        """``columns`` of the objects, by path, in one scan; an object that cannot be read is named."""
        batches: dict[str, list[pa.RecordBatch]] = {f.path: [] for f in fragments}
        objects = ds.FileSystemDataset(fragments, self.schema, self.format, self.filesystem)
        try:
            for fragment in fragments:
                self._check(fragment, columns)
            for tagged in objects.scanner(columns=columns, batch_size=_ORC_BATCH_ROWS).scan_batches():
                if self.stop.is_set():
                    raise _Stopped
                batches[tagged.fragment.path].append(tagged.record_batch)
        except (pa.ArrowException, OSError) as error:
            for fragment in fragments:  # which one: read each alone
                try:
                    fragment.to_table(schema=self.schema, columns=columns)
                except (pa.ArrowException, OSError) as alone:
                    self._unreadable(fragment, alone)
            self._unreadable(fragments[0], error)
        return {
            path: {n: pa.chunked_array([b.column(n) for b in found], self.schema.field(n).type) for n in columns}
            for path, found in batches.items()
        }

    def _check(self, fragment: ds.Fragment, columns: list[str]) -> None:
        """An object of foreign columns, or one whose column read has another type than the table's, is named:
        pyarrow would read it as nulls, and the queries would skip its rows silently."""
        physical = fragment.physical_schema
        if not set(physical.names) & _RECORD_COLUMNS:
            self.unreadable = ForeignObjectError(_foreign(fragment.path, physical.names))
            raise self.unreadable
        for name in columns:
            index = physical.get_field_index(name)
            if index >= 0 and not physical.field(index).type.equals(self.schema.field(name).type):
                self.unreadable = ForeignObjectError(
                    f"{fragment.path}: its column {name} is {physical.field(index).type}, not the event log's "
                    f"{self.schema.field(name).type}: not an SES event object as Firehose writes it; remove it"
                )
                raise self.unreadable

    def _unreadable(self, fragment: ds.Fragment, error: Exception) -> NoReturn:
        self.unreadable = UnreadableObjectError(f"{fragment.path}: cannot read it as ORC: {error}")
        raise self.unreadable from None


@dataclass
class _KeptObject:
    signature: tuple[int, int]
    """The object's modification time and size when it was read."""
    columns: dict[str, pa.ChunkedArray]
    nbytes: int


class _KeptColumns:
    """The ORC columns read in this process, by object, up to ``_ORC_KEPT_BYTES`` (the objects read
    least recently let go first); an object changed since it was read is read anew."""

    def __init__(self) -> None:
        self._objects: OrderedDict[str, _KeptObject] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # serve and mcp answer from several threads

    def clear(self) -> None:
        with self._lock:
            self._objects.clear()
            self._bytes = 0

    def columns(
        self,
        fragments: list[ds.Fragment],
        columns: list[str],
        read: Callable[[list[ds.Fragment], list[str]], dict[str, dict[str, pa.ChunkedArray]]],
    ) -> list[dict[str, pa.ChunkedArray]]:
        """``columns`` of each object: kept from an earlier query, else ``read`` now (by path)."""
        with self._lock:
            kept, missing = [], {}
            for fragment in fragments:
                try:
                    stat = os.stat(fragment.path)
                except OSError:
                    read([fragment], columns)  # names the object
                    raise
                found = self._objects.pop(fragment.path, None)
                if found is not None and found.signature != (stat.st_mtime_ns, stat.st_size):
                    self._bytes -= found.nbytes
                    found = None
                found = found or _KeptObject((stat.st_mtime_ns, stat.st_size), {}, 0)
                self._objects[fragment.path] = found
                kept.append(found)
                if unread := tuple(c for c in columns if c not in found.columns):
                    missing.setdefault(unread, []).append(fragment)
            for unread, group in missing.items():
                for path, arrays in read(group, list(unread)).items():
                    found = self._objects[path]
                    for name in unread:
                        found.columns[name] = arrays[name]
                        found.nbytes += arrays[name].nbytes
                        self._bytes += arrays[name].nbytes
            while self._bytes > _ORC_KEPT_BYTES and len(self._objects) > len(fragments):
                _, dropped = self._objects.popitem(last=False)
                self._bytes -= dropped.nbytes
            return [found.columns for found in kept]


_KEPT = _KeptColumns()


def _first_malformed_line(path: Path) -> str:
    """Which line of a JSON object (as DuckDB read it: gzip or plain) is no SES record, and why."""
    data = path.read_bytes()
    text = decompress_json(data, "GZIP" if path.name.endswith(".gz") else "UNCOMPRESSED").decode("utf-8", "replace")
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            return f"line {number} is not JSON ({error}); Athena fails the query on it too (HIVE_CURSOR_ERROR: Row is not a valid JSON Object)"
        if not isinstance(record, dict):
            return f"line {number} is JSON but not an object; Athena fails the query on it too (HIVE_CURSOR_ERROR: Row is not a valid JSON Object)"
        if _EVENT_TYPE.name not in record and _MAIL.name not in record:
            return f"line {number} is a JSON object with neither eventType nor mail, not an SES event record"
    return "a line is not an SES event record"


def _hive_options(scheme: Scheme) -> str:
    if not scheme.keys:
        return "hive_partitioning = false"
    types = ", ".join(f"{_sql_string(k.column)}: {DUCKDB_TYPES[k.column_type]}" for k in scheme.keys)
    return f"hive_partitioning = true, hive_types = {{{types}}}"


def _globs(paths: Iterable[Path]) -> str:
    return "[" + ", ".join(_sql_string(str(p)) for p in paths) + "]"


_DATABASE: list[duckdb.DuckDBPyConnection] = []
"""The process's one DuckDB database, made on first use."""


def _connection() -> duckdb.DuckDBPyConnection:
    """A connection of its own to the process's one DuckDB database, whose view (temporary: it goes
    with the connection) no other sees: making a database takes DuckDB about 25 ms, a connection to
    it nothing, and the Parquet footers the database keeps serve every view over the same objects
    (serve and mcp open one for each question)."""
    if not _DATABASE:
        _DATABASE.append(duckdb.connect())
    connection = _DATABASE[0].cursor()
    # Progress is tracked for ``query_progress()`` (seslog shows it) but never printed by DuckDB.
    connection.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    # Parquet footers kept between queries (why, serve and mcp ask several of the same objects):
    # parsing them is a third of a small query's time. DuckDB reads a replaced object anew.
    connection.execute("SET parquet_metadata_cache = true")
    return connection


def forget() -> None:
    """Open the next views afresh, as a process's first question: on a new DuckDB database (no
    Parquet footer kept) and with no ORC column kept (the benchmark times such questions)."""
    _DATABASE.clear()
    _KEPT.clear()


class LocalEvents:
    """The events under ``root`` as a DuckDB view, and the named queries run on them."""

    def __init__(
        self,
        root: Path,
        *,
        format: str | None = None,
        partitioning: str | Scheme | None = None,
        objects: Sequence[Path] | None = None,
    ):
        """``objects``: the objects (paths under ``events/``) the view reads; every object of the copy by default."""
        self.root = Path(root)
        data = self.data = self.root / DATA_PREFIX
        asked = scheme_of(partitioning) if partitioning is not None else None
        found = layout(data, object_files(data) if objects is None else sorted(data / p for p in objects), format, asked)
        self.format = found.format
        self.scheme = scheme_of(partitioning or found.scheme)
        self.skipped = [p.relative_to(data).as_posix() for p in found.skipped]
        """The files under ``events/`` that are no event object of the copy (hidden, foreign), skipped."""
        self.connection = _connection()
        self._orc: _OrcObjects | None = None
        self._stop = threading.Event()
        self._decompressed: tempfile.TemporaryDirectory | None = None
        self._copies: dict[Path, str] = {}
        """The key of each object read from a copy in ``_decompressed`` (decompressed, or its bad UTF-8 replaced)."""
        objects: dict[str, list[Path]] = {}
        for path in found.objects:
            objects.setdefault(_kind(path)[1], []).append(path)  # type: ignore[index]
        if not objects:
            raise LayoutError(f"no {self.format} objects under {data}")
        self._objects = found.objects
        self._compacted: tuple[Manifest, list[Path]] | None = None
        """The compaction manifest and the objects it leaves out, read once, when a query the compacted tables answer
        is first asked: every such answer reads one state of the copy."""
        self._recent: LocalEvents | None = None
        """The objects not compacted, as a view of their own, made with ``_compacted``."""
        self.compacted_reads: list[tuple[int, int]] = []
        """For each answer from the compacted tables: the compacted files it read, and the objects not compacted."""
        self.objects = sum(map(len, objects.values()))
        """How many objects the view reads from, at most."""
        self.days = frozenset(d for p in found.objects if (d := arrival_day(p.relative_to(data))) is not None)
        self.days |= _fetched_days(self.root)
        """The UTC days the copy holds: those its objects arrived on, and those ``seslog download`` fetched (a day it
        fetched without objects had none)."""
        # Globs, unless a skipped file would match them (then the objects themselves): a long list costs DuckDB more.
        stray = objects is not None or any(_kind(p) for p in found.skipped)
        if self.format == "parquet":
            sources = found.objects if stray else [data / "**" / "*.parquet"]
            self._view(f"SELECT * FROM read_parquet({_globs(sources)}, {_hive_options(self.scheme)})")
            self._check_parquet(found.objects)
        elif self.format == "json":
            self._open_json(data, objects, stray)
        else:
            self._open_orc(data, [p for paths in objects.values() for p in paths])

    def missing_days(self, days: Iterable[date]) -> list[date]:
        """Those of ``days`` on which no object of the copy arrived."""
        return [day for day in days if day not in self.days]

    def interrupt(self) -> None:
        """Stop the running query (Ctrl-C): DuckDB's own scans stop at once, the ORC objects' at the next object."""
        self._stop.set()
        self.connection.interrupt()
        if self._recent is not None:
            self._recent.interrupt()

    def _view(self, select: str) -> None:
        self.connection.execute(f"CREATE OR REPLACE TEMPORARY VIEW {TABLE} AS {select}")

    def _check_parquet(self, paths: list[Path]) -> None:
        """A view of Parquet objects takes its columns from the first: a foreign one there is named now."""
        columns = {row[0] for row in self.connection.execute(f"SELECT column_name FROM (DESCRIBE {TABLE})").fetchall()}
        if columns & _RECORD_COLUMNS:
            return
        import pyarrow.parquet as pq

        for path in paths:
            names = pq.read_schema(path).names
            if not set(names) & _RECORD_COLUMNS:
                raise ForeignObjectError(_foreign(self._key(path), names))

    def _open_json(self, data: Path, objects: Mapping[str, list[Path]], stray: bool) -> None:
        extension = FORMATS["json"].file_extension
        self._json_objects = [p for c, paths in objects.items() if c != _FRAMED_SNAPPY for p in paths]
        """Every object the view reads, by its path (its copy's, for one read from a copy)."""
        sources = [data / "**" / f"*{extension(c)}" for c in objects if c != _FRAMED_SNAPPY]
        if _FRAMED_SNAPPY in objects:
            self._json_objects += self._decompressed_copy(data, objects[_FRAMED_SNAPPY])
            sources.append(self._copy_root() / "**" / f"*{extension('UNCOMPRESSED')}")
        self._json_sources: list[Path] = self._json_objects if stray else sources
        self._json_view()

    def _json_view(self) -> None:
        # Each line read as text and typed by one json_transform, its struct unnested into the
        # columns: read_json's typed columns cost it about 50 µs a column for every object it
        # opens, more than reading a small object.
        partitions = "".join(f", {_identifier(k.column)}" for k in self.scheme.keys)
        record = _sql_string(json.dumps(_json_structure(RECORD), ensure_ascii=False))
        lines = (
            f"SELECT unnest(json_transform(json, {record})), filename{partitions} FROM read_json_objects({_globs(self._json_sources)}, "
            f"format = 'newline_delimited', compression = 'auto', filename = true, {_hive_options(self.scheme)})"
        )
        self._view(f"SELECT {', '.join(map(_checked_column, RECORD.fields))}{partitions} FROM ({lines})")

    def _copy_root(self) -> Path:
        if self._decompressed is None:
            self._decompressed = tempfile.TemporaryDirectory(prefix="eventlog-json-")
        return Path(self._decompressed.name)

    def _decompressed_copy(self, data: Path, paths: list[Path]) -> list[Path]:
        """A temporary copy of the objects ``paths`` under ``data``, decompressed, at the same keys."""
        copies = []
        for path in paths:
            target = self._copy_root() / path.relative_to(data).with_suffix("")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                target.write_bytes(decompress_json(path.read_bytes(), _FRAMED_SNAPPY))
            except (ValueError, OSError, struct.error, pa.ArrowException) as error:
                raise UnreadableObjectError(f"{path}: cannot read it as {_FRAMED_SNAPPY} JSON: {error}") from None
            self._copies[target] = path.relative_to(self.root).as_posix()
            copies.append(target)
        return copies

    def _replaced_utf8(self, path: Path) -> bool:
        """Read the JSON object ``path`` from now on with its invalid UTF-8 replaced (U+FFFD), as Athena's OpenX SerDe
        reads it (Hadoop's ``Text.toString()`` replaces malformed input); False when its bytes are valid UTF-8."""
        data = path.read_bytes()
        text = decompress_json(data, "GZIP" if path.name.endswith(".gz") else "UNCOMPRESSED")
        try:
            text.decode("utf-8")
            return False
        except UnicodeDecodeError:
            pass
        repaired = text.decode("utf-8", "replace").encode("utf-8")
        if path in self._copies:  # already a copy of ours: repaired in place
            path.write_bytes(repaired)
            return True
        relative = path.relative_to(self.data)
        target = self._copy_root() / "utf8" / relative.parent / (relative.name.split(".json", 1)[0] + ".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(repaired)
        self._copies[target] = self._key(path)
        self._json_objects = [target if p == path else p for p in self._json_objects]
        self._json_sources = self._json_objects
        self._json_view()
        return True

    def _open_orc(self, data: Path, paths: list[Path]) -> None:
        keys = [{"name": k.column, "type": k.column_type} for k in self.scheme.keys]
        schema = table_schema(glue_columns(), keys)
        partitioning = ds.partitioning(pa.schema([schema.field(k["name"]) for k in keys]), flavor="hive") if keys else None
        orc, files = ds.OrcFileFormat(), LocalFileSystem()
        fragments = []
        for path in paths:
            # The partition values from the object's folders, as DuckDB's hive_partitioning takes them.
            folders = f"/{path.parent.relative_to(data).as_posix()}/"
            values = {"partition_expression": partitioning.parse(folders)} if partitioning else {}
            fragments.append(orc.make_fragment(str(path), files, **values))
        self._orc = _OrcObjects(fragments, schema, [k["name"] for k in keys])
        self.connection.register(TABLE, self._orc)

    def sql(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Result:
        self._stop.clear()
        if self._orc is not None:
            self._orc.unreadable = None
            self._orc.stop = self._stop
        while True:
            try:
                cursor = self.connection.execute(sql, dict(parameters or {}))
                return Result([d[0] for d in cursor.description], cursor.fetchall())
            except duckdb.Error as error:
                if self._orc is not None and self._orc.unreadable is not None:
                    raise self._orc.unreadable from None
                if self._stop.is_set():
                    raise duckdb.InterruptException("Query interrupted") from None
                if not isinstance(error, duckdb.InvalidInputException):
                    raise
                if mismatch := _SCHEMA_MISMATCH.search(str(error)):
                    path = Path(mismatch.group(1))
                    import pyarrow.parquet as pq

                    raise ForeignObjectError(_foreign(self._key(path), pq.read_schema(path).names)) from None
                if _NOT_A_RECORD in str(error):
                    path = Path(str(error).split(_NOT_A_RECORD, 1)[1].strip())
                elif malformed := _MALFORMED_JSON.search(str(error)):
                    path = Path(malformed.group(1))
                    if "invalid UTF-8" in str(error) and self._replaced_utf8(path):
                        continue  # read again, the object's invalid bytes replaced
                else:
                    raise
                raise MalformedRecord(f"{self._key(path)}: {_first_malformed_line(path)}") from None

    def _key(self, path: Path) -> str:
        """The object's key under the root, for a path in it or in a copy of ours."""
        if path in self._copies:
            return self._copies[path]
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)

    def run(self, query: str | NamedQuery, values: Mapping[str, str]) -> Result:
        """Run a named query (or its name) with its parameter values."""
        if isinstance(query, str):
            if query not in QUERIES:
                raise QueryError(f"no query named {query!r}; the queries: {', '.join(QUERIES)}")
            query = QUERIES[query]
        checked = query.check(values)
        from seslog.compaction.store import LocalStore  # compaction reads objects with this module
        from seslog.compaction.tables import ANSWERED

        answered = ANSWERED.get(query.name)
        if answered:
            if self._compacted is None:
                manifest = LocalStore(self.root).manifest("day")[0]
                relative = (p.relative_to(self.data) for p in self._objects)
                self._compacted = manifest, [p for p in relative if not manifest.compacted(p.as_posix())]
            if self._compacted[0].units:
                return self._run_compacted(query, answered, checked, *self._compacted)
        rendered = query.render(self.scheme, TABLE, dialect="duckdb")
        return self.sql(rendered.sql, rendered.named_parameters(checked))

    @property
    def compaction_manifest(self) -> Manifest | None:
        """The manifest the compacted answers read, once one was asked for."""
        return self._compacted[0] if self._compacted is not None else None

    def _run_compacted(
        self, query: NamedQuery, answered: Answered, checked: Mapping[str, str], manifest: Manifest, rest: list[Path]
    ) -> Result:
        """A query the compacted tables answer: their rows for the key, with the rows of the objects not compacted
        (``rest``, paths under ``events/``)."""
        from seslog.compaction.reading import compacted_files, duckdb_sql
        from seslog.compaction.tables import ANSWER_COLUMNS

        first, last = date.fromisoformat(checked["from_date"]), date.fromisoformat(checked["to_date"])
        arrival = message_arrival_days(self.scheme, first, last)
        keys = compacted_files(manifest, answered, checked[answered.parameter], first, last, arrival)
        files = [self.root / key for key in keys]
        self.compacted_reads.append((len(files), len(rest)))
        if rest:
            if self._recent is None:
                self._recent = LocalEvents(self.root, format=self.format, partitioning=self.scheme, objects=rest)
            rendered = query.render(self._recent.scheme, TABLE, dialect="duckdb")
            return self._recent.sql(duckdb_sql(answered, rendered.sql, files), rendered.named_parameters(checked))
        if not files:
            return Result(list(ANSWER_COLUMNS), [])
        return self.sql(duckdb_sql(answered, None, files), dict(checked))
