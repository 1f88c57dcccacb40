"""The on-call questions: every message sent to an address, one message's timeline, the daily health figures.

Each runs a named query (``seslog/eventlog/queries``) on an ``Engine`` and prints its answer for a
person (aligned columns) or, with ``--json``, as one JSON document for a program.

The rates of ``stats`` are plain ratios of the events in the range, by the UTC day they happened:
bounce rate = Bounce events / Send events, complaint rate = Complaint events / Send events. A
Send event stands for one accepted message, however many recipients it has; a Bounce or
Complaint event for the recipients it names (usually one). They are not SES's
``Reputation.BounceRate`` and ``Reputation.ComplaintRate``: SES computes those for the account
over a representative volume of its recent mail rather than over a fixed time period (Amazon
SES blog, "Announcing the reputation dashboard"), and its bounce rate "includes only hard
bounces to domains you haven't verified" (SES guide, sending review process FAQs), while these
count every Bounce event, transient ones included.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from seslog.arguments import TimeRange
from seslog.diagnosis import diagnose
from seslog.engine import Engine, Row
from seslog.eventlog.events import BY_API_NAME, EVENT_TYPES
from seslog.output import print_table, wrap
from seslog.why import failure_of

SEND, BOUNCE, COMPLAINT = (BY_API_NAME[n].record_name for n in ("SEND", "BOUNCE", "COMPLAINT"))
MESSAGE_COLUMNS = ["sent_at", "message_id", "status", "status_detail", "opens", "clicks", "subject"]
TIMELINE_COLUMNS = ["event_time", "event_type", "recipients", "detail"]
RATES_NOTE = (
    "Rates over the events that happened {range}, every bounce type; SES's Reputation.BounceRate and ComplaintRate "
    "are SES's own figures over a representative volume of recent mail, hard bounces only (see seslog stats --help)."
)


def find_messages(engine: Engine, address: str, span: TimeRange) -> list[Row]:
    """Every message sent to ``address`` on the days of ``span``, newest first, with its status for that address."""
    rows = engine.run("recipient-messages", {"address": address, **span.query_days()})
    # The query lists oldest first, as its saved form in the workgroup does; on call, the latest matters most.
    return sorted(rows, key=lambda r: (r["sent_at"] or "", r["message_id"] or ""), reverse=True)


def message_timeline(engine: Engine, message_id: str, span: TimeRange) -> list[Row]:
    """Every event of the message, in time order, if it was sent on a day of ``span``."""
    return engine.run("message-timeline", {"message_id": message_id, **span.query_days()})


@dataclass(frozen=True)
class Stats:
    span: TimeRange
    counts: dict[str, dict[str, int]]
    """Events by UTC day (every day of the span, in order), then by ``eventType``."""
    failures: list[dict[str, Any]] = field(default_factory=list)
    """Bounces and delays by reason and provider (``failure_reasons``), largest first."""
    missing: list[str] = field(default_factory=list)
    """The days the engine does not hold (a local copy that lacks them): their counts are unknown, not zero."""

    def total(self, event_type: str) -> int:
        return sum(day.get(event_type, 0) for day in self.counts.values())

    @property
    def event_types(self) -> list[str]:
        """The types seen, and those the rates need, in the order of ``seslog.eventlog.events``."""
        seen = {t for day in self.counts.values() for t in day} | {SEND, BOUNCE, COMPLAINT}
        return [e.record_name for e in EVENT_TYPES if e.record_name in seen]

    def rate(self, event_type: str) -> float | None:
        sends = self.total(SEND)
        return self.total(event_type) / sends if sends else None

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def daily_stats(engine: Engine, span: TimeRange, missing: Sequence[str] = ()) -> Stats:
    """The counts of every day of ``span``; ``missing``, the days the engine does not hold, are shown as unknown."""
    counts: dict[str, dict[str, int]] = {day.isoformat(): {} for day in span.days()}
    for row in engine.run("daily-counts", span.query_days()):
        counts.setdefault(row["day"], {})[row["event_type"]] = int(row["events"])
    return Stats(span, counts, failure_reasons(engine, span), list(missing))


def failure_reasons(engine: Engine, span: TimeRange) -> list[dict[str, Any]]:
    """The bounces and delays that happened in ``span`` by reason and provider, with who must act, largest first."""
    totals: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in engine.run("failure-reasons", span.query_days()):
        found = diagnose(failure_of({**row, "recipient": f"@{row['domain']}"}))
        entry = totals.setdefault(
            (found.reason, found.provider, found.actor),
            {"reason": found.reason, "provider": found.provider, "actor": found.actor, "bounces": 0, "delays": 0},
        )
        entry["bounces" if row["event_type"] == BOUNCE else "delays"] += int(row["events"])
    return sorted(totals.values(), key=lambda e: (-(e["bounces"] + e["delays"]), e["reason"], e["provider"]))


def print_messages(rows: Sequence[Row], out: TextIO, width: int | None = None) -> None:
    print_table(MESSAGE_COLUMNS, rows, out, right=["opens", "clicks"], width=width, shrink=["subject", "status_detail"])


def print_timeline(rows: Sequence[Row], out: TextIO, width: int | None = None) -> None:
    print_table(TIMELINE_COLUMNS, rows, out, width=width, shrink=["recipients", "detail"])


def print_stats(stats: Stats, out: TextIO, width: int | None = None) -> None:
    types = stats.event_types
    rows: list[dict[str, Any]] = [
        {"day": day, **{t: "-" if day in stats.missing and not by_type else by_type.get(t, 0) for t in types}}
        for day, by_type in stats.counts.items()
    ]
    rows.append({"day": "total", **{t: stats.total(t) for t in types}})
    print_table(["day", *types], rows, out, right=types, width=width)
    sends = stats.total(SEND)
    rates = []
    for label, event_type in (("bounce rate", BOUNCE), ("complaint rate", COMPLAINT)):
        rate = stats.rate(event_type)
        rates.append(
            {
                "rate": label,
                "value": "n/a" if rate is None else f"{rate:.2%}",
                "of": f"{stats.total(event_type):,} {event_type} / {sends:,} {SEND} events",
            }
        )
    out.write("\n")
    print_table(["rate", "value", "of"], rates, out, right=["value"], width=width, shrink=["of"])
    note = RATES_NOTE.format(range=stats.span.describe())
    out.writelines(line + "\n" for line in (wrap(note, width) if width else [note]))
    if stats.failures:
        out.write("\nBounces and delays by reason and provider, largest first (ACTOR: who must act):\n")
        print_table(
            ["reason", "provider", "actor", "bounces", "delays"], stats.failures, out, right=["bounces", "delays"], width=width
        )


def stats_document(stats: Stats) -> dict[str, Any]:
    return {
        **range_document(stats.span),
        "days": [
            {"day": day, "events": by_type, **({"missing": True} if day in stats.missing else {})}
            for day, by_type in stats.counts.items()
        ],
        "totals": {t: stats.total(t) for t in stats.event_types},
        "bounce_rate": stats.rate(BOUNCE),
        "complaint_rate": stats.rate(COMPLAINT),
        "failures": stats.failures,
    }


def range_document(span: TimeRange) -> dict[str, str]:
    return {"from": span.first_day.isoformat(), "until": span.last_day.isoformat()}


def write_json(document: Any, out: TextIO) -> None:
    out.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
