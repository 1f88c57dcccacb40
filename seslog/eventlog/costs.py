"""What a pipeline costs per month: Firehose, S3, Athena and the compaction job (Lambda), from one dated price table.

Prices are us-east-1 list prices, from the public pricing pages of Amazon Data Firehose
(https://aws.amazon.com/firehose/pricing/), Amazon S3 (https://aws.amazon.com/s3/pricing/),
Amazon Athena (https://aws.amazon.com/athena/pricing/) and AWS Lambda (https://aws.amazon.com/lambda/pricing/), as of
``Prices.as_of``: confirm them there before budgeting. Units are binary: 1 GB = 2**30 bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from seslog.compaction.manifest import LOOKBACK_DAYS
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.partitioning import Scheme, scheme_of

KB = 1024
MB = 1024**2
GB = 1024**3
TB = 1024**4
DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class Prices:
    as_of: str = "2026-11"
    source: str = (
        "us-east-1 list prices of https://aws.amazon.com/firehose/pricing/, https://aws.amazon.com/s3/pricing/, "
        "https://aws.amazon.com/athena/pricing/ and https://aws.amazon.com/lambda/pricing/ (check them there before budgeting)"
    )
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
    s3_get_per_1000: float = 0.0004
    """GET and the other read requests; LIST is billed as PUT is."""
    lambda_per_gb_second: float = 0.0000166667
    """x86, the first 6 billion GB-seconds a month."""
    lambda_per_million_requests: float = 0.20


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
    partitioning: str | Scheme = "date"
    retention_days: int = 90
    objects_per_month: float = 8640
    """Objects Firehose writes a month: one per buffer interval and active partition."""
    queries_per_month: float = 100
    bytes_scanned_per_query: float = 100 * MB
    jq_seconds_per_million_records: float = 60.0
    """JQ processing time Firehose bills for dynamic partitioning (an estimate)."""
    compaction: bool = True
    """The stack's hourly compaction job (setting ``compaction``)."""


@dataclass(frozen=True)
class CompactionJobModel:
    """The hourly job as the compaction benchmark measured it (bench/results/compaction.md), per event, scaled to the
    function's share of a CPU; its fixed part is each run's start and listing."""

    memory_gb: float = 3008 / 1024
    seconds_per_run: float = 5.0
    """Starting (importing DuckDB and pyarrow) and listing the last days' prefixes, each hourly run (an estimate)."""
    seconds_per_million_events: float = 29.0
    """Compacting an hour's objects: 83 s for the 4.4 million events of a day's 72 arrival hours here, x 2 / 1.7 for
    Lambda's CPU share, and a third again for the hour under way, compacted as far as it arrived and then whole."""
    merge_seconds_per_million_events: float = 90.0
    """Merging each day's hours into its day files, every run: a day's whole merge took 21.5 s for its 3.5 million
    events here; merged each hour, a day is rewritten 12 times on average, x 2 / 1.7."""
    stored_bytes_per_event: float = 105.0
    """The two compacted tables, a day's hours merged, per event (Snappy Parquet): 443.7 MiB for 4.4 million."""
    puts_per_hour: float = 175.0
    """Files written a run: about 32 for an hour (two tables, 16 buckets, the send days of its events), twice for the
    hour under way; about 110 for the day's merged files (two tables, 16 buckets, its send days); the manifest."""
    puts_per_million_events_merged: float = 0.0
    """Files written with the volume beyond those: none (the files a run writes depend on the buckets and send days)."""


COMPACTION_JOB = CompactionJobModel()


def list_prefixes_per_day(partitioning: str | Scheme, retention_days: int) -> int:
    """The prefixes the job lists for one arrival day: one per send day a late event can be filed under (send-date),
    per event type (event-type), or one."""
    scheme = scheme_of(partitioning)
    count = 1
    for key in scheme.keys:
        if key.clock == "sent":
            count *= retention_days + 1
        elif key.projection.get("type") == "enum":
            count *= len(key.projection["values"].split(","))
    return count


@dataclass(frozen=True)
class MonthlyCost:
    ingestion: float
    conversion: float
    dynamic_partitioning: float
    storage: float
    requests: float
    athena: float
    compaction: float = 0.0
    """The job's Lambda time and invocations."""
    compaction_storage: float = 0.0
    compaction_requests: float = 0.0
    """The job's S3 requests: listing, reading the objects, writing the files."""

    @property
    def total(self) -> float:
        return (
            self.ingestion
            + self.conversion
            + self.dynamic_partitioning
            + self.storage
            + self.requests
            + self.athena
            + self.compaction
            + self.compaction_storage
            + self.compaction_requests
        )

    def rows(self) -> list[tuple[str, float]]:
        return [
            ("Firehose ingestion", self.ingestion),
            ("Format conversion", self.conversion),
            ("Dynamic partitioning", self.dynamic_partitioning),
            ("S3 storage", self.storage),
            ("S3 PUT requests", self.requests),
            ("Athena queries", self.athena),
            ("Compaction job (Lambda)", self.compaction),
            ("Compacted tables (S3 storage)", self.compaction_storage),
            ("Compaction's S3 requests", self.compaction_requests),
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
    dynamic = scheme_of(usage.partitioning).dynamic
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
        **(_compaction_cost(usage, prices) if usage.compaction else {}),
    )


def _compaction_cost(usage: Usage, prices: Prices, job: CompactionJobModel = COMPACTION_JOB) -> dict[str, float]:
    """The hourly job a month: Lambda's GB-seconds and invocations, the compacted tables at rest, its S3 requests."""
    runs = 24 * DAYS_PER_MONTH
    events = usage.emails_per_day * usage.events_per_email * DAYS_PER_MONTH
    seconds = runs * job.seconds_per_run + events / 1e6 * (job.seconds_per_million_events + job.merge_seconds_per_million_events)
    lambda_cost = seconds * job.memory_gb * prices.lambda_per_gb_second + runs / 1e6 * prices.lambda_per_million_requests
    stored_gb = usage.emails_per_day * usage.events_per_email * usage.retention_days * job.stored_bytes_per_event / GB
    lists = runs * LOOKBACK_DAYS * list_prefixes_per_day(usage.partitioning, usage.retention_days)
    puts = runs * job.puts_per_hour + events / 1e6 * job.puts_per_million_events_merged
    # Each object read once, by its hour's compaction; each hour's files again by its day's merge.
    gets = usage.objects_per_month * 2 + runs * job.puts_per_hour
    return {
        "compaction": lambda_cost,
        "compaction_storage": stored_gb * prices.s3_standard_per_gb_month,
        "compaction_requests": (lists + puts) / 1000 * prices.s3_put_per_1000 + gets / 1000 * prices.s3_get_per_1000,
    }


def athena_billed_bytes(scanned: float, prices: Prices = PRICES) -> float:
    """The bytes Athena bills for a query that scans ``scanned`` bytes: at least 10 MB."""
    return max(scanned, prices.athena_minimum_bytes)


def expected_objects_per_interval(records: float, shares: Sequence[float], record_bytes: float, buffer_bytes: float) -> float:
    """Objects a stream delivers in one buffer interval receiving ``records`` records spread over
    partitions in ``shares`` (one share of 1.0 without dynamic partitioning). A partition that
    receives a record (records arriving at random: probability 1 - e^-n for n expected) delivers
    one object, or one per full buffer when its records fill the buffer before the interval ends."""
    return sum(
        (1 - math.exp(-records * share)) * max(1, math.ceil(records * share * record_bytes / buffer_bytes)) for share in shares
    )


@dataclass(frozen=True)
class MeasuredQuery:
    name: str
    footer_bytes: float
    """Bytes of object footers read: they grow with the objects read, not with their rows."""
    data_bytes: float
    """Bytes of columns read (of whole objects for JSON): they grow with the events."""


@dataclass(frozen=True)
class DensityPoint:
    """Data bytes per event of an object holding ``records_per_object`` records: bigger objects
    (a higher volume through the same buffer interval) compress better."""

    records_per_object: float
    data_bytes_per_event: float
    """All columns (the whole record for JSON), without the footer."""
    query_bytes_per_event: tuple[float, ...]
    """The columns each query reads, in the order of ``Measurement.queries``."""


def _at(points: Sequence[DensityPoint], records_per_object: float, value) -> float:
    """``value(point)`` at ``records_per_object``, interpolated on a log scale between the
    points and held at the ends."""
    ordered = sorted(points, key=lambda p: p.records_per_object)
    x = math.log(max(records_per_object, 1e-9))
    xs = [math.log(p.records_per_object) for p in ordered]
    if x <= xs[0]:
        return value(ordered[0])
    for i in range(1, len(ordered)):
        if x <= xs[i]:
            low, high = value(ordered[i - 1]), value(ordered[i])
            return low + (high - low) * (x - xs[i - 1]) / (xs[i] - xs[i - 1])
    return value(ordered[-1])


@dataclass(frozen=True)
class Measurement:
    """A layout as the benchmark measured it, per month, split into what grows with the events
    and what grows with the objects, so that it scales to another sending volume."""

    format: str
    partitioning: str | Scheme
    emails_per_day: float
    events_per_email: float
    record_bytes: float
    """Mean size of a record as SES sends it (JSON and newline)."""
    objects_per_month: float
    footer_bytes_per_month: float
    data_bytes_per_month: float
    partition_shares: tuple[float, ...]
    """Share of the records in each dynamic partition value; ``(1.0,)`` without dynamic keys."""
    buffer_interval_seconds: int
    buffer_size_mib: int
    queries: tuple[MeasuredQuery, ...]
    density: tuple[DensityPoint, ...] = ()
    """How data bytes per event change with the records in an object; without points they
    are taken to stay as measured."""

    def objects_at(self, emails_per_day: float) -> float:
        """Objects a month at another volume: the measured count times the ratio of
        ``expected_objects_per_interval`` at the two volumes."""

        def expected(volume: float) -> float:
            per_interval = volume * self.events_per_email * self.buffer_interval_seconds / 86400
            return expected_objects_per_interval(
                per_interval, self.partition_shares, self.record_bytes, self.buffer_size_mib * MB
            )

        return self.objects_per_month * expected(emails_per_day) / expected(self.emails_per_day)

    def usage_at(self, emails_per_day: float, *, queries_per_month: float = 100, retention_days: int = 90) -> Usage:
        """The ``Usage`` of this layout at ``emails_per_day``, its queries shared equally among
        ``queries``, each billed at least Athena's minimum."""
        events = emails_per_day / self.emails_per_day
        objects = self.objects_at(emails_per_day) / self.objects_per_month
        measured_density = self.emails_per_day * self.events_per_email * DAYS_PER_MONTH / self.objects_per_month
        target_density = measured_density * events / objects

        def denser(value) -> float:
            # Data bytes per event at the target's records per object over those at the measured one.
            if not self.density:
                return 1.0
            return _at(self.density, target_density, value) / _at(self.density, measured_density, value)

        stored = self.footer_bytes_per_month * objects + self.data_bytes_per_month * events * denser(
            lambda p: p.data_bytes_per_event
        )
        billed = [
            athena_billed_bytes(
                q.footer_bytes * objects + q.data_bytes * events * denser(lambda p, i=i: p.query_bytes_per_event[i])
            )
            for i, q in enumerate(self.queries)
        ]
        return Usage(
            emails_per_day=emails_per_day,
            events_per_email=self.events_per_email,
            record_bytes=self.record_bytes,
            stored_bytes_per_event=stored / (emails_per_day * self.events_per_email * DAYS_PER_MONTH),
            format=self.format,
            partitioning=self.partitioning,
            retention_days=retention_days,
            objects_per_month=self.objects_at(emails_per_day),
            queries_per_month=queries_per_month,
            bytes_scanned_per_query=sum(billed) / len(billed),
        )
