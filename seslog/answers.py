"""The answers seslog gives, built once for every way of asking: the command line, the web page
(``seslog serve``) and the MCP server (``seslog mcp``) all call these, so they cannot disagree.

An ``Answer`` is the JSON document ``--json`` prints (and the page's ``?format=json`` and the MCP
tools return), whether anything was found, what to say when nothing was, and how a person reads
it on a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any, TextIO

from seslog import investigate, why
from seslog.arguments import TimeRange, WhyTarget
from seslog.diagnosis.providers import domain_of
from seslog.engine import Engine
from seslog.output import PARAGRAPH_WIDTH, wrap
from seslog.ses import Finding

Show = Callable[[TextIO, "int | None"], None]


@dataclass(frozen=True)
class Answer:
    document: dict[str, Any]
    found: bool
    show: Show
    """Prints the answer for a person, to a stream of the given width (None: no limit)."""
    nothing: str | None = None
    """The one line for stderr when nothing was found; None when the printed answer says it."""


def label_hint(engine: Engine, address: str, span: TimeRange) -> str | None:
    found = why.variants(engine, address, span)
    return why.describe_variants(address, found) if found else None


def find(engine: Engine, address: str, span: TimeRange) -> Answer:
    rows = investigate.find_messages(engine, address, span)
    document: dict[str, Any] = {"address": address, **investigate.range_document(span), "messages": rows}
    if rows:
        return Answer(document, True, lambda out, width: investigate.print_messages(rows, out, width))
    hint = label_hint(engine, address, span)
    document["hint"] = hint
    nothing = f"no messages to {address} sent {span.describe()}; " + (hint or "widen the range with --since or --from/--until")
    return Answer(document, False, lambda out, width: None, nothing)


def message(engine: Engine, message_id: str, span: TimeRange) -> Answer:
    rows = investigate.message_timeline(engine, message_id, span)
    document = {"message_id": message_id, **investigate.range_document(span), "events": rows}
    nothing = (
        f"no events for message {message_id} sent between {span.first_day} and {span.last_day} (UTC); "
        "check the ID (mail.messageId) or give the days it was sent with --from/--until"
    )
    return Answer(
        document, bool(rows), lambda out, width: investigate.print_timeline(rows, out, width), None if rows else nothing
    )


def stats(engine: Engine, span: TimeRange) -> Answer:
    found = investigate.daily_stats(engine, span)
    document = investigate.stats_document(found)
    return Answer(
        document,
        not found.empty,
        lambda out, width: investigate.print_stats(found, out, width),
        f"no events happened {span.describe()}",
    )


@dataclass(frozen=True)
class SesQuestion:
    """What `why` asks SES, read-only."""

    address: str | None
    """The address asked about (None for a message: only the account is asked)."""
    spellings: tuple[str, ...] = ()
    """The address as the events spell it, looked up on the suppression list first: the list keeps the case of the
    address that bounced."""
    identities: tuple[str, ...] = ()
    """Sending identities whose authentication to check (the From domain, then the From address), for an authfailure."""


SesChecks = Callable[[SesQuestion], Sequence[Finding]]
"""Asks SES about an address, the sending identities and the account."""


def ses_question(asked: WhyTarget, verdicts: Sequence[why.Verdict]) -> SesQuestion:
    spellings = tuple(dict.fromkeys([*(v.listed for v in verdicts if v.listed), *([asked.address] if asked.address else [])]))
    senders = [parseaddr(v.sender or "")[1] for v in verdicts if v.reason == "authfailure"]
    identities = tuple(dict.fromkeys(name for sender in senders if sender for name in (domain_of(sender), sender)))
    return SesQuestion(asked.address, spellings if asked.address else (), identities)


def explain(
    engine: Engine, asked: WhyTarget, span: TimeRange, now: datetime, *, region: str | None, ask_ses: SesChecks | None
) -> Answer:
    """`why`: the verdicts for an address or a message; with ``ask_ses``, what SES itself says."""
    hint = None
    if asked.address:
        verdicts = why.for_address(engine, asked.address, span, now, region)
        hint = None if verdicts else label_hint(engine, asked.address, span)
    else:
        verdicts = why.for_message(engine, asked.message_id, span, now, region)
    verdicts = why.with_others(engine, verdicts, span)
    findings = list(ask_ses(ses_question(asked, verdicts))) if ask_ses else []
    subject = asked.address or asked.message_id
    document: dict[str, Any] = {
        ("address" if asked.address else "message_id"): subject,
        **investigate.range_document(span),
        "verdicts": [v.document() for v in verdicts],
    }
    if not verdicts:
        document["none"] = why.no_trace(
            subject if asked.address else f"message {subject}", span, wider=f"seslog why {subject} --since 90d"
        )
        document["hint"] = hint
    document["ses"] = [f.document() for f in findings]

    def show(out: TextIO, width: int | None) -> None:
        lines = width or PARAGRAPH_WIDTH
        if verdicts:
            first = verdicts[0]
            count = f"{len(verdicts)} message{'s' if len(verdicts) != 1 else ''} sent {span.describe()}, newest first"
            head = (
                [("", f"{asked.address}: {count}")]
                if asked.address
                else [
                    ("", f"message {asked.message_id}"),
                    (
                        "  ",
                        f"sent {first.sent_at}: {first.subject or '(no subject)'}"
                        + (f"  (from {first.sender})" if first.sender else ""),
                    ),
                ]
            )
            out.writelines(line + "\n" for indent, text in head for line in wrap(text, lines, indent=indent))
            out.write("\n")
            why.print_verdicts(verdicts, out, width, by_recipient=not asked.address)
        else:
            if hint:
                out.writelines(line + "\n" for line in wrap(f"Hint: {hint}.", lines))
            why.print_no_trace(document["none"], out, width)
        if findings:
            why.print_findings(findings, out, width)

    # Nothing found is still an answer here: the checklist, printed on stdout.
    return Answer(document, bool(verdicts), show)
