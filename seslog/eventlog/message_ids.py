"""The send time an SES message ID carries, as a hint.

Every real SES message ID checked (``0100017f5acb66f1-e509f90c-9c19-4dd6-ae93-bb7a0f7ea93c-000000``)
is 16 hex characters, a UUID and ``-000000``; the 16 are a 4-character prefix (``0100`` in
us-east-1, others elsewhere) and the send time in milliseconds since the epoch (``0x017f5acb66f1``
is 2022-03-05T15:55:53.969Z, that record's ``mail.timestamp``). AWS does not document it, so it
is read only from IDs of exactly that shape and only when the time is plausible, and a caller
falls back to its usual window otherwise. One published Rendering Failure's ID is 147 ms earlier
than its ``mail.timestamp``: ``SLACK`` allows for that at a day boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_SHAPE = re.compile(
    r"(?P<prefix>[0-9a-f]{4})(?P<millis>[0-9a-f]{12})-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{6}"
)

ID_SHAPE = re.compile(r"[0-9a-z]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{6}", re.IGNORECASE)
"""What an SES message ID looks like: 16 characters (hex in every real ID; ``EXAMPLE7c191be45`` in the AWS guide's
examples), a UUID and ``-000000``. A value of another shape is refused rather than looked for."""


def normalised(message_id: str) -> str:
    """A real SES ID (all hex) in lower case, as SES writes it; an example ID of the AWS guide as it is."""
    return message_id.lower() if _SHAPE.fullmatch(message_id.lower()) else message_id


EARLIEST = datetime(2011, 1, 25, tzinfo=UTC)
"""SES's launch: no message was sent before it."""

FUTURE_SLACK = timedelta(days=1)
"""How far past the clock a decoded time may be (a skewed clock) and still be believed."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SLACK = timedelta(seconds=1)
"""How far ``mail.timestamp`` may be from the decoded time (147 ms seen) when choosing days."""

ATHENA_SEND_TIME = (
    "The message ID holds its send time: SELECT from_unixtime(from_base(substr('<message ID>', 5, 12), 16) / 1e3) "
    "gives it (UTC) for IDs like 0100017f5acb66f1-...-000000; give that day as from_date and to_date "
    "(widened by a day when it is within a second of midnight)."
)
"""What the saved Athena queries that take a message ID tell a console user (seslog does it itself)."""


@dataclass(frozen=True)
class Decoded:
    sent_at: datetime | None
    """The send time, when the ID gives a plausible one."""
    reason: str
    """Why it was or was not believed, for the user."""

    def days(self) -> tuple[date, date]:
        """The UTC days ``mail.timestamp`` can be on: the decoded day, widened by ``SLACK`` either way."""
        assert self.sent_at is not None
        return (self.sent_at - SLACK).date(), (self.sent_at + SLACK).date()


def decode(message_id: str, now: datetime) -> Decoded:
    """The send time in ``message_id``, or why there is none to believe."""
    shape = _SHAPE.fullmatch(message_id.strip().lower())
    if shape is None:
        return Decoded(None, "the ID is not 16 hex characters, a UUID and -000000, so it carries no send time seslog can read")
    millis = int(shape["millis"], 16)
    # Compared as milliseconds first: 12 hex digits reach past the last year datetime can hold.
    if millis > (now + FUTURE_SLACK - _EPOCH) // timedelta(milliseconds=1):
        return Decoded(None, f"the time its ID would carry ({millis:,} ms after 1970) is in the future")
    sent = _EPOCH + timedelta(milliseconds=millis)
    if sent < EARLIEST:
        return Decoded(None, f"the time its ID would carry ({_iso(sent)}) is before SES existed")
    return Decoded(sent, f"the send time in the message ID, {_iso(sent)}")


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
