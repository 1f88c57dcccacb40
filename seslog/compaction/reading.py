"""A lookup answered from the compacted files the manifest names plus the objects it does not: one query, a UNION.

The compacted side reads one bucket of the asked send days, and only the files the manifest names (a file being
written, or one retired, is never read); the raw side reads the named query over the objects not compacted yet. On a
local copy DuckDB is given both lists of files; on Athena both are ``"$path"`` lists, which Trino turns into splits
for those files only (a domain of ``IN``: no other file is opened).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from seslog.compaction.manifest import Manifest, unit_day
from seslog.compaction.store import Store
from seslog.compaction.tables import ANSWER_COLUMNS, Answered, bucket_of, parse_file_key
from seslog.eventlog.partitioning import Scheme


def compacted_files(
    manifest: Manifest, answered: Answered, value: str, first: date, last: date, arrival: tuple[date, date] | None
) -> list[str]:
    """The keys of the compacted files that may hold the rows of ``value`` for mail sent ``first`` to ``last``: its
    bucket, those send days, and the units of the arrival days the raw query reads (``arrival``; None: every unit)."""
    bucket = bucket_of(answered.key_of(value))
    days = {(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)}
    found = []
    for name, entry in sorted(manifest.units.items()):
        if arrival is not None and not arrival[0] <= unit_day(name) <= arrival[1]:
            continue
        for key in entry.files:
            parsed = parse_file_key(key)
            if parsed.table == answered.table.name and parsed.sent in days and parsed.bucket == bucket:
                found.append(key)
    return found


def _list(values: Sequence[str]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


_COLUMNS = ", ".join(ANSWER_COLUMNS)


def duckdb_sql(answered: Answered, raw_sql: str | None, files: Sequence[Path]) -> str:
    """The named query over the compacted ``files`` and, when ``raw_sql`` is given, the objects not compacted
    (DuckDB's ``$name`` parameters)."""
    parts = []
    if files:
        parts.append(
            f"SELECT {_COLUMNS} FROM read_parquet([{_list(files)}], hive_partitioning = false) "
            f"WHERE {answered.match.format(key='$' + answered.parameter)} AND substr(sent_at, 1, 10) BETWEEN $from_date AND $to_date"
        )
    if raw_sql is not None:
        parts.append(f"SELECT {_COLUMNS} FROM ({raw_sql})")
    if not parts:
        raise ValueError("nothing to read: no compacted file and no event object")
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY {answered.order}"


@dataclass(frozen=True)
class AthenaUnion:
    sql: str
    placeholders: tuple[str, ...]
    """The parameter behind each ``?``, in order."""


def athena_sql(
    answered: Answered,
    *,
    table: str,
    value: str,
    raw: tuple[str, tuple[str, ...]] | None,
    files: Sequence[str],
) -> AthenaUnion:
    """The named query on Athena over the compacted table's ``files`` (``s3://`` URIs) and, when ``raw`` (the named
    query rendered over the objects not compacted, and its placeholders) is given, those objects.

    The send days and the bucket are partition values (projection), so Athena lists only those folders; the
    ``"$path"`` list keeps the files of the manifest among them."""
    placeholders: list[str] = []
    parts = []
    if files:
        parts.append(
            f"SELECT {_COLUMNS} FROM {table} "
            f"WHERE sent BETWEEN ? AND ? AND bucket = {int(bucket_of(answered.key_of(value)))} "
            f'AND "$path" IN ({_list(files)}) '
            f"AND {answered.match.format(key='?')} AND substr(sent_at, 1, 10) BETWEEN ? AND ?"
        )
        placeholders += ["from_date", "to_date", answered.parameter, "from_date", "to_date"]
    if raw is not None:
        parts.append(f"SELECT {_COLUMNS} FROM ({raw[0]})")
        placeholders += raw[1]
    if not parts:
        raise ValueError("nothing to read: no compacted file and no event object")
    return AthenaUnion(f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY {answered.order}", tuple(placeholders))


def objects_view(table: str, paths: Sequence[str]) -> str:
    """The raw table restricted to the objects ``paths`` (``s3://`` URIs), to render a named query on."""
    return f'(SELECT * FROM {table} WHERE "$path" IN ({_list(paths)}))'


ATHENA_QUERY_LIMIT = 262_144
"""Athena's longest query string, in bytes (Athena quotas): past it the raw table answers alone."""


@dataclass
class Split:
    """Where one answer's rows came from."""

    compacted_files: int = 0
    objects_not_compacted: int = 0
    raw_only: str | None = None
    """Why the raw table answered alone (nothing compacted yet, too many objects not compacted), if it did."""

    def to_json(self) -> dict[str, object]:
        return {
            "compacted_files": self.compacted_files,
            "objects_not_compacted": self.objects_not_compacted,
            "raw_only": self.raw_only,
        }


class BucketCompaction:
    """The stack's compaction as a lookup on Athena sees it: the manifest (read once, so every answer of a command
    reads one state) and the objects not compacted yet, listed from the day of its ``through`` on. ``root`` is what
    Athena's ``"$path"`` starts each key with (``s3://<bucket>/``)."""

    def __init__(self, store: Store, root: str, now: datetime):
        self.store = store
        self.root = root
        self.now = now
        self._manifest: Manifest | None = None
        self._read = False
        self.splits: list[Split] = []

    @classmethod
    def of_bucket(cls, s3: Any, bucket: str, scheme: Scheme, now: datetime) -> BucketCompaction:
        from seslog.compaction.store import S3Store

        return cls(S3Store(s3, bucket, scheme=scheme, scratch=Path(".")), f"s3://{bucket}/", now)

    def manifest(self) -> Manifest | None:
        """None when the job has not run yet (no manifest)."""
        if not self._read:
            manifest, token = self.store.manifest("hour")
            self._manifest = manifest if token is not None else None
            self._read = True
        return self._manifest

    def pending(self, first: date, last: date) -> list[str]:
        """The keys (under ``events/``) not compacted that may hold mail sent ``first`` to ``last``: those of the
        arrival days since the manifest's ``through`` the manifest does not name."""
        manifest = self.manifest()
        assert manifest is not None and manifest.through is not None
        since = datetime.fromisoformat(manifest.through).date()
        days = [since + timedelta(days=n) for n in range((self.now.date() - since).days + 1)]
        keys = self.store.event_keys(days, sent=(first, last))
        return [key for key in keys if not manifest.compacted(key)]

    def uri(self, key: str) -> str:
        return self.root + key
