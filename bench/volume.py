"""``python -m bench.volume``: the message lookups measured at ``make bench``'s volume and at a
million mails a day, side by side, for the layouts that matter to them.

The large run writes a day of a million messages (about 4.4 million events, arriving over that
day and the next two) through the same stream settings as ``make bench``, so objects are as
full as Firehose would write them at that volume, and measures every object's bytes, footer and
columns as ``bench.run`` does. It cannot keep 30 days (132 million events), so what a query
reads when 30 days are kept is the measured bytes per day times the days the query reads
(``partition_days``): its own partition conditions, evaluated over 30 days of partitions, each
day weighing what one measured day holds (under the send-date scheme, a send day's bytes spread
over its arrival days as measured). The small run keeps its 30 days and is reported as measured.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import pickle
import re
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from bench.accounting import LayoutMeasure
from bench.layouts import BASELINE
from bench.query_scope import parameters, partition_conditions
from bench.report import markdown_table, measurement, text_table
from bench.run import REFERENCE, Results, Scale, run
from bench.workload import BY_NAME
from seslog.eventlog.costs import DAYS_PER_MONTH, MB, PRICES, MeasuredQuery, monthly_cost
from seslog.eventlog.local import TABLE
from seslog.eventlog.partitioning import ACTIVE_PARTITIONS_LIMIT, ARRIVAL, SENT

RESULTS = Path(__file__).resolve().parent / "results"

LAYOUT_NAMES = ("json-none", "json-date", "parquet-none", "parquet-date", "json-send-date", "parquet-send-date")
"""The baseline, the product's default, Parquet by day, and the send-date scheme in JSON and
Parquet (``parquet-none`` is the reference the values and lower bounds are read from)."""
REPORTED = tuple(n for n in LAYOUT_NAMES if n != REFERENCE)

SMALL = Scale()
"""``make bench``'s stream: 200,000 messages over 30 days."""
LARGE = Scale(messages=1_000_000, days=1, recipients=250_000)
"""A million messages in a day: every hour of the daily cycle, and every event of those messages."""

KEPT_DAYS = 30
"""Days the bucket keeps, for the baseline and every figure of the large run."""

CASES = ("message", "recipient-third", "recipient-first", "timeline", "bounces", "daily-counts")
"""The investigations reported: ``message`` is ``seslog message ID`` without dates, ``recipient-third``
``seslog find --to ADDRESS`` over 7 days (an address that is not a message's first recipient)."""
TIMED = ("message", "recipient-third")
"""The cases timed with DuckDB: at a million mails a day a JSON query takes minutes."""

TARGETS = {"message": 0.03, "recipient-third": 0.10}
"""Issue 13's targets at a million mails a day: at most this share of the baseline's bytes."""

MIB_PER_PROCESS = 3_500
"""Peak memory of one writing process at a million mails a day, rounded up from the 2,936 MiB
measured (the generator holds the events of the next day or so, the stream one buffer interval
of rows; neither grows with the days of the run): the large run refuses to start with less
available than this per process."""

_SPREAD = {"timeline", "daily-counts"}
"""Cases whose range is the whole period: 30 days at steady state."""
_PER_DAY_ANSWER = {"recipient-first", "recipient-third", "daily-counts"}
"""Cases whose answer grows with the days of their range (the others: one message, one day)."""


@dataclass(frozen=True)
class Figure:
    volume: str
    layout: str
    case: str
    mib_read: float
    objects_read: float
    vs_baseline: float
    lower_bound_mib: float
    duckdb_seconds: float | None


@dataclass(frozen=True)
class LayoutFigure:
    volume: str
    layout: str
    objects_per_month: float
    kib_per_object: float
    active_partitions: int
    usd_per_month: float
    peak_rss_mib: float


def _day(value: str, shift: int) -> str:
    return (date.fromisoformat(value) + timedelta(days=shift)).isoformat()


def steady_values(results: Results, case: str) -> tuple[dict[str, str], date]:
    """The case's values as at steady state, and the last day kept: the run's values, with the
    whole-period cases widened to the ``KEPT_DAYS`` ending where the message's events end."""
    picked = dict(results.picked[case])
    sent = date.fromisoformat(results.picked["message"]["to_date"])
    last_kept = sent + timedelta(days=5)
    if case in _SPREAD:
        picked["from_date"], picked["to_date"] = (last_kept - timedelta(days=KEPT_DAYS - 1)).isoformat(), last_kept.isoformat()
    return picked, last_kept


def _lags(measure: LayoutMeasure) -> dict[int, float]:
    """Share of a send day's bytes arriving ``n`` days after it (the send-date scheme's spread)."""
    spread: dict[int, float] = defaultdict(float)
    for o in measure.objects_facts:
        if o.data:
            spread[(date.fromisoformat(o.partitions["dt"]) - date.fromisoformat(o.partitions[SENT])).days] += o.size
    total = sum(spread.values())
    return {lag: size / total for lag, size in spread.items()}


def partition_days(measure: LayoutMeasure, sql: str, values: dict[str, str], last_kept: date) -> float:
    """Days of data a query reads when ``KEPT_DAYS`` up to ``last_kept`` are kept: its partition
    conditions over that many days of partitions, each weighing a day's share."""
    scheme = measure.layout.partitioning
    days = [last_kept - timedelta(days=n) for n in range(KEPT_DAYS)]
    sent, arrival = scheme.key(SENT), scheme.key(ARRIVAL)
    if sent is not None and arrival is not None:
        lags = _lags(measure)
        rows = [(s.isoformat(), d.isoformat(), w) for d in days for lag, w in lags.items() for s in [d - timedelta(days=lag)]]
        table = pa.table(
            {sent.column: [r[0] for r in rows], arrival.column: [r[1] for r in rows], "weight": [r[2] for r in rows]}
        )
    elif arrival is not None:
        table = pa.table({arrival.column: [d.isoformat() for d in days], "weight": [1.0] * len(days)})
    else:
        return float(KEPT_DAYS)
    conditions = partition_conditions(sql, TABLE, set(scheme.columns))
    where = " AND ".join(f"({c})" for c in conditions) or "TRUE"
    used = set().union(set(), *(parameters(c) for c in conditions))
    connection = duckdb.connect()
    connection.register("parts", table)
    return connection.execute(
        f"SELECT coalesce(sum(weight), 0) FROM parts WHERE {where}", {k: v for k, v in values.items() if k in used}
    ).fetchall()[0][0]


_OBJECT_TIME = re.compile(r"-(\d{4}-\d{2}-\d{2})-\d{2}-\d{2}-\d{2}-[0-9a-f-]+\.[a-z.]+$")
"""The day in an object's name (``<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><ext>``): its oldest record's arrival."""


def objects_per_day(results: Results, measure: LayoutMeasure) -> float:
    """Objects the stream writes a day when every day sends alike. Under the send-date scheme a
    send day's events are in objects of their own whenever they arrive, so a day writes as many
    as the run wrote for its days of sending. Otherwise a day's late events share the objects of
    that day's other events, so a day writes as many as the run wrote on its days of sending
    (its later objects, of late events alone, would not be written)."""
    data = [o for o in measure.objects_facts if o.data]
    if measure.layout.partitioning.key(SENT) is not None:
        return len(data) / results.scale.days
    last = results.scale.start + timedelta(days=results.scale.days - 1)
    sending = [o for o in data if (found := _OBJECT_TIME.search(o.key)) and date.fromisoformat(found[1]) <= last]
    return len(sending) / results.scale.days


def steady_read(results: Results, name: str, case: str) -> tuple[float, float]:
    """Bytes and objects the case reads on ``name`` with ``KEPT_DAYS`` kept: the measured bytes
    (footers and the case's columns) of a day, times the days it reads."""
    measure = results.layouts[name]
    index = list(BY_NAME).index(case)
    data = [o for o in measure.objects_facts if o.data]
    per_day_bytes = sum(o.footer + o.reads[index] for o in data) / results.scale.days
    per_day_objects = objects_per_day(results, measure)
    values, last_kept = steady_values(results, case)
    days = partition_days(
        measure,
        BY_NAME[case].sql(measure.layout.partitioning),
        BY_NAME[case].values(values, measure.layout.partitioning),
        last_kept,
    )
    return per_day_bytes * days, per_day_objects * days


def _lower_bound(results: Results, case: str, steady: bool) -> float:
    bound = results.lower_bounds[case].bytes
    if steady and case in _PER_DAY_ANSWER:
        # The run holds the answer's records of its own days only; a day holds as many.
        values, _ = steady_values(results, case)
        asked = (date.fromisoformat(values["to_date"]) - date.fromisoformat(values["from_date"])).days + 1
        bound *= asked / min(asked, results.scale.days)
    return bound


def figures(results: Results, volume: str, steady: bool) -> tuple[list[Figure], list[LayoutFigure]]:
    """The reported figures of one run: measured (``steady`` False: the run keeps ``KEPT_DAYS``)
    or scaled to ``KEPT_DAYS`` kept from the measured days."""
    read: dict[tuple[str, str], tuple[float, float]] = {}
    for name in REPORTED:
        for case in CASES:
            if steady:
                read[name, case] = steady_read(results, name, case)
            else:
                query = results.layouts[name].queries[case]
                read[name, case] = (float(query.bytes), float(query.objects))
    out = []
    for name in REPORTED:
        for case in CASES:
            mib, objects = read[name, case][0] / MB, read[name, case][1]
            out.append(
                Figure(
                    volume,
                    name,
                    case,
                    mib,
                    objects,
                    read[name, case][0] / read[BASELINE, case][0],
                    _lower_bound(results, case, steady) / MB,
                    results.layouts[name].queries[case].seconds,
                )
            )
    layouts = []
    for name in REPORTED:
        measure = results.layouts[name]
        queries = tuple(MeasuredQuery(c, 0.0, read[name, c][0]) for c in CASES)
        objects = (
            objects_per_day(results, measure) * DAYS_PER_MONTH
            if steady
            else measure.objects * DAYS_PER_MONTH / results.scale.days
        )
        usage = dataclasses.replace(measurement(results, measure), queries=queries, objects_per_month=objects).usage_at(
            results.messages / results.scale.days, queries_per_month=100, retention_days=KEPT_DAYS
        )
        stored_per_month = measure.stored_bytes * DAYS_PER_MONTH / results.scale.days
        layouts.append(
            LayoutFigure(
                volume,
                name,
                objects,
                stored_per_month / objects / 1024,
                measure.active_partitions,
                monthly_cost(usage).total,
                measure.peak_rss_mib,
            )
        )
    return out, layouts


def label(scale: Scale) -> str:
    """How a run is named in the tables: its mails a day."""
    return f"{scale.messages / scale.days:,.0f}/day"


def target_lines(rows: Sequence[Figure], volume: str) -> list[str]:
    """Whether each target is met at ``volume``, by the best reported layout."""
    lines = []
    for case, share in TARGETS.items():
        best = min((r for r in rows if r.volume == volume and r.case == case), key=lambda r: r.vs_baseline)
        verdict = "met" if best.vs_baseline <= share else "not met"
        lines.append(
            f"- `{case}` ({BY_NAME[case].title}): at most {share:.0%} of the baseline: {verdict}; best `{best.layout}`, "
            f"{best.vs_baseline:.2%} ({best.mib_read:,.1f} MiB against a lower bound of {best.lower_bound_mib:,.2f} MiB)."
        )
    return lines


_HEADERS = ("volume", "layout", "query", "MiB read", "objects read", "x baseline", "lower bound MiB", "DuckDB s")
_LAYOUT_HEADERS = (
    "volume",
    "layout",
    "objects/month",
    "KiB/object",
    "active partitions (busiest)",
    "USD/month",
    "peak MiB (writer)",
)


def _cells(r: Figure) -> list[str]:
    return [
        r.volume,
        r.layout,
        r.case,
        f"{r.mib_read:,.2f}",
        f"{r.objects_read:,.0f}",
        f"{r.vs_baseline:.4f}",
        f"{r.lower_bound_mib:,.3f}",
        "" if r.duckdb_seconds is None else f"{r.duckdb_seconds:.2f}",
    ]


def _layout_cells(r: LayoutFigure) -> list[str]:
    return [
        r.volume,
        r.layout,
        f"{r.objects_per_month:,.0f}",
        f"{r.kib_per_object:,.1f}",
        f"{r.active_partitions:,}",
        f"{r.usd_per_month:,.2f}",
        f"{r.peak_rss_mib:,.0f}",
    ]


def markdown(runs: Sequence[tuple[Results, bool]], rows: Sequence[Figure], layouts: Sequence[LayoutFigure]) -> str:
    seconds = sum(r.write_seconds + r.measure_seconds for r, _ in runs)
    described = "\n".join(
        f"- {label(r.scale)}: {r.messages:,} messages to {r.scale.recipients:,} addresses over {r.scale.days} days from {r.scale.start} "
        f"(seed {r.scale.seed}), {r.layouts[BASELINE].events:,} events; written in {r.write_seconds:,.0f} s by {r.workers} processes, "
        f"measured in {r.measure_seconds:,.0f} s; "
        + ("figures scaled to 30 days kept from the measured days" if steady else "figures as measured")
        for r, steady in runs
    )
    return (
        "\n\n".join(
            [
                "# Benchmark: the message lookups at two volumes",
                f"Written and measured in {seconds:,.0f} s on 2 cores. Layouts written with the stream settings of `make bench` (128 MiB / 900 s).\n\n"
                + described,
                "Bytes each investigation reads with 30 days kept (`x baseline`: over `json-none`'s). At a million mails a day the run "
                "holds one day of sending: a query's bytes are the measured bytes per day (footers and the query's columns) times the days its "
                "partition conditions keep among 30 days of partitions, a send day's bytes spread over arrival days as measured; "
                "DuckDB's seconds are over the run's own days, as written. The lower bound is the needed columns of the answer's records "
                "alone (for the 7-day and 30-day answers, the run's days scaled to the range).\n\n"
                + markdown_table(_HEADERS, [_cells(r) for r in rows]),
                "Per layout: objects a month, their mean size, the most partitions the stream had buffers open for at once (Firehose's "
                f"default limit: {ACTIVE_PARTITIONS_LIMIT}), the monthly cost with 30 days kept and 100 investigations a month shared among "
                f"the queries above (prices as of {PRICES.as_of}), and the peak memory of the process that wrote it.\n\n"
                + markdown_table(_LAYOUT_HEADERS, [_layout_cells(r) for r in layouts]),
                "Targets at a million mails a day:\n\n"
                + "\n".join(target_lines(rows, label(next(r.scale for r, steady in runs if steady)))),
            ]
        )
        + "\n"
    )


def enough_memory(workers: int, available: Callable[[], float]) -> str | None:
    """Why the large run cannot start, if the machine has not ``MIB_PER_PROCESS`` per writer."""
    have = available()
    need = workers * MIB_PER_PROCESS
    return (
        None
        if have >= need
        else f"the large run needs about {need:,} MiB ({workers} writers x {MIB_PER_PROCESS:,}), {have:,.0f} MiB are available"
    )


def available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def measure_volumes(
    scales: Sequence[tuple[Scale, bool]],
    work: Path,
    *,
    runs: int = 1,
    workers: int = 2,
    progress: Callable[[str], None] = lambda m: None,
) -> list[tuple[Results, bool]]:
    done = []
    for index, (scale, steady) in enumerate(scales):
        progress(f"run {index + 1} of {len(scales)}: {label(scale)}, {scale.messages:,} messages over {scale.days} days")
        results = run(
            scale, work / f"run-{index}", names=LAYOUT_NAMES, runs=runs, workers=workers, timed_cases=TIMED, progress=progress
        )
        # Kept, so that the report can be written again (``--report``) without writing the layouts again.
        (work / f"run-{index}.pickle").write_bytes(pickle.dumps((results, steady)))
        done.append((results, steady))
    return done


def saved(work: Path) -> list[tuple[Results, bool]]:
    """The runs ``measure_volumes`` kept under ``work``, in order."""
    return [pickle.loads(path.read_bytes()) for path in sorted(work.glob("run-*.pickle"))]


def write(done: Sequence[tuple[Results, bool]], out: Path) -> dict[str, Path]:
    rows: list[Figure] = []
    layouts: list[LayoutFigure] = []
    for results, steady in done:
        some, per_layout = figures(results, label(results.scale), steady)
        rows += some
        layouts += per_layout
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "volume.md", "csv": out / "volume.csv"}
    paths["markdown"].write_text(markdown(done, rows, layouts), encoding="utf-8")
    with paths["csv"].open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([h.replace(" ", "_") for h in _HEADERS])
        writer.writerows([[c.replace(",", "") for c in _cells(r)] for r in rows])
    sys.stdout.write(
        text_table(_HEADERS, [_cells(r) for r in rows])
        + "\n\n"
        + text_table(_LAYOUT_HEADERS, [_layout_cells(r) for r in layouts])
        + "\n"
    )
    return paths


def _scale(text: str) -> Scale:
    try:
        messages, days = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not MESSAGES,DAYS, e.g. 2000000,2") from None
    if messages < 100 or days < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: at least 100 messages and 1 day")
    return Scale(messages=messages, days=days, recipients=max(messages // 4, 100))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.volume",
        description="The message lookups at make bench's volume and at a million mails a day: bytes read with 30 days kept, "
        "objects, active partitions, DuckDB time, monthly cost; writes bench/results/volume.md and volume.csv. "
        f"About 35 minutes on 2 cores (the large run 27); at most about {MIB_PER_PROCESS:,} MiB per writing process, 2 of them.",
    )
    p.add_argument(
        "--small",
        type=_scale,
        default=SMALL,
        metavar="MESSAGES,DAYS",
        help="the small run, reported as measured (default 200000,30)",
    )
    p.add_argument(
        "--large",
        type=_scale,
        default=LARGE,
        metavar="MESSAGES,DAYS",
        help="the large run, scaled to 30 days kept (default 1000000,1)",
    )
    p.add_argument("--workers", type=int, default=2, help="writing processes (default %(default)s)")
    p.add_argument("--out", type=Path, default=RESULTS, help="where volume.md and volume.csv go (default bench/results)")
    p.add_argument(
        "--work",
        type=Path,
        required=True,
        help="an empty directory for the layouts (the large run needs about 3 GiB a day of sending)",
    )
    p.add_argument("--report", action="store_true", help="write the report again from the runs kept in --work, without running")
    args = p.parse_args(argv)
    if args.report:
        write(saved(args.work), args.out)
        return 0
    if args.work.exists() and any(args.work.iterdir()):
        p.error(f"--work {args.work} is not empty")
    if args.large.messages / args.large.days >= 100_000 and (problem := enough_memory(args.workers, available_mib)):
        p.error(problem)
    started = time.perf_counter()
    # The large run first: it is the one the targets are measured on.
    done = measure_volumes(
        [(args.large, True), (args.small, False)],
        args.work,
        workers=args.workers,
        progress=lambda message: sys.stderr.write(f"bench: {message}\n"),
    )
    paths = write(done, args.out)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sys.stderr.write(
        f"bench: wrote {', '.join(map(str, paths.values()))} in {time.perf_counter() - started:,.0f} s; "
        f"peak memory of a writing process {peak:,.0f} MiB\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
