"""What SES itself says about an address and the account, asked read-only (sesv2).

``GetSuppressedDestination`` tells whether the address is on the account-level suppression
list (reason, since when, the message that put it there); ``GetAccount`` whether the account is
still in the sandbox (mail only to verified addresses) or has sending paused, in both of which
cases the SendEmail call itself fails and SES publishes no event; ``GetEmailIdentity``, after an
authentication failure, whether the sending identity signs with DKIM and has its own MAIL FROM
domain. An on-call role may be denied any call: each check then says so in one line and the
others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def _first_known(
    check: str, action: str, names: Sequence[str], ask: Callable[[str], dict[str, Any]]
) -> tuple[str, dict[str, Any]] | Finding | None:
    """The first of ``names`` SES knows and its answer; None when it knows none (``NotFoundException`` for each);
    the one-line finding when it could not be asked."""
    for name in names:
        try:
            return name, ask(name)
        except ClientError as error:
            if error_code(error) != "NotFoundException":
                return _unasked(check, action, error)
        except BotoCoreError as error:
            return _unasked(check, action, error)
    return None


def suppression(sesv2: Any, spellings: Sequence[str], region: str | None) -> Finding:
    """Whether the address is on the account's suppression list, and how to take it off. The list keeps the address
    as it bounced, and the lookup may be exact: each spelling (as the events spell it first, then as asked) is
    looked up until one is found."""
    check = "suppression list"
    asked = _first_known(check, "GetSuppressedDestination", spellings, lambda a: sesv2.get_suppressed_destination(EmailAddress=a))
    if isinstance(asked, Finding):
        return asked
    if asked is None:
        shown = " or ".join(spellings)
        return Finding(check, f"{shown} is not on the account's suppression list", {"suppressed": False})
    address, answer = asked
    found = answer["SuppressedDestination"]
    address = found.get("EmailAddress") or address
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


def identity(sesv2: Any, names: Sequence[str], region: str | None) -> Finding:
    """Whether a sending identity (the From domain, else the From address) authenticates: DKIM signing on and verified,
    a custom MAIL FROM domain set up (without one, SPF passes for SES's domain, not the sender's, and DMARC can pass only
    through DKIM). What is missing, with the command that shows or sets it."""
    check = "sending identity"
    region_option = f" --region {region}" if region else ""
    asked = _first_known(check, "GetEmailIdentity", names, lambda n: sesv2.get_email_identity(EmailIdentity=n))
    if isinstance(asked, Finding):
        return asked
    if asked is None:
        which = f"neither {' nor '.join(names)} is" if len(names) > 1 else f"{names[0]} is not"
        text = (
            f"{which} an SES identity{' in ' + region if region else ''}: nothing signs this mail with DKIM for the "
            f"domain; create the domain identity with Easy DKIM: aws sesv2 create-email-identity --email-identity "
            f"{names[0]}{region_option}"
        )
        return Finding(check, text, {"identity": None, "problems": ["not an identity"]})
    name, found = asked
    dkim = found.get("DkimAttributes") or {}
    mail_from = found.get("MailFromAttributes") or {}
    problems = []
    if not found.get("VerifiedForSendingStatus"):
        problems.append("it is not verified for sending")
    if not dkim.get("SigningEnabled"):
        problems.append(
            f"DKIM signing is off: aws sesv2 put-email-identity-dkim-attributes --email-identity {name} --signing-enabled"
            f"{region_option}"
        )
    elif dkim.get("Status") != "SUCCESS":
        problems.append(
            f"DKIM is {dkim.get('Status', 'not set up')}: the CNAME records SES gave for the domain are not (all) in its DNS"
        )
    if not mail_from.get("MailFromDomain"):
        problems.append(
            "no custom MAIL FROM domain: SPF passes for SES's domain, not yours, so DMARC can pass only through DKIM; "
            f"set one: aws sesv2 put-email-identity-mail-from-attributes --email-identity {name} --mail-from-domain "
            f"bounce.{name.rpartition('@')[2]}{region_option}"
        )
    elif mail_from.get("MailFromDomainStatus") != "SUCCESS":
        problems.append(
            f"the MAIL FROM domain {mail_from['MailFromDomain']} is {mail_from.get('MailFromDomainStatus')}: its MX and SPF "
            "TXT records are missing or wrong"
        )
    facts = {
        "identity": name,
        "verified_for_sending": found.get("VerifiedForSendingStatus"),
        "dkim_signing": dkim.get("SigningEnabled"),
        "dkim_status": dkim.get("Status"),
        "mail_from_domain": mail_from.get("MailFromDomain"),
        "mail_from_status": mail_from.get("MailFromDomainStatus"),
        "problems": problems,
    }
    if not problems:
        text = (
            f"{name} signs with DKIM (verified) and has the MAIL FROM domain {mail_from['MailFromDomain']}: SES's side is "
            f"set up; check the DMARC record (dig TXT _dmarc.{name.rpartition('@')[2]}) and any other service sending as the domain"
        )
    else:
        text = f"{name}: " + "; ".join(problems)
    return Finding(check, text, facts)


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
