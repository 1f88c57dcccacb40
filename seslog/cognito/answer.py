"""What Cognito's error log adds to `seslog why ADDRESS`: the errors that name the address, else the pools' errors of
the range said as such (the log carries no recipient field), each with what it means and the next step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from seslog.arguments import TimeRange
from seslog.cognito.kinds import Reading, read
from seslog.cognito.log import CognitoError
from seslog.cognito.reading import errors_of
from seslog.diagnosis.reasons import ACTORS
from seslog.engine import Engine, cognito_rows
from seslog.output import PARAGRAPH_WIDTH, visible, wrap
from seslog.verdicts import COGNITO, COGNITO_SCOPE

SHOWN = 5
"""How many of the pools' errors an answer spells out when none names the address (the rest are counted by kind)."""

_NOT_GIVEN = "(not given)"


@dataclass(frozen=True)
class Entry:
    error: CognitoError
    reading: Reading
    status: str
    why: str
    next: str
    reason: str | None
    actor: str | None

    def document(self) -> dict[str, Any]:
        return {
            "time": self.error.time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "user_pool_id": self.error.user_pool_id,
            "details": self.error.details,
            "kind": self.reading.kind,
            "identities": list(self.reading.identities),
            "status": self.status,
            "why": self.why,
            "next": self.next,
            "reason": self.reason,
            "actor": self.actor,
            "source": self.reading.rule.source if self.reading.rule else None,
        }


def entry(error: CognitoError, address: str) -> Entry:
    reading = read(error.details, address)
    text = COGNITO[reading.kind]
    pool = error.user_pool_id or _NOT_GIVEN
    facts = {
        "time": error.time.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "pool": pool,
        "details": visible(error.details) or _NOT_GIVEN,
        "recipient": address,
        "identities": ", ".join(reading.identities) or _NOT_GIVEN,
        "ses_region_text": reading.region or "the identity's Region",
    }
    return Entry(
        error, reading, text.status.format(**facts), text.why.format(**facts), text.next.format(**facts), text.reason, text.actor
    )


@dataclass(frozen=True)
class CognitoReport:
    address: str
    span: TimeRange
    named: list[Entry]
    """The errors whose text names the address."""
    pools: list[Entry]
    """When none names it: every email error of the pools in the range, newest first."""
    sms: int
    """SMS errors of the pools in the range (not about email: counted, not listed)."""
    unreadable: int
    """Log records that were not Cognito records (counted, not dropped silently)."""

    @property
    def scope(self) -> str:
        return "named" if self.named else "pool" if self.pools else "quiet"

    def intro(self) -> str:
        shown = self.named or self.pools
        return COGNITO_SCOPE[self.scope].format(
            count=len(shown), s="" if len(shown) == 1 else "s", address=self.address, range=self.span.describe()
        )

    def document(self) -> dict[str, Any]:
        return {
            "collected": True,
            "scope": self.scope,
            "text": self.intro(),
            "errors": [e.document() for e in self.named or self.pools],
            "sms_errors": self.sms,
            "unreadable_records": self.unreadable,
        }

    def show(self, out: TextIO, width: int | None, *, brief: bool = False) -> None:
        """The errors for a person; ``brief``: the pools' errors (not known to be this address's) one line each, beside
        an answer whose messages SES did log."""
        lines = width or PARAGRAPH_WIDTH
        out.writelines(line + "\n" for line in wrap(self.intro(), lines))
        groups = _repeats(self.named or self.pools)
        for found, times in groups[: len(groups) if self.named else SHOWN]:
            out.write("\n")
            head = f"{found.error.time.strftime('%Y-%m-%d %H:%M:%S')}  {found.error.user_pool_id or _NOT_GIVEN}"
            if len(times) > 1:
                head += f"  ({len(times)} times, first at {times[-1].strftime('%Y-%m-%d %H:%M:%S')})"
            out.writelines(line + "\n" for line in wrap(head, lines))
            out.writelines(line + "\n" for line in wrap(f"-> {found.status}", lines, indent="  "))
            if brief and not self.named:
                words = visible(found.error.details) or _NOT_GIVEN
                out.writelines(line + "\n" for line in wrap(f"Cognito's words: {words}", lines, indent="  "))
                continue
            for label, paragraph in (("Why", found.why), ("Next", found.next)):
                out.writelines(line + "\n" for line in wrap(f"{label}: {paragraph}", lines, indent="  "))
            if found.actor:
                out.writelines(line + "\n" for line in wrap(f"Who acts: {ACTORS[found.actor]}", lines, indent="  "))
        rest = sum(len(times) for _, times in groups[SHOWN:]) if not self.named else 0
        if rest:
            out.write("\n")
            out.writelines(line + "\n" for line in wrap(f"... and {rest} more (--json lists them all).", lines))
        notes = []
        if self.sms:
            notes.append(f"{self.sms} SMS error{'s' if self.sms != 1 else ''} of the pools (not about email)")
        if self.unreadable:
            notes.append(f"{self.unreadable} log record{'s' if self.unreadable != 1 else ''} not in Cognito's form")
        if notes:
            out.write("\n")
            out.writelines(line + "\n" for line in wrap("Left out: " + "; ".join(notes) + ".", lines))


def _repeats(entries: list[Entry]) -> list[tuple[Entry, list[datetime]]]:
    """``entries`` (newest first) with the same pool and words told once: the newest, and every time it was logged."""
    groups: dict[tuple[str | None, str], tuple[Entry, list[datetime]]] = {}
    for found in entries:
        key = (found.error.user_pool_id, found.error.details)
        if key not in groups:
            groups[key] = (found, [])
        groups[key][1].append(found.error.time)
    return list(groups.values())


def report(engine: Engine, address: str, span: TimeRange) -> CognitoReport | None:
    """What Cognito's error log says of ``address`` in ``span``; None when the engine's stack or copy does not collect it."""
    rows = cognito_rows(engine, span.query_days())
    if rows is None:
        return None
    errors, unreadable = errors_of(rows)
    within = sorted((e for e in errors if span.start <= e.time < span.end), key=lambda e: e.time, reverse=True)
    entries = [entry(e, address) for e in within]
    email = [e for e in entries if e.reading.kind != "sms"]
    named = [e for e in email if e.error.names(address)]
    return CognitoReport(address, span, named, [] if named else email, len(entries) - len(email), unreadable)


def document_of(found: CognitoReport | None) -> dict[str, Any]:
    """The ``cognito`` part of why's JSON: what the log said, or that the stack does not collect it."""
    return found.document() if found else {"collected": False}
