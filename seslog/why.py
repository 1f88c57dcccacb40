"""`seslog why`: for each message and recipient, what became of it, why, and what to do next.

The events come from the named queries ``recipient-events`` and ``message-events`` (one row per
event and recipient, with the facts that explain it); the words from ``seslog.verdicts``. What
decides a recipient's verdict, in this order: a Reject or Rendering Failure (nothing was sent),
a Complaint (it was delivered, then reported), the latest Delivery or Bounce, the latest
DeliveryDelay (SES is still trying), the Send alone (no outcome yet), an Open alone (the Send is
before the range).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any, TextIO

from seslog.arguments import TimeRange
from seslog.diagnosis import Diagnosis, Failure, diagnose
from seslog.diagnosis.providers import domain_of, mailbox_provider, provider_of
from seslog.diagnosis.reasons import ACTORS
from seslog.diagnosis.replies import Reply
from seslog.engine import Engine, Row
from seslog.output import PARAGRAPH_WIDTH, cut, display_width, visible, wrap
from seslog.ses import Finding
from seslog.verdicts import CHECKLIST, COGNITO_LOG_CHECK, OTHERS, SENDER_SIDE, STORY, VERDICTS, text_key


@dataclass(frozen=True)
class Others:
    """How many other recipients at the same mailbox provider failed with the same reason in the range: one address's
    problem, or many."""

    at: str
    """The provider (``gmail``: all its domains) or, for a domain of no named provider, the domain."""
    reason: str
    count: int
    range: str
    actor: str | None

    def text(self) -> str:
        facts = {"at": self.at, "reason": self.reason, "range": self.range, "count": self.count}
        if not self.count:
            # Alone, a failure the recipient's side causes is about this address; one the sender's side causes may
            # still be the first of many.
            return OTHERS["alone"].format(**facts) + (OTHERS["recipient"] if self.actor == "recipient" else ".")
        about = SENDER_SIDE.get(self.actor or "")
        many = OTHERS["many"].format(**facts, s="" if self.count == 1 else "s")
        return many + (OTHERS["sender"].format(about=about) if about else ".")

    def document(self) -> dict[str, Any]:
        return {"at": self.at, "reason": self.reason, "count": self.count, "text": self.text()}


GAVE_UP = "gave-up"
"""The verdict key's last part for a delay whose expirationTime has passed, in place of its delay type."""

STALE_AFTER = timedelta(hours=1)
"""A Send without an outcome for longer than this is no longer 'on its way': deliveries and bounces are
published within minutes (plus at most Firehose's 900 s buffer), delays within hours."""

_DECIDED_FIRST = ("Reject", "Rendering Failure", "Complaint")
_FINAL = ("Delivery", "Bounce")
_BOUNCE_KINDS = {"Permanent": "for good", "Transient": "for now (SES then stopped retrying)"}
_EXPIRED_NEXT = (
    "Send again later; if it fails again, the recipient's mail administrator can tell why {domain}'s mail servers "
    "do not take mail from this sender."
)
_SUPPRESSION_CAUSES = {"Complaint"}
_SUPPRESSION_SUBTYPES = {"Suppressed", "OnAccountSuppressionList"}
_NOT_GIVEN = "(not given)"


@dataclass(frozen=True)
class Verdict:
    message_id: str | None
    sent_at: str | None
    subject: str | None
    sender: str | None
    recipient: str
    key: str
    """The verdict's full key (``Bounce/Permanent/General``); its text is ``VERDICTS[text_key(key)]``."""
    status: str
    why: str
    next: str
    reason: str | None = None
    """What the receiving side's reply (or the outcome) means, in the field's words (``seslog.diagnosis.reasons``)."""
    provider: str | None = None
    actor: str | None = None
    """Who must act (``seslog.diagnosis.reasons.ACTORS``)."""
    rule: str | None = None
    """The rule that decided the reason, or ``ses-<event>`` for an outcome no reply decides."""
    listed: str | None = None
    """The address as SES's events spell it: the suppression list keeps the case of the address that bounced."""
    diagnosis: Diagnosis | None = None
    others: Others | None = None
    events: list[Row] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "sent_at": self.sent_at,
            "subject": self.subject,
            "sender": self.sender,
            "recipient": self.recipient,
            "verdict": self.key,
            "status": self.status,
            "why": self.why,
            "next": self.next,
            "reason": self.reason,
            "provider": self.provider,
            "actor": self.actor,
            "rule": self.rule,
            "source": self.diagnosis.rule.source if self.diagnosis else None,
            "others": self.others.document() if self.others else None,
            "events": self.events,
        }


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def duration(start: str | datetime | None, end: str | datetime | None) -> str:
    """``3 h 12 min``, ``45 s``: the time from ``start`` to ``end``, in words a person reads at a glance."""
    first = start if isinstance(start, datetime) else _time(start)
    last = end if isinstance(end, datetime) else _time(end)
    if first is None or last is None:
        return "an unknown time"
    seconds = max(0, int((last - first).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days {hours % 24} h"


def failure_of(row: Row) -> Failure:
    """A Bounce or DeliveryDelay row, as the diagnosis reads it."""
    return Failure(
        recipient=row.get("recipient") or "",
        diagnostic_code=row.get("diagnostic_code"),
        status=row.get("status"),
        event_type=row["event_type"],
        bounce_type=row.get("bounce_type"),
        bounce_subtype=row.get("bounce_subtype"),
        delay_type=row.get("delay_type"),
        reporting_mta=row.get("reporting_mta"),
    )


def decide(events: Sequence[Row], now: datetime) -> tuple[str, Row | None, Diagnosis | None]:
    """The verdict key for one recipient's events of one message (in time order), the event that decided it, and,
    when that is a Bounce or a DeliveryDelay, what the receiving side's reply in it means."""

    def last(*types: str) -> Row | None:
        return next((e for e in reversed(events) if e["event_type"] in types), None)

    for event_type in _DECIDED_FIRST:
        decisive = last(event_type)
        if decisive:
            return event_type, decisive, None
    final = last(*_FINAL)
    if final and final["event_type"] == "Bounce":
        diagnosis = diagnose(failure_of(final))
        return "/".join(filter(None, ("Bounce", diagnosis.reason, diagnosis.rule.verdict))), final, diagnosis
    if final:
        if not last("Open", "Click"):
            return "Delivery", final, None
        # An Open or Click names no recipient: of a message to several, it may be another recipient's.
        return ("Delivery/Opened" if (final.get("destinations") or 1) == 1 else "Delivery/Opened/shared"), final, None
    delay = last("DeliveryDelay")
    if delay:
        expires = _time(delay.get("expiration_time"))
        # Past its expiration SES has given up: the Bounce that says so is in days not read.
        kind = GAVE_UP if expires and now > expires else delay.get("delay_type") or "Undetermined"
        return f"DeliveryDelay/{kind}", delay, diagnose(failure_of(delay))
    send = last("Send")
    if send:
        sent = _time(send.get("sent_at"))
        return ("Send/stale" if sent is None or now - sent > STALE_AFTER else "Send/recent"), send, None
    return "Open", last("Open", "Click"), None


def _listed_after(recipient: str, before: str | None, history: Sequence[Row]) -> str:
    """Where the log shows how an address got onto the suppression list: its last hard bounce or complaint before ``before``."""
    causes = [
        e
        for e in history
        if (e.get("recipient") or "").lower() == recipient.lower()
        and (e.get("event_time") or "") < (before or "")
        and (
            e["event_type"] in _SUPPRESSION_CAUSES
            or (
                e["event_type"] == "Bounce"
                and e.get("bounce_type") == "Permanent"
                and e.get("bounce_subtype") not in _SUPPRESSION_SUBTYPES
            )
        )
    ]
    if not causes:
        return " (this log does not show how it got there: it was listed before the range, or by hand)"
    cause = causes[-1]
    what = "the recipient's spam complaint about" if cause["event_type"] == "Complaint" else "the hard bounce of"
    return f", since {what} message {cause['message_id']} at {cause['event_time']}"


def quoted(reply: Reply) -> str:
    return reply.quoted or _NOT_GIVEN


def _said(events: Sequence[Row], decisive: Row | None, diagnosis: Diagnosis | None) -> list[tuple[str, Diagnosis]]:
    """What the receiving side said while SES retried, in order: each delay's reply, then a soft bounce's own (or the
    reply SES quotes inside its expiry)."""
    said = [
        (e["event_time"], diagnosis if e is decisive and diagnosis else diagnose(failure_of(e)))
        for e in events
        if e["event_type"] == "DeliveryDelay"
    ]
    if diagnosis and decisive and decisive["event_type"] == "Bounce" and decisive.get("bounce_type") != "Permanent":
        if diagnosis.reason != "expired":
            said.append((decisive["event_time"], diagnosis))
        elif diagnosis.inner and (not said or said[-1][1].reply.quoted != diagnosis.inner.reply.quoted):
            # The reply SES quotes when it gives up, unless it is the last delay's again.
            said.append((decisive["event_time"], diagnosis.inner))
    return said


def _story(said: Sequence[tuple[str, Diagnosis]]) -> dict[str, str]:
    if not said:
        return {"story": ""}
    (first_time, first), (last_time, last) = said[0], said[-1]
    facts = {
        "first_time": first_time,
        "first_reply": quoted(first.reply.receiving_side),
        "first_reason": first.reason,
        "last_time": last_time,
        "last_reply": quoted(last.reply.receiving_side),
        "last_reason": last.reason,
    }
    form = "one" if len(said) == 1 else "two"
    return {"story": STORY[form].format(**facts), **facts}


def _server(facts: Mapping[str, Any]) -> str:
    """The receiving server as the texts name it after "The receiving server": its name when the event gives one that is
    not SES's own, and its address, each after a space; nothing when the event gives neither."""
    mta = (facts.get("reporting_mta") or "").removeprefix("dsn; ").strip()
    name = mta if mta and not mta.lower().endswith("amazonses.com") else None
    address = f"({facts['remote_mta_ip']})" if facts.get("remote_mta_ip") else None
    return "".join(f" {part}" for part in (name, address) if part)


def verdict(
    events: Sequence[Row], *, recipient: str, now: datetime, history: Sequence[Row] = (), region: str | None = None
) -> Verdict:
    """The verdict for one recipient of one message; ``history`` is every event of the answer, for the
    suppression list's cause."""
    key, decisive, diagnosis = decide(events, now)
    facts: dict[str, Any] = {name: value for name, value in (decisive or {}).items() if value not in (None, "")}
    if "reporting_mta" in facts:
        facts["reporting_mta"] = facts["reporting_mta"].removeprefix("dsn; ")  # a bounce's reportingMTA is a DSN field
    facts["server"] = _server(facts)
    first = events[0] if events else {}
    opens = [e for e in events if e["event_type"] == "Open"]
    delays = [e for e in events if e["event_type"] == "DeliveryDelay"]
    said = _said(events, decisive, diagnosis)
    listed = (decisive or {}).get("recipient") or recipient
    facts.update(
        recipient=recipient,
        listed=listed,
        domain=domain_of(recipient),
        sender_domain=domain_of(parseaddr(first.get("sender") or "")[1]) or _NOT_GIVEN,
        sent_at=first.get("sent_at") or _NOT_GIVEN,
        after=duration(first.get("sent_at"), facts.get("event_time")),
        trying=duration(first.get("sent_at"), delays[-1]["event_time"] if delays else None),
        ago=duration(first.get("sent_at"), now),
        expired_ago=duration(facts.get("expiration_time"), now),
        listed_after=_listed_after(recipient, facts.get("event_time"), history) if key == "Bounce/suppressed/account" else "",
        region_option=f" --region {region}" if region else "",
        opens=len(opens),
        opens_s="" if len(opens) == 1 else "s",
        last_open=opens[-1]["event_time"] if opens else _NOT_GIVEN,
        bounce_kind=_BOUNCE_KINDS.get((decisive or {}).get("bounce_type"), ""),
        **_story(said),
    )
    if diagnosis:
        facts.update(reply=quoted(diagnosis.reply), provider=diagnosis.provider)
    text = VERDICTS[text_key(key)]
    signature = f"{facts.get('smtp_response', '')} {facts.get('reporting_mta', '')}"
    reason, actor, provider, rule = text.reason, text.actor, provider_of(recipient, signature), None
    if diagnosis:
        # An expiry's actor is that of the last thing the receiving side said before SES gave up; a delay whose reply
        # says nothing has the actor of its delay type.
        last = said[-1][1] if said else None
        acting = last if diagnosis.reason == "expired" and last and last.reason != "undefined" else diagnosis
        reason, provider, rule = diagnosis.reason, diagnosis.provider, diagnosis.rule.id
        actor = text.actor if acting.reason == "undefined" and text.actor else acting.actor
        if key.endswith(GAVE_UP):
            reason, rule = "expired", "ses-delay-past-expiration"
        if diagnosis.reason == "expired":
            inner = VERDICTS.get(f"Bounce/{acting.reason}") if acting is not diagnosis else None
            facts["inner_next"] = (inner.next if inner else _EXPIRED_NEXT).format_map(_Facts(facts))
    return Verdict(
        message_id=first.get("message_id"),
        sent_at=first.get("sent_at"),
        subject=first.get("subject"),
        sender=first.get("sender"),
        recipient=recipient,
        key=key,
        status=text.status.format_map(_Facts(facts)),
        why=text.why.format_map(_Facts(facts)),
        next=text.next.format_map(_Facts(facts)),
        reason=reason,
        provider=provider,
        actor=actor,
        rule=rule or f"ses-{key.split('/')[0].lower().replace(' ', '-')}",
        listed=listed,
        diagnosis=diagnosis,
        events=[_event(e) for e in events],
    )


class _Facts(dict):
    """A fact an event does not carry reads as '(not given)' rather than failing the template."""

    def __missing__(self, key: str) -> str:
        return _NOT_GIVEN


_EVENT_FIELDS = ("event_time", "event_type")


def _event(row: Row) -> Row:
    """An event as the JSON document shows it: its time and type, and the facts it carries."""
    skip = {"message_id", "sent_at", "sender", "subject", "recipient", "destinations"}
    return {k: v for k, v in row.items() if k in _EVENT_FIELDS or (k not in skip and v is not None)}


def _groups(rows: Sequence[Row], key: Any) -> dict[Any, list[Row]]:
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


def for_address(engine: Engine, address: str, span: TimeRange, now: datetime, region: str | None = None) -> list[Verdict]:
    """A verdict per message sent to ``address`` in ``span``, newest first."""
    rows = engine.run("recipient-events", {"address": address, **span.query_days()})
    by_message = _groups(rows, lambda r: (r["sent_at"] or "", r["message_id"] or ""))
    verdicts = [
        verdict(events, recipient=address.lower(), now=now, history=rows, region=region) for events in by_message.values()
    ]
    return sorted(verdicts, key=lambda v: (v.sent_at or "", v.message_id or ""), reverse=True)


def for_message(engine: Engine, message_id: str, span: TimeRange, now: datetime, region: str | None = None) -> list[Verdict]:
    """A verdict per recipient of the message, in address order."""
    rows = engine.run("message-events", {"message_id": message_id, **span.query_days()})
    by_recipient = _groups(rows, lambda r: (r["recipient"] or "").lower())
    return [
        verdict(events, recipient=recipient, now=now, history=rows, region=region) for recipient, events in by_recipient.items()
    ]


def with_others(engine: Engine, verdicts: Sequence[Verdict], span: TimeRange) -> list[Verdict]:
    """``verdicts``, each failure with how many other recipients at the same mailbox provider (a named provider's
    domains, else the recipient's domain) failed with the same reason on the days of ``span``: one query for all."""
    failed = [v for v in verdicts if v.diagnosis]
    if not failed:
        return list(verdicts)
    domains = sorted({d for v in failed for d in mailbox_provider(v.recipient)[1]})
    rows = engine.run("failed-recipients", {"domains": ",".join(domains), **span.query_days()})
    seen: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        reason = diagnose(failure_of(row)).reason
        seen.setdefault((mailbox_provider(row["recipient"])[0], reason), set()).add(row["recipient"].lower())
    days = f"on {span.first_day} to {span.last_day} (UTC)" if span.first_day != span.last_day else f"on {span.first_day} (UTC)"

    def counted(v: Verdict) -> Verdict:
        if not v.diagnosis or not v.reason:
            return v
        at = mailbox_provider(v.recipient)[0]
        others = seen.get((at, v.reason), set()) - {v.recipient.lower()}
        return replace(v, others=Others(at, v.reason, len(others), days, v.actor))

    return [counted(v) for v in verdicts]


def variants(engine: Engine, address: str, span: TimeRange) -> list[Row]:
    """Addresses differing from ``address`` only by a plus-label that received mail in ``span``."""
    return engine.run("address-variants", {"address": address, **span.query_days()})


def no_trace(asked: str, span: TimeRange, wider: str, *, partial: bool = False, cognito_read: bool = False) -> dict[str, Any]:
    """The 'none' verdict: nothing in the log for ``asked`` (an address or ``message ID``), and the
    checklist of why mail leaves no trace; ``wider`` is the command that asks over a longer range.
    ``partial``: a local copy lacks some of the days, and no trace is claimed only of those it holds.
    ``cognito_read``: the answer read the stack's Cognito error log for the range, and the checklist points at it."""
    text = VERDICTS["none"]
    cognito_log = COGNITO_LOG_CHECK["read" if cognito_read else "elsewhere"]
    held = ", on the days the local copy holds" if partial else ""
    return {
        "verdict": "none",
        "status": text.status,
        "why": text.why.format(subject=asked, range=f"sent {span.describe()}{held}"),
        "next": text.next,
        "checklist": [
            {"reason": reason, "check": check.format(wider=wider, cognito_log=cognito_log)} for reason, check in CHECKLIST
        ],
    }


def now_utc() -> datetime:
    return datetime.now(UTC)


def describe_variants(address: str, found: Sequence[Mapping[str, Any]]) -> str:
    """The hint for an address that found nothing, when forms of it with another plus-label (or none) did."""
    forms = ", ".join(f"{row['address']} ({row['messages']} message{'s' if row['messages'] != 1 else ''})" for row in found)
    return (
        f"nothing was sent to {address} itself, but mail went to {forms}, which differs only by its plus-label "
        "(most providers deliver both to one mailbox); ask again with that address"
    )


def print_verdicts(verdicts: Sequence[Verdict], out: TextIO, width: int | None, *, by_recipient: bool) -> None:
    """Each verdict as a short block: the message (or recipient), its status, why, and the next step."""
    lines = width or PARAGRAPH_WIDTH
    for number, found in enumerate(verdicts):
        if number:
            out.write("\n")
        if by_recipient:
            out.write(cut(f"{found.recipient}: {found.status}", lines) + "\n")
        else:
            # Wrapped, never cut: the message ID is what the reader copies into the next command.
            head = visible(f"{found.sent_at}  {found.message_id}")
            out.writelines(line + "\n" for line in ([head] if display_width(head) <= lines else wrap(head, lines)))
            subject = found.subject or "(no subject)"
            out.write(cut(f"  {subject}" + (f"  (from {found.sender})" if found.sender else ""), lines) + "\n")
            out.write(cut(f"  -> {found.status}", lines) + "\n")
        for label, paragraph in (("Why", found.why), ("Next", found.next), *_diagnosis_lines(found)):
            out.writelines(line + "\n" for line in wrap(f"{label}: {paragraph}", lines, indent="  "))


def _diagnosis_lines(found: Verdict) -> list[tuple[str, str]]:
    """For a failure: its reason, the provider and the rule that decided it, who must act, and whether others share it."""
    if not found.diagnosis:
        return []
    lines = [
        ("Reason", f"{found.reason} ({found.provider}; rule {found.rule})"),
        ("Who acts", ACTORS.get(found.actor or "", found.actor or _NOT_GIVEN)),
    ]
    if found.others:
        lines.append(("Others", found.others.text()))
    return lines


def print_no_trace(document: Mapping[str, Any], out: TextIO, width: int | None) -> None:
    lines = width or PARAGRAPH_WIDTH
    out.writelines(line + "\n" for line in wrap(f"{document['status']}: {document['why']} {document['next']}", lines))
    for number, item in enumerate(document["checklist"], 1):
        out.writelines(line + "\n" for line in wrap(f"{number}. {item['reason']}", lines, indent="  ", hanging="     "))
        out.writelines(line + "\n" for line in wrap(f"check: {item['check']}", lines, indent="     ", hanging="       "))


def print_findings(findings: Sequence[Finding], out: TextIO, width: int | None) -> None:
    lines = width or PARAGRAPH_WIDTH
    out.write("\nSES, asked directly (read-only):\n")
    for finding in findings:
        out.writelines(line + "\n" for line in wrap(f"{finding.check}: {finding.text}", lines, indent="  "))
