"""A lookup on Athena over a compacting stack: the UNION of the compacted tables (the manifest's files of one bucket)
and the raw table (the objects not compacted, by ``"$path"``). The SQL seslog sends Athena is run on DuckDB (sqlglot
turns Trino's into DuckDB's; views stand for the Glue tables, ``"$path"`` included) over a copy compacted by the hour
up to the middle of its data: every answer equals the raw table's, row for row."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlglot

from seslog.athena import AthenaResult
from seslog.compaction.reading import ATHENA_QUERY_LIMIT, BucketCompaction
from seslog.compaction.run import compact
from seslog.compaction.store import LocalStore
from seslog.engine import AthenaEngine, describe_split
from seslog.eventlog.local import LocalEvents
from seslog.eventlog.prefixes import DATA_PREFIX
from tests.shared_data import shared_layouts
from tests.test_compaction import FIRST, LAST
from tests.test_queries import LAYOUTS, STREAM, generated, samples  # noqa: F401 (fixtures)

MIDDLE = datetime.fromisoformat(f"{LAST}T06:00:00+00:00")


class DuckDBAthena:
    """Athena's ``run`` played by DuckDB: the Trino SQL transpiled, its ``?`` filled with the execution parameters, the
    Glue tables views over the copy, each with the ``"$path"`` Athena gives a row."""

    def __init__(self, root: Path):
        self.connection = duckdb.connect()
        events = f"{root}/{DATA_PREFIX}**/*.parquet"
        self.connection.sql(
            f"""CREATE VIEW events AS SELECT * EXCLUDE (filename), filename AS "$path"
            FROM read_parquet('{events}', filename = true, hive_partitioning = true, hive_types_autocast = false)"""
        )
        for table in ("messages", "recipients") if (root / "compact").is_dir() else ():
            files = f"{root}/compact/{table}/*/*/*.parquet"
            self.connection.sql(
                f"""CREATE VIEW compact_{table} AS SELECT * EXCLUDE (filename, bucket), CAST(bucket AS INTEGER) AS bucket,
                filename AS "$path" FROM read_parquet('{files}', filename = true, hive_partitioning = true)"""
            )
        self.queries: list[str] = []

    def run(self, sql: str, parameters: list[str]) -> AthenaResult:
        self.queries.append(sql)
        duck = sqlglot.transpile(sql, read="trino", write="duckdb")[0]
        pieces = duck.split("?")
        assert len(pieces) == len(parameters) + 1, "every ? has its execution parameter"
        filled = pieces[0] + "".join(p + piece for p, piece in zip(parameters, pieces[1:], strict=True))
        cursor = self.connection.execute(filled)
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return AthenaResult("q", columns, rows, 0, 0)


@pytest.fixture(scope="module")
def copy(generated, tmp_path_factory) -> tuple[LocalEvents, Path]:  # noqa: F811
    """The parquet send-date layout's objects, compacted by the hour (the stack's job) up to the middle of the data."""
    root = shared_layouts(tmp_path_factory, "query-layouts", generated, LAYOUTS, STREAM)["parquet-send-date"]
    target = tmp_path_factory.mktemp("athena-compacted")
    shutil.copytree(root / DATA_PREFIX, target / DATA_PREFIX, copy_function=os.link)
    compact(target, now=MIDDLE, unit="hour", settle=timedelta(0))
    return LocalEvents(root), target


def engine(root: Path, now: datetime = MIDDLE) -> tuple[AthenaEngine, DuckDBAthena]:
    athena = DuckDBAthena(root)
    compaction = BucketCompaction(LocalStore(root), f"{root}/", now)
    return AthenaEngine(athena, partitioning="send-date", table="events", compaction=compaction), athena  # type: ignore[arg-type]


def lookups(records: list) -> list[tuple[str, dict[str, str]]]:
    days = {"from_date": FIRST, "to_date": LAST}
    addresses = Counter(a for _, r in records if r["eventType"] == "Send" for a in r["mail"]["destination"])
    messages = [r["mail"]["messageId"] for _, r in records if r["eventType"] == "Send"][::40]
    asked = [("recipient-events", {"address": a.upper(), **days}) for a, _ in addresses.most_common(3)]
    asked.append(("recipient-events", {"address": "nobody@example.net", **days}))
    return asked + [("message-events", {"message_id": m, **days}) for m in messages]


def test_athena_answers_from_the_compacted_tables_and_the_objects_not_compacted_as_the_raw_table_does(copy, generated):  # noqa: F811
    raw, root = copy
    athena_engine, athena = engine(root)
    for query, values in lookups(generated):
        expected = raw.run(query, values).records()
        assert athena_engine.run(query, values) == expected, (query, values)
    unions = [q for q in athena.queries if "UNION ALL" in q]
    assert unions and all('"$path" IN (' in q and "bucket = " in q for q in unions)
    split = athena_engine.compaction_split()
    assert split is not None and split["through"] == MIDDLE.isoformat()
    assert all(a["raw_only"] is None for a in split["answers"]) and any(a["objects_not_compacted"] for a in split["answers"])
    assert describe_split(split).startswith(f"seslog: {len(split['answers'])} answers from ")


def test_a_lookup_with_nothing_in_its_bucket_or_left_to_compact_asks_athena_nothing(copy, tmp_path):
    _, root = copy
    later = tmp_path / "all"
    shutil.copytree(root, later, copy_function=os.link)
    (later / "compact" / "manifest.json").unlink()
    shutil.copy(root / "compact" / "manifest.json", later / "compact" / "manifest.json")
    compact(later, now=datetime(2030, 1, 1, tzinfo=UTC), unit="hour", settle=timedelta(0))
    athena_engine, athena = engine(later, datetime(2030, 1, 1, tzinfo=UTC))
    assert (
        athena_engine.run("message-events", {"message_id": "nothing-like-it", "from_date": "2024-04-01", "to_date": "2024-04-02"})
        == []
    )
    assert athena.queries == []


def test_without_a_manifest_or_past_athenas_query_length_the_raw_table_answers_alone_and_says_why(copy, generated, monkeypatch):  # noqa: F811
    raw, root = copy
    ((query, values),) = lookups(generated)[:1]
    bare = root.parent / "bare"
    shutil.copytree(root / DATA_PREFIX, bare / DATA_PREFIX, copy_function=os.link, dirs_exist_ok=True)
    athena_engine, athena = engine(bare)
    assert athena_engine.run(query, values) == raw.run(query, values).records()
    assert (
        "UNION" not in athena.queries[-1]
        and athena_engine.compaction_split()["answers"][0]["raw_only"] == "nothing is compacted yet"
    )
    monkeypatch.setattr("seslog.engine.ATHENA_QUERY_LIMIT", 100)
    athena_engine, athena = engine(root)
    assert athena_engine.run(query, values) == raw.run(query, values).records()
    (answer,) = athena_engine.compaction_split()["answers"]
    assert answer["raw_only"].endswith("objects are not compacted yet, too many to name in one query")
    assert ATHENA_QUERY_LIMIT == 262_144


def test_a_stack_that_compacts_gets_its_lookups_read_from_the_compacted_tables(monkeypatch):
    from seslog import cli
    from seslog.target import StackTarget

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    stack = {
        "workgroup": "w",
        "database": "d",
        "table": "events",
        "partitioning": "send-date",
        "bucket": "b",
        "retention_days": "30",
    }
    compacting = cli.engine_for(StackTarget(**stack, compaction_function="f"), 10, None)
    assert isinstance(compacting, AthenaEngine) and compacting.compaction is not None
    assert compacting.compaction.root == "s3://b/" and compacting.compaction.store.scheme.keys[0].late_days == 30
    assert cli.engine_for(StackTarget(**stack), 10, None).compaction is None


def test_the_on_call_policy_lets_a_lookup_read_the_manifest_the_objects_and_the_compacted_tables():
    import json
    import re

    from seslog.compaction.manifest import MANIFEST
    from seslog.compaction.tables import TABLES
    from seslog.eventlog.prefixes import COMPACT_PREFIX

    text = (Path(__file__).resolve().parents[1] / "docs" / "permissions.md").read_text(encoding="utf-8")
    policy = json.loads(re.search(r"```json\n(.*?)```", text, re.DOTALL).group(1))
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    for table in TABLES:
        assert f"arn:aws:glue:REGION:ACCOUNT:table/DATABASE/{table.glue_name}" in by_sid["ReadTheTableDefinition"]["Resource"]
    listed = by_sid["ListEventsAndResults"]["Condition"]["StringLike"]["s3:prefix"]
    assert {f"{COMPACT_PREFIX}*", f"{DATA_PREFIX}*"} <= set(listed)
    assert (
        MANIFEST.startswith(COMPACT_PREFIX)
        and f"arn:aws:s3:::BUCKET/{COMPACT_PREFIX}*" in by_sid["ReadEventsAndResults"]["Resource"]
    )
