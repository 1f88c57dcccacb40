"""The stack's hourly job on a bucket (moto's S3): it compacts the ended hours, merges an ended day, keeps retired files
for the grace and then deletes them, writes with the pipeline key, never switches over a manifest another run replaced,
and a copy of the bucket answers as its objects do at every step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from seslog.compaction import handler, tables
from seslog.compaction.manifest import MANIFEST, Manifest, unit_end, unit_of
from seslog.compaction.reading import BucketCompaction
from seslog.compaction.run import SETTLE, compact, units_of
from seslog.compaction.store import ManifestChanged, S3Store
from seslog.eventlog.local import LocalEvents
from seslog.eventlog.partitioning import scheme_for
from seslog.eventlog.prefixes import COMPACT_PREFIX, DATA_PREFIX, arrival_time
from tests.shared_data import shared_layouts
from tests.test_compaction import FIRST, LAST, answers
from tests.test_queries import LAYOUTS, STREAM, generated, samples  # noqa: F401 (fixtures)

BUCKET = "ses-event-log-compaction-test"
KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
SAMPLE = 60
"""One message in 60 looked up at each step (the local tests look up one in 25)."""
SETTINGS = handler.JobSettings(BUCKET, "parquet", "send-date", 7, KEY)
"""A week kept: the job lists 8 send days' prefixes per arrival day (the suite's time)."""


@pytest.fixture(autouse=True)
def two_buckets(monkeypatch):
    """Two hash buckets instead of 16: the same code paths, an eighth of the files to write to moto's S3 (the suite's
    time); the Athena and local tests keep the 16."""
    monkeypatch.setattr(tables, "BUCKETS", 2)


def _bucket(root: Path, some: int | None):
    """moto's S3 holding the objects of the layout at ``root`` (the ``some`` that arrived first, or all)."""
    objects = sorted((root / DATA_PREFIX).rglob("*.parquet"), key=lambda p: arrival_time(p.relative_to(root / DATA_PREFIX)))
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for path in objects[:some]:
            s3.put_object(Bucket=BUCKET, Key=path.relative_to(root).as_posix(), Body=path.read_bytes())
        yield s3


@pytest.fixture
def layout(generated, tmp_path_factory, monkeypatch) -> Path:  # noqa: F811
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return shared_layouts(tmp_path_factory, "query-layouts", generated, LAYOUTS, STREAM)["parquet-send-date"]


@pytest.fixture
def bucket(layout):
    """The bucket with every object of the parquet send-date layout; the raw view of them."""
    for s3 in _bucket(layout, None):
        yield s3, LocalEvents(layout)


@pytest.fixture
def few(layout):
    """The bucket with the layout's first 16 objects: a few hours of two days."""
    yield from _bucket(layout, 16)


def manifest_of(s3) -> Manifest:
    return Manifest.parse(s3.get_object(Bucket=BUCKET, Key=MANIFEST)["Body"].read(), MANIFEST)


def run(s3, now: datetime, tmp_path: Path) -> dict:
    return handler.run(SETTINGS, s3, now, tmp_path)


def test_the_job_compacts_ended_hours_merges_ended_days_and_the_bucket_and_its_copies_answer_the_same_throughout(
    bucket,
    layout,
    generated,  # noqa: F811
    tmp_path,
    capsys,
    monkeypatch,
):
    from seslog.cli import main

    s3, raw = bucket
    expected = answers(raw, generated, SAMPLE)
    monkeypatch.setattr(handler, "LOOKBACK_DAYS", 4)  # the data set's days, all listed
    middle = datetime.fromisoformat(f"{LAST}T06:00:00+00:00")
    first = run(s3, middle + SETTLE, tmp_path / "1")
    manifest = manifest_of(s3)
    # Each day's compacted hours are merged into its day files, today's too (all but the hour under way).
    assert [m["unit"] for m in first["merged"]] == [FIRST, LAST] and first["merged"][0]["rows"] == manifest.units[FIRST].rows
    merged_hours = set(units_of(manifest.units[LAST].objects, "hour")[0])
    assert merged_hours and all(h < unit_of(middle, "hour") for h in merged_hours)
    # The hour under way is compacted as far as it arrived (here, whole: the bucket holds its objects already), and
    # ``through`` stays at its start: a later object of it is read raw until the next run.
    assert next(iter(manifest.units)) == FIRST and max(manifest.units) == unit_of(middle, "hour")
    assert [u["unit"] for u in first["compacted"]][-1] == unit_of(middle, "hour") and first["waiting"] >= 1
    assert manifest.through == middle.isoformat()
    # Merged away, the first day's hour files are retired, not deleted yet: a lookup may be reading them.
    assert manifest.retired and all(s3.head_object(Bucket=BUCKET, Key=k) for k in list(manifest.retired)[:3])
    file = s3.head_object(Bucket=BUCKET, Key=manifest.units[FIRST].files[0])
    assert (file["ServerSideEncryption"], file["SSEKMSKeyId"]) == ("aws:kms", KEY)
    # A download brings the compacted files of its days and a manifest naming them; the copy answers the same, and
    # compacts further by the bucket's hour.
    copy = tmp_path / "copy-1"
    stack = ["--bucket", BUCKET, "--partitioning", "send-date", "--retention-days", "7", "--region", "us-east-1"]
    assert main(["download", str(copy), *stack, "--from", FIRST, "--until", "2024-05-04"]) == 0  # the data's days
    fetched = Manifest.parse((copy / MANIFEST).read_bytes(), "copy")
    assert set(fetched.units) == set(manifest.units) and fetched.files() == manifest.files() == {
        p.relative_to(copy).as_posix() for p in (copy / COMPACT_PREFIX).rglob("*.parquet")
    }
    out = capsys.readouterr().out
    assert out.endswith(
        f"and the {len(manifest.files()):,} compacted files of {len(manifest.units):,} arrival units (under compact/)\n"
    )
    assert answers(LocalEvents(copy), generated, SAMPLE) == expected
    assert main(["compact", "--local", str(copy)]) == 0 and capsys.readouterr().out.startswith("compacted ")
    assert all(len(u) == 10 for u in Manifest.parse((copy / MANIFEST).read_bytes(), "copy").units)
    assert answers(LocalEvents(copy), generated, SAMPLE) == expected
    # What a lookup on Athena lists as not compacted: the objects since ``through`` the manifest does not name, under
    # the asked send days.
    reader = BucketCompaction.of_bucket(s3, BUCKET, scheme_for("send-date", 7), middle + SETTLE)
    everything = [k.relative_to(layout / DATA_PREFIX).as_posix() for k in (layout / DATA_PREFIX).rglob("*.parquet")]
    for first_sent, last_sent in ((FIRST, LAST), (LAST, LAST)):
        expected_pending = sorted(
            k
            for k in everything
            if middle + timedelta(hours=1) <= arrival_time(k)  # after the hour under way, which the run compacted
            and arrival_time(k).date() <= middle.date()  # the reader's clock: no later day
            and first_sent <= k.split("/")[0][5:] <= last_sent
        )
        got = reader.pending(date.fromisoformat(first_sent), date.fromisoformat(last_sent))
        assert got == expected_pending and got

    later = datetime(2024, 5, 7, tzinfo=UTC)  # every day of the data set ended, none past retention
    second = run(s3, later, tmp_path / "2")
    manifest = manifest_of(s3)
    assert all(len(u) == 10 for u in manifest.units), list(manifest.units)
    # The first day is no longer listed: its object list is dropped (the manifest stays small), the day still compacted.
    assert manifest.units[FIRST].objects is None and manifest.units[LAST].objects is not None
    # Listed from the day of the first run's ``through`` on: that day's hours it compacted are unchanged.
    assert second["unchanged"] == len([u for u in first["compacted"] if u["unit"] >= LAST]) and second["deleted"] > 0
    # (The answers of a copy in this state, every hour merged, are held equal by test_compaction_athena.py.)
    # A rerun changes nothing; an hour later the files the merge retired are deleted.
    third = run(s3, later + handler.GRACE, tmp_path / "3")
    assert third["compacted"] == third["merged"] == [] and third["deleted"] > 0 and manifest_of(s3).retired == {}
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="compact/")["Contents"]}
    assert listed == manifest_of(s3).files() | {MANIFEST}
    # A bucket that does not compact: a download says nothing of it.
    s3.delete_object(Bucket=BUCKET, Key=MANIFEST)
    assert main(["download", str(tmp_path / "plain"), *stack, "--from", FIRST, "--until", FIRST]) == 0
    assert "compacted" not in capsys.readouterr().out and not (tmp_path / "plain" / COMPACT_PREFIX).exists()


def test_units_older_than_the_lookback_are_kept_and_those_past_retention_leave(few, tmp_path, monkeypatch):
    s3 = few
    run(s3, datetime(2024, 5, 3, tzinfo=UTC), tmp_path / "1")
    units = set(manifest_of(s3).units)
    assert run(s3, datetime(2024, 5, 7, tzinfo=UTC), tmp_path / "2")["dropped"] == []
    assert set(manifest_of(s3).units) == units
    past = run(s3, datetime(2024, 5, 1, tzinfo=UTC) + timedelta(days=SETTINGS.retention_days + 10), tmp_path / "3")
    assert sorted(past["dropped"]) == sorted(units) and manifest_of(s3).units == {}


def test_a_run_short_of_time_leaves_the_rest_to_the_next_which_lists_from_where_it_stopped(few, tmp_path, monkeypatch):
    s3 = few
    left = iter([1000.0, 1000.0, 0.0])
    short = handler.run(SETTINGS, s3, datetime(2024, 5, 3, tzinfo=UTC), tmp_path / "1", lambda: next(left, 0.0))
    assert len(short["compacted"]) == 2 and short["postponed"] > 0 and short["merged"] == []
    manifest = manifest_of(s3)
    # Every object before ``through`` is compacted: it is the start of the first hour left.
    through = datetime.fromisoformat(manifest.through)
    assert through >= unit_end(short["compacted"][1]["unit"]) and unit_of(through, "hour") not in manifest.units
    # The next run, five days later, lists from the day it stopped at, though that is before its lookback.
    after = run(s3, datetime(2024, 5, 6, 12, tzinfo=UTC), tmp_path / "2")
    assert after["postponed"] == 0 and after["unchanged"] == 2 and len(after["compacted"]) == short["postponed"] - 1
    # (one of the postponed was the merge of the two hours it did compact)
    assert all(len(u) == 10 for u in manifest_of(s3).units)


def test_a_manifest_replaced_by_another_run_is_not_written_over(few, tmp_path):
    s3 = few
    store = S3Store(s3, BUCKET, scheme=scheme_for("send-date", 30), scratch=tmp_path)
    manifest, token = store.manifest("hour")
    assert token is None
    first = store.replace_manifest(manifest, None)
    with pytest.raises(ManifestChanged):
        store.replace_manifest(manifest, None)  # another run created it meanwhile
    manifest.through = "2024-05-01T00:00:00+00:00"
    store.replace_manifest(manifest, first)
    manifest.through = "2024-05-01T01:00:00+00:00"
    with pytest.raises(ManifestChanged):
        store.replace_manifest(manifest, first)  # another run replaced it meanwhile


def test_a_run_whose_manifest_another_run_replaced_meanwhile_switches_nothing_and_deletes_what_it_wrote(few, tmp_path):
    s3 = few

    class Raced(S3Store):
        def readable(self, keys):
            s3.put_object(Bucket=BUCKET, Key=MANIFEST, Body=Manifest.empty("hour").to_bytes())  # the other run's
            return super().readable(keys)

    store = Raced(s3, BUCKET, scheme=scheme_for("send-date", 7), scratch=tmp_path)
    with pytest.raises(ManifestChanged):
        compact(store, now=datetime(2024, 5, 3, tzinfo=UTC), unit="hour", lookback_days=4)
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=COMPACT_PREFIX)["Contents"]]
    assert left == [MANIFEST] and manifest_of(s3).units == {}


def test_the_settings_are_the_environment_the_stack_writes_and_a_missing_one_is_named():
    environ = handler.JobSettings.environment(
        bucket=BUCKET, format="json", partitioning="none", retention_days="30", kms_key_arn=KEY
    )
    assert handler.JobSettings.from_environment(environ) == handler.JobSettings(BUCKET, "json", "none", 30, KEY)
    del environ["SESLOG_COMPACTION_FORMAT"]
    with pytest.raises(ValueError, match="lacks SESLOG_COMPACTION_FORMAT: deploy it with the stack"):
        handler.JobSettings.from_environment(environ)


def test_the_hour_under_way_is_compacted_as_far_as_it_arrived_and_again_once_more_arrived(layout, tmp_path):
    data = layout / DATA_PREFIX
    objects = sorted(data.rglob("*.parquet"), key=lambda p: arrival_time(p.relative_to(data)))
    at = [arrival_time(p.relative_to(data)) for p in objects]
    n = next(i for i in range(1, len(at)) if unit_of(at[i], "hour") == unit_of(at[i - 1], "hour"))  # two in one hour
    for s3 in _bucket(layout, n):
        hour = unit_of(at[n], "hour")
        first = run(s3, at[n], tmp_path / "1")
        assert hour in manifest_of(s3).units and first["waiting"] >= 1
        generation = manifest_of(s3).units[hour].generation
        later = objects[n].relative_to(layout).as_posix()
        s3.put_object(Bucket=BUCKET, Key=later, Body=objects[n].read_bytes())
        # Until the next run, a lookup reads the new object raw: it is not compacted, and it is listed.
        reader = BucketCompaction.of_bucket(s3, BUCKET, scheme_for("send-date", 7), at[n])
        sent = date.fromisoformat(later.split("/")[1].removeprefix("sent="))
        assert later.removeprefix(DATA_PREFIX) in reader.pending(sent, sent)
        # Ended, the hour is compacted again with the new object, and merged into its day's files.
        second = run(s3, at[n] + timedelta(hours=1) + SETTLE, tmp_path / "2")
        assert hour in [u["unit"] for u in second["compacted"]] and hour not in manifest_of(s3).units
        day = manifest_of(s3).units[hour[:10]]
        assert later.removeprefix(DATA_PREFIX) in day.objects and generation not in {day.generation}
