"""Cognito's error log read for a range of days, on Athena or from a local copy, with the one query both run.

The query is ``queries/cognito-errors.sql`` (the stack saves it in its workgroup too), rendered for the
log's layout (``log.SCHEME``): Athena's dialect for the stack's ``cognito_errors`` table, DuckDB's for a
local copy, where the table is a view over ``cognito/**/*.gz``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from seslog.cognito.log import MESSAGE_FIELDS, SCHEME, TABLE_NAME, CognitoError, parse_record
from seslog.eventlog.prefixes import COGNITO_PREFIX
from seslog.eventlog.queries import NamedQuery, load
from seslog.eventlog.schema import duckdb_type

QUERY: NamedQuery = load(Path(__file__).resolve().parent / "queries" / "cognito-errors.sql")
"""Cognito's errors logged on the days from ``from_date`` to ``to_date`` (their objects' arrival days, a day either side)."""


def local_view(directory: Path) -> str | None:
    """The DuckDB statement that makes ``cognito_errors`` a view of a local copy's Cognito log; None when the copy has
    none. DuckDB matches column names in any case, so the view's columns are the JSON keys and the query's lower-case
    Glue names find them."""
    root = Path(directory) / COGNITO_PREFIX
    if not any(root.glob("dt=*/*.gz")):
        return None
    columns = "{" + ", ".join(f"'{f.name}': '{duckdb_type(f.type, lambda g: g.name)}'" for f in MESSAGE_FIELDS) + "}"
    files = (root / "dt=*" / "*.gz").as_posix().replace("'", "''")
    return (
        f"CREATE OR REPLACE TEMP VIEW {TABLE_NAME} AS SELECT * FROM read_json('{files}', format='newline_delimited', "
        f"columns={columns}, hive_partitioning=true, hive_types={{'dt': 'VARCHAR'}}, compression='gzip')"
    )


def run_local(directory: Path, values: Mapping[str, str]) -> list[dict[str, Any]] | None:
    """The query's rows from a local copy; None when it holds no Cognito log."""
    view = local_view(directory)
    if view is None:
        return None
    import duckdb  # the --local extra

    checked = QUERY.check(values)
    rendered = QUERY.render(SCHEME, TABLE_NAME, dialect="duckdb")
    with duckdb.connect() as connection:
        connection.execute(view)
        cursor = connection.execute(rendered.sql, rendered.named_parameters(checked))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def errors_of(rows: Iterable[Mapping[str, Any]]) -> tuple[list[CognitoError], int]:
    """The errors the query's rows hold, and how many rows could not be read as Cognito records (counted, not dropped
    silently)."""
    found, unreadable = [], 0
    for row in rows:
        try:
            found.append(parse_record(row["record"], _int(row.get("log_time"))))
        except (ValueError, TypeError, KeyError):
            unreadable += 1
    return found, unreadable


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
