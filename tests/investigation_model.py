"""What each named query should answer, worked out in Python from the generated records.

The rules are the queries' documented meaning: an event's time is its detail's timestamp (the
send time when it has none); the addresses it concerns are those its detail names (every
destination otherwise); how far a message got is its latest event other than Open, Click and
Subscription, a Send coming before anything at the same time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from seslog.eventlog.events import BY_RECORD_NAME

ENGAGEMENT = ("Open", "Click", "Subscription")
_LISTED = {
    "Delivery": lambda d: d["recipients"],
    "Bounce": lambda d: [r["emailAddress"] for r in d["bouncedRecipients"]],
    "Complaint": lambda d: [r["emailAddress"] for r in d["complainedRecipients"]],
    "DeliveryDelay": lambda d: [r["emailAddress"] for r in d["delayedRecipients"]],
}


def detail(record: dict[str, Any]) -> dict[str, Any]:
    return record[BY_RECORD_NAME[record["eventType"]].detail_key]


def event_time(record: dict[str, Any]) -> str:
    return detail(record).get("timestamp") or record["mail"]["timestamp"]


def recipients(record: dict[str, Any]) -> list[str]:
    listed = _LISTED.get(record["eventType"])
    return listed(detail(record)) if listed else record["mail"]["destination"]


def order(record: dict[str, Any]) -> tuple[str, bool]:
    return event_time(record), record["eventType"] != "Send"


def day(timestamp: str) -> str:
    return timestamp[:10]


class Model:
    def __init__(self, events: Iterable[tuple[datetime, dict[str, Any]]]):
        self.records = [record for _, record in events]
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in self.records:
            self.messages[record["mail"]["messageId"]].append(record)

    def sent(self, message_id: str) -> str:
        return self.messages[message_id][0]["mail"]["timestamp"]

    def timeline(self, message_id: str) -> list[tuple[str, str]]:
        return [(event_time(r), r["eventType"]) for r in sorted(self.messages[message_id], key=order)]

    def status(self, records: list[dict[str, Any]]) -> str:
        return max((r for r in records if r["eventType"] not in ENGAGEMENT), key=order)["eventType"]

    def _sent_between(self, first: str, last: str) -> list[str]:
        chosen = [m for m in self.messages if first <= day(self.sent(m)) <= last]
        return sorted(chosen, key=lambda m: (self.sent(m), m))

    def _engagement(self, records: list[dict[str, Any]]) -> tuple[int, int]:
        kinds = Counter(r["eventType"] for r in records)
        return kinds["Open"], kinds["Click"]

    def recipient_messages(self, address: str, first: str, last: str) -> list[tuple[str, str, int | None, int | None]]:
        """Opens and clicks only for a message sent to the address alone: an Open or Click names no recipient."""
        rows = []
        for m in self._sent_between(first, last):
            concerning = [r for r in self.messages[m] if address.lower() in (a.lower() for a in recipients(r))]
            if concerning:
                alone = len(self.messages[m][0]["mail"]["destination"]) == 1
                rows.append((m, self.status(concerning), *(self._engagement(concerning) if alone else (None, None))))
        return rows

    def addresses(self) -> set[str]:
        return {a.lower() for records in self.messages.values() for a in records[0]["mail"]["destination"]}

    def recipient_events(self, address: str, first: str, last: str) -> list[tuple[str, str, str]]:
        """(message, type, time) of every event concerning ``address``, messages in send order, events in time order."""
        return [
            (m, r["eventType"], event_time(r))
            for m in self._sent_between(first, last)
            for r in sorted(self.messages[m], key=order)
            if address.lower() in (a.lower() for a in recipients(r))
        ]

    def message_events(self, message_id: str) -> list[tuple[str, str, str]]:
        """(recipient, type, time) of each event once per recipient it concerns, by recipient then time."""
        rows = [(a, r["eventType"], event_time(r)) for r in self.messages[message_id] for a in recipients(r)]
        return sorted(rows, key=lambda row: (row[0].lower(), row[2], row[1] != "Send"))

    def message_status(self, first: str, last: str) -> list[tuple[str, str, int, int]]:
        return [(m, self.status(self.messages[m]), *self._engagement(self.messages[m])) for m in self._sent_between(first, last)]

    def bounces_complaints(self, target: str, first: str, last: str) -> list[tuple[str, str, str, str]]:
        target = target.lower()
        rows = [
            (event_time(r), r["eventType"], address, r["mail"]["messageId"])
            for r in self.records
            if r["eventType"] in ("Bounce", "Complaint") and first <= day(event_time(r)) <= last
            for address in recipients(r)
            if target in (address.lower(), address.lower().split("@")[1])
        ]
        return sorted(rows, key=lambda row: (row[0], row[3], row[2]))

    def _replies(self, first: str, last: str):
        """(address, record, its entry) of every bounced or delayed address whose event happened in the range."""
        for r in self.records:
            if r["eventType"] in ("Bounce", "DeliveryDelay") and first <= day(event_time(r)) <= last:
                listed = detail(r)["bouncedRecipients" if r["eventType"] == "Bounce" else "delayedRecipients"]
                for entry in listed:
                    yield entry["emailAddress"].lower(), r, entry

    def reply(self, message_id: str, at: str, address: str) -> tuple[str, str]:
        """The diagnostic code and DSN status that the failure of ``message_id`` at ``at`` gives ``address``."""
        for r in self.messages[message_id]:
            if r["eventType"] in ("Bounce", "DeliveryDelay") and event_time(r) == at:
                listed = detail(r)["bouncedRecipients" if r["eventType"] == "Bounce" else "delayedRecipients"]
                entry = next(e for e in listed if e["emailAddress"].lower() == address.lower())
                return entry["diagnosticCode"], entry["status"]
        raise KeyError((message_id, at))

    def failed_recipients(self, domains: set[str], first: str, last: str) -> list[tuple[str, str, str, str, int]]:
        counts = Counter(
            (address, r["eventType"], entry["diagnosticCode"], entry["status"])
            for address, r, entry in self._replies(first, last)
            if address.split("@")[1] in domains
        )
        return sorted((*key, n) for key, n in counts.items())

    def failure_reasons(self, first: str, last: str) -> list[tuple[str, str, str, str, int, int]]:
        groups: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
        for address, r, entry in self._replies(first, last):
            groups[(address.split("@")[1], r["eventType"], entry["diagnosticCode"], entry["status"])].append(address)
        return sorted((*key, len(found), len(set(found))) for key, found in groups.items())

    def sending_problems(self, first: str, last: str) -> list[tuple[str, str, str]]:
        rows = [
            (event_time(r), r["eventType"], r["mail"]["messageId"])
            for r in self.records
            if r["eventType"] in ("Reject", "Rendering Failure", "DeliveryDelay") and first <= day(event_time(r)) <= last
        ]
        return sorted(rows, key=lambda row: (row[0], row[2]))

    def daily_counts(self, first: str, last: str) -> list[tuple[str, str, int]]:
        counts = Counter((day(event_time(r)), r["eventType"]) for r in self.records if first <= day(event_time(r)) <= last)
        return sorted((d, t, n) for (d, t), n in counts.items())
