"""Where the bytes of each column are in an object: what an engine reading some columns fetches.

For each object: the bytes read whatever the query (a JSON object whole; a Parquet footer; an
ORC file tail and stripe footers) and the bytes of each column path. A column path is the
dotted struct field names from the row (``mail.commonheaders.subject``, ``bounce.bouncedrecipients``);
list elements and map entries belong to their container's path, as Athena reads an array or
a map whole.
"""

from __future__ import annotations

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
    fixed: int
    """Bytes every query reading the object fetches: the footer (Parquet), tail and stripe
    footers (ORC), the whole object (JSON)."""
    columns: dict[str, int]
    """Bytes per column path (empty for JSON: a row-oriented object is read whole)."""


def related(path: str, needed: str) -> bool:
    """Whether bytes at ``path`` are read to get column ``needed``: the column itself, the fields
    inside it, and the containers around it (an ORC struct's nulls, a list's lengths)."""
    return path == needed or path.startswith(needed + ".") or needed.startswith(path + ".") or path == ""


def bytes_read(columns: ObjectColumns, needed: Iterable[str]) -> int:
    """The bytes an engine fetches from an object to read the ``needed`` column paths."""
    wanted = list(needed)
    return columns.fixed + sum(size for path, size in columns.columns.items() if any(related(path, n) for n in wanted))


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
    parquet = pq.ParquetFile(path)
    metadata = parquet.metadata
    leaves = leaf_paths(pa.struct(list(parquet.schema_arrow)))
    if len(leaves) != metadata.num_columns:
        raise ValueError(f"{path}: {metadata.num_columns} Parquet columns but {len(leaves)} leaves in its Arrow schema")
    columns = dict.fromkeys(leaves, 0)
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index, leaf in enumerate(leaves):
            columns[leaf] += row_group.column(index).total_compressed_size
    # The footer: its Thrift metadata, its length (4 bytes) and the closing PAR1 (4 bytes).
    fixed = metadata.serialized_size + 8
    return ObjectColumns(path.stat().st_size, fixed, columns)


def orc_columns(path: Path) -> ObjectColumns:
    layout = read_layout(path.read_bytes())
    columns: dict[str, int] = {}
    for column in layout.columns:
        columns[column.path] = columns.get(column.path, 0) + layout.data_bytes[column.id]
    # Index streams (row indexes, bloom filters) are read only to skip row groups; not counted.
    return ObjectColumns(layout.size, layout.tail, columns)


def json_columns(path: Path) -> ObjectColumns:
    size = path.stat().st_size
    return ObjectColumns(size, size, {})


READERS = {"json": json_columns, "parquet": parquet_columns, "orc": orc_columns}
"""The column reader for each format in ``eventlog.formats.FORMATS``."""
