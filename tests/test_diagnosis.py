"""The diagnosis: each rule decides the replies shaped as its source shows them, the replies are taken apart as
SES records them, and every reason and actor has its words."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bench.diagnosis import coverage, print_coverage
from seslog.diagnosis import Failure, diagnose
from seslog.diagnosis.providers import mailbox_provider, provider_of
from seslog.diagnosis.reasons import ACTORS, REASONS
from seslog.diagnosis.replies import parse
from seslog.diagnosis.rules import RULES
from seslog.verdicts import VERDICTS, text_key
from tests.diagnosis_corpus import CASES, status_cases

ALL_CASES = CASES + status_cases(RULES)
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "investigating.md"


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.rule}-{n}" for n, c in enumerate(ALL_CASES)])
def test_each_reply_gets_the_reason_of_the_rule_its_source_gives(case):
    found = diagnose(case.failure())
    assert (found.reason, found.rule.id) == (case.reason, case.rule), case.diagnostic


def test_every_rule_decides_at_least_one_reply_of_the_corpus():
    decided = {diagnose(c.failure()).rule.id for c in ALL_CASES}
    assert [r.id for r in RULES if r.id not in decided] == []


def test_rules_have_unique_ids_known_reasons_and_actors_and_a_source():
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.reason in REASONS and rule.source, rule.id
        assert rule.actor is None or rule.actor in ACTORS, rule.id
    assert all(r.actor in ACTORS for r in REASONS.values())
    assert RULES[-1].id == "undefined" and all(
        v is None for k, v in vars(RULES[-1]).items() if k not in ("id", "reason", "source", "_words")
    )


def test_the_same_unknown_user_is_unknown_or_filtered_at_japanese_carriers_by_status_and_naming():
    docomo = "smtp; 550 Unknown user taro@docomo.ne.jp"
    assert diagnose(Failure("taro@docomo.ne.jp", docomo, "5.1.1")).reason == "userunknown"
    assert diagnose(Failure("taro@docomo.ne.jp", docomo, "5.2.0")).reason == "filtered"
    unconfirmed = diagnose(Failure("taro@docomo.ne.jp", docomo))
    assert (unconfirmed.reason, unconfirmed.rule.verdict, unconfirmed.actor) == ("filtered", "unconfirmed", "recipient")
    assert diagnose(Failure("taro@ezweb.ne.jp", "smtp; 550 5.1.1 <taro@ezweb.ne.jp>: User unknown")).reason == "userunknown"
    assert diagnose(Failure("taro@ezweb.ne.jp", "smtp; 550 : User unknown")).reason == "filtered"
    # The same words elsewhere are an unknown address.
    assert diagnose(Failure("taro@example.jp", docomo)).reason == "userunknown"


def test_the_issue_s_three_bounces_get_three_reasons_and_two_are_the_sender_s():
    gmail = diagnose(
        Failure(
            "taro@gmail.com",
            "smtp; 550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.",
        )
    )
    outlook = diagnose(
        Failure(
            "taro@outlook.com",
            "smtp; 550 5.7.1 Unfortunately, messages from [54.240.0.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
        )
    )
    assert (gmail.reason, gmail.provider, gmail.actor) == ("authfailure", "gmail", "sender-domain")
    assert (outlook.reason, outlook.provider, outlook.actor) == ("blocked", "microsoft", "sender-reputation")


def test_ses_s_expiry_is_unwrapped_and_what_the_receiving_side_said_is_classified():
    found = diagnose(
        Failure(
            "taro@example.jp",
            "smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>",
        )
    )
    assert found.reason == "expired" and found.inner and found.inner.reason == "networkerror"
    assert (found.reply.code, found.reply.status, found.reply.receiving_side.raw) == (
        "554",
        "4.4.7",
        "421 4.4.2 Connection timed out",
    )
    assert found.document()["inner"]["reason"] == "networkerror"


def test_a_multi_line_reply_keeps_its_words_once_without_the_line_prefixes():
    reply = parse("smtp; 550-5.7.26 This mail is blocked. 550-5.7.26 Authenticate. 550 5.7.26 https://x.example - gsmtp")
    assert (reply.code, reply.status, reply.text) == (
        "550",
        "5.7.26",
        "This mail is blocked. Authenticate. https://x.example - gsmtp",
    )
    assert parse("smtp; 550 Unknown user", "5.2.0").status == "5.2.0"  # the DSN status when the words carry none
    assert parse("smtp; 550 5.1.1 user unknown", "5.0.0").status == "5.1.1"


@pytest.mark.parametrize(
    ("recipient", "reply", "provider"),
    [
        ("taro@gmail.com", "", "gmail"),
        ("taro@d.vodafone.ne.jp", "", "softbank"),
        ("taro@corp.example", "550 5.1.1 ... - gsmtp", "gmail"),
        ("taro@corp.example", "[DM6PR00MB0000.namprd00.prod.outlook.com]", "microsoft"),
        ("taro@corp.example", "550 5.1.1 user unknown", "corp.example"),
    ],
)
def test_the_provider_is_the_domain_s_or_the_signature_s_else_the_domain(recipient, reply, provider):
    assert provider_of(recipient, reply) == provider


def test_a_delay_reported_by_the_receiving_server_names_its_provider_and_ses_s_own_mta_names_none():
    delay = Failure("taro@corp.example", "smtp; 421 4.7.0 Try again later", event_type="DeliveryDelay")
    assert diagnose(replace(delay, reporting_mta="mx.google.com")).provider == "gmail"
    assert diagnose(replace(delay, reporting_mta="dsn; a8-1.smtp-out.amazonses.com")).provider == "corp.example"


def test_the_mailbox_provider_of_an_address_is_a_named_provider_with_all_its_domains_else_the_domain():
    assert mailbox_provider("Taro@GoogleMail.com") == ("gmail", ("googlemail.com", "gmail.com"))
    assert mailbox_provider("taro@d.vodafone.ne.jp")[0] == "softbank"
    assert mailbox_provider("taro@corp.example") == ("corp.example", ("corp.example",))


def test_every_reason_a_rule_gives_has_a_bounce_verdict_of_its_own():
    for rule in RULES:
        key = "/".join(filter(None, ("Bounce", rule.reason, rule.verdict)))
        assert text_key(key) == key or (not rule.verdict and text_key(key).startswith(key)), rule.id
        assert key in VERDICTS or f"Bounce/{rule.reason}" in VERDICTS, rule.id


def test_the_guide_lists_every_reason_and_actor_with_its_meaning():
    text = GUIDE.read_text(encoding="utf-8")
    for name, reason in REASONS.items():
        assert re.search(rf"^\| `{name}` \| {re.escape(reason.meaning)} \| `{reason.actor}` \|$", text, re.MULTILINE), name
    for actor, meaning in ACTORS.items():
        assert f"| `{actor}` | {meaning} |" in text, actor


def test_the_coverage_report_counts_what_each_provider_s_rules_decide():
    report = coverage(ALL_CASES)
    assert report["gmail"]["cases"] >= 15 and report["gmail"]["own"] == report["gmail"]["cases"]
    assert report["docomo"]["own"] == report["docomo"]["cases"] >= 4
    assert sum(r["cases"] for r in report.values()) == len(ALL_CASES)
    lines = []
    print_coverage(report, lines.append)
    assert lines[0].split()[:2] == ["PROVIDER", "CASES"] and any(line.startswith("docomo") for line in lines)
