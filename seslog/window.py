"""Which days a question about one message reads, when the command line gives none.

The message ID carries the send time (``seslog.eventlog.message_ids``), so ``seslog message ID``
and ``seslog why ID`` ask for the message's send day alone, and the named queries read from it
the partitions where the scheme puts that day's messages' events (``queries.message_reach``):
a few arrival days under the arrival-time schemes, one send day's under send-date. Dates on
the command line win; an ID without a believable time falls back to the command's default
span. Either way one line on stderr says which window was read and why.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, time, timedelta
from typing import TextIO

from seslog.arguments import TimeRange, time_range
from seslog.eventlog.message_ids import decode
from seslog.eventlog.partitioning import Scheme, scheme_of
from seslog.eventlog.queries import message_reach
from seslog.target import LocalTarget, StackTarget


def dates_given(args: argparse.Namespace) -> bool:
    return args.since is not None or args.from_day is not None or args.until_day is not None


def target_scheme(target: StackTarget | LocalTarget) -> Scheme:
    """The partitioning of what the query will read: the stack's, or the local copy's objects'."""
    if isinstance(target, LocalTarget):
        from seslog.eventlog.local import detect  # the local extra, which --local needs anyway

        return scheme_of(detect(target.directory)[1])
    assert target.partitioning
    return scheme_of(target.partitioning)


def message_window(message_id: str, scheme: Scheme, now: datetime, fallback: TimeRange) -> tuple[TimeRange, str]:
    """The send days to ask about for ``message_id`` and the line that says why: the days of the
    send time in the ID (two around midnight), else ``fallback``."""
    decoded = decode(message_id, now)
    if decoded.sent_at is None:
        return fallback, f"seslog: reading {fallback.describe()}, the default range: {decoded.reason}\n"
    first, last = decoded.days()
    span = TimeRange(datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC))
    line = f"seslog: reading messages sent {span.describe()}, from {decoded.reason}: {message_reach(scheme, first, last, stack_retention=True)}\n"
    return span, line


def message_range(
    args: argparse.Namespace, message_id: str, target: StackTarget | LocalTarget, err: TextIO, now: datetime | None = None
) -> TimeRange:
    """The range ``seslog message`` and ``seslog why MESSAGE_ID`` ask about; the window line to ``err``
    when the range was not given."""
    now = now or datetime.now(UTC)
    if dates_given(args):
        return time_range(args, now)
    span, line = message_window(message_id, target_scheme(target), now, time_range(args, now))
    err.write(line)
    return span
