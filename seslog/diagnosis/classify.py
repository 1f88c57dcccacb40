"""From what the receiving side said to a reason, a provider and who must act: the first rule of
``seslog.diagnosis.rules.RULES`` that matches decides."""

from __future__ import annotations

from dataclasses import dataclass

from seslog.diagnosis.providers import provider_of
from seslog.diagnosis.reasons import REASONS
from seslog.diagnosis.replies import Reply, parse
from seslog.diagnosis.rules import RULES, Rule


@dataclass(frozen=True)
class Failure:
    """One recipient's failed or deferred delivery, as a Bounce or DeliveryDelay event records it."""

    recipient: str
    diagnostic_code: str | None = None
    status: str | None = None
    """The recipient's DSN ``status`` field (``5.1.1``)."""
    event_type: str = "Bounce"
    bounce_type: str | None = None
    bounce_subtype: str | None = None
    delay_type: str | None = None
    reporting_mta: str | None = None
    """The MTA that reported it; a delay's may be the receiving server, whose name can tell the provider."""


@dataclass(frozen=True)
class Diagnosis:
    reason: str
    provider: str
    actor: str
    rule: Rule
    reply: Reply
    inner: Diagnosis | None = None
    """For SES's own reply that quotes the receiving side's (an expiry): what that quoted reply says."""

    @property
    def meaning(self) -> str:
        return REASONS[self.reason].meaning

    def document(self) -> dict[str, object]:
        document: dict[str, object] = {
            "reason": self.reason,
            "provider": self.provider,
            "actor": self.actor,
            "rule": self.rule.id,
            "source": self.rule.source,
        }
        if self.inner:
            document["inner"] = self.inner.document()
        return document


def diagnose(failure: Failure) -> Diagnosis:
    reply = parse(failure.diagnostic_code, failure.status)
    mta = (failure.reporting_mta or "").removeprefix("dsn; ")
    provider = provider_of(failure.recipient, f"{reply.raw} {'' if mta.endswith('amazonses.com') else mta}")
    inner = None
    if reply.inner:
        inner = diagnose(
            Failure(failure.recipient, reply.inner.raw, event_type=failure.event_type, bounce_type=failure.bounce_type)
        )
        if inner.provider == provider_of(failure.recipient):
            provider = inner.provider
    for rule in RULES:
        if rule.matches(reply, provider, failure):
            return Diagnosis(rule.reason, provider, rule.actor or REASONS[rule.reason].actor, rule, reply, inner)
    raise AssertionError("the rule table ends with a rule that matches everything")
