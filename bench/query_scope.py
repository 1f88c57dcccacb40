"""What a rendered query makes an engine read: which columns, and which partitions.

Read from the SQL itself (DuckDB dialect, parsed with sqlglot), so the figures follow the
query templates in ``seslog/eventlog/queries/`` whatever they become:

- columns: every ``column.field.field`` reference whose first name is a table column. Athena
  (Trino) reads struct fields alone and an array or a map whole, so ``transform(bounce.bouncedrecipients,
  x -> x.emailaddress)`` reads all of ``bounce.bouncedrecipients``;
- partitions: the conjuncts of the WHERE clauses over the table that name partition columns
  only, which is what partition projection prunes with.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"


def _parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read=DIALECT)


def touched_columns(sql: str, table_columns: set[str]) -> set[str]:
    """The dotted column paths (``mail.messageid``, ``eventtype``) the query reads."""
    paths = set()
    for column in _parse(sql).find_all(exp.Column):
        parts = [p.name.lower() for p in column.parts]
        if parts and parts[0] in table_columns:
            paths.add(".".join(parts))
    return paths


def _reads(select: exp.Select, table: str) -> bool:
    source = select.args.get("from") or select.args.get("from_")
    return isinstance(source, exp.From) and isinstance(source.this, exp.Table) and source.this.name == table


def _selects_reading(tree: exp.Expression, table: str) -> list[exp.Select]:
    selects = [s for s in tree.find_all(exp.Select) if _reads(s, table)]
    if not selects:
        raise ValueError(f"the query reads no table {table!r}")
    return selects


def _conjuncts(condition: exp.Expression) -> list[exp.Expression]:
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    if isinstance(condition, exp.And):
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    return [condition]


def partition_conditions(sql: str, table: str, partition_columns: set[str]) -> list[str]:
    """The conditions (DuckDB SQL) on partition columns alone in the WHERE of every select over
    ``table``: a partition is read when it satisfies all of them."""
    found = []
    for select in _selects_reading(_parse(sql), table):
        where = select.args.get("where")
        if where is None:
            continue
        for condition in _conjuncts(where.this):
            names = {c.name.lower() for c in condition.find_all(exp.Column)}
            if names and names <= partition_columns:
                found.append(condition.sql(dialect=DIALECT))
    return found


def with_condition(sql: str, table: str, condition: str) -> str:
    """``sql`` with ``condition`` added to the WHERE of every select over ``table``."""
    tree = _parse(sql)
    for select in _selects_reading(tree, table):
        select.where(sqlglot.condition(condition, dialect=DIALECT), dialect=DIALECT, copy=False)
    return tree.sql(dialect=DIALECT)


def parameters(sql: str) -> set[str]:
    """The named parameters (``$name``) the SQL uses."""
    return {p.name for p in _parse(sql).find_all(exp.Placeholder) if p.name}
