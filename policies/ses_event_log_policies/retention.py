"""Retention: events and logs expire within a configured window, and nothing lingers forever."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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
from .config import days, flag, schema, settings
from .properties import first, is_set, many

Props = Mapping[str, Any]

BUCKET_RETENTION_CONFIG = {
    "minimumRetentionDays": days("Fewest days an object may be kept before its whole-bucket expiration.", 7, 1),
    "maximumRetentionDays": days("Most days an object may be kept before its whole-bucket expiration.", 731, 1),
}


@dataclass(frozen=True)
class Rule:
    """A lifecycle rule as far as retention goes; days of 0 or less mean "not set"."""

    applies: bool
    """Enabled and filtering nothing out: it covers every object of the bucket."""
    expiration_days: float
    noncurrent_days: float
    abort_multipart_days: float


def _days(value: Any) -> float:
    # Providers report unset day counts as 0; S3 itself requires at least 1.
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _unset(key: str, value: Any) -> bool:
    # Providers report an unset object size limit as 0.
    return not is_set(value) or (key.startswith("objectSize") and str(value) in ("0", "0.0"))


def _filters_nothing(rule_filter: Any, prefix: Any) -> bool:
    return not is_set(prefix) and all(_unset(key, value) for key, value in first(rule_filter).items())


def _rule(rule: Props) -> Rule:
    """A rule of BucketLifecycleConfiguration(V2)."""
    return Rule(
        applies=rule.get("status") == "Enabled" and _filters_nothing(rule.get("filter"), rule.get("prefix")),
        expiration_days=_days(first(rule.get("expiration")).get("days")),
        noncurrent_days=_days(first(rule.get("noncurrentVersionExpiration")).get("noncurrentDays")),
        abort_multipart_days=_days(first(rule.get("abortIncompleteMultipartUpload")).get("daysAfterInitiation")),
    )


def _inline_rule(rule: Props) -> Rule:
    """A deprecated inline ``lifecycleRules`` entry (objects on Bucket, lists on v6's BucketV2)."""
    return Rule(
        applies=rule.get("enabled") is True and not is_set(rule.get("prefix")) and not is_set(rule.get("tags")),
        expiration_days=_days(first(rule.get("expiration") or rule.get("expirations")).get("days")),
        noncurrent_days=_days(
            first(rule.get("noncurrentVersionExpiration") or rule.get("noncurrentVersionExpirations")).get("days")
        ),
        abort_multipart_days=_days(rule.get("abortIncompleteMultipartUploadDays")),
    )


def retention_problems(rules: list[Rule], config: Props) -> Iterator[str]:
    low, high = config["minimumRetentionDays"], config["maximumRetentionDays"]
    whole = [r for r in rules if r.applies]
    expirations = [r.expiration_days for r in whole if r.expiration_days > 0]
    if not expirations:
        yield f"no enabled lifecycle rule for the whole bucket expires objects; expire them after {low:g}-{high:g} days"
    # Where rules overlap, S3 applies the shortest expiration (S3 guide, "Lifecycle configuration conflicts").
    elif not low <= min(expirations) <= high:
        yield f"objects expire after {min(expirations):g} days; the allowed retention is {low:g}-{high:g} days"
    if not any(r.noncurrent_days > 0 for r in whole):
        yield "no enabled lifecycle rule for the whole bucket expires noncurrent object versions"
    if not any(r.abort_multipart_days > 0 for r in whole):
        yield "no enabled lifecycle rule for the whole bucket aborts incomplete multipart uploads"


def _bucket_retention(stack: StackValidationArgs, report: ReportViolation) -> None:
    config = settings(stack, BUCKET_RETENTION_CONFIG)
    linked = buckets.link(stack.resources)
    for bucket in linked.buckets:
        for problem in linked.problems(
            bucket,
            buckets.LIFECYCLE,
            lambda setting: retention_problems([_rule(r) for r in many(setting.props.get("rules"))], config),
            lambda inline: retention_problems([_inline_rule(r) for r in many(inline)], config),
        ):
            report(problem, bucket.resource.urn)


s3_bucket_lifecycle_retention = StackValidationPolicy(
    name="s3-bucket-lifecycle-retention",
    description="Every S3 bucket (each holds event data) has enabled lifecycle rules for the whole bucket that expire "
    "objects after minimumRetentionDays-maximumRetentionDays days, expire noncurrent versions and abort "
    "incomplete multipart uploads.",
    validate=_bucket_retention,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=schema(BUCKET_RETENTION_CONFIG),
)

LOG_RETENTION_CONFIG = {
    "minimumRetentionDays": days("Fewest days a log event may be kept.", 7, 1),
    "maximumRetentionDays": days("Most days a log event may be kept.", 731, 1),
    "allowNeverExpire": flag("Allow log groups whose events never expire (no retentionInDays)."),
}


def _log_retention(props: Props, config: Props) -> Iterator[str]:
    retention = props.get("retentionInDays")
    low, high = config["minimumRetentionDays"], config["maximumRetentionDays"]
    if not retention:
        if not config["allowNeverExpire"]:
            yield f"retentionInDays is not set, so log events never expire; keep them {low:g}-{high:g} days"
    elif not low <= retention <= high:
        yield f"retentionInDays is {retention:g}; the allowed retention is {low:g}-{high:g} days"


log_group_retention = ResourceValidationPolicy(
    name="log-group-retention",
    description="CloudWatch log groups keep events minimumRetentionDays-maximumRetentionDays days, and never forever "
    "unless allowNeverExpire is set.",
    validate=resource_validation(["aws:cloudwatch/logGroup:LogGroup"], _log_retention, config=LOG_RETENTION_CONFIG),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=schema(LOG_RETENTION_CONFIG),
)

POLICIES = [s3_bucket_lifecycle_retention, log_group_retention]
