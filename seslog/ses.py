"""What SES itself says about an address and the account, asked read-only (sesv2).

``GetSuppressedDestination`` tells whether the address is on the account-level suppression
list (reason, since when, the message that put it there); ``GetAccount`` whether the account is
still in the sandbox (mail only to verified addresses) or has sending paused, in both of which
cases the SendEmail call itself fails and SES publishes no event. An on-call role may be denied
either call: each check then says so in one line and the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from seslog.errors import ACCESS_DENIED, describe_aws_error, error_code


@dataclass(frozen=True)
class Finding:
    check: str
    """``suppression list`` or ``account``."""
    text: str
    """One line for a person."""
    facts: dict[str, Any]
    """What SES answered, for ``--json``; ``{"error": ...}`` when it could not be asked."""

    def document(self) -> dict[str, Any]:
        return {"check": self.check, "finding": self.text, **self.facts}


def _unasked(check: str, action: str, error: BotoCoreError | ClientError) -> Finding:
    if isinstance(error, ClientError) and error_code(error) in ACCESS_DENIED:
        text = f"could not check: the credentials may not call {action} (IAM action ses:{action}); going on without it"
    else:
        text = f"could not check: {describe_aws_error(error)}"
    return Finding(check, text, {"error": text})


def suppression(sesv2: Any, address: str, region: str | None) -> Finding:
    """Whether ``address`` is on the account's suppression list, and how to take it off."""
    check = "suppression list"
    try:
        found = sesv2.get_suppressed_destination(EmailAddress=address)["SuppressedDestination"]
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return Finding(check, f"{address} is not on the account's suppression list", {"suppressed": False})
        return _unasked(check, "GetSuppressedDestination", error)
    except BotoCoreError as error:
        return _unasked(check, "GetSuppressedDestination", error)
    since = found.get("LastUpdateTime")
    since_text = since.isoformat() if hasattr(since, "isoformat") else str(since or "an unknown time")
    attributes = found.get("Attributes") or {}
    reason = found.get("Reason", "an unknown reason")
    cause = f" by message {attributes['MessageId']}" if attributes.get("MessageId") else ""
    region_option = f" --region {region}" if region else ""
    command = f"aws sesv2 delete-suppressed-destination --email-address {address}{region_option}"
    return Finding(
        check,
        f"{address} IS on the account's suppression list since {since_text} (reason {reason}{cause}): SES sends it nothing. "
        f"Once the recipient confirms the address works, remove it: {command}",
        {
            "suppressed": True,
            "reason": reason,
            "since": since_text,
            "message_id": attributes.get("MessageId"),
            "remove_with": command,
        },
    )


def account(sesv2: Any, region: str | None) -> Finding:
    """Whether the account can send to anyone: out of the sandbox, sending enabled."""
    check = "account"
    try:
        answer = sesv2.get_account()
    except (BotoCoreError, ClientError) as error:
        return _unasked(check, "GetAccount", error)
    where = f" in {region}" if region else ""
    production = answer.get("ProductionAccessEnabled")
    sending = answer.get("SendingEnabled")
    enforcement = answer.get("EnforcementStatus")
    reasons = (answer.get("SuppressionAttributes") or {}).get("SuppressedReasons") or []
    problems = []
    if production is False:
        problems.append(
            f"the account is in the SES sandbox{where}: SES takes mail only to verified addresses, and SendEmail fails for "
            "any other without publishing an event; request production access in the SES console"
        )
    if sending is False:
        problems.append(
            f"sending is paused for the account{where} (enforcement status {enforcement}): every SendEmail call fails"
        )
    listed = ", ".join(reasons) if reasons else "nothing"
    text = (
        "; ".join(problems)
        if problems
        else f"the account{where} is out of the sandbox and sending is enabled (enforcement status {enforcement})"
    )
    return Finding(
        check,
        f"{text}; its suppression list collects {listed}",
        {
            "production_access": production,
            "sending_enabled": sending,
            "enforcement_status": enforcement,
            "suppressed_reasons": reasons,
        },
    )
