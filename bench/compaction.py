"""``python -m bench.compaction``: what the compacted tables (``seslog/compaction/``) read for the two
lookups they answer, against today's best layout and the baseline, at a million mails a day.

The run writes ``--messages`` mails a day over ``--days`` days (default a million in one day) as ``parquet-send-date``
(the layout that reads least for a message lookup in ``bench/results/volume.md``) and as the baseline ``json-none``,
through the stream settings of ``make bench``; then compacts two hard-linked copies of ``parquet-send-date``, one by
arrival day and one by arrival hour. For ``--keys`` messages sent on the run's last day, and the last recipient of each,
it counts what each lookup reads:

- ``message``: ``message-events`` for one message ID, its send day known;
- ``recipient``: ``recipient-events`` for one address over the 7 send days up to that day.

Byte accounting. The raw objects as ``make bench`` counts them (each object's footer and the column chunks the query
names, in the partitions its conditions keep), and again with row-group statistics (only the row groups whose min/max
of ``mail.messageid`` may hold the ID; no statistic narrows by recipient, which sits in arrays). The compacted tables
as Trino and Athena read Parquet: the footer of every file the lookup names (``compacted_files``: the key's bucket, the
send days), then the needed column chunks of the row groups whose min/max of the key may hold it. DuckDB's own reads
of the same files (``read_parquet`` on the listed files, ``duckdb_sql``) are counted by the kernel: the bytes its
``pread`` calls return, from ``/proc/self/io``, around the query alone; its bytes for a key no row group can hold are
its footer reads, and the rest is held against the row groups the accounting counts.

Scaling. A compacted file holds the rows of one send day arriving in one unit, whatever other days are kept, so a run
of one send day writes a send day's files as a steady stream does: the message lookup is measured as it would be with
30 days kept; the 7-day recipient lookup reads seven such send days (the measured days' bytes x 7 / send days of the
range the run holds); the baseline reads every object of 30 days (the run's bytes per day of sending x 30). The raw
layout's lookups read their send days' partitions: scaled alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import io
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from bench.accounting import ObjectFacts, needed_columns, object_facts, read_objects
from bench.columns import leaf_paths, parquet_columns, related
from bench.layouts import BASELINE, LAYOUTS
from bench.report import machine, markdown_table, text_table
from bench.run import Scale, _peak_rss_mib, write_all
from bench.volume import available_mib
from bench.workload import Case
from seslog.compaction import tables as compaction
from seslog.compaction.manifest import Manifest, unit_of
from seslog.compaction.reading import compacted_files, duckdb_sql
from seslog.compaction.run import SETTLE, compact
from seslog.compaction.store import LocalStore
from seslog.compaction.tables import ANSWERED, Answered
from seslog.eventlog.costs import MB
from seslog.eventlog.local import TABLE, LocalEvents, forget
from seslog.eventlog.prefixes import COMPACT_PREFIX, DATA_PREFIX, arrival_time
from seslog.eventlog.queries import QUERIES, message_arrival_days

RESULTS = Path(__file__).resolve().parent / "results"
SAVED = "outcome.pickle"

RAW = "parquet-send-date"
"""Today's best layout for the message lookups (``bench/results/volume.md``)."""
COPIES = {
    "day": ("day", "compacted by the day (a local copy)"),
    "hour": ("hour", "compacted by the hour, days merged (the stack)"),
    "hour-today": ("hour", "compacted by the hour, at 23:20 of the send day"),
}
"""The compacted copies measured, by name: their unit and label. ``day``: ``seslog compact`` on a local copy.
``hour``: the stack's job once the send day's arrival days have ended (a lookup of any earlier day). ``hour-today``:
the stack's job at 23:20 of the send day, its 23 ended hours merged, the last one raw: a lookup of today's mail."""
UNITS = tuple(COPIES)

TARGET_PER_DAY = 1_000_000
KEPT_DAYS = 30
RANGE_DAYS = 7
"""The recipient lookup's send days."""
TARGETS = {"message": 0.0002, "recipient": 0.001}
"""The issue's targets at a million mails a day, 30 days kept: at most this share of the baseline's bytes ..."""
LOWER_BOUND_FACTOR = 500
"""... and at most this many times the lookup's lower bound."""

COMPACTION_MIB_PER_MILLION = 11_000
"""Peak memory of compacting an arrival day of a million mails a day, rounded up from the 9,599 MiB measured (the
busiest day's 6.2 million answer rows at once), beside the hourly one's 1,152: the run refuses to start with less
available, in proportion to its mails a day."""

NO_KEY = "\U0010ffff"
"""A key above every key a file holds: a lookup for it reads footers and no row group."""


_IN_SENT_RANGE = 'substr(mail."timestamp", 1, 10) BETWEEN :from_date AND :to_date'


@dataclass(frozen=True)
class Lookup:
    name: str
    title: str
    case: Case
    """The named query, as ``bench.accounting`` reads it on the raw layout."""
    parameter: str
    days: int
    """Send days the lookup covers at steady state."""

    @property
    def answered(self) -> Answered:
        return ANSWERED[self.case.query]


LOOKUPS = (
    Lookup(
        "message",
        "message-events for one message ID, its send day known",
        Case("message-events", "events of one message", "message-events", f"mail.messageid = :message_id AND {_IN_SENT_RANGE}"),
        "message_id",
        1,
    ),
    Lookup(
        "recipient",
        f"recipient-events for one address over {RANGE_DAYS} send days",
        Case(
            "recipient-events",
            "events of one address, 7 days",
            "recipient-events",
            f"{_IN_SENT_RANGE} AND contains(transform({{event_recipients}}, r -> lower(r)), lower(:address))",
        ),
        "address",
        RANGE_DAYS,
    ),
)
BY_NAME = {lookup.name: lookup for lookup in LOOKUPS}


# --- row groups and their statistics ---------------------------------------------------------------


@dataclass(frozen=True)
class RowGroup:
    rows: int
    bytes: tuple[int, ...]
    """Compressed bytes of each column chunk (``FileGroups.paths`` order)."""
    ranges: dict[str, tuple[bytes, bytes] | None]
    """Min and max of the key columns asked for (None: no statistics, so any key may be there)."""


@dataclass(frozen=True)
class FileGroups:
    path: Path
    size: int
    footer: int
    """The Thrift metadata, its length and the closing ``PAR1``: what a reader fetches before any column."""
    paths: tuple[str, ...]
    """The column path of each leaf (``bench.columns``: ``mail.messageid``, ``bounce.bouncedrecipients.status``)."""
    groups: tuple[RowGroup, ...]

    @property
    def rows(self) -> int:
        return sum(g.rows for g in self.groups)


def file_groups(path: Path, keys: Iterable[str] = ()) -> FileGroups:
    """A Parquet file's row groups, with the bytes of each column chunk and the min/max of the columns ``keys``."""
    metadata = pq.read_metadata(path)
    paths = tuple(leaf_paths(pa.struct(list(metadata.schema.to_arrow_schema()))))
    indexes = {key: paths.index(key) for key in keys}
    groups = []
    for g in range(metadata.num_row_groups):
        row_group = metadata.row_group(g)
        ranges: dict[str, tuple[bytes, bytes] | None] = {}
        for key, index in indexes.items():
            stats = row_group.column(index).statistics
            ranges[key] = (stats.min_raw, stats.max_raw) if stats is not None and stats.has_min_max else None
        groups.append(
            RowGroup(row_group.num_rows, tuple(row_group.column(c).total_compressed_size for c in range(len(paths))), ranges)
        )
    return FileGroups(path, path.stat().st_size, metadata.serialized_size + 8, paths, tuple(groups))


@functools.lru_cache(maxsize=64)
def _chosen(paths: tuple[str, ...], needed: frozenset[str]) -> tuple[int, ...]:
    return tuple(i for i, path in enumerate(paths) if any(related(path, n) for n in needed))


def may_hold(group: RowGroup, column: str | None, key: str | None) -> bool:
    """Whether the row group's statistics leave room for ``key`` in ``column`` (always, without a key or statistics)."""
    if column is None or key is None:
        return True
    found = group.ranges[column]
    if found is None:
        return True
    value = key.encode("utf-8")
    return found[0] <= value <= found[1]


@dataclass(frozen=True)
class Read:
    files: int
    footer: int
    groups: int
    """Row groups in those files."""
    groups_read: int
    data: int
    """Bytes of the needed column chunks of the row groups read."""

    @property
    def bytes(self) -> int:
        return self.footer + self.data


def counted(files: Sequence[FileGroups], needed: Iterable[str], column: str | None = None, key: str | None = None) -> Read:
    """What a reader fetches from ``files`` for the ``needed`` column paths: every footer, and the needed column chunks
    of the row groups whose min/max of ``column`` may hold ``key`` (every row group without a key)."""
    needed = frozenset(needed)
    footer = data = groups = groups_read = 0
    for f in files:
        footer += f.footer
        chosen = _chosen(f.paths, needed)
        for group in f.groups:
            groups += 1
            if may_hold(group, column, key):
                groups_read += 1
                data += sum(group.bytes[i] for i in chosen)
    return Read(len(files), footer, groups, groups_read, data)


# --- DuckDB's reads, counted by the kernel ---------------------------------------------------------

_IO = Path("/proc/self/io")


def counting_available() -> bool:
    return _IO.is_file()


def _rchar() -> tuple[int, int]:
    """The bytes this process's read calls (read, pread, of every thread) had returned when the kernel wrote
    ``/proc/self/io``, and the bytes of that read itself, which the kernel adds afterwards."""
    fd = os.open(_IO, os.O_RDONLY)
    try:
        text = os.read(fd, 4096)
    finally:
        os.close(fd)
    for line in text.splitlines():
        if line.startswith(b"rchar:"):
            return int(line.split()[1]), len(text)
    raise RuntimeError(f"no rchar in {_IO}")


@dataclass(frozen=True)
class DuckRead:
    bytes: int
    seconds: float
    rows: int


def duckdb_read(sql: str, parameters: dict[str, Any]) -> DuckRead:
    """Run ``sql`` on a new DuckDB database (no footer or block kept from an earlier query) and count what it reads:
    DuckDB reads local files with ``pread``, which the kernel counts in ``rchar`` for the whole process; nothing else
    in the process reads while the query runs. The database is made before counting (making one reads cgroup files)."""
    connection = duckdb.connect()
    try:
        connection.execute("SELECT 1").fetchall()
        return _counted(lambda: connection.execute(sql, parameters).fetchall())
    finally:
        connection.close()


def _counted(query: Callable[[], list[Any]]) -> DuckRead:
    """The bytes read while ``query`` runs, exactly: the count after it, less the count before it and the read that
    looked at it."""
    before, looked = _rchar()
    started = time.perf_counter()
    rows = query()
    seconds = time.perf_counter() - started
    after, _ = _rchar()
    return DuckRead(after - before - looked, seconds, len(rows))


# --- one lookup on the compacted tables ------------------------------------------------------------


@dataclass(frozen=True)
class Compacted:
    root: Path
    name: str
    """Its name in ``COPIES``."""
    manifest: Manifest
    groups: dict[Path, FileGroups] = field(default_factory=dict, repr=False)

    def files(self, lookup: Lookup, key: str, first: date, last: date) -> list[FileGroups]:
        found = [
            self.root / k
            for k in compacted_files(
                self.manifest,
                lookup.answered,
                key,
                first,
                last,
                message_arrival_days(LAYOUTS[RAW].partitioning, first, last),
            )
        ]
        table = lookup.answered.table
        for path in found:
            if path not in self.groups:
                self.groups[path] = file_groups(path, [table.key])
        return [self.groups[p] for p in found]


def table_key(lookup: Lookup, key: str) -> str:
    """The value the table's key column holds for ``key`` (addresses lower-cased, as ``Answered.match`` does)."""
    return key.lower() if lookup.answered.table.key == "recipient_key" else key


def needed_compacted(lookup: Lookup, names: Sequence[str]) -> frozenset[str]:
    """The columns a compacted lookup reads: those of the answer (``duckdb_sql``: all but ``recipient_key``) and the key."""
    return frozenset([n for n in names if n != "recipient_key"] + [lookup.answered.table.key])


def lookup_parameters(lookup: Lookup, key: str, first: date, last: date) -> dict[str, str]:
    return {lookup.parameter: key, "from_date": first.isoformat(), "to_date": last.isoformat()}


@dataclass(frozen=True)
class Checked:
    """A compacted lookup: the accounting, the row groups that hold the key, and DuckDB's reads of the same files."""

    read: Read
    held_groups: int
    held_data: int
    """Needed column chunks of the row groups that hold the key (of those the statistics keep)."""
    duckdb: DuckRead
    duckdb_footers: int
    """DuckDB's bytes for a key no row group holds: its footer reads alone."""

    @property
    def duckdb_data(self) -> int:
        return self.duckdb.bytes - self.duckdb_footers


def held(files: Sequence[FileGroups], needed: frozenset[str], column: str, key: str) -> tuple[int, int]:
    """The row groups kept by their statistics that do hold ``key``, and their needed column chunks' bytes."""
    groups = data = 0
    for f in files:
        chosen = _chosen(f.paths, needed)
        kept = [i for i, g in enumerate(f.groups) if may_hold(g, column, key)]
        if not kept:
            continue
        reader = pq.ParquetFile(f.path)
        for i in kept:
            if key in reader.read_row_group(i, columns=[column])[column].to_pylist():
                groups += 1
                data += sum(f.groups[i].bytes[c] for c in chosen)
    return groups, data


def check_lookup(files: Sequence[FileGroups], lookup: Lookup, key: str, first: date, last: date) -> Checked:
    """The accounting of one compacted lookup and DuckDB's reads of the same files."""
    needed = needed_compacted(lookup, files[0].paths)
    column, value = lookup.answered.table.key, table_key(lookup, key)
    read = counted(files, needed, column, value)
    sql = duckdb_sql(lookup.answered, None, [f.path for f in files])
    found = duckdb_read(sql, lookup_parameters(lookup, key, first, last))
    footers = duckdb_read(sql, lookup_parameters(lookup, NO_KEY, first, last))
    return Checked(read, *held(files, needed, column, value), found, footers.bytes)


def raw_duckdb(root: Path, lookup: Lookup, key: str, first: date, last: date) -> DuckRead:
    """DuckDB's reads and time for the named query on the raw layout, through ``seslog.eventlog.local`` (a new
    database: no footer kept), counted as ``duckdb_read`` counts."""
    forget()
    events = LocalEvents(root, format="parquet", partitioning=LAYOUTS[RAW].partitioning)
    rendered = QUERIES[lookup.case.query].render(events.scheme, TABLE, dialect="duckdb")
    parameters = rendered.named_parameters(lookup_parameters(lookup, key, first, last))
    found = _counted(lambda: events.sql(rendered.sql, parameters).rows)
    forget()
    return found


def lower_bound(files: Sequence[FileGroups], lookup: Lookup, key: str, first: date, last: date) -> tuple[int, int]:
    """The answer's rows and the bytes of their needed columns alone: those rows of the compacted table, those
    columns, written as one Snappy Parquet file, without its footer."""
    needed = [n for n in files[0].paths if n in needed_compacted(lookup, files[0].paths)]
    listed = "[" + ", ".join("'" + str(f.path).replace("'", "''") + "'" for f in files) + "]"
    select = ", ".join(f'"{n}"' for n in needed)
    table = (
        duckdb.connect()
        .sql(
            f"SELECT {select} FROM read_parquet({listed}, hive_partitioning = false) WHERE {lookup.answered.match.format(key='$' + lookup.answered.parameter)} "
            "AND substr(sent_at, 1, 10) BETWEEN $from_date AND $to_date",
            params=lookup_parameters(lookup, key, first, last),
        )
        .to_arrow_table()
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    metadata = pq.read_metadata(pa.BufferReader(sink.getvalue()))
    size = sum(
        metadata.row_group(g).column(c).total_compressed_size
        for g in range(metadata.num_row_groups)
        for c in range(metadata.num_columns)
    )
    return table.num_rows, size


# --- the run ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compaction:
    unit: str
    seconds: float
    peak_rss_mib: float
    summary: str
    longest_unit_seconds: float = 0.0
    """The longest a unit's compaction took (an hour's, for the stack's job: one run's work)."""
    longest_merge_seconds: float = 0.0
    """The longest a day's merge took (the stack's job, once a day)."""


def compact_copy(raw: Path, copy: Path, name: str, start: date) -> Compaction:
    """Hard-link the raw layout's objects into ``copy`` and compact it as copy ``name`` of ``COPIES`` is."""
    shutil.copytree(raw / DATA_PREFIX, copy / DATA_PREFIX, copy_function=os.link)
    unit = COPIES[name][0]
    now = (
        datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=23) + SETTLE
        if name == "hour-today"
        else datetime.now(UTC)
    )
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()
    report = compact(copy, now=now, unit=unit, progress=lambda text: steps.append((text, time.perf_counter())))
    ended = time.perf_counter()
    times = [(text, (steps[i + 1][1] if i + 1 < len(steps) else ended) - at) for i, (text, at) in enumerate(steps)]
    units = [t for text, t in times if text.startswith("compacting")]
    merges = [t for text, t in times if text.startswith("merging")]
    return Compaction(name, ended - started, _peak_rss_mib(), report.summary(), max(units, default=0.0), max(merges, default=0.0))


def compact_all(raw: Path, work: Path, units: Sequence[str], start: date) -> dict[str, Compaction]:
    """Compact a copy per unit, each in a process of its own, as ``seslog compact`` runs (glibc's own malloc settings)."""
    with ProcessPoolExecutor(max_workers=len(units), mp_context=get_context("spawn")) as pool:
        copies = [work / f"compacted-{u}" for u in units]
        done = list(pool.map(compact_copy, [raw] * len(units), copies, units, [start] * len(units)))
    return {c.unit: c for c in done}


@dataclass(frozen=True)
class Keys:
    messages: tuple[str, ...]
    addresses: tuple[str, ...]
    day: date
    """The send day of the messages: the run's last."""


def pick_keys(raw: Path, day: date, count: int) -> Keys:
    """``count`` messages sent on ``day``, in an order fixed by their IDs' MD5 (a sample, the same every run), and the
    last recipient of each (for a message with three, not its first)."""
    events = LocalEvents(raw, format="parquet", partitioning=LAYOUTS[RAW].partitioning)
    rows = events.sql(
        "SELECT mail.messageid, mail.destination[len(mail.destination)] FROM events "
        "WHERE eventtype = 'Send' AND sent = $day ORDER BY md5(mail.messageid) LIMIT $count",
        {"day": day.isoformat(), "count": count},
    ).rows
    if len(rows) < count:
        raise ValueError(f"{len(rows)} messages sent on {day}, fewer than the {count} keys asked for: send more")
    return Keys(tuple(r[0] for r in rows), tuple(r[1] for r in rows), day)


@dataclass(frozen=True)
class Figure:
    """One lookup on one layout, the mean over the keys."""

    lookup: str
    layout: str
    measured: float
    """Bytes read over the send days the run holds."""
    projected: float
    """Bytes read at steady state: the lookup's send days, 30 days kept."""
    files: float
    """Files read, projected."""
    groups_read: float | None
    groups: float | None
    lower_bound: float
    """Bytes of the answer's rows' needed columns, projected."""
    rows: float
    """Rows of the answer, projected."""
    duckdb_bytes: float | None = None
    """DuckDB's bytes, projected."""
    duckdb_seconds: float | None = None
    """DuckDB's wall time over the run's days."""


@dataclass
class Unit:
    name: str
    compaction: Compaction
    files_per_day: float
    groups_per_day: float
    stored_per_day: float
    footers_per_day: float
    largest_rows: int
    """Rows of the largest file."""
    raw_per_unit: float
    """The most bytes the message lookup reads in the raw objects of one arrival unit of its send day (the unit not
    compacted yet)."""


@dataclass
class Outcome:
    scale: Scale
    per_day: float
    keys: Keys
    covered: dict[str, int]
    """Send days each lookup's range holds in the run."""
    baseline: float
    """The baseline's bytes with 30 days kept (json-none reads every object whatever the lookup)."""
    events: int
    figures: list[Figure]
    units: list[Unit]
    checks: dict[tuple[str, str], list[Checked]]
    write_seconds: float
    measure_seconds: float
    machine: dict[str, str]


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.fmean(values) if values else 0.0


def raw_objects(root: Path, stored: Sequence[Stored]) -> tuple[list[ObjectFacts], dict[str, FileGroups]]:
    """The raw layout's event objects' facts for the lookups (``bench.accounting``) and their row groups."""
    needed = [set(_raw_needed(lookup)) for lookup in LOOKUPS]
    facts, groups = [], {}
    for o in stored:
        path = root / RAW / o.key
        groups[o.key] = file_groups(path, ["mail.messageid"])
        facts.append(object_facts(o.key, o.records, parquet_columns(path), needed))
    return facts, groups


@functools.cache
def _raw_needed(lookup: Lookup) -> frozenset[str]:
    return frozenset(needed_columns(lookup.case, LAYOUTS[RAW]))


@dataclass(frozen=True)
class _Run:
    """What the lookups are measured on."""

    scale: Scale
    work: Path
    keys: Keys
    raw_facts: list[ObjectFacts]
    raw_groups: dict[str, FileGroups]
    copies: dict[str, Compacted]


def _range(run: _Run, lookup: Lookup) -> tuple[date, date, float]:
    """The lookup's send days, and the factor from the send days of it the run holds to all of them."""
    last = run.keys.day
    first = last - timedelta(days=lookup.days - 1)
    covered = (last - max(first, run.scale.start)).days + 1
    return first, last, lookup.days / covered


def _keys(run: _Run, lookup: Lookup) -> tuple[str, ...]:
    return run.keys.messages if lookup.name == "message" else run.keys.addresses


def raw_figures(run: _Run, lookup: Lookup, bound: float, rows: float) -> list[Figure]:
    """The raw layout: every object in the partitions the query keeps, as make bench counts; for the message, also with
    row-group statistics; DuckDB's reads for the first key."""
    first, last, factor = _range(run, lookup)
    layout, position = LAYOUTS[RAW], LOOKUPS.index(lookup)
    plain, stats, objects = [], [], []
    for key in _keys(run, lookup):
        values = lookup.case.values(lookup_parameters(lookup, key, first, last), layout.partitioning)
        index = read_objects(layout, run.raw_facts, lookup.case, values)
        objects.append(len(index))
        plain.append(sum(run.raw_facts[i].footer + run.raw_facts[i].reads[position] for i in index))
        if lookup.name == "message":
            files = [run.raw_groups[run.raw_facts[i].key] for i in index]
            stats.append(counted(files, _raw_needed(lookup), "mail.messageid", key))
    duck = raw_duckdb(run.work / RAW, lookup, _keys(run, lookup)[0], first, last)
    figures = [
        Figure(
            lookup.name,
            RAW,
            _mean(plain),
            _mean(plain) * factor,
            _mean(objects) * factor,
            None,
            None,
            bound,
            rows,
            duck.bytes * factor,
            duck.seconds,
        )
    ]
    if lookup.name == "message":
        measured = _mean(r.bytes for r in stats)
        figures.append(
            Figure(
                lookup.name,
                f"{RAW}, row-group statistics",
                measured,
                measured * factor,
                _mean(r.files for r in stats) * factor,
                _mean(r.groups_read for r in stats) * factor,
                _mean(r.groups for r in stats) * factor,
                bound,
                rows,
            )
        )
    return figures


def compacted_figures(
    run: _Run, lookup: Lookup, checks: dict[tuple[str, str], list[Checked]]
) -> tuple[list[Figure], float, float]:
    """The compacted tables, each unit: the accounting and DuckDB's reads of the same files; and the lower bound."""
    first, last, factor = _range(run, lookup)
    lower = []
    figures = []
    for unit, copy in run.copies.items():
        found = []
        for key in _keys(run, lookup):
            files = copy.files(lookup, key, first, last)
            found.append(check_lookup(files, lookup, key, first, last))
            if unit == next(iter(run.copies)):
                lower.append(lower_bound(files, lookup, key, first, last))
        checks[lookup.name, unit] = found
        measured = _mean(c.read.bytes for c in found)
        figures.append(
            Figure(
                lookup.name,
                COPIES[unit][1],
                measured,
                measured * factor,
                _mean(c.read.files for c in found) * factor,
                _mean(c.read.groups_read for c in found) * factor,
                _mean(c.read.groups for c in found) * factor,
                0.0,
                0.0,
                _mean(c.duckdb.bytes for c in found) * factor,
                _mean(c.duckdb.seconds for c in found),
            )
        )
    bound, rows = _mean(b for _, b in lower) * factor, _mean(r for r, _ in lower) * factor
    # At 23:20, only the last send day of a range is today's: the earlier ones are whole.
    by_label = {f.layout: f for f in figures}
    merged, today = by_label.get(COPIES["hour"][1]), by_label.get(COPIES["hour-today"][1])
    if merged is not None and today is not None and factor > 1:
        projected = today.measured + (factor - 1) * merged.measured
        figures[figures.index(today)] = dataclasses.replace(today, projected=projected)
    return [dataclasses.replace(f, lower_bound=bound, rows=rows) for f in figures], bound, rows


@dataclass(frozen=True)
class Stored:
    key: str
    records: int
    size: int


@dataclass(frozen=True)
class Prepared:
    """The layouts written and compacted under a work directory: what the lookups are measured on."""

    scale: Scale
    raw: tuple[Stored, ...]
    """The raw layout's event objects."""
    baseline_bytes: int
    baseline_objects: int
    events: int
    compactions: dict[str, Compaction]
    write_seconds: float
    """Writing and compacting, wall time."""


PREPARED = "prepared.pickle"


def prepare(scale: Scale, work: Path, units: Sequence[str] = UNITS, progress: Callable[[str], None] = lambda m: None) -> Prepared:
    """Write the raw layout and the baseline (a process each), then compact a copy of the raw layout per unit (a process
    each); kept in ``work`` with what was written (``PREPARED``)."""
    started = time.perf_counter()
    progress(f"writing {RAW} and {BASELINE}: {scale.messages:,} messages over {scale.days} days")
    written = write_all([[RAW], [BASELINE]], work, scale)
    progress(f"written in {time.perf_counter() - started:,.0f} s; compacting by {' and by '.join(units)}")
    compactions = compact_all(work / RAW, work, units, scale.start)
    progress(f"compacted in {', '.join(f'{c.seconds:,.0f} s' for c in compactions.values())}")
    baseline = [o for o in written[BASELINE].objects if o.data]
    prepared = Prepared(
        scale,
        tuple(Stored(o.key, o.records, o.size) for o in written[RAW].objects if o.data),
        sum(o.size for o in baseline),
        len(baseline),
        sum(o.records for o in baseline),
        compactions,
        time.perf_counter() - started,
    )
    (work / PREPARED).write_bytes(pickle.dumps(prepared))
    return prepared


def measure(prepared: Prepared, work: Path, *, keys: int = 20, progress: Callable[[str], None] = lambda m: None) -> Outcome:
    """The lookups on the layouts ``prepare`` left in ``work``."""
    started = time.perf_counter()
    scale, units = prepared.scale, list(prepared.compactions)
    last = scale.start + timedelta(days=scale.days - 1)
    raw_facts, raw_groups = raw_objects(work, prepared.raw)
    copies = {
        u: Compacted(work / f"compacted-{u}", u, LocalStore(work / f"compacted-{u}").manifest(COPIES[u][0])[0]) for u in units
    }
    run = _Run(scale, work, pick_keys(work / RAW, last, keys), raw_facts, raw_groups, copies)
    baseline = prepared.baseline_bytes / scale.days * KEPT_DAYS
    baseline_objects = prepared.baseline_objects / scale.days * KEPT_DAYS
    figures: list[Figure] = []
    checks: dict[tuple[str, str], list[Checked]] = {}
    for lookup in LOOKUPS:
        compacted, bound, rows = compacted_figures(run, lookup, checks)
        figures.append(
            Figure(lookup.name, BASELINE, prepared.baseline_bytes, baseline, baseline_objects, None, None, bound, rows)
        )
        figures += raw_figures(run, lookup, bound, rows)
        figures += compacted
        progress(f"measured {lookup.name} in {time.perf_counter() - started:,.0f} s")
    return Outcome(
        scale,
        scale.messages / scale.days,
        run.keys,
        {lookup.name: round(lookup.days / _range(run, lookup)[2]) for lookup in LOOKUPS},
        baseline,
        prepared.events,
        figures,
        [_unit_figures(copies[u], prepared.compactions[u], raw_facts, scale) for u in units],
        checks,
        prepared.write_seconds,
        time.perf_counter() - started,
        machine(),
    )


def _unit_figures(copy: Compacted, done: Compaction, raw_facts: Sequence[ObjectFacts], scale: Scale) -> Unit:
    files = sorted((copy.root / COMPACT_PREFIX).rglob("*.parquet"))
    groups = [copy.groups.get(f) or file_groups(f) for f in files]
    by_unit: dict[tuple[str, str], float] = defaultdict(float)
    message = LOOKUPS.index(BY_NAME["message"])
    for o in raw_facts:
        if o.data and (at := arrival_time(Path(o.key))) is not None:
            by_unit[o.partitions["sent"], unit_of(at, COPIES[copy.name][0])] += o.footer + o.reads[message]
    return Unit(
        copy.name,
        done,
        len(files) / scale.days,
        sum(len(g.groups) for g in groups) / scale.days,
        sum(g.size for g in groups) / scale.days,
        sum(g.footer for g in groups) / scale.days,
        max((g.rows for g in groups), default=0),
        max(by_unit.values(), default=0.0),
    )


# --- the report ------------------------------------------------------------------------------------


def volume_label(per_day: float) -> str:
    return f"{per_day:,.0f}/day"


_HEADERS = (
    "lookup",
    "layout",
    "MiB read (run)",
    "MiB read (30 days kept)",
    "% of baseline",
    "files read",
    "row groups read / in them",
    "lower bound KiB",
    "x lower bound",
    "DuckDB MiB read",
    "DuckDB s",
)


def _cells(outcome: Outcome, f: Figure) -> list[str]:
    groups = "" if f.groups is None else f"{f.groups_read:,.1f} / {f.groups:,.1f}"
    return [
        f.lookup,
        f.layout,
        f"{f.measured / MB:,.3f}",
        f"{f.projected / MB:,.3f}",
        f"{f.projected / outcome.baseline:.4%}",
        f"{f.files:,.1f}",
        groups,
        f"{f.lower_bound / 1024:,.1f}",
        f"{f.projected / f.lower_bound:,.0f}" if f.lower_bound else "",
        "" if f.duckdb_bytes is None else f"{f.duckdb_bytes / MB:,.3f}",
        "" if f.duckdb_seconds is None else f"{f.duckdb_seconds:.3f}",
    ]


_UNIT_HEADERS = (
    "unit",
    "files a day",
    "row groups a day",
    "MiB stored a day",
    "footers MiB a day",
    "rows in the largest file",
    "compaction s",
    "longest unit s",
    "longest merge s",
    "peak MiB (compaction)",
    "raw MiB of one unit (message)",
)


def _unit_cells(u: Unit) -> list[str]:
    return [
        u.name,
        f"{u.files_per_day:,.0f}",
        f"{u.groups_per_day:,.0f}",
        f"{u.stored_per_day / MB:,.1f}",
        f"{u.footers_per_day / MB:,.1f}",
        f"{u.largest_rows:,}",
        f"{u.compaction.seconds:,.0f}",
        f"{u.compaction.longest_unit_seconds:,.1f}",
        f"{u.compaction.longest_merge_seconds:,.1f}" if u.compaction.longest_merge_seconds else "",
        f"{u.compaction.peak_rss_mib:,.0f}",
        f"{u.raw_per_unit / MB:,.2f}",
    ]


_CHECK_HEADERS = (
    "lookup",
    "unit",
    "row groups read / holding the key",
    "row-group bytes: accounting",
    "row-group bytes: holding the key",
    "row-group bytes: DuckDB",
    "footer bytes: accounting",
    "footer bytes: DuckDB",
    "keys where DuckDB = accounting / < / >",
)


def _check_cells(lookup: str, unit: str, found: Sequence[Checked]) -> list[str]:
    equal = sum(c.duckdb_data == c.read.data for c in found)
    below = sum(c.duckdb_data < c.read.data for c in found)
    return [
        lookup,
        unit,
        f"{_mean(c.read.groups_read for c in found):,.1f} / {_mean(c.held_groups for c in found):,.1f}",
        f"{_mean(c.read.data for c in found):,.0f}",
        f"{_mean(c.held_data for c in found):,.0f}",
        f"{_mean(c.duckdb_data for c in found):,.0f}",
        f"{_mean(c.read.footer for c in found):,.0f}",
        f"{_mean(c.duckdb_footers for c in found):,.0f}",
        f"{equal} / {below} / {len(found) - equal - below}",
    ]


def target_lines(outcome: Outcome) -> list[str]:
    label = volume_label(outcome.per_day)
    lines = []
    judged = outcome.per_day >= TARGET_PER_DAY
    for name, share in TARGETS.items():
        limit = share * outcome.baseline
        for f in outcome.figures:
            if f.lookup != name or not f.layout.startswith("compacted"):
                continue
            ratio = f.projected / f.lower_bound if f.lower_bound else float("inf")
            met = f.projected <= limit and ratio <= LOWER_BOUND_FACTOR
            verdict = (
                ("met" if met else "not met")
                if judged
                else f"not judged (the run is {label}, the targets are at {TARGET_PER_DAY:,}/day)"
            )
            lines.append(
                f"- `{name}` {f.layout}: {f.projected / MB:,.2f} MiB, {f.projected / outcome.baseline:.4%} of the baseline "
                f"(target at most {share:.2%}, {limit / MB:,.1f} MiB), {ratio:,.0f} x its lower bound "
                f"(target at most {LOWER_BOUND_FACTOR}): {verdict}."
            )
    return lines


LAMBDA_MEMORY_MIB = 3008
LAMBDA_TIMEOUT_S = 900
LAMBDA_VCPUS = 1.7
"""Lambda's CPU share at 3,008 MB (a full vCPU at 1,769 MB, in proportion): the job's times here, on 2 cores, scaled by
2 / 1.7 as a conservative extrapolation (the compaction is mostly one thread)."""


def job_lines(outcome: Outcome) -> list[str]:
    """The stack's job against Lambda's limits: one run's work (an hour, or a day's merge) in time and memory."""
    (unit,) = [u for u in outcome.units if u.name == "hour"] or [None]
    if unit is None:
        return []
    c = unit.compaction
    scale = 2 / LAMBDA_VCPUS
    longest = max(c.longest_unit_seconds, c.longest_merge_seconds) * scale
    return [
        (
            f"- One hour's compaction took at most {c.longest_unit_seconds:,.1f} s here and a day's merge "
            f"{c.longest_merge_seconds:,.1f} s; at Lambda's {LAMBDA_VCPUS} vCPUs (x{scale:.2f}, extrapolated) the longest is "
            f"{longest:,.0f} s of its {LAMBDA_TIMEOUT_S} s ({LAMBDA_TIMEOUT_S / max(longest, 1):,.0f} x margin)."
        ),
        (
            f"- Peak memory compacting every hour of the run in one process: {c.peak_rss_mib:,.0f} MiB of the function's "
            f"{LAMBDA_MEMORY_MIB:,} MB ({LAMBDA_MEMORY_MIB * 1e6 / 2**20 / max(c.peak_rss_mib, 1):,.1f} x margin; one run holds one "
            "hour, or one bucket of a day's merge, at a time)."
        ),
    ]


def _heading(outcome: Outcome) -> str:
    s, m = outcome.scale, outcome.machine
    units = "; ".join(f"`{u.name}` {COPIES[u.name][1]}" for u in outcome.units)
    return "\n".join(
        [
            (
                f"Run {m['date']} on {m['cpus']} CPUs ({m['cpu']}), {m['ram']} RAM; Python {m['python']}, DuckDB {m['duckdb']}, "
                f"pyarrow {m['pyarrow']}. Written and compacted in {outcome.write_seconds:,.0f} s, measured in "
                f"{outcome.measure_seconds:,.0f} s."
            ),
            "",
            (
                f"- {volume_label(outcome.per_day)}: {s.messages:,} messages to {s.recipients:,} addresses over {s.days} "
                f"day{'s' if s.days > 1 else ''} from {s.start} (seed {s.seed}), {outcome.events:,} events, written as `{RAW}` "
                f"and `{BASELINE}` (128 MiB / 900 s); `{RAW}` compacted as {units} ({compaction.BUCKETS} buckets, "
                f"{compaction.ROW_GROUP_ROWS:,}-row groups)."
            ),
            (
                f"- Keys: {len(outcome.keys.messages)} messages sent on {outcome.keys.day} (a sample fixed by the MD5 of their "
                "IDs) and the last recipient of each; the figures are means over them."
            ),
            f"- Baseline: `{BASELINE}` with {KEPT_DAYS} days kept reads every object, {outcome.baseline / MB:,.2f} MiB.",
        ]
    )


_LOOKUPS_TEXT = (
    "Bytes each lookup reads. Raw objects: each object's footer and the column chunks the query names, in the partitions "
    "its conditions keep (as `make bench` counts), and with row-group statistics (only the row groups whose min/max of "
    "`mail.messageid` may hold the ID). Compacted tables: the footer of each file of the key's bucket and send days, and "
    "the needed column chunks of the row groups whose min/max of the key may hold it. `run`: over the send days the run "
    "holds ({covered}); `30 days kept`: the lookup's send days (message 1, recipient {range_days}) at steady state, each "
    "reading what a measured send day reads. The lower bound is the needed columns of the answer's rows alone (one Snappy "
    "Parquet file, no footer). DuckDB: the bytes its reads of the same files returned, counted by the kernel "
    "(`/proc/self/io`), and its wall time, on a new database each time (on the raw layout through `seslog.eventlog.local`, "
    "for the first key alone)."
)
_UNITS_TEXT = (
    "Per compaction unit: the files and row groups a day of sending makes (both tables), what they store, their footers, "
    "the compaction's wall time, the longest one unit's compaction and one day's merge took, and the peak memory (the "
    "copies compacted at once, a process each), and the most a message "
    "lookup reads in the raw objects of one arrival unit of its send day: what it adds while that unit is not compacted yet."
)
_CHECK_TEXT = (
    "The accounting against DuckDB on the compacted files, per lookup (the run's send days, means over the keys). Row "
    "groups read: those whose min/max may hold the key; holding the key: those of them that do. DuckDB's row-group bytes "
    "are its bytes for the key less its bytes for a key above every key, which no row group can hold (its footer reads "
    "alone). DuckDB fetches a file's last 16 KiB first (the whole file when it is smaller) and the footer again when it "
    "is longer. In a row group it reads the filter columns (the key, `sent_at`) and, in some row groups, fetches the "
    "others only when a row passes; so its row-group bytes lie between those of the row groups holding the key and the "
    "accounting's, which is what a reader fetching whole row groups reads, and equal the accounting's where it fetched "
    "every row group read whole."
)


def markdown(outcome: Outcome) -> str:
    checks = [_check_cells(lookup, unit, found) for (lookup, unit), found in outcome.checks.items()]
    covered = ", ".join(f"{k}: {v}" for k, v in outcome.covered.items())
    parts = [
        "# Benchmark: the compacted tables' lookups",
        _heading(outcome),
        _LOOKUPS_TEXT.format(covered=covered, range_days=RANGE_DAYS),
        markdown_table(_HEADERS, [_cells(outcome, f) for f in outcome.figures]),
        _UNITS_TEXT,
        markdown_table(_UNIT_HEADERS, [_unit_cells(u) for u in outcome.units]),
        _CHECK_TEXT,
        markdown_table(_CHECK_HEADERS, checks),
        f"Targets at {TARGET_PER_DAY:,} mails a day, {KEPT_DAYS} days kept:",
        "\n".join(target_lines(outcome)),
        "The stack's job (AWS Lambda, 3,008 MB, 900 s):",
        "\n".join(job_lines(outcome)),
    ]
    return "\n\n".join(parts) + "\n"


def write(outcome: Outcome, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "compaction.md"
    path.write_text(markdown(outcome), encoding="utf-8")
    sys.stdout.write(
        text_table(_HEADERS, [_cells(outcome, f) for f in outcome.figures])
        + "\n\n"
        + text_table(_UNIT_HEADERS, [_unit_cells(u) for u in outcome.units])
        + "\n"
    )
    return path


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


def _progress(message: str) -> None:
    sys.stderr.write(f"bench: {message}\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.compaction",
        description="What the compacted tables read for a message's and a recipient's events, against parquet-send-date "
        "and the baseline, with row-group statistics, checked against DuckDB's reads; writes bench/results/compaction.md. "
        "About 30 minutes on 2 cores at a million mails a day (27 of them writing the day); compacting a day takes a "
        f"process up to about {COMPACTION_MIB_PER_MILLION:,} MiB a million mails.",
    )
    p.add_argument(
        "--messages", type=_positive, default=TARGET_PER_DAY, metavar="N", help="mails sent a day (default %(default)s)"
    )
    p.add_argument("--days", type=_positive, default=1, help="days of sending (default %(default)s)")
    p.add_argument("--keys", type=_positive, default=20, help="messages (and recipients) looked up (default %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="generator seed (default %(default)s)")
    p.add_argument("--out", type=Path, default=RESULTS, help="where compaction.md goes (default bench/results)")
    p.add_argument("--work", type=Path, default=None, help="an empty directory for the layouts, kept (default a temporary one)")
    p.add_argument("--report", action="store_true", help="write the report again from the run kept in --work, without running")
    p.add_argument(
        "--measure", action="store_true", help="measure the lookups again on the layouts kept in --work, without writing them"
    )
    args = p.parse_args(argv)
    if args.report or args.measure:
        saved = SAVED if args.report else PREPARED
        if args.work is None or not (args.work / saved).is_file():
            p.error(f"--{'report' if args.report else 'measure'} needs the --work of an earlier run (its {saved})")
        loaded = pickle.loads((args.work / saved).read_bytes())
        outcome = loaded if args.report else measure(loaded, args.work, keys=args.keys, progress=_progress)
        (args.work / SAVED).write_bytes(pickle.dumps(outcome))
        write(outcome, args.out)
        return 0
    if not counting_available():
        p.error(f"{_IO} is not there: DuckDB's reads are counted from it (Linux)")
    if args.work is not None and args.work.exists() and any(args.work.iterdir()):
        p.error(f"--work {args.work} is not empty")
    need = COMPACTION_MIB_PER_MILLION * args.messages / TARGET_PER_DAY
    if need >= 1_000 and (have := available_mib()) < need:
        p.error(f"compacting a day of {args.messages:,} mails needs about {need:,.0f} MiB, {have:,.0f} MiB are available")
    work = args.work or Path(tempfile.mkdtemp(prefix="ses-event-log-bench-compaction-"))
    work.mkdir(parents=True, exist_ok=True)
    scale = Scale(messages=args.messages * args.days, days=args.days, recipients=max(args.messages // 4, 100), seed=args.seed)
    started = time.perf_counter()
    try:
        outcome = measure(prepare(scale, work, progress=_progress), work, keys=args.keys, progress=_progress)
        # Kept, so that the report can be written again (``--report``) without running again.
        (work / SAVED).write_bytes(pickle.dumps(outcome))
        path = write(outcome, args.out)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    sys.stderr.write(f"bench: wrote {path} in {time.perf_counter() - started:,.0f} s\n")
    return 0


if __name__ == "__main__":
    # Run as the module bench.compaction, not as __main__: the saved runs then name its classes by the module's name,
    # whoever loads them.
    from bench.compaction import main as _main

    raise SystemExit(_main())
