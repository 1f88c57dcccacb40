"""The benchmark run: generate the stream, write every layout, measure what each query reads,
time it with DuckDB.

Writing is split over two processes (each generates the same seeded stream and writes its
share of the layouts in one pass, ``eventlog.layout.write_layouts``), because converting to
ORC and Parquet costs milliseconds per object. Each process then reads back the footers of
the objects it wrote. Timing runs afterwards, one query at a time, on an otherwise idle machine.
"""

from __future__ import annotations

import gzip
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
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
from bench.layouts import BASELINE, DEFAULT_LAYOUTS, LAYOUTS, Layout, derived_key, recipient_scheme_registered, writer
from bench.workload import CASES, pick_values
from eventlog.costs import DensityPoint
from eventlog.generator import generate, load_samples
from eventlog.layout import write_layouts
from eventlog.local import TABLE, LocalEvents
from eventlog.prefixes import DATA_PREFIX


@dataclass(frozen=True)
class Scale:
    messages: int = 200_000
    days: int = 30
    recipients: int = 50_000
    seed: int = 1
    start: date = date(2024, 5, 1)

    def events(self) -> Iterator[tuple[datetime, dict[str, Any]]]:
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        return generate(load_samples(), seed=self.seed, start=start, days=self.days, messages=self.messages, recipients=self.recipients)


def write_share(names: Sequence[str], root: Path, scale: Scale) -> list[Written]:
    """Write the layouts ``names`` under ``root`` in one pass over the stream (linking those
    derived from another of them); their objects' facts."""
    started = time.perf_counter()
    with recipient_scheme_registered():
        layouts = [LAYOUTS[n] for n in names]
        direct = [layout for layout in layouts if layout.derived_from not in names]
        writers = [writer(layout, root, scale.seed) for layout in direct]
        write_layouts(scale.events(), writers)
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
    return [Written(name, facts[name], seconds) for name in names]


def _link(root: Path, layout: Layout, key: str) -> str:
    """Hard-link an object of ``layout.derived_from`` under its key in ``layout``; the new key."""
    new_key = derived_key(key, layout) if key.startswith(DATA_PREFIX) else key
    target = root / layout.name / new_key
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(root / layout.derived_from / key, target)
    return new_key


def shares(names: Sequence[str]) -> list[list[str]]:
    """The layouts in two shares of about equal work, each layout with the one it derives from:
    the ORC layouts (pyarrow's ORC writer takes about 25 ms an object) and the event-type
    layouts in one, the rest in the other."""

    def first(name: str) -> bool:
        layout = LAYOUTS[name]
        source = LAYOUTS[layout.derived_from] if layout.derived_from in names else layout
        return source.format == "orc" or source.scheme == "event-type"

    return [share for share in ([n for n in names if first(n)], [n for n in names if not first(n)]) if share]


def write_all(names: Sequence[str], root: Path, scale: Scale, workers: int = 2) -> dict[str, Written]:
    groups = shares(names) if workers > 1 else [list(names)]
    if len(groups) == 1:
        results = [write_share(groups[0], root, scale)]
    else:
        with ProcessPoolExecutor(max_workers=len(groups), mp_context=get_context("fork")) as pool:
            results = list(pool.map(write_share, groups, [root] * len(groups), [scale] * len(groups)))
    return {w.layout: w for share in results for w in share}


LOADED_FORMATS = ("json", "orc")
"""Formats ``eventlog.local`` loads whole into memory before querying, whatever the query."""

SINGLE_RUN_SECONDS = 5.0
"""A query whose first run takes longer runs once: its time varies far less than that."""


def timed_layouts(names: Sequence[str], time_all: bool = False) -> tuple[str, ...]:
    """The layouts timed: those DuckDB reads at query time (Parquet), and with ``time_all`` the
    ones ``eventlog.local`` loads whole first (a million JSON records take about a minute),
    whose query times do not depend on their partitioning."""
    return tuple(n for n in names if time_all or LAYOUTS[n].format not in LOADED_FORMATS)


def time_layout(measure: LayoutMeasure, root: Path, picked: dict[str, dict[str, str]], runs: int) -> None:
    """DuckDB's median wall time and row count for each case, through ``eventlog.local``."""
    layout = measure.layout
    started = time.perf_counter()
    events = LocalEvents(root / layout.name, format=layout.format, partitioning=layout.scheme)
    measure.load_seconds = time.perf_counter() - started
    for case in CASES:
        sql, values = case.sql(layout.partitioning), case.values(picked[case.name], layout.partitioning)
        seconds: list[float] = []
        rows = 0
        while len(seconds) < runs and not (seconds and seconds[0] > SINGLE_RUN_SECONDS):
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
    time_all: bool = False,
    runs: int = 3,
    workers: int = 2,
    progress: Callable[[str], None] = lambda message: None,
) -> Results:
    """Write the layouts ``names`` under ``work`` and measure them. ``names`` must include the
    baseline and ``REFERENCE``."""
    missing = {BASELINE, REFERENCE} - set(names)
    if missing:
        raise ValueError(f"the layouts must include {', '.join(sorted(missing))}")
    started = time.perf_counter()
    progress(f"writing {len(names)} layouts of {scale.messages:,} messages over {scale.days} days")
    written = write_all(names, work, scale, workers)
    write_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with recipient_scheme_registered():
        reference = LocalEvents(work / REFERENCE, format="parquet", partitioning="none")
        picked = pick_values(reference, scale.start, scale.days)
        lower = {case.name: lower_bound(reference, case, picked[case.name], work) for case in CASES}
        messages = reference.sql(f"SELECT count(*) FROM {TABLE} WHERE eventtype = 'Send'").rows[0][0]
        layouts = {name: measure_layout(written[name], picked) for name in names}
        progress("writing single objects of more records, to scale to other volumes")
        probed = probe(sample(scale.events(), layouts[BASELINE].events), work / "density")
        density = {name: points(probed, LAYOUTS[name].format, [needed_columns(c, LAYOUTS[name]) for c in CASES]) for name in names}
        timed = timed_layouts(names, time_all)
        for name in timed:
            progress(f"timing {name}")
            time_layout(layouts[name], work, picked, runs)
    return Results(scale, work, layouts, picked, lower, record_bytes(work), messages, write_seconds, time.perf_counter() - started,
                   timed, runs, probed, density)
