"""The benchmark run: generate the stream, write every layout, measure what each query reads,
time it with DuckDB.

Writing is split over one process per core (each generates the same seeded stream and writes
its share of the layouts in one pass, ``seslog.eventlog.layout.write_layouts``), because converting to
ORC and Parquet costs milliseconds per object. Each process then reads back the footers of
the objects it wrote. Timing runs afterwards, one query at a time, on an otherwise idle machine.
"""

from __future__ import annotations

import gzip
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.accounting import (
    LayoutMeasure,
    LowerBound,
    ObjectFacts,
    Written,
    lower_bound,
    measure_layout,
    needed_columns,
    object_facts,
)
from bench.columns import READERS, ObjectColumns
from bench.density import points, probe, sample
from bench.layouts import BASELINE, DEFAULT_LAYOUTS, LAYOUTS, Layout, derived_key, writer
from bench.workload import CASES, pick_values
from seslog.eventlog.costs import DensityPoint
from seslog.eventlog.generator import generate, load_samples
from seslog.eventlog.layout import write_layouts
from seslog.eventlog.local import TABLE, LocalEvents, forget
from seslog.eventlog.prefixes import DATA_PREFIX


@dataclass(frozen=True)
class Scale:
    messages: int = 200_000
    days: int = 30
    recipients: int = 50_000
    seed: int = 1
    start: date = date(2024, 5, 1)

    def events(self) -> Iterator[tuple[datetime, dict[str, Any]]]:
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        return generate(
            load_samples(), seed=self.seed, start=start, days=self.days, messages=self.messages, recipients=self.recipients
        )


PROGRESS_EVERY = 1_000_000
"""Events between two progress lines of a writing process."""


def _counted(
    events: Iterable[tuple[datetime, dict[str, Any]]], names: Sequence[str]
) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """``events``, with a line on stderr every ``PROGRESS_EVERY`` of them: a run at a million
    mails a day writes for many minutes in processes of its own."""
    started = time.perf_counter()
    for count, (arrival, record) in enumerate(events, 1):
        if count % PROGRESS_EVERY == 0:
            sys.stderr.write(
                f"bench: {'+'.join(names)}: {count:,} events written, arrivals up to {arrival:%Y-%m-%d %H:%M}, "
                f"{time.perf_counter() - started:,.0f} s, {_peak_rss_mib():,.0f} MiB\n"
            )
        yield arrival, record


def _peak_rss_mib() -> float:
    """This process's peak resident memory. Linux's ``VmHWM`` starts afresh in a spawned process,
    where ``ru_maxrss`` keeps the peak of the parent it was forked from."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return next(int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:"))


def write_share(names: Sequence[str], root: Path, scale: Scale) -> list[Written]:
    """Write the layouts ``names`` under ``root`` in one pass over the stream (linking those
    derived from another of them); their objects' facts."""
    started = time.perf_counter()
    layouts = [LAYOUTS[n] for n in names]
    direct = [layout for layout in layouts if layout.derived_from not in names]
    writers = [writer(layout, root, scale.seed) for layout in direct]
    write_layouts(_counted(scale.events(), names), writers)
    busiest = {layout.name: w.busiest for layout, w in zip(direct, writers, strict=True)}
    facts: dict[str, list[ObjectFacts]] = {}
    for layout, w in zip(direct, writers, strict=True):
        needed = [needed_columns(case, layout) for case in CASES]
        derived = [d for d in layouts if d.derived_from == layout.name]
        derived_needed = {d.name: [needed_columns(case, d) for case in CASES] for d in derived}
        facts[layout.name] = []
        for d in derived:
            facts[d.name] = []
        for o in w.objects:
            # A derived layout's objects are the same bytes: read once, linked under their keys.
            columns = READERS[layout.format](root / layout.name / o.key)
            facts[layout.name].append(object_facts(o.key, o.records, columns, needed))
            for d in derived:
                facts[d.name].append(object_facts(_link(root, d, o.key), o.records, columns, derived_needed[d.name]))
    seconds = time.perf_counter() - started
    # A linked layout's stream keeps one buffer as its source's does (no dynamic keys).
    return [
        Written(name, facts[name], seconds, busiest.get(name) or busiest[LAYOUTS[name].derived_from], _peak_rss_mib())
        for name in names
    ]


def _link(root: Path, layout: Layout, key: str) -> str:
    """Hard-link an object of ``layout.derived_from`` under its key in ``layout``; the new key."""
    new_key = derived_key(key, layout) if key.startswith(DATA_PREFIX) else key
    target = root / layout.name / new_key
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(root / layout.derived_from / key, target)
    return new_key


WRITE_SECONDS = {
    "json-date": 4.2,
    "json-event-type": 10.1,
    "json-recipient": 15.6,
    "parquet-date": 8.4,
    "parquet-event-type": 18.8,
    "parquet-recipient": 29.1,
    "parquet-date-300s": 11.4,
    "orc-date": 11.9,
    "orc-event-type": 29.0,
    "json-send-date": 9.0,
    "parquet-send-date": 15.0,
    "orc-send-date": 22.0,
}
"""Seconds each written layout took alone, at 20,000 messages over 3 days on two cores (the
layouts linked from another cost next to nothing): the weights that balance the shares. The
send-date ones are scaled from a run of 50,000 messages in a day, where its JQ made
parquet-send-date take 3.4 times json-date's time."""


def shares(names: Sequence[str], workers: int) -> list[list[str]]:
    """The layouts in ``workers`` shares of about equal work, each layout with those linked from
    it: the costliest written layout first, each to the share with the least work so far."""
    groups: dict[str, list[str]] = {}
    for name in names:
        source = LAYOUTS[name].derived_from
        groups.setdefault(source if source in names else name, []).append(name)
    count = min(workers, len(groups))
    work, members = [0.0] * count, [[] for _ in range(count)]
    for written in sorted(groups, key=lambda n: -_write_seconds(n)):
        lightest = work.index(min(work))
        work[lightest] += _write_seconds(written)
        members[lightest] += groups[written]
    return members


def _write_seconds(name: str) -> float:
    # A layout written directly though others link it: as costly as the one it would link.
    return WRITE_SECONDS.get(name) or WRITE_SECONDS[LAYOUTS[name].derived_from]


MALLOC_SETTINGS = {
    "MALLOC_TRIM_THRESHOLD_": str(4 << 30),
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
    "MALLOC_TOP_PAD_": str(256 << 20),
}
"""glibc malloc settings for the writing processes: keep freed memory instead of handing it
back to the system. pyarrow's ORC writer allocates and frees a 64 KiB buffer per stream (some
hundreds per object) through malloc; with glibc's defaults every object faults those pages in
again, which took 15 ms an object here, against 5 ms with these settings. glibc reads them
when a process starts, hence fresh (spawned) processes."""


def write_all(groups: Sequence[Sequence[str]], root: Path, scale: Scale) -> dict[str, Written]:
    """Write each share of layouts in a process of its own."""
    saved = {key: os.environ.get(key) for key in MALLOC_SETTINGS}
    os.environ.update(MALLOC_SETTINGS)
    try:
        with ProcessPoolExecutor(max_workers=len(groups), mp_context=get_context("spawn")) as pool:
            results = list(pool.map(write_share, groups, [root] * len(groups), [scale] * len(groups)))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return {w.layout: w for share in results for w in share}


SINGLE_RUN_SECONDS = 2.0
"""A query whose first run takes longer runs once: its time varies far less than that."""


def time_layout(
    measure: LayoutMeasure, root: Path, picked: dict[str, dict[str, str]], runs: int, cases: Sequence[str] | None = None
) -> None:
    """DuckDB's median wall time and row count for each case (or those named), through ``seslog.eventlog.local``.
    Each run opens the layout afresh, as a process's first question does: no Parquet footer or ORC
    column is kept from the run before."""
    layout = measure.layout
    for case in CASES:
        if cases is not None and case.name not in cases:
            continue
        sql, values = case.sql(layout.partitioning), case.values(picked[case.name], layout.partitioning)
        seconds: list[float] = []
        rows = 0
        while len(seconds) < runs and not (seconds and seconds[0] > SINGLE_RUN_SECONDS):
            forget()
            events = LocalEvents(root / layout.name, format=layout.format, partitioning=layout.partitioning)
            started = time.perf_counter()
            rows = len(events.sql(sql, values).rows)
            seconds.append(time.perf_counter() - started)
        query = measure.queries[case.name]
        measure.queries[case.name] = replace(query, seconds=statistics.median(seconds), rows=rows, runs=len(seconds))


def record_bytes(root: Path) -> float:
    """The mean size of a record as SES sends it, from the baseline's GZIP JSON objects."""
    total = count = 0
    for path in (root / BASELINE / DATA_PREFIX).rglob("*.gz"):
        data = gzip.decompress(path.read_bytes())
        total += len(data)
        count += data.count(b"\n")
    return total / count


@dataclass
class Results:
    scale: Scale
    work: Path
    """Where the layouts are."""
    layouts: dict[str, LayoutMeasure]
    picked: dict[str, dict[str, str]]
    lower_bounds: dict[str, LowerBound]
    record_bytes: float
    messages: int
    write_seconds: float
    workers: int
    """Processes that wrote the layouts."""
    measure_seconds: float
    timed: tuple[str, ...]
    runs: int
    probed: dict[tuple[str, int], ObjectColumns]
    """The single objects of ``bench.density``, by format and records."""
    density: dict[str, tuple[DensityPoint, ...]]


REFERENCE = "parquet-none"
"""The layout the workload's values and the lower bounds are read from (DuckDB reads it fast)."""


def run(
    scale: Scale,
    work: Path,
    *,
    names: Sequence[str] = DEFAULT_LAYOUTS,
    timing: bool = True,
    runs: int = 3,
    workers: int = os.cpu_count() or 1,
    timed_cases: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> Results:
    """Write the layouts ``names`` under ``work`` and measure them. ``names`` must include the
    baseline and ``REFERENCE``."""
    missing = {BASELINE, REFERENCE} - set(names)
    if missing:
        raise ValueError(f"the layouts must include {', '.join(sorted(missing))}")
    started = time.perf_counter()
    progress(f"writing {len(names)} layouts of {scale.messages:,} messages over {scale.days} days")
    groups = shares(names, workers)
    written = write_all(groups, work, scale)
    write_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference = LocalEvents(work / REFERENCE, format="parquet", partitioning="none")
    picked = pick_values(reference, scale.start, scale.days)
    lower = {case.name: lower_bound(reference, case, picked[case.name], work) for case in CASES}
    messages = reference.sql(f"SELECT count(*) FROM {TABLE} WHERE eventtype = 'Send'").rows[0][0]
    layouts = {name: measure_layout(written[name], picked) for name in names}
    progress("writing single objects of more records, to scale to other volumes")
    probed = probe(sample(scale.events(), layouts[BASELINE].events), work / "density")
    density = {name: points(probed, LAYOUTS[name].format, [needed_columns(c, LAYOUTS[name]) for c in CASES]) for name in names}
    timed = tuple(names) if timing else ()
    for name in timed:
        progress(f"timing {name}")
        time_layout(layouts[name], work, picked, runs, timed_cases)
    return Results(
        scale,
        work,
        layouts,
        picked,
        lower,
        record_bytes(work),
        messages,
        write_seconds,
        len(groups),
        time.perf_counter() - started,
        timed,
        runs,
        probed,
        density,
    )
