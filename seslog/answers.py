"""The answers seslog gives, built once for every way of asking: the command line, the web page
(``seslog serve``) and the MCP server (``seslog mcp``) all call these, so they cannot disagree.

An ``Answer`` is the JSON document ``--json`` prints (and the page's ``?format=json`` and the MCP
tools return), whether anything was found, what to say when nothing was, and how a person reads
it on a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import Any, TextIO

from seslog import investigate, why
from seslog.arguments import TimeRange, WhyTarget
from seslog.cognito import answer as cognito
from seslog.diagnosis.providers import domain_of
from seslog.engine import Engine, missing_days
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


@dataclass(frozen=True)
class Lacking:
    """The days asked that the engine does not hold (a local copy that lacks them): no answer may claim that nothing
    happened on them."""

    span: TimeRange
    days: list[date]
    fetch: str | None
    """The command that fetches them."""

    @property
    def every_day(self) -> bool:
        return len(self.days) == len(self.span.days())

    def ranges(self) -> str:
        """The days as runs of consecutive days: ``2026-11-28 to 2026-12-01, 2026-12-03``."""
        runs: list[list[date]] = []
        for day in self.days:
            if runs and day - runs[-1][-1] == timedelta(days=1):
                runs[-1].append(day)
            else:
                runs.append([day])
        return ", ".join(f"{r[0]}" if len(r) == 1 else f"{r[0]} to {r[-1]}" for r in runs)

    def sentence(self) -> str:
        fetch = f": fetch them with `{self.fetch}`" if self.fetch else ""
        if self.every_day:
            return f"the local copy holds none of the days asked, {self.span.describe()}, so it cannot tell what happened then{fetch}"
        return (
            f"the local copy holds no objects that arrived on {self.ranges()} (UTC), so this answer leaves those days out{fetch}"
        )

    def document(self) -> dict[str, Any]:
        return {"missing_days": [d.isoformat() for d in self.days], "missing": self.sentence()}

    def show(self, out: TextIO, width: int | None) -> None:
        text = self.sentence()
        out.writelines(line + "\n" for line in wrap(f"Not in this copy: {text[0].upper()}{text[1:]}.", width or PARAGRAPH_WIDTH))


def lacking(engine: Engine, span: TimeRange) -> Lacking | None:
    """The days of ``span`` the engine does not hold, if any."""
    days = missing_days(engine, span.days())
    if not days:
        return None
    fetch = getattr(engine, "fetch_command", None)
    return Lacking(span, days, fetch(days[0], days[-1]) if fetch else None)


def _noted(missing: Lacking | None, show: Show) -> Show:
    """``show``, followed by what the copy lacks (after it: the table's header stays the first line)."""
    if missing is None:
        return show

    def shown(out: TextIO, width: int | None) -> None:
        show(out, width)
        out.write("\n")
        missing.show(out, width)

    return shown


def _nothing(missing: Lacking | None, nothing: str) -> str:
    """What to say when nothing was found, never claiming it of days the copy lacks."""
    if missing is None:
        return nothing
    if missing.every_day:
        return missing.sentence()
    return f"{nothing} (on the days the local copy holds); {missing.sentence()}"


def label_hint(engine: Engine, address: str, span: TimeRange) -> str | None:
    found = why.variants(engine, address, span)
    return why.describe_variants(address, found) if found else None


def find(engine: Engine, address: str, span: TimeRange) -> Answer:
    missing = lacking(engine, span)
    rows = investigate.find_messages(engine, address, span)
    document: dict[str, Any] = {"address": address, **investigate.range_document(span), "messages": rows}
    if missing:
        document.update(missing.document())
    if rows:
        return Answer(document, True, _noted(missing, lambda out, width: investigate.print_messages(rows, out, width)))
    hint = label_hint(engine, address, span)
    document["hint"] = hint
    nothing = _nothing(missing, f"no messages to {address} sent {span.describe()}")
    nothing += "; " + (hint or "widen the range with --since or --from/--until") if not (missing and missing.every_day) else ""
    return Answer(document, False, lambda out, width: None, nothing)


def message(engine: Engine, message_id: str, span: TimeRange) -> Answer:
    missing = lacking(engine, span)
    rows = investigate.message_timeline(engine, message_id, span)
    document = {"message_id": message_id, **investigate.range_document(span), "events": rows}
    if missing:
        document.update(missing.document())
    nothing = _nothing(missing, f"no events for message {message_id} sent between {span.first_day} and {span.last_day} (UTC)")
    if not (missing and missing.every_day):
        nothing += "; check the ID (mail.messageId) or give the days it was sent with --from/--until"
    show = _noted(missing, lambda out, width: investigate.print_timeline(rows, out, width))
    return Answer(document, bool(rows), show, None if rows else nothing)


def stats(engine: Engine, span: TimeRange) -> Answer:
    missing = lacking(engine, span)
    found = investigate.daily_stats(engine, span, [d.isoformat() for d in missing.days] if missing else [])
    document = investigate.stats_document(found)
    if missing:
        document.update(missing.document())
    return Answer(
        document,
        not found.empty,
        _noted(missing, lambda out, width: investigate.print_stats(found, out, width)),
        _nothing(missing, f"no events happened {span.describe()}"),
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
    missing = lacking(engine, span)
    hint = None
    if asked.address:
        verdicts = why.for_address(engine, asked.address, span, now, region)
        hint = None if verdicts else label_hint(engine, asked.address, span)
    else:
        verdicts = why.for_message(engine, asked.message_id, span, now, region)
    verdicts = why.with_others(engine, verdicts, span)
    # Cognito's error log names no message: it is read for an address only.
    cognito_log = cognito.report(engine, asked.address, span) if asked.address else None
    findings = list(ask_ses(ses_question(asked, verdicts))) if ask_ses else []
    subject = asked.address or asked.message_id
    document: dict[str, Any] = {
        ("address" if asked.address else "message_id"): subject,
        **investigate.range_document(span),
        "verdicts": [v.document() for v in verdicts],
    }
    if missing:
        document.update(missing.document())
    if not verdicts and not (missing and missing.every_day):
        named = subject if asked.address else f"message {subject}"
        document["none"] = why.no_trace(
            named, span, wider=f"seslog why {subject} --since 90d", partial=bool(missing), cognito_read=cognito_log is not None
        )
    if not verdicts:
        document["hint"] = hint
    if asked.address:
        document["cognito"] = cognito.document_of(cognito_log)
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
            if missing:
                missing.show(out, width)
                out.write("\n")
            why.print_verdicts(verdicts, out, width, by_recipient=not asked.address)
            if cognito_log:
                out.write("\n")
                cognito_log.show(out, width, brief=True)
        else:
            if hint:
                out.writelines(line + "\n" for line in wrap(f"Hint: {hint}.", lines))
            if missing:
                missing.show(out, width)
            if cognito_log:
                if hint or missing:
                    out.write("\n")
                cognito_log.show(out, width)
            if "none" in document:
                if missing or cognito_log:
                    out.write("\n")
                why.print_no_trace(document["none"], out, width)
        if findings:
            why.print_findings(findings, out, width)

    # Nothing found is still an answer here: the checklist, printed on stdout.
    return Answer(document, bool(verdicts), show)
