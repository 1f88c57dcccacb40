"""Realistic SES event streams, seeded, for tests, the local query tool and the benchmark.

Every record is shaped like the SES guide's examples in ``../shared/ses-events/`` (the mail
object, the detail objects, their values), plus records built from the guide's field lists for
the three types that folder lacks (Rendering Failure, DeliveryDelay, Subscription). Each
message gets its events in an order and at times SES would publish them:

- Send when the request is accepted (``mail.timestamp``); then, per message, Reject (virus
  found, nothing delivered) or Rendering Failure (template data missing), or per recipient:
- Delivery seconds later, or a Bounce (permanent or transient), or a Complaint and no attempt
  for an address on the account's suppression list, or first one or more DeliveryDelay events
  and then Delivery or a transient Bounce within the 14 hours SES keeps trying (SES v2
  ``maxDeliverySeconds`` is at most 50,400 s);
- after a delivery: Open (some recipients several times), Click after an open, a Complaint
  or a Subscription change, hours or a day or two later.

``generate`` yields ``(arrival, record)`` in arrival order, the arrival being when Firehose
received the record (a moment after the event). It streams: only events still to come are
held, so a month of a million events needs little memory.
"""

from __future__ import annotations

import copy
import hashlib
import heapq
import json
import math
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seslog.eventlog.events import BY_RECORD_NAME, EVENT_TYPES

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
"""The SES guide's example records, shipped with the package (a test keeps them equal to
``../shared/ses-events/``)."""

MAX_DELIVERY_SECONDS = 50_400
"""How long SES keeps trying a delivery at most (SES v2 ``DeliveryOptions.MaxDeliverySeconds``)."""


def load_samples(directory: Path = SAMPLES_DIR) -> dict[str, dict[str, Any]]:
    """The example records in ``directory``, by ``eventType`` (``Bounce``, ``Rendering Failure`` ...)."""
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise FileNotFoundError(f"no SES sample records (*.json) in {directory}")
    samples: dict[str, dict[str, Any]] = {}
    for path in paths:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("eventType") not in BY_RECORD_NAME:
            raise ValueError(f"{path}: eventType {record.get('eventType')!r} is none of {', '.join(BY_RECORD_NAME)}")
        samples[record["eventType"]] = record
    return samples


def _mail_server_ip(recipient: str) -> str:
    """The receiving server of the recipient's domain, in the documentation range 203.0.113.0/24.
    Every mail to a domain reaches the same server, and the address comes from the domain, not
    from the random stream, so that it changes no other value of a seeded data set."""
    domain = recipient.rsplit("@", 1)[-1]
    return f"203.0.113.{hashlib.sha256(domain.encode()).digest()[0] % 254 + 1}"


def _iso(seconds: float) -> str:
    """SES's timestamp format: ISO 8601, UTC, milliseconds, ``Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}Z"


def constructed_samples(samples: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """One record of each event type ``samples`` lacks, built on the Send sample's mail object
    with the fields the SES guide lists. Between them they carry every optional mail field
    (cc, bcc, sender, replyTo, returnPath, date) and a Japanese subject."""
    base = samples["Send"]["mail"]
    common = {
        **base["commonHeaders"],
        "from": ["サンプル商店 <shop@example.jp>"],
        "to": ["山田 太郎 <taro@example.jp>"],
        "cc": ["hanako@example.co.jp"],
        "bcc": ["audit@example.com"],
        "sender": ["shop@example.jp"],
        "replyTo": ["support@example.jp"],
        "returnPath": "bounces@example.jp",
        "date": "Tue, 16 Jun 2020 00:10:05 +0000",
        "subject": "【重要】ご注文の配送が遅れています",
    }
    full_mail = {
        **copy.deepcopy(base),
        "timestamp": "2020-06-16T00:10:05.123Z",
        "destination": ["taro@example.jp", "hanako@example.co.jp", "audit@example.com"],
        "headersTruncated": False,
        "headers": [{"name": "Subject", "value": common["subject"]}, *copy.deepcopy(base["headers"])],
        "commonHeaders": common,
    }
    # A template that fails to render has no headers yet (SES guide, Rendering Failure example).
    unrendered = {k: copy.deepcopy(v) for k, v in base.items() if k not in ("headers", "commonHeaders")}
    built = {
        "Rendering Failure": {
            "eventType": "Rendering Failure",
            "mail": unrendered,
            "failure": {
                "templateName": "OrderConfirmation",
                "errorMessage": "Attribute 'orderNumber' is not present in the rendering data.",
            },
        },
        "DeliveryDelay": {
            "eventType": "DeliveryDelay",
            "mail": full_mail,
            "deliveryDelay": {
                "timestamp": "2020-06-16T00:25:24.999Z",
                "delayType": "TransientCommunicationFailure",
                "expirationTime": "2020-06-16T14:10:05.123Z",
                "delayedRecipients": [
                    {
                        "emailAddress": "taro@example.jp",
                        "status": "4.4.1",
                        "diagnosticCode": "smtp; 421 4.4.1 Unable to connect to remote host",
                    }
                ],
                "reportingMTA": "a8-55.smtp-out.amazonses.com",
            },
        },
        "Subscription": {
            "eventType": "Subscription",
            "mail": {**copy.deepcopy(full_mail), "destination": ["taro@example.jp"]},
            "subscription": {
                "contactList": "Newsletter",
                "timestamp": "2020-06-17T08:01:17.910Z",
                "source": "UnsubscribeHeader",
                "newTopicPreferences": {
                    "unsubscribeAll": True,
                    "topicSubscriptionStatus": [{"topicName": "WeeklyDeals", "subscriptionStatus": "OptOut"}],
                },
                "oldTopicPreferences": {
                    "unsubscribeAll": False,
                    "topicSubscriptionStatus": [{"topicName": "WeeklyDeals", "subscriptionStatus": "OptIn"}],
                },
            },
        },
    }
    return {name: record for name, record in built.items() if name not in samples}


def all_samples(samples: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``samples`` completed with constructed records: one record per event type, all ten."""
    complete = {**{k: dict(v) for k, v in samples.items()}, **constructed_samples(samples)}
    missing = [e.record_name for e in EVENT_TYPES if e.record_name not in complete]
    if missing:
        raise ValueError(f"no sample record for {', '.join(missing)}, and none is constructed for it")
    return complete


@dataclass(frozen=True)
class Mix:
    """How often things happen. Per message: ``reject``, ``rendering_failure``, ``extra_recipients``
    (Cc/Bcc besides the To). Per recipient: ``bounce``, ``delay``, ``suppressed_complaint``; per delivered
    recipient: ``open``, ``reopen`` and ``click`` (of those who opened), ``complaint``, ``subscription``.
    The defaults give four to five events per message."""

    reject: float = 0.003
    rendering_failure: float = 0.003
    extra_recipients: float = 0.4
    bounce: float = 0.03
    delay: float = 0.02
    open: float = 0.6
    reopen: float = 0.5
    click: float = 0.4
    complaint: float = 0.002
    subscription: float = 0.004
    suppressed_complaint: float = 0.002
    """Per recipient: on the account's suppression list after a complaint, so SES does not try
    it and publishes a Complaint with ``complaintSubType`` OnAccountSuppressionList."""
    engagement_days: float = 2.0
    """Opens, clicks, complaints and subscription changes come within this many days of the
    delivery (most in hours), so every event of a message falls in the queries' look-ahead."""


_SUBJECTS = (
    "ご注文ありがとうございます",
    "【重要】パスワード再設定のご案内",
    "発送完了のお知らせ",
    "今週のおすすめ商品",
    "会員情報変更のお知らせ",
    "Your order has shipped",
    "Reset your password",
    "Weekly digest",
    "Your invoice is ready",
    "Welcome aboard",
)
_SENDERS = (
    ("サンプル商店 <shop@example.jp>", "shop@example.jp", "example.jp"),
    ("no-reply@example.com", "no-reply@example.com", "example.com"),
    ("Example Billing <billing@example.com>", "billing@example.com", "example.com"),
)
_DOMAINS = ("example.com", "example.net", "example.org", "example.jp", "example.co.jp", "mail.example.ne.jp")
_BOUNCES = (
    ("Permanent", "General", "5.1.1", None),  # diagnostic code from the sample
    ("Permanent", "NoEmail", "5.1.1", "smtp; 550 5.1.1 <{}>: Recipient address rejected: User unknown"),
    (
        "Permanent",
        "Suppressed",
        "5.1.1",
        "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.",
    ),
    (
        "Permanent",
        "OnAccountSuppressionList",
        "5.1.1",
        "Amazon SES did not send the message to this address because it is on the suppression list for your account.",
    ),
    ("Transient", "MailboxFull", "5.2.2", "smtp; 552 5.2.2 Mailbox full"),
)
# Bounces SES itself raises from a suppression list: the message never reached a remote server.
_SUPPRESSION_SUB_TYPES = ("Suppressed", "OnAccountSuppressionList")
# What SES reports when it stops retrying a delayed message: its own reply, with the receiving side's last one inside.
_EXPIRED = (
    "Transient",
    "General",
    "4.4.7",
    f"smtp; 554 4.4.7 Message expired: unable to deliver in {MAX_DELIVERY_SECONDS // 60} minutes.<{{last}}>",
)
# A hard bounce's reply depends on where the domain's mail is hosted: two of the demo's domains are at
# Google Workspace and Microsoft 365, whose replies are shaped as their reference pages show them.
_GENERAL_REPLIES = {
    "example.com": "smtp; 550-5.7.26 This mail has been blocked because the sender is unauthenticated. 550-5.7.26 Gmail "
    "requires all senders to authenticate with either SPF or DKIM. 550-5.7.26 For instructions on setting up "
    "authentication, go to 550 5.7.26 https://support.google.com/mail/answer/81126#authentication - gsmtp",
    "example.net": "smtp; 550 5.7.606 Access denied, banned sending IP [{ip}]. To request removal from this list please "
    "visit https://sender.office.com/ and follow the directions. AS(1430) [DM6PR00MB0000.namprd00.prod.outlook.com]",
}
_DELAYS = (
    ("TransientCommunicationFailure", "4.4.1", "smtp; 421 4.4.1 Unable to connect to remote host"),
    ("MailboxFull", "4.2.2", "smtp; 452 4.2.2 Mailbox full"),
    ("RecipientServerError", "4.3.0", "smtp; 451 4.3.0 Temporary server error. Please try again later"),
    ("SpamDetected", "4.7.1", "smtp; 421 4.7.1 Message temporarily deferred due to suspected spam"),
    ("Undetermined", "4.0.0", "smtp; 450 4.0.0 Try again later"),
)


class _Builder:
    """Builds the records of each message from the samples' shapes and values."""

    def __init__(self, samples: Mapping[str, Mapping[str, Any]], rng: random.Random, recipients: int):
        self.samples = all_samples(samples)
        self.rng = rng
        send = self.samples["Send"]["mail"]
        self.account = send["sendingAccountId"]
        self.region = send["sourceArn"].split(":")[3]
        self.smtp_response = self.samples["Delivery"]["delivery"]["smtpResponse"]
        self.reporting_mta = self.samples["Delivery"]["delivery"]["reportingMTA"]
        self.bounce_mta = self.samples["Bounce"]["bounce"]["reportingMTA"]
        self.bounce_diagnostic = self.samples["Bounce"]["bounce"]["bouncedRecipients"][0]["diagnosticCode"]
        self.complaint_type = self.samples["Complaint"]["complaint"]["complaintFeedbackType"]
        self.user_agents = [self.samples["Open"]["open"]["userAgent"], self.samples["Click"]["click"]["userAgent"]]
        self.click = self.samples["Click"]["click"]
        self.custom_tags = {k: v for k, v in self.samples["Send"]["mail"]["tags"].items() if not k.startswith("ses:")}
        self.failure = self.samples["Rendering Failure"]["failure"]
        self.subscription = self.samples["Subscription"]["subscription"]
        self.addresses = [f"user{i:04d}@{_DOMAINS[i % len(_DOMAINS)]}" for i in range(recipients)]

    def hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def message_id(self, sent: float) -> str:
        return f"0100{int(sent * 1000):012x}-{uuid.UUID(int=self.rng.getrandbits(128), version=4)}-000000"

    def mail(self, sent: float, recipients: list[str], rendered: bool) -> dict[str, Any]:
        display_from, _, domain = self.rng.choice(_SENDERS)
        subject = self.rng.choice(_SUBJECTS)
        message_id = self.message_id(sent)
        to, cc = recipients[:1], recipients[1:]
        mail: dict[str, Any] = {
            "timestamp": _iso(sent),
            "source": display_from,
            "sourceArn": f"arn:aws:ses:{self.region}:{self.account}:identity/{domain}",
            "sendingAccountId": self.account,
            "messageId": message_id,
            "destination": recipients,
            "headersTruncated": False,
            "tags": {
                "ses:configuration-set": ["ses-event-log"],
                "ses:source-ip": [f"192.0.2.{self.rng.randrange(1, 255)}"],
                "ses:from-domain": [domain],
                "ses:caller-identity": ["order-service"],
                "ses:operation": ["SendEmail"],
                **self.custom_tags,
            },
        }
        if rendered:
            mail["headers"] = [
                {"name": "From", "value": display_from},
                {"name": "To", "value": ", ".join(to)},
                *([{"name": "Cc", "value": ", ".join(cc)}] if cc else []),
                {"name": "Subject", "value": subject},
                {"name": "MIME-Version", "value": "1.0"},
                {"name": "Content-Type", "value": f'multipart/alternative; boundary="----=_Part_{self.hex(8)}"'},
            ]
            mail["commonHeaders"] = {
                "from": [display_from],
                "to": to,
                **({"cc": cc} if cc else {}),
                "messageId": message_id,
                "subject": subject,
            }
        return mail

    def reject(self) -> dict[str, Any]:
        return {"reason": "Bad content"}

    def failure_detail(self) -> dict[str, Any]:
        return dict(self.failure)

    def delivery(self, sent: float, at: float, recipient: str) -> dict[str, Any]:
        return {
            "timestamp": _iso(at),
            "processingTimeMillis": int((at - sent) * 1000),
            "recipients": [recipient],
            "smtpResponse": self.smtp_response,
            "reportingMTA": self.reporting_mta,
            "remoteMtaIp": _mail_server_ip(recipient),
        }

    def bounce(self, at: float, recipient: str, kind: tuple[str, str, str, str | None], last: str = "") -> dict[str, Any]:
        """``last``: the receiving side's last reply, which an expiry quotes."""
        bounce_type, sub_type, status, diagnostic = kind
        if diagnostic is None:
            diagnostic = _GENERAL_REPLIES.get(recipient.rpartition("@")[2], self.bounce_diagnostic)
            status = "5.7.26" if "5.7.26" in diagnostic else "5.7.606" if "5.7.606" in diagnostic else status
        return {
            "bounceType": bounce_type,
            "bounceSubType": sub_type,
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": status,
                    "diagnosticCode": diagnostic.format(recipient, ip="54.240.8.1", last=last),
                }
            ],
            "timestamp": _iso(at),
            "feedbackId": f"0100{self.hex(12)}-{uuid.UUID(int=self.rng.getrandbits(128), version=4)}-000000",
            "reportingMTA": self.bounce_mta,
            **({} if sub_type in _SUPPRESSION_SUB_TYPES else {"remoteMtaIp": _mail_server_ip(recipient)}),
        }

    def delay(self, sent: float, at: float, recipient: str, kind: tuple[str, str, str]) -> dict[str, Any]:
        delay_type, status, diagnostic = kind
        return {
            "delayType": delay_type,
            "delayedRecipients": [{"emailAddress": recipient, "status": status, "diagnosticCode": diagnostic}],
            "expirationTime": _iso(sent + MAX_DELIVERY_SECONDS),
            "reportingMTA": self.reporting_mta,
            "timestamp": _iso(at),
        }

    def open(self, at: float) -> dict[str, Any]:
        return {
            "ipAddress": f"198.51.100.{self.rng.randrange(1, 255)}",
            "timestamp": _iso(at),
            "userAgent": self.rng.choice(self.user_agents),
        }

    def click_detail(self, at: float) -> dict[str, Any]:
        return {**self.open(at), "link": self.click["link"], "linkTags": self.click["linkTags"]}

    def complaint(self, at: float, recipient: str, suppressed: bool = False) -> dict[str, Any]:
        detail = {
            "complainedRecipients": [{"emailAddress": recipient}],
            "timestamp": _iso(at),
            "feedbackId": f"0100{self.hex(12)}-{uuid.UUID(int=self.rng.getrandbits(128), version=4)}-000000",
        }
        if suppressed:
            return {**detail, "complaintSubType": "OnAccountSuppressionList"}
        return {
            **detail,
            "userAgent": "Yahoo!-Mail-Feedback/2.0",
            "complaintFeedbackType": self.complaint_type,
            "arrivalDate": _iso(at - 60),
        }

    def subscription_detail(self, at: float) -> dict[str, Any]:
        return {**self.subscription, "timestamp": _iso(at)}


def _send_times(rng: random.Random, start: float, days: int, messages: int) -> list[float]:
    """Send times over ``days``, busier in the (Japanese) day than at night."""
    hourly = [1, 1, 2, 4, 6, 8, 9, 9, 9, 9, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 2, 1, 1, 1]  # by UTC hour (JST = UTC+9)
    hours = rng.choices(range(24 * days), weights=hourly * days, k=messages)
    return sorted(start + h * 3600 + rng.random() * 3600 for h in hours)


def generate(
    samples: Mapping[str, Mapping[str, Any]],
    *,
    seed: int = 1,
    start: datetime = datetime(2024, 5, 1, tzinfo=UTC),
    days: int = 3,
    messages: int = 1000,
    recipients: int = 200,
    mix: Mix = Mix(),
) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """Events of ``messages`` messages sent over ``days`` days from ``start`` (UTC) to a pool of
    ``recipients`` addresses, as ``(arrival, record)`` in arrival order. The same arguments give
    the same stream. Records of one message share their ``mail`` object: copy before changing it.
    Late events (opens, complaints) may arrive after the last day."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware (UTC)")
    rng = random.Random(seed)
    build = _Builder(samples, rng, recipients)
    pending: list[tuple[float, int, dict[str, Any]]] = []
    sequence = 0

    def publish(at: float, event_type: str, mail: dict[str, Any], detail: dict[str, Any] | None) -> None:
        nonlocal sequence
        record: dict[str, Any] = {"eventType": event_type, "mail": mail}
        record[BY_RECORD_NAME[event_type].detail_key] = {} if detail is None else detail
        # Firehose receives the record a moment after SES publishes it.
        heapq.heappush(pending, (at + 0.05 + rng.random() * 2, sequence, record))
        sequence += 1

    for sent in _send_times(rng, start.timestamp(), days, messages):
        while pending and pending[0][0] <= sent:
            arrival, _, record = heapq.heappop(pending)
            yield datetime.fromtimestamp(arrival, UTC), record
        count = 1 + (rng.randint(1, 2) if rng.random() < mix.extra_recipients else 0)
        # A pool smaller than the draw gets the mail to every address in it.
        to = rng.sample(build.addresses, min(count, len(build.addresses)))
        roll = rng.random()
        failed = roll < mix.reject + mix.rendering_failure
        mail = build.mail(sent, to, rendered=not (failed and roll >= mix.reject))
        publish(sent, "Send", mail, None)
        if roll < mix.reject:
            publish(sent + 0.2, "Reject", mail, build.reject())
            continue
        if failed:
            publish(sent + 0.2, "Rendering Failure", mail, build.failure_detail())
            continue
        for recipient in to:
            _recipient_events(rng, build, mix, publish, mail, sent, recipient)

    while pending:
        arrival, _, record = heapq.heappop(pending)
        yield datetime.fromtimestamp(arrival, UTC), record


_Publish = Callable[[float, str, dict[str, Any], "dict[str, Any] | None"], None]


def _recipient_events(
    rng: random.Random, build: _Builder, mix: Mix, publish: _Publish, mail: dict[str, Any], sent: float, recipient: str
) -> None:
    at = sent + 1 + rng.random() * 20
    if rng.random() < mix.suppressed_complaint:
        publish(at, "Complaint", mail, build.complaint(at, recipient, suppressed=True))
        return
    if rng.random() < mix.delay:
        expiry = sent + MAX_DELIVERY_SECONDS
        for _ in range(rng.randint(1, 3)):
            at = min(at + 300 + rng.random() * 3 * 3600, expiry - 60)
            delay = rng.choice(_DELAYS)
            publish(at, "DeliveryDelay", mail, build.delay(sent, at, recipient, delay))
        if rng.random() < 0.3:
            at = expiry + rng.random() * 60
            publish(at, "Bounce", mail, build.bounce(at, recipient, _EXPIRED, last=delay[2].removeprefix("smtp; ")))
            return
        at = min(at + 600 + rng.random() * 3600, expiry)
    elif rng.random() < mix.bounce:
        publish(at, "Bounce", mail, build.bounce(at, recipient, rng.choice(_BOUNCES)))
        return
    publish(at, "Delivery", mail, build.delivery(sent, at, recipient))
    delivered, horizon = at, at + mix.engagement_days * 86400

    def later(start: float, mean: float) -> float:
        # Exponentially distributed after ``start``, cut off at the engagement horizon.
        room = max(horizon - start, 0.0)
        return start + -mean * math.log(1 - rng.random() * (1 - math.exp(-room / mean)))

    if rng.random() < mix.open:
        opened = later(delivered, 7200)
        publish(opened, "Open", mail, build.open(opened))
        if rng.random() < mix.reopen:
            again = later(opened, 86400)
            publish(again, "Open", mail, build.open(again))
        if rng.random() < mix.click:
            clicked = later(opened, 120)
            publish(clicked, "Click", mail, build.click_detail(clicked))
    if rng.random() < mix.complaint:
        complained = later(delivered + 600, 43200)
        publish(complained, "Complaint", mail, build.complaint(complained, recipient))
    if rng.random() < mix.subscription:
        changed = later(delivered + 60, 43200)
        publish(changed, "Subscription", mail, build.subscription_detail(changed))
