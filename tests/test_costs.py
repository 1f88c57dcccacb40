"""The cost model against hand-computed examples."""

import pytest

from eventlog.costs import GB, MB, TB, Usage, billed_record_bytes, monthly_cost


@pytest.mark.parametrize(("size", "billed"), [(1, 5120), (2500, 5120), (5120, 5120), (5121, 10240), (12 * 1024, 15 * 1024)])
def test_each_record_is_billed_in_5_kb_steps(size, billed):
    assert billed_record_bytes(size) == billed


def test_json_date_example():
    # 10,000 emails a day, 3 events each: 900,000 records a month, each billed as 5 KB.
    usage = Usage(emails_per_day=10_000, events_per_email=3, record_bytes=2500, stored_bytes_per_event=400,
                  format="json", partitioning="date", retention_days=90, objects_per_month=8640,
                  queries_per_month=100, bytes_scanned_per_query=1 * MB)
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
    usage = Usage(emails_per_day=1_000_000, events_per_email=2, record_bytes=2000, format="parquet",
                  partitioning="event-type", objects_per_month=60_480, jq_seconds_per_million_records=36)
    cost = monthly_cost(usage)
    records = 60_000_000
    assert cost.conversion == pytest.approx(records * 5120 / GB * 0.018)
    expected_dp = records * 2000 / GB * 0.020 + 60.48 * 0.005 + 60 * 36 / 3600 * 0.07
    assert cost.dynamic_partitioning == pytest.approx(expected_dp)
