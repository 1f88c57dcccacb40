"""`seslog find`, `message` and `stats`: on generated data sets laid out as the stream writes them (``--local``,
DuckDB) in every format, and on Athena (botocore Stubber): the exact API calls, the printed answers worked
out from the generated events, the same output on both targets, and bad input as one line with a non-zero exit."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
import types
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from seslog import athena as athena_module
from seslog import cli
from seslog.cli import main
from seslog.eventlog.generator import Mix, generate, load_samples
from seslog.eventlog.layout import StreamSettings
from seslog.eventlog.local import LocalEvents, detect
from seslog.eventlog.queries import QUERIES
from tests.investigation_model import Model, day, detail, order
from tests.shared_data import shared_layouts

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2024, 5, 1, tzinfo=UTC)
FIRST, LAST = "2024-05-01", "2024-05-02"
AFTER = "2024-05-05"
HELD = "2024-05-03"
"""The last day the layouts hold objects of (the last events arrive on it)."""
"""Opens and complaints go on for two days after the last day of sending."""
MIX = Mix(
    reject=0.05, rendering_failure=0.05, bounce=0.1, delay=0.12, complaint=0.05, subscription=0.03, suppressed_complaint=0.02
)
STREAM = StreamSettings(buffer_size_mib=64, buffer_interval_seconds=900)
# Every format; dynamic (event-type) and time-only schemes; DuckDB's own Parquet reader and pyarrow's JSON/ORC path.
LAYOUTS = [
    ("json", "event-type", "GZIP"),
    ("parquet", "date", "SNAPPY"),
    ("orc", "hour", "NONE"),
    ("parquet", "event-type", "SNAPPY"),
]
NAMES = [f"{f}-{s}" for f, s, _ in LAYOUTS]


@pytest.fixture(scope="module")
def generated() -> list:
    return list(generate(load_samples(), seed=7, start=START, days=2, messages=90, recipients=12, mix=MIX))


@pytest.fixture(scope="module")
def model(generated) -> Model:
    return Model(generated)


@pytest.fixture(scope="module")
def layouts(generated, tmp_path_factory) -> dict[str, Path]:
    return shared_layouts(tmp_path_factory, "seslog-layouts", generated, LAYOUTS, STREAM)


@pytest.fixture(params=NAMES)
def layout(request, layouts) -> Path:
    return layouts[request.param]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def busiest_address(model: Model) -> str:
    counts: dict[str, int] = {}
    for records in model.messages.values():
        for address in records[0]["mail"]["destination"]:
            counts[address] = counts.get(address, 0) + 1
    return max(sorted(counts), key=counts.get)


# The local path, end to end through the command line, against what the generated events say.


def test_each_layout_is_the_format_and_scheme_it_was_written_in(layouts):
    assert {name: "-".join(detect(path)) for name, path in layouts.items()} == {n: n for n in NAMES}


def test_find_lists_every_message_to_the_address_newest_first(capsys, layout, model):
    address = busiest_address(model)
    expected = list(reversed(model.recipient_messages(address, FIRST, LAST)))
    assert len(expected) >= 10 and len({status for _, status, _, _ in expected}) >= 2

    code, out, err = run(
        capsys, "find", "--to", address.upper(), "--from", FIRST, "--until", LAST, "--local", str(layout), "--json"
    )
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert (document["address"], document["from"], document["until"]) == (address.upper(), FIRST, LAST)
    assert [(m["message_id"], m["status"], m["opens"], m["clicks"]) for m in document["messages"]] == expected
    assert [m["sent_at"] for m in document["messages"]] == sorted((model.sent(m) for m, *_ in expected), reverse=True)

    code, out, err = run(capsys, "find", "--to", address, "--from", FIRST, "--until", LAST, "--local", str(layout))
    assert (code, err) == (0, "")
    header, *lines = out.splitlines()
    assert header.split() == ["SENT_AT", "MESSAGE_ID", "STATUS", "STATUS_DETAIL", "OPENS", "CLICKS", "SUBJECT"]
    assert [line.split()[:2] for line in lines] == [[model.sent(m), m] for m, *_ in expected]
    for line, (message, status, opens, clicks) in zip(lines, expected, strict=True):
        assert f"  {status}  " in line
        subject = model.messages[message][0]["mail"].get("commonHeaders", {}).get("subject", "")
        if opens is None:  # a message to several addresses: its opens are no one's in particular, and not shown
            assert not re.search(rf"\s\d+\s+\d+(  {re.escape(subject)})?$", line), line
        else:
            assert re.search(rf"\s{opens}\s+{clicks}(  {re.escape(subject)})?$", line), line
    assert any(opens is None for _, _, opens, _ in expected) and any(opens is not None for _, _, opens, _ in expected)


def explanations(record: dict) -> list[str]:
    """What a timeline line must show for the event to explain itself."""
    kind, d = record["eventType"], detail(record)
    if kind == "Delivery":
        return [d["smtpResponse"]]
    if kind == "Bounce":
        return [f"{d['bounceType']}/{d['bounceSubType']}", *(r["diagnosticCode"] for r in d["bouncedRecipients"])]
    if kind == "DeliveryDelay":
        return [d["delayType"], *(r["diagnosticCode"] for r in d["delayedRecipients"]), d["expirationTime"]]
    if kind == "Complaint":
        return [d.get("complaintFeedbackType") or d["complaintSubType"]]
    if kind == "Reject":
        return [d["reason"]]
    if kind == "Rendering Failure":
        return [d["templateName"], d["errorMessage"]]
    return []


KINDS = ["DeliveryDelay", "Bounce", "Reject", "Rendering Failure", "Complaint"]


def test_message_shows_each_event_with_what_explains_it(capsys, layout, model):
    for kind in KINDS:
        message = next(m for m in sorted(model.messages) if kind in {r["eventType"] for r in model.messages[m]})
        records = sorted(model.messages[message], key=order)
        sent = day(model.sent(message))

        code, out, err = run(capsys, "message", message, "--from", sent, "--until", sent, "--local", str(layout))
        assert (code, err) == (0, ""), kind
        header, *lines = out.splitlines()
        assert header.split() == ["EVENT_TIME", "EVENT_TYPE", "RECIPIENTS", "DETAIL"]
        assert len(lines) == len(records) == len(model.timeline(message))
        for line, record, (at, event_type) in zip(lines, records, model.timeline(message), strict=True):
            assert re.match(rf"{re.escape(at)}  {re.escape(event_type)}\s", line), line
            assert all(fact in line for fact in explanations(record)), (line, explanations(record))

        code, out, _ = run(capsys, "message", message, "--from", sent, "--until", sent, "--local", str(layout), "--json")
        document = json.loads(out)
        assert (code, document["message_id"], document["from"], document["until"]) == (0, message, sent, sent)
        assert [(e["event_time"], e["event_type"]) for e in document["events"]] == model.timeline(message)
        assert [e["detail"] is None for e in document["events"]] == [r["eventType"] == "Send" for r in records]


def expected_counts(model: Model, first: str, last: str) -> dict[str, dict[str, int]]:
    days = [
        (date.fromisoformat(first) + timedelta(days=n)).isoformat()
        for n in range((date.fromisoformat(last) - date.fromisoformat(first)).days + 1)
    ]
    counts: dict[str, dict[str, int]] = {d: {} for d in days}
    for d, event_type, n in model.daily_counts(first, last):
        counts[d][event_type] = n
    return counts


def test_stats_counts_every_day_and_type_and_the_rates(capsys, layout, model):
    counts = expected_counts(model, FIRST, AFTER)
    totals = {t: sum(c.get(t, 0) for c in counts.values()) for t in {t for c in counts.values() for t in c}}
    assert totals["Bounce"] and totals["Complaint"] and len(counts) == 5

    code, out, err = run(capsys, "stats", "--from", FIRST, "--until", AFTER, "--local", str(layout))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    header = re.split(r"\s{2,}", lines[0])
    assert header[0] == "DAY" and {h.lower() for h in header[1:]} == {t.lower() for t in totals}
    table = {
        # A day the copy holds no objects of (past the data set's last arrival) reads "-", not zeros.
        cells[0]: dict(zip(header[1:], (0 if c == "-" else int(c) for c in cells[1:]), strict=True))
        for cells in (re.split(r"\s{2,}", line) for line in lines[1:7])
    }
    by_name = {t.upper(): t for t in totals}
    assert {d: {by_name[h]: n for h, n in row.items() if n} for d, row in table.items() if d != "total"} == counts
    assert {by_name[h]: n for h, n in table["total"].items()} == totals
    rates = {m[1]: m[2] for m in re.finditer(r"^(bounce rate|complaint rate)\s+([\d.]+)%", out, re.MULTILINE)}
    assert rates == {
        "bounce rate": f"{100 * totals['Bounce'] / totals['Send']:.2f}",
        "complaint rate": f"{100 * totals['Complaint'] / totals['Send']:.2f}",
    }
    assert "Reputation.BounceRate" in out

    code, out, _ = run(capsys, "stats", "--from", FIRST, "--until", AFTER, "--local", str(layout), "--json")
    document = json.loads(out)
    assert code == 0 and {d["day"]: d["events"] for d in document["days"]} == counts
    assert document["bounce_rate"] == pytest.approx(totals["Bounce"] / totals["Send"])
    assert document["complaint_rate"] == pytest.approx(totals["Complaint"] / totals["Send"])


def test_a_day_the_copy_lacks_is_marked_not_counted_as_zeros_and_the_rates_need_sends(capsys, layouts, model):
    # The day after sending has only late events, and no Send; the copy holds no objects of the two after it.
    expected = expected_counts(model, "2024-05-03", AFTER)
    assert expected["2024-05-03"] and "Send" not in expected["2024-05-03"] and expected["2024-05-04"] == expected[AFTER] == {}
    code, out, _ = run(
        capsys, "stats", "--from", "2024-05-03", "--until", AFTER, "--local", str(layouts["parquet-date"]), "--json"
    )
    document = json.loads(out)
    assert code == 0 and {d["day"]: d["events"] for d in document["days"]} == expected
    assert document["missing_days"] == ["2024-05-04", AFTER]
    assert document["bounce_rate"] is None and document["complaint_rate"] is None
    code, out, _ = run(capsys, "stats", "--from", "2024-05-03", "--until", AFTER, "--local", str(layouts["parquet-date"]))
    assert re.search(r"^bounce rate\s+n/a  0 Bounce|^bounce rate\s+n/a  \d+ Bounce / 0 Send events$", out, re.MULTILINE), out
    assert re.search(r"^2024-05-04\s+(-\s+)*-$", out, re.MULTILINE), out
    assert "Not in this copy: The local copy holds no objects that arrived on 2024-05-04 to 2024-05-05 (UTC)" in out


# Athena: the same commands with the stack's workgroup, through botocore's Stubber.

QUERY_ID = "5c1e0000-0000-4000-8000-00000000beef"
WORKGROUP, DATABASE = "ses-event-log-dev", "ses_event_log_dev"
CONTEXT = {"Database": DATABASE, "Catalog": "AwsDataCatalog"}


class FakeTime:
    """Stands in for seslog.athena's ``time``: the clock moves only when the runner sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def stack_environment(monkeypatch) -> None:
    """The stack's values as SESLOG_* variables, so that seslog asks Athena (in eu-west-1) without pulumi."""
    for name, value in {
        "WORKGROUP": WORKGROUP,
        "DATABASE": DATABASE,
        "TABLE": "events",
        "PARTITIONING": "date",
        "REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(f"SESLOG_{name}", value)


@pytest.fixture
def athena(monkeypatch):
    client = boto3.client("athena", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    fake = FakeTime()
    monkeypatch.setattr(athena_module, "time", types.SimpleNamespace(monotonic=fake.monotonic, sleep=fake.sleep))
    regions = []
    monkeypatch.setattr(cli, "client", lambda service, region: (regions.append((service, region)), client)[1])
    stack_environment(monkeypatch)
    with Stubber(client) as stubber:
        yield stubber, fake, regions
        stubber.assert_no_pending_responses()


def execution(state: str, scanned: int = 0, reason: str | None = None) -> dict:
    status = {"State": state, **({"StateChangeReason": reason} if reason else {})}
    return {
        "QueryExecution": {
            "QueryExecutionId": QUERY_ID,
            "StatementType": "DML",
            "Status": status,
            "Statistics": {"DataScannedInBytes": scanned, "EngineExecutionTimeInMillis": 2300},
        }
    }


def expect_start(stubber: Stubber, query: str, scheme: str, parameters: list[str]) -> None:
    stubber.add_response(
        "start_query_execution",
        {"QueryExecutionId": QUERY_ID},
        {
            "QueryString": QUERIES[query].render(scheme, "events", dialect="athena").sql,
            "WorkGroup": WORKGROUP,
            "QueryExecutionContext": CONTEXT,
            "ExecutionParameters": parameters,
        },
    )


def expect_results(stubber: Stubber, query: str, rows: list[dict], scanned: int = 52 * 1024**2) -> None:
    """QUEUED, RUNNING, SUCCEEDED, then the rows as Athena returns them: strings, a header row, two pages."""
    for state in ("QUEUED", "RUNNING"):
        stubber.add_response("get_query_execution", execution(state, scanned=1024), {"QueryExecutionId": QUERY_ID})
    stubber.add_response("get_query_execution", execution("SUCCEEDED", scanned=scanned), {"QueryExecutionId": QUERY_ID})
    columns = list(rows[0]) if rows else ["message_id"]
    info = [{"Name": c, "Type": "bigint" if any(isinstance(r[c], int) for r in rows) else "varchar"} for c in columns]

    def cells(values: list) -> dict:
        return {"Data": [{} if v is None else {"VarCharValue": str(v)} for v in values]}

    data = [cells(columns)] + [cells([r[c] for c in columns]) for r in rows]
    half = len(data) // 2 + 1
    pages = [data[:half], data[half:]] if len(data) > 2 else [data]
    for number, page in enumerate(pages):
        response = {"ResultSet": {"Rows": page, "ResultSetMetadata": {"ColumnInfo": info}}}
        expected = {"QueryExecutionId": QUERY_ID}
        if number + 1 < len(pages):
            response["NextToken"] = f"page-{number + 2}"
        if number:
            expected["NextToken"] = f"page-{number + 1}"
        stubber.add_response("get_query_results", response, expected)


def test_the_commands_print_the_same_on_athena_as_locally(capsys, athena, layouts, model):
    stubber, fake, regions = athena
    local = layouts["parquet-date"]
    address = busiest_address(model)
    message = next(m for m in sorted(model.messages) if "DeliveryDelay" in {r["eventType"] for r in model.messages[m]})
    sent = day(model.sent(message))
    held = [f"'{FIRST}'", f"'{HELD}'", f"'{FIRST}'", f"'{HELD}'"]
    commands = [
        (
            ["find", "--to", address, "--from", FIRST, "--until", LAST],
            [
                (
                    "recipient-messages",
                    {"address": address, "from_date": FIRST, "to_date": LAST},
                    [f"'{FIRST}'", f"'{LAST}'", f"'{FIRST}'", f"'{LAST}'", f"'{address}'"],
                )
            ],
        ),
        (
            ["message", message, "--from", sent, "--until", sent],
            [
                (
                    "message-timeline",
                    {"message_id": message, "from_date": sent, "to_date": sent},
                    [f"'{message}'", f"'{sent}'", f"'{sent}'", f"'{sent}'", f"'{sent}'"],
                )
            ],
        ),
        (
            # Days the local copy holds (its last objects arrived on the 3rd): the stack holds every day.
            ["stats", "--from", FIRST, "--until", HELD],
            [
                ("daily-counts", {"from_date": FIRST, "to_date": HELD}, held),
                ("failure-reasons", {"from_date": FIRST, "to_date": HELD}, held),
            ],
        ),
    ]
    for argv, queries in commands:
        for json_flag in ([], ["--json"]):
            code, expected_out, _ = run(capsys, *argv, *json_flag, "--local", str(local))
            assert code == 0
            for query, values, parameters in queries:
                expect_start(stubber, query, "date", parameters)
                expect_results(stubber, query, LocalEvents(local).run(query, values).records())
            fake.sleeps.clear()

            code, out, err = run(capsys, *argv, *json_flag)

            assert (code, out) == (0, expected_out), argv
            assert fake.sleeps == [0.5, 1.0] * len(queries)  # each polled through QUEUED and RUNNING with backoff
            line = rf"\d+ rows?; Athena scanned 52\.0 MiB in 2\.3 s, about \$0\.000248 .*; query {QUERY_ID}\n"
            assert re.fullmatch(line * len(queries), err), err
    assert set(regions) == {("athena", "eu-west-1")}


def test_a_quote_in_a_value_reaches_athena_once_doubled_and_never_in_the_sql(capsys, athena):
    stubber, _, _ = athena
    address = "o'brien@example.com"
    expect_start(
        stubber,
        "recipient-messages",
        "date",
        ["'2024-05-01'", "'2024-05-02'", "'2024-05-01'", "'2024-05-02'", "'o''brien@example.com'"],
    )
    expect_results(stubber, "recipient-messages", [], scanned=0)
    # Nothing found: the forms of the address with another plus-label are looked for, the same way.
    quoted = "'o''brien@example.com'"
    expect_start(
        stubber, "address-variants", "date", ["'2024-05-01'", "'2024-05-02'", "'2024-05-01'", "'2024-05-02'", quoted, quoted]
    )
    expect_results(stubber, "address-variants", [{"address": "o'brien+news@example.com", "messages": 2}], scanned=0)
    assert not any(
        "brien" in QUERIES[q].render("date", "events", dialect="athena").sql for q in ("recipient-messages", "address-variants")
    )

    code, out, err = run(capsys, "find", "--to", address, "--from", FIRST, "--until", LAST)

    assert (code, out) == (1, "")
    summary, _, message = err.splitlines()
    assert summary.startswith("0 rows; Athena scanned 0 B") and "about $0.000048" in summary  # the 10 MB minimum
    assert message == (
        f"seslog: no messages to {address} sent {FIRST} to {LAST} (UTC); nothing was sent to {address} itself, but mail went to "
        "o'brien+news@example.com (2 messages), which differs only by its plus-label (most providers deliver both to one mailbox); "
        "ask again with that address"
    )


def test_the_stack_partitioning_shapes_the_sql(capsys, athena, monkeypatch):
    """Under `none` there are no partition predicates, so each date is passed once."""
    stubber, _, _ = athena
    monkeypatch.setenv("SESLOG_PARTITIONING", "none")
    expect_start(
        stubber,
        "message-timeline",
        "none",
        ["'0100018f00000abc-00000000-0000-4000-8000-000000000000-000000'", f"'{FIRST}'", f"'{LAST}'"],
    )
    expect_results(stubber, "message-timeline", [])
    code, _, err = run(
        capsys, "message", "0100018f00000abc-00000000-0000-4000-8000-000000000000-000000", "--from", FIRST, "--until", LAST
    )
    assert code == 1 and err.endswith(
        f"seslog: no events for message 0100018f00000abc-00000000-0000-4000-8000-000000000000-000000 sent between {FIRST} and {LAST} (UTC); "
        "check the ID (mail.messageId) or give the days it was sent with --from/--until\n"
    )


def test_a_failed_athena_query_is_one_line(capsys, athena):
    stubber, _, _ = athena
    expect_start(stubber, "daily-counts", "date", [f"'{FIRST}'", f"'{LAST}'", f"'{FIRST}'", f"'{LAST}'"])
    reason = "HIVE_BAD_DATA: Error parsing field value '2024' for field 3:\n not a valid struct"
    stubber.add_response("get_query_execution", execution("FAILED", reason=reason), {"QueryExecutionId": QUERY_ID})
    code, out, err = run(capsys, "stats", "--from", FIRST, "--until", LAST)
    assert (code, out) == (1, "")
    assert (
        err
        == f"seslog: Athena query {QUERY_ID} failed: HIVE_BAD_DATA: Error parsing field value '2024' for field 3: not a valid struct\n"
    )


def test_an_athena_query_past_the_timeout_is_stopped(capsys, athena):
    stubber, fake, _ = athena
    expect_start(stubber, "daily-counts", "date", [f"'{FIRST}'", f"'{LAST}'", f"'{FIRST}'", f"'{LAST}'"])
    for _ in range(3):
        stubber.add_response("get_query_execution", execution("RUNNING"), {"QueryExecutionId": QUERY_ID})
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})
    code, out, err = run(capsys, "stats", "--from", FIRST, "--until", LAST, "--timeout", "1.5")
    assert (code, out) == (1, "")
    assert fake.sleeps == [0.5, 1.0]
    assert err == (
        f"seslog: Athena query {QUERY_ID} was still RUNNING after 1.5 s: cancelled query {QUERY_ID}; "
        "pass --timeout SECONDS to wait longer\n"
    )


# Bad input: one line on stderr, a non-zero exit code, no traceback.


@pytest.fixture(scope="module")
def damaged(layouts, tmp_path_factory) -> dict[str, Path]:
    """Copies with one unreadable object inside the queried days: a truncated .json.gz, a garbage .parquet and .orc."""
    root = tmp_path_factory.mktemp("damaged")
    copies = {}
    for name, suffix in (("json-event-type", ".json.gz"), ("parquet-date", ".parquet"), ("orc-hour", ".orc")):
        copy = shutil.copytree(layouts[name], root / name)
        victim = min(p for p in copy.rglob(f"*{suffix}") if f"dt={FIRST}" in str(p))
        if suffix == ".json.gz":
            body = victim.read_bytes()
            assert gzip.decompress(body)
            victim.write_bytes(body[: len(body) // 2])
        else:
            victim.write_bytes(b"garbage, not a " + suffix.encode())
        copies[name] = (copy, victim.relative_to(copy).as_posix())
    return copies


@pytest.mark.parametrize("name", ["json-event-type", "parquet-date", "orc-hour"])
@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["find", "--to", "user0001@example.net"],
        ["message", "0100018f00000001-00000000-0000-4000-8000-000000000000-000000"],
    ],
)
def test_an_unreadable_object_is_named_in_one_line(capsys, damaged, name, command):
    directory, key = damaged[name]
    code, out, err = run(capsys, *command, "--from", FIRST, "--until", LAST, "--local", str(directory))
    assert (code, out) == (1, "")
    assert (
        err.startswith(f"seslog: --local {directory}: {key}: cannot read it as {name.split('-')[0]} ") and err.count("\n") == 1
    ), err


def test_bad_input_is_one_line_with_a_non_zero_exit(capsys, layouts, tmp_path):
    directory = str(layouts["json-event-type"])
    (tmp_path / "empty").mkdir()
    (tmp_path / "elsewhere" / "logs").mkdir(parents=True)
    (tmp_path / "elsewhere" / "logs" / "app.log").write_text("not events\n")
    cases = [
        (
            [
                "message",
                "0100018f0000dead-00000000-0000-4000-8000-000000000000-000000",
                "--from",
                FIRST,
                "--until",
                LAST,
                "--local",
                directory,
            ],
            1,
            (
                f"seslog: no events for message 0100018f0000dead-00000000-0000-4000-8000-000000000000-000000 sent between {FIRST} and {LAST} (UTC); "
                "check the ID (mail.messageId) or give the days it was sent with --from/--until"
            ),
        ),
        (
            ["find", "--to", "nobody@example.org", "--from", FIRST, "--until", LAST, "--local", directory],
            1,
            f"seslog: no messages to nobody@example.org sent {FIRST} to {LAST} (UTC); widen the range with --since or --from/--until",
        ),
        (
            ["stats", "--from", "2023-01-01", "--until", "2023-01-02", "--local", directory],
            1,
            "seslog: the local copy holds none of the days asked, 2023-01-01 to 2023-01-02 (UTC), so it cannot tell",
        ),
        (
            ["find", "--to", "taro.example.jp", "--local", directory],
            2,
            "seslog find: error: argument --to: 'taro.example.jp' is not an email address (expected name@example.com) (see seslog find --help)",
        ),
        (
            ["message", "0100 x", "--local", directory],
            2,
            "seslog message: error: argument MESSAGE_ID: '0100 x' is not an SES message ID",
        ),
        (
            ["stats", "--from", "2024-13-01", "--local", directory],
            2,
            "seslog stats: error: argument --from: '2024-13-01' is not a date",
        ),
        (
            ["stats", "--from", "1/5/2024", "--local", directory],
            2,
            "seslog stats: error: argument --from: '1/5/2024' is not a date: use YYYY-MM-DD",
        ),
        (
            ["stats", "--since", "7 days", "--local", directory],
            2,
            "seslog stats: error: argument --since: '7 days' is not a span",
        ),
        (["stats", "--from", LAST, "--until", FIRST, "--local", directory], 2, f"seslog: --from {LAST} is after --until {FIRST}"),
        (
            ["stats", "--local", str(tmp_path / "empty")],
            1,
            f"seslog: --local {tmp_path / 'empty'}: no event objects under {tmp_path / 'empty' / 'events'}; fetch some with `seslog download --since 2d {tmp_path / 'empty'}`",
        ),
        (["stats", "--local", str(tmp_path / "missing")], 1, f"seslog: --local {tmp_path / 'missing'}: no such directory"),
        (
            ["stats", "--local", str(tmp_path / "elsewhere")],
            1,
            f"seslog: --local {tmp_path / 'elsewhere'}: no event objects under {tmp_path / 'elsewhere' / 'events'}",
        ),
    ]
    for argv, exit_code, message in cases:
        code, out, err = run(capsys, *argv)
        assert (code, out) == (exit_code, ""), argv
        assert err.startswith(message) and err.count("\n") == 1, (argv, err)


def test_message_looks_back_30_days_by_default(capsys, layouts):
    before = datetime.now(UTC).date()
    # An ID of the AWS guide's example shape carries no send time to read.
    code, _, err = run(
        capsys, "message", "EXAMPLE00000dead-00000000-0000-4000-8000-000000000000-000000", "--local", str(layouts["orc-hour"])
    )
    after = datetime.now(UTC).date()
    assert code == 1
    assert any(f"the days asked, {today - timedelta(days=30)} to {today} (UTC)" in err for today in {before, after}), err


def python_m_seslog(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "seslog", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_python_dash_m_seslog_answers_and_fails_without_a_traceback(capsys, layouts, damaged, model):
    address = busiest_address(model)
    argv = ["find", "--to", address, "--from", FIRST, "--until", LAST, "--local", str(layouts["orc-hour"])]
    done = python_m_seslog(*argv)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == run(capsys, *argv)[1]

    directory, key = damaged["json-event-type"]
    done = python_m_seslog("stats", "--from", FIRST, "--until", LAST, "--local", str(directory))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"seslog: --local {directory}: {key}: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


# demo-data: a data set to try the commands on.


def test_demo_data_writes_a_layout_the_commands_read(capsys, tmp_path):
    directory = tmp_path / "demo"
    code, out, err = run(
        capsys,
        "demo-data",
        str(directory),
        "--format",
        "orc",
        "--partitioning",
        "hour",
        "--messages",
        "25",
        "--days",
        "1",
        "--recipients",
        "5",
        "--seed",
        "3",
        "--start",
        "2024-06-01",
    )
    records = list(generate(load_samples(), seed=3, start=datetime(2024, 6, 1, tzinfo=UTC), days=1, messages=25, recipients=5))
    assert (code, err) == (0, "")
    assert out.startswith(f"wrote {len(records):,} events of 25 messages sent 2024-06-01 to 2024-06-01 (UTC) in ")
    assert detect(directory) == ("orc", "hour")
    code, out, _ = run(capsys, "stats", "--from", "2024-06-01", "--until", "2024-06-04", "--local", str(directory), "--json")
    assert code == 0 and sum(sum(d["events"].values()) for d in json.loads(out)["days"]) == len(records)
    # A second data set is not mixed into the first.
    code, out, err = run(capsys, "demo-data", str(directory))
    assert (code, out) == (
        1,
        "",
    ) and err == f"seslog: {directory / 'events'} already exists: write the demo data to a new or empty directory\n"


def test_demo_data_is_recent_by_default_so_since_finds_it(capsys, tmp_path):
    directory = tmp_path / "recent"
    assert (
        run(capsys, "demo-data", str(directory), "--messages", "20", "--days", "2", "--format", "json", "--partitioning", "date")[
            0
        ]
        == 0
    )
    code, out, _ = run(capsys, "stats", "--since", "3d", "--local", str(directory), "--json")
    assert code == 0 and json.loads(out)["totals"]["Send"] == 20
