"""seslog's Athena runner against botocore's Stubber: the exact API calls, polling, results and errors."""

from __future__ import annotations

import io
import signal
from decimal import Decimal

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.stub import Stubber

from seslog.athena import Athena, query_cost
from seslog.errors import Interrupted, SeslogError, describe_aws_error
from seslog.eventlog.costs import PRICES, TB
from seslog.progress import Progress

QUERY_ID = "7f1d6c1e-0000-4000-8000-000000000001"
SQL = "SELECT message_id, opens FROM events WHERE lower(recipient) = lower(?) AND subject <> ? AND n > ? AND flag = ?"
CONTEXT = {"Database": "ses_event_log_dev", "Catalog": "AwsDataCatalog"}


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def athena_client():
    client = boto3.client("athena", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def runner(client, fake: FakeTime, timeout: float = 60.0, progress: Progress | None = None) -> Athena:
    return Athena(
        client,
        workgroup="ses-event-log-dev",
        database="ses_event_log_dev",
        timeout=timeout,
        clock=fake.clock,
        sleep=fake.sleep,
        progress=progress,
    )


def execution(state: str, scanned: int = 0, engine_ms: int = 0, reason: str | None = None, statement_type: str = "DML") -> dict:
    status: dict = {"State": state}
    if reason:
        status["StateChangeReason"] = reason
    return {
        "QueryExecution": {
            "QueryExecutionId": QUERY_ID,
            "StatementType": statement_type,
            "Status": status,
            "Statistics": {"DataScannedInBytes": scanned, "EngineExecutionTimeInMillis": engine_ms},
        }
    }


def add_polls(stubber: Stubber, *states: str) -> None:
    for state in states:
        stubber.add_response("get_query_execution", execution(state, scanned=2048), {"QueryExecutionId": QUERY_ID})


COLUMNS = [{"Name": "message_id", "Type": "varchar"}, {"Name": "opens", "Type": "bigint"}]


def rows(*values: tuple) -> list[dict]:
    return [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in values]


def test_query_starts_with_the_execution_parameters_as_given_polls_with_backoff_and_pages_results(athena_client):
    client, stubber = athena_client
    stubber.add_response(
        "start_query_execution",
        {"QueryExecutionId": QUERY_ID},
        {
            "QueryString": SQL,
            "WorkGroup": "ses-event-log-dev",
            "QueryExecutionContext": CONTEXT,
            # The literals go in as given: quoting is RenderedQuery.execution_parameters' (test_seslog_query.py).
            "ExecutionParameters": ["'Taro@Example.jp'", "'O''Brien''s report'", "3", "true"],
        },
    )
    add_polls(stubber, "QUEUED", "RUNNING", "RUNNING")
    stubber.add_response(
        "get_query_execution", execution("SUCCEEDED", scanned=52 * 1024**2, engine_ms=1830), {"QueryExecutionId": QUERY_ID}
    )
    stubber.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "Rows": rows(("message_id", "opens"), ("0100-a", "2"), ("0100-b", None)),
                "ResultSetMetadata": {"ColumnInfo": COLUMNS},
            },
            "NextToken": "page-2",
        },
        {"QueryExecutionId": QUERY_ID},
    )
    stubber.add_response(
        "get_query_results",
        {"ResultSet": {"Rows": rows(("0100-c", "0")), "ResultSetMetadata": {"ColumnInfo": COLUMNS}}},
        {"QueryExecutionId": QUERY_ID, "NextToken": "page-2"},
    )
    fake = FakeTime()

    result = runner(client, fake).run(SQL, ["'Taro@Example.jp'", "'O''Brien''s report'", "3", "true"])

    assert fake.sleeps == [0.5, 1.0, 2.0]
    assert result.columns == ["message_id", "opens"]
    # The header row of the first page is dropped; the second page has none.
    assert result.rows == [
        {"message_id": "0100-a", "opens": 2},
        {"message_id": "0100-b", "opens": None},
        {"message_id": "0100-c", "opens": 0},
    ]
    assert result.data_scanned_bytes == 52 * 1024**2
    assert result.engine_time_ms == 1830
    assert result.cost == pytest.approx(52 * 1024**2 / TB * PRICES.athena_per_tb)
    assert result.summary().startswith("3 rows; Athena scanned 52.0 MiB in 1.8 s, about $0.000248")


def test_no_parameters_sends_no_execution_parameters_and_converts_column_types(athena_client):
    client, stubber = athena_client
    stubber.add_response(
        "start_query_execution",
        {"QueryExecutionId": QUERY_ID},
        {"QueryString": "SELECT 1", "WorkGroup": "ses-event-log-dev", "QueryExecutionContext": CONTEXT},
    )
    stubber.add_response("get_query_execution", execution("SUCCEEDED"), {"QueryExecutionId": QUERY_ID})
    columns = [
        {"Name": n, "Type": t}
        for n, t in [("i", "integer"), ("d", "double"), ("b", "boolean"), ("m", "decimal"), ("s", "varchar")]
    ]
    stubber.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "Rows": rows(("i", "d", "b", "m", "s"), ("7", "0.25", "false", "1.10", "")),
                "ResultSetMetadata": {"ColumnInfo": columns},
            }
        },
        {"QueryExecutionId": QUERY_ID},
    )
    result = runner(client, FakeTime()).run("SELECT 1")
    assert result.rows == [{"i": 7, "d": 0.25, "b": False, "m": Decimal("1.10"), "s": ""}]
    assert result.cost == pytest.approx(PRICES.athena_minimum_bytes / TB * PRICES.athena_per_tb)


def test_timeout_stops_the_query_and_says_how_to_wait_longer(athena_client):
    client, stubber = athena_client
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    add_polls(stubber, *["RUNNING"] * 8)
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})
    fake = FakeTime()

    with pytest.raises(SeslogError) as raised:
        runner(client, fake, timeout=20).run("SELECT 1")

    # Exponential backoff capped at 5 s, the last wait cut short by the deadline: 8 polls in all.
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 2.5]
    assert fake.now == 20
    message = str(raised.value)
    assert f"Athena query {QUERY_ID} was still RUNNING after 20 s: cancelled query {QUERY_ID}" in message
    assert "--timeout" in message


def test_failed_query_gives_the_state_change_reason_and_a_hint_for_a_missing_table(athena_client):
    client, stubber = athena_client
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    reason = "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.ses_event_log_dev.events' does not exist"
    stubber.add_response("get_query_execution", execution("FAILED", reason=reason), {"QueryExecutionId": QUERY_ID})
    with pytest.raises(SeslogError) as raised:
        runner(client, FakeTime()).run("SELECT 1")
    message = str(raised.value)
    assert message.startswith(f"Athena query {QUERY_ID} failed: {reason} (database 'ses_event_log_dev'")
    assert "--database/--table" in message and "\n" not in message


def test_failed_query_without_a_known_cause_has_no_hint(athena_client):
    client, stubber = athena_client
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    stubber.add_response(
        "get_query_execution",
        execution("FAILED", reason="SYNTAX_ERROR: line 1:8:\nColumn 'x' cannot be resolved"),
        {"QueryExecutionId": QUERY_ID},
    )
    with pytest.raises(SeslogError, match=r"^Athena query .* failed: SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved$"):
        runner(client, FakeTime()).run("SELECT 1")


def test_cancelled_query(athena_client):
    client, stubber = athena_client
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    stubber.add_response(
        "get_query_execution",
        execution("CANCELLED", reason="Query cancelled: bytes scanned limit exceeded"),
        {"QueryExecutionId": QUERY_ID},
    )
    with pytest.raises(SeslogError, match="was cancelled: Query cancelled: bytes scanned limit exceeded"):
        runner(client, FakeTime()).run("SELECT 1")


def test_missing_workgroup_is_named(athena_client):
    client, stubber = athena_client
    # The message AWS returns (ColeMurray/aws-athena-mcp#23) does not name the workgroup.
    stubber.add_client_error("start_query_execution", "InvalidRequestException", "WorkGroup is not found.")
    with pytest.raises(
        SeslogError, match="^Athena workgroup 'ses-event-log-dev' not found \\(WorkGroup is not found.\\); check --workgroup"
    ):
        runner(client, FakeTime()).run("SELECT 1")


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (
            "AccessDeniedException",
            "User: arn:aws:sts::1:assumed-role/oncall is not authorized to perform: athena:StartQueryExecution",
            "access denied calling StartQueryExecution: User: arn:aws:sts::1:assumed-role/oncall is not authorized",
        ),
        (
            "TooManyRequestsException",
            "Rate exceeded",
            "AWS throttled StartQueryExecution (TooManyRequestsException); wait a moment",
        ),
        ("ExpiredTokenException", "The security token included in the request is expired", "the AWS credentials have expired"),
        ("InternalServerException", "boom", "StartQueryExecution failed: InternalServerException: boom"),
    ],
)
def test_aws_errors_become_one_line(athena_client, code, message, expected):
    client, stubber = athena_client
    stubber.add_client_error("start_query_execution", code, message)
    with pytest.raises(ClientError) as raised:
        runner(client, FakeTime()).run("SELECT 1")
    assert describe_aws_error(raised.value).startswith(expected)


def test_no_credentials(monkeypatch, tmp_path):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.session.Session().client("athena", region_name="us-east-1")
    with pytest.raises(NoCredentialsError) as raised:
        runner(client, FakeTime()).run("SELECT 1")
    assert describe_aws_error(raised.value).startswith("no AWS credentials found: set AWS_PROFILE")


def test_interrupt_cancels_the_query(athena_client):
    client, stubber = athena_client
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    add_polls(stubber, "RUNNING")
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})

    def interrupted(_: float) -> None:
        raise KeyboardInterrupt

    athena = Athena(
        client, workgroup="ses-event-log-dev", database="ses_event_log_dev", clock=FakeTime().clock, sleep=interrupted
    )
    with pytest.raises(SeslogError) as raised:
        athena.run("SELECT 1")
    assert raised.value.exit_code == 130
    assert str(raised.value) == f"interrupted: cancelled query {QUERY_ID}"


def test_sigterm_cancels_the_query_and_exits_143(athena_client):
    client, stubber = athena_client
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    add_polls(stubber, "RUNNING")
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})

    def terminated(_: float) -> None:
        raise Interrupted(signal.SIGTERM)

    athena = Athena(client, workgroup="ses-event-log-dev", database="ses_event_log_dev", clock=FakeTime().clock, sleep=terminated)
    with pytest.raises(SeslogError) as raised:
        athena.run("SELECT 1")
    assert raised.value.exit_code == 143
    assert str(raised.value) == f"interrupted by SIGTERM: cancelled query {QUERY_ID}"


def test_persistent_throttling_of_polls_stops_the_query_before_saying_to_try_again(athena_client):
    client, stubber = athena_client
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    add_polls(stubber, "RUNNING")
    # What botocore raises once its retries are spent.
    stubber.add_client_error("get_query_execution", "ThrottlingException", "Rate exceeded", http_status_code=400)
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})
    with pytest.raises(SeslogError) as raised:
        runner(client, FakeTime()).run("SELECT 1")
    assert str(raised.value) == (
        f"cancelled query {QUERY_ID}, as polling it failed: "
        "AWS throttled GetQueryExecution (ThrottlingException); wait a moment and try again"
    )


def test_a_poll_failing_and_the_stop_too_says_the_query_may_still_run(athena_client):
    client, stubber = athena_client
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
    stubber.add_client_error(
        "get_query_execution", "ExpiredTokenException", "The security token included in the request is expired"
    )
    stubber.add_client_error(
        "stop_query_execution", "ExpiredTokenException", "The security token included in the request is expired"
    )
    with pytest.raises(SeslogError) as raised:
        runner(client, FakeTime()).run("SELECT 1")
    message = str(raised.value)
    assert message.startswith(f"could not cancel query {QUERY_ID} (the AWS credentials have expired")
    assert "as polling it failed: the AWS credentials have expired (ExpiredTokenException)" in message


def test_progress_shows_on_a_terminal_only(athena_client):
    client, stubber = athena_client
    for stream in (Tty(), io.StringIO()):
        stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})
        add_polls(stubber, "QUEUED", "RUNNING")
        stubber.add_response("get_query_execution", execution("SUCCEEDED"), {"QueryExecutionId": QUERY_ID})
        stubber.add_response(
            "get_query_results",
            {"ResultSet": {"Rows": rows(("message_id", "opens")), "ResultSetMetadata": {"ColumnInfo": COLUMNS}}},
        )
        runner(client, FakeTime(), progress=Progress(stream)).run("SELECT 1")
        written = stream.getvalue()
        if stream.isatty():
            assert "Athena: queued, 0 s, 2.0 KiB scanned" in written
            assert "Athena: running, 0 s, 2.0 KiB scanned" in written
            assert written.endswith("\r\x1b[1A\x1b[2K")  # the line is cleared before results are printed
        else:
            assert written == ""


def test_a_literal_longer_than_athena_takes_is_refused_before_any_call(athena_client):
    # ExecutionParameter is 1-1024 characters (botocore athena model); the stubber has no response queued.
    client, _ = athena_client
    athena = runner(client, FakeTime())
    with pytest.raises(SeslogError, match="at most 1024"):
        athena.run("SELECT ?", ["'" + "x" * 1023 + "'"])


def test_query_cost_follows_the_price_table():
    assert query_cost(0) == query_cost(PRICES.athena_minimum_bytes) == PRICES.athena_minimum_bytes / TB * PRICES.athena_per_tb
    assert query_cost(TB) == PRICES.athena_per_tb
