"""One compaction run: the arrival units whose objects changed are compacted, a closed day's hours merged, what
expired dropped.

Firehose writes records in arrival order, so no statistic of a raw object narrows a lookup by recipient or message
ID. A run rewrites the rows of each arrival unit (the time in the name Firehose gives an object) into the two tables
of ``tables``. A unit's objects do not change once written, so a late open or click (published days after its mail)
lands in a later unit, whose compaction files it under its mail's send day, and rerunning a unit is idempotent. A
unit with other objects than the manifest says (a later download, a late delivery) is compacted again into a new
generation; the files of the previous one are retired.

The stack's job compacts by the hour and, every run, merges each day's compacted hours (today's too, but for the hour
under way) into one file per send day and bucket: a lookup then reads one file per arrival day, not 24
(``bench/results/compaction.md``). A local copy is compacted by the day directly.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seslog.compaction import tables
from seslog.compaction.manifest import Manifest, Unit, kind_of, unit_day, unit_end, unit_of, unit_start
from seslog.compaction.store import LocalStore, ManifestChanged, Store
from seslog.compaction.tables import COLUMNS, ROW_GROUP_ROWS, ROWS, TABLES, Table, parse_file_key
from seslog.eventlog.prefixes import arrival_time

SETTLE = timedelta(minutes=20)
"""How long after a unit ends it is compacted: Firehose writes an object up to its buffer interval (at most 900 s)
after the object's first record arrived, under that record's arrival time."""

RESERVE = 180.0
"""Seconds a run must have left to start compacting a unit or merging a day: an hour's objects at a million mails a
day take about 10 s, a day's merge about a minute (``bench/results/compaction.md``); the rest is margin."""

_ARROW_TYPES = {"string": pa.string(), "bigint": pa.int64()}
SCHEMA = pa.schema([(name, _ARROW_TYPES[hive]) for name, hive in COLUMNS])
"""A compacted file's columns (``tables.COLUMNS``)."""
_ROWS_SCHEMA = pa.schema(list(SCHEMA) + [("sent", pa.string())])


@dataclass
class UnitReport:
    unit: str
    objects: int
    rows: int = 0
    files: int = 0
    without_send_time: int = 0
    """Rows whose mail has no timestamp: no send day to file them under, so left out (counted, said)."""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CompactionReport:
    unit: str
    compacted: list[UnitReport] = field(default_factory=list)
    merged: list[UnitReport] = field(default_factory=list)
    """Days whose hours were merged (the stack's job)."""
    unchanged: int = 0
    """Units already compacted with the same objects."""
    waiting: int = 0
    """Units not ended ``SETTLE`` ago: their objects may not all be written yet (compacted so far by the stack's job,
    else left to the raw table until a later run)."""
    postponed: int = 0
    """Units (and days to merge) left to the next run, for want of time."""
    unnamed: list[str] = field(default_factory=list)
    """Objects whose name gives no arrival time (not named as Firehose names them): left to the raw table."""
    dropped: list[str] = field(default_factory=list)
    """Units whose objects are all gone (expired, deleted): out of the manifest, their files retired."""
    deleted: int = 0
    """Retired files deleted."""
    through: str | None = None

    def summary(self) -> str:
        rows = sum(h.rows for h in self.compacted)
        units = f"arrival {self.unit}{'s' if len(self.compacted) != 1 else ''}"
        text = (
            f"compacted {len(self.compacted):,} {units} ({sum(h.objects for h in self.compacted):,} objects, {rows:,} rows); "
            f"{self.unchanged:,} already compacted"
        )
        if self.postponed:
            text += f"; {self.postponed:,} left to the next run for want of time"
        if self.merged:
            text += f"; merged the hours of {len(self.merged):,} day{'s' if len(self.merged) != 1 else ''}"
        skipped = sum(h.without_send_time for h in self.compacted)
        if skipped:
            text += f"; {skipped:,} rows without a send time left out"
        if self.unnamed:
            text += f"; {len(self.unnamed):,} objects without an arrival time in their name left as they are"
        if self.dropped:
            text += f"; {len(self.dropped):,} whose objects are gone dropped"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "compacted": [u.to_json() for u in self.compacted],
            "merged": [u.to_json() for u in self.merged],
            "unchanged": self.unchanged,
            "waiting": self.waiting,
            "postponed": self.postponed,
            "unnamed": len(self.unnamed),
            "dropped": self.dropped,
            "deleted": self.deleted,
            "through": self.through,
        }


def units_of(keys: Sequence[str], unit: str) -> tuple[dict[str, list[str]], list[str]]:
    """``keys`` (under ``events/``) by arrival unit (sorted), and those whose name gives no time."""
    units: dict[str, list[str]] = {}
    unnamed = []
    for key in keys:
        at = arrival_time(Path(key))
        if at is None:
            unnamed.append(key)
        else:
            units.setdefault(unit_of(at, unit), []).append(key)
    return {u: sorted(ks) for u, ks in sorted(units.items())}, sorted(unnamed)


def compact(
    where: Path | Store,
    *,
    now: datetime,
    unit: str = "day",
    lookback_days: int | None = None,
    retention_days: int | None = None,
    grace: timedelta = timedelta(0),
    settle: timedelta = SETTLE,
    format: str | None = None,
    partitioning: Any = None,
    progress: Callable[[str], None] | None = None,
    time_left: Callable[[], float] | None = None,
    open_units: bool = False,
) -> CompactionReport:
    """Compact every arrival ``unit`` of the store that ended ``settle`` before ``now`` and is not compacted with the
    same objects yet; by the hour, merge each ended day whose hours are all compacted.

    ``lookback_days``: the arrival days listed, up to today (None: all). The stack's job lists the last few, as
    Firehose writes no object later than its 24 hours of retries, and from the day of the manifest's ``through`` on
    (a job that did not run for days catches up; a first run lists ``retention_days``). A unit of the listed days
    whose objects are all gone leaves the manifest; a unit older than ``retention_days`` leaves it too (the bucket's
    lifecycle expired its objects and files). Retired files are deleted ``grace`` after they left (the longest a query
    that read the previous manifest may still be reading). ``time_left`` (seconds): the run compacts no further unit
    once fewer than ``RESERVE`` are left, and leaves the rest to the next run. ``open_units``: compact too what has
    arrived so far of the units not ended (the stack's job: a lookup then reads at most the last hour's objects raw);
    such a unit is compacted again once its objects are all there.
    """
    store: Store = LocalStore(where) if isinstance(where, Path | str) else where
    manifest, token = store.manifest(unit)
    if manifest.unit != unit:
        raise ValueError(f"the manifest in {store.where} is compacted by the {manifest.unit}, not by the {unit}")
    days = _listed_days(manifest, now, lookback_days, retention_days)
    units, unnamed = units_of(store.event_keys(days), unit)
    report = CompactionReport(unit, unnamed=unnamed)
    listed = None if days is None else set(days)
    written: list[str] = []

    def in_scope(name: str) -> bool:
        return listed is None or unit_day(name) in listed

    try:
        if unit == "hour":
            # A merged day whose hours' objects changed (a late delivery) is compacted again hour by hour, then merged
            # again; its other hours (after the merge, or without objects then) are units of their own.
            for name, entry in list(manifest.units.items()):
                if kind_of(name) == "day" and in_scope(name) and entry.objects is not None:
                    covered = set(units_of(entry.objects, "hour")[0])
                    of_day = sorted(k for hour, keys in units.items() if hour in covered for k in keys)
                    if of_day != entry.objects:
                        manifest.replace({name: None}, now)

        pending: list[str] = []
        for name, keys in units.items():
            if unit_end(name) + settle > now:
                report.waiting += 1
                pending.append(name)  # more objects may come: ``through`` stays before it, and its day is not merged
                if not open_units or unit_start(name) > now:
                    continue
            if _compacted_objects(manifest, name) == keys:
                report.unchanged += 1
                continue
            if time_left is not None and time_left() < RESERVE:
                report.postponed += 1
                pending.append(name)
                continue
            if progress:
                progress(f"compacting {name}: {len(keys):,} objects")
            entry, unit_report = _compact_unit(store, name, keys, format=format, partitioning=partitioning)
            written += entry.files
            manifest.replace({name: entry}, now)
            report.compacted.append(unit_report)

        report.dropped = [
            name
            for name in manifest.units
            if (in_scope(name) and not any(u == name or (kind_of(name) == "day" and u[:10] == name) for u in units))
            or (retention_days is not None and unit_day(name) < now.date() - timedelta(days=retention_days + 1))
        ]
        manifest.replace(dict.fromkeys(report.dropped), now)

        if unit == "hour":
            # Each day's compacted hours are merged into its day files every run, today's too (all but the hour under
            # way): a lookup reads a file per bucket and arrival day, and an hour's files at most.
            for day in sorted({name[:10] for name in manifest.units if kind_of(name) == "hour"}):
                hours = sorted(n for n in manifest.units if kind_of(n) == "hour" and n[:10] == day and n not in pending)
                sealed = day in manifest.units and manifest.units[day].objects is None
                if not hours or sealed:
                    continue
                if time_left is not None and time_left() < RESERVE:
                    report.postponed += 1
                    continue
                if progress:
                    progress(f"merging {len(hours)} hours into {day}")
                entry, merged = _merge_day(store, manifest, day, hours)
                written += entry.files
                manifest.replace(merged | {day: entry}, now)
                report.merged.append(UnitReport(day, len(entry.objects or []), entry.rows, len(entry.files)))

        first_pending = min((unit_start(name) for name in pending), default=unit_start(unit_of(now - settle, unit)))
        manifest.through = report.through = first_pending.isoformat()
        if days is not None:
            manifest.seal(min(days))
        # One switch for the run: a reader sees the state before it or after it.
        token = store.replace_manifest(manifest, token)
    except ManifestChanged:
        store.delete(written)  # named by no manifest; another run's state stands
        raise
    deleting = sorted(key for key, since in manifest.retired.items() if datetime.fromisoformat(since) <= now - grace)
    if deleting:
        store.delete(deleting)
        for key in deleting:
            del manifest.retired[key]
        store.replace_manifest(manifest, token)
    report.deleted = len(deleting)
    return report


def _listed_days(manifest: Manifest, now: datetime, lookback_days: int | None, retention_days: int | None) -> list[date] | None:
    """The arrival days a run lists: the last ``lookback_days``, and every day since the manifest's ``through`` (or,
    on a first run, since the oldest day kept)."""
    if lookback_days is None:
        return None
    today = now.date()
    first = today - timedelta(days=lookback_days - 1)
    if manifest.through is not None:
        first = min(first, datetime.fromisoformat(manifest.through).date())
    elif retention_days is not None:
        first = today - timedelta(days=retention_days)
    return [first + timedelta(days=n) for n in range((today - first).days + 1)]


def _compacted_objects(manifest: Manifest, name: str) -> list[str] | None:
    """The objects of unit ``name`` the manifest says are compacted: its own entry's, or a merged day's of that hour
    (None: not compacted, or sealed)."""
    if name in manifest.units:
        return manifest.units[name].objects
    day = manifest.units.get(name[:10]) if kind_of(name) == "hour" else None
    if day is None or day.objects is None:
        return None
    return units_of(day.objects, "hour")[0].get(name, [])


def _compact_unit(store: Store, name: str, keys: list[str], *, format: str | None, partitioning: Any) -> tuple[Unit, UnitReport]:
    """Write both tables' files of a new generation for the objects ``keys`` of one arrival unit."""
    from seslog.eventlog.local import LocalEvents

    root = store.readable(keys)
    try:
        events = LocalEvents(root, format=format, partitioning=partitioning, objects=[Path(k) for k in keys])
        rendered = ROWS.render(events.scheme, "events", dialect="duckdb")
        buckets = ", ".join(f"{tables.duckdb_bucket(t.key)} AS bucket_{t.name}" for t in TABLES)
        rows = events.connection.sql(f"SELECT *, {buckets} FROM ({rendered.sql})").to_arrow_table()
        events.connection.close()
    finally:
        if root != getattr(store, "root", None):
            shutil.rmtree(root, ignore_errors=True)
    report = UnitReport(name, len(keys))
    dated = pc.invert(pc.is_null(rows["sent"]))
    report.without_send_time = len(rows) - (pc.sum(dated).as_py() or 0)
    rows = rows.filter(dated)
    report.rows = len(rows)
    generation = uuid.uuid4().hex[:12]
    written: list[str] = []
    for table in TABLES:
        column = f"bucket_{table.name}"
        data = rows.select(_ROWS_SCHEMA.names).cast(_ROWS_SCHEMA).append_column(column, rows[column])
        for (sent, bucket), part in _groups(data, column):
            key = table.file_key(sent, bucket, name, generation)
            store.write(key, _parquet(part.drop_columns(["sent", column]), table))
            written.append(key)
    report.files = len(written)
    return Unit(keys, generation, report.rows, sorted(written)), report


def _groups(rows: pa.Table, bucket: str) -> list[tuple[tuple[str, str], pa.Table]]:
    """The rows of each send day and bucket."""
    found = []
    for sent in sorted(set(rows["sent"].to_pylist())):
        of_day = rows.filter(pc.equal(rows["sent"], sent))
        for value in sorted(set(of_day[bucket].to_pylist())):
            found.append(((sent, value), of_day.filter(pc.equal(of_day[bucket], value))))
    return found


def _parquet(rows: pa.Table, table: Table) -> bytes:
    """One file's bytes: the rows sorted by the table's order, in ``ROW_GROUP_ROWS``-row groups."""
    sink = pa.BufferOutputStream()
    rows = rows.sort_by([(column, "ascending") for column in table.order])
    pq.write_table(rows, sink, compression="snappy", row_group_size=ROW_GROUP_ROWS)
    return sink.getvalue().to_pybytes()


def _merge_day(store: Store, manifest: Manifest, day: str, hours: list[str]) -> tuple[Unit, dict[str, Unit | None]]:
    """``hours`` of ``day`` merged with the day's files so far into one file per table, send day and bucket (one at a
    time: the memory a run needs is a bucket's, not a day's); the day's entry, and the hours' leaving."""
    merged = [*hours, *([day] if day in manifest.units else [])]
    groups: dict[tuple[str, str, str], list[str]] = {}
    for name in merged:
        for key in manifest.units[name].files:
            parsed = parse_file_key(key)
            groups.setdefault((parsed.table, parsed.sent, parsed.bucket), []).append(key)
    tables = {t.name: t for t in TABLES}
    generation = uuid.uuid4().hex[:12]
    written = []
    for (name, sent, bucket), keys in sorted(groups.items()):
        parts = [pq.read_table(pa.BufferReader(store.read(key))) for key in keys]
        key = tables[name].file_key(sent, bucket, day, generation)
        store.write(key, _parquet(pa.concat_tables(parts), tables[name]))
        written.append(key)
    objects = sorted(o for name in merged for o in manifest.units[name].objects or [])
    rows = sum(manifest.units[name].rows for name in merged)
    return Unit(objects, generation, rows, sorted(written)), {hour: None for hour in hours}
