"""The benchmark: its byte accounting against independent computations on hand-made files and
layouts, and a tiny run end to end whose numbers must agree with each other."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyarrow import orc

from bench import __main__ as cli
from bench import run as bench_run
from bench import volume
from bench.accounting import Written, measure_layout, needed_columns, object_facts
from bench.columns import ORC_HEAD, PARQUET_HEAD, READERS, bytes_read, orc_columns, parquet_columns
from bench.layouts import (
    BASELINE,
    LAYOUTS,
    RECIPIENT_BUCKETS,
    RECIPIENT_SCHEME,
    derived_key,
    recipient_bucket,
)
from bench.orcfile import read_layout
from bench.query_scope import partition_conditions, touched_columns, with_condition
from bench.report import csv_text, markdown, rows
from bench.run import WRITE_SECONDS, Scale, run, shares, time_layout, write_share
from bench.workload import BY_NAME, CASES
from seslog.eventlog import local
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.layout import KeyExtractor
from seslog.eventlog.local import LocalEvents
from seslog.eventlog.partitioning import SCHEMES
from seslog.eventlog.prefixes import DATA_PREFIX

TINY = Scale(messages=120, days=2, recipients=120)
TINY_LAYOUTS = (
    "json-none",
    "json-date",
    "json-event-type",
    "json-recipient",
    "parquet-none",
    "parquet-date",
    "orc-date",
    "json-send-date",
    "parquet-send-date",
)


# --- byte accounting on hand-made files -------------------------------------------------------


def _table(rows: int) -> pa.Table:
    rng = random.Random(7)
    # ``payload`` is random bytes: they do not compress, so their size is known; ``kind`` is constant.
    return pa.table(
        {
            "kind": pa.array(["Delivery"] * rows),
            # Every seventh mail is null: the struct has a stream of its own (which rows are present).
            "mail": pa.array(
                [None if i % 7 == 0 else {"messageid": f"{i:08d}", "destination": [f"user{i}@example.jp"]} for i in range(rows)],
                pa.struct([("messageid", pa.string()), ("destination", pa.list_(pa.string()))]),
            ),
            "payload": pa.array([rng.randbytes(100) for _ in range(rows)], pa.binary()),
        }
    )


def test_parquet_accounting_tiles_the_file_and_puts_each_column_where_its_bytes_are(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(_table(4000), path, compression="snappy", use_dictionary=False)
    columns = parquet_columns(path)
    assert PARQUET_HEAD + columns.footer + sum(columns.columns.values()) == path.stat().st_size
    assert set(columns.columns) == {"kind", "mail.messageid", "mail.destination", "payload"}
    # 4,000 incompressible 100-byte values: at least 400,000 bytes, plus lengths and page headers.
    assert 400_000 <= columns.columns["payload"] < 400_000 * 1.05
    assert columns.columns["kind"] < columns.columns["payload"] / 100
    assert bytes_read(columns, ["kind"]) == columns.footer + columns.columns["kind"]
    assert (
        bytes_read(columns, ["mail"]) == columns.footer + columns.columns["mail.messageid"] + columns.columns["mail.destination"]
    )


def test_orc_accounting_matches_pyarrow_and_tiles_the_file(tmp_path):
    path = tmp_path / "f.orc"
    table = _table(4000)
    orc.write_table(table, path, compression="snappy")
    data = path.read_bytes()
    layout = read_layout(data)
    reader = orc.ORCFile(path)
    assert layout.rows == reader.nrows == 4000
    # One ORC column per type node: the row, kind, mail, messageid, destination, its element, payload.
    assert [c.path for c in layout.columns] == [
        "",
        "kind",
        "mail",
        "mail.messageid",
        "mail.destination",
        "mail.destination",
        "payload",
    ]
    assert ORC_HEAD + layout.tail + sum(layout.data_bytes.values()) + sum(layout.index_bytes.values()) == len(data)
    columns = orc_columns(path)
    assert 400_000 <= columns.columns["payload"] < 400_000 * 1.05
    assert columns.columns["kind"] < columns.columns["payload"] / 100
    # The list's lengths (its own column) are read with its elements, and the struct's nulls with its fields.
    mail = next(c.id for c in layout.columns if c.path == "mail")
    assert layout.data_bytes[mail] > 0
    assert bytes_read(columns, ["mail.destination"]) == columns.footer + sum(
        layout.data_bytes[c.id] for c in layout.columns if c.path in ("", "mail", "mail.destination")
    )


def _json_object(path: Path, records: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"eventType": "Send", "mail": {"messageId": f"m{i}"}}) + "\n" for i in range(records)]
    path.write_bytes(gzip.compress("".join(lines).encode(), mtime=0))


def test_pruned_bytes_of_a_hand_made_date_layout(tmp_path):
    layout = LAYOUTS["json-date"]
    days = {"2024-05-01": 3, "2024-05-02": 5, "2024-05-03": 8, "2024-05-05": 13}
    keys = {day: f"{DATA_PREFIX}dt={day}/ses-event-log-1-{day}-00-00-00-x.json.gz" for day in days}
    for day, key in keys.items():
        _json_object(tmp_path / layout.name / key, days[day])
    needed = [needed_columns(case, layout) for case in CASES]
    objects = [object_facts(key, days[day], READERS["json"](tmp_path / layout.name / key), needed) for day, key in keys.items()]
    values = {
        "timeline": {"message_id": "m1", "from_date": "2024-05-01", "to_date": "2024-05-01"},
        "message": {"message_id": "m1", "from_date": "2024-05-03", "to_date": "2024-05-03"},
        "recipient-first": {"address": "a@example.jp", "from_date": "2024-05-05", "to_date": "2024-05-05"},
        "recipient-third": {"address": "a@example.jp", "from_date": "2024-05-05", "to_date": "2024-05-05"},
        "bounces": {"recipient": "example.jp", "from_date": "2024-05-03", "to_date": "2024-05-03"},
        "daily-counts": {"from_date": "2024-05-01", "to_date": "2024-05-01"},
    }
    measure = measure_layout(Written(layout.name, objects, 0.0), values)

    def size(*days_kept: str) -> int:
        return sum((tmp_path / layout.name / keys[d]).stat().st_size for d in days_kept)

    # Event days widen by a day either way, send days by a day before and four after (seslog.eventlog.queries).
    assert measure.queries["bounces"].bytes == size("2024-05-02", "2024-05-03")
    assert measure.queries["daily-counts"].bytes == size("2024-05-01", "2024-05-02")
    assert measure.queries["timeline"].bytes == size("2024-05-01", "2024-05-02", "2024-05-03", "2024-05-05")
    assert measure.queries["message"].bytes == size("2024-05-02", "2024-05-03", "2024-05-05")
    assert measure.queries["recipient-first"].bytes == size("2024-05-05")
    assert measure.queries["recipient-first"].objects == 1
    assert measure.stored_bytes == size(*days) and measure.events == sum(days.values())


# --- the recipient key and the derived layouts ------------------------------------------------


@pytest.mark.parametrize("address", ["taro@example.jp", "Taro@Example.JP", "USER0001@EXAMPLE.COM", "ärger@例え.jp", "a"])
def test_recipient_bucket_is_what_firehose_jq_extracts(address):
    extractor = KeyExtractor(RECIPIENT_SCHEME.metadata_extraction_query(), ["recipient_bucket"])
    record = {"eventType": "Send", "mail": {"destination": [address, "second@example.com"]}}
    keys = extractor.extract((json.dumps(record, ensure_ascii=False) + "\n").encode())
    assert keys == {"recipient_bucket": str(recipient_bucket(address))}
    assert 0 <= recipient_bucket(address) < RECIPIENT_BUCKETS


def test_recipient_scheme_stays_within_firehose_active_partitions_and_out_of_the_product():
    # Firehose: 500 active partitions per stream by default; a buffer can be open across midnight.
    assert 2 * RECIPIENT_BUCKETS <= 500
    assert RECIPIENT_SCHEME.name not in SCHEMES


def test_linked_layouts_hold_exactly_what_the_stream_would_write(tmp_path):
    small = Scale(messages=40, days=1, recipients=50)
    linked = {w.layout: w for w in write_share(["json-date", "json-none", "json-hour"], tmp_path / "linked", small)}
    for name in ("json-none", "json-hour"):
        assert LAYOUTS[name].derived_from == "json-date"
        direct = write_share([name], tmp_path / "direct", small)[0]
        assert sorted((o.key, o.size) for o in linked[name].objects) == sorted((o.key, o.size) for o in direct.objects)
        for o in direct.objects:
            assert (tmp_path / "linked" / name / o.key).read_bytes() == (tmp_path / "direct" / name / o.key).read_bytes()


def test_derived_key_uses_the_time_in_the_object_name():
    key = "events/dt=2024-05-01/ses-event-log-1-2024-05-01-23-59-58-0b7c.json.gz"
    assert derived_key(key, LAYOUTS["json-none"]) == "events/2024/05/01/23/ses-event-log-1-2024-05-01-23-59-58-0b7c.json.gz"
    assert (
        derived_key(key, LAYOUTS["json-hour"]) == "events/dt=2024-05-01/hour=23/ses-event-log-1-2024-05-01-23-59-58-0b7c.json.gz"
    )


# --- what a query touches ---------------------------------------------------------------------


def test_touched_columns_follow_struct_fields_but_not_lambda_variables():
    sql = "SELECT e.x FROM (SELECT mail.commonheaders.subject AS x, list_transform(bounce.bouncedrecipients, lambda r: r.emailaddress) AS y FROM events WHERE eventtype = 'Bounce') AS e"
    assert touched_columns(sql, {"mail", "bounce", "eventtype"}) == {
        "mail.commonheaders.subject",
        "bounce.bouncedrecipients",
        "eventtype",
    }


def test_partition_conditions_are_the_conjuncts_on_partition_columns_only():
    sql = "SELECT * FROM (SELECT * FROM events WHERE dt BETWEEN $a AND $b AND eventtype = 'Send' AND (hour = 1 OR dt = $a)) AS e WHERE e.x = 1"
    assert partition_conditions(sql, "events", {"dt", "hour"}) == ["dt BETWEEN $a AND $b", "hour = 1 OR dt = $a"]
    added = with_condition(sql, "events", "recipient_bucket = $b")
    assert partition_conditions(added, "events", {"recipient_bucket"}) == ["recipient_bucket = $b"]


# --- a tiny run end to end --------------------------------------------------------------------


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run(TINY, tmp_path_factory.mktemp("bench"), names=TINY_LAYOUTS, runs=1)


def test_every_query_reads_at_most_what_is_stored_and_at_least_the_lower_bound(results):
    for measure in results.layouts.values():
        assert measure.events == results.layouts[BASELINE].events > TINY.messages
        for query in measure.queries.values():
            assert 0 < query.bytes <= measure.stored_bytes
            assert 0 < query.objects <= measure.objects
            assert query.bytes >= results.lower_bounds[query.case].bytes


def test_each_timed_run_opens_the_layout_afresh_as_a_first_question_does(results, monkeypatch):
    """seslog.eventlog.local keeps Parquet footers and ORC columns for the process: a run timed after
    the one before would time a second question, not the first."""
    opened = []

    class Counted(LocalEvents):
        def __init__(self, *arguments, **options):
            super().__init__(*arguments, **options)
            opened.append((self, local._DATABASE[0], dict(local._KEPT._objects)))

    monkeypatch.setattr(bench_run, "LocalEvents", Counted)
    measure = results.layouts["orc-date"]
    time_layout(measure, results.work, results.picked, runs=3, cases=["timeline"])
    assert len(opened) == measure.queries["timeline"].runs == 3
    assert len({id(database) for _, database, _ in opened}) == 3  # a new database each time
    assert [kept for *_, kept in opened] == [{}, {}, {}]  # and no ORC column kept


def test_the_baseline_reads_everything_for_every_query(results):
    baseline = results.layouts[BASELINE]
    for query in baseline.queries.values():
        assert (query.objects, query.bytes) == (baseline.objects, baseline.stored_bytes)


def test_columnar_formats_read_only_the_columns_of_the_daily_counts(results):
    json_date, parquet_date, orc_date = (results.layouts[n].queries for n in ("json-date", "parquet-date", "orc-date"))
    for columnar in (parquet_date, orc_date):
        assert columnar["daily-counts"].objects == json_date["daily-counts"].objects
        # Column bytes: fewer than the JSON objects, and a fraction of what the timeline's columns take.
        # (At this scale an object holds a few records and its footer outweighs them: see the results.)
        assert columnar["daily-counts"].data_bytes < json_date["daily-counts"].bytes
        assert columnar["daily-counts"].data_bytes < columnar["timeline"].data_bytes / 2
        assert columnar["daily-counts"].footer_bytes > 0
    assert json_date["daily-counts"].footer_bytes == 0


def test_recipient_layout_reads_one_bucket_for_a_first_recipient_and_every_bucket_for_the_others(results):
    date, recipient = results.layouts["json-date"].queries, results.layouts["json-recipient"].queries
    assert recipient["recipient-first"].objects < date["recipient-first"].objects
    assert recipient["recipient-first"].objects < recipient["recipient-third"].objects
    # Without the bucket, the recipient layout reads every object the day range keeps: more than the date layout.
    assert recipient["recipient-third"].objects > date["recipient-third"].objects


def test_pruned_queries_return_what_the_baseline_returns(results):
    baseline = results.layouts[BASELINE].queries
    for name, measure in results.layouts.items():
        for case, query in measure.queries.items():
            if name == "json-recipient" and case == "recipient-first":
                # Only the messages whose first recipient is the address: never more.
                assert 0 < query.rows <= baseline[case].rows
            else:
                assert query.rows == baseline[case].rows, (name, case)


def test_lower_bound_records_are_the_records_of_the_answers(results):
    events = LocalEvents(results.work / "parquet-none", format="parquet", partitioning="none")
    picked, lower = results.picked, results.lower_bounds
    assert len(events.run("message-timeline", picked["timeline"]).rows) == lower["timeline"].records > 1
    # One row per bounced or complaining recipient: the generated events name one each.
    assert len(events.run("bounces-complaints", picked["bounces"]).rows) == lower["bounces"].records > 0
    counts = events.run("daily-counts", picked["daily-counts"]).records()
    assert sum(r["events"] for r in counts) == lower["daily-counts"].records
    third = picked["recipient-third"]
    messages = events.sql(
        "SELECT count(DISTINCT mail.messageid) FROM events WHERE eventtype = 'Send' AND list_contains(mail.destination, $address)"
        ' AND substr(mail."timestamp", 1, 10) BETWEEN $from_date AND $to_date',
        third,
    ).rows[0][0]
    assert len(events.run("recipient-messages", third).rows) == messages > 0
    assert lower["recipient-third"].records >= messages


def test_objects_of_more_records_take_fewer_bytes_an_event(results):
    counts = sorted({records for _, records in results.probed})
    assert counts[0] == 30 and counts[-1] == results.layouts[BASELINE].events  # the tiny stream has fewer than 3,000
    for fmt in ("parquet", "orc"):
        small, big = results.probed[fmt, counts[0]], results.probed[fmt, counts[-1]]
        assert small.size / counts[0] > 2 * big.size / counts[-1]
    points = results.density["parquet-date"]
    assert [p.records_per_object for p in points] == counts
    assert points[0].data_bytes_per_event > points[-1].data_bytes_per_event
    assert len(points[0].query_bytes_per_event) == len(CASES)


def test_report_table_has_a_row_per_layout_and_query_and_the_machine(results):
    table = list(csv.DictReader(io.StringIO(csv_text(results))))
    assert len(table) == len(TINY_LAYOUTS) * len(CASES) == len(rows(results))
    assert {r["query"] for r in table} == set(BY_NAME)
    baseline_rows = [r for r in table if r["layout"] == BASELINE]
    assert all(float(r["x_baseline"]) == 1 for r in baseline_rows)
    text = markdown(
        results,
        {
            "date": "2026-01-01 00:00 UTC",
            "cpus": "2",
            "cpu": "Test CPU",
            "ram": "1 GiB",
            "os": "Linux",
            "python": "3",
            "duckdb": "1",
            "pyarrow": "2",
        },
    )
    assert "Test CPU" in text and "| json-recipient |" in text and "10,000" in text


def test_cli_refuses_an_unknown_layout_and_a_used_work_directory(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--layouts", "json-none,parquet-none,csv-date"])
    assert exit_info.value.code == 2
    assert "csv-date: no such layout" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["--layouts", "json-date,parquet-none"])
    assert "must include json-none" in capsys.readouterr().err
    (tmp_path / "something").write_text("x")
    assert cli.main(["--scale", "10", "--work", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_readers_cover_every_format():
    assert set(READERS) == set(FORMATS)


# --- the documentation shows the committed results -------------------------------------------


def test_the_bench_tables_and_measurement_line_in_the_docs_are_rows_of_the_committed_results():
    """The numbers in docs/formats-and-partitioning.md are copied from
    bench/results/results.md, volume.md and compaction.md; a rerun of the benchmark must be copied again."""
    root = Path(__file__).resolve().parents[1]
    section = (root / "docs" / "formats-and-partitioning.md").read_text(encoding="utf-8")
    results = set()
    for name in ("results.md", "volume.md", "compaction.md"):
        results |= set((root / "bench" / "results" / name).read_text(encoding="utf-8").splitlines())
    table_rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    assert len(table_rows) > 40
    assert [row for row in table_rows if row not in results] == []
    measured = [line for line in section.splitlines() if line.startswith(("Measured ", "Stream: "))]
    assert len(measured) == 2 and set(measured) <= results


def test_shares_hold_every_layout_once_with_the_one_it_links_from_and_balance_the_work():
    names = list(LAYOUTS)
    two = shares(names, 2)
    assert sorted(n for share in two for n in share) == sorted(names)
    for share in two:
        for name in share:
            assert LAYOUTS[name].derived_from in (None, *share), (name, share)
    loads = [sum(WRITE_SECONDS.get(n, 0.0) for n in share) for share in two]
    assert abs(loads[0] - loads[1]) <= max(WRITE_SECONDS.values())
    # A layout usually linked from another is written when that one is not asked for.
    assert shares(["json-hour", "orc-hour"], 4) == [["orc-hour"], ["json-hour"]]


# --- the lookups at two volumes (bench.volume) -------------------------------------------------


def test_the_send_date_layout_reads_one_send_day_for_a_message_without_dates(results):
    date_, send = results.layouts["json-date"].queries, results.layouts["json-send-date"].queries
    # json-date reads the arrival days around the send day; json-send-date that day's partitions only.
    assert send["message"].bytes < date_["message"].bytes
    assert send["message"].rows == date_["message"].rows == results.layouts[BASELINE].queries["timeline"].rows
    assert results.layouts["json-send-date"].active_partitions >= 2 > results.layouts["json-date"].active_partitions == 1


def test_volume_figures_as_measured_and_scaled_to_30_days_kept(results):
    measured, layouts = volume.figures(results, "tiny", steady=False)
    by = {(f.layout, f.case): f for f in measured}
    assert {f.vs_baseline for f in measured if f.layout == BASELINE} == {1.0}
    assert by["json-send-date", "message"].vs_baseline < by["json-date", "message"].vs_baseline <= 1
    steady, _ = volume.figures(results, volume.label(TINY), steady=True)
    by = {(f.layout, f.case): f for f in steady}
    # The same objects as the baseline, read 6 of 30 days (the day before sending to 4 after), 12 for a 7-day find.
    assert by["json-date", "message"].vs_baseline == pytest.approx(6 / 30)
    assert by["json-date", "recipient-third"].vs_baseline == pytest.approx(12 / 30)
    assert by["json-date", "bounces"].vs_baseline == pytest.approx(3 / 30)
    # One send day's partitions, whatever their arrival days; seven for the 7-day find.
    send_bytes = results.layouts["json-send-date"].stored_bytes / results.layouts[BASELINE].stored_bytes
    assert by["json-send-date", "message"].vs_baseline == pytest.approx(send_bytes / 30)
    assert by["json-send-date", "recipient-third"].vs_baseline == pytest.approx(7 * send_bytes / 30)
    assert by[BASELINE, "recipient-third"].lower_bound_mib == pytest.approx(
        results.lower_bounds["recipient-third"].bytes * 7 / TINY.days / 1024**2
    )
    assert {r.layout for r in layouts} == set(volume.REPORTED) and all(r.usd_per_month > 0 for r in layouts)
    text = volume.markdown([(results, True)], steady, layouts)
    assert f"| {volume.label(TINY)} | json-send-date | message |" in text and "Targets at a million mails a day" in text
    # The send day's partitions are the least any layout here reads for a message without dates.
    assert re.search(
        r"`message` \(seslog message ID without dates: the send days in the ID\): at most 3% of the baseline: "
        r"(not )?met; best `(json|parquet)-send-date`",
        text,
    ), text


def test_volume_cli_refuses_a_used_work_directory_and_too_little_memory(tmp_path, capsys):
    (tmp_path / "something").write_text("x")
    with pytest.raises(SystemExit):
        volume.main(["--work", str(tmp_path)])
    assert "is not empty" in capsys.readouterr().err
    assert "needs about 7,000 MiB (2 writers x 3,500), 1,000 MiB are available" in volume.enough_memory(2, lambda: 1000.0)
    assert volume.enough_memory(2, lambda: 20_000.0) is None
