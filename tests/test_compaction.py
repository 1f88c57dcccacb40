"""Compaction of a copy's event objects into the answer-shaped tables: in every format and scheme the compacted rows of
an address, or of a message, are the rows recipient-events and message-events read from the raw objects; files are
filed by send day and bucket, sorted by the key, in small row groups; a second run changes nothing, an hour with new
objects is compacted again and its previous files go, an interrupted run leaves the previous state whole."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from seslog.compaction.manifest import MANIFEST, Manifest, unit_end
from seslog.compaction.run import compact, units_of
from seslog.compaction.store import LocalStore
from seslog.compaction.tables import BUCKETS, ROW_GROUP_ROWS, TABLES, bucket_of, duckdb_bucket
from seslog.eventlog.local import LocalEvents
from seslog.eventlog.prefixes import COMPACT_PREFIX, DATA_PREFIX
from tests.shared_data import shared_layouts
from tests.test_queries import LAYOUTS, STREAM, generated, samples  # noqa: F401 (fixtures: the records of the shared layouts)

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def read_manifest(copy: Path) -> Manifest:
    return LocalStore(copy).manifest("day")[0]


def unit_names(copy: Path, unit: str) -> list[str]:
    return list(units_of(LocalStore(copy).event_keys(None), unit)[0])


FIRST, LAST = "2024-05-01", "2024-05-02"


def test_the_bucket_is_the_same_in_python_and_in_duckdb():
    keys = [f"user{n:04d}@example.jp" for n in range(300)] + ["taro@例え.jp", "", "0100018f-x-000000"]
    found = duckdb.sql(f"SELECT k, {duckdb_bucket('k')} AS b FROM (SELECT unnest($keys) AS k)", params={"keys": keys})
    assert {k: b for k, b in found.fetchall()} == {k: bucket_of(k) for k in keys}
    spread = Counter(bucket_of(k) for k in keys[:300])
    assert set(spread) == {f"{n:02d}" for n in range(BUCKETS)} and max(spread.values()) < 40


COMPACTED = ["json-none", "json-hour", "parquet-event-type", "parquet-send-date", "orc-date"]
"""Every format and every scheme once (compacting all thirteen layouts would cost the suite half a minute)."""


@pytest.fixture(scope="module")
def compacted(generated, tmp_path_factory) -> Callable[[str], tuple[LocalEvents, Path]]:  # noqa: F811
    """A layout's copy (its objects hard-linked), compacted when first asked for: the raw view and the copy."""
    roots = shared_layouts(tmp_path_factory, "query-layouts", generated, LAYOUTS, STREAM)
    copies: dict[str, tuple[LocalEvents, Path]] = {}

    def of(name: str) -> tuple[LocalEvents, Path]:
        if name not in copies:
            copy = tmp_path_factory.mktemp(name)
            shutil.copytree(roots[name] / DATA_PREFIX, copy / DATA_PREFIX, copy_function=os.link)
            compact(copy, now=LATER)
            copies[name] = (LocalEvents(roots[name]), copy)
        return copies[name]

    return of


def compacted_rows(copy: Path, table: str, key: str) -> list[dict]:
    files = [f for hour in read_manifest(copy).units.values() for f in hour.files if f"/{table}/" in f]
    column = next(t.key for t in TABLES if t.name == table)
    bucket = bucket_of(key)
    mine = [str(copy / f) for f in files if f"/bucket={bucket}/" in f]
    if not mine:
        return []
    sql = f"SELECT * EXCLUDE (recipient_key) FROM read_parquet($files, hive_partitioning = false) WHERE {column} = $key"
    cursor = duckdb.execute(sql, {"files": mine, "key": key})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_counter(rows: list[dict]) -> Counter:
    return Counter(tuple(sorted((k, v) for k, v in r.items() if k != "sent")) for r in rows)


def test_files_are_filed_by_send_day_and_bucket_sorted_by_the_key_in_small_row_groups(compacted):
    _, copy = compacted("parquet-event-type")
    files = sorted(read_manifest(copy).files())
    assert files and all(f.startswith(COMPACT_PREFIX) for f in files)
    for key in files:
        table = next(t for t in TABLES if f"/{t.name}/" in key)
        sent, bucket = (part.split("=", 1)[1] for part in key.split("/")[2:4])
        content = pq.read_table(copy / key)
        keys = content[table.key].to_pylist()
        assert keys == sorted(keys) and {bucket_of(k) for k in keys} == {bucket}
        assert {s[:10] for s in content["sent_at"].to_pylist()} == {sent}
        metadata = pq.ParquetFile(copy / key).metadata
        assert all(metadata.row_group(g).num_rows <= ROW_GROUP_ROWS for g in range(metadata.num_row_groups))


def copy_of(source: Path, target: Path, *, compacted: bool = True) -> Path:
    """A copy of a copy (objects and compacted files hard-linked, the manifest too: compaction replaces, never edits)."""
    shutil.copytree(
        source if compacted else source / DATA_PREFIX, target if compacted else target / DATA_PREFIX, copy_function=os.link
    )
    return target


def test_a_second_run_changes_nothing_and_a_day_with_other_objects_is_compacted_again(compacted, tmp_path):
    _, source = compacted("json-none")
    copy = copy_of(source, tmp_path / "copy")
    before = read_manifest(copy)
    again = compact(copy, now=LATER)
    assert again.compacted == [] and again.unchanged == len(before.units) == len(unit_names(copy, "day"))
    # An object of a day gone (as a partial download would leave it): that day alone is compacted again.
    day, done = next(iter(before.units.items()))
    (copy / DATA_PREFIX / done.objects[0]).unlink()
    report = compact(copy, now=LATER)
    assert [u.unit for u in report.compacted] == [day] and report.unchanged == len(before.units) - 1
    after = read_manifest(copy)
    assert after.units[day].generation != done.generation and after.units[day].rows < done.rows
    assert all(not (copy / f).exists() for f in done.files) and all((copy / f).exists() for f in after.units[day].files)
    assert after.retired == {} and report.deleted == len(done.files)


def test_a_day_whose_objects_all_expired_leaves_the_manifest_with_its_files(compacted, tmp_path):
    _, source = compacted("json-none")
    copy = copy_of(source, tmp_path / "copy")
    day, done = next(iter(read_manifest(copy).units.items()))
    for key in done.objects:
        (copy / DATA_PREFIX / key).unlink()
    report = compact(copy, now=LATER)
    assert report.dropped == [day] and day not in read_manifest(copy).units
    assert not any((copy / f).exists() for f in done.files)


def test_an_interrupted_run_leaves_the_previous_state_whole(compacted, tmp_path, monkeypatch):
    _, source = compacted("json-none")
    copy = copy_of(source, tmp_path / "copy")
    before = (copy / MANIFEST).read_bytes()
    _, done = next(iter(read_manifest(copy).units.items()))
    (copy / DATA_PREFIX / done.objects[0]).unlink()
    real, written = LocalStore.write, []

    def failing(store, key, data):
        real(store, key, data)
        written.append(key)
        if "/messages/" in key:
            raise KeyboardInterrupt

    monkeypatch.setattr(LocalStore, "write", failing)
    with pytest.raises(KeyboardInterrupt):
        compact(copy, now=LATER)
    assert (copy / MANIFEST).read_bytes() == before and any("/recipients/" in key for key in written)
    assert all((copy / f).exists() for f in done.files)
    # What the interrupted run wrote is named by no manifest: no answer reads it.
    assert not set(written) & read_manifest(copy).files()


def test_by_the_hour_the_hours_not_ended_are_left_to_the_objects_an_ended_day_is_merged_and_late_events_go_to_their_send_day(
    by_the_hour,
):
    _, copy, hours, middle = by_the_hour
    manifest = read_manifest(copy)
    assert middle[:10] > FIRST
    # Each day's ended hours are merged into its day files: the first day whole, the second up to the middle.
    assert manifest.unit == "hour" and list(manifest.units) == [FIRST, LAST]
    merged_hours = set(units_of(manifest.units[LAST].objects, "hour")[0])
    assert merged_hours == {h for h in hours if h[:10] == LAST and h <= middle}
    # The first day's hours, merged: every object of the day, one file per table, send day and bucket, sorted.
    merged = manifest.units[FIRST]
    assert merged.objects == sorted(
        k for h in hours if h.startswith(FIRST) for k in units_of(LocalStore(copy).event_keys(None), "hour")[0][h]
    )
    assert len(merged.files) == len({f.rsplit("/", 1)[0] for f in merged.files})
    for key in merged.files:
        table = next(t for t in TABLES if f"/{t.name}/" in key)
        values = pq.read_table(copy / key, columns=[table.key])[table.key].to_pylist()
        assert values == sorted(values) and key.endswith(f"/{FIRST}-{merged.generation}.parquet")
    assert sum(pq.ParquetFile(copy / f).metadata.num_rows for f in merged.files if "/messages/" in f) == merged.rows
    # Events that arrived the second day of mail sent the first are filed under the first.
    second_day = [f for u, e in manifest.units.items() if u.startswith(LAST) for f in e.files]
    assert any(f"/sent={FIRST}/" in f for f in second_day)
    with pytest.raises(ValueError, match="compacted by the hour, not by the day"):
        compact(copy, now=LATER)


def answers(events: LocalEvents, records: list, every: int = 25) -> list[list[dict]]:
    """What recipient-events and message-events answer for a few addresses (any case) and messages (one in ``every``)."""
    addresses = Counter(a for _, r in records if r["eventType"] == "Send" for a in r["mail"]["destination"])
    messages = [r["mail"]["messageId"] for _, r in records if r["eventType"] == "Send"][::every]
    days = {"from_date": FIRST, "to_date": LAST}
    found = [events.run("recipient-events", {"address": a.upper(), **days}).records() for a, _ in addresses.most_common(4)]
    found.append(events.run("recipient-events", {"address": "nobody@example.net", **days}).records())
    found += [events.run("message-events", {"message_id": m, **days}).records() for m in messages]
    return found


@pytest.mark.parametrize("name", COMPACTED)
def test_a_compacted_copy_answers_as_its_objects_do_row_for_row_in_the_same_order(compacted, generated, name):  # noqa: F811
    raw, copy = compacted(name)
    expected = answers(raw, generated)
    assert answers(LocalEvents(copy), generated) == expected
    # And the files themselves hold those rows: an address's in its bucket of the recipients table.
    address = Counter(a.lower() for _, r in generated if r["eventType"] == "Send" for a in r["mail"]["destination"])
    first = address.most_common(1)[0][0]
    assert as_counter(compacted_rows(copy, "recipients", first)) == as_counter(expected[0])


@pytest.fixture(scope="module")
def by_the_hour(compacted, tmp_path_factory) -> tuple[LocalEvents, Path, list[str], str]:
    """A copy compacted by the hour up to the middle of its hours: the raw view, the copy, its hours, the middle one."""
    raw, source = compacted("json-none")
    copy = copy_of(source, tmp_path_factory.mktemp("hourly"), compacted=False)
    hours = sorted(unit_names(copy, "hour"))
    middle = hours[len(hours) // 2]
    compact(copy, now=unit_end(middle), unit="hour", settle=timedelta(0))
    return raw, copy, hours, middle


def test_across_the_boundary_the_compacted_hours_and_the_objects_not_compacted_answer_together(
    by_the_hour,
    generated,  # noqa: F811
):
    raw, copy, hours, _ = by_the_hour
    assert 0 < len(read_manifest(copy).units) < len(hours)
    assert answers(LocalEvents(copy), generated) == answers(raw, generated)


def test_the_command_compacts_once_and_why_answers_the_same(compacted, capsys, tmp_path):
    from seslog.cli import main

    _, source = compacted("json-none")
    copy = copy_of(source, tmp_path / "copy", compacted=False)
    why = ["why", "nobody@example.net", "--from", FIRST, "--until", LAST, "--local", str(copy), "--json"]
    main(why)
    before = json.loads(capsys.readouterr().out)
    assert main(["compact", "--local", str(copy)]) == 0
    out = capsys.readouterr().out
    days = len(unit_names(copy, "day"))
    assert out.startswith(f"compacted {days} arrival days (") and out.endswith("; 0 already compacted\n")
    assert main(["compact", "--local", str(copy)]) == 0
    assert capsys.readouterr().out == f"compacted 0 arrival days (0 objects, 0 rows); {days} already compacted\n"
    main(why)
    after = capsys.readouterr()
    document = json.loads(after.out)
    split = document.pop("compaction")
    assert document == before and "compaction" not in before
    # The split, in the document and on stderr as Athena's cost is: the compacted files read, the objects left.
    assert split == {
        "through": split["through"],
        "answers": [{"compacted_files": split["answers"][0]["compacted_files"], "objects_not_compacted": 0, "raw_only": None}],
    }
    assert after.err == (
        f"seslog: 1 answer from {split['answers'][0]['compacted_files']:,} compacted files and 0 objects not compacted yet "
        f"(compacted through {split['through']})\n"
    )


def test_a_damaged_manifest_is_named_with_what_to_do(compacted, capsys, tmp_path):
    from seslog.cli import main

    _, source = compacted("json-none")
    copy = copy_of(source, tmp_path / "copy", compacted=False)
    (copy / MANIFEST).parent.mkdir(parents=True)
    (copy / MANIFEST).write_text("{not json", encoding="utf-8")
    assert main(["compact", "--local", str(copy)]) == 1
    assert f"{copy / MANIFEST} is not a manifest seslog wrote: delete {copy / 'compact'}" in capsys.readouterr().err
    assert main(["why", "nobody@example.net", "--from", FIRST, "--until", LAST, "--local", str(copy)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a manifest seslog wrote" in err
