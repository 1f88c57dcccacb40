"""`seslog mcp`: the investigation as tools for AI assistants, over the Model Context Protocol (stdio).

A thin layer over ``seslog.answers``, built with the official ``mcp`` SDK (``MCPServer``): each
tool takes the same values as the command line, checks them the same way, and returns the same
JSON document as ``--json``. Every tool is read-only. Nothing is printed on stdout, which is the
protocol's; what the queries cost goes to stderr, the client's log.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from typing import Any

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


def build(
    engines: Callable[[], Engine],
    target: str,
    ask_ses: answers.SesChecks | None,
    region: str | None,
    scheme: Scheme | None = None,
) -> Any:
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    server = MCPServer("seslog", instructions=f"{INSTRUCTIONS} This server reads {target}.")
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

    def answer(
        question: Callable[[Engine, TimeRange], answers.Answer],
        since: str | None,
        from_date: str | None,
        until_date: str | None,
        default_since: str,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        try:
            span = span_of(since, from_date, until_date, default_since)
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

    @server.tool(annotations=read_only)
    def find_messages(
        address: str, since: str | None = None, from_date: str | None = None, until_date: str | None = None
    ) -> dict[str, Any]:
        """Every message sent to a recipient address (any case) in a range of UTC sending days, newest first, each
        with how far it got for that address (status and detail) and its opens and clicks. Default range: the last 7 days.
        When nothing matches, 'messages' is empty and 'hint' may name the same mailbox under another plus-label."""
        checked = _checked(lambda: parsed("--to", arguments.email_address, address))
        return answer(lambda engine, span: answers.find(engine, checked, span), since, from_date, until_date, "7d")

    @server.tool(annotations=read_only)
    def message_timeline(
        message_id: str, since: str | None = None, from_date: str | None = None, until_date: str | None = None
    ) -> dict[str, Any]:
        """Every event of one message in time order (Send, Delivery with the SMTP response, Bounce with type and
        diagnostic code, DeliveryDelay, Complaint, Reject, Rendering Failure, Open, Click), for a message ID as SendEmail
        returns it or as headers carry it (<ID@email.amazonses.com>). The range holds the day it was sent (default 30 days)."""
        checked = _checked(lambda: parsed("MESSAGE_ID", arguments.message_id, message_id))
        return answer(lambda engine, span: answers.message(engine, checked, span), since, from_date, until_date, "30d", checked)

    @server.tool(annotations=read_only)
    def why(
        address_or_message_id: str, since: str | None = None, from_date: str | None = None, until_date: str | None = None
    ) -> dict[str, Any]:
        """The verdict, in plain words, and the next step: for each message sent to an address (newest first) or for
        each recipient of one message ID. Each verdict carries 'reason' (what the receiving server's reply means, in
        Sisimai's vocabulary: userunknown, filtered, authfailure, blocked, mailboxfull, expired ...), 'provider'
        (gmail, microsoft, yahoo, apple, docomo, au, softbank, or the domain), 'actor' (who must act: recipient,
        sender-domain, sender-content, sender-reputation, ses-account, wait), 'rule' (the rule that decided) and, for a
        failure, 'others' (how many other recipients at the same domain failed with the same reason). With no events at all, 'none' holds the checklist of why mail leaves no trace.
        On a deployed stack it also reports, read-only, whether the address is on the account's suppression list and
        whether the account can send ('ses'). Default range: 7 days for an address, 30 for a message."""
        asked: WhyTarget = _checked(lambda: parsed("ADDRESS|MESSAGE_ID", arguments.address_or_message_id, address_or_message_id))
        return answer(
            lambda engine, span: answers.explain(engine, asked, span, now_utc(), region=region, ask_ses=ask_ses),
            since,
            from_date,
            until_date,
            "7d" if asked.address else "30d",
            asked.message_id,
        )

    @server.tool(annotations=read_only)
    def daily_stats(since: str | None = None, from_date: str | None = None, until_date: str | None = None) -> dict[str, Any]:
        """Events per UTC day and event type over a range (default the last 7 days), with the bounce rate (Bounce / Send
        events) and complaint rate (Complaint / Send events) of the log; SES's own reputation rates are computed differently.
        'failures' lists the bounces and delays by reason and provider, largest first, with who must act (actor)."""
        return answer(answers.stats, since, from_date, until_date, "7d")

    def _checked(check: Callable[[], Any]) -> Any:
        try:
            return check()
        except SeslogError as error:
            raise ToolError(f"seslog: {error}") from None

    return server
