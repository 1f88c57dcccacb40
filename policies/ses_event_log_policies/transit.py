"""Encryption in transit: buckets refuse plain HTTP, and SES delivers mail over TLS."""

from __future__ import annotations

import re
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
from .checks import Check, resource_validation
from .principals import everyone
from .properties import first, lowered, many, policy_document, statements

Props = Mapping[str, Any]

ALL_S3_ACTIONS = {"s3:*", "*"}
# Condition operators and keys are matched without regard to case, as IAM does for keys.
FALSE_WITHOUT_TLS = ("bool", "boolifexists")


def _only_refuses_plain_http(condition: Any) -> bool:
    """The condition is aws:SecureTransport false and nothing else: another condition (an IP
    range, a prefix) would let plain HTTP through wherever it does not match."""
    if not isinstance(condition, Mapping) or len(condition) != 1:
        return False
    ((operator, block),) = condition.items()
    if operator.lower() not in FALSE_WITHOUT_TLS or not isinstance(block, Mapping) or len(block) != 1:
        return False
    ((key, value),) = block.items()
    return key.lower() == "aws:securetransport" and [str(v).lower() for v in many(value)] == ["false"]


def _pattern(resource: str) -> re.Pattern[str] | None:
    """A Resource element as a regular expression over "<bucket>" and "<bucket>/<key>" (the ARN
    without its prefix; any partition); None for a resource that is not S3's."""
    if resource == "*":
        return re.compile(".*", re.DOTALL)
    match = buckets.S3_ARN.fullmatch(resource)
    if match is None:
        return None
    return re.compile(re.escape(match.group(1)).replace(r"\*", ".*").replace(r"\?", "."), re.DOTALL)


def covers_bucket_and_objects(resources: list[str], bucket: str) -> bool:
    """Whether the resources cover the bucket itself and every object in it. A pattern P* covers
    every "<bucket>/<key>" when it matches "<bucket>/": its last * takes the rest of any key."""
    patterns = [p for p in (_pattern(r) for r in resources) if p is not None]
    the_bucket = any(p.fullmatch(bucket) for p in patterns)
    every_object = any(p.pattern.endswith(".*") and p.fullmatch(bucket + "/") for p in patterns)
    return the_bucket and every_object


def denies_insecure_transport(document: Mapping[str, Any] | None, bucket: str | None = None) -> bool:
    """Whether a bucket policy denies every S3 action on the bucket and its objects to any
    request made without TLS (S3 guide, "Enforce encryption of data in transit"), with no other
    condition; the bucket and its objects may be denied in separate statements. ``bucket`` is the
    bucket's name; while it is unknown, the resources are only required to name a bucket and objects."""
    resources: list[str] = []
    for statement in statements(document):
        if statement.get("Effect") != "Deny" or not everyone(statement.get("Principal")):
            continue
        if not ALL_S3_ACTIONS & set(lowered(statement.get("Action"))):
            continue
        if not _only_refuses_plain_http(statement.get("Condition")):
            continue
        resources += [str(r) for r in many(statement.get("Resource"))]
    if bucket is not None:
        return covers_bucket_and_objects(resources, bucket)
    return any(r.endswith("*") for r in resources) and any(not r.endswith("/*") for r in resources)


def _policy_problems(policy: Any, bucket: str | None) -> Iterator[str]:
    try:
        document = policy_document(policy)
    except ValueError as exc:
        yield f"the bucket policy is not a JSON policy document: {exc}"
        return
    if not denies_insecure_transport(document, bucket):
        arn = f"arn:aws:s3:::{bucket or '<bucket>'}"
        yield (
            f"the bucket policy does not deny requests without TLS to this bucket: add a Deny of s3:* on {arn} and "
            f'{arn}/* to Principal "*" with Condition {{"Bool": {{"aws:SecureTransport": "false"}}}} and no other condition'
        )


def _bucket_transport(stack: StackValidationArgs, report: ReportViolation) -> None:
    linked = buckets.link(stack.resources)
    for bucket in linked.buckets:
        name = buckets.bucket_name(bucket.resource)
        for problem in linked.problems(
            bucket,
            buckets.POLICY,
            lambda setting, n=name: _policy_problems(setting.props.get("policy"), n),
            lambda inline, n=name: _policy_problems(inline, n),
        ):
            report(problem, bucket.resource.urn)


s3_bucket_deny_insecure_transport = StackValidationPolicy(
    name="s3-bucket-deny-insecure-transport",
    description="Every S3 bucket has a bucket policy that denies all S3 actions on that bucket's ARN and every "
    "object (<bucket>/*) to any request made without TLS (aws:SecureTransport = false), with no other condition.",
    validate=_bucket_transport,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

# SES v2 spells the value REQUIRE, SES v1 Require.
TLS_REQUIRED = {
    "aws:sesv2/configurationSet:ConfigurationSet": "REQUIRE",
    "aws:ses/configurationSet:ConfigurationSet": "Require",
}


def _tls_policy(required: str) -> Check:
    def check(props: Props, _: Props) -> Iterator[str]:
        policy = first(props.get("deliveryOptions")).get("tlsPolicy")
        if policy != required:
            yield f"deliveryOptions.tlsPolicy is {policy or 'not set (optional)'}: mail may go out in plain text; set {required}"

    return check


ses_configuration_set_require_tls = ResourceValidationPolicy(
    name="ses-configuration-set-require-tls",
    description="SES configuration sets deliver mail only over TLS (deliveryOptions.tlsPolicy REQUIRE). Advisory by "
    "default: some receiving servers still lack TLS, and requiring it bounces their mail.",
    validate=[resource_validation([type_], _tls_policy(required)) for type_, required in TLS_REQUIRED.items()],
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
)

POLICIES = [s3_bucket_deny_insecure_transport, ses_configuration_set_require_tls]
