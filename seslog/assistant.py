"""`seslog mcp`: the investigation as tools for AI assistants, over the Model Context Protocol (stdio).

A thin layer over ``seslog.answers``, built with the official ``mcp`` SDK (``MCPServer``): each
tool takes the same values as the command line, checks them the same way, and returns the same
JSON document as ``--json``. Every tool is read-only. Nothing is printed on stdout, which is the
protocol's; what the queries cost goes to stderr, the client's log.

Each parameter's input schema says what it holds, its type and format (``format``/``pattern`` where JSON Schema has
one) and an example; an argument a tool does not take is refused, naming it, and a bad value is refused with the
command line's words under the parameter's own name (``from_date``, not ``--from``).
"""

from __future__ import annotations

import inspect
import io
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from pydantic import Field

from seslog import answers, arguments
from seslog.arguments import TimeRange, WhyTarget, parsed, span_of
from seslog.engine import Engine
from seslog.errors import SeslogError
from seslog.eventlog.partitioning import Scheme
from seslog.why import now_utc
from seslog.window import message_window

INSTRUCTIONS = (
    "Investigates what happened to email sent through Amazon SES, from the event log of a ses-event-log stack. "
    "To answer 'a user never got the email', call the tool why with the address first; it gives one verdict per message "
    "with the next step, the reason the receiving server gave and who must act. Dates are UTC days, YYYY-MM-DD; since is a span like 7d or 12h."
)

MAX_STATS_DAYS = 92
"""The longest range ``daily_stats`` answers, in days: a quarter (three months, the longest 31 + 31 + 30). Its document
has a row per day and event type and the failures of the whole range, and an assistant reads all of it: a year would
be a long read and, on Athena, a large scan. The command line's ``seslog stats`` has no such limit."""

RANGE_NAMES = {"since": "since", "from": "from_date", "until": "until_date"}
"""What the tools call the range's three values, as errors name them (the command line says --since/--from/--until)."""

_EXAMPLE_ID = "0100018f40071d2e-c6e8799c-7adc-487a-8358-88c70ddb3ebd-000000"

# The parameters' types, as the input schema describes them: a JSON Schema ``format`` or ``pattern`` on the string
# (advisory: the values are checked as the command line checks them, with its messages), a description and examples.
Since = Annotated[
    Annotated[str, Field(json_schema_extra={"pattern": "^[0-9]+[dh]$"})] | None,
    Field(
        description="A span back from now: a whole number of days (d) or hours (h), e.g. 7d or 12h. "
        "Give either since or from_date (with until_date), not both; with neither, the tool's default range.",
        examples=["7d", "12h"],
    ),
]
FromDate = Annotated[
    Annotated[str, Field(json_schema_extra={"format": "date"})] | None,
    Field(
        description="The first UTC day of the range, YYYY-MM-DD; the range runs to until_date, else to today (UTC).",
        examples=["2024-05-01"],
    ),
]
UntilDate = Annotated[
    Annotated[str, Field(json_schema_extra={"format": "date"})] | None,
    Field(
        description="The last UTC day of the range, included, YYYY-MM-DD; needs from_date. Default: today (UTC).",
        examples=["2024-05-02"],
    ),
]
Address = Annotated[
    str,
    Field(
        description="The recipient's email address, name@example.com; any case.",
        examples=["taro@example.jp"],
        json_schema_extra={"format": "email"},
    ),
]
MessageId = Annotated[
    str,
    Field(
        description="An SES message ID as SendEmail returns it (mail.messageId: 16 characters, a UUID and -000000), "
        "or its header form <ID@email.amazonses.com> (Message-ID of the delivered mail).",
        examples=[_EXAMPLE_ID, f"<{_EXAMPLE_ID}@email.amazonses.com>"],
    ),
]
AddressOrMessageId = Annotated[
    str,
    Field(
        description="A recipient's email address (name@example.com), or an SES message ID as SendEmail returns it "
        "or in its header form <ID@email.amazonses.com>.",
        examples=["taro@example.jp", _EXAMPLE_ID],
    ),
]


class _Tool(Tool):
    """A tool that refuses arguments it does not take, naming them: the SDK's argument model drops them silently, so
    a misspelt ``from`` would quietly ask about the default range."""

    async def run(self, arguments: dict[str, Any], *rest: Any, **options: Any) -> Any:
        known = self.parameters.get("properties", {})
        unknown = [name for name in arguments if name not in known]
        if unknown:
            some = "parameters" if len(unknown) > 1 else "parameter"
            raise ToolError(f"seslog: {self.name} has no {some} {', '.join(map(repr, unknown))}: it takes {', '.join(known)}")
        return await super().run(arguments, *rest, **options)


def _tool(fn: Callable[..., Any], annotations: Any) -> Tool:
    """``fn`` as a tool: its docstring without the source's indentation, an input schema that allows no other
    property."""
    tool = _Tool.from_function(fn, description=inspect.cleandoc(fn.__doc__ or ""), annotations=annotations)
    tool.parameters["additionalProperties"] = False
    return tool


def build(
    engines: Callable[[], Engine],
    target: str,
    ask_ses: answers.SesChecks | None,
    region: str | None,
    scheme: Scheme | None = None,
) -> Any:
    from mcp.server import MCPServer
    from mcp.types import ToolAnnotations

    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

    def answer(
        question: Callable[[Engine, TimeRange], answers.Answer],
        since: str | None,
        from_date: str | None,
        until_date: str | None,
        default_since: str,
        message_id: str | None = None,
        longest: int | None = None,
    ) -> dict[str, Any]:
        try:
            span = span_of(since, from_date, until_date, default_since, names=RANGE_NAMES)
            if longest is not None and span.end - span.start > timedelta(days=longest):
                raise SeslogError(_too_long(span, longest, since), exit_code=2)
            if message_id and scheme and not (since or from_date or until_date):
                # As `seslog message ID` without dates: the send day in the ID; the line goes to the client's log.
                span, line = message_window(message_id, scheme, now_utc(), span)
                sys.stderr.write(line)
            engine = engines()
            try:
                return question(engine, span).document
            finally:
                costs = io.StringIO()
                engine.report(costs)
                sys.stderr.write(costs.getvalue())
        except SeslogError as error:
            raise ToolError(f"seslog: {error}") from None

    def find_messages(
        address: Address, since: Since = None, from_date: FromDate = None, until_date: UntilDate = None
    ) -> dict[str, Any]:
        """Every message sent to a recipient address (any case) in a range of UTC sending days, newest first, each
        with how far it got for that address (status and detail) and its opens and clicks. Default range: the last 7 days.
        When nothing matches, 'messages' is empty and 'hint' may name the same mailbox under another plus-label."""
        checked = _checked(lambda: parsed("address", arguments.email_address, address))
        return answer(lambda engine, span: answers.find(engine, checked, span), since, from_date, until_date, "7d")

    def message_timeline(
        message_id: MessageId, since: Since = None, from_date: FromDate = None, until_date: UntilDate = None
    ) -> dict[str, Any]:
        """Every event of one message in time order (Send, Delivery with the SMTP response, Bounce with type and
        diagnostic code, DeliveryDelay, Complaint, Reject, Rendering Failure, Open, Click), for a message ID as SendEmail
        returns it or as headers carry it (<ID@email.amazonses.com>). The range holds the day it was sent (default 30 days)."""
        checked = _checked(lambda: parsed("message_id", arguments.message_id, message_id))
        return answer(lambda engine, span: answers.message(engine, checked, span), since, from_date, until_date, "30d", checked)

    def why(
        address_or_message_id: AddressOrMessageId,
        since: Since = None,
        from_date: FromDate = None,
        until_date: UntilDate = None,
    ) -> dict[str, Any]:
        """The verdict, in plain words, and the next step: for each message sent to an address (newest first) or for
        each recipient of one message ID. Each verdict carries 'reason' (what the receiving server's reply means, in
        Sisimai's vocabulary: userunknown, filtered, authfailure, blocked, mailboxfull, expired ...), 'provider'
        (gmail, microsoft, yahoo, apple, docomo, au, softbank, or the domain), 'actor' (who must act: recipient,
        sender-domain, sender-content, sender-reputation, ses-account, cognito-pool, wait), 'rule' (the rule that decided)
        and, for a failure, 'others' (how many other recipients at the same domain failed with the same reason). With no
        events at all, 'none' holds the checklist of why mail leaves no trace. For an address, 'cognito' says what the
        Cognito user pools' message-delivery error log holds for the range when the stack collects it ('collected'):
        the errors whose text names the address ('scope' named) or, since the log has no recipient field, every email
        error of the pools (scope 'pool': not known to be this address's), each with 'kind', 'why', 'next' and 'actor'.
        On a deployed stack it also reports, read-only, whether the address is on the account's suppression list and
        whether the account can send ('ses'). Default range: 7 days for an address, 30 for a message."""
        asked: WhyTarget = _checked(
            lambda: parsed("address_or_message_id", arguments.address_or_message_id, address_or_message_id)
        )
        return answer(
            lambda engine, span: answers.explain(engine, asked, span, now_utc(), region=region, ask_ses=ask_ses),
            since,
            from_date,
            until_date,
            "7d" if asked.address else "30d",
            asked.message_id,
        )

    def daily_stats(since: Since = None, from_date: FromDate = None, until_date: UntilDate = None) -> dict[str, Any]:
        """Events per UTC day and event type over a range (default the last 7 days), with the bounce rate (Bounce / Send
        events) and complaint rate (Complaint / Send events) of the log; SES's own reputation rates are computed differently.
        'failures' lists the bounces and delays by reason and provider, largest first, with who must act (actor).
        The range is at most {days} days (since {days}d, or a from_date/until_date range of {days} days, both counted);
        a longer one is refused: ask for less, or for one stretch of at most {days} days at a time."""
        return answer(answers.stats, since, from_date, until_date, "7d", longest=MAX_STATS_DAYS)

    daily_stats.__doc__ = (daily_stats.__doc__ or "").format(days=MAX_STATS_DAYS)

    def _checked(check: Callable[[], Any]) -> Any:
        try:
            return check()
        except SeslogError as error:
            raise ToolError(f"seslog: {error}") from None

    tools = [_tool(fn, read_only) for fn in (find_messages, message_timeline, why, daily_stats)]
    return MCPServer("seslog", instructions=f"{INSTRUCTIONS} This server reads {target}.", tools=tools)


def _too_long(span: TimeRange, longest: int, since: str | None) -> str:
    """One line: the limit, what was asked, and how to ask for less."""
    asked = f"since {since.strip()} is longer" if since else f"{span.first_day} to {span.last_day} is {len(span.days())}"
    return (
        f"daily_stats answers at most {longest} days and {asked}: ask for less, e.g. since 30d, "
        f"or a from_date/until_date range of at most {longest} days, both counted (for longer, one such stretch at a time)"
    )
