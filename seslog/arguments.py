"""Argument types shared by the commands: time ranges, addresses, sizes, counts.

Every parser here raises ``argparse.ArgumentTypeError`` with a message naming the value and
what is allowed, so that argparse reports it in one line with exit code 2.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from seslog.errors import SeslogError
from seslog.eventlog.addresses import EMAIL_ADDRESS
from seslog.eventlog.costs import GB, KB, MB, TB
from seslog.eventlog.message_ids import ID_SHAPE, normalised
from seslog.output import visible

T = TypeVar("T")
MAX_DAYS = 3660
"""Ten years: far past any retention, and well inside what ``datetime`` can represent."""

_SINCE = re.compile(r"(\d+)([dh])")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_HEADER_ID = re.compile(r"<?(?P<id>[^<>@\s]+)@(?:email|[a-z]{2}(?:-[a-z]+)+-\d)\.amazonses\.com>?", re.IGNORECASE)
"""A message ID as mail headers carry it: ``<ID@email.amazonses.com>`` or ``<ID@us-east-1.amazonses.com>``."""
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)?", re.IGNORECASE)
_SIZE_UNITS = {"B": 1, "KB": KB, "MB": MB, "GB": GB, "TB": TB}


def since(value: str) -> timedelta:
    """``7d`` or ``12h``: a span back from now."""
    match = _SINCE.fullmatch(value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not a span: use a whole number of days or hours, e.g. 7d or 12h")
    amount, unit = int(match[1]), match[2]
    # Compared before the timedelta is made: a huge amount would overflow it.
    if amount > (MAX_DAYS if unit == "d" else MAX_DAYS * 24):
        raise argparse.ArgumentTypeError(f"{value!r} reaches back more than {MAX_DAYS} days")
    span = timedelta(days=amount) if unit == "d" else timedelta(hours=amount)
    if span <= timedelta(0):
        raise argparse.ArgumentTypeError(f"{value!r} is empty: use at least 1h")
    return span


def day(value: str) -> date:
    """A UTC day as ``YYYY-MM-DD``."""
    if not _DAY.fullmatch(value.strip()):
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-24")
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: {error}") from None
    if not 1970 <= parsed.year <= 2999:
        raise argparse.ArgumentTypeError(f"{value!r} is not a plausible day for SES events (years 1970-2999)")
    return parsed


def email_address(value: str) -> str:
    hidden = [(n, c) for n, c in enumerate(value.strip()) if unicodedata.category(c) == "Cf"]
    if hidden:
        # A copy from a chat or a web page can carry a zero-width space that no one sees and no address holds.
        where, char = hidden[0]
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        raise argparse.ArgumentTypeError(
            f"{visible(value)!r} holds an invisible character ({name}, U+{ord(char):04X}) at position {where + 1}: "
            "type the address again rather than pasting it"
        )
    if not EMAIL_ADDRESS.fullmatch(value.strip()):
        raise argparse.ArgumentTypeError(f"{value!r} is not an email address (expected name@example.com)")
    return value.strip()


def message_id(value: str) -> str:
    """An SES message ID as SendEmail returns it (``mail.messageId``), or as a mail header carries it
    (``<ID@email.amazonses.com>``, ``<ID@us-east-1.amazonses.com>``): the ID either way."""
    value = value.strip()
    header = _HEADER_ID.fullmatch(value)
    found = header["id"] if header else value
    if not ID_SHAPE.fullmatch(found):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an SES message ID (mail.messageId, e.g. 0100018f40071d2e-c6e8799c-7adc-487a-8358-88c70ddb3ebd-000000, "
            "or its header form <ID@email.amazonses.com>)"
        )
    return normalised(found)


@dataclass(frozen=True)
class WhyTarget:
    address: str | None = None
    message_id: str | None = None


def address_or_message_id(value: str) -> WhyTarget:
    """What ``seslog why`` is asked about: a recipient address or a message ID (either form); anything else, a typo
    such as ``taro.example.jp`` included, is refused with what was expected."""
    if _HEADER_ID.fullmatch(value.strip()):
        return WhyTarget(message_id=message_id(value))
    if "@" in value:
        return WhyTarget(address=email_address(value))
    try:
        return WhyTarget(message_id=message_id(value))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is neither an email address (name@example.com) nor an SES message ID "
            "(e.g. 0100018f40071d2e-c6e8799c-7adc-487a-8358-88c70ddb3ebd-000000, or <ID@email.amazonses.com>)"
        ) from None


def positive_number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} must be a positive number")
    return number


def positive_int(value: str) -> int:
    if not re.fullmatch(r"\d+", value.strip()) or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be a whole number of at least 1")
    return int(value)


def directory(value: str) -> str:
    """A directory path; an empty one (``--local ''``, an unset variable) is refused rather than read as "here" or
    "not given"."""
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty path is not a directory: name one, e.g. ./demo")
    return value


def port_number(value: str) -> int:
    """A TCP port, or 0 for a free one."""
    if not re.fullmatch(r"\d{1,5}", value.strip()) or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port: use 0 (a free one) to 65535")
    return int(value)


def size(value: str) -> float:
    """Bytes, optionally with a binary unit as AWS bills them: ``100MB`` is 100 * 2**20 bytes."""
    match = _SIZE.fullmatch(value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not a size: use bytes or a number with B, KB, MB, GB or TB, e.g. 100MB")
    return float(match[1]) * _SIZE_UNITS[(match[2] or "B").upper()]


@dataclass(frozen=True)
class TimeRange:
    """A span of UTC time, ``start`` included and ``end`` excluded."""

    start: datetime
    end: datetime

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]

    def query_days(self) -> dict[str, str]:
        """The named queries' ``from_date`` and ``to_date``: the range's first and last UTC day."""
        return {"from_date": self.first_day.isoformat(), "to_date": self.last_day.isoformat()}

    def describe(self) -> str:
        if self.first_day == self.last_day:
            return f"{self.first_day} (UTC)"
        return f"{self.first_day} to {self.last_day} (UTC)"


def add_time_range_arguments(parser: argparse.ArgumentParser, default_since: str, described: str | None = None) -> None:
    """``--since``/``--from``/``--until``; ``described`` is the default as ``--help`` tells it, when it is not one span."""
    group = parser.add_argument_group("time range (UTC; --since or --from/--until)")
    group.add_argument("--since", type=since, help=f"span back from now, e.g. 7d or 12h (default {described or default_since})")
    group.add_argument("--from", dest="from_day", type=day, metavar="YYYY-MM-DD", help="first UTC day")
    group.add_argument("--until", dest="until_day", type=day, metavar="YYYY-MM-DD", help="last UTC day (default today)")
    parser.set_defaults(default_since=default_since)


RANGE_NAMES = {"since": "--since", "from": "--from", "until": "--until"}
"""What the range's three values are called where they are asked: the command line's flags. The page names its form's
fields and the MCP tools their parameters, so that an error names what the asker typed."""


def time_range(args: argparse.Namespace, now: datetime | None = None, names: Mapping[str, str] = RANGE_NAMES) -> TimeRange:
    """The range the time range arguments select; a conflict is a usage error (exit code 2)."""
    now = now or datetime.now(UTC)
    since_name, from_name, until_name = names["since"], names["from"], names["until"]
    if args.since is not None and (args.from_day or args.until_day):
        raise SeslogError(f"use either {since_name} or {from_name}/{until_name}, not both", exit_code=2)
    if args.until_day and not args.from_day:
        raise SeslogError(f"{until_name} needs {from_name}", exit_code=2)
    if args.from_day:
        last = args.until_day or now.date()
        if last < args.from_day:
            until = f"{until_name} {last}" if args.until_day else f"today ({last}, the default of {until_name})"
            raise SeslogError(f"{from_name} {args.from_day} is after {until}", exit_code=2)
        if (last - args.from_day).days > MAX_DAYS:
            raise SeslogError(f"{from_name} {args.from_day} to {last} spans more than {MAX_DAYS} days", exit_code=2)
        start = datetime.combine(args.from_day, time(), UTC)
        return TimeRange(start, datetime.combine(last + timedelta(days=1), time(), UTC))
    return TimeRange(now - (args.since or since(args.default_since)), now)


def parsed(flag: str, parse: Callable[[str], T], value: str) -> T:
    """``value`` parsed as the command line parses ``flag``; a bad one is a usage error with the CLI's words, named as
    argparse names it (``argument --from``, ``argument MESSAGE_ID``) or, for a page's field or a tool's parameter, by
    its own name (``From``, ``from_date``)."""
    try:
        return parse(value)
    except argparse.ArgumentTypeError as error:
        label = f"argument {flag}" if flag.startswith("-") or flag.isupper() else flag
        raise SeslogError(f"{label}: {error}", exit_code=2) from None


def span_of(
    since_text: str | None,
    from_text: str | None,
    until_text: str | None,
    default_since: str,
    now: datetime | None = None,
    names: Mapping[str, str] = RANGE_NAMES,
) -> TimeRange:
    """The range ``--since``/``--from``/``--until`` given as text select (for the web page and the MCP tools, which
    pass the ``names`` they call the three values by)."""
    chosen = argparse.Namespace(
        since=parsed(names["since"], since, since_text) if since_text else None,
        from_day=parsed(names["from"], day, from_text) if from_text else None,
        until_day=parsed(names["until"], day, until_text) if until_text else None,
        default_since=default_since,
    )
    return time_range(chosen, now, names)
