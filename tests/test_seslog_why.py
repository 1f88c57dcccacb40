"""`seslog why`: every verdict of the table from constructed events, the suppression list's cause, SES's own
checks (botocore Stubber), and the command on a generated data set and on Athena."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from seslog import cli, ses
from seslog.cli import main
from seslog.diagnosis.reasons import ACTORS, REASONS
from seslog.eventlog.generator import generate, load_samples
from seslog.eventlog.layout import write_layout
from seslog.verdicts import CHECKLIST, VERDICTS, text_key
from seslog.why import Others, decide, verdict
from tests.test_queries import EVENT_FACTS
from tests.test_seslog_query import QUERY_ID, expect_results, expect_start, stack_environment

NOW = datetime(2024, 5, 3, 12, 0, tzinfo=UTC)
SENT = "2024-05-03T10:00:00.000Z"
TO = "taro@example.jp"


def event(event_type: str, at: str, **facts) -> dict:
    """One row as recipient-events and message-events return it."""
    return {
        "message_id": "m1",
        "sent_at": SENT,
        "sender": "shop@example.com",
        "subject": "Hello",
        "recipient": TO,
        "event_time": at,
        "event_type": event_type,
        **facts,
    }


COLUMNS = tuple(c for c in EVENT_FACTS if c not in event("Send", SENT))
"""Every fact column of the queries (event_columns.sql), for rows as Athena returns them: all columns, null or not."""
SEND = event("Send", SENT)
BOUNCE = {"reporting_mta": "dsn; mx.example.jp", "diagnostic_code": "smtp; 550 5.1.1 user unknown"}
ON_THE_LIST = "Amazon SES did not send the message to this address because it is on the suppression list for your account."


def bounced(
    diagnostic: str, bounce_type: str = "Permanent", subtype: str = "General", status: str | None = None, **facts
) -> dict:
    return event(
        "Bounce",
        "2024-05-03T10:00:03.000Z",
        bounce_type=bounce_type,
        bounce_subtype=subtype,
        diagnostic_code=diagnostic,
        status=status,
        reporting_mta="dsn; a8-1.smtp-out.amazonses.com",
        **facts,
    )


def delayed(
    delay_type: str, diagnostic: str = "smtp; 451 4.3.0 Temporary server error", at: str = "2024-05-03T10:30:00.000Z"
) -> dict:
    return event(
        "DeliveryDelay",
        at,
        delay_type=delay_type,
        diagnostic_code=diagnostic,
        status="4.3.0",
        reporting_mta="mx.example.jp",
        expiration_time="2024-05-04T00:00:00.000Z",
    )


EXPIRED = "smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>"
BOUNCES: dict[str, tuple[dict, list[str]]] = {
    # key: (the deciding bounce, words the verdict must show)
    "Bounce/userunknown": (
        bounced("smtp; 550 5.1.1 <taro@example.jp>: Recipient address rejected: User unknown"),
        ["does not exist at example.jp", "typos"],
    ),
    "Bounce/hostunknown": (
        bounced("smtp; 550 Host or domain name not found. Name service error"),
        ["domain does not exist", "domain part"],
    ),
    "Bounce/hasmoved": (bounced("smtp; 551 User not local; please try <taro@example.net>"), ["has moved", "new address"]),
    "Bounce/suspend": (bounced("smtp; 550 5.2.1 Mailbox disabled for this recipient"), ["disabled", "reactivated"]),
    "Bounce/mailboxfull": (
        bounced("smtp; 552 5.2.2 Mailbox full", "Transient", "MailboxFull"),
        ["mailbox was full", "free space"],
    ),
    "Bounce/filtered": (
        bounced("smtp; 550 Unknown user taro@docomo.ne.jp", status="5.2.0", recipient="taro@docomo.ne.jp"),
        [
            "reception filter",
            "allow example.com",
            "delete-suppressed-destination --email-address taro@docomo.ne.jp --region eu-west-1",
        ],
    ),
    "Bounce/filtered/unconfirmed": (
        bounced("smtp; 550 Unknown user taro@docomo.ne.jp", recipient="taro@docomo.ne.jp"),
        ["docomo says this both", "does not tell which", "whether taro@example.jp is right"],
    ),
    "Bounce/authfailure": (
        bounced(
            "smtp; 550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM."
        ),
        ["550 5.7.26 This mail", "SPF or DKIM. It did not pass", "Easy DKIM", "MAIL FROM", "_dmarc.example.com"],
    ),
    "Bounce/requireptr": (
        bounced("smtp; 550 5.7.25 The IP address sending this message does not have a PTR record"),
        ["reverse DNS", "PTR"],
    ),
    "Bounce/blocked": (
        bounced("smtp; 554 5.7.1 Service unavailable; Client host [54.240.8.1] blocked using zen.spamhaus.org"),
        ["not on the recipient", "dedicated IP"],
    ),
    "Bounce/badreputation": (
        bounced(
            "smtp; 421 4.7.0 [TSS04] Messages from 54.240.8.1 temporarily deferred due to unexpected volume or user complaints",
            "Transient",
            recipient="taro@yahoo.com",
        ),
        ["reputation", "bounce and complaint rates"],
    ),
    "Bounce/spamdetected": (bounced("smtp; 550 High probability of spam"), ["judged the message to be spam", "unsubscribe"]),
    "Bounce/policyviolation": (
        bounced("smtp; 550 5.7.1 Delivery not authorized, message refused"),
        ["policy", "allow example.com"],
    ),
    "Bounce/contenterror": (bounced("smtp; 554 Transaction failed", "Transient", "ContentRejected"), ["refused the content"]),
    "Bounce/contenterror/attachment": (
        bounced("smtp; 554 Transaction failed", "Transient", "AttachmentRejected"),
        ["attachment", "file type"],
    ),
    "Bounce/virusdetected": (bounced("smtp; 554 5.7.1 Virus found"), ["malware"]),
    "Bounce/securityerror": (bounced("smtp; 554 5.7.0 Other security status"), ["security risk"]),
    "Bounce/notcompliantrfc": (bounced("smtp; 550 5.6.7 Requested action not taken"), ["mail standards", "Message-ID"]),
    "Bounce/mesgtoobig": (
        bounced("smtp; 552 5.3.4 Message size exceeds fixed maximum message size", "Transient", "MessageTooLarge"),
        ["larger than", "smaller"],
    ),
    "Bounce/rejected": (bounced("smtp; 553 5.1.8 Requested action not taken"), ["sender's address", "verified in SES"]),
    "Bounce/speeding": (
        bounced("smtp; 421 Too many messages, rate limit exceeded", "Transient"),
        ["only so fast", "spread large sends"],
    ),
    "Bounce/toomanyconn": (bounced("smtp; 421 Too many concurrent connections", "Transient"), ["more connections"]),
    "Bounce/norelaying": (bounced("smtp; 554 5.7.1 <taro@example.jp>: Relay access denied"), ["relay denied", "MX"]),
    "Bounce/networkerror": (
        bounced("smtp; 421 4.4.2 Connection timed out", "Transient"),
        ["could not be reached", "421 4.4.2 Connection timed out (networkerror)"],
    ),
    "Bounce/systemerror": (bounced("smtp; 451 4.3.0 Temporary server error", "Transient"), ["error of its own"]),
    "Bounce/systemfull": (bounced("smtp; 452 4.3.1 Insufficient system storage", "Transient"), ["out of storage"]),
    "Bounce/notaccept": (bounced("smtp; 556 Requested action not taken", recipient="taro@example.jp"), ["takes no mail"]),
    "Bounce/expired": (
        bounced(EXPIRED, "Transient", status="4.4.7"),
        ["gave up at 2024-05-03T10:00:03.000Z", "421 4.4.2 Connection timed out (networkerror)", "example.jp's mail servers"],
    ),
    "Bounce/suppressed/account": (
        bounced(
            "Amazon SES did not send the message to this address because it is on the suppression list for your account.",
            subtype="OnAccountSuppressionList",
        ),
        [
            "did not even try",
            "account's suppression list",
            "does not show how it got there",
            f"delete-suppressed-destination --email-address {TO} --region eu-west-1",
        ],
    ),
    "Bounce/suppressed/global": (
        bounced(
            "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.",
            subtype="Suppressed",
        ),
        ["did not even try", "global suppression list"],
    ),
    "Bounce/undefined": (
        bounced("smtp; 550 Requested action not taken"),
        ["550 Requested action not taken", "(Permanent/General)"],
    ),
}

CASES: dict[str, tuple[list[dict], list[str]]] = {
    # key: (the recipient's events, words the verdict must show from them)
    **{key: ([SEND, decisive], words) for key, (decisive, words) in BOUNCES.items()},
    "Delivery": (
        [
            SEND,
            event(
                "Delivery",
                "2024-05-03T10:00:02.000Z",
                smtp_response="250 2.6.0 ok",
                reporting_mta="mx.example.jp",
                remote_mta_ip="203.0.113.9",
            ),
        ],
        ["server mx.example.jp (203.0.113.9) accepted", "250 2.6.0 ok", "2 s after", "spam or junk folder"],
    ),
    "Delivery/Opened": (
        [
            SEND,
            event("Delivery", "2024-05-03T10:00:02.000Z", smtp_response="250 ok", reporting_mta="mx.example.jp"),
            event("Open", "2024-05-03T11:00:00.000Z"),
        ],
        ["opened 1 time, last at 2024-05-03T11:00:00.000Z", "250 ok"],
    ),
    "Delivery/Opened/shared": (
        [
            SEND | {"destinations": 3},
            event("Delivery", "2024-05-03T10:00:02.000Z", smtp_response="250 ok", destinations=3),
            event("Open", "2024-05-03T11:00:00.000Z", destinations=3),
        ],
        ["sent to 3 addresses, was opened 1 time", "does not show that taro@example.jp did", "spam or junk folder"],
    ),
    "DeliveryDelay": (
        [SEND, delayed("SomethingNew", "smtp; 451 later", "2024-05-03T11:30:00.000Z")],
        ["deferred", "451 later", "trying for 1 h 30 min", "gives up at 2024-05-04T00:00:00.000Z"],
    ),
    "DeliveryDelay/General": ([SEND, delayed("General")], ["conversation with the receiving server", "30 min"]),
    "DeliveryDelay/Undetermined": ([SEND, delayed("Undetermined")], ["could not determine"]),
    "DeliveryDelay/InternalFailure": ([SEND, delayed("InternalFailure")], ["internal fault in SES", "Health Dashboard"]),
    "DeliveryDelay/MailboxFull": (
        [SEND, delayed("MailboxFull", "smtp; 452 4.2.2 Mailbox full")],
        ["mailbox is full", "452 4.2.2 Mailbox full (mailboxfull)"],
    ),
    "DeliveryDelay/SpamDetected": (
        [SEND, delayed("SpamDetected")],
        ["unsolicited mail from your account", "bounce and complaint rates"],
    ),
    "DeliveryDelay/RecipientServerError": ([SEND, delayed("RecipientServerError")], ["error of its own", "(systemerror)"]),
    "DeliveryDelay/IPFailure": ([SEND, delayed("IPFailure")], ["IP address SES sent from"]),
    "DeliveryDelay/TransientCommunicationFailure": (
        [SEND, delayed("TransientCommunicationFailure", "smtp; 421 4.4.1 Unable to connect to remote host")],
        ["could not talk to the receiving server", "(networkerror)"],
    ),
    "DeliveryDelay/BYOIPHostNameLookupUnavailable": ([SEND, delayed("BYOIPHostNameLookupUnavailable")], ["BYOIP"]),
    "DeliveryDelay/gave-up": (
        [
            SEND,
            delayed("MailboxFull", "smtp; 452 4.2.2 Mailbox full", "2024-05-02T10:30:00.000Z")
            | {"expiration_time": "2024-05-03T00:00:00.000Z"},
        ],
        ["ran out at 2024-05-03T00:00:00.000Z, 12 h ago", "452 4.2.2 Mailbox full (mailboxfull)", "--until", "seslog download"],
    ),
    "DeliveryDelay/SendingDeferral": ([SEND, delayed("SendingDeferral")], ["SES deferred sending"]),
    "Complaint": (
        [
            SEND,
            event("Delivery", "2024-05-03T10:00:02.000Z"),
            event("Complaint", "2024-05-03T11:00:00.000Z", complaint_type="abuse"),
        ],
        ["reported the message as spam at 2024-05-03T11:00:00.000Z (abuse)"],
    ),
    "Reject": ([SEND, event("Reject", SENT, reject_reason="Bad content")], ["Bad content", "virus"]),
    "Rendering Failure": (
        [SEND, event("Rendering Failure", SENT, template_name="welcome", template_error="Attribute 'name' is not present")],
        ["template welcome", "Attribute 'name' is not present"],
    ),
    "Send/recent": (
        [event("Send", "2024-05-03T11:50:00.000Z", sent_at="2024-05-03T11:50:00.000Z")],
        ["10 min ago", "few minutes"],
    ),
    "Send/stale": ([SEND], ["2 h ago", "eventTypes"]),
    "Open": ([event("Open", "2024-05-03T11:00:00.000Z")], ["opened at 2024-05-03T11:00:00.000Z", "sent earlier"]),
}


def test_every_verdict_text_has_a_case_here():
    assert set(CASES) | {"none", "Bounce"} == set(VERDICTS)


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_verdict_says_what_happened_and_what_next_from_the_events(key):
    events, words = CASES[key]
    found = verdict(events, recipient=TO, now=NOW, region="eu-west-1")
    assert text_key(found.key) == key
    text = VERDICTS[key]
    assert found.status == text.status
    assert found.why and found.next
    shown = f"{found.why} {found.next}"
    for word in words:
        assert word in shown, (key, word, shown)
    assert "{" not in shown and "(not given)" not in shown, shown
    assert ".." not in shown.replace("...", ""), shown  # a quoted reply's own full stop is not doubled
    document = found.document()
    assert document["reason"] in REASONS and document["actor"] in ACTORS and document["rule"] and document["provider"]


def test_only_a_reason_that_says_so_tells_that_the_address_does_not_exist():
    says_so = {"Bounce/userunknown", "Bounce/hostunknown", "Bounce/hasmoved"}
    for key, text in VERDICTS.items():
        shown = f"{text.status} {text.why} {text.next}"
        if key == "Bounce/filtered/unconfirmed":  # names it as one of two things the carrier's answer can mean
            assert "both for an address that does not exist and for a subscriber" in shown
        elif key not in says_so:
            assert "does not exist" not in shown and "typos" not in shown, key


def test_a_complaint_decides_before_the_delivery_and_a_late_bounce_after_it():
    delivered = event("Delivery", "2024-05-03T10:00:02.000Z")
    bounced = event("Bounce", "2024-05-03T10:05:00.000Z", bounce_type="Permanent", bounce_subtype="General", **BOUNCE)
    assert decide([SEND, delivered, bounced], NOW)[0] == "Bounce/userunknown"
    assert decide([SEND, bounced, event("Delivery", "2024-05-03T10:06:00.000Z")], NOW)[0] == "Delivery"
    assert decide([SEND, delivered, event("Complaint", "2024-05-03T10:07:00.000Z")], NOW)[0] == "Complaint"


def test_the_suppression_verdict_says_how_the_address_got_there_when_the_log_shows_it():
    earlier = event("Bounce", "2024-05-01T09:00:00.000Z", message_id="m0", bounce_type="Permanent", bounce_subtype="General")
    suppressed = event("Bounce", "2024-05-03T10:00:01.000Z", bounce_type="Permanent", bounce_subtype="OnAccountSuppressionList")
    found = verdict([SEND, suppressed], recipient=TO, now=NOW, history=[earlier, SEND, suppressed])
    assert ", since the hard bounce of message m0 at 2024-05-01T09:00:00.000Z." in found.why
    complained = event("Complaint", "2024-05-02T09:00:00.000Z", message_id="m9")
    found = verdict([SEND, suppressed], recipient=TO, now=NOW, history=[earlier, complained, SEND, suppressed])
    assert ", since the recipient's spam complaint about message m9 at 2024-05-02T09:00:00.000Z." in found.why


def test_the_no_trace_checklist_has_a_check_for_every_reason():
    assert len(CHECKLIST) >= 4 and all(reason and check for reason, check in CHECKLIST)


# SES asked directly, read-only.


@pytest.fixture
def sesv2():
    client = boto3.client("sesv2", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_a_suppressed_address_is_reported_with_the_command_that_removes_it(sesv2):
    client, stubber = sesv2
    stubber.add_response(
        "get_suppressed_destination",
        {
            "SuppressedDestination": {
                "EmailAddress": TO,
                "Reason": "BOUNCE",
                "LastUpdateTime": datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
                "Attributes": {"MessageId": "m0", "FeedbackId": "f0"},
            }
        },
        {"EmailAddress": TO},
    )
    found = ses.suppression(client, [TO], "eu-west-1")
    assert found.facts["suppressed"] is True
    assert found.text == (
        f"{TO} IS on the account's suppression list since 2024-05-01T09:00:00+00:00 (reason BOUNCE by message m0): SES sends it nothing. "
        f"Once the recipient confirms the address works, remove it: aws sesv2 delete-suppressed-destination --email-address {TO} --region eu-west-1"
    )


def test_an_address_not_suppressed_says_so(sesv2):
    client, stubber = sesv2
    stubber.add_client_error(
        "get_suppressed_destination", "NotFoundException", "not found", 404, expected_params={"EmailAddress": TO}
    )
    assert ses.suppression(client, [TO], "eu-west-1").text == f"{TO} is not on the account's suppression list"


def test_a_denied_check_is_one_line_and_the_next_check_goes_on(sesv2):
    client, stubber = sesv2
    stubber.add_client_error("get_suppressed_destination", "AccessDeniedException", "not authorized", 403)
    stubber.add_response(
        "get_account",
        {
            "ProductionAccessEnabled": True,
            "SendingEnabled": True,
            "EnforcementStatus": "HEALTHY",
            "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
        },
    )
    denied = ses.suppression(client, [TO], "eu-west-1")
    assert (
        denied.text
        == "could not check: the credentials may not call GetSuppressedDestination (IAM action ses:GetSuppressedDestination); going on without it"
    )
    assert ses.account(client, "eu-west-1").text == (
        "the account in eu-west-1 is out of the sandbox and sending is enabled (enforcement status HEALTHY); its suppression list collects BOUNCE, COMPLAINT"
    )


def test_the_sandbox_and_paused_sending_are_named(sesv2):
    client, stubber = sesv2
    stubber.add_response(
        "get_account", {"ProductionAccessEnabled": False, "SendingEnabled": False, "EnforcementStatus": "SHUTDOWN"}
    )
    text = ses.account(client, "eu-west-1").text
    assert text.startswith("the account is in the SES sandbox in eu-west-1: SES takes mail only to verified addresses")
    assert "sending is paused for the account in eu-west-1 (enforcement status SHUTDOWN)" in text


# The command.


@pytest.fixture(scope="module")
def generated():
    return list(generate(load_samples(), seed=11, start=datetime(2024, 5, 1, tzinfo=UTC), days=2, messages=120, recipients=10))


@pytest.fixture(scope="module")
def demo(generated, tmp_path_factory):
    root = tmp_path_factory.mktemp("why")
    write_layout(generated, root, format="json", partitioning="date")
    return root


@pytest.fixture(scope="module")
def address(generated) -> str:
    """The address most messages went to."""
    counts = Counter(a for _, r in generated if r["eventType"] == "Send" for a in r["mail"]["destination"])
    return counts.most_common(1)[0][0]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_why_an_address_gives_one_verdict_per_message_newest_first(capsys, demo, address, monkeypatch):
    monkeypatch.setattr(cli, "client", lambda *a: pytest.fail("--local must not call AWS"))
    code, out, err = run(
        capsys, "why", address.upper(), "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(demo), "--json"
    )
    document = json.loads(out)
    assert (code, err) == (0, "") and document["ses"] == []
    sent = [v["sent_at"] for v in document["verdicts"]]
    assert sent == sorted(sent, reverse=True) and len(sent) >= 5
    assert all(v["recipient"] == address and v["status"] == VERDICTS[text_key(v["verdict"])].status for v in document["verdicts"])
    code, text, _ = run(capsys, "why", address.upper(), "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(demo))
    assert code == 0 and text.startswith(
        f"{address.upper()}: {len(sent)} messages sent 2024-05-01 to 2024-05-02 (UTC), newest first\n"
    )
    assert all(f"-> {v['status']}\n" in text for v in document["verdicts"])


@pytest.mark.parametrize("form", ["{id}", "<{id}@email.amazonses.com>", "<{id}@us-east-1.amazonses.com>"])
def test_why_a_message_takes_the_id_as_ses_returns_it_and_as_headers_carry_it(capsys, demo, address, form):
    code, out, _ = run(capsys, "why", address, "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(demo), "--json")
    message = json.loads(out)["verdicts"][0]
    code, out, err = run(
        capsys,
        "why",
        form.format(id=message["message_id"]),
        "--from",
        "2024-05-01",
        "--until",
        "2024-05-02",
        "--local",
        str(demo),
        "--json",
    )
    document = json.loads(out)
    assert (code, err) == (0, "") and document["message_id"] == message["message_id"]
    assert address in {v["recipient"] for v in document["verdicts"]}
    mine = next(v for v in document["verdicts"] if v["recipient"] == address)
    assert mine["verdict"] == message["verdict"] and mine["why"] == message["why"]


def test_why_with_no_events_prints_the_checklist_and_a_valid_document_with_exit_1(capsys, demo):
    code, out, err = run(
        capsys, "why", "nobody@example.net", "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(demo)
    )
    assert (code, err) == (1, "")
    assert " ".join(out.split()).startswith(
        "no trace in this log: No event in this log matches nobody@example.net sent 2024-05-01 to 2024-05-02 (UTC)."
    )
    assert "check: seslog why nobody@example.net --since 90d" in out
    code, out, _ = run(
        capsys, "why", "nobody@example.net", "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(demo), "--json"
    )
    document = json.loads(out)
    assert (
        code == 1
        and document["verdicts"] == []
        and document["none"]["verdict"] == "none"
        and len(document["none"]["checklist"]) == len(CHECKLIST)
    )


def test_a_plus_label_that_finds_nothing_points_to_the_address_that_did(capsys, demo, address):
    name, domain = address.split("@")
    labelled = f"{name}+news@{domain}"
    code, out, _ = run(capsys, "why", labelled, "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(demo), "--json")
    hint = json.loads(out)["hint"]
    assert code == 1 and hint.startswith(f"nothing was sent to {labelled} itself, but mail went to {address} (")
    code, _, err = run(capsys, "find", "--to", labelled, "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(demo))
    assert code == 1 and f"but mail went to {address} (" in err
    code, out, _ = run(
        capsys, "why", "nobody@example.net", "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(demo), "--json"
    )
    assert code == 1 and json.loads(out)["hint"] is None


def test_why_on_the_stack_asks_athena_then_ses_and_no_aws_skips_ses(capsys, monkeypatch):
    athena = boto3.client("athena", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
    sesv2 = boto3.client("sesv2", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
    monkeypatch.setattr(cli, "client", lambda service, region: {"athena": athena, "sesv2": sesv2}[service])
    stack_environment(monkeypatch)
    monkeypatch.setattr("seslog.athena.time.sleep", lambda s: None)
    # The bounce names the address as it bounced; the suppression list keeps that spelling.
    listed = "Taro@Example.jp"
    row = event(
        "Bounce",
        "2024-05-03T10:00:01.000Z",
        bounce_type="Permanent",
        bounce_subtype="OnAccountSuppressionList",
        recipient=listed,
        reporting_mta="dsn; a8-1.smtp-out.amazonses.com",
        diagnostic_code=ON_THE_LIST,
    )
    other = {"recipient": "jiro@example.jp", "event_type": "Bounce", "bounce_type": "Permanent"}
    other |= {"bounce_subtype": "OnAccountSuppressionList", "delay_type": None, "diagnostic_code": ON_THE_LIST, "status": "5.1.1"}
    other |= {"events": 1, "last_time": "2024-05-02T01:00:00.000Z"}
    days = ["'2024-05-01'", "'2024-05-03'"]
    with Stubber(athena) as athena_stub, Stubber(sesv2) as ses_stub:
        for _ in range(2):
            expect_start(athena_stub, "recipient-events", "date", [*days, *days, f"'{TO}'"])
            expect_results(athena_stub, "recipient-events", [{**dict.fromkeys(COLUMNS), **r} for r in (SEND, row)])
            expect_start(athena_stub, "failed-recipients", "date", [*days, *days, "'example.jp'"])  # no named provider
            expect_results(athena_stub, "failed-recipients", [other])
        ses_stub.add_client_error(
            "get_suppressed_destination", "AccessDeniedException", "denied", 403, expected_params={"EmailAddress": listed}
        )
        ses_stub.add_response(
            "get_account", {"ProductionAccessEnabled": False, "SendingEnabled": True, "EnforcementStatus": "HEALTHY"}
        )
        code, out, err = run(capsys, "why", TO, "--from", "2024-05-01", "--until", "2024-05-03")
        assert code == 0 and "Athena scanned" in err and QUERY_ID in err
        assert "-> not sent: on your account's suppression list" in out
        assert f"delete-suppressed-destination --email-address {listed} --region eu-west-1" in " ".join(out.split())
        assert (
            "Others: 1 other example.jp recipient failed with suppressed on 2024-05-01 to 2024-05-03 (UTC): this is about your SES account"
            in " ".join(out.split())
        )
        assert (
            "SES, asked directly (read-only):\n  suppression list: could not check: the credentials may not call GetSuppressedDestination"
            in out
        )
        assert "account: the account is in the SES sandbox in eu-west-1" in out
        code, out, _ = run(capsys, "why", TO, "--from", "2024-05-01", "--until", "2024-05-03", "--no-aws")
        assert code == 0 and "SES, asked directly" not in out
        athena_stub.assert_no_pending_responses()
        ses_stub.assert_no_pending_responses()


# One address, or many: a wave of one reason at one provider.

GMAIL_5_7_26 = (
    "smtp; 550-5.7.26 This mail has been blocked because the sender is unauthenticated. 550-5.7.26 Gmail requires all "
    "senders to authenticate with either SPF or DKIM. 550 5.7.26 https://support.google.com/mail/answer/81126 - gsmtp"
)
WAVE = 40


@pytest.fixture(scope="module")
def wave(sample_records, tmp_path_factory):
    """A morning on which Gmail refused 41 recipients for authentication, one of them the address asked about;
    another Gmail recipient's mailbox was full, a docomo subscriber's filter refused the sender, and a company at Google
    Workspace refused it for authentication too."""
    samples = {r["eventType"]: r for r in sample_records.values()}
    records = []

    def message(number: int, recipient: str, diagnostic: str, status: str, bounce_type: str = "Permanent") -> None:
        sent = f"2024-05-03T09:{number // 60:02d}:{number % 60:02d}.000Z"
        mail = {
            **samples["Send"]["mail"],
            "timestamp": sent,
            "messageId": f"wave-{number:03d}",
            "destination": [recipient],
            "source": "Example Shop <shop@example.com>",
        }
        bounce = {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [
                {"emailAddress": recipient, "action": "failed", "status": status, "diagnosticCode": diagnostic}
            ],
            "timestamp": sent.replace(".000Z", ".500Z"),
            "feedbackId": f"feedback-{number}",
            "reportingMTA": "dsn; a8-1.smtp-out.amazonses.com",
        }
        at = datetime.fromisoformat(sent)
        records.append((at, {"eventType": "Send", "mail": mail, "send": {}}))
        records.append((at, {"eventType": "Bounce", "mail": mail, "bounce": bounce}))

    message(0, "Asked@Gmail.com", GMAIL_5_7_26, "5.7.26")
    for number in range(1, WAVE + 1):
        # Gmail's two domains are one mailbox provider.
        message(number, f"user{number}@{'googlemail.com' if number % 10 == 0 else 'gmail.com'}", GMAIL_5_7_26, "5.7.26")
    # A company's domain at Google Workspace: Google's reply, but not a Gmail address, so not among Gmail's others.
    message(WAVE + 3, "boss@corp.example", GMAIL_5_7_26, "5.7.26")
    message(
        WAVE + 1,
        "full@gmail.com",
        "smtp; 452-4.2.2 The email account that you tried to reach is over quota. - gsmtp",
        "4.2.2",
        "Transient",
    )
    message(WAVE + 2, "hanako@docomo.ne.jp", "smtp; 550 Unknown user hanako@docomo.ne.jp", "5.2.0")
    root = tmp_path_factory.mktemp("wave")
    write_layout(sorted(records, key=lambda r: r[0]), root, format="json", partitioning="date")
    return root


def test_a_wave_of_one_reason_at_one_provider_is_said_to_be_the_sender_s_not_the_user_s(capsys, wave):
    code, out, _ = run(
        capsys, "why", "asked@gmail.com", "--from", "2024-05-03", "--until", "2024-05-03", "--local", str(wave), "--json"
    )
    (found,) = json.loads(out)["verdicts"]
    assert code == 0 and (found["reason"], found["provider"], found["actor"]) == ("authfailure", "gmail", "sender-domain")
    assert found["rule"] == "gmail-5.7.26-unauthenticated" and found["source"].startswith("https://support.google.com/")
    assert found["others"]["count"] == WAVE  # not the full mailbox, not the asked address itself
    assert found["others"]["text"] == (
        f"{WAVE} other gmail recipients failed with authfailure on 2024-05-03 (UTC): this is about your sending domain, not this user."
    )
    code, out, _ = run(capsys, "why", "full@gmail.com", "--from", "2024-05-03", "--until", "2024-05-03", "--local", str(wave))
    assert (
        code == 0
        and "Others: No other gmail recipient failed with mailboxfull on 2024-05-03 (UTC): it is about this address."
        in " ".join(out.split())
    )


def test_a_sender_side_failure_alone_is_not_said_to_be_about_the_address():
    alone = Others("gmail", "authfailure", 0, "on 2024-05-03 (UTC)", "sender-domain")
    assert alone.text() == "No other gmail recipient failed with authfailure on 2024-05-03 (UTC)."
    assert Others("gmail", "mailboxfull", 0, "on 2024-05-03 (UTC)", "recipient").text().endswith(": it is about this address.")


def test_a_docomo_filter_is_not_called_an_unknown_address_and_the_listed_spelling_is_kept(capsys, wave):
    code, out, _ = run(
        capsys, "why", "HANAKO@docomo.ne.jp", "--from", "2024-05-03", "--until", "2024-05-03", "--local", str(wave)
    )
    text = " ".join(out.split())
    assert code == 0 and "-> not delivered: the recipient's filter refused your mail" in text
    assert "does not exist" not in text and "allow example.com" in text
    assert "delete-suppressed-destination --email-address hanako@docomo.ne.jp" in text
    assert "Who acts: the recipient (or their mail administrator)" in text


def test_stats_list_failures_by_reason_and_provider_largest_first_with_the_actor(capsys, wave):
    code, out, _ = run(capsys, "stats", "--from", "2024-05-03", "--until", "2024-05-03", "--local", str(wave), "--json")
    failures = json.loads(out)["failures"]
    assert code == 0 and failures[0] == {
        "reason": "authfailure",
        "provider": "gmail",
        "actor": "sender-domain",
        "bounces": WAVE + 2,
        "delays": 0,
    }
    assert {(f["reason"], f["provider"]) for f in failures[1:]} == {("mailboxfull", "gmail"), ("filtered", "docomo")}
    code, out, _ = run(capsys, "stats", "--from", "2024-05-03", "--until", "2024-05-03", "--local", str(wave))
    table = out[out.index("Bounces and delays by reason and provider") :].splitlines()
    assert table[1].split() == ["REASON", "PROVIDER", "ACTOR", "BOUNCES", "DELAYS"]
    assert table[2].split() == ["authfailure", "gmail", "sender-domain", str(WAVE + 2), "0"]


def test_a_retried_message_s_verdict_quotes_the_first_and_last_reply_each_with_its_reason():
    events = [
        SEND,
        delayed("MailboxFull", "smtp; 452 4.2.2 Mailbox full", "2024-05-03T10:30:00.000Z"),
        delayed("RecipientServerError", "smtp; 451 4.3.0 Temporary server error", "2024-05-03T12:00:00.000Z"),
        bounced(EXPIRED, "Transient", status="4.4.7"),
    ]
    found = verdict(events, recipient=TO, now=NOW)
    assert (found.key, found.reason, found.actor) == ("Bounce/expired", "expired", "wait")
    assert "first said at 2024-05-03T10:30:00.000Z: 452 4.2.2 Mailbox full (mailboxfull)" in found.why
    assert "and last, at 2024-05-03T10:00:03.000Z: 421 4.4.2 Connection timed out (networkerror)" in found.why
    assert found.diagnosis.inner.reason == "networkerror"
    # SES's own wrapper is never quoted as what the receiving side said.
    assert "Message expired" not in found.why


def test_an_open_of_a_message_to_several_is_not_credited_to_a_recipient_that_bounced():
    opened = event("Open", "2024-05-03T11:00:00.000Z", destinations=2)
    bounced_here = bounced("smtp; 550 5.1.1 user unknown") | {"destinations": 2}
    found = verdict([SEND | {"destinations": 2}, bounced_here, opened], recipient=TO, now=NOW)
    assert found.key == "Bounce/userunknown" and "opened" not in f"{found.status} {found.why}"


def test_a_delay_past_its_expiration_is_not_told_to_wait_for():
    late = delayed("MailboxFull", "smtp; 452 4.2.2 Mailbox full", "2024-05-02T10:30:00.000Z") | {
        "expiration_time": "2024-05-03T00:00:00.000Z"
    }
    found = verdict([SEND, late], recipient=TO, now=NOW)
    assert (found.key, found.reason, found.actor) == ("DeliveryDelay/gave-up", "expired", "recipient")
    assert "Wait" not in found.next and "still trying" not in found.status
    # Before the expiration the same delay is still being retried.
    early = verdict([SEND, late], recipient=TO, now=datetime(2024, 5, 2, 12, 0, tzinfo=UTC))
    assert early.key == "DeliveryDelay/MailboxFull" and early.status.startswith("not delivered yet")


def test_the_no_trace_checklist_names_cognito_s_own_limit_on_repeated_mail():
    assert any("Cognito never handed it to SES" in reason and "short time" in reason for reason, _ in CHECKLIST)


# The sending identity, asked after an authentication failure.


def test_an_identity_without_dkim_and_with_a_failed_mail_from_says_what_is_missing(sesv2):
    client, stubber = sesv2
    stubber.add_client_error(
        "get_email_identity", "NotFoundException", "no such identity", 404, expected_params={"EmailIdentity": "example.com"}
    )
    stubber.add_response(
        "get_email_identity",
        {
            "IdentityType": "EMAIL_ADDRESS",
            "VerifiedForSendingStatus": True,
            "DkimAttributes": {"SigningEnabled": False, "Status": "NOT_STARTED"},
            "MailFromAttributes": {
                "MailFromDomain": "bounce.example.com",
                "MailFromDomainStatus": "FAILED",
                "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
            },
        },
        {"EmailIdentity": "shop@example.com"},
    )
    found = ses.identity(client, ["example.com", "shop@example.com"], "eu-west-1")
    assert found.facts["identity"] == "shop@example.com" and found.facts["dkim_signing"] is False
    assert (
        "DKIM signing is off: aws sesv2 put-email-identity-dkim-attributes --email-identity shop@example.com --signing-enabled --region eu-west-1"
        in found.text
    )
    assert "the MAIL FROM domain bounce.example.com is FAILED: its MX and SPF TXT records are missing or wrong" in found.text


def test_an_identity_set_up_on_ses_s_side_points_at_dmarc_and_no_identity_says_so(sesv2):
    client, stubber = sesv2
    stubber.add_response(
        "get_email_identity",
        {
            "IdentityType": "DOMAIN",
            "VerifiedForSendingStatus": True,
            "DkimAttributes": {"SigningEnabled": True, "Status": "SUCCESS"},
            "MailFromAttributes": {
                "MailFromDomain": "bounce.example.com",
                "MailFromDomainStatus": "SUCCESS",
                "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
            },
        },
        {"EmailIdentity": "example.com"},
    )
    assert ses.identity(client, ["example.com"], None).text.startswith(
        "example.com signs with DKIM (verified) and has the MAIL FROM domain bounce.example.com: SES's side is set up; check the DMARC record"
    )
    stubber.add_client_error("get_email_identity", "NotFoundException", "no", 404)
    stubber.add_client_error("get_email_identity", "NotFoundException", "no", 404)
    missing = ses.identity(client, ["example.com", "shop@example.com"], "eu-west-1")
    assert missing.text.startswith("neither example.com nor shop@example.com is an SES identity in eu-west-1")
    stubber.add_client_error("get_email_identity", "NotFoundException", "no", 404)
    assert ses.identity(client, ["example.com"], None).text.startswith("example.com is not an SES identity: ")


def test_a_denied_identity_check_is_one_line(sesv2):
    client, stubber = sesv2
    stubber.add_client_error("get_email_identity", "AccessDeniedException", "not authorized", 403)
    assert ses.identity(client, ["example.com"], None).text == (
        "could not check: the credentials may not call GetEmailIdentity (IAM action ses:GetEmailIdentity); going on without it"
    )


def test_the_suppression_list_is_asked_for_the_address_as_it_bounced_then_as_asked(sesv2):
    client, stubber = sesv2
    stubber.add_client_error(
        "get_suppressed_destination", "NotFoundException", "no", 404, expected_params={"EmailAddress": "Taro@Example.jp"}
    )
    stubber.add_response(
        "get_suppressed_destination",
        {
            "SuppressedDestination": {
                "EmailAddress": TO,
                "Reason": "COMPLAINT",
                "LastUpdateTime": datetime(2024, 5, 1, tzinfo=UTC),
            }
        },
        {"EmailAddress": TO},
    )
    found = ses.suppression(client, ["Taro@Example.jp", TO], None)
    assert (
        found.facts["suppressed"] is True
        and found.facts["remove_with"] == f"aws sesv2 delete-suppressed-destination --email-address {TO}"
    )


def test_why_asks_ses_about_the_sending_identity_after_an_authentication_failure(capsys, wave, monkeypatch):
    asked = []
    monkeypatch.setattr(cli, "_ses_checks", lambda target, no_aws=False: lambda question: asked.append(question) or [])
    run(capsys, "why", "asked@gmail.com", "--from", "2024-05-03", "--until", "2024-05-03", "--local", str(wave))
    (question,) = asked
    assert question.identities == ("example.com", "shop@example.com")
    assert question.spellings == ("Asked@Gmail.com", "asked@gmail.com")


def test_the_reply_ses_quotes_at_expiry_is_not_told_twice_when_it_is_the_last_delay_s():
    events = [
        SEND,
        delayed("MailboxFull", "smtp; 452 4.2.2 Mailbox full", "2024-05-03T10:30:00.000Z"),
        delayed("TransientCommunicationFailure", "smtp; 421 4.4.2 Connection timed out", "2024-05-03T12:00:00.000Z"),
        bounced(EXPIRED, "Transient", status="4.4.7"),
    ]
    found = verdict(events, recipient=TO, now=NOW)
    assert "and last, at 2024-05-03T12:00:00.000Z: 421 4.4.2 Connection timed out (networkerror)." in found.why


def test_a_destination_given_with_a_display_name_is_the_address_it_names(capsys, sample_records, tmp_path):
    """SendEmail takes a destination with a display name ("Jane" <jane@example.com>); its Send lists it so, while
    the Bounce names the bare address: both are the same recipient's."""
    samples = {r["eventType"]: r for r in sample_records.values()}
    mail = {
        **samples["Send"]["mail"],
        "timestamp": "2024-05-03T09:00:00.000Z",
        "messageId": "EXAMPLE0000000a1-00000000-0000-4000-8000-000000000000-000000",
        "destination": ['"Jane Doe" <Jane@Example.com>'],
    }
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [
            {"emailAddress": "jane@example.com", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
        ],
        "timestamp": "2024-05-03T09:00:02.000Z",
        "reportingMTA": "dsn; a8-1.smtp-out.amazonses.com",
    }
    at = datetime(2024, 5, 3, 9, tzinfo=UTC)
    records = [
        (at, {"eventType": "Send", "mail": mail, "send": {}}),
        (at, {"eventType": "Bounce", "mail": mail, "bounce": bounce}),
    ]
    write_layout(records, tmp_path, format="json", partitioning="date")
    local = ["--from", "2024-05-03", "--until", "2024-05-03", "--local", str(tmp_path), "--json"]
    code, out, _ = run(capsys, "why", "JANE@example.com", *local)
    (found,) = json.loads(out)["verdicts"]
    assert (
        code == 0
        and found["verdict"] == "Bounce/userunknown"
        and [e["event_type"] for e in found["events"]] == ["Send", "Bounce"]
    )
    code, out, _ = run(capsys, "why", mail["messageId"], *local)
    assert [v["recipient"] for v in json.loads(out)["verdicts"]] == ["jane@example.com"]
    code, out, _ = run(capsys, "find", "--to", "jane@example.com", *local)
    assert code == 0 and [m["status"] for m in json.loads(out)["messages"]] == ["Bounce"]
