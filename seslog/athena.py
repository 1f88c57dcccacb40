"""Run one SQL statement on Athena: execution parameters, polling with backoff, rows, bytes and cost.

User input never becomes SQL text: values travel as ``ExecutionParameters`` for the query's
``?`` placeholders. Athena substitutes each one as a SQL literal, so a string goes in quoted,
its quotes doubled (``'O''Brien'``: Athena guide, "Use parameterized queries"; ``EXECUTE ...
USING 'usa'``; the same convention as uber/athenadriver#63). The quoting has one owner,
``RenderedQuery.execution_parameters`` in ``seslog.eventlog.queries``: ``Athena.run`` takes the
literals it gives and sends them as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from seslog.errors import (
    SeslogError,
    describe_aws_error,
    error_code,
    error_message,
    interrupted,
    interrupted_exit_code,
    one_line,
)
from seslog.eventlog.costs import PRICES, TB, Prices
from seslog.output import format_bytes
from seslog.progress import Progress

CATALOG = "AwsDataCatalog"
DEFAULT_TIMEOUT_SECONDS = 300.0
MAX_PARAMETER_LENGTH = 1024
"""``ExecutionParameter`` is 1-1024 characters (botocore athena model)."""

_FINAL_STATES = {"SUCCEEDED", "FAILED", "CANCELLED"}
_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "tinyint": int,
    "smallint": int,
    "integer": int,
    "bigint": int,
    "real": float,
    "float": float,
    "double": float,
    "decimal": Decimal,
    "boolean": lambda v: v == "true",
}
_NOT_FOUND = ("TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND", "does not exist")


def query_cost(scanned_bytes: int, prices: Prices = PRICES) -> float:
    """What Athena bills for one query: bytes scanned, at least the per-query minimum."""
    return max(scanned_bytes, prices.athena_minimum_bytes) / TB * prices.athena_per_tb


@dataclass(frozen=True)
class AthenaResult:
    query_execution_id: str
    columns: list[str]
    rows: list[dict[str, Any]]
    data_scanned_bytes: int
    engine_time_ms: int

    @property
    def cost(self) -> float:
        return query_cost(self.data_scanned_bytes)

    def summary(self) -> str:
        return (
            f"{len(self.rows)} row{'s' if len(self.rows) != 1 else ''}; Athena scanned {format_bytes(self.data_scanned_bytes)} "
            f"in {self.engine_time_ms / 1000:.1f} s, about ${self.cost:.6f} "
            f"(${PRICES.athena_per_tb:g}/TB, at least {format_bytes(PRICES.athena_minimum_bytes)} a query; prices of {PRICES.as_of}); "
            f"query {self.query_execution_id}"
        )


class Athena:
    """Runs statements in one workgroup and database; ``clock`` and ``sleep`` are injectable for tests."""

    def __init__(
        self,
        client: Any,
        *,
        workgroup: str,
        database: str,
        catalog: str = CATALOG,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        progress: Progress | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        first_delay: float = 0.5,
        max_delay: float = 5.0,
    ):
        self._client = client
        self.workgroup = workgroup
        self.database = database
        self.catalog = catalog
        self.timeout = timeout
        self._progress = progress
        # Looked up when the runner is made, so that tests can stand in for this module's ``time``.
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._first_delay = first_delay
        self._max_delay = max_delay

    def run(self, sql: str, execution_parameters: Sequence[str] = ()) -> AthenaResult:
        """Run ``sql``; ``execution_parameters`` are the values of its ``?`` in order, each already a SQL
        literal (``RenderedQuery.execution_parameters``)."""
        for literal in execution_parameters:
            if len(literal) > MAX_PARAMETER_LENGTH:
                raise SeslogError(
                    f"value too long for Athena ({len(literal)} characters quoted, at most {MAX_PARAMETER_LENGTH}): {literal[:40]}..."
                )
        query_id = self._start(sql, execution_parameters)
        try:
            execution = self._wait(query_id)
        except KeyboardInterrupt as interrupt:
            # Ctrl-C, SIGTERM or SIGHUP: the query would run on, and be billed, with no one waiting for it.
            raise SeslogError(
                f"{interrupted(interrupt)}: {self._stop(query_id)}", exit_code=interrupted_exit_code(interrupt)
            ) from None
        except (BotoCoreError, ClientError) as error:
            # Polling failed (throttled past botocore's retries, credentials expired, the network gone): the query is
            # stopped before the user is told to try again, so that trying again does not leave two running.
            raise SeslogError(f"{self._stop(query_id)}, as polling it failed: {describe_aws_error(error)}") from None
        finally:
            if self._progress:
                self._progress.clear()
        status = execution["Status"]
        state = status["State"]
        if state != "SUCCEEDED":
            reason = one_line(
                status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage") or "no reason given"
            )
            if state == "FAILED":
                raise SeslogError(f"Athena query {query_id} failed: {reason}{self._not_found_hint(reason)}")
            raise SeslogError(f"Athena query {query_id} was cancelled: {reason}")
        statistics = execution.get("Statistics", {})
        columns, rows = self._results(query_id, skip_header=execution.get("StatementType") == "DML")
        return AthenaResult(
            query_execution_id=query_id,
            columns=columns,
            rows=rows,
            data_scanned_bytes=statistics.get("DataScannedInBytes", 0),
            engine_time_ms=statistics.get("EngineExecutionTimeInMillis", 0),
        )

    def _start(self, sql: str, execution_parameters: Sequence[str]) -> str:
        request: dict[str, Any] = {
            "QueryString": sql,
            "WorkGroup": self.workgroup,
            "QueryExecutionContext": {"Database": self.database, "Catalog": self.catalog},
        }
        if execution_parameters:
            # The API wants at least one parameter when the list is given at all.
            request["ExecutionParameters"] = list(execution_parameters)
        try:
            return self._client.start_query_execution(**request)["QueryExecutionId"]
        except ClientError as error:
            message = error_message(error)
            if (
                error_code(error) == "InvalidRequestException"
                and "workgroup" in message.lower()
                and "not found" in message.lower()
            ):
                raise SeslogError(
                    f"Athena workgroup {self.workgroup!r} not found ({message}); check --workgroup or SESLOG_WORKGROUP, "
                    "the region, and that the stack is deployed (stack output athenaWorkgroup)"
                ) from None
            raise

    def _wait(self, query_id: str) -> Mapping[str, Any]:
        started = self._clock()
        delay = self._first_delay
        while True:
            execution = self._client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            state = execution["Status"]["State"]
            if state in _FINAL_STATES:
                return execution
            elapsed = self._clock() - started
            if elapsed >= self.timeout:
                raise SeslogError(
                    f"Athena query {query_id} was still {state} after {self.timeout:g} s: {self._stop(query_id)}; "
                    "pass --timeout SECONDS to wait longer"
                )
            if self._progress:
                scanned = execution.get("Statistics", {}).get("DataScannedInBytes", 0)
                self._progress.update(f"Athena: {state.lower()}, {elapsed:.0f} s, {format_bytes(scanned)} scanned")
            self._sleep(min(delay, self.timeout - elapsed))
            delay = min(delay * 2, self._max_delay)

    def _stop(self, query_id: str) -> str:
        try:
            self._client.stop_query_execution(QueryExecutionId=query_id)
        except (BotoCoreError, ClientError) as error:
            return f"could not cancel query {query_id} ({describe_aws_error(error)})"
        return f"cancelled query {query_id}"

    def _results(self, query_id: str, skip_header: bool) -> tuple[list[str], list[dict[str, Any]]]:
        columns: list[str] = []
        converters: list[Callable[[str], Any]] = []
        rows: list[dict[str, Any]] = []
        pages = self._client.get_paginator("get_query_results").paginate(QueryExecutionId=query_id)
        for number, page in enumerate(pages):
            result_set = page["ResultSet"]
            if number == 0:
                info = result_set["ResultSetMetadata"]["ColumnInfo"]
                columns = [c["Name"] for c in info]
                converters = [_CONVERTERS.get(c["Type"].lower(), str) for c in info]
            data = result_set.get("Rows", [])
            if number == 0 and skip_header:
                # For SELECT the first row holds the column names (Athena API, GetQueryResults).
                data = data[1:]
            for row in data:
                values = [cell.get("VarCharValue") for cell in row.get("Data", [])]
                rows.append({c: None if v is None else f(v) for c, f, v in zip(columns, converters, values)})
        return columns, rows

    def _not_found_hint(self, reason: str) -> str:
        if not any(marker in reason for marker in _NOT_FOUND):
            return ""
        return (
            f" (database {self.database!r}: check --database/--table or SESLOG_DATABASE/SESLOG_TABLE, the region, "
            "and that the stack is deployed: stack outputs glueDatabase and glueTable)"
        )
