"""The byte accounting: what each object holds, and what each query reads of a layout.

An object's facts are read once, when it is written: its size, its footer and the column bytes
each case needs (``bench.columns``). A query reads the objects its partition conditions keep
(``bench.query_scope``), and of each its footer and those column bytes. The lower bound of a
case is the needed columns of the records its answer is made of, alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from bench.columns import ObjectColumns, column_bytes
from bench.layouts import LAYOUTS, Layout
from bench.query_scope import parameters, partition_conditions, touched_columns
from bench.workload import CASES, Case
from seslog.eventlog.local import TABLE, LocalEvents
from seslog.eventlog.prefixes import DATA_PREFIX
from seslog.eventlog.schema import glue_columns

TABLE_COLUMNS = frozenset(c["name"] for c in glue_columns())


@dataclass(frozen=True)
class ObjectFacts:
    key: str
    records: int
    size: int
    partitions: dict[str, str]
    """The ``column=value`` folders of its key."""
    footer: int
    reads: tuple[int, ...]
    """Column bytes each case reads from it (``CASES`` order), without the footer."""
    data: bool
    """Under the data prefix (else the error prefix: never read by a query)."""


@dataclass
class Written:
    layout: str
    objects: list[ObjectFacts]
    seconds: float
    """Wall time of the process that wrote it (with the other layouts of its share)."""
    active_partitions: int = 1
    """The most buffers the stream had open at once (Firehose's active partitions)."""
    peak_rss_mib: float = 0.0
    """Peak resident memory of the process that wrote it."""


def needed_columns(case: Case, layout: Layout) -> set[str]:
    return touched_columns(case.sql(layout.partitioning), set(TABLE_COLUMNS))


def object_facts(key: str, records: int, columns: ObjectColumns, needed: Sequence[set[str]]) -> ObjectFacts:
    """An object's facts from its key and columns; ``needed`` are the column paths of each case."""
    reads = tuple(column_bytes(columns, columns_of_case) for columns_of_case in needed)
    partitions = dict(part.split("=", 1) for part in key.split("/")[:-1] if "=" in part)
    return ObjectFacts(key, records, columns.size, partitions, columns.footer, reads, key.startswith(DATA_PREFIX))


@dataclass(frozen=True)
class QueryMeasure:
    case: str
    objects: int
    """Objects the query reads after partition pruning."""
    footer_bytes: int
    data_bytes: int
    seconds: float | None = None
    """DuckDB's median wall time, when timed."""
    rows: int | None = None
    runs: int = 0

    @property
    def bytes(self) -> int:
        return self.footer_bytes + self.data_bytes


@dataclass
class LayoutMeasure:
    layout: Layout
    objects: int
    stored_bytes: int
    footer_bytes: int
    events: int
    write_seconds: float
    partition_shares: tuple[float, ...]
    queries: dict[str, QueryMeasure] = field(default_factory=dict)
    active_partitions: int = 1
    """The most partitions the stream had buffers open for at once."""
    peak_rss_mib: float = 0.0
    """Peak memory of the process that wrote it."""
    objects_facts: list[ObjectFacts] = field(default_factory=list, repr=False)
    """Every object it wrote, for what the measurements are scaled from (``bench.volume``)."""


def _objects_table(layout: Layout, objects: list[ObjectFacts]) -> pa.Table:
    columns: dict[str, pa.Array] = {"idx": pa.array(range(len(objects)), pa.int64())}
    for key in layout.partitioning.keys:
        values = [o.partitions.get(key.column) for o in objects]
        columns[key.column] = pa.array([None if v is None else int(v) for v in values] if key.column_type == "int" else values)
    return pa.table(columns)


def read_objects(layout: Layout, objects: list[ObjectFacts], case: Case, values: dict[str, object]) -> list[int]:
    """Indexes of the objects the case's query reads: under the data prefix, in the partitions
    its partition conditions keep."""
    data = [i for i, o in enumerate(objects) if o.data]
    sql = case.sql(layout.partitioning)
    conditions = partition_conditions(sql, TABLE, set(layout.partitioning.columns))
    if not conditions:
        return data
    connection = duckdb.connect()
    connection.register("objects", _objects_table(layout, objects))
    where = " AND ".join(f"({c})" for c in conditions)
    used = set().union(*(parameters(c) for c in conditions))
    kept = {
        row[0]
        for row in connection.execute(
            f"SELECT idx FROM objects WHERE {where}", {k: v for k, v in values.items() if k in used}
        ).fetchall()
    }
    return [i for i in data if i in kept]


def measure_layout(written: Written, picked: dict[str, dict[str, str]]) -> LayoutMeasure:
    layout = LAYOUTS[written.layout]
    objects = written.objects
    dynamic = [k.column for k in layout.partitioning.keys if k.dynamic]
    counts: Counter[tuple[str | None, ...]] = Counter()
    for o in objects:
        if o.data:
            counts[tuple(o.partitions.get(c) for c in dynamic)] += o.records
    total = sum(counts.values())
    measure = LayoutMeasure(
        layout=layout,
        objects=len(objects),
        stored_bytes=sum(o.size for o in objects),
        footer_bytes=sum(o.footer for o in objects),
        events=sum(o.records for o in objects),
        write_seconds=written.seconds,
        partition_shares=tuple(sorted((n / total for n in counts.values()), reverse=True)) if dynamic else (1.0,),
        active_partitions=written.active_partitions,
        peak_rss_mib=written.peak_rss_mib,
        objects_facts=objects,
    )
    for index, case in enumerate(CASES):
        values = case.values(picked[case.name], layout.partitioning)
        read = read_objects(layout, objects, case, values)
        measure.queries[case.name] = QueryMeasure(
            case.name, len(read), sum(objects[i].footer for i in read), sum(objects[i].reads[index] for i in read)
        )
    return measure


@dataclass(frozen=True)
class LowerBound:
    records: int
    """Records the answer is made of."""
    bytes: int
    """Bytes of their needed columns alone."""


def lower_bound(events: LocalEvents, case: Case, values: dict[str, str], scratch: Path) -> LowerBound:
    """The records the answer is made of, and the bytes of their needed columns alone: those
    columns of those records written as one Snappy Parquet file, without its footer."""
    scheme = events.scheme
    needed = sorted(touched_columns(case.sql(scheme), set(TABLE_COLUMNS)))
    matching = case.matching_query().render(scheme, TABLE, dialect="duckdb")
    select = ", ".join(".".join(f'"{part}"' for part in ["m", *path.split(".")]) + f' AS "{path}"' for path in needed)
    table = events.connection.sql(
        f"SELECT {select} FROM ({matching.sql}) AS m", params=matching.named_parameters(values)
    ).to_arrow_table()
    path = scratch / f"lower-bound-{case.name}.parquet"
    pq.write_table(table, path, compression="snappy")
    metadata = pq.ParquetFile(path).metadata
    size = sum(
        metadata.row_group(g).column(c).total_compressed_size
        for g in range(metadata.num_row_groups)
        for c in range(metadata.num_columns)
    )
    return LowerBound(table.num_rows, size)
