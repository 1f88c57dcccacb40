"""Encryption in transit: buckets refuse plain HTTP, and SES delivers mail over TLS."""

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
from .checks import Check, resource_validation
from .properties import first, lowered, many, policy_document, statements

Props = Mapping[str, Any]

ALL_S3_ACTIONS = {"s3:*", "*"}
# Condition operators and keys are matched without regard to case, as IAM does for keys.
FALSE_WITHOUT_TLS = ("bool", "boolifexists")


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in many(principal.get("AWS"))


def _refuses_plain_http(condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return False
    for operator in condition:
        if operator.lower() not in FALSE_WITHOUT_TLS or not isinstance(condition[operator], Mapping):
            continue
        for key, value in condition[operator].items():
            if key.lower() == "aws:securetransport" and [str(v).lower() for v in many(value)] == ["false"]:
                return True
    return False


def denies_insecure_transport(document: Mapping[str, Any] | None) -> bool:
    """Whether a bucket policy denies every S3 action on the bucket and its objects to any
    request made without TLS (S3 guide, "Enforce encryption of data in transit")."""
    for statement in statements(document):
        if statement.get("Effect") != "Deny" or not _everyone(statement.get("Principal")):
            continue
        if not ALL_S3_ACTIONS & set(lowered(statement.get("Action"))):
            continue
        if not _refuses_plain_http(statement.get("Condition")):
            continue
        resources = lowered(statement.get("Resource"))
        objects = any(r.endswith("*") for r in resources)
        bucket = any(r == "*" or not r.endswith("/*") for r in resources)
        if objects and bucket:
            return True
    return False


def _policy_problems(policy: Any) -> Iterator[str]:
    try:
        document = policy_document(policy)
    except ValueError as exc:
        yield f"the bucket policy is not a JSON policy document: {exc}"
        return
    if not denies_insecure_transport(document):
        yield (
            "the bucket policy does not deny requests without TLS: add a Deny of s3:* on the bucket and its objects "
            'to Principal "*" with Condition {"Bool": {"aws:SecureTransport": "false"}}'
        )


def _bucket_transport(stack: StackValidationArgs, report: ReportViolation) -> None:
    linked = buckets.link(stack.resources)
    for bucket in linked.buckets:
        for problem in linked.problems(
            bucket, buckets.POLICY, lambda setting: _policy_problems(setting.props.get("policy")), _policy_problems
        ):
            report(problem, bucket.resource.urn)


s3_bucket_deny_insecure_transport = StackValidationPolicy(
    name="s3-bucket-deny-insecure-transport",
    description="Every S3 bucket has a bucket policy that denies all S3 actions on the bucket and its objects "
    "to any request made without TLS (aws:SecureTransport = false).",
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
