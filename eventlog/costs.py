"""What a pipeline costs per month: Firehose, S3 and Athena, from one dated price table.

Prices are us-east-1 list prices as summarised in ../shared/AWS_FACTS.md (secondary sources;
confirm on the AWS pricing pages before budgeting). Units are binary: 1 GB = 2**30 bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from eventlog.formats import FORMATS
from eventlog.partitioning import SCHEMES

KB = 1024
MB = 1024**2
GB = 1024**3
TB = 1024**4
DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class Prices:
    as_of: str = "2026-11"
    source: str = "AWS pricing pages, us-east-1, via ../shared/AWS_FACTS.md"
    firehose_ingest_per_gb: float = 0.029
    """Direct PUT ingestion, each record rounded up to 5 KB."""
    firehose_record_increment: int = 5 * KB
    conversion_per_gb: float = 0.018
    """Record format conversion, per GB of the same rounded volume."""
    dynamic_partitioning_per_gb: float = 0.020
    dynamic_partitioning_per_1000_objects: float = 0.005
    jq_per_hour: float = 0.07
    s3_standard_per_gb_month: float = 0.023
    s3_put_per_1000: float = 0.005
    athena_per_tb: float = 5.0
    athena_minimum_bytes: int = 10 * MB
    """Athena bills at least 10 MB per query."""


PRICES = Prices()


@dataclass(frozen=True)
class Usage:
    emails_per_day: float
    events_per_email: float = 3.0
    """Send, Delivery and one more (Open, Click, Bounce ...) on average."""
    record_bytes: float = 2500
    """Size of one SES record as published; they are 1-4 KB."""
    stored_bytes_per_event: float = 400
    """Bytes per event at rest in the chosen format (see the benchmark)."""
    format: str = "json"
    partitioning: str = "date"
    retention_days: int = 90
    objects_per_month: float = 8640
    """Objects Firehose writes a month: one per buffer interval and active partition."""
    queries_per_month: float = 100
    bytes_scanned_per_query: float = 100 * MB
    jq_seconds_per_million_records: float = 60.0
    """JQ processing time Firehose bills for dynamic partitioning (an estimate)."""


@dataclass(frozen=True)
class MonthlyCost:
    ingestion: float
    conversion: float
    dynamic_partitioning: float
    storage: float
    requests: float
    athena: float

    @property
    def total(self) -> float:
        return self.ingestion + self.conversion + self.dynamic_partitioning + self.storage + self.requests + self.athena

    def rows(self) -> list[tuple[str, float]]:
        return [
            ("Firehose ingestion", self.ingestion),
            ("Format conversion", self.conversion),
            ("Dynamic partitioning", self.dynamic_partitioning),
            ("S3 storage", self.storage),
            ("S3 PUT requests", self.requests),
            ("Athena queries", self.athena),
            ("Total", self.total),
        ]


def billed_record_bytes(record_bytes: float, prices: Prices = PRICES) -> int:
    """Firehose bills each record in 5 KB steps: a 3 KB record as 5 KB, a 12 KB one as 15 KB."""
    step = prices.firehose_record_increment
    return max(1, math.ceil(record_bytes / step)) * step


def monthly_cost(usage: Usage, prices: Prices = PRICES) -> MonthlyCost:
    records = usage.emails_per_day * usage.events_per_email * DAYS_PER_MONTH
    billed_gb = records * billed_record_bytes(usage.record_bytes, prices) / GB
    converts = FORMATS[usage.format].converts
    dynamic = SCHEMES[usage.partitioning].dynamic
    dynamic_cost = 0.0
    if dynamic:
        dynamic_cost = (
            records * usage.record_bytes / GB * prices.dynamic_partitioning_per_gb
            + usage.objects_per_month / 1000 * prices.dynamic_partitioning_per_1000_objects
            + records / 1e6 * usage.jq_seconds_per_million_records / 3600 * prices.jq_per_hour
        )
    # Steady state: retention_days of events are at rest at any time.
    stored_gb = usage.emails_per_day * usage.events_per_email * usage.retention_days * usage.stored_bytes_per_event / GB
    scanned = max(usage.bytes_scanned_per_query, prices.athena_minimum_bytes) * usage.queries_per_month
    return MonthlyCost(
        ingestion=billed_gb * prices.firehose_ingest_per_gb,
        conversion=billed_gb * prices.conversion_per_gb if converts else 0.0,
        dynamic_partitioning=dynamic_cost,
        storage=stored_gb * prices.s3_standard_per_gb_month,
        requests=usage.objects_per_month / 1000 * prices.s3_put_per_1000,
        athena=scanned / TB * prices.athena_per_tb,
    )
