"""How the bytes of an event depend on how many records share its object.

A stream cuts an object every buffer interval, so ten times the volume puts ten times the
records in each object, and Parquet and ORC compress a column of many records better than
one of few. To scale the measurements to other volumes, one object per format is written for
each of ``RECORDS`` records, sampled evenly from the whole stream so that every object has the
same mix of events; the stream buffers them all (an interval that never ends).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.columns import READERS, ObjectColumns, column_bytes
from seslog.eventlog.costs import DensityPoint
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.layout import LayoutWriter, StreamSettings, write_layouts

RECORDS = (30, 300, 3_000, 50_000)
"""Records per object probed: from a quiet event-type partition to a million emails a day."""

_WHOLE = StreamSettings(buffer_size_mib=1 << 20, buffer_interval_seconds=10**8)


def sample(
    events: Iterable[tuple[datetime, dict[str, Any]]], total: int, size: int = max(RECORDS)
) -> list[tuple[datetime, dict[str, Any]]]:
    """Every n-th of ``total`` events, ``size`` of them at most, in arrival order."""
    step = max(1, total // size)
    return list(itertools.islice(itertools.islice(events, 0, None, step), size))


def probe(sampled: Sequence[tuple[datetime, dict[str, Any]]], root: Path) -> dict[tuple[str, int], ObjectColumns]:
    """For each format and each count in ``RECORDS``: the columns of one object of that many
    records, taken evenly from ``sampled``."""
    found = {}
    for records in RECORDS:
        step = max(1, len(sampled) // records)
        chosen = list(sampled[::step][:records])
        writers = {
            fmt: LayoutWriter(root / f"{fmt}-{records}", format=fmt, partitioning="none", stream=_WHOLE) for fmt in FORMATS
        }
        write_layouts(chosen, list(writers.values()))
        for fmt, writer in writers.items():
            (written,) = writer.objects
            found[fmt, len(chosen)] = READERS[fmt](root / f"{fmt}-{records}" / written.key)
    return found


def points(probed: dict[tuple[str, int], ObjectColumns], fmt: str, needed: Sequence[set[str]]) -> tuple[DensityPoint, ...]:
    """The density points of a layout in format ``fmt`` whose queries read ``needed`` columns."""
    return tuple(
        DensityPoint(records, sum(columns.columns.values()) / records, tuple(column_bytes(columns, n) / records for n in needed))
        for (kind, records), columns in sorted(probed.items())
        if kind == fmt
    )
