"""The one SES event schema covers every field SES publishes."""

import json

from seslog.eventlog.events import EVENT_TYPES
from seslog.eventlog.schema import DETAILS, EMPTY_DETAILS, RECORD, Array, Map, Struct, Type, glue_columns


def uncovered(value, type_: Type, path: str) -> list[str]:
    """Paths in a JSON value that the schema type does not describe."""
    if isinstance(type_, Struct):
        assert isinstance(value, dict), path
        missing = []
        for key, child in value.items():
            field = type_.field(key)
            if field is None:
                missing.append(f"{path}.{key}")
            else:
                missing += uncovered(child, field.type, f"{path}.{key}")
        return missing
    if isinstance(type_, Array):
        assert isinstance(value, list), path
        return [m for i, item in enumerate(value) for m in uncovered(item, type_.element, f"{path}[{i}]")]
    if isinstance(type_, Map):
        assert isinstance(value, dict), path
        return [m for k, v in value.items() for m in uncovered(v, type_.value, f"{path}[{k!r}]")]
    assert not isinstance(value, (dict, list)), f"{path} is nested but the schema says {type_.hive()}"
    return []


def test_schema_covers_every_field_of_the_sample_records(sample_records):
    for name, record in sample_records.items():
        body = {k: v for k, v in record.items() if k not in EMPTY_DETAILS or v != {}}
        assert uncovered(body, RECORD, name) == []


def test_uncovered_finds_a_field_the_schema_lacks(sample_records):
    record = dict(sample_records["Bounce"])
    record["bounce"] = {**record["bounce"], "newField": "x"}
    assert uncovered(record, RECORD, "Bounce") == ["Bounce.bounce.newField"]


def test_every_event_type_has_its_detail_column():
    for event in EVENT_TYPES:
        assert event.detail_key in DETAILS or event.detail_key in EMPTY_DETAILS, event
    assert set(DETAILS) | set(EMPTY_DETAILS) == {e.detail_key for e in EVENT_TYPES}


def test_documented_fields_of_the_types_without_samples_are_present():
    # AWS_FACTS.md field lists for the three types the sample folder lacks.
    assert [f.name for f in DETAILS["failure"].fields] == ["templateName", "errorMessage"]
    delay = DETAILS["deliveryDelay"]
    assert {f.name for f in delay.fields} == {"delayType", "delayedRecipients", "expirationTime", "reportingMTA", "timestamp"}
    sub = DETAILS["subscription"]
    assert {f.name for f in sub.fields} == {"contactList", "timestamp", "source", "newTopicPreferences", "oldTopicPreferences"}
    prefs = sub.field("newTopicPreferences").type
    assert (
        prefs.hive()
        == "struct<unsubscribeall:boolean,topicsubscriptionstatus:array<struct<topicname:string,subscriptionstatus:string>>>"
    )


def test_glue_columns_are_lower_case_hive_types():
    columns = glue_columns()
    assert [c["name"] for c in columns][:2] == ["eventtype", "mail"]
    for column in columns:
        assert column["name"] == column["name"].lower()
        assert column["type"] == column["type"].lower()
    mail = next(c for c in columns if c["name"] == "mail")["type"]
    assert "tags:map<string,array<string>>" in mail
    assert "commonheaders:struct<from:array<string>,to:array<string>" in mail


def test_shipped_samples_are_the_guides_records(sample_records):
    from seslog.eventlog.generator import SAMPLES_DIR

    shipped = {p.stem: json.loads(p.read_text()) for p in sorted(SAMPLES_DIR.glob("*.json"))}
    assert shipped == sample_records


# The detail objects of real SES records published in open-source projects' fixtures (IDs with
# the send time in them, real MTAs): fields the guide's tables leave out show up here.
REAL_DETAILS = {
    # vercel/examples, lambda-local examples/event_ses_recv_email.js (a Delivery, us-west-2, 2017)
    "delivery": {
        "timestamp": "2017-07-05T20:01:21.302Z",
        "processingTimeMillis": 529,
        "recipients": ["jeff@amazon.com"],
        "smtpResponse": "250 ok: Message 122614849 accepted",
        "remoteMtaIp": "207.171.188.9",
        "reportingMTA": "a27-42.smtp-out.us-west-2.amazonses.com",
    },
    # janis-commerce/aws-listener-test, lib/events/sns.js (a Bounce, us-east-1, 2020)
    "bounce": {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [
            {"emailAddress": "joe.doe@example.com", "action": "failed", "status": "5.1.1", "diagnosticCode": ""}
        ],
        "timestamp": "2020-02-04T20:48:45.160Z",
        "feedbackId": "0100017011f66429-07b35c07-28bf-4f6c-a4de-092962178f3f-000000",
        "remoteMtaIp": "173.194.207.26",
        "reportingMTA": "dsn; a8-61.smtp-out.amazonses.com",
    },
}


def test_the_schema_holds_the_fields_of_real_records():
    for key, detail in REAL_DETAILS.items():
        assert uncovered(detail, DETAILS[key], key) == []
    assert DETAILS["delivery"].field("remoteMtaIp").type.hive() == "string"
    assert DETAILS["bounce"].field("remoteMtaIp").type.hive() == "string"


def test_generated_deliveries_and_remote_bounces_name_the_receiving_server(sample_records):
    from seslog.eventlog.generator import Mix, all_samples, generate

    samples = all_samples({r["eventType"]: r for r in sample_records.values()})
    records = [record for _, record in generate(samples, seed=3, messages=300, recipients=40, mix=Mix(bounce=0.3))]
    deliveries = [r["delivery"] for r in records if r["eventType"] == "Delivery"]
    assert deliveries and all(d["remoteMtaIp"].startswith("203.0.113.") for d in deliveries)
    bounces = [r["bounce"] for r in records if r["eventType"] == "Bounce"]
    suppressed = ("Suppressed", "OnAccountSuppressionList")
    assert {b["bounceSubType"] in suppressed for b in bounces} == {True, False}
    assert all(("remoteMtaIp" in b) != (b["bounceSubType"] in suppressed) for b in bounces)
