"""A generated data set written as the stream writes it, to try the commands on with ``--local`` and no AWS.

The events come from ``seslog.eventlog.generator`` (SES's example records, realistic timings and
outcomes), the objects from ``seslog.eventlog.layout`` (Firehose's buffering, prefixes, names and
formats), so the directory looks like a copy of the bucket made with ``seslog download``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from seslog.errors import SeslogError
from seslog.eventlog.prefixes import DATA_PREFIX


@dataclass(frozen=True)
class DemoData:
    directory: Path
    format: str
    partitioning: str
    start: date
    days: int
    messages: int
    events: int
    objects: int

    def summary(self) -> str:
        last = self.start + timedelta(days=self.days - 1)
        return (
            f"wrote {self.events:,} events of {self.messages:,} messages sent {self.start} to {last} (UTC) "
            f"in {self.objects:,} {self.format} objects ({self.partitioning} partitioning) under {self.directory / DATA_PREFIX}; "
            f"try: python -m seslog stats --local {self.directory} --from {self.start} --until {last}"
        )


def write_demo_data(
    directory: Path, *, format: str, partitioning: str, start: date, days: int, messages: int, recipients: int, seed: int
) -> DemoData:
    data = directory / DATA_PREFIX
    if data.is_dir() and any(p.is_file() for p in data.rglob("*")):
        raise SeslogError(f"{data} already holds event objects: write the demo data to a new or empty directory")
    if directory.exists() and not directory.is_dir():
        raise SeslogError(f"{directory} exists and is not a directory")
    try:
        from seslog.eventlog.generator import generate, load_samples
        from seslog.eventlog.layout import write_layout
    except ImportError as error:
        raise SeslogError(f"demo-data needs the packages in requirements-dev.txt (pip install -r requirements-dev.txt): {error}") from None
    events = generate(
        load_samples(), seed=seed, start=datetime.combine(start, time(), UTC), days=days, messages=messages, recipients=recipients
    )
    try:
        written = write_layout(events, directory, format=format, partitioning=partitioning)
    except OSError as error:
        raise SeslogError(f"cannot write the demo data under {directory}: {error.strerror or error}") from None
    stored = [o for o in written if not o.error]
    return DemoData(directory, format, partitioning, start, days, messages, sum(o.records for o in stored), len(stored))
