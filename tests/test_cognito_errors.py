"""Cognito's message-delivery error log in the answer: its records as AWS documents them, what each error's words mean,
and `seslog why ADDRESS` (command line, page, MCP document) on a local copy holding both SES events and Cognito errors,
and on Athena."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from markupsafe import escape
from starlette.testclient import TestClient

from seslog import cli
from seslog.arguments import TimeRange
from seslog.cli import main
from seslog.cognito import answer
from seslog.cognito.kinds import RULES, read
from seslog.cognito.log import SCHEME, TABLE_NAME, CognitoError, parse_line, parse_record, subscription_message, write_object
from seslog.cognito.reading import QUERY
from seslog.diagnosis.reasons import ACTORS
from seslog.engine import AthenaEngine, LocalEngine
from seslog.eventlog.generator import generate, load_samples
from seslog.eventlog.layout import write_layout
from seslog.eventlog.prefixes import COGNITO_PREFIX
from seslog.verdicts import CHECKLIST, COGNITO, COGNITO_LOG_CHECK
from seslog.web.app import Site, create_app
from tests.cognito_samples import CONTROL_MESSAGE, GUIDE_EXAMPLE, record
from tests.test_seslog_query import CONTEXT, QUERY_ID, WORKGROUP, expect_results, expect_start, stack_environment

POOL = "eu-west-1_AbCdEf123"


def unverified(*identities: str) -> str:
    return (
        f"Email address is not verified. The following identities failed the check in region EU-WEST-1: {', '.join(identities)}"
    )


# The records.


def test_the_guide_s_example_record_reads_as_a_subscription_message_delivers_it():
    line = json.dumps(subscription_message([GUIDE_EXAMPLE], log_group="/aws/vendedlogs/cognito/x"))
    (found,) = list(parse_line(line))
    assert found == CognitoError(
        datetime(2023, 6, 20, 21, 42, 10, 677000, tzinfo=UTC), "String", "String", "USER_NOTIFICATION", "ERROR"
    )
    assert list(parse_line(json.dumps(CONTROL_MESSAGE))) == []  # a reachability check holds no record


def test_fields_logged_as_null_are_read_and_a_record_without_any_time_is_refused():
    # "Some fields might be logged with null values" (the guide): the log event's own timestamp stands in.
    nulls = {"eventTimestamp": None, "eventSource": None, "logLevel": "ERROR", "message": None, "logSourceId": None}
    found = parse_record(json.dumps(nulls), 1687297330000)
    assert (found.user_pool_id, found.details, found.time.year) == (None, "", 2023)
    with pytest.raises(ValueError, match="neither eventTimestamp"):
        parse_record(json.dumps(nulls))
    with pytest.raises(TypeError):
        parse_record('"not an object"', 1)


# What an error's words mean.

EXAMPLES = {
    "mail-from": "MAIL FROM domain mail.example.com is not verified",
    "paused": "Sending paused for this account. For more information, please check the inbox of the email address associated with your AWS account.",
    "quota": "Daily message quota exceeded.",
    "throttled": "Maximum sending rate exceeded.",
    "cognito-quota": "Exceeded daily email limit for the operation or the account. If a higher limit is required, please configure your user pool to use your own Amazon SES configuration for sending email.",
    "configuration-set": "Configuration set <cognito-mail> does not exist.",
    "not-authorized": "User `arn:aws:sts::123456789012:assumed-role/x' is not authorized to perform `ses:SendEmail' on resource `arn:aws:ses:eu-west-1:123456789012:identity/example.com'",
    "suppressed": "Address blacklisted.",
    "bad-address": "Illegal address",
    "sms": "SMS message sending failed: the phone number is opted out",
}


@pytest.mark.parametrize(("kind", "details"), EXAMPLES.items())
def test_each_rule_reads_the_words_its_source_documents(kind, details):
    assert read(details).kind == kind


def test_an_unverified_identity_is_the_sandbox_only_when_ses_names_the_recipient():
    asked = "taro@example.jp"
    assert read(unverified("Taro@Example.jp"), asked).kind == "unverified/recipient"
    assert read(unverified("auth.example.com"), asked).kind == "unverified/sender"  # a domain is never a recipient
    # An address that is not the one asked: the From, or another recipient in the sandbox; the verdict does not guess.
    found = read(unverified("no-reply@auth.example.com", "jiro@example.jp..."), asked)
    assert found.kind == "unverified" and found.identities == ("no-reply@auth.example.com", "jiro@example.jp")


def test_words_no_rule_knows_are_other_and_quoted_never_guessed_at():
    found = answer.entry(CognitoError(datetime(2024, 5, 1, tzinfo=UTC), POOL, "Something new went wrong"), "a@example.jp")
    assert found.reading.kind == "other" and "Something new went wrong" in found.why and found.reading.rule is None


def test_every_kind_has_a_verdict_that_reads_its_facts_and_names_who_acts():
    kinds = {r.kind for r in RULES} - {"unverified"} | {"unverified", "unverified/recipient", "unverified/sender", "other"}
    assert kinds == set(COGNITO)
    facts = {"time": "T", "pool": POOL, "details": "D", "recipient": "R", "identities": "I", "ses_region_text": "eu-west-1"}
    for kind, text in COGNITO.items():
        assert text.actor is None or text.actor in ACTORS, kind
        for part in (text.status, text.why, text.next):
            assert "{" not in part.format(**facts), kind
        assert "D" in text.why.format(**facts), kind  # Cognito's own words are always shown


# `why ADDRESS` on a local copy with SES events and Cognito errors.

START = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    generated = list(generate(load_samples(), seed=11, start=START, days=2, messages=60, recipients=6))
    root = tmp_path_factory.mktemp("cognito")
    write_layout(generated, root, format="json", partitioning="date")
    address = Counter(a for _, r in generated if r["eventType"] == "Send" for a in r["mail"]["destination"]).most_common(1)[0][0]
    at = START + timedelta(hours=30)
    batches = [
        (at, [record(at, unverified(address.upper()))]),
        (at + timedelta(minutes=5), [record(at + timedelta(minutes=5), "Maximum sending rate exceeded.")]),
        # Two records in one subscription message, and a control message beside them in the object.
        (
            at + timedelta(hours=1),
            [record(at + timedelta(hours=1), "SMS message sending failed"), record(at + timedelta(hours=1, seconds=1), None)],
        ),
        # After the range asked: not shown.
        (START + timedelta(days=3), [record(START + timedelta(days=3), unverified(address))]),
    ]
    for number, (arrival, records) in enumerate(batches):
        messages = [subscription_message(records, log_group="/aws/vendedlogs/cognito/test")]
        if number == 0:
            # A reachability check, and a log event that is not Cognito's JSON: skipped, and counted.
            broken = subscription_message([record(arrival, None)], log_group="/aws/vendedlogs/cognito/test")
            broken["logEvents"][0]["message"] = "not json"
            messages[:0] = [CONTROL_MESSAGE, broken]
        write_object(root, arrival, messages, uuid.UUID(int=number + 1, version=4))
    without = tmp_path_factory.mktemp("no-cognito")
    write_layout(generated, without, format="json", partitioning="date")
    return root, without, address


def why_json(capsys, *arguments: str) -> dict:
    main(["why", *arguments, "--from", "2024-05-01", "--until", "2024-05-02", "--json"])
    return json.loads(capsys.readouterr().out)


def test_an_error_that_names_the_address_is_shown_with_its_messages_and_the_others_are_not(capsys, copy):
    root, _, address = copy
    document = why_json(capsys, address, "--local", str(root))
    assert document["verdicts"]  # the SES story is still told
    cognito = document["cognito"]
    assert (cognito["collected"], cognito["scope"]) == (True, "named")
    (error,) = cognito["errors"]
    assert error["kind"] == "unverified/recipient" and error["actor"] == "ses-account" and error["user_pool_id"] == POOL
    assert error["time"] == "2024-05-02T06:00:00.000Z" and "sandbox" in error["status"]
    main(["why", address, "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(root)])
    text = " ".join(capsys.readouterr().out.split())
    assert f"Cognito logged 1 message-delivery error naming {address} 2024-05-01 to 2024-05-02 (UTC):" in text
    assert "Maximum sending rate" not in text and error["next"] in text


def test_with_no_error_naming_it_the_pool_s_errors_are_shown_as_such_and_the_checklist_points_at_them(capsys, copy):
    root, _, _ = copy
    asked = "nobody@example.net"
    document = why_json(capsys, asked, "--local", str(root))
    cognito = document["cognito"]
    assert cognito["scope"] == "pool" and "none of these texts names nobody@example.net" in cognito["text"]
    # Newest first; the SMS error is counted, not listed; the record with no words is still an error of the pool.
    assert [e["kind"] for e in cognito["errors"]] == ["other", "throttled", "unverified"]
    assert cognito["sms_errors"] == 1 and cognito["unreadable_records"] == 1
    checks = [item["check"] for item in document["none"]["checklist"]]
    assert COGNITO_LOG_CHECK["read"] in checks and len(checks) == len(CHECKLIST)
    main(["why", asked, "--from", "2024-05-01", "--until", "2024-05-02", "--local", str(root)])
    out = capsys.readouterr().out
    assert out.index("Cognito logged 3") < out.index("no trace in this log")
    assert "Left out: 1 SMS error of the pools (not about email); 1 log record not in Cognito's form." in out


def test_a_copy_without_cognito_s_log_says_it_is_not_collected_and_where_to_look(capsys, copy):
    _, without, _ = copy
    document = why_json(capsys, "nobody@example.net", "--local", str(without))
    assert document["cognito"] == {"collected": False}
    assert COGNITO_LOG_CHECK["elsewhere"] in [item["check"] for item in document["none"]["checklist"]]
    assert "cognito" not in why_json(
        capsys, "0100018f3f878bc2-0ffced2d-9518-4932-b2d0-e7f377448e90-000000", "--local", str(without)
    )


def test_the_page_shows_the_errors_escaped_and_its_json_is_why_s(capsys, copy, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(copy[0], root)
    at = START + timedelta(hours=2)
    hostile = record(at, "<script>alert(1)</script> \u202e")
    write_object(root, at, [subscription_message([hostile], log_group="g")], uuid.UUID(int=99, version=4))
    site = Site(lambda progress: LocalEngine(root, progress), "a copy", wait_seconds=60)
    client = TestClient(create_app(site, {"testserver"}))
    range_ = {"from": "2024-05-01", "until": "2024-05-02"}
    page = client.get("/", params={"q": "nobody@example.net", **range_})
    assert page.status_code == 200 and '<section class="cognito">' in page.text
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "\u202e" not in page.text  # a bidirectional override from the log is written out
    answered = client.get("/", params={"q": "nobody@example.net", **range_, "format": "json"}).json()
    assert answered["cognito"] == why_json(capsys, "nobody@example.net", "--local", str(root))["cognito"]
    for error in answered["cognito"]["errors"]:
        assert f'<span class="status">{escape(error["status"])}</span>' in page.text


# On Athena: the stack's table, the one query.


class RecordingAthena:
    def __init__(self, rows):
        self.rows, self.asked = rows, []

    def run(self, sql, parameters):
        self.asked.append((sql, parameters))
        return type("Result", (), {"rows": self.rows, "summary": lambda self: ""})()


def test_athena_runs_the_saved_query_on_the_stack_s_table_and_a_stack_without_one_is_not_asked():
    at = datetime(2024, 5, 2, 6, tzinfo=UTC)
    row = {"log_time": str(int(at.timestamp() * 1000)), "record": json.dumps(record(at, unverified("a@example.jp")))}
    athena = RecordingAthena([row, {"log_time": "1", "record": "not json"}])
    engine = AthenaEngine(athena, partitioning="date", table="events", cognito_table="cognito_errors")
    found = answer.report(engine, "a@example.jp", TimeRange(START, START + timedelta(days=2)))
    ((sql, parameters),) = athena.asked
    assert sql == QUERY.render(SCHEME, "cognito_errors").sql
    assert parameters == ["'2024-05-01'", "'2024-05-02'"]
    assert found.scope == "named" and found.named[0].reading.kind == "unverified/recipient" and found.unreadable == 1
    span = TimeRange(START, START + timedelta(days=2))
    assert answer.report(AthenaEngine(athena, partitioning="date", table="events"), "a@example.jp", span) is None
    assert len(athena.asked) == 1


def test_the_guide_lists_every_kind_with_what_it_means_and_who_acts():
    text = (Path(__file__).resolve().parents[1] / "docs" / "investigating.md").read_text(encoding="utf-8")
    for kind, verdict in COGNITO.items():
        actor = f"`{verdict.actor}`" if verdict.actor else "(none)"
        assert f"| `{kind}` | {verdict.status} | {actor} |" in text, kind


def test_the_on_call_policy_lets_athena_and_download_read_cognito_s_log():
    text = (Path(__file__).resolve().parents[1] / "docs" / "permissions.md").read_text(encoding="utf-8")
    policy = json.loads(re.search(r"```json\n(.*?)```", text, re.DOTALL).group(1))
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert f"arn:aws:glue:REGION:ACCOUNT:table/DATABASE/{TABLE_NAME}" in by_sid["ReadTheTableDefinition"]["Resource"]
    assert f"{COGNITO_PREFIX}*" in by_sid["ListEventsAndResults"]["Condition"]["StringLike"]["s3:prefix"]
    assert f"arn:aws:s3:::BUCKET/{COGNITO_PREFIX}*" in by_sid["ReadEventsAndResults"]["Resource"]


def test_why_on_the_stack_reads_the_cognito_table_the_stack_names(capsys, monkeypatch):
    """The command on Athena (botocore's Stubber): the events, then Cognito's errors from SESLOG_COGNITO_TABLE (the stack
    output cognitoErrorTable), as the saved query asks for them."""
    client = boto3.client("athena", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
    monkeypatch.setattr(cli, "client", lambda service, region: client)
    monkeypatch.setattr("seslog.athena.time.sleep", lambda s: None)
    stack_environment(monkeypatch)
    monkeypatch.setenv("SESLOG_COGNITO_TABLE", TABLE_NAME)
    asked = "taro@example.jp"
    at = datetime(2024, 5, 2, 6, tzinfo=UTC)
    row = {"log_time": int(at.timestamp() * 1000), "user_pool_id": POOL, "details": "x"}
    row["record"] = json.dumps(record(at, unverified(asked)))
    days = ["'2024-05-01'", "'2024-05-02'"]
    with Stubber(client) as stubber:
        expect_start(stubber, "recipient-events", "date", [*days, *days, f"'{asked}'"])
        expect_results(stubber, "recipient-events", [])
        expect_start(stubber, "address-variants", "date", [*days, *days, f"'{asked}'", f"'{asked}'"])
        expect_results(stubber, "address-variants", [])
        stubber.add_response(
            "start_query_execution",
            {"QueryExecutionId": QUERY_ID},
            {
                "QueryString": QUERY.render(SCHEME, TABLE_NAME).sql,
                "WorkGroup": WORKGROUP,
                "QueryExecutionContext": CONTEXT,
                "ExecutionParameters": days,
            },
        )
        expect_results(stubber, "cognito-errors", [row])
        main(["why", asked, "--from", "2024-05-01", "--until", "2024-05-02", "--no-aws", "--json"])
        stubber.assert_no_pending_responses()
    document = json.loads(capsys.readouterr().out)
    assert document["cognito"]["scope"] == "named" and document["cognito"]["errors"][0]["kind"] == "unverified/recipient"
    assert COGNITO_LOG_CHECK["read"] in [item["check"] for item in document["none"]["checklist"]]


@pytest.mark.parametrize(
    ("details", "named"),
    [
        (unverified("Taro@Example.jp"), True),
        (unverified("taro@example.jp."), True),
        (unverified("taro@example.jp, jiro@example.jp"), True),
        (unverified("xtaro@example.jp"), False),
        (unverified("taro@example.jpn"), False),
        (unverified("taro@example.jp.com"), False),
        (unverified("a.taro@example.jp"), False),
    ],
)
def test_an_error_names_an_address_only_whole(details, named):
    assert CognitoError(datetime(2024, 5, 1, tzinfo=UTC), POOL, details).names("taro@example.jp") is named
