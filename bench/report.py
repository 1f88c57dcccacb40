"""The benchmark's results as one table (printed, Markdown and CSV), with the date and machine,
a per-layout summary, and monthly costs at 10k, 100k and 1M emails a day."""

from __future__ import annotations

import csv
import io
import os
import platform
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow

from bench.accounting import LayoutMeasure
from bench.layouts import BASELINE, LAYOUTS, RECIPIENT_BUCKETS
from bench.run import SINGLE_RUN_SECONDS, Results
from bench.workload import BY_NAME, CASES
from seslog.eventlog.costs import DAYS_PER_MONTH, MB, PRICES, TB, MeasuredQuery, Measurement, athena_billed_bytes, monthly_cost
from seslog.eventlog.formats import FORMATS

COST_VOLUMES = (10_000, 100_000, 1_000_000)
QUERIES_PER_MONTH = 100
"""Investigations a month in the cost table, shared equally among the cases."""
RETENTION_DAYS = 90


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    model = next(
        (line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    memory = next((line.split()[1] for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal:")), "")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "cpu": model,
        "ram": f"{int(memory) / 1024**2:.1f} GiB" if memory else "unknown",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__,
        "os": platform.platform(),
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


@dataclass(frozen=True)
class Row:
    layout: str
    objects: int
    stored_mib: float
    bytes_per_event: float
    case: str
    objects_read: int
    mib_read: float
    vs_baseline: float
    vs_lower_bound: float
    usd_per_1000_queries: float
    duckdb_seconds: float | None
    rows: int | None


def rows(results: Results) -> list[Row]:
    baseline = results.layouts[BASELINE]
    out = []
    for name, measure in results.layouts.items():
        for case in CASES:
            query = measure.queries[case.name]
            out.append(
                Row(
                    layout=name,
                    objects=measure.objects,
                    stored_mib=measure.stored_bytes / MB,
                    bytes_per_event=measure.stored_bytes / measure.events,
                    case=case.name,
                    objects_read=query.objects,
                    mib_read=query.bytes / MB,
                    vs_baseline=query.bytes / baseline.queries[case.name].bytes,
                    vs_lower_bound=query.bytes / results.lower_bounds[case.name].bytes,
                    usd_per_1000_queries=athena_billed_bytes(query.bytes) / TB * PRICES.athena_per_tb * 1000,
                    duckdb_seconds=query.seconds,
                    rows=query.rows,
                )
            )
    return out


_HEADERS = (
    "layout",
    "objects",
    "stored MiB",
    "bytes/event",
    "query",
    "objects read",
    "MiB read",
    "x baseline",
    "x lower bound",
    "USD/1000 queries",
    "DuckDB s",
    "rows",
)


def _cells(row: Row) -> list[str]:
    return [
        row.layout,
        f"{row.objects:,}",
        f"{row.stored_mib:,.1f}",
        f"{row.bytes_per_event:,.0f}",
        row.case,
        f"{row.objects_read:,}",
        f"{row.mib_read:,.2f}",
        f"{row.vs_baseline:.3f}",
        f"{row.vs_lower_bound:,.1f}",
        f"{row.usd_per_1000_queries:.3f}",
        "" if row.duckdb_seconds is None else f"{row.duckdb_seconds:.3f}",
        "" if row.rows is None else str(row.rows),
    ]


def text_table(headers: list[str] | tuple[str, ...], body: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) if c[:1].isdigit() else c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines)


def markdown_table(headers: list[str] | tuple[str, ...], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def csv_text(results: Results) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f.replace(" ", "_").replace("/", "_per_") for f in _HEADERS])
    for row in rows(results):
        writer.writerow(
            [
                row.layout,
                row.objects,
                round(row.stored_mib, 3),
                round(row.bytes_per_event, 1),
                row.case,
                row.objects_read,
                round(row.mib_read, 4),
                round(row.vs_baseline, 4),
                round(row.vs_lower_bound, 2),
                round(row.usd_per_1000_queries, 5),
                "" if row.duckdb_seconds is None else round(row.duckdb_seconds, 4),
                "" if row.rows is None else row.rows,
            ]
        )
    return out.getvalue()


def measurement(results: Results, measure: LayoutMeasure) -> Measurement:
    """A layout's numbers per month, for ``seslog.eventlog.costs``."""
    month = DAYS_PER_MONTH / results.scale.days
    layout = measure.layout
    return Measurement(
        format=layout.format,
        partitioning=layout.partitioning,
        emails_per_day=results.messages / results.scale.days,
        events_per_email=measure.events / results.messages,
        record_bytes=results.record_bytes,
        objects_per_month=measure.objects * month,
        footer_bytes_per_month=measure.footer_bytes * month,
        data_bytes_per_month=(measure.stored_bytes - measure.footer_bytes) * month,
        partition_shares=measure.partition_shares,
        buffer_interval_seconds=layout.stream.buffer_interval_seconds,
        buffer_size_mib=layout.stream.buffer_size_mib,
        queries=tuple(MeasuredQuery(q.case, q.footer_bytes, q.data_bytes) for q in measure.queries.values()),
        density=results.density[layout.name],
    )


_COST_HEADERS = (
    "emails/day",
    "layout",
    "GB stored",
    "objects/month",
    "Firehose",
    "conversion",
    "dynamic partitioning",
    "S3 storage",
    "S3 PUT",
    "Athena",
    "total USD/month",
)


def cost_rows(results: Results, names: list[str] | None = None) -> list[list[str]]:
    """Monthly costs of ``names`` (default: every layout) at each of ``COST_VOLUMES``."""
    out = []
    for volume in COST_VOLUMES:
        for name in names or list(results.layouts):
            usage = measurement(results, results.layouts[name]).usage_at(
                volume, queries_per_month=QUERIES_PER_MONTH, retention_days=RETENTION_DAYS
            )
            cost = monthly_cost(usage)
            stored = usage.emails_per_day * usage.events_per_email * usage.retention_days * usage.stored_bytes_per_event / 1024**3
            out.append(
                [
                    f"{volume:,}",
                    name,
                    f"{stored:,.2f}",
                    f"{usage.objects_per_month:,.0f}",
                    *(
                        f"{v:,.2f}"
                        for v in (
                            cost.ingestion,
                            cost.conversion,
                            cost.dynamic_partitioning,
                            cost.storage,
                            cost.requests,
                            cost.athena,
                            cost.total,
                        )
                    ),
                ]
            )
    return out


_SUMMARY_HEADERS = ("layout", "objects", "KiB/object", "bytes/event", *(f"MiB read: {c.name}" for c in CASES))


def summary_rows(results: Results) -> list[list[str]]:
    out = []
    for name, m in results.layouts.items():
        out.append(
            [
                name,
                f"{m.objects:,}",
                f"{m.stored_bytes / m.objects / 1024:,.1f}",
                f"{m.stored_bytes / m.events:,.0f}",
                *(f"{m.queries[c.name].bytes / MB:,.2f}" for c in CASES),
            ]
        )
    out.append(["lower bound", "", "", "", *(f"{results.lower_bounds[c.name].bytes / MB:,.2f}" for c in CASES)])
    return out


def density_rows(results: Results) -> list[list[str]]:
    """Bytes per event of one object of each format, by the records in it."""
    formats = sorted({fmt for fmt, _ in results.probed}, key=list(FORMATS).index)
    counts = sorted({records for _, records in results.probed})
    return [[f"{n:,}", *(f"{results.probed[fmt, n].size / n:,.0f}" for fmt in formats)] for n in counts]


def timing_rows(results: Results) -> list[list[str]]:
    """DuckDB's median seconds per timed layout and case."""
    out = []
    for name in results.timed:
        queries = results.layouts[name].queries
        out.append([name, *(f"{queries[c.name].seconds:.2f}" for c in CASES)])
    return out


def header_lines(results: Results, host: dict[str, str]) -> list[str]:
    scale = results.scale
    events = results.layouts[BASELINE].events
    return [
        (
            f"Measured {host['date']} on {host['cpus']} CPUs ({host['cpu']}), {host['ram']} RAM, {host['os']}; "
            f"Python {host['python']}, DuckDB {host['duckdb']}, pyarrow {host['pyarrow']}."
        ),
        (
            f"Stream: {results.messages:,} messages to {scale.recipients:,} addresses over {scale.days} days from {scale.start} "
            f"(seed {scale.seed}): {events:,} events, {results.record_bytes:,.0f} bytes per record as SES sends it."
        ),
        f"Written in {results.write_seconds:,.0f} s ({results.workers} processes), measured and timed in {results.measure_seconds:,.0f} s.",
    ]


def markdown(results: Results, host: dict[str, str]) -> str:
    values = "\n".join(
        f"- `{name}` ({BY_NAME[name].title}): {BY_NAME[name].query} with " + ", ".join(f"{k}={v}" for k, v in picked.items())
        for name, picked in results.picked.items()
    )
    layouts = "\n".join(f"- `{name}`: {LAYOUTS[name].description}" for name in results.layouts)
    return (
        "\n\n".join(
            [
                "# Benchmark: layouts, bytes read and cost",
                "\n".join(header_lines(results, host)),
                "## Layouts\n\n"
                + layouts
                + f"\n\nThe recipient layout's key is a bucket (0-{RECIPIENT_BUCKETS - 1}) of the message's first recipient, "
                "so `recipient-first` names the bucket; no other query can.",
                "## Queries\n\n" + values,
                "## Summary\n\nMiB each query reads (the figure Athena bills, before its 10 MB minimum).\n\n"
                + markdown_table(_SUMMARY_HEADERS, summary_rows(results)),
                *(
                    [
                        f"DuckDB's median seconds (of {results.runs} runs, each on the layout opened afresh) through "
                        "`seslog.eventlog.local`, on this machine:\n\n"
                        + markdown_table(("layout", *(c.name for c in CASES)), timing_rows(results))
                    ]
                    if results.timed
                    else []
                ),
                "## All measurements\n\n"
                + METHOD.format(runs=results.runs)
                + "\n\n"
                + markdown_table(_HEADERS, [_cells(r) for r in rows(results)]),
                "## Bytes per event by records per object\n\nOne object of each format holding that many records, sampled evenly from "
                "the stream (footer included). Ten times the volume through the same buffer interval puts ten times the records in an "
                "object; the monthly cost below scales the data bytes of each layout by these figures.\n\n"
                + markdown_table(
                    ("records in the object", *sorted({fmt for fmt, _ in results.probed}, key=list(FORMATS).index)),
                    density_rows(results),
                ),
                f"## Monthly cost\n\n{QUERIES_PER_MONTH} investigations a month shared equally among the {len(CASES)} queries, {RETENTION_DAYS} days kept, "
                f"prices as of {PRICES.as_of} ({PRICES.source}). Bytes stored and read are scaled from the measurement: footers with the objects, "
                "the rest with the events and the records per object.\n\n" + markdown_table(_COST_HEADERS, cost_rows(results)),
            ]
        )
        + "\n"
    )


METHOD = (
    "Bytes read: for JSON the whole objects in the partitions the query's partition conditions keep; for Parquet the footer "
    "of each such object and the column chunks of the columns the query names (`ColumnChunk.total_compressed_size`); for ORC "
    "the file tail, the stripe footers and the data streams of those columns and their parents (index streams not counted). "
    "No row-group skipping by statistics is assumed. `x lower bound`: bytes read over the needed columns of the records the "
    "answer is made of, alone, as one Snappy Parquet file. `USD/1000 queries`: Athena at USD "
    f"{PRICES.athena_per_tb:g}/TB with its 10 MB minimum. `DuckDB s`: median wall time of {{runs}} runs through `seslog.eventlog.local` "
    f"(one run when the first takes over {SINGLE_RUN_SECONDS:g} s); `rows`: rows the query returned."
)


def write(results: Results, out: Path) -> dict[str, Path]:
    """Write ``results.md``, ``results.csv`` and ``costs.csv`` under ``out``; print the table."""
    host = machine()
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "results.md", "csv": out / "results.csv", "costs": out / "costs.csv"}
    paths["markdown"].write_text(markdown(results, host), encoding="utf-8")
    paths["csv"].write_text(csv_text(results), encoding="utf-8")
    with paths["costs"].open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(_COST_HEADERS)
        writer.writerows([[c.replace(",", "") for c in row] for row in cost_rows(results)])
    sys.stdout.write(
        "\n".join(header_lines(results, host)) + "\n\n" + text_table(_HEADERS, [_cells(r) for r in rows(results)]) + "\n"
    )
    return paths
