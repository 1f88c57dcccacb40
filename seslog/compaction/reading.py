"""A lookup answered from the compacted files the manifest names plus the objects it does not: one query, a UNION.

The compacted side reads one bucket of the asked send days, and only the files the manifest names (a file being
written, or one retired, is never read); the raw side reads the named query over the objects not compacted yet. On a
local copy DuckDB is given both lists of files; on Athena both are ``"$path"`` lists, which Trino turns into splits
for those files only (a domain of ``IN``: no other file is opened).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from seslog.compaction.manifest import Manifest, unit_day
from seslog.compaction.tables import ANSWER_COLUMNS, Answered, bucket_of, parse_file_key


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
    database_table: str,
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
            f"SELECT {_COLUMNS} FROM {database_table} "
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
