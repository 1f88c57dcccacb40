"""Encryption at rest: every store of events is encrypted with a customer-managed KMS key."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import buckets
from .checks import resource_validation
from .config import days, schema
from .properties import UnknownValueError, first, is_set, known_problems, many

Props = Mapping[str, Any]

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
# AWS managed keys are only reachable through their aliases, which all start with alias/aws/.
AWS_MANAGED_ALIAS = re.compile(r"(^|:)alias/aws/")
# KMS guide: the deletion window is 7-30 days, 30 when not set.
KMS_DEFAULT_DELETION_WINDOW_DAYS = 30


def _customer_key(what: str, key: Any) -> Iterator[str]:
    if not is_set(key):
        yield f"{what} names no KMS key, so the AWS managed key is used; name a customer-managed key"
    elif AWS_MANAGED_ALIAS.search(str(key)):
        yield f"{what} uses the AWS managed key {key}; use a customer-managed key"


def _sse_rule(rule: Props) -> Iterator[str]:
    # pulumi-aws v6's BucketV2 nests the default in a list.
    default = first(rule.get("applyServerSideEncryptionByDefault") or rule.get("applyServerSideEncryptionByDefaults"))
    algorithm = default.get("sseAlgorithm")
    if algorithm not in KMS_ALGORITHMS:
        yield f"default encryption is {algorithm or 'not set'}; use SSE-KMS ({' or '.join(KMS_ALGORITHMS)})"
        return
    # The key's ARN is unknown in the first preview; the Bucket Key is still judged.
    yield from known_problems(lambda: _customer_key("default encryption", default.get("kmsMasterKeyId")))
    # S3 Bucket Keys are not supported for DSSE-KMS (S3 guide, "Using Amazon S3 Bucket Keys").
    if algorithm == "aws:kms" and rule.get("bucketKeyEnabled") is not True:
        yield "bucketKeyEnabled is not true, so every object write calls KMS; turn the S3 Bucket Key on"


def _sse_rules(rules: list[Any]) -> Iterator[str]:
    if not rules:
        yield "the encryption configuration has no rule"
    for rule in rules:
        yield from _sse_rule(rule)


def _bucket_encryption(stack: StackValidationArgs, report: ReportViolation) -> None:
    linked = buckets.link(stack.resources)
    for bucket in linked.buckets:
        problems = linked.problems(
            bucket,
            buckets.ENCRYPTION,
            lambda setting: _sse_rules(many(setting.props.get("rules"))),
            # Inline: {rule: {...}} on Bucket, [{rules: [...]}] on v6's BucketV2.
            lambda inline: _sse_rules([rule for c in many(inline) for rule in many(c.get("rule") or c.get("rules"))]),
        )
        for problem in problems:
            report(problem, bucket.resource.urn)


s3_bucket_sse_kms = StackValidationPolicy(
    name="s3-bucket-sse-kms",
    description="Every S3 bucket encrypts objects by default with SSE-KMS (aws:kms or aws:kms:dsse) under a "
    "customer-managed key, with the S3 Bucket Key on for aws:kms.",
    validate=_bucket_encryption,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)


def _stream_encryption(props: Props, _: Props) -> Iterator[str]:
    # Server-side encryption is for Direct PUT streams; with a Kinesis or MSK source the data
    # rests in the source, which is encrypted there (Firehose API, StartDeliveryStreamEncryption).
    if is_set(props.get("kinesisSourceConfiguration")) or is_set(props.get("mskSourceConfiguration")):
        return
    sse = first(props.get("serverSideEncryption"))
    if sse.get("enabled") is not True:
        yield "server-side encryption is off; enable it with keyType CUSTOMER_MANAGED_CMK"
    elif sse.get("keyType") != "CUSTOMER_MANAGED_CMK":
        yield f"server-side encryption uses {sse.get('keyType') or 'AWS_OWNED_CMK'}; use CUSTOMER_MANAGED_CMK with a keyArn"
    else:
        yield from _customer_key("server-side encryption", sse.get("keyArn"))


def _s3_destination_key(props: Props, _: Props) -> Iterator[str]:
    s3 = first(props.get("extendedS3Configuration"))
    if not s3:
        return
    yield from _customer_key("extendedS3Configuration (kmsKeyArn)", s3.get("kmsKeyArn"))
    if s3.get("s3BackupMode") == "Enabled":
        yield from _customer_key("the S3 backup (kmsKeyArn)", first(s3.get("s3BackupConfiguration")).get("kmsKeyArn"))


firehose_customer_managed_encryption = ResourceValidationPolicy(
    name="firehose-customer-managed-encryption",
    description="Firehose streams encrypt buffered data with server-side encryption of keyType CUSTOMER_MANAGED_CMK, "
    "and their S3 destination names a customer-managed KMS key (kmsKeyArn).",
    validate=resource_validation(
        ["aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"], _stream_encryption, _s3_destination_key
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)


LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup"
COGNITO_LOG_DELIVERY_TYPE = "aws:cognito/logDeliveryConfiguration:LogDeliveryConfiguration"


@dataclass(frozen=True)
class CognitoDestinations:
    """The log groups Cognito user pools of the stack deliver their logs to."""

    urns: frozenset[str]
    """Linked by the property dependency of the configuration's ``logConfigurations``."""
    arns: frozenset[str]
    complete: bool
    """False when a configuration's log group is unknown and unlinked: it may be any log group."""


def _log_group_arns(delivery: PolicyResource) -> list[str]:
    arns = []
    for configuration in many(delivery.props.get("logConfigurations")):
        arn = first(configuration.get("cloudWatchLogsConfiguration")).get("logGroupArn")
        if is_set(arn):
            arns.append(str(arn).removesuffix(":*"))
    return arns


def cognito_destinations(resources: list[PolicyResource]) -> CognitoDestinations:
    urns: set[str] = set()
    arns: set[str] = set()
    complete = True
    for delivery in (r for r in resources if r.resource_type == COGNITO_LOG_DELIVERY_TYPE):
        linked = [d.urn for d in (delivery.property_dependencies or {}).get("logConfigurations", [])]
        linked = [u for u in linked if any(r.urn == u and r.resource_type == LOG_GROUP_TYPE for r in resources)]
        urns.update(linked)
        try:
            arns.update(_log_group_arns(delivery))
        except UnknownValueError:
            complete = complete and bool(linked)
    return CognitoDestinations(frozenset(urns), frozenset(arns), complete)


def _arn_of(log_group: PolicyResource) -> str | None:
    try:
        arn = log_group.props.get("arn")
    except UnknownValueError:
        return None
    return str(arn).removesuffix(":*") if is_set(arn) else None


def _log_group_key(log_group: PolicyResource, cognito: CognitoDestinations) -> Iterator[str]:
    key = log_group.props.get("kmsKeyId")
    if log_group.urn in cognito.urns or _arn_of(log_group) in cognito.arns:
        # Cognito API reference, CloudWatchLogsConfigurationType: "The log group must not be encrypted with
        # AWS Key Management Service".
        if is_set(key):
            yield (
                f"a Cognito user pool delivers its logs to this log group, which is encrypted with {key}: Cognito does "
                "not deliver to a log group encrypted with KMS; remove kmsKeyId"
            )
        return
    if not is_set(key) and not cognito.complete:
        return  # it may be the log group a Cognito configuration names, still unknown
    yield from _customer_key("the log group (kmsKeyId)", key)


def _log_group_encryption(stack: StackValidationArgs, report: ReportViolation) -> None:
    cognito = cognito_destinations(stack.resources)
    for log_group in (r for r in stack.resources if r.resource_type == LOG_GROUP_TYPE):
        for problem in known_problems(lambda g=log_group: _log_group_key(g, cognito)):
            report(problem, log_group.urn)


log_group_kms_encryption = StackValidationPolicy(
    name="log-group-kms-encryption",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key (kmsKeyId), except the log groups "
    "Cognito user pools of the stack deliver their logs to, which Cognito requires without a KMS key.",
    validate=_log_group_encryption,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)


def _workgroup_results(props: Props, _: Props) -> Iterator[str]:
    configuration = first(props.get("configuration"))
    # Athena enforces the workgroup's settings unless told otherwise (enforceWorkgroupConfiguration defaults to true).
    if configuration.get("enforceWorkgroupConfiguration") is False:
        yield "enforceWorkgroupConfiguration is false: queries may choose their own result encryption"
    encryption = first(first(configuration.get("resultConfiguration")).get("encryptionConfiguration"))
    option = encryption.get("encryptionOption")
    if option != "SSE_KMS":
        yield f"query results are encrypted with {option or 'nothing'}; use SSE_KMS with a kmsKeyArn"
    else:
        yield from _customer_key("query result encryption (kmsKeyArn)", encryption.get("kmsKeyArn"))


athena_workgroup_sse_kms = ResourceValidationPolicy(
    name="athena-workgroup-sse-kms",
    description="Athena workgroups encrypt query results with SSE_KMS under a customer-managed key and enforce "
    "the workgroup configuration, so no query can write results unencrypted.",
    validate=resource_validation(["aws:athena/workgroup:Workgroup"], _workgroup_results),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

KMS_KEY_CONFIG = {
    "minimumDeletionWindowDays": days(
        "Fewest days between scheduling a key's deletion and its destruction: the time to notice a mistake.", 7, 7, 30
    ),
}


def _rotation(props: Props, _: Props) -> Iterator[str]:
    # KMS rotates only symmetric encryption keys whose material it holds (KMS guide, "Rotating keys").
    symmetric = (props.get("customerMasterKeySpec") or "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    encrypts = (props.get("keyUsage") or "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
    if symmetric and encrypts and not is_set(props.get("customKeyStoreId")) and props.get("enableKeyRotation") is not True:
        yield "enableKeyRotation is not true; turn on automatic key rotation"


def _lockout_check(props: Props, _: Props) -> Iterator[str]:
    if props.get("bypassPolicyLockoutSafetyCheck") is True:
        yield "bypassPolicyLockoutSafetyCheck is true: a key policy that locks everyone out would be accepted"


def _deletion_window(props: Props, config: Props) -> Iterator[str]:
    window = props.get("deletionWindowInDays") or KMS_DEFAULT_DELETION_WINDOW_DAYS
    if window < config["minimumDeletionWindowDays"]:
        yield f"deletionWindowInDays is {window:g}; at least {config['minimumDeletionWindowDays']:g} days are required"


kms_key_safety = ResourceValidationPolicy(
    name="kms-key-safety",
    description="KMS keys rotate automatically, keep the key policy lockout safety check, and wait at least "
    "minimumDeletionWindowDays before a scheduled deletion destroys them.",
    validate=resource_validation(["aws:kms/key:Key"], _rotation, _lockout_check, _deletion_window, config=KMS_KEY_CONFIG),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=schema(KMS_KEY_CONFIG),
)

POLICIES = [
    s3_bucket_sse_kms,
    firehose_customer_managed_encryption,
    log_group_kms_encryption,
    athena_workgroup_sse_kms,
    kms_key_safety,
]
