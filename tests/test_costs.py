"""The cost model against hand-computed examples."""

import dataclasses
import math

import pytest

from seslog.eventlog.costs import (
    GB,
    MB,
    TB,
    DensityPoint,
    MeasuredQuery,
    Measurement,
    Usage,
    athena_billed_bytes,
    billed_record_bytes,
    expected_objects_per_interval,
    monthly_cost,
)


@pytest.mark.parametrize(("size", "billed"), [(1, 5120), (2500, 5120), (5120, 5120), (5121, 10240), (12 * 1024, 15 * 1024)])
def test_each_record_is_billed_in_5_kb_steps(size, billed):
    assert billed_record_bytes(size) == billed


def test_json_date_example():
    # 10,000 emails a day, 3 events each: 900,000 records a month, each billed as 5 KB.
    usage = Usage(
        emails_per_day=10_000,
        events_per_email=3,
        record_bytes=2500,
        stored_bytes_per_event=400,
        format="json",
        partitioning="date",
        retention_days=90,
        objects_per_month=8640,
        queries_per_month=100,
        bytes_scanned_per_query=1 * MB,
    )
    cost = monthly_cost(usage)
    billed_gb = 900_000 * 5120 / GB  # 4.2915 GB
    assert cost.ingestion == pytest.approx(billed_gb * 0.029)
    assert cost.ingestion == pytest.approx(0.12445, abs=1e-5)
    assert cost.conversion == 0 and cost.dynamic_partitioning == 0
    # 30,000 events a day kept 90 days, 400 bytes each: 1.08e9 bytes = 1.0058 GB.
    assert cost.storage == pytest.approx(1.08e9 / GB * 0.023)
    assert cost.requests == pytest.approx(8.64 * 0.005)
    # 1 MB queries are billed as the 10 MB minimum.
    assert cost.athena == pytest.approx(100 * 10 * MB / TB * 5)
    assert cost.total == pytest.approx(sum(v for k, v in cost.rows() if k != "Total"))


def test_parquet_event_type_adds_conversion_and_dynamic_partitioning():
    usage = Usage(
        emails_per_day=1_000_000,
        events_per_email=2,
        record_bytes=2000,
        format="parquet",
        partitioning="event-type",
        objects_per_month=60_480,
        jq_seconds_per_million_records=36,
    )
    cost = monthly_cost(usage)
    records = 60_000_000
    assert cost.conversion == pytest.approx(records * 5120 / GB * 0.018)
    expected_dp = records * 2000 / GB * 0.020 + 60.48 * 0.005 + 60 * 36 / 3600 * 0.07
    assert cost.dynamic_partitioning == pytest.approx(expected_dp)


def test_athena_bills_at_least_10_mb_a_query():
    assert athena_billed_bytes(1 * MB) == 10 * MB
    assert athena_billed_bytes(50 * MB) == 50 * MB


def test_expected_objects_per_interval():
    # One partition with 100 records of 1,000 bytes: one object, cut by the interval.
    assert expected_objects_per_interval(100, (1.0,), 1000, 64 * MB) == pytest.approx(1 - math.exp(-100))
    # 200,000,000 bytes an interval through a 64 MiB buffer (2.98 buffers): two full buffers and the rest.
    assert expected_objects_per_interval(200_000, (1.0,), 1000, 64 * MB) == pytest.approx(3)
    # Two even partitions with 2 records between them: each gets at least one record with probability 1 - e^-1.
    assert expected_objects_per_interval(2, (0.5, 0.5), 0, 64 * MB) == pytest.approx(2 * (1 - math.exp(-1)))
    # A quiet partition rarely delivers anything.
    assert expected_objects_per_interval(1, (0.99, 0.01), 0, 64 * MB) == pytest.approx(
        (1 - math.exp(-0.99)) + (1 - math.exp(-0.01))
    )


def _measured() -> Measurement:
    return Measurement(
        format="parquet",
        partitioning="date",
        emails_per_day=1000,
        events_per_email=4,
        record_bytes=2000,
        objects_per_month=2880,
        footer_bytes_per_month=2880 * 10_000,
        data_bytes_per_month=100_000_000,
        partition_shares=(1.0,),
        buffer_interval_seconds=900,
        buffer_size_mib=128,
        queries=(MeasuredQuery("small", 0, 1_000_000), MeasuredQuery("large", 20_000_000, 30_000_000)),
    )


def test_measurement_at_its_own_volume_is_what_was_measured():
    usage = _measured().usage_at(1000, queries_per_month=50, retention_days=30)
    assert usage.objects_per_month == pytest.approx(2880)
    # (28.8 MB of footers + 100 MB of data) over 1,000 x 4 x 30 events.
    assert usage.stored_bytes_per_event == pytest.approx((28_800_000 + 100_000_000) / 120_000)
    # The small query is billed as 10 MB, the large one as its 50 MB; shared equally.
    assert usage.bytes_scanned_per_query == pytest.approx((10 * MB + 50_000_000) / 2)
    assert (usage.format, usage.partitioning, usage.record_bytes, usage.queries_per_month) == ("parquet", "date", 2000, 50)


def test_measurement_scales_data_with_events_and_footers_with_objects():
    measured = _measured()
    # 41.67 records per 900 s interval at 1,000 emails a day, 416.7 at 10,000: the interval cuts one object each.
    low, high = 1000 * 4 * 900 / 86400, 10_000 * 4 * 900 / 86400
    ratio = (1 - math.exp(-high)) / (1 - math.exp(-low))
    usage = measured.usage_at(10_000)
    assert usage.objects_per_month == pytest.approx(2880 * ratio)
    assert usage.objects_per_month == pytest.approx(2880)
    assert usage.stored_bytes_per_event == pytest.approx((28_800_000 * ratio + 1_000_000_000) / 1_200_000)
    assert usage.bytes_scanned_per_query == pytest.approx((10 * MB + 20_000_000 * ratio + 300_000_000) / 2)
    cost = monthly_cost(usage)
    assert cost.athena == pytest.approx(100 * usage.bytes_scanned_per_query / TB * 5)


def test_bigger_objects_scale_data_by_the_measured_density():
    # 120,000 events a month in 1,200 objects: 100 records an object. At 10 and 100 times the volume the
    # 900 s interval still cuts about one object (41.67 records an interval, then 416.7 and 4,167 of 2,000
    # bytes, far from 128 MiB): 1,000 and 10,000 records an object.
    measured = dataclasses.replace(
        _measured(),
        objects_per_month=1200,
        footer_bytes_per_month=1200 * 10_000,
        queries=(MeasuredQuery("q", 0, 50_000_000),),
        density=(DensityPoint(100, 200, (50,)), DensityPoint(10_000, 100, (20,))),
    )

    def ratio(volume: float) -> float:  # objects at ``volume`` over objects measured
        return (1 - math.exp(-volume * 4 * 900 / 86400)) / (1 - math.exp(-1000 * 4 * 900 / 86400))

    # At 10,000 records an object: data 100/200 of the measured bytes per event, the query's columns 20/50.
    usage = measured.usage_at(100_000)
    assert usage.stored_bytes_per_event == pytest.approx((12_000_000 * ratio(100_000) + 100_000_000 * 100 * 0.5) / 12_000_000)
    assert usage.bytes_scanned_per_query == pytest.approx(50_000_000 * 100 * 0.4)
    # At 1,000 records an object, half way on the log scale: 150/200 and 35/50.
    usage = measured.usage_at(10_000)
    assert usage.stored_bytes_per_event == pytest.approx((12_000_000 * ratio(10_000) + 100_000_000 * 10 * 0.75) / 1_200_000)
    assert usage.bytes_scanned_per_query == pytest.approx(50_000_000 * 10 * 0.7)
    # Below the smallest point the bytes per event stay as they are.
    assert measured.usage_at(100).bytes_scanned_per_query == pytest.approx(athena_billed_bytes(50_000_000 * 0.1))


def test_fewer_emails_leave_partitions_empty_in_more_intervals():
    # Two even partitions: 4.17 records an interval at 100 emails a day keep both busy most of the time
    # (2 x (1 - e^-2.08) = 1.75 objects an interval); at 10 a day, 0.42 records, 2 x (1 - e^-0.21) = 0.38.
    measured = dataclasses.replace(_measured(), emails_per_day=100, objects_per_month=5000, partition_shares=(0.5, 0.5))
    busy, quiet = 100 * 4 * 900 / 86400, 10 * 4 * 900 / 86400
    expected = (2 * (1 - math.exp(-quiet / 2))) / (2 * (1 - math.exp(-busy / 2)))
    assert measured.objects_at(10) == pytest.approx(5000 * expected)
    assert measured.objects_at(10) == pytest.approx(1074, abs=1)
    assert measured.usage_at(10).objects_per_month == measured.objects_at(10)


def test_the_compaction_job_costs_its_lambda_time_its_tables_and_its_requests():
    from seslog.eventlog.costs import COMPACTION_JOB, DAYS_PER_MONTH, PRICES, list_prefixes_per_day

    assert list_prefixes_per_day("date", 30) == 1 and list_prefixes_per_day("event-type", 30) == 10
    assert list_prefixes_per_day("send-date", 30) == 31  # an arrival day holds objects of the 30 send days before it
    small, large = (monthly_cost(Usage(emails_per_day=n, partitioning="send-date", retention_days=30)) for n in (1000, 1_000_000))
    runs = 24 * DAYS_PER_MONTH
    # The fixed part is each hourly run's start; the rest grows with the events.
    assert small.compaction == pytest.approx(
        (
            runs * COMPACTION_JOB.seconds_per_run
            + 0.09 * (COMPACTION_JOB.seconds_per_million_events + COMPACTION_JOB.merge_seconds_per_million_events)
        )
        * COMPACTION_JOB.memory_gb
        * PRICES.lambda_per_gb_second
        + runs / 1e6 * PRICES.lambda_per_million_requests,
        rel=0.01,
    )
    assert large.compaction > 1.5 * small.compaction and large.compaction_storage == pytest.approx(
        1000 * small.compaction_storage
    )
    assert monthly_cost(Usage(emails_per_day=1000, partitioning="date")).compaction_requests < small.compaction_requests
