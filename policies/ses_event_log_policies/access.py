"""Access: buckets are private and owner-enforced, roles get what they use and no more, and only
the intended SES configuration set may act through the SES role."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import buckets
from .checks import resource_validation
from .config import schema
from .properties import UnknownValueError, first, known_problems, lowered, many, policy_document, statements

Props = Mapping[str, Any]

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"


def _flags_off(props: Props) -> list[str]:
    return [flag for flag in PUBLIC_ACCESS_FLAGS if props.get(flag) is not True]


def _blocks_everything(account_block: Props) -> bool:
    """An account-level block with all four flags covers every bucket of the account. One whose
    flags are unknown may do so: it is given the benefit of the doubt until the update."""
    try:
        return not _flags_off(account_block)
    except UnknownValueError:
        return True


def _public_access(stack: StackValidationArgs, report: ReportViolation) -> None:
    if any(r.resource_type == ACCOUNT_PUBLIC_ACCESS_BLOCK and _blocks_everything(r.props) for r in stack.resources):
        return
    linked = buckets.link(stack.resources)

    def check(setting: Any) -> Iterator[str]:
        off = _flags_off(setting.props)
        if off:
            yield f"the public access block leaves {', '.join(off)} off; turn all four on"

    for bucket in linked.buckets:
        for problem in linked.problems(bucket, buckets.PUBLIC_ACCESS, check):
            report(problem, bucket.resource.urn)


s3_bucket_public_access_block = StackValidationPolicy(
    name="s3-bucket-public-access-block",
    description="Every S3 bucket has a public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls "
    "and restrictPublicBuckets all true (or the stack blocks public access account-wide).",
    validate=_public_access,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)


def _owner_enforced(stack: StackValidationArgs, report: ReportViolation) -> None:
    linked = buckets.link(stack.resources)

    def check(setting: Any) -> Iterator[str]:
        ownership = first(setting.props.get("rule")).get("objectOwnership")
        if ownership != "BucketOwnerEnforced":
            yield f"objectOwnership is {ownership or 'not set'}: ACLs still apply; use BucketOwnerEnforced"

    for bucket in linked.buckets:
        for problem in linked.problems(bucket, buckets.OWNERSHIP, check):
            report(problem, bucket.resource.urn)


s3_bucket_owner_enforced = StackValidationPolicy(
    name="s3-bucket-owner-enforced",
    description="Every S3 bucket has ownership controls with objectOwnership BucketOwnerEnforced: ACLs are off and "
    "the bucket owner owns every object.",
    validate=_owner_enforced,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

IAM_CONFIG = {
    "actionsAllowedOnAnyResource": {
        "type": "array",
        "items": {"type": "string"},
        # These actions have no resource type (Service Authorization Reference), so "*" is their only resource.
        "default": [
            "cloudwatch:GetMetricData",
            "cloudwatch:ListMetrics",
            "cloudwatch:PutMetricData",
            "kms:CreateKey",
            "kms:ListAliases",
            "kms:ListKeys",
            "s3:ListAllMyBuckets",
        ],
        "description": 'Actions that support no resource-level permissions, so may be granted on Resource "*".',
    },
}


def _document(value: Any, where: str) -> tuple[Mapping[str, Any] | None, list[str]]:
    try:
        return policy_document(value), []
    except ValueError as exc:
        return None, [f"{where} is not a JSON policy document: {exc}"]


def _statement_problems(statement: Props, any_resource_actions: set[str]) -> Iterator[str]:
    if statement.get("Effect") != "Allow":
        return
    label = f"statement {statement.get('Sid')!r}" if statement.get("Sid") else "a statement"
    if "NotAction" in statement:
        yield f"{label} allows NotAction: every action but those listed; name the actions instead"
    actions = lowered(statement.get("Action"))
    wildcards = [a for a in actions if a == "*" or a.endswith(":*")]
    if wildcards:
        yield f"{label} allows {', '.join(wildcards)}: every action of whole services; name the actions"
    if "NotResource" in statement:
        yield f"{label} uses NotResource: every resource but those listed; name the resources instead"
    if "*" in lowered(statement.get("Resource")):
        needing_resources = [a for a in actions if a not in any_resource_actions]
        if needing_resources:
            yield f'{label} allows {", ".join(needing_resources)} on Resource "*"; name the resources'


def _document_problems(value: Any, where: str, config: Props) -> Iterator[str]:
    document, problems = _document(value, where)
    yield from problems
    any_resource_actions = {a.lower() for a in config["actionsAllowedOnAnyResource"]}
    for statement in statements(document):
        yield from known_problems(lambda s=statement: _statement_problems(s, any_resource_actions))


def _policy(props: Props, config: Props) -> Iterator[str]:
    yield from _document_problems(props.get("policy"), "the policy", config)


def _inline_policies(props: Props, config: Props) -> Iterator[str]:
    for inline in many(props.get("inlinePolicies")):
        name = inline.get("name") or "an inline policy"
        yield from known_problems(lambda i=inline, n=name: _document_problems(i.get("policy"), n, config))


iam_no_wildcard_permissions = ResourceValidationPolicy(
    name="iam-no-wildcard-permissions",
    description='IAM policies for roles grant named actions on named resources: no "*" or "<service>:*" action, no '
    'NotAction or NotResource, and Resource "*" only for actions that support no resource-level permissions.',
    validate=[
        resource_validation(["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"], _policy, config=IAM_CONFIG),
        resource_validation(["aws:iam/role:Role"], _inline_policies, config=IAM_CONFIG),
    ],
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=schema(IAM_CONFIG),
)

SES_SERVICE = "ses.amazonaws.com"
CONFUSED_DEPUTY_KEYS = ("aws:sourceaccount", "aws:sourcearn")


def _condition_keys(condition: Any) -> set[str]:
    """Condition keys (lower case) that limit the statement to something narrower than "*"."""
    keys: set[str] = set()
    for operator_block in (condition or {}).values():
        for key, value in operator_block.items() if isinstance(operator_block, Mapping) else ():
            if any(str(v) != "*" for v in many(value)):
                keys.add(key.lower())
    return keys


def _ses_trust(props: Props, _: Props) -> Iterator[str]:
    document, problems = _document(props.get("assumeRolePolicy"), "assumeRolePolicy")
    yield from problems
    for statement in statements(document):
        principal = statement.get("Principal")
        services = many(principal.get("Service")) if isinstance(principal, Mapping) else []
        if statement.get("Effect") != "Allow" or SES_SERVICE not in services:
            continue
        missing = [k for k in CONFUSED_DEPUTY_KEYS if k not in _condition_keys(statement.get("Condition"))]
        if missing:
            yield (
                f"the role trusts {SES_SERVICE} without conditions on {' and '.join(missing)}: any account's SES could "
                "act through it; limit it to this account and configuration set"
            )


ses_role_confused_deputy = ResourceValidationPolicy(
    name="ses-role-confused-deputy",
    description="Roles that SES assumes limit the trust to this account and configuration set with "
    "AWS:SourceAccount and AWS:SourceArn conditions (confused-deputy protection).",
    validate=resource_validation(["aws:iam/role:Role"], _ses_trust),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

POLICIES = [s3_bucket_public_access_block, s3_bucket_owner_enforced, iam_no_wildcard_permissions, ses_role_confused_deputy]
