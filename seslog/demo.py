"""A generated data set written as the stream writes it, to try the commands on with ``--local`` and no AWS.

The events come from ``seslog.eventlog.generator`` (SES's example records, realistic timings and
outcomes), the objects from ``seslog.eventlog.layout`` (Firehose's buffering, prefixes, names and
formats), so the directory looks like a copy of the bucket made with ``seslog download``.

Everything is written into a hidden temporary directory inside DIR, then renamed into place
(``errors/`` first, ``events/`` last), so an interrupted run leaves no partial ``events/`` that a
later command would read as a whole data set.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from seslog.errors import SeslogError
from seslog.eventlog.prefixes import COGNITO_PREFIX, DATA_PREFIX, ERROR_PREFIX
from seslog.extras import missing_extra
from seslog.progress import Progress

MAX_MESSAGES = 1_000_000
"""More than this would take hours to generate on a laptop; the benchmark is the tool for such volumes."""
MAX_RECIPIENTS = 1_000_000
MAX_DAYS = 366
LAST_DAY = date(2999, 12, 31)
"""The last day seslog takes (``seslog.arguments.day``: years 1970-2999): the summary's suggested ``--until`` must be one."""
_PARTIAL = ".seslog-demo-partial-"
_TOPS = (ERROR_PREFIX.split("/", 1)[0], COGNITO_PREFIX.rstrip("/"), DATA_PREFIX.rstrip("/"))
"""What a data set holds at its top, moved into place in this order: the events last."""


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
            f"try: seslog stats --local {self.directory} --from {self.start} --until {last}"
        )


def check_size(*, messages: int, recipients: int, days: int) -> None:
    """Refuse, in one line each, the values the generator cannot use (usage errors, exit code 2)."""
    for flag, value, most in (
        ("--messages", messages, MAX_MESSAGES),
        ("--recipients", recipients, MAX_RECIPIENTS),
        ("--days", days, MAX_DAYS),
    ):
        if value > most:
            raise SeslogError(f"{flag} {value:,} is more than demo-data writes (at most {most:,})", exit_code=2)


def check_days(start: date, days: int) -> None:
    """Refuse a range whose last day seslog would then refuse to read (a usage error, exit code 2)."""
    last = start + timedelta(days=days - 1)
    if last > LAST_DAY:
        latest = LAST_DAY - timedelta(days=days - 1)
        fewer = (LAST_DAY - start).days + 1
        raise SeslogError(
            f"--start {start} with --days {days} ends on {last}, after {LAST_DAY}, the last day seslog reads: "
            f"start by {latest}, or write at most {fewer:,} day{'s' if fewer != 1 else ''}",
            exit_code=2,
        )


DEMO_POOL = "us-east-1_Ex4mple01"
"""The user pool whose message-delivery errors the demo data's Cognito log holds."""

_COGNITO_ERRORS = (
    # (day, seconds into it, Cognito's words): the pool's From address unverified after someone changed it, SES's
    # rate exceeded during a burst of sign-ups, and an SMS error (the same log carries them).
    (
        1,
        9 * 3600 + 12 * 60 + 5,
        "Email address is not verified. The following identities failed the check in region US-EAST-1: no-reply@auth.example.com",
    ),
    (
        1,
        9 * 3600 + 14 * 60 + 41,
        "Email address is not verified. The following identities failed the check in region US-EAST-1: no-reply@auth.example.com",
    ),
    (2, 14 * 3600 + 3 * 60 + 27, "Maximum sending rate exceeded."),
    (2, 22 * 3600 + 48 * 60 + 2, "SMS message sending failed: the phone number is opted out"),
)


def _write_cognito_log(root: Path, start: date, days: int, seed: int) -> None:
    """The demo pool's error log, as the pipeline's Cognito stream writes it (``seslog.cognito.log``)."""
    from seslog.cognito.log import record_of, subscription_message, write_object

    rng = random.Random(seed)
    for day, seconds, details in _COGNITO_ERRORS:
        if day >= days:
            continue
        at = datetime.combine(start + timedelta(days=day), time(), UTC) + timedelta(seconds=seconds)
        record = record_of(at, details, DEMO_POOL)
        message = subscription_message([record], log_group="/aws/vendedlogs/cognito/ses-event-log-demo")
        write_object(root, at + timedelta(seconds=2), [message], uuid.UUID(int=rng.getrandbits(128), version=4))


def _counted(
    events: Iterable[tuple[datetime, dict[str, Any]]], messages: int, progress: Progress | None
) -> Iterator[tuple[datetime, dict[str, Any]]]:
    sent = 0
    for arrival, record in events:
        if record["eventType"] == "Send":
            sent += 1
            if progress and sent % 100 == 0:
                progress.update(f"writing the demo data: {sent:,} of {messages:,} messages", completed=sent, total=messages)
        yield arrival, record


def write_demo_data(
    directory: Path,
    *,
    format: str,
    partitioning: str,
    start: date,
    days: int,
    messages: int,
    recipients: int,
    seed: int,
    progress: Progress | None = None,
) -> DemoData:
    check_size(messages=messages, recipients=recipients, days=days)
    check_days(start, days)
    if directory.exists() and not directory.is_dir():
        raise SeslogError(f"{directory} exists and is not a directory")
    for top in _TOPS:
        if (directory / top).exists():
            raise SeslogError(f"{directory / top} already exists: write the demo data to a new or empty directory")
    try:
        from seslog.eventlog.generator import generate, load_samples
        from seslog.eventlog.layout import write_layout
    except ImportError as error:
        raise missing_extra("demo-data", error) from None
    events = generate(
        load_samples(), seed=seed, start=datetime.combine(start, time(), UTC), days=days, messages=messages, recipients=recipients
    )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=_PARTIAL, dir=directory))
    except OSError as error:
        raise SeslogError(f"cannot write the demo data under {directory}: {error.strerror or error}") from None
    try:
        written = write_layout(_counted(events, messages, progress), partial, format=format, partitioning=partitioning)
        _write_cognito_log(partial, start, days, seed)
        for top in _TOPS:
            if (partial / top).exists():
                os.replace(partial / top, directory / top)
    except OSError as error:
        raise SeslogError(f"cannot write the demo data under {directory}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        if progress:
            progress.clear()
    stored = [o for o in written if not o.error]
    return DemoData(directory, format, partitioning, start, days, messages, sum(o.records for o in stored), len(stored))
