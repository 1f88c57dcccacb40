"""The investigations timed and costed: named queries with values picked from the stream.

Each case is a named query from ``seslog/eventlog/queries/`` and the records its answer needs (a
condition in the query templates' dialect, with their fragments), which gives the lower
bound: those records' needed columns and nothing else.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.layouts import BENCH_SCHEMES, RECIPIENT_COLUMN, recipient_bucket
from bench.query_scope import with_condition
from seslog.eventlog.local import TABLE, LocalEvents
from seslog.eventlog.message_ids import decode
from seslog.eventlog.partitioning import Scheme
from seslog.eventlog.queries import QUERIES, NamedQuery


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    query: str
    """The named query."""
    matching: str
    """The records the answer is made of: a condition over ``{table}`` in the templates' dialect."""
    bucket_parameter: str | None = None
    """The address parameter that gives the recipient bucket, when the case looks up a message's
    first recipient (on the recipient layout the query then names the bucket)."""

    def sql(self, scheme: Scheme) -> str:
        """The query as DuckDB runs it on ``scheme``; with the bucket condition where the scheme
        has the recipient key and the case may use it."""
        return _rendered(self, scheme.name)

    def values(self, picked: dict[str, str], scheme: Scheme) -> dict[str, Any]:
        """The query's parameter values, plus the bucket where ``sql`` names it."""
        values: dict[str, Any] = dict(QUERIES[self.query].check(picked))
        if self.bucket_parameter and RECIPIENT_COLUMN in scheme.columns:
            values[RECIPIENT_COLUMN] = recipient_bucket(picked[self.bucket_parameter])
        return values

    def matching_query(self) -> NamedQuery:
        """The records the answer needs, as a query returning them whole."""
        query = QUERIES[self.query]
        return NamedQuery(f"{self.name}-records", self.title, query.parameters, f"SELECT * FROM {{table}} WHERE {self.matching}")


@functools.cache
def _rendered(case: Case, scheme: str) -> str:
    # Rendering transpiles with sqlglot: once per case and scheme.
    sql = QUERIES[case.query].render(BENCH_SCHEMES[scheme], TABLE, dialect="duckdb").sql
    if case.bucket_parameter and RECIPIENT_COLUMN in BENCH_SCHEMES[scheme].columns:
        sql = with_condition(sql, TABLE, f"{RECIPIENT_COLUMN} = ${RECIPIENT_COLUMN}")
    return sql


_IN_SENT_RANGE = 'substr(mail."timestamp", 1, 10) BETWEEN :from_date AND :to_date'
_TO_ADDRESS = "contains(transform({event_recipients}, r -> lower(r)), lower(:address))"

CASES = (
    Case(
        "timeline", "timeline of one message, 30 days", "message-timeline", f"mail.messageid = :message_id AND {_IN_SENT_RANGE}"
    ),
    Case(
        "message",
        "seslog message ID without dates: the send days in the ID",
        "message-timeline",
        f"mail.messageid = :message_id AND {_IN_SENT_RANGE}",
    ),
    Case(
        "recipient-first",
        "one recipient, 7 days: the first recipient",
        "recipient-messages",
        f"{_IN_SENT_RANGE} AND {_TO_ADDRESS}",
        bucket_parameter="address",
    ),
    Case(
        "recipient-third",
        "one recipient, 7 days: the third recipient of a message",
        "recipient-messages",
        f"{_IN_SENT_RANGE} AND {_TO_ADDRESS}",
    ),
    Case(
        "bounces",
        "bounces and complaints of one domain, 1 day",
        "bounces-complaints",
        "{event_types(BOUNCE, COMPLAINT)} AND substr({event_time}, 1, 10) BETWEEN :from_date AND :to_date"
        " AND cardinality(filter({event_recipients}, r -> lower(:recipient) IN (lower(r), split_part(lower(r), '@', 2)))) > 0",
    ),
    Case(
        "daily-counts",
        "events per day and type, 30 days",
        "daily-counts",
        "substr({event_time}, 1, 10) BETWEEN :from_date AND :to_date",
    ),
)
BY_NAME = {case.name: case for case in CASES}


def pick_values(events: LocalEvents, start: date, days: int) -> dict[str, dict[str, str]]:
    """Values for every case from the events: a message with three recipients sent from the
    middle of the period on (over the whole period, and over the days of the time in its ID),
    its first and third recipient over the 7 days up to its sending
    day, the day and recipient domain of the first bounce from then on, and the whole period."""
    middle = (start + timedelta(days=days // 2)).isoformat()
    message = events.sql(
        f"""SELECT mail.messageid, mail.destination, substr(mail."timestamp", 1, 10) FROM {TABLE}
            WHERE eventtype = 'Send' AND len(mail.destination) = 3 AND mail."timestamp" >= $middle
            ORDER BY mail."timestamp", mail.messageid LIMIT 1""",
        {"middle": middle},
    ).rows
    bounce = events.sql(
        f"""SELECT substr(bounce."timestamp", 1, 10), split_part(bounce.bouncedrecipients[1].emailaddress, '@', 2) FROM {TABLE}
            WHERE eventtype = 'Bounce' AND bounce."timestamp" >= $middle ORDER BY bounce."timestamp" LIMIT 1""",
        {"middle": middle},
    ).rows
    if not message or not bounce:
        raise ValueError(f"the stream has no message with three recipients or no bounce from {middle} on: generate more messages")
    message_id, recipients, sent_day = message[0]
    bounce_day, domain = bounce[0]
    week = ((date.fromisoformat(sent_day) - timedelta(days=6)).isoformat(), sent_day)
    # What seslog message asks for without dates (seslog.window): the days of the time in the ID.
    decoded = decode(message_id, datetime.now(UTC))
    if decoded.sent_at is None:
        raise ValueError(f"message {message_id} carries no send time: {decoded.reason}")
    id_days = [d.isoformat() for d in decoded.days()]
    period = (start.isoformat(), (start + timedelta(days=days - 1)).isoformat())
    return {
        "timeline": {"message_id": message_id, "from_date": period[0], "to_date": period[1]},
        "message": {"message_id": message_id, "from_date": id_days[0], "to_date": id_days[1]},
        "recipient-first": {"address": recipients[0], "from_date": week[0], "to_date": week[1]},
        "recipient-third": {"address": recipients[2], "from_date": week[0], "to_date": week[1]},
        "bounces": {"recipient": domain, "from_date": bounce_day, "to_date": bounce_day},
        "daily-counts": {"from_date": period[0], "to_date": period[1]},
    }
