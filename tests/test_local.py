"""DuckDB over a local copy of the bucket (seslog.eventlog.local): JSON and ORC read at query time as the
Glue table's columns, JSON as the OpenX SerDe reads what SES writes, and the documented
differences for records SES never writes."""

import gzip
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seslog.eventlog import local
from seslog.eventlog.compression import compress_json
from seslog.eventlog.generator import all_samples
from seslog.eventlog.layout import write_layout
from seslog.eventlog.local import LayoutError, LocalEvents, MalformedRecord, UnreadableObjectError
from seslog.eventlog.prefixes import DATA_PREFIX
from seslog.eventlog.schema import glue_columns

ARRIVAL = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
COLUMNS = [c["name"] for c in glue_columns()]


@pytest.fixture(scope="module")
def samples(sample_records) -> list[dict]:
    """One record of each event type, as SES publishes it."""
    return list(all_samples({r["eventType"]: r for r in sample_records.values()}).values())


@pytest.fixture(scope="module")
def written(samples, tmp_path_factory) -> dict[str, LocalEvents]:
    root = tmp_path_factory.mktemp("local")
    for fmt in ("json", "parquet", "orc"):
        write_layout([(ARRIVAL, r) for r in samples], root / fmt, format=fmt, partitioning="hour")
    return {fmt: LocalEvents(root / fmt) for fmt in ("json", "parquet", "orc")}


def every_row(events: LocalEvents) -> list[tuple]:
    return events.sql(f"SELECT * FROM events ORDER BY eventtype, {COLUMNS[1]}.messageid").rows


def test_json_reads_as_parquet_converted_by_firehose_columns_struct_fields_and_tag_names_alike(written):
    """The same records as JSON and as Parquet (converted as Firehose does, seslog.eventlog.arrow): the
    same columns of the same types, struct fields under their Glue names, map keys as SES wrote them."""
    json_types, parquet_types = (e.sql("DESCRIBE events").rows for e in (written["json"], written["parquet"]))
    assert [(name, type_) for name, type_, *_ in json_types] == [(name, type_) for name, type_, *_ in parquet_types]
    assert [name for name, *_ in json_types] == [*COLUMNS, "dt", "hour"]
    assert "messageid VARCHAR" in {n: t for n, t, *_ in json_types}["mail"]
    rows = every_row(written["json"])
    assert rows == every_row(written["parquet"])
    assert len(rows) == 10
    tags = {k for row in rows for k in (row[1]["tags"] or {})}
    assert {"ses:from-domain", "ses:configuration-set"} <= tags and any(not k.islower() for k in tags)


def test_orc_reads_as_parquet_but_for_the_null_common_headers_it_cannot_write(written):
    """pyarrow's ORC writer cannot hold a null struct inside a struct (seslog.eventlog.layout): a Rendering
    Failure's absent mail.commonHeaders reads as a struct of nulls."""

    def null_common_headers(row: tuple) -> tuple:
        headers = row[1]["commonheaders"]
        return (row[0], {**row[1], "commonheaders": None if headers and not any(headers.values()) else headers}, *row[2:])

    assert [null_common_headers(row) for row in every_row(written["orc"])] == every_row(written["parquet"])


def write_lines(root: Path, lines: list[str]) -> LocalEvents:
    folder = root / DATA_PREFIX / "dt=2024-05-01"
    folder.mkdir(parents=True)
    (folder / "object.json.gz").write_bytes(compress_json(("\n".join(lines) + "\n").encode(), "GZIP"))
    return LocalEvents(root)


def test_json_values_are_read_as_the_openx_serde_reads_them(tmp_path):
    """Keys that match no column are ignored, a string column takes any JSON value as compact JSON,
    an empty string for an array is null."""
    events = write_lines(
        tmp_path,
        [json.dumps({"eventType": {"a": 1, "b": [1, 2.50, "é"]}, "unknown": 1, "mail": {"messageId": 1.50, "destination": ""}})],
    )
    rows = events.sql("SELECT eventtype, mail.messageid, mail.destination, dt FROM events").rows
    assert rows == [('{"a":1,"b":[1,2.5,"é"]}', "1.5", None, "2024-05-01")]


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (
            "not json",
            r"line 3 is not JSON \(Expecting value: line 1 column 1 \(char 0\)\); Athena fails the query on it too \(HIVE_CURSOR_ERROR",
        ),
        ("[1, 2]", r"line 3 is JSON but not an object; Athena fails the query on it too"),
        ("{}", r"line 3 is a JSON object with neither eventType nor mail, not an SES event record"),
    ],
)
def test_a_line_that_is_no_ses_record_fails_the_query_naming_the_object_and_line(tmp_path, line, what):
    """As Athena's OpenX SerDe fails on a line that is not a JSON object (the program's table does not
    set ignore.malformed.json), rather than reading it as a row of nulls or dropping it."""
    record = json.dumps({"eventType": "Send", "mail": {"messageId": "m"}})
    events = write_lines(tmp_path, [record, "", line, record])
    with pytest.raises(MalformedRecord, match=f"^events/dt=2024-05-01/object.json.gz: {what}"):
        events.sql("SELECT eventtype FROM events")


def test_json_that_ses_never_writes_reads_as_the_module_docstring_says(tmp_path):
    """Not as the OpenX SerDe: a key in another case is not matched, a non-array value for an array
    is null, a number for a boolean is converted, an empty line is no row."""
    events = write_lines(
        tmp_path, [json.dumps({"eventtype": "Send", "mail": {"destination": "a@example.com", "headersTruncated": 1}}), ""]
    )
    assert events.sql("SELECT eventtype, mail.destination, mail.headerstruncated FROM events").rows == [(None, None, True)]


def test_hadoop_snappy_json_is_read_and_a_damaged_object_named(samples, tmp_path):
    write_layout([(ARRIVAL, r) for r in samples], tmp_path, format="json", partitioning="date", compression="HADOOP_SNAPPY")
    assert LocalEvents(tmp_path).sql("SELECT count(*), count(DISTINCT eventtype) FROM events").rows == [(10, 10)]
    damaged = next(tmp_path.rglob("*.json.snappy"))
    damaged.write_bytes(damaged.read_bytes()[:20])
    with pytest.raises(UnreadableObjectError, match=f"^{damaged}: cannot read it as HADOOP_SNAPPY JSON"):
        LocalEvents(tmp_path)


def test_a_directory_without_objects_of_the_format_asked_for_is_refused(samples, tmp_path):
    write_layout([(ARRIVAL, r) for r in samples], tmp_path, format="json", partitioning="date")
    with pytest.raises(LayoutError, match=f"no parquet objects under {tmp_path / DATA_PREFIX}"):
        LocalEvents(tmp_path, format="parquet", partitioning="date")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayoutError, match="no event objects under"):
        LocalEvents(tmp_path / "empty")


@pytest.mark.parametrize(
    ("fmt", "name", "body"),
    [("json", "x.json.gz", gzip.compress(b"{", mtime=0)[:10]), ("orc", "x.orc", b"not orc")],
    ids=["json", "orc"],
)
def test_an_unreadable_object_is_named_by_the_query_that_opens_it(samples, tmp_path, fmt, name, body):
    write_layout([(ARRIVAL, r) for r in samples], tmp_path, format=fmt, partitioning="date")
    (tmp_path / DATA_PREFIX / "dt=2024-05-01" / name).write_bytes(body)
    events = LocalEvents(tmp_path)
    with pytest.raises(Exception, match=str(tmp_path / DATA_PREFIX / "dt=2024-05-01" / name)) as raised:
        events.sql("SELECT count(*) FROM events")
    assert "\n" not in str(raised.value)


def test_parquet_footers_are_kept_between_queries_and_a_replaced_object_is_read_anew(samples, tmp_path):
    """Several queries of one investigation read the same objects: their footers are parsed once. An
    object replaced under its key (downloaded again after a damaged copy) is read as it is now."""
    write_layout([(ARRIVAL, r) for r in samples], tmp_path / "all", format="parquet", partitioning="none")
    write_layout([(ARRIVAL, r) for r in samples[:3]], tmp_path / "three", format="parquet", partitioning="none")
    events = LocalEvents(tmp_path / "all")
    assert events.sql("SELECT current_setting('parquet_metadata_cache')").rows == [(True,)]
    assert events.sql("SELECT count(*) FROM events").rows == [(10,)]
    (replaced,) = (tmp_path / "all").rglob("*.parquet")
    (replacement,) = (tmp_path / "three").rglob("*.parquet")
    replaced.write_bytes(replacement.read_bytes())
    assert events.sql("SELECT count(*) FROM events").rows == [(3,)]


def test_json_lines_are_read_as_text_and_typed_once(written):
    """read_json's typed columns cost DuckDB about 50 µs a column for every object it opens, more than
    a Firehose object of a few records takes to parse: the view reads lines as text and types each
    with one json_transform, and a partition predicate still keeps it from other objects."""
    plan = "".join(row[1] for row in written["json"].sql("EXPLAIN SELECT count(*) FROM events WHERE dt = '2024-05-02'").rows)
    assert "READ_JSON_OBJECTS" in plan and "READ_JSON " not in plan
    assert "Scanning Files: 0/1" in plan


def _damaged_in_place(path: Path) -> None:
    """The object's bytes replaced by as many unreadable ones, its modification time kept."""
    stat = path.stat()
    path.write_bytes(b"x" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_the_orc_columns_a_query_read_are_kept_for_the_next_and_read_again_once_changed(samples, tmp_path):
    write_layout([(ARRIVAL, r) for r in samples], tmp_path / "all", format="orc", partitioning="none")
    write_layout([(ARRIVAL, r) for r in samples[:3]], tmp_path / "three", format="orc", partitioning="none")
    events = LocalEvents(tmp_path / "all")
    assert events.sql("SELECT count(*) FROM events").rows == [(10,)]
    (kept,) = (tmp_path / "all").rglob("*.orc")
    _damaged_in_place(kept)
    assert events.sql("SELECT count(*), count(DISTINCT eventtype) FROM events").rows == [(10, 10)]  # not opened again
    # Kept for the process: the next question's view (serve and mcp open one each) reads them too.
    assert LocalEvents(tmp_path / "all").sql("SELECT count(DISTINCT eventtype) FROM events").rows == [(10,)]
    with pytest.raises(UnreadableObjectError, match=f"^{kept}: cannot read it as ORC"):
        events.sql("SELECT count(mail.messageid) FROM events")  # a column no query read yet
    (replacement,) = (tmp_path / "three").rglob("*.orc")
    kept.write_bytes(replacement.read_bytes())
    assert events.sql("SELECT count(*) FROM events").rows == [(3,)]


def test_orc_objects_beyond_the_memory_kept_are_read_again(samples, tmp_path, monkeypatch):
    monkeypatch.setattr(local, "_ORC_KEPT_BYTES", 1)  # only the object read last stays
    arrivals = [ARRIVAL, ARRIVAL.replace(hour=13)]
    write_layout([(at, r) for at in arrivals for r in samples], tmp_path, format="orc", partitioning="hour")
    events = LocalEvents(tmp_path)
    assert events.sql("SELECT count(*) FROM events").rows == [(20,)]
    first, last = sorted(tmp_path.rglob("*.orc"))
    assert events.sql("SELECT count(*) FROM events WHERE hour = 13").rows == [(10,)]
    _damaged_in_place(first)
    _damaged_in_place(last)
    assert events.sql("SELECT count(*) FROM events WHERE hour = 13").rows == [(10,)]  # kept
    with pytest.raises(UnreadableObjectError, match=f"^{first}: "):
        events.sql("SELECT count(*) FROM events WHERE hour = 12")  # let go


def test_views_share_one_duckdb_database_and_its_footers_but_not_their_objects(samples, tmp_path):
    """Making a DuckDB database takes about 25 ms and each seslog command or page opens a view: every
    view is a connection of its own to one database, its view temporary (no other connection sees it),
    and the Parquet footers one view read serve the next (seslog serve and mcp open the same directory
    again and again)."""
    write_layout([(ARRIVAL, r) for r in samples], tmp_path / "all", format="parquet", partitioning="none")
    write_layout([(ARRIVAL, r) for r in samples[:3]], tmp_path / "three", format="parquet", partitioning="none")
    every, three = LocalEvents(tmp_path / "all"), LocalEvents(tmp_path / "three")
    assert every.sql("SELECT count(*) FROM events").rows == [(10,)]
    assert three.sql("SELECT count(*) FROM events").rows == [(3,)]
    (kept,) = (tmp_path / "all").rglob("*.parquet")
    _damaged_in_place(kept)  # the footer another view read is kept: a count reads nothing else
    assert LocalEvents(tmp_path / "all").sql("SELECT count(*) FROM events").rows == [(10,)]


def test_the_guide_says_how_much_of_the_orc_columns_is_kept():
    guide = (Path(__file__).resolve().parents[1] / "docs" / "investigating.md").read_text(encoding="utf-8")
    assert f"up to {local._ORC_KEPT_BYTES // 1024**2} MiB of ORC columns" in " ".join(guide.split())
