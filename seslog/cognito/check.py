"""`seslog check-cognito`: whether a Cognito user pool's mail can reach SES, and this log, asked read-only.

The mail that goes missing most often is a user pool's (sign-up codes, password resets), and what
goes wrong before SES leaves no event in this log. Each check says ok, or the problem and its fix;
a call the credentials may not make is one line, and the other checks go on. What the checks hold
to is Cognito's developer guide, "Email settings for Amazon Cognito user pools": in COGNITO_DEFAULT
mode Cognito sends through its own SES (nothing reaches your account, and a small daily quota);
in DEVELOPER mode the ``SourceArn`` identity must be verified, in the pool's Region or one of the
alternate Regions Cognito accepts, with a policy that lets Cognito send; the pool names the
configuration set, else the identity's default set applies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from seslog.errors import ACCESS_DENIED, describe_aws_error, error_code

ALTERNATE_SES_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
"""The Regions whose SES identities Cognito also accepts for pools of some other Regions (Cognito's email settings)."""
COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"
SENDING_ACTIONS = {"ses:sendemail", "ses:sendrawemail", "ses:*", "*"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None
    """True: holds; False: a problem; None: could not be asked."""
    text: str
    fix: str | None = None

    def document(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "finding": self.text, "fix": self.fix}


class _Unasked(Exception):
    def __init__(self, check: Check):
        self.check = check


def _ask(name: str, action: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return call()
    except ClientError as error:
        if error_code(error) in ACCESS_DENIED:
            text = f"could not check: the credentials may not call {action.split(':')[1]} (IAM action {action})"
        else:
            text = f"could not check: {describe_aws_error(error)}"
        raise _Unasked(Check(name, None, text)) from None
    except BotoCoreError as error:
        raise _Unasked(Check(name, None, f"could not check: {describe_aws_error(error)}")) from None


def pool_region(pool_id: str) -> str:
    """The Region a user pool lives in: its ID starts with it (``eu-west-1_AbCdEf123``)."""
    return pool_id.split("_", 1)[0]


def check_pool(
    cognito: Any, sesv2_in: Callable[[str], Any], pool_id: str, configuration_set: str | None, log_group: str | None = None
) -> list[Check]:
    """Every check of the pool's email set-up; ``sesv2_in(region)`` is an SES v2 client of that Region; ``log_group``,
    the ARN of the log group the stack collects Cognito's errors from (stack output cognitoLogGroupArn), if known."""
    checks: list[Check] = []
    region = pool_region(pool_id)
    try:
        pool = _ask(
            "email sending account",
            "cognito-idp:DescribeUserPool",
            lambda: cognito.describe_user_pool(UserPoolId=pool_id),
        )["UserPool"]
    except _Unasked as unasked:
        checks.append(unasked.check)
        pool = None
    if pool is not None:
        checks += _email_checks(pool.get("EmailConfiguration") or {}, region, sesv2_in, configuration_set, pool_id)
    checks.append(_log_check(cognito, pool_id, log_group))
    return checks


def _email_checks(
    email: dict[str, Any], region: str, sesv2_in: Callable[[str], Any], configuration_set: str | None, pool_id: str
) -> list[Check]:
    account = email.get("EmailSendingAccount") or "COGNITO_DEFAULT"
    if account != "DEVELOPER":
        return [
            Check(
                "email sending account",
                False,
                "COGNITO_DEFAULT: Cognito sends the pool's mail through its own SES, with a small daily quota, and "
                "nothing of it reaches your account or this log",
                "set EmailSendingAccount DEVELOPER with SourceArn your verified SES identity and ConfigurationSet "
                "this stack's set (aws cognito-idp update-user-pool resets what it is not given: pass the pool's "
                "whole configuration)",
            )
        ]
    checks = [Check("email sending account", True, "DEVELOPER: the pool sends through your SES identity")]
    source = email.get("SourceArn") or ""
    parts = source.split(":")
    if len(parts) < 6 or not parts[5].startswith("identity/"):
        return [*checks, Check("sending identity", False, f"SourceArn {source!r} is not an SES identity ARN", "set it")]
    ses_region, identity = parts[3], parts[5].removeprefix("identity/")
    if ses_region == region:
        checks.append(Check("identity region", True, f"the identity is in the pool's Region, {region}"))
    elif ses_region in ALTERNATE_SES_REGIONS:
        checks.append(
            Check(
                "identity region",
                True,
                f"the identity is in {ses_region}, an alternate Region Cognito accepts for pools of some Regions "
                f"(the pool is in {region}; Cognito refuses the set-up where it does not)",
            )
        )
    else:
        checks.append(
            Check(
                "identity region",
                False,
                f"the identity is in {ses_region}, neither the pool's Region ({region}) nor one of "
                f"{', '.join(ALTERNATE_SES_REGIONS)}: Cognito fails the check in that Region",
                f"verify {identity} in SES in {region} and point SourceArn at it",
            )
        )
    sesv2 = sesv2_in(ses_region)
    try:
        found = _ask("sending identity", "ses:GetEmailIdentity", lambda: sesv2.get_email_identity(EmailIdentity=identity))
    except _Unasked as unasked:
        return [*checks, unasked.check, *_set_checks(email, configuration_set, None), _account_check(sesv2, ses_region)]
    checks.append(
        Check("sending identity", True, f"{identity} is verified for sending in {ses_region}")
        if found.get("VerifiedForSendingStatus")
        else Check(
            "sending identity",
            False,
            f"{identity} is not verified for sending in {ses_region}: Cognito's mail to it fails",
            f"verify it: aws sesv2 get-email-identity --email-identity {identity} --region {ses_region}",
        )
    )
    checks.append(_policy_check(found.get("Policies") or {}, identity))
    checks.append(_from_check(email.get("From") or "", identity))
    checks += _set_checks(email, configuration_set, found.get("ConfigurationSetName"))
    checks.append(_account_check(sesv2, ses_region))
    return checks


def _policy_check(policies: dict[str, str], identity: str) -> Check:
    for document in policies.values():
        try:
            statements = json.loads(document).get("Statement", [])
        except (ValueError, AttributeError):
            continue
        for statement in statements if isinstance(statements, list) else [statements]:
            principal = (statement.get("Principal") or {}) if isinstance(statement, dict) else {}
            services = principal.get("Service", []) if isinstance(principal, dict) else []
            services = [services] if isinstance(services, str) else services
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if (
                statement.get("Effect") == "Allow"
                and COGNITO_PRINCIPAL in services
                and {a.lower() for a in actions} & SENDING_ACTIONS
            ):
                return Check("Cognito may send", True, f"a policy of {identity} lets {COGNITO_PRINCIPAL} send")
    return Check(
        "Cognito may send",
        False,
        f"no policy of {identity} lets {COGNITO_PRINCIPAL} call ses:SendEmail: Cognito cannot send through it",
        f"add a sending authorization policy to {identity} allowing {COGNITO_PRINCIPAL} ses:SendEmail and "
        "ses:SendRawEmail (the Cognito console adds it when you choose the identity)",
    )


def _from_check(sender: str, identity: str) -> Check:
    address = parseaddr(sender)[1].lower()
    if not address:
        return Check("From address", True, f"the pool sends from {identity} itself (no From is set)")
    domain = address.rpartition("@")[2]
    if address == identity.lower() or domain == identity.lower() or domain.endswith("." + identity.lower()):
        return Check("From address", True, f"From {address} belongs to the identity {identity}")
    return Check(
        "From address",
        False,
        f"From {address} does not belong to the identity {identity}: SES refuses to send as it",
        f"use an address of {identity}, or verify {domain}",
    )


def _set_checks(email: dict[str, Any], configuration_set: str | None, identity_default: str | None) -> list[Check]:
    named = email.get("ConfigurationSet")
    used = named or identity_default
    how = "the pool names" if named else "the identity's default set is"
    if used and configuration_set and used == configuration_set:
        return [Check("configuration set", True, f"{how} {used}, this stack's: the pool's mail is logged")]
    if used and not configuration_set:
        return [
            Check(
                "configuration set",
                None,
                f"{how} {used}; this stack's set is not known here (pass --configuration-set) to say whether it is logged",
            )
        ]
    if used:
        return [
            Check(
                "configuration set",
                False,
                f"{how} {used}, not this stack's {configuration_set}: the pool's mail is logged elsewhere, if at all",
                f"set the pool's ConfigurationSet to {configuration_set}",
            )
        ]
    return [
        Check(
            "configuration set",
            False,
            "the pool names no configuration set and the identity has no default set: SES publishes no event of the pool's mail",
            f"set the pool's ConfigurationSet to {configuration_set or 'this stack’s set'}, or make it the identity's "
            "default (stack setting defaultForIdentities)",
        )
    ]


def _account_check(sesv2: Any, region: str) -> Check:
    try:
        account = _ask("SES account", "ses:GetAccount", sesv2.get_account)
    except _Unasked as unasked:
        return unasked.check
    if account.get("SendingEnabled") is False:
        return Check(
            "SES account",
            False,
            f"sending is paused for the account in {region}: every mail fails",
            "see the account's status: aws sesv2 get-account",
        )
    if account.get("ProductionAccessEnabled") is False:
        return Check(
            "SES account",
            False,
            f"the account is in the SES sandbox in {region}: Cognito's mail reaches verified addresses only",
            "request production access in the SES console",
        )
    return Check("SES account", True, f"out of the sandbox in {region}, sending enabled")


def _log_check(cognito: Any, pool_id: str, log_group: str | None) -> Check:
    name = "error logs"
    try:
        found = _ask(
            name,
            "cognito-idp:GetLogDeliveryConfiguration",
            lambda: cognito.get_log_delivery_configuration(UserPoolId=pool_id),
        )
    except _Unasked as unasked:
        return unasked.check
    collect = (
        f"add {pool_id} to the stack setting cognitoUserPoolIds and run pulumi up: the stack then delivers the pool's "
        "errors to its log group and seslog why shows them"
    )
    for config in (found.get("LogDeliveryConfiguration") or {}).get("LogConfigurations") or []:
        if config.get("EventSource") != "userNotification":
            continue
        # Cognito delivers these logs to CloudWatch Logs only ("Exporting logs from Amazon Cognito user pools").
        where = ((config.get("CloudWatchLogsConfiguration") or {}).get("LogGroupArn") or "").removesuffix(":*")
        if log_group and where == log_group.removesuffix(":*"):
            return Check(name, True, f"the pool's message-delivery errors go to this stack's log group {where}")
        if log_group:
            return Check(
                name,
                False,
                f"the pool's message-delivery errors go to {where or 'no log group'}, not this stack's {log_group}",
                collect,
            )
        return Check(
            name,
            True,
            f"the pool's message-delivery errors ({config.get('LogLevel')}) go to {where}; whether that is this stack's is "
            "not known here (stack output cognitoLogGroupArn)",
        )
    return Check(
        name,
        False,
        "the pool's message-delivery errors are not delivered anywhere: what Cognito drops (a throttled address, "
        "an identity it may not use) leaves no word",
        collect,
    )
