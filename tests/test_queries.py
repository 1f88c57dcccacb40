"""The named investigation queries, run with DuckDB on data laid out as Firehose writes it.

One generated data set (two days of sending, twenty recipients, all ten event types) is written in every
format and scheme; each query's answer must be what the generated events say (worked out in
tests/investigation_model.py), the same in every layout, and must come from the partitions the
query names. The queries the workgroup saves are these queries rendered for the stack."""

import dataclasses
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from offline.program import evaluate
from seslog.eventlog.events import BY_RECORD_NAME, EVENT_TYPES
from seslog.eventlog.generator import Mix, all_samples, generate
from seslog.eventlog.layout import StreamSettings, write_layout
from seslog.eventlog.local import LocalEvents, detect
from seslog.eventlog.partitioning import EVENT_TYPE_COLUMN, SCHEMES, SENT, SENT_COLUMN, Scheme
from seslog.eventlog.queries import FRAGMENTS_DIR, LOOKAHEAD_DAYS, QUERIES, NamedQuery, QueryError
from seslog.eventlog.schema import DETAILS, RECORD, Struct
from tests.investigation_model import Model, day, detail, event_time
from tests.shared_data import shared_directory, shared_layouts

START = datetime(2024, 5, 1, tzinfo=UTC)
FIRST, LAST = "2024-05-01", "2024-05-02"
MIX = Mix(
    reject=0.03, rendering_failure=0.03, bounce=0.08, delay=0.08, complaint=0.04, subscription=0.04, suppressed_complaint=0.01
)
# Every format and scheme once. ORC is written uncompressed to keep the test fast (its SNAPPY and
# ZLIB objects read back exactly in test_schema_roundtrip).
LAYOUTS = [
    ("json", "none", "UNCOMPRESSED"),
    ("json", "date", "GZIP"),
    ("json", "hour", "HADOOP_SNAPPY"),
    ("json", "event-type", "GZIP"),
    ("parquet", "none", "GZIP"),
    ("parquet", "date", "SNAPPY"),
    ("parquet", "hour", "UNCOMPRESSED"),
    ("parquet", "event-type", "SNAPPY"),
    ("orc", "none", "NONE"),
    ("orc", "date", "NONE"),
    ("orc", "hour", "NONE"),
    ("orc", "event-type", "NONE"),
    # One format by send day: JSON and ORC by send day have their timeline read back in
    # tests/test_send_date.py; every query on each here would cost suite time and prove no more.
    ("parquet", "send-date", "SNAPPY"),
]
STREAM = StreamSettings(buffer_size_mib=64, buffer_interval_seconds=900)


@pytest.fixture(scope="session")
def samples(sample_records):
    return all_samples({r["eventType"]: r for r in sample_records.values()})


@pytest.fixture(scope="session")
def generated(samples):
    return list(generate(samples, seed=20240501, start=START, days=2, messages=150, recipients=20, mix=MIX))


@pytest.fixture(scope="session")
def model(generated) -> Model:
    return Model(generated)


@pytest.fixture(scope="session")
def layouts(generated, tmp_path_factory) -> dict[str, LocalEvents]:
    roots = shared_layouts(tmp_path_factory, "query-layouts", generated, LAYOUTS, STREAM)
    return {name: LocalEvents(root) for name, root in roots.items()}


@pytest.fixture(params=[f"{f}-{s}" for f, s, _ in LAYOUTS])
def events(request, layouts) -> LocalEvents:
    return layouts[request.param]


def run(events: LocalEvents, query: str, **values: str) -> list[dict]:
    return events.run(query, values).records()


def test_the_data_set_has_every_event_type_over_several_days_and_recipients(model):
    assert {r["eventType"] for r in model.records} == {e.record_name for e in EVENT_TYPES}
    assert {day(r["mail"]["timestamp"]) for r in model.records} == {FIRST, LAST}
    assert len({a for r in model.records for a in r["mail"]["destination"]}) >= 20
    assert any(not r["mail"]["commonHeaders"]["subject"].isascii() for r in model.records if "commonHeaders" in r["mail"])


def test_each_layout_is_read_as_the_format_and_scheme_it_was_written_in(layouts):
    for f, s, _ in LAYOUTS:
        assert detect(layouts[f"{f}-{s}"].root) == (f, s)
        assert (layouts[f"{f}-{s}"].format, layouts[f"{f}-{s}"].scheme.name) == (f, s)


def test_the_timeline_of_a_bounced_message_shows_send_then_bounce_with_the_diagnostic_code(events, model):
    message = next(m for m, records in model.messages.items() if [r["eventType"] for r in records] == ["Send", "Bounce"])
    bounce = model.messages[message][1]
    rows = run(
        events, "message-timeline", message_id=message, from_date=day(model.sent(message)), to_date=day(model.sent(message))
    )
    assert [(r["event_time"], r["event_type"]) for r in rows] == model.timeline(message)
    assert [r["event_type"] for r in rows] == ["Send", "Bounce"]
    recipient = detail(bounce)["bouncedRecipients"][0]
    assert recipient["diagnosticCode"] in rows[1]["detail"]
    assert rows[1]["detail"].startswith(f"{detail(bounce)['bounceType']}/{detail(bounce)['bounceSubType']}: ")
    assert rows[1]["recipients"] == recipient["emailAddress"]


def test_the_timeline_finds_events_on_the_days_after_sending(events, model):
    """Asked for the day a message was sent, it still shows the delays, deliveries and opens of
    the following days."""

    def span(message: str) -> int:
        days = [datetime.fromisoformat(day(event_time(r))) for r in model.messages[message]]
        return (max(days) - min(days)).days

    message = max(sorted(model.messages), key=span)
    assert span(message) >= 2
    sent = day(model.sent(message))
    rows = run(events, "message-timeline", message_id=message, from_date=sent, to_date=sent)
    assert [(r["event_time"], r["event_type"]) for r in rows] == model.timeline(message)
    assert all(r["detail"] is not None for r in rows if r["event_type"] != "Send")


def test_a_rejected_message_shows_send_before_the_reject_at_the_same_time(events, model):
    message = next(m for m, records in model.messages.items() if records[-1]["eventType"] == "Reject")
    sent = day(model.sent(message))
    rows = run(events, "message-timeline", message_id=message, from_date=sent, to_date=sent)
    assert [(r["event_type"], r["detail"]) for r in rows] == [("Send", None), ("Reject", "Bad content")]
    assert rows[0]["event_time"] == rows[1]["event_time"] == model.sent(message)


def test_recipient_messages_finds_exactly_the_messages_sent_to_the_address(events, model):
    counts = {}
    for records in model.messages.values():
        for address in records[0]["mail"]["destination"]:
            counts[address] = counts.get(address, 0) + 1
    address = max(sorted(counts), key=counts.get)
    rows = run(events, "recipient-messages", address=address.upper(), from_date=FIRST, to_date=LAST)
    expected = model.recipient_messages(address, FIRST, LAST)
    assert len(expected) == counts[address] >= 10
    assert [(r["message_id"], r["status"], r["opens"], r["clicks"]) for r in rows] == expected
    one_day = run(events, "recipient-messages", address=address, from_date=LAST, to_date=LAST)
    assert [r["message_id"] for r in one_day] == [m for m, *_ in model.recipient_messages(address, LAST, LAST)]


def test_a_message_to_several_recipients_has_a_status_per_recipient(events, model):
    message = next(
        m
        for m, records in model.messages.items()
        if {"Bounce", "Delivery"} <= {r["eventType"] for r in records} and len(records[0]["mail"]["destination"]) > 1
    )
    records = model.messages[message]
    bounced = next(detail(r)["bouncedRecipients"][0]["emailAddress"] for r in records if r["eventType"] == "Bounce")
    delivered = next(detail(r)["recipients"][0] for r in records if r["eventType"] == "Delivery")
    sent = day(model.sent(message))
    statuses = {}
    for address in (bounced, delivered):
        rows = run(events, "recipient-messages", address=address, from_date=sent, to_date=sent)
        statuses[address] = next(r["status"] for r in rows if r["message_id"] == message)
    assert statuses[bounced] == "Bounce"
    assert statuses[delivered] in ("Delivery", "Complaint")


EVENT_FACTS = [
    "message_id",
    "sent_at",
    "sender",
    "subject",
    "destinations",
    "event_time",
    "event_type",
    "bounce_type",
    "bounce_subtype",
    "reporting_mta",
    "remote_mta_ip",
    "smtp_response",
    "processing_time_ms",
    "delay_type",
    "expiration_time",
    "complaint_type",
    "reject_reason",
    "template_name",
    "template_error",
    "recipient",
    "diagnostic_code",
    "status",
]


def test_recipient_events_are_every_event_concerning_the_address_with_its_facts(events, model):
    address = max(sorted(model.addresses()), key=lambda a: len(model.recipient_messages(a, FIRST, LAST)))
    result = events.run("recipient-events", {"address": address.upper(), "from_date": FIRST, "to_date": LAST})
    assert result.columns == EVENT_FACTS
    rows = result.records()
    assert [(r["message_id"], r["event_type"], r["event_time"]) for r in rows] == model.recipient_events(address, FIRST, LAST)
    bounced = [r for r in rows if r["event_type"] == "Bounce"]
    assert all(r["bounce_type"] and r["bounce_subtype"] and r["diagnostic_code"] for r in bounced)
    # Each failure carries the address's own reply and DSN status, as the event lists them for it.
    failed = [r for r in rows if r["event_type"] in ("Bounce", "DeliveryDelay")]
    assert failed
    for row in failed:
        assert (row["diagnostic_code"], row["status"]) == model.reply(row["message_id"], row["event_time"], address)
    assert all(r["smtp_response"] and r["reporting_mta"] for r in rows if r["event_type"] == "Delivery")


def test_message_events_are_each_event_once_per_recipient_it_concerns(events, model):
    message = next(m for m, records in model.messages.items() if len(records[0]["mail"]["destination"]) > 1 and len(records) > 3)
    rows = events.run("message-events", {"message_id": message, "from_date": FIRST, "to_date": LAST}).records()
    assert [(r["recipient"], r["event_type"], r["event_time"]) for r in rows] == model.message_events(message)


def test_address_variants_find_the_other_plus_labels_of_an_address(samples, tmp_path):
    mail = {**samples["Send"]["mail"], "timestamp": "2024-05-01T12:00:00.000Z"}
    records = [
        {"eventType": "Send", "mail": {**mail, "messageId": f"m{n}", "destination": [to]}, "send": {}}
        for n, to in enumerate(["Taro+News@example.jp", "taro+news@example.jp", "taro@example.jp", "jiro+news@example.jp"])
    ]
    write_layout([(datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC), r) for r in records], tmp_path, format="json", partitioning="date")
    local = LocalEvents(tmp_path)
    values = {"from_date": FIRST, "to_date": FIRST}
    assert local.run("address-variants", {"address": "TARO@example.jp", **values}).records() == [
        {"address": "taro+news@example.jp", "messages": 2}
    ]
    assert local.run("address-variants", {"address": "taro+other@example.jp", **values}).records() == [
        {"address": "taro+news@example.jp", "messages": 2},
        {"address": "taro@example.jp", "messages": 1},
    ]


def test_bounces_and_complaints_by_domain_and_by_address(events, model):
    domain = "example.jp"
    rows = run(events, "bounces-complaints", recipient=domain.upper(), from_date=FIRST, to_date=LAST)
    expected = model.bounces_complaints(domain, FIRST, LAST)
    assert {t for _, t, _, _ in expected} == {"Bounce", "Complaint"}
    assert [(r["event_time"], r["event_type"], r["recipient"], r["message_id"]) for r in rows] == expected
    address = expected[0][2]
    rows = run(events, "bounces-complaints", recipient=address, from_date=LAST, to_date=LAST)
    assert [(r["event_time"], r["event_type"], r["recipient"], r["message_id"]) for r in rows] == model.bounces_complaints(
        address, LAST, LAST
    )


def test_failed_recipients_are_each_address_s_replies_at_the_domains_asked(events, model):
    rows = run(events, "failed-recipients", domains="EXAMPLE.jp,example.org", from_date=FIRST, to_date=LAST)
    expected = model.failed_recipients({"example.jp", "example.org"}, FIRST, LAST)
    assert expected and {r["recipient"].split("@")[1] for r in rows} == {"example.jp", "example.org"}
    assert sorted((r["recipient"], r["event_type"], r["diagnostic_code"], r["status"], r["events"]) for r in rows) == expected


def test_failure_reasons_count_bounces_and_delays_by_domain_and_reply(events, model):
    rows = run(events, "failure-reasons", from_date=FIRST, to_date=LAST)
    expected = model.failure_reasons(FIRST, LAST)
    assert (
        sorted((r["domain"], r["event_type"], r["diagnostic_code"], r["status"], r["events"], r["recipients"]) for r in rows)
        == expected
    )


def test_sending_problems_lists_rejects_rendering_failures_and_delays(events, model, samples):
    rows = run(events, "sending-problems", from_date=LAST, to_date=LAST)
    expected = model.sending_problems(LAST, LAST)
    assert {t for _, t, _ in expected} == {"Reject", "Rendering Failure", "DeliveryDelay"}
    assert [(r["event_time"], r["event_type"], r["message_id"]) for r in rows] == expected
    failure = samples["Rendering Failure"]["failure"]
    for row in rows:
        if row["event_type"] == "Rendering Failure":
            assert row["detail"] == f"{failure['templateName']}: {failure['errorMessage']}"
        if row["event_type"] == "DeliveryDelay":
            assert re.fullmatch(r"\w+: smtp; 4\d\d .+", row["detail"]), row["detail"]


def test_daily_counts_count_every_event_by_day_and_type(events, model):
    # The last messages' events go on for days after the last day of sending.
    rows = run(events, "daily-counts", from_date=FIRST, to_date="2024-05-06")
    assert [(r["day"], r["event_type"], r["events"]) for r in rows] == model.daily_counts(FIRST, "2024-05-06")
    assert sum(r["events"] for r in rows) == len(model.records)


def test_message_status_has_one_row_per_message_with_its_latest_status(events, model):
    rows = run(events, "message-status", from_date=LAST, to_date=LAST)
    assert [(r["message_id"], r["status"], r["opens"], r["clicks"]) for r in rows] == model.message_status(LAST, LAST)
    assert {r["status"] for r in rows} >= {"Delivery", "Bounce", "Reject", "Rendering Failure"}


def test_every_layout_answers_alike(layouts, model):
    """Whole rows, subjects and details included, are the same in every format and scheme."""
    asked = {
        "message-status": {"from_date": FIRST, "to_date": LAST},
        "sending-problems": {"from_date": FIRST, "to_date": LAST},
        "bounces-complaints": {"recipient": "example.com", "from_date": FIRST, "to_date": LAST},
    }
    for name, values in asked.items():
        answers = {key: events.run(name, values).rows for key, events in layouts.items()}
        baseline = answers["json-none"]
        assert baseline, name
        assert {key for key, rows in answers.items() if rows != baseline} == set(), name
    assert any(
        not row[3].isascii() for row in layouts["orc-event-type"].run("message-status", asked["message-status"]).rows if row[3]
    )


# Partition filters. A record placed in a partition outside a query's days must not be read, in
# any format; under `none` there is nothing to prune, so it is.

STRAY_ARRIVAL = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)
STRAY_VALUES = {
    "message-timeline": {"message_id": "stray-message", "from_date": FIRST, "to_date": FIRST},
    "recipient-messages": {"address": "stray@example.org", "from_date": FIRST, "to_date": FIRST},
    "bounces-complaints": {"recipient": "stray@example.org", "from_date": FIRST, "to_date": FIRST},
    "sending-problems": {"from_date": FIRST, "to_date": FIRST},
    "daily-counts": {"from_date": FIRST, "to_date": FIRST},
    "message-status": {"from_date": FIRST, "to_date": FIRST},
    "recipient-events": {"address": "stray@example.org", "from_date": FIRST, "to_date": FIRST},
    "message-events": {"message_id": "stray-message", "from_date": FIRST, "to_date": FIRST},
    "address-variants": {"address": "stray+label@example.org", "from_date": FIRST, "to_date": FIRST},
    "failed-recipients": {"domains": "example.org", "from_date": FIRST, "to_date": FIRST},
    "failure-reasons": {"from_date": FIRST, "to_date": FIRST},
}


def stray_records(samples) -> list[dict]:
    """A message sent on the first day whose records reach Firehose weeks later."""
    mail = {
        **samples["Send"]["mail"],
        "timestamp": "2024-05-01T12:00:00.000Z",
        "messageId": "stray-message",
        "destination": ["stray@example.org"],
    }
    bounce = {**samples["Bounce"]["bounce"], "timestamp": "2024-05-01T12:00:30.000Z"}
    bounce["bouncedRecipients"] = [{**bounce["bouncedRecipients"][0], "emailAddress": "stray@example.org"}]
    delay = {**samples["DeliveryDelay"]["deliveryDelay"], "timestamp": "2024-05-01T12:00:10.000Z"}
    return [
        {"eventType": "Send", "mail": mail, "send": {}},
        {"eventType": "DeliveryDelay", "mail": mail, "deliveryDelay": delay},
        {"eventType": "Bounce", "mail": mail, "bounce": bounce},
    ]


def _by_message(name: str) -> bool:
    """Whether the query looks for messages' events by their send days (``{sent_partitions}``)."""
    return "{sent_partitions}" in QUERIES[name].template


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_a_record_in_a_partition_outside_the_window_is_not_read(samples, tmp_path, scheme):
    """Records of a message sent on the first day that reach Firehose weeks later: under the
    arrival-day schemes they lie outside every window of that day; under send-date the message
    queries find them in its send day's partition, and the event-day queries do not read them."""
    write_layout([(STRAY_ARRIVAL, r) for r in stray_records(samples)], tmp_path, format="json", partitioning=scheme)
    local = LocalEvents(tmp_path)
    read = {
        name: any("stray" in str(row) for row in local.run(name, STRAY_VALUES[name]).records())
        for name in QUERIES
        if name not in ("daily-counts", "failure-reasons")
    }
    counts = {(r["day"], r["event_type"]): r["events"] for r in local.run("daily-counts", STRAY_VALUES["daily-counts"]).records()}
    read["daily-counts"] = ("2024-05-01", "Bounce") in counts
    # Counts by domain name no address: the stray records are the layout's only ones.
    read["failure-reasons"] = bool(local.run("failure-reasons", STRAY_VALUES["failure-reasons"]).records())
    by_send_day = SCHEMES[scheme].key(SENT) is not None
    assert read == {name: scheme == "none" or (by_send_day and _by_message(name)) for name in QUERIES}


def decoy_folders(scheme: Scheme, name: str) -> list[str]:
    """Partition folders a query must not open: days far from the data, and, when it asks for
    some event types under the event-type scheme, the folders of the other types."""
    folders = []
    for key in scheme.keys:
        values = {"dt": ["2099-01-01"], "hour": ["00"], EVENT_TYPE_COLUMN: ["SEND"], SENT_COLUMN: ["2099-01-01"]}[key.column]
        folders = [f"{f}{key.column}={v}/" for f in folders or [""] for v in values]
    wanted = re.search(r"\{event_types\(([^)]*)\)\}", QUERIES[name].template)
    if wanted and EVENT_TYPE_COLUMN in scheme.columns:
        others = sorted({e.api_name for e in EVENT_TYPES} - {t.strip() for t in wanted.group(1).split(",")})
        folders += [f"{EVENT_TYPE_COLUMN}={t}/dt={FIRST}/" for t in others]
    by_send_day = "{sent_partitions}" in QUERIES[name].template or "{send_event_partitions}" in QUERIES[name].template
    if by_send_day and SENT_COLUMN in scheme.columns:
        # Arrived on the day asked for, another send day: only the send key keeps the query out.
        folders.append(f"{SENT_COLUMN}=2099-12-31/dt={FIRST}/")
    return folders


def data_values(model: Model, name: str) -> dict[str, str]:
    """Values for which a query finds some of the generated events."""
    message, records = next(iter(model.messages.items()))
    given = {
        "message_id": message,
        "address": records[0]["mail"]["destination"][0],
        "recipient": "example.com",
        "domains": "example.com,example.net,example.org,example.jp,example.co.jp,mail.example.ne.jp",
        "from_date": FIRST,
        "to_date": FIRST,
    }
    if name == "address-variants":
        # The generated addresses have no plus-label: ask for a labelled form, which finds the address itself.
        given["address"] = given["address"].replace("@", "+label@")
    return {p.name: given[p.name] for p in QUERIES[name].parameters}


DECOYS = {"parquet": "zz-unreadable.parquet", "json": "zz-unreadable.json.gz", "orc": "zz-unreadable.orc"}
"""An object of each format that cannot be read (the JSON one is not gzip)."""


@pytest.fixture(scope="session")
def first_days(layouts, tmp_path_factory) -> dict[str, Path]:
    """The objects of the first day (``dt``) of each partitioned layout: what the queries asked
    for that day find, in a fraction of the objects."""

    def copy(root: Path) -> None:
        for name, events in layouts.items():
            for path in events.root.rglob("*"):
                key = path.relative_to(events.root)
                if path.is_file() and f"dt={FIRST}" in key.parts:
                    (root / name / key).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, root / name / key)

    root = shared_directory(tmp_path_factory, "query-first-days", copy)
    return {name: root / name for name in layouts if (root / name).is_dir()}


@pytest.fixture(scope="session")
def decoyed(first_days, tmp_path_factory) -> Callable[[str, tuple[str, ...]], tuple[LocalEvents, LocalEvents]]:
    """(the first day of a layout, that day with an unreadable object in each of ``folders``), each
    opened once per worker; the decoyed copy is written once per run for each set of folders
    (hard links to the first day's objects, which no test changes)."""
    clean: dict[str, LocalEvents] = {}
    with_decoys: dict[tuple[str, tuple[str, ...]], LocalEvents] = {}

    def write(root: Path, layout: str, folders: tuple[str, ...]) -> None:
        format = layout.split("-", 1)[0]
        shutil.copytree(first_days[layout], root, dirs_exist_ok=True, copy_function=os.link)
        for folder in folders:
            (root / "events" / folder).mkdir(parents=True, exist_ok=True)
            (root / "events" / folder / DECOYS[format]).write_bytes(f"not a {format} object".encode())

    def open_pair(layout: str, folders: tuple[str, ...]) -> tuple[LocalEvents, LocalEvents]:
        if layout not in clean:
            clean[layout] = LocalEvents(first_days[layout])
        if (layout, folders) not in with_decoys:
            digest = hashlib.sha256("\n".join(folders).encode()).hexdigest()[:12]
            root = shared_directory(tmp_path_factory, f"decoyed-{layout}-{digest}", lambda r: write(r, layout, folders))
            with_decoys[layout, folders] = LocalEvents(root)
        return clean[layout], with_decoys[layout, folders]

    return open_pair


@pytest.mark.parametrize(("format", "scheme"), [(f, s) for f, s, _ in LAYOUTS if s != "none"])
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_duckdb_prunes_the_partitions_a_query_does_not_name(decoyed, model, format, scheme, name):
    """Unreadable objects in partitions outside a query's days (and event types) do not stop it:
    the partition predicate keeps DuckDB from opening them, as it keeps Athena from listing them."""
    layout = f"{format}-{scheme}"
    events, with_decoys = decoyed(layout, tuple(decoy_folders(SCHEMES[scheme], name)))
    values = data_values(model, name)
    clean = events.run(name, values).rows
    assert clean, (name, values)
    assert (with_decoys.format, with_decoys.scheme.name) == (format, scheme)
    assert with_decoys.run(name, values).rows == clean
    with pytest.raises(Exception, match=DECOYS[format]):
        with_decoys.sql("SELECT count(*) FROM events")


# The templates: valid Athena SQL whose values are all execution parameters in WHERE clauses.


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_athena_sql_takes_every_value_as_a_where_clause_parameter(name, scheme):
    query = QUERIES[name]
    rendered = query.render(scheme, "events")
    tree = sqlglot.parse_one(rendered.sql, read="trino")
    placeholders = list(tree.find_all(exp.Placeholder))
    assert len(placeholders) == len(rendered.placeholders) == rendered.sql.count("?") <= 25  # the console's limit
    # Athena accepts `?` only in WHERE clauses (Athena guide, "Use parameterized queries").
    assert all(p.find_ancestor(exp.Where) is not None for p in placeholders)
    assert set(rendered.placeholders) == {p.name for p in query.parameters}
    values = {p.name: "x" for p in query.parameters}
    assert len(rendered.execution_parameters(values)) == len(placeholders)


def test_event_type_names_in_the_sql_are_the_ones_ses_publishes():
    compared = []
    for query in QUERIES.values():
        tree = sqlglot.parse_one(query.render("none", "events").sql, read="trino")
        for node in tree.find_all(exp.EQ, exp.In, exp.Case):
            if isinstance(node, exp.Case) and isinstance(node.this, exp.Column) and node.this.name == "eventtype":
                compared += [when.this for when in node.args["ifs"]]
            elif (
                isinstance(node, (exp.EQ, exp.In))
                and isinstance(node.this, exp.Column)
                and node.this.name in ("eventtype", "event_type")
            ):
                compared += [node.expression] if isinstance(node, exp.EQ) else node.expressions
    assert len(compared) > 10
    assert {c.name for c in compared} <= set(BY_RECORD_NAME)


def test_the_event_time_is_every_detail_timestamp_then_the_send_time():
    fragment = (FRAGMENTS_DIR / "event_time.sql").read_text()
    for key, struct in DETAILS.items():
        if struct.field("timestamp"):
            assert re.search(rf'"?{key.lower()}"?\."timestamp"', fragment), key
    assert re.search(r'mail\."timestamp"\s*\)\s*$', fragment)


def test_names_of_a_select_list_are_its_column_names_and_only_select_lists_have_them():
    columns = sqlglot.parse_one(QUERIES["message-events"].render("none", "events").sql, read="trino")
    assert columns.named_selects == EVENT_FACTS
    inner = next(s for s in columns.find_all(exp.Select) if s is not columns)
    assert inner.named_selects == [*EVENT_FACTS[:-3], "recipients", "diagnostics", "statuses"]
    for macro in ("{names(event_time)}", "{names(no_such_columns)}", "{names()}"):
        with pytest.raises(QueryError, match="unknown template macro"):
            NamedQuery("q", "", (), f"SELECT {macro} FROM {{table}}").render("none", "events")


def test_a_query_is_rendered_once_for_each_scheme_table_and_dialect():
    """Transpiling to DuckDB takes sqlglot about 10 ms; serve, mcp and why ask the same queries again."""
    query = QUERIES["message-events"]
    assert query.render("date", "events", dialect="duckdb") is query.render(SCHEMES["date"], "events", dialect="duckdb")
    assert query.render("date", "events", dialect="duckdb") is not query.render("date", "events")
    assert query.render("date", "other").sql != query.render("date", "events").sql
    own = dataclasses.replace(SCHEMES["date"], name="date")  # a scheme of the caller's own, named alike
    assert query.render(own, "events").sql == query.render("date", "events").sql
    assert query.render(own, "events") is not query.render(own, "events")


def test_values_are_checked_and_quoted_for_athena():
    query = QUERIES["recipient-messages"]
    with pytest.raises(QueryError, match="recipient-messages needs address, to_date"):
        query.check({"from_date": "2024-05-01"})
    with pytest.raises(QueryError, match="from_date '2024/05/01' is not a date yyyy-MM-dd"):
        query.check({"address": "a@example.com", "from_date": "2024/05/01", "to_date": "2024-05-02"})
    with pytest.raises(QueryError, match="from_date 2024-05-03 is after to_date 2024-05-02"):
        query.check({"address": "a@example.com", "from_date": "2024-05-03", "to_date": "2024-05-02"})
    with pytest.raises(QueryError, match="takes no message_id"):
        query.check({"address": "a", "from_date": "2024-05-01", "to_date": "2024-05-02", "message_id": "x"})
    rendered = query.render("date", "events")
    values = query.check({"address": "o'brien@example.com", "from_date": "2024-05-01", "to_date": "2024-05-02"})
    parameters = rendered.execution_parameters(values)
    assert parameters[-1] == "'o''brien@example.com'"
    assert parameters[:2] == ["'2024-05-01'", "'2024-05-02'"]


def test_the_look_ahead_covers_every_delivery_attempt():
    # SES stops trying a delivery after MaxDeliverySeconds, at most 50,400 s (SES v2 API reference).
    assert LOOKAHEAD_DAYS * 86400 > 50_400


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_workgroup_saves_every_query_rendered_for_the_stack(stack):
    ev = evaluate(stack)
    workgroup = ev.one("aws:athena/workgroup:Workgroup")
    table = ev.one("aws:glue/catalogTable:CatalogTable", name="events").inputs
    scheme = next(s for s in SCHEMES.values() if list(s.columns) == [k["name"] for k in table["partitionKeys"]])
    saved = {r.inputs["name"]: r for r in ev.of_type("aws:athena/namedQuery:NamedQuery")}
    assert set(saved) == set(QUERIES)
    for name, query in QUERIES.items():
        inputs = saved[name].inputs
        assert inputs["query"] == query.render(scheme, table["name"]).sql
        assert inputs["database"] == table["databaseName"]
        assert inputs["workgroup"] == workgroup.inputs["name"]
        assert inputs["description"] == query.athena_description(scheme, table["name"])
        assert len(inputs["description"]) <= 1024 and len(name) <= 128
        assert ev.by_urn(saved[name].parent).type == "ses-event-log:index:InvestigationWorkgroup"
    # prod partitions by event type, dev by day: the saved SQL prunes the stack's own columns.
    expected = f"{EVENT_TYPE_COLUMN} IN ('BOUNCE', 'COMPLAINT')" if stack == "prod" else "eventtype IN ('Bounce', 'Complaint')"
    assert expected in saved["bounces-complaints"].inputs["query"]


def test_the_timeline_names_the_receiving_servers_address_of_a_delivery(events, model):
    """delivery.remoteMtaIp: in real records though not in the guide's tables (seslog.eventlog.schema)."""
    message, records = next((m, rs) for m, rs in model.messages.items() if any(r["eventType"] == "Delivery" for r in rs))
    delivery = next(detail(r) for r in records if r["eventType"] == "Delivery")
    rows = run(
        events, "message-timeline", message_id=message, from_date=day(model.sent(message)), to_date=day(model.sent(message))
    )
    shown = next(r["detail"] for r in rows if r["event_type"] == "Delivery")
    assert shown == f"{delivery['smtpResponse']} (receiving server {delivery['remoteMtaIp']})"


STRUCT_COLUMNS = {f.column for f in RECORD.fields if isinstance(f.type, Struct)}


def parquet_scans(node: dict) -> list[dict]:
    """The READ_PARQUET nodes of a DuckDB JSON plan."""
    found = [node] if node.get("name") == "READ_PARQUET" else []
    return found + [scan for child in node.get("children", []) for scan in parquet_scans(child)]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_duckdb_reads_only_the_struct_fields_a_query_names_from_parquet(layouts, model, name):
    """Parquet keeps each struct field in a column of its own, which DuckDB reads for each object: a
    query that hands it a whole struct (``mail``, ``bounce``) reads every field of it, about three
    times the time of the fields the query names (message-events, what seslog why reads)."""
    events = layouts["parquet-date"]
    rendered = QUERIES[name].render(events.scheme, "events", dialect="duckdb")
    values = rendered.named_parameters(data_values(model, name))
    plans = events.sql(f"EXPLAIN (FORMAT json) {rendered.sql}", values).rows
    scans = [scan for _, plan in plans for tree in json.loads(plan) for scan in parquet_scans(tree)]
    assert scans, name
    for scan in scans:
        projected = scan["extra_info"]["Projections"]
        projected = [projected] if isinstance(projected, str) else projected
        assert not set(projected) & STRUCT_COLUMNS, (name, projected)
        assert any("." in column for column in projected), (name, projected)
