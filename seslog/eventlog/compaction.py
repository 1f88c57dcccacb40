"""Compaction: the event objects of each arrival hour (or day) rewritten as two narrow tables shaped like the answers.

Firehose writes records in arrival order, so no statistic of a raw object narrows a lookup by recipient or message
ID. Compaction rewrites the rows ``recipient-events`` and ``message-events`` return (the same query fragments make
them: ``queries/compaction/answer-rows.sql``) into two Parquet tables, each filed by send day and by a hash bucket of
its key and sorted by the key, in row groups small enough that their min/max statistics skip all but a few:

- ``compact/recipients/sent=yyyy-MM-dd/bucket=NN/<unit>-<generation>.parquet``, keyed by ``recipient_key`` (the
  address, lower case);
- ``compact/messages/sent=yyyy-MM-dd/bucket=NN/<unit>-<generation>.parquet``, keyed by ``message_id``.

The unit is an arrival hour or day (the time in the name Firehose gives an object): a unit's objects do not change
once written, so a late open or click (published days after its mail) lands in a later unit, whose compaction files
it under its mail's send day. ``compact/manifest.json`` says, per unit, which objects were compacted and which
generation of files holds them; it is replaced whole, after the files are written, so a reader (and an
interrupted run) sees either the previous state or the new one. Compacting a unit again is idempotent: the same
objects give the same rows; a unit whose objects changed (a later download brought more) is compacted again, and
the files of its previous generation are deleted after the switch.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seslog.eventlog.local import LocalEvents, arrival_time, layout, object_files
from seslog.eventlog.prefixes import COMPACT_PREFIX, DATA_PREFIX
from seslog.eventlog.queries import QUERIES_DIR, NamedQuery, load

BUCKETS = 16
"""Hash buckets of each table's key per send day: a lookup reads one."""

ROW_GROUP_ROWS = 4096
"""Rows per Parquet row group: small enough that a key's rows span one or two groups, whose statistics skip the rest."""

ROWS: NamedQuery = load(QUERIES_DIR / "compaction" / "answer-rows.sql")
"""The rows the compacted tables hold, rendered for the raw layout being compacted."""

MANIFEST = COMPACT_PREFIX + "manifest.json"


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    """The column a lookup asks for, hashed into the bucket."""
    order: tuple[str, ...]
    """The sort order: the key first, so that row-group statistics prune by it."""


TABLES = (
    Table("recipients", "recipient_key", ("recipient_key", "sent_at", "message_id", "event_time", "event_type")),
    Table("messages", "message_id", ("message_id", "recipient_key", "event_time", "event_type")),
)


def bucket_of(key: str) -> str:
    """The bucket of a key (``00`` to ``15``): the first 32 bits of its MD5, modulo ``BUCKETS``. The job computes it
    with ``DUCKDB_BUCKET``, a reader with this function; both are held equal by the tests."""
    return f"{int(hashlib.md5(key.encode('utf-8')).hexdigest()[:8], 16) % BUCKETS:02d}"


DUCKDB_BUCKET = "lpad(CAST(CAST(('0x' || substr(md5({key}), 1, 8)) AS UBIGINT) % " + str(BUCKETS) + " AS VARCHAR), 2, '0')"
"""``bucket_of`` in DuckDB's SQL, over the column ``{key}``."""


UNITS = {"hour": ("%Y-%m-%dT%H", timedelta(hours=1)), "day": ("%Y-%m-%d", timedelta(days=1))}
"""What a run compacts at once: an arrival hour (the stack's hourly job) or an arrival day (a local copy, fetched by
the day). A copy is compacted in one unit; its manifest says which."""


def unit_of(at: datetime, unit: str) -> str:
    """The name of the arrival hour (``2024-05-03T14``) or day (``2024-05-03``) ``at`` falls in."""
    return at.astimezone(UTC).strftime(UNITS[unit][0])


def unit_end(name: str, unit: str) -> datetime:
    pattern, length = UNITS[unit]
    return datetime.strptime(name, pattern).replace(tzinfo=UTC) + length


@dataclass
class UnitReport:
    unit: str
    objects: int
    rows: int = 0
    files: int = 0
    without_send_time: int = 0
    """Rows whose mail has no timestamp: no send day to file them under, so left out (counted, said)."""


@dataclass
class CompactionReport:
    unit: str
    compacted: list[UnitReport] = field(default_factory=list)
    unchanged: int = 0
    """Hours already compacted with the same objects."""
    unnamed: list[str] = field(default_factory=list)
    """Objects whose name gives no arrival time (not named as Firehose names them): left to the raw table."""
    dropped: list[str] = field(default_factory=list)
    """Units whose objects are all gone (expired, deleted): out of the manifest, their files deleted."""

    def summary(self) -> str:
        rows = sum(h.rows for h in self.compacted)
        units = f"arrival {self.unit}{'s' if len(self.compacted) != 1 else ''}"
        text = (
            f"compacted {len(self.compacted):,} {units} ({sum(h.objects for h in self.compacted):,} objects, {rows:,} rows); "
            f"{self.unchanged:,} already compacted"
        )
        skipped = sum(h.without_send_time for h in self.compacted)
        if skipped:
            text += f"; {skipped:,} rows without a send time left out"
        if self.unnamed:
            text += f"; {len(self.unnamed):,} objects without an arrival time in their name left as they are"
        if self.dropped:
            text += f"; {len(self.dropped):,} whose objects are gone dropped"
        return text


def read_manifest(root: Path, unit: str = "day") -> dict[str, Any]:
    """The manifest of a copy (no units compacted when it has none)."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        return {"version": 1, "unit": unit, "units": {}}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("version") == 1 and manifest["unit"] in UNITS and isinstance(manifest["units"], dict):
            return manifest
    except (ValueError, AttributeError, KeyError, TypeError):
        pass
    raise ValueError(f"{path} is not a manifest seslog wrote: delete {path.parent} and run seslog compact again")


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def units_of(root: Path, unit: str) -> tuple[dict[str, list[str]], list[str]]:
    """The copy's event objects by arrival unit (their keys, sorted), and the objects whose name gives no time."""
    data = Path(root) / DATA_PREFIX
    found = layout(data, object_files(data))
    units: dict[str, list[str]] = {}
    unnamed = []
    for path in found.objects:
        relative = path.relative_to(data)
        at = arrival_time(relative)
        if at is None:
            unnamed.append(relative.as_posix())
        else:
            units.setdefault(unit_of(at, unit), []).append(relative.as_posix())
    return {u: sorted(keys) for u, keys in sorted(units.items())}, sorted(unnamed)


def compact(
    root: Path,
    *,
    now: datetime,
    unit: str = "day",
    settle: timedelta = timedelta(minutes=20),
    progress: Callable[[str], None] | None = None,
) -> CompactionReport:
    """Compact every arrival ``unit`` of the copy at ``root`` that ended at least ``settle`` before ``now`` (Firehose
    writes an object up to its buffer interval, at most 900 s, after its first record arrived) and is not compacted
    with the same objects yet; a unit whose objects are all gone (expired) leaves the manifest, and its files go."""
    root = Path(root)
    manifest = read_manifest(root, unit)
    if manifest["unit"] != unit:
        raise ValueError(f"{root / MANIFEST} is compacted by the {manifest['unit']}, not by the {unit}")
    units, unnamed = units_of(root, unit)
    report = CompactionReport(unit, unnamed=unnamed)
    for name, keys in units.items():
        if unit_end(name, unit) + settle > now:
            continue
        done = manifest["units"].get(name)
        if done is not None and done["objects"] == keys:
            report.unchanged += 1
            continue
        if progress:
            progress(f"compacting {name}: {len(keys):,} objects")
        report.compacted.append(compact_unit(root, name, keys, unit))
    gone = [name for name in read_manifest(root, unit)["units"] if name not in units]
    if gone:
        _switch(root, unit, {name: None for name in gone})
        report.dropped = gone
    return report


def _switch(root: Path, unit: str, changes: dict[str, dict[str, Any] | None]) -> None:
    """Replace the manifest whole with ``changes`` (None: the unit leaves), then delete the files it no longer names."""
    manifest = read_manifest(root, unit)
    stale = [f for name in changes for f in (manifest["units"].get(name) or {}).get("files", [])]
    for name, entry in changes.items():
        if entry is None:
            manifest["units"].pop(name, None)
        else:
            manifest["units"][name] = entry
    manifest["units"] = dict(sorted(manifest["units"].items()))
    _write_atomically(root / MANIFEST, (json.dumps(manifest) + "\n").encode())
    kept = {f for entry in manifest["units"].values() for f in entry["files"]}
    for path in stale:
        if path not in kept:
            (root / path).unlink(missing_ok=True)


def compact_unit(root: Path, name: str, keys: Iterable[str], unit: str) -> UnitReport:
    """Compact the objects ``keys`` (under ``events/``) of one arrival unit: write both tables' files of a new
    generation, switch the manifest to them, then delete the unit's previous generation."""
    root = Path(root)
    keys = sorted(keys)
    events = LocalEvents(root, objects=[Path(k) for k in keys])
    rendered = ROWS.render(events.scheme, "events", dialect="duckdb")
    rows = events.connection.sql(rendered.sql).to_arrow_table()
    report = UnitReport(name, len(keys))
    dated = pc.invert(pc.is_null(rows["sent"]))
    report.without_send_time = len(rows) - pc.sum(dated).as_py() if len(rows) else 0
    rows = rows.filter(dated) if len(rows) else rows
    report.rows = len(rows)
    generation = uuid.uuid4().hex[:12]
    written: list[str] = []
    for table in TABLES:
        written += _write_table(root, table, rows, name, generation)
    report.files = len(written)
    _switch(root, unit, {name: {"objects": keys, "generation": generation, "rows": report.rows, "files": sorted(written)}})
    return report


def _write_table(root: Path, table: Table, rows: pa.Table, unit: str, generation: str) -> list[str]:
    """The rows of one table, one file per send day and bucket, sorted by the table's order."""
    if not len(rows):
        return []
    buckets = pa.array([bucket_of(k or "") for k in rows[table.key].to_pylist()], pa.string())
    keyed = rows.append_column("bucket", buckets)
    written = []
    for sent in sorted(set(keyed["sent"].to_pylist())):
        of_day = keyed.filter(pc.equal(keyed["sent"], sent))
        for bucket in sorted(set(of_day["bucket"].to_pylist())):
            part = of_day.filter(pc.equal(of_day["bucket"], bucket)).drop_columns(["sent", "bucket"])
            part = part.sort_by([(column, "ascending") for column in table.order])
            key = f"{COMPACT_PREFIX}{table.name}/sent={sent}/bucket={bucket}/{unit}-{generation}.parquet"
            sink = pa.BufferOutputStream()
            pq.write_table(part, sink, compression="snappy", row_group_size=ROW_GROUP_ROWS)
            _write_atomically(root / key, sink.getvalue().to_pybytes())
            written.append(key)
    return written


@dataclass(frozen=True)
class Answered:
    """A named query the compacted tables answer: which table, which parameter is its key, and the query's order."""

    table: Table
    parameter: str
    match: str
    """The SQL that keeps the key's rows, over the compacted table's columns."""
    order: str
    """The named query's ORDER BY, over its output columns (the template's, which sorts on its own expressions)."""


ANSWERED = {
    "recipient-events": Answered(
        TABLES[0],
        "address",
        "recipient_key = lower($address)",
        "sent_at, message_id, event_time, CASE WHEN event_type = 'Send' THEN 0 ELSE 1 END",
    ),
    "message-events": Answered(
        TABLES[1],
        "message_id",
        "message_id = $message_id",
        "lower(recipient), event_time, CASE WHEN event_type = 'Send' THEN 0 ELSE 1 END",
    ),
}
"""The queries whose answers the compacted tables hold; the others read the event objects."""


def compacted_files(
    root: Path, manifest: dict[str, Any], answered: Answered, key: str, first: date, last: date, arrival: tuple[date, date] | None
) -> list[Path]:
    """The compacted files that may hold the rows of ``key`` for mail sent ``first`` to ``last``: its bucket, those
    send days, and the units of the arrival days the raw query reads (``arrival``; None: every unit)."""
    bucket = bucket_of(key.lower() if answered.table.key == "recipient_key" else key)
    days = {(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)}
    found = []
    for unit, entry in manifest["units"].items():
        if arrival is not None and not arrival[0].isoformat() <= unit[:10] <= arrival[1].isoformat():
            continue
        for name in entry["files"]:
            parts = name.split("/")
            if parts[1] == answered.table.name and parts[2][5:] in days and parts[3] == f"bucket={bucket}":
                found.append(Path(root) / name)
    return found


def union_sql(answered: Answered, raw_sql: str | None, files: list[Path]) -> str:
    """The named query over the compacted files and, when ``raw_sql`` is given, the objects not compacted."""
    listed = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
    parts = []
    if files:
        parts.append(
            f"SELECT * EXCLUDE (recipient_key) FROM read_parquet({listed}, hive_partitioning = false) "
            f"WHERE {answered.match} AND substr(sent_at, 1, 10) BETWEEN $from_date AND $to_date"
        )
    if raw_sql is not None:
        parts.append(f"SELECT * FROM ({raw_sql})")
    if not parts:
        raise ValueError("nothing to read: no compacted file and no event object")
    return f"SELECT * FROM ({' UNION ALL BY NAME '.join(parts)}) ORDER BY {answered.order}"


def answer_columns(root: Path, manifest: dict[str, Any]) -> list[str]:
    """The columns a compacted answer has (the named queries'), from any file the manifest names."""
    name = next(f for entry in manifest["units"].values() for f in entry["files"])
    return [c for c in pq.read_schema(Path(root) / name).names if c != "recipient_key"]
