"""`seslog check-cognito`: whether a Cognito user pool's mail can reach SES, and this log, asked read-only.

The mail that goes missing most often is a user pool's (sign-up codes, password resets), and what
goes wrong before SES leaves no event in this log. Each check says ok, or the problem and its fix;
a call the credentials may not make is one line, and the other checks go on. What the checks hold
to is Cognito's developer guide, "Email settings for Amazon Cognito user pools": in COGNITO_DEFAULT
mode Cognito sends through its own SES (nothing reaches your account, and a small daily quota);
in DEVELOPER mode the ``SourceArn`` identity must be verified in a Region the guide's table accepts
for the pool's Region, and Cognito calls SES through its service-linked role
(``AWSServiceRoleForAmazonCognitoIdpEmailService``), plus, where SES is not in the pool's Region, a
sending authorization policy trusting the pool Region's Cognito principal; the pool names the
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

_BACKWARDS = ("us-east-1", "us-west-2", "eu-west-1")
_IN_REGION, _BACKWARDS_COMPATIBLE, _ALTERNATE = "in-Region only", "backwards compatible", "alternate Region"
SES_REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "us-east-1": (_BACKWARDS_COMPATIBLE, _BACKWARDS),
    "us-east-2": (_BACKWARDS_COMPATIBLE, ("us-east-2", *_BACKWARDS)),
    "us-west-1": (_IN_REGION, ("us-west-1",)),
    "us-west-2": (_BACKWARDS_COMPATIBLE, _BACKWARDS),
    "ca-central-1": (_BACKWARDS_COMPATIBLE, ("ca-central-1", *_BACKWARDS)),
    "ca-west-1": (_ALTERNATE, ("ca-central-1", "us-west-1")),
    "mx-central-1": (_ALTERNATE, ("us-east-1", "us-west-2")),
    "ap-northeast-1": (_BACKWARDS_COMPATIBLE, ("ap-northeast-1", *_BACKWARDS)),
    "ap-east-1": (_ALTERNATE, ("ap-southeast-1", "ap-northeast-1")),
    "ap-northeast-2": (_BACKWARDS_COMPATIBLE, ("ap-northeast-2", *_BACKWARDS)),
    "ap-southeast-5": (_ALTERNATE, ("ap-southeast-2", "ap-southeast-1")),
    "ap-southeast-7": (_ALTERNATE, ("ap-southeast-1", "ap-south-1")),
    "ap-south-1": (_BACKWARDS_COMPATIBLE, ("ap-south-1", *_BACKWARDS)),
    "ap-south-2": (_ALTERNATE, ("ap-south-1", "ap-southeast-1")),
    "ap-southeast-1": (_BACKWARDS_COMPATIBLE, ("ap-southeast-1", *_BACKWARDS)),
    "ap-southeast-2": (_BACKWARDS_COMPATIBLE, ("ap-southeast-2", *_BACKWARDS)),
    "ap-northeast-3": (_IN_REGION, ("ap-northeast-3",)),
    "ap-southeast-3": (_IN_REGION, ("ap-southeast-3",)),
    "ap-southeast-4": (_ALTERNATE, ("ap-southeast-2", "ap-southeast-1")),
    "eu-west-1": (_BACKWARDS_COMPATIBLE, _BACKWARDS),
    "eu-west-2": (_BACKWARDS_COMPATIBLE, ("eu-west-2", *_BACKWARDS)),
    "eu-west-3": (_IN_REGION, ("eu-west-3",)),
    "eu-central-1": (_BACKWARDS_COMPATIBLE, ("eu-central-1", *_BACKWARDS)),
    "eu-central-2": (_ALTERNATE, ("eu-central-1", "eu-west-2")),
    "eu-north-1": (_IN_REGION, ("eu-north-1",)),
    "eu-south-1": (_IN_REGION, ("eu-south-1",)),
    "eu-south-2": (_ALTERNATE, ("eu-west-3", "eu-north-1")),
    "me-south-1": (_IN_REGION, ("me-south-1",)),
    "me-central-1": (_ALTERNATE, ("eu-central-1", "eu-west-2")),
    "sa-east-1": (_IN_REGION, ("sa-east-1",)),
    "il-central-1": (_IN_REGION, ("il-central-1",)),
    "af-south-1": (_IN_REGION, ("af-south-1",)),
}
"""For each user pool Region, its kind and the Regions whose SES identities Cognito accepts (Cognito developer guide,
"Email settings for Amazon Cognito user pools", Amazon SES email configuration Regions). In an alternate-Region pool
with DEVELOPER sending, only the first listed Region's identity is used."""

EMAIL_SERVICE_ROLE = "AWSServiceRoleForAmazonCognitoIdpEmailService"
"""The service-linked role through which Cognito calls SES for a pool in DEVELOPER mode (Cognito developer guide, "Using
service-linked roles for Amazon Cognito"); created once per account, when a pool is first set to send through SES."""
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


def _ask(name: str, action: str, call: Callable[[], Any]) -> Any:
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
    cognito: Any,
    sesv2_in: Callable[[str], Any],
    iam: Any,
    pool_id: str,
    configuration_set: str | None,
    log_group: str | None = None,
) -> list[Check]:
    """Every check of the pool's email set-up; ``sesv2_in(region)`` is an SES v2 client of that Region, ``iam`` an IAM
    client; ``log_group``, the ARN of the log group the stack collects Cognito's errors from (stack output
    cognitoLogGroupArn), if known."""
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
        checks += _email_checks(pool.get("EmailConfiguration") or {}, region, sesv2_in, iam, configuration_set)
    checks.append(_log_check(cognito, pool_id, log_group))
    return checks


def _email_checks(
    email: dict[str, Any], region: str, sesv2_in: Callable[[str], Any], iam: Any, configuration_set: str | None
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
    kind, accepted = SES_REGIONS.get(region, (None, ()))
    if kind == _ALTERNATE:
        accepted = accepted[:1]  # DEVELOPER sending uses the first listed Region's identity
    if ses_region == region and (kind is None or region in accepted):
        checks.append(Check("identity region", True, f"the identity is in the pool's Region, {region}"))
    elif ses_region in accepted:
        checks.append(
            Check(
                "identity region", True, f"the identity is in {ses_region}, which Cognito accepts for pools in {region} ({kind})"
            )
        )
    elif kind is None:
        checks.append(
            Check(
                "identity region",
                None,
                f"the identity is in {ses_region}; which Regions Cognito accepts for pools in {region} is not in this "
                "tool's table (Cognito's email settings guide lists them)",
            )
        )
    else:
        checks.append(
            Check(
                "identity region",
                False,
                f"the identity is in {ses_region}, but Cognito takes identities for pools in {region} ({kind}) only from "
                f"{', '.join(accepted)}: the set-up fails the check in that Region",
                f"verify {identity} in SES in {accepted[0]} and point SourceArn at it",
            )
        )
    sesv2 = sesv2_in(ses_region)
    try:
        found = _ask("sending identity", "ses:GetEmailIdentity", lambda: sesv2.get_email_identity(EmailIdentity=identity))
    except _Unasked as unasked:
        unasked_identity = [unasked.check, _role_check(iam), *_set_checks(email, configuration_set, None)]
        return [*checks, *unasked_identity, _account_check(sesv2, ses_region)]
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
    checks.append(_role_check(iam))
    if kind == _ALTERNATE:
        checks.append(_policy_check(found.get("Policies") or {}, identity, f"cognito-idp.{region}.amazonaws.com"))
    checks.append(_from_check(email.get("From") or "", identity))
    checks += _set_checks(email, configuration_set, found.get("ConfigurationSetName"))
    checks.append(_account_check(sesv2, ses_region))
    return checks


def _role_check(iam: Any) -> Check:
    name = "Cognito may send"

    def get_role() -> dict[str, Any] | None:
        try:
            return iam.get_role(RoleName=EMAIL_SERVICE_ROLE)
        except ClientError as error:
            if error_code(error) == "NoSuchEntity":
                return None
            raise

    try:
        found = _ask(name, "iam:GetRole", get_role)
    except _Unasked as unasked:
        return unasked.check
    if found is None:
        return Check(
            name,
            False,
            f"the account has no service-linked role {EMAIL_SERVICE_ROLE}: Cognito cannot call SES for the pool",
            "aws iam create-service-linked-role --aws-service-name email.cognito-idp.amazonaws.com (the Cognito console "
            "creates it when a pool is first set to send through SES)",
        )
    return Check(name, True, f"Cognito calls SES through the account's service-linked role {EMAIL_SERVICE_ROLE}")


def _policy_check(policies: dict[str, str], identity: str, principal_name: str) -> Check:
    """In an alternate-Region pool, the identity's sending authorization policy must trust the pool Region's principal."""
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
                and principal_name in services
                and {a.lower() for a in actions} & SENDING_ACTIONS
            ):
                return Check("identity policy", True, f"a policy of {identity} lets {principal_name} send")
    return Check(
        "identity policy",
        False,
        f"no policy of {identity} lets {principal_name} send: a pool in an alternate Region sends only with that",
        f"add a sending authorization policy to {identity} allowing {principal_name} ses:SendEmail and ses:SendRawEmail, "
        "under aws:SourceAccount and aws:SourceArn (the pool)",
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
