"""Access: buckets are private and owner-enforced, roles get what they use and no more, and only
the intended SES configuration set may act through the SES role."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
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
from .principals import label, matching_values, public_grant
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


# An action's name up to its first wildcard: one word ("Get", "Put", "Describe") is a verb that
# spans a service's resources ("s3:Get*" reads bucket policies, ACLs and every object); two or more
# ("GenerateDataKey*", "GetObject*") name one family of actions.
VERB_ONLY = re.compile(r"[A-Za-z]?[a-z]*")
WILDCARDS = re.compile(r"[*?]")


def _broad_action(action: str) -> bool:
    """``*``, ``service:*`` or a wildcard after no more than a verb (``s3:Get*``, ``s3:*Object``)."""
    service, _, name = action.rpartition(":")
    wildcard = WILDCARDS.search(name)
    if wildcard is None:
        return False
    # Spelled in one case, the words cannot be told apart: judged as one word.
    prefix = name[: wildcard.start()]
    return not service or prefix.upper() == prefix or VERB_ONLY.fullmatch(prefix) is not None


def any_resource_of_its_kind(resource: str) -> bool:
    """``*``, or an ARN whose resource name is only wildcards: every bucket (``arn:aws:s3:::*``,
    ``arn:aws:s3:::*/*``), every key (``arn:aws:kms:us-east-1:123456789012:key/*``), every log group."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    segments = re.split(r"[/:]", parts[5])
    # S3 ARNs start with the bucket's name; the others with a resource type (key/, log-group:) when they have one.
    names = segments if parts[2] == "s3" else segments[1:] or segments
    return bool(names[0]) and not names[0].strip("*?")


def _statement_problems(statement: Props, any_resource_actions: set[str]) -> Iterator[str]:
    if statement.get("Effect") != "Allow":
        return
    label = f"statement {statement.get('Sid')!r}" if statement.get("Sid") else "a statement"
    if "NotAction" in statement:
        yield f"{label} allows NotAction: every action but those listed; name the actions instead"
    named = [str(a) for a in many(statement.get("Action"))]
    actions = [a.lower() for a in named]
    wildcards = [a for a in actions if a == "*" or a.endswith(":*")]
    if wildcards:
        yield f"{label} allows {', '.join(wildcards)}: every action of whole services; name the actions"
    verbs = [a.lower() for a in named if _broad_action(a) and a.lower() not in wildcards]
    if verbs:
        yield f"{label} allows {', '.join(verbs)}: every action of a verb (s3:get* reads policies and ACLs too); name the actions"
    if "NotResource" in statement:
        yield f"{label} uses NotResource: every resource but those listed; name the resources instead"
    for resource in [r for r in lowered(statement.get("Resource")) if any_resource_of_its_kind(r)]:
        needing_resources = [a for a in actions if a not in any_resource_actions]
        if needing_resources:
            where = 'Resource "*"' if resource == "*" else f"{resource} (every resource of its kind)"
            yield f"{label} allows {', '.join(needing_resources)} on {where}; name the resources"


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
    description='IAM policies for roles grant named actions on named resources: no "*", "<service>:*" or verb-wide '
    '("s3:Get*") action, no NotAction or NotResource, and Resource "*" or an ARN naming every resource of its kind '
    '("arn:aws:s3:::*") only for actions that support no resource-level permissions.',
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

FIREHOSE_SERVICE = "firehose.amazonaws.com"
EXTERNAL_ID = "sts:externalid"
ACCOUNT_ID = re.compile(r"\d{12}")


def _trusts(statement: Props, service: str) -> bool:
    principal = statement.get("Principal")
    services = many(principal.get("Service")) if isinstance(principal, Mapping) else []
    return statement.get("Effect") == "Allow" and service in [str(s) for s in services]


def _firehose_trust_statement(statement: Props) -> Iterator[str]:
    if not _trusts(statement, FIREHOSE_SERVICE):
        return
    external_ids = matching_values(statement.get("Condition"), frozenset({EXTERNAL_ID}))
    if not external_ids:
        yield (
            f"the role trusts {FIREHOSE_SERVICE} without an sts:ExternalId condition: any account's Firehose stream "
            'could act through it; add {"StringEquals": {"sts:ExternalId": "<this account id>"}}'
        )
    elif not all(ACCOUNT_ID.fullmatch(v) for v in external_ids[EXTERNAL_ID]):
        yield (
            f"the role's sts:ExternalId condition is {', '.join(external_ids[EXTERNAL_ID])}, not an account id: Firehose "
            "passes the stream's account id as the external id"
        )


def _each_trust_statement(check: Callable[[Props], Iterator[str]]) -> Callable[[Props, Props], Iterator[str]]:
    """A role check that runs ``check`` on every statement of the role's trust policy (unknown values skipped)."""

    def validate(props: Props, _: Props) -> Iterator[str]:
        document, problems = _document(props.get("assumeRolePolicy"), "assumeRolePolicy")
        yield from problems
        for statement in statements(document):
            yield from known_problems(lambda s=statement: check(s))

    return validate


firehose_role_confused_deputy = ResourceValidationPolicy(
    name="firehose-role-confused-deputy",
    description="Roles that Firehose assumes limit the trust to this account with an sts:ExternalId condition on the "
    "account id, as AWS recommends (confused-deputy protection).",
    validate=resource_validation(["aws:iam/role:Role"], _each_trust_statement(_firehose_trust_statement)),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)


def _public_grants(key: str, where: str, what: str) -> Callable[[Props, Props], Iterator[str]]:
    """A check that no statement of the policy document in ``key`` opens ``what`` to everyone."""

    def check(props: Props, _: Props) -> Iterator[str]:
        document, problems = _document(props.get(key), where)
        yield from problems
        for statement in statements(document):
            yield from known_problems(lambda s=statement: public_grant(s, what))

    return check


KMS_KEY_TYPES = [
    "aws:kms/key:Key",
    "aws:kms/keyPolicy:KeyPolicy",
    "aws:kms/replicaKey:ReplicaKey",
    "aws:kms/externalKey:ExternalKey",
    "aws:kms/replicaExternalKey:ReplicaExternalKey",
]

kms_key_policy_not_public = ResourceValidationPolicy(
    name="kms-key-policy-not-public",
    description='KMS key policies allow no KMS action to Principal "*" (or {"AWS": "*"}, or NotPrincipal) unless a '
    "condition limits it to an account, organization or service (kms:CallerAccount, aws:PrincipalAccount, "
    "aws:SourceAccount, ...).",
    validate=resource_validation(KMS_KEY_TYPES, _public_grants("policy", "the key policy", "the key")),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)

iam_role_trust_not_public = ResourceValidationPolicy(
    name="iam-role-trust-not-public",
    description='Role trust policies let no Principal "*" (or {"AWS": "*"}, or NotPrincipal) assume the role unless a '
    "condition limits it to an account, organization or principal (aws:PrincipalAccount, aws:PrincipalOrgID, "
    "aws:PrincipalArn, ...).",
    validate=resource_validation(["aws:iam/role:Role"], _public_grants("assumeRolePolicy", "assumeRolePolicy", "the role")),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)

s3_bucket_policy_not_public = ResourceValidationPolicy(
    name="s3-bucket-policy-not-public",
    description='Bucket policies allow nothing to Principal "*" (or {"AWS": "*"}, or NotPrincipal) unless a condition '
    "limits it to an account, organization or service (aws:PrincipalAccount, aws:SourceAccount, aws:PrincipalOrgID, "
    "...).",
    validate=[
        resource_validation(
            [buckets.BUCKET_POLICY_TYPE], _public_grants("policy", "the bucket policy", "the bucket or its objects")
        ),
        # The deprecated inline policy; unknown for every new bucket in a preview, so then skipped.
        resource_validation(buckets.BUCKET_TYPES, _public_grants("policy", "the bucket policy", "the bucket or its objects")),
    ],
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)

LOGS_SERVICES = re.compile(r"logs(\.[a-z0-9-]+)?\.amazonaws\.com")
"""CloudWatch Logs, by its global or a regional service name."""
SOURCE_KEYS = frozenset(CONFUSED_DEPUTY_KEYS)


def _logs_trust_statement(statement: Props) -> Iterator[str]:
    principal = statement.get("Principal")
    services = [str(s) for s in many(principal.get("Service"))] if isinstance(principal, Mapping) else []
    trusted = [s for s in services if LOGS_SERVICES.fullmatch(s)]
    if statement.get("Effect") != "Allow" or not trusted:
        return
    if not matching_values(statement.get("Condition"), SOURCE_KEYS):
        yield (
            f"the role trusts {trusted[0]} without an aws:SourceArn or aws:SourceAccount condition: another account's "
            'log groups could act through it; add {"StringLike": {"aws:SourceArn": "arn:aws:logs:<region>:<this account>:*"}}'
        )


logs_role_confused_deputy = ResourceValidationPolicy(
    name="logs-role-confused-deputy",
    description="Roles that CloudWatch Logs assumes (a subscription filter's role) limit the trust to this account's "
    "log groups with an aws:SourceArn or aws:SourceAccount condition (confused-deputy protection).",
    validate=resource_validation(["aws:iam/role:Role"], _each_trust_statement(_logs_trust_statement)),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

LOG_RESOURCE_POLICY_TYPE = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"


def _missing_source_conditions(statement: Props) -> list[str]:
    """The confused-deputy keys (aws:SourceAccount, aws:SourceArn) no condition of ``statement`` narrows."""
    return [k for k in CONFUSED_DEPUTY_KEYS if k not in matching_values(statement.get("Condition"), SOURCE_KEYS)]


def _log_resource_statement(statement: Props) -> Iterator[str]:
    if statement.get("Effect") != "Allow":
        return
    name = label(statement)
    principal = statement.get("Principal")
    if "NotPrincipal" in statement or not (isinstance(principal, Mapping) and set(principal) == {"Service"}):
        whom = "NotPrincipal" if "NotPrincipal" in statement else json.dumps(principal)
        yield (
            f"{name} lets {whom} write to the account's logs: a CloudWatch Logs resource policy is for AWS services "
            '(Principal {"Service": ...}); grant roles and users through IAM'
        )
    missing = _missing_source_conditions(statement)
    if missing:
        yield (
            f"{name} has no condition on {' and '.join(missing)}: the service could write on behalf of another account's "
            "resources; limit it to this account (aws:SourceAccount) and its resources (aws:SourceArn)"
        )
    if "NotResource" in statement:
        yield f"{name} uses NotResource: every log group but those listed; name the log groups"
    broad = [r for r in lowered(statement.get("Resource")) if any_resource_of_its_kind(r)]
    if broad:
        yield f"{name} applies to {', '.join(broad)}: every log group of the account; name the log groups"


def _log_resource_policy(props: Props, _: Props) -> Iterator[str]:
    document, problems = _document(props.get("policyDocument"), "the resource policy")
    yield from problems
    for statement in statements(document):
        yield from known_problems(lambda s=statement: _log_resource_statement(s))


log_resource_policy_confused_deputy = ResourceValidationPolicy(
    name="log-resource-policy-confused-deputy",
    description='CloudWatch Logs resource policies let only AWS services (Principal {"Service": ...}) write, to named '
    'log groups (not "*" or every log group), under aws:SourceAccount and aws:SourceArn conditions (confused-deputy '
    "protection).",
    validate=resource_validation([LOG_RESOURCE_POLICY_TYPE], _log_resource_policy),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

SCHEDULER_SERVICE = "scheduler.amazonaws.com"


def _scheduler_trust_statement(statement: Props) -> Iterator[str]:
    if not _trusts(statement, SCHEDULER_SERVICE):
        return
    missing = _missing_source_conditions(statement)
    if missing:
        yield (
            f"the role trusts {SCHEDULER_SERVICE} without conditions on {' and '.join(missing)}: another account's schedules "
            "could act through it; limit it to this account (aws:SourceAccount) and the schedule group (aws:SourceArn)"
        )


scheduler_role_confused_deputy = ResourceValidationPolicy(
    name="scheduler-role-confused-deputy",
    description="Roles that EventBridge Scheduler assumes limit the trust to this account and schedule group with "
    "aws:SourceAccount and aws:SourceArn conditions (confused-deputy protection, EventBridge Scheduler guide).",
    validate=resource_validation(["aws:iam/role:Role"], _each_trust_statement(_scheduler_trust_statement)),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

POLICIES = [
    s3_bucket_public_access_block,
    s3_bucket_owner_enforced,
    s3_bucket_policy_not_public,
    iam_no_wildcard_permissions,
    iam_role_trust_not_public,
    ses_role_confused_deputy,
    firehose_role_confused_deputy,
    kms_key_policy_not_public,
    logs_role_confused_deputy,
    log_resource_policy_confused_deputy,
    scheduler_role_confused_deputy,
]
