"""What a Cognito message-delivery error says: its kind, read from Cognito's words (``message.details``).

Cognito does not document the texts it logs; when it sends through SES (DEVELOPER mode) they carry
the error SES returned, and SES documents those ("Amazon SES email sending errors"; "Errors related
to the sending quotas for your Amazon SES account"); Cognito's own limit on its default email
(COGNITO_DEFAULT) is the text of its ``LimitExceededException``. Each rule below names where its
words come from. A text no rule knows is ``other``: quoted, never guessed at. The words for each
kind (what happened, what to do, who acts) are in ``seslog.verdicts.COGNITO``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SES_ERRORS = "https://docs.aws.amazon.com/ses/latest/dg/troubleshoot-error-messages.html"
_SES_QUOTAS = "https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html"
_COGNITO_EMAIL = "https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-email.html"


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    source: str


def _rule(kind: str, pattern: str, source: str) -> Rule:
    return Rule(kind, re.compile(pattern, re.IGNORECASE | re.DOTALL), source)


RULES: tuple[Rule, ...] = (
    # SES: "Email address is not verified. The following identities failed the check in region REGION: identity1,
    # identity2 ...": the From, Source, Sender or Return-Path identity, or, in the sandbox, a recipient.
    _rule("unverified", r"not verified\.?\s+The following identities failed the check", _SES_ERRORS),
    _rule("mail-from", r"MAIL[ -]FROM.*not verified|not verified.*MAIL[ -]FROM", _SES_ERRORS),
    _rule("paused", r"sending paused|account is paused|AccountSendingPaused", _SES_ERRORS),
    _rule("quota", r"Daily message quota exceeded", _SES_QUOTAS),
    _rule("throttled", r"Maximum sending rate exceeded|\bThrottl", _SES_QUOTAS),
    _rule("cognito-quota", r"Exceeded daily email limit", _COGNITO_EMAIL),
    _rule("configuration-set", r"Configuration set\b.*\bdoes not exist|ConfigurationSetDoesNotExist", _SES_ERRORS),
    _rule("not-authorized", r"not authori[sz]ed to perform|AccessDenied", _SES_ERRORS),
    _rule("suppressed", r"Address blacklisted|suppression list", _SES_ERRORS),
    _rule("bad-address", r"Illegal address|Missing final '@domain'|Local address contains control or whitespace", _SES_ERRORS),
    # The same log carries the pool's SMS errors (sent with SNS): not about email.
    _rule("sms", r"\bSMS\b|\bSNS\b|phone number", _COGNITO_EMAIL),
)

_IDENTITIES = re.compile(r"failed the check in region\s+([\w-]+)\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Reading:
    """What one error says."""

    kind: str
    """The ``COGNITO`` verdict key: a rule's kind, with a qualifier for ``unverified``."""
    rule: Rule | None
    identities: tuple[str, ...] = ()
    """For ``unverified``: the identities SES named (it ends the list with an ellipsis when it cannot name all)."""
    region: str | None = None
    """For ``unverified``: the Region SES checked them in, lower case."""


def read(details: str, address: str | None = None) -> Reading:
    """The kind of error ``details`` describes; ``address``, the recipient asked about, tells a sandbox's refusal of an
    unverified recipient from an unverified sending identity."""
    rule = next((r for r in RULES if r.pattern.search(details or "")), None)
    if rule is None:
        return Reading("other", None)
    if rule.kind != "unverified":
        return Reading(rule.kind, rule)
    found = _IDENTITIES.search(details)
    listed = tuple(i.strip(" .…") for i in found.group(2).split(",") if i.strip(" .…")) if found else ()
    region = found.group(1).lower() if found else None
    if address and address.lower() in (i.lower() for i in listed):
        return Reading("unverified/recipient", rule, listed, region)  # only the sandbox checks a recipient
    if listed and all("@" not in i for i in listed):
        return Reading("unverified/sender", rule, listed, region)  # a domain is never a recipient
    return Reading("unverified", rule, listed, region)
