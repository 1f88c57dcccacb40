"""Where the bytes of each column are in an object: what an engine reading some columns fetches.

For each object: the footer every reader fetches first (Parquet's metadata; ORC's file tail
and stripe footers) and the bytes of each column path. A column path is the dotted struct field
names from the row (``mail.commonheaders.subject``, ``bounce.bouncedrecipients``); list elements
and map entries belong to their container's path, as Athena reads an array or a map whole. A
JSON object has no footer and one column, the row itself (path ``""``): it is read whole.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.orcfile import read_layout

PARQUET_HEAD = 4
"""``PAR1`` at the start of a Parquet file, which readers skip."""
ORC_HEAD = 3
"""``ORC`` at the start of an ORC file, which readers skip."""


@dataclass(frozen=True)
class ObjectColumns:
    size: int
    """Bytes in the object."""
    footer: int
    """Bytes every query reading the object fetches before any column; they do not grow with
    the rows in the object."""
    columns: dict[str, int]
    """Bytes per column path."""


def related(path: str, needed: str) -> bool:
    """Whether bytes at ``path`` are read to get column ``needed``: the column itself, the fields
    inside it, and the containers around it (an ORC struct's nulls, a list's lengths)."""
    return path == needed or path.startswith(needed + ".") or needed.startswith(path + ".") or path == ""


def bytes_read(columns: ObjectColumns, needed: Iterable[str]) -> int:
    """The bytes an engine fetches from an object to read the ``needed`` column paths."""
    return columns.footer + column_bytes(columns, needed)


def column_bytes(columns: ObjectColumns, needed: Iterable[str]) -> int:
    """The bytes of an object's columns read for the ``needed`` column paths, without the footer."""
    return sum(columns.columns[path] for path in _selected(tuple(columns.columns), frozenset(needed)))


@functools.lru_cache(maxsize=256)
def _selected(paths: tuple[str, ...], needed: frozenset[str]) -> tuple[str, ...]:
    # Objects of one layout share their paths: the selection is computed once per query.
    return tuple(path for path in paths if any(related(path, n) for n in needed))


def leaf_paths(dtype: pa.DataType, prefix: str = "") -> list[str]:
    """The column path of each leaf of ``dtype``, in the order Parquet stores the leaves."""
    if pa.types.is_struct(dtype):
        return [p for i in range(dtype.num_fields) for p in leaf_paths(dtype.field(i).type, _join(prefix, dtype.field(i).name))]
    if pa.types.is_map(dtype):
        return leaf_paths(dtype.key_type, prefix) + leaf_paths(dtype.item_type, prefix)
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return leaf_paths(dtype.value_type, prefix)
    return [prefix]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def parquet_columns(path: Path) -> ObjectColumns:
    metadata = pq.read_metadata(path)
    leaves = _parquet_leaves(metadata.schema)
    columns = dict.fromkeys(leaves, 0)
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index, leaf in enumerate(leaves):
            columns[leaf] += row_group.column(index).total_compressed_size
    # The footer: its Thrift metadata, its length (4 bytes) and the closing PAR1 (4 bytes).
    return ObjectColumns(path.stat().st_size, metadata.serialized_size + 8, columns)


_seen: list[tuple[pq.ParquetSchema, list[str]]] = []


def _parquet_leaves(schema: pq.ParquetSchema) -> list[str]:
    # The objects of a layout share one schema: its leaves are worked out once.
    for known, leaves in _seen:
        if schema.equals(known):
            return leaves
    leaves = leaf_paths(pa.struct(list(schema.to_arrow_schema())))
    if len(leaves) != len(schema):
        raise ValueError(f"{len(schema)} Parquet columns but {len(leaves)} leaves in their Arrow schema")
    _seen.append((schema, leaves))
    return leaves


def orc_columns(path: Path) -> ObjectColumns:
    layout = read_layout(path.read_bytes())
    columns: dict[str, int] = {}
    for column in layout.columns:
        columns[column.path] = columns.get(column.path, 0) + layout.data_bytes[column.id]
    # Index streams (row indexes, bloom filters) are read only to skip row groups; not counted.
    return ObjectColumns(layout.size, layout.tail, columns)


def json_columns(path: Path) -> ObjectColumns:
    size = path.stat().st_size
    return ObjectColumns(size, 0, {"": size})


READERS = {"json": json_columns, "parquet": parquet_columns, "orc": orc_columns}
"""The column reader for each format in ``seslog.eventlog.formats.FORMATS``."""
