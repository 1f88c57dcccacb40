"""End-to-end proof that a deployed stack logs what SES sends.

One email goes to each SES mailbox simulator address through the stack's configuration set;
then the bucket is watched until every message's expected events have arrived. What each
address produces (SES developer guide, "Using the mailbox simulator manually", and the bounce
types of "Contents of event data that Amazon SES publishes to Firehose"):

- ``success@``: the provider accepts the mail: Send, Delivery.
- ``bounce@``: the provider answers SMTP 550 5.1.1: Send, a Permanent (hard) Bounce.
- ``complaint@``: the provider accepts the mail and the recipient marks it as spam:
  Send, Delivery, Complaint.
- ``suppressionlist@``: SES "generates a hard bounce as if the recipient's address is on the
  global suppression list": Send, a Permanent Bounce, whose documented subtype for that list is
  ``Suppressed`` (``OnAccountSuppressionList`` is the account-level list). Only the bounce type
  is checked; the subtype is shown, as it proves the pipeline no more than the type does.

Send needs no recipient: SES publishes it when it accepts the request.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from botocore.exceptions import ClientError

from seslog.download import list_objects, partition_prefixes
from seslog.errors import SeslogError, error_code, error_message
from seslog.eventlog.events import BY_API_NAME
from seslog.eventlog.partitioning import SCHEMES
from seslog.eventlog.prefixes import ERROR_PREFIX
from seslog.output import print_table, terminal_width
from seslog.progress import Progress
from seslog.records import UnreadableObject, read_records
from seslog.records import field as record_field
from seslog.target import StackTarget

SIMULATOR_DOMAIN = "simulator.amazonses.com"
TAG_NAME = "seslog-smoke-test"
CLOCK_SKEW = timedelta(minutes=5)
"""Objects modified this long before the start still count: the local clock may run ahead of S3's."""
MAX_BUFFER_INTERVAL = timedelta(seconds=900)
"""An object's time partition is the arrival of its oldest record, up to a buffer interval before ours."""

SEND, DELIVERY, BOUNCE, COMPLAINT = (BY_API_NAME[n].record_name for n in ("SEND", "DELIVERY", "BOUNCE", "COMPLAINT"))


@dataclass(frozen=True)
class Scenario:
    mailbox: str
    expected: tuple[str, ...]
    """``eventType`` values that must all arrive."""
    bounce_type: str | None = None
    """The ``bounceType`` the Bounce must have."""

    @property
    def address(self) -> str:
        return f"{self.mailbox}@{SIMULATOR_DOMAIN}"

    def describe(self) -> str:
        return ", ".join(f"{e} ({self.bounce_type})" if e == BOUNCE and self.bounce_type else e for e in self.expected)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("success", (SEND, DELIVERY)),
    Scenario("bounce", (SEND, BOUNCE), bounce_type="Permanent"),
    Scenario("complaint", (SEND, DELIVERY, COMPLAINT)),
    Scenario("suppressionlist", (SEND, BOUNCE), bounce_type="Permanent"),
)


@dataclass(frozen=True)
class Event:
    type: str
    bounce_type: str | None = None
    bounce_subtype: str | None = None

    def describe(self) -> str:
        if self.type == BOUNCE:
            return f"{self.type} ({self.bounce_type}/{self.bounce_subtype})"
        return self.type


@dataclass
class Message:
    scenario: Scenario
    message_id: str
    events: list[Event] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        types = {e.type for e in self.events}
        if not set(self.scenario.expected) <= types:
            return False
        wanted = self.scenario.bounce_type
        return wanted is None or any(e.bounce_type == wanted for e in self.events if e.type == BOUNCE)

    def seen(self) -> str:
        """Distinct events, in the order the scenario expects them (objects are not listed in time order)."""
        order = self.scenario.expected
        events = sorted(self.events, key=lambda e: order.index(e.type) if e.type in order else len(order))
        return ", ".join(dict.fromkeys(e.describe() for e in events)) or "nothing yet"


def send_messages(ses: Any, sender: str, configuration_set: str, run_id: str) -> list[Message]:
    """One message per scenario through the configuration set, tagged with the run id."""
    messages = []
    for scenario in SCENARIOS:
        try:
            response = ses.send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": [scenario.address]},
                Content={
                    "Simple": {
                        "Subject": {"Data": f"seslog smoke test {run_id}: {scenario.mailbox}"},
                        "Body": {
                            "Text": {
                                "Data": f"Sent by `seslog smoke-test` to check that SES events reach the event log ({run_id})."
                            }
                        },
                    }
                },
                ConfigurationSetName=configuration_set,
                EmailTags=[{"Name": TAG_NAME, "Value": run_id}],
            )
        except ClientError as error:
            code, message = error_code(error), error_message(error)
            if code == "MessageRejected":
                raise SeslogError(
                    f"SES rejected the message from {sender}: {message} (the sender must be a verified identity in this region)"
                ) from None
            if code == "NotFoundException":
                raise SeslogError(
                    f"SES: {message} (configuration set {configuration_set!r}: check --configuration-set or "
                    "SESLOG_CONFIGURATION_SET, the region, and the stack output configurationSetName)"
                ) from None
            raise
        messages.append(Message(scenario, response["MessageId"]))
    return messages


@dataclass
class Watcher:
    """Reads each new event object once and files the events of our messages."""

    s3: Any
    bucket: str
    prefixes: Callable[[], list[str]]
    since: datetime
    messages: dict[str, Message]
    warn: Callable[[str], None]
    read: set[str] = field(default_factory=set)

    def poll(self) -> None:
        for entry in list_objects(self.s3, self.bucket, self.prefixes()):
            key = entry["Key"]
            if key in self.read or entry["LastModified"] < self.since:
                continue
            self.read.add(key)
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            try:
                records = read_records(key, body)
            except UnreadableObject as error:
                self.warn(f"skipped an object: {error}")
                continue
            for record in records:
                message = self.messages.get(record_field(record, "mail", "messageId"))
                if message is not None:
                    message.events.append(
                        Event(
                            record_field(record, "eventType"),
                            record_field(record, "bounce", "bounceType"),
                            record_field(record, "bounce", "bounceSubType"),
                        )
                    )


def run_smoke_test(
    *,
    ses: Any,
    s3: Any,
    target: StackTarget,
    sender: str,
    timeout: float,
    out: TextIO,
    err: TextIO,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    utcnow: Callable[[], datetime] = lambda: datetime.now(UTC),
    poll_seconds: float = 15.0,
) -> int:
    """Send, wait, print the pass/fail table; 0 when every scenario passed, 1 otherwise."""
    assert target.bucket and target.configuration_set and target.partitioning
    scheme = SCHEMES[target.partitioning]
    run_id = uuid.uuid4().hex[:12]
    started = utcnow()
    messages = send_messages(ses, sender, target.configuration_set, run_id)
    out.write(
        f"sent {len(messages)} messages from {sender} through configuration set {target.configuration_set} (run {run_id})\n"
    )

    def prefixes() -> list[str]:
        first = (started - MAX_BUFFER_INTERVAL - CLOCK_SKEW).date()
        days = [first + timedelta(days=n) for n in range((utcnow().date() - first).days + 1)]
        # The test's messages are sent now: under send-date, only these days' send partitions.
        return partition_prefixes(scheme, days, target.data_prefix, sent_since=first)

    watcher = Watcher(
        s3,
        target.bucket,
        prefixes,
        started - CLOCK_SKEW,
        {m.message_id: m for m in messages},
        lambda w: err.write(f"seslog: {w}\n"),
    )
    begun = clock()
    while True:
        watcher.poll()
        elapsed = clock() - begun
        done = sum(m.passed for m in messages)
        if done == len(messages) or elapsed >= timeout:
            break
        if progress:
            progress.update(f"waiting for events: {done}/{len(messages)} complete, {elapsed:.0f} s of {timeout:g} s")
        sleep(min(poll_seconds, timeout - elapsed))
    if progress:
        progress.clear()

    print_table(
        ["address", "message_id", "expected", "seen", "result"],
        [
            {
                "address": m.scenario.address,
                "message_id": m.message_id,
                "expected": m.scenario.describe(),
                "seen": m.seen(),
                "result": "PASS" if m.passed else "FAIL",
            }
            for m in messages
        ],
        out,
        width=terminal_width(out),
        shrink=["address", "expected", "seen"],
    )
    passed = sum(m.passed for m in messages)
    if passed == len(messages):
        out.write(f"PASS: all {passed} scenarios logged in s3://{target.bucket}/{target.data_prefix} after {elapsed:.0f} s\n")
        return 0
    out.write(f"FAIL: {passed}/{len(messages)} scenarios complete after {elapsed:.0f} s (timeout {timeout:g} s)\n")
    errors = _error_objects(s3, target.bucket, started - CLOCK_SKEW)
    if errors:
        out.write(
            f"{errors} object{'s' if errors != 1 else ''} under s3://{target.bucket}/{_error_root()} since the start: "
            "Firehose could not convert, partition or deliver some records (see the stream's error log group)\n"
        )
    return 1


def _error_root() -> str:
    return ERROR_PREFIX.split("!{", 1)[0]


def _error_objects(s3: Any, bucket: str, since: datetime) -> int:
    return sum(1 for o in list_objects(s3, bucket, [_error_root()]) if o["LastModified"] >= since)
