"""Run the named queries with DuckDB over a local copy of the bucket (see ``eventlog.layout``).

``LocalEvents`` opens a directory laid out as the bucket, in any format and scheme, as the
table ``events``: the Glue table's columns (``eventlog.schema.glue_columns()``) plus the
scheme's partition columns, their values taken from the object paths as Athena's partition
projection does. Parquet is read by DuckDB itself (so partition filters prune files); ORC,
which DuckDB cannot read, through pyarrow; JSON through ``eventlog.arrow``, which reads the
records as Athena's OpenX JSON SerDe does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pyarrow import orc

from eventlog.arrow import row_converter, table_schema
from eventlog.formats import FORMATS
from eventlog.layout import decompress_json
from eventlog.partitioning import SCHEMES, Scheme
from eventlog.prefixes import DATA_PREFIX
from eventlog.queries import QUERIES, NamedQuery, QueryError
from eventlog.schema import glue_columns

TABLE = "events"
"""The DuckDB view the rendered queries read."""

_DUCKDB_TYPES = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT"}


class LayoutError(ValueError):
    """A directory that does not hold event objects laid out as Firehose writes them."""


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _extensions() -> list[tuple[str, str, str]]:
    """(file extension, format, compression) for every object a stream can write, longest first."""
    found = {(f.file_extension(c), f.name, c) for f in FORMATS.values() for c in f.compressions}
    return sorted(found, key=lambda e: -len(e[0]))


def _kind(path: Path) -> tuple[str, str] | None:
    return next(((fmt, comp) for ext, fmt, comp in _extensions() if path.name.endswith(ext)), None)


def detect(root: Path) -> tuple[str, str]:
    """The format and partitioning scheme of the event objects under ``root``, judged from their
    file extensions and the ``column=value`` folders of their paths."""
    data = Path(root) / DATA_PREFIX
    files = [p for p in data.rglob("*") if p.is_file()]
    if not files:
        raise LayoutError(f"no event objects under {data}")
    formats = {k[0] for k in map(_kind, files) if k}
    if len(formats) != 1:
        raise LayoutError(f"{data} holds {'objects of several formats' if formats else 'no json, parquet or orc objects'}")
    schemes = set()
    for path in files:
        columns = tuple(part.split("=", 1)[0] for part in path.relative_to(data).parts[:-1] if "=" in part)
        schemes.add(next((s.name for s in SCHEMES.values() if s.columns == columns), None))
    if None in schemes or len(schemes) != 1:
        raise LayoutError(f"the folders under {data} match no single partitioning scheme ({', '.join(SCHEMES)})")
    return formats.pop(), schemes.pop()


def _partition_values(path: Path, data: Path, scheme: Scheme) -> dict[str, Any]:
    labelled = dict(part.split("=", 1) for part in path.relative_to(data).parts[:-1] if "=" in part)
    return {k.column: int(labelled[k.column]) if k.column_type == "int" else labelled[k.column] for k in scheme.keys}


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class LocalEvents:
    """The events under ``root`` as a DuckDB table, and the named queries run on them."""

    def __init__(self, root: Path, *, format: str | None = None, partitioning: str | None = None):
        self.root = Path(root)
        detected = detect(self.root) if format is None or partitioning is None else (format, partitioning)
        self.format = format or detected[0]
        self.scheme = SCHEMES[partitioning or detected[1]]
        self.connection = duckdb.connect()
        data = self.root / DATA_PREFIX
        if self.format == "parquet":
            types = ", ".join(f"{_sql_string(k.column)}: {_DUCKDB_TYPES[k.column_type]}" for k in self.scheme.keys)
            hive = f", hive_partitioning = true, hive_types = {{{types}}}" if self.scheme.keys else ", hive_partitioning = false"
            glob = _sql_string(str(data / "**" / "*.parquet"))
            self.connection.execute(f"CREATE VIEW {TABLE} AS SELECT * FROM read_parquet({glob}{hive})")
        else:
            self._table = self._read_with_arrow(data)
            self.connection.register(TABLE, self._table)

    def _read_with_arrow(self, data: Path) -> pa.Table:
        columns = glue_columns()
        keys = [{"name": k.column, "type": k.column_type} for k in self.scheme.keys]
        schema = table_schema(columns, keys)
        data_schema = table_schema(columns)
        convert = row_converter(data_schema)
        tables = []
        for path in sorted(p for p in data.rglob("*") if p.is_file()):
            kind = _kind(path)
            if kind is None or kind[0] != self.format:
                continue
            if self.format == "orc":
                table = orc.read_table(path).select(data_schema.names).cast(data_schema)
            else:
                rows = [convert(_json_or_none(line)) for line in _lines(decompress_json(path.read_bytes(), kind[1]))]
                table = pa.Table.from_pylist(rows, schema=data_schema)
            for column, value in _partition_values(path, data, self.scheme).items():
                table = table.append_column(column, pa.array([value] * table.num_rows, type=schema.field(column).type))
            tables.append(table)
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def sql(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Result:
        cursor = self.connection.execute(sql, dict(parameters or {}))
        return Result([d[0] for d in cursor.description], cursor.fetchall())

    def run(self, query: str | NamedQuery, values: Mapping[str, str]) -> Result:
        """Run a named query (or its name) with its parameter values."""
        if isinstance(query, str):
            if query not in QUERIES:
                raise QueryError(f"no query named {query!r}; the queries: {', '.join(QUERIES)}")
            query = QUERIES[query]
        checked = query.check(values)
        rendered = query.render(self.scheme, TABLE, dialect="duckdb")
        return self.sql(rendered.sql, rendered.named_parameters(checked))


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    return lines[:-1] if data.endswith(b"\n") else lines


def _json_or_none(line: bytes) -> Any:
    # The OpenX SerDe reads a line that is not a JSON object as a row of nulls.
    try:
        return json.loads(line)
    except ValueError:
        return None

