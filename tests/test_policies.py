"""Each policy of the pack on hand-made resources: what passes, what fails, and that values
unknown during a preview are never reported."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, Severity

from offline.stack import ROOT
from policies.ses_event_log_policies import POLICIES, access, encryption, operations, placement, retention, transit
from tests.policy_harness import UNKNOWN, Resource, violations

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET_NAME = "events-1a2b3c4"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET_NAME}"

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SSE_V2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LIFECYCLE_V2 = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
WORKGROUP = "aws:athena/workgroup:Workgroup"
KMS_KEY = "aws:kms/key:Key"
CATALOG_TABLE = "aws:glue/catalogTable:CatalogTable"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CONFIGURATION_SET = "aws:sesv2/configurationSet:ConfigurationSet"


def messages(policy: Any, *resources: Resource, config: dict[str, Any] | None = None) -> list[str]:
    return [message for _, message in violations(policy, *resources, config=config)]


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- the pack ---------------------------------------------------------------------------------


def test_every_policy_has_a_kebab_case_name_a_description_a_severity_and_a_level():
    names = [p.name for p in POLICIES]
    assert len(names) == len(set(names))
    for policy in POLICIES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name), policy.name
        assert policy.description.endswith(".") and len(policy.description) > 40, policy.name
        assert isinstance(policy.severity, Severity), policy.name
        assert isinstance(policy.enforcement_level, EnforcementLevel), policy.name


def test_every_policy_is_mandatory_except_tls_delivery_which_is_advisory():
    levels = {p.name: p.enforcement_level for p in POLICIES}
    assert levels.pop("ses-configuration-set-require-tls") == EnforcementLevel.ADVISORY
    assert set(levels.values()) == {EnforcementLevel.MANDATORY}


def test_every_config_property_has_a_type_a_default_and_a_description():
    configured = [p for p in POLICIES if p.config_schema]
    assert {p.name for p in configured} >= {"kms-key-safety", "s3-bucket-lifecycle-retention", "log-group-retention"}
    for policy in configured:
        for name, spec in policy.config_schema.properties.items():
            assert {"type", "default", "description"} <= set(spec), f"{policy.name}.{name}"


# --- S3 buckets: a secure bucket and its settings ---------------------------------------------


def bucket(type_: str = BUCKET, name: str = "bucket", **props: Any) -> Resource:
    return Resource(type_, name, {"bucket": BUCKET_NAME, "arn": BUCKET_ARN, "forceDestroy": False, **props})


def setting(type_: str, name: str, props: dict[str, Any], depends_on: str | None = "bucket") -> Resource:
    """A bucket setting whose bucket input came from the bucket resource (a property dependency)."""
    return Resource(type_, name, {"bucket": BUCKET_NAME, **props}, {"bucket": [depends_on]} if depends_on else {})


SSE_RULE = {
    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN},
    "bucketKeyEnabled": True,
}
RETENTION_RULE = {
    "id": "retention",
    "status": "Enabled",
    "filter": {"prefix": ""},
    "expiration": {"days": 90},
    "noncurrentVersionExpiration": {"noncurrentDays": 7},
    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
}
TLS_ONLY = {
    "Sid": "DenyWithoutTls",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": ["s3:*"],
    "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
ALL_FOUR = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}


def secure_bucket() -> dict[str, Resource]:
    return {
        "bucket": bucket(),
        "sse": setting(SSE, "sse", {"rules": [copy.deepcopy(SSE_RULE)]}),
        "lifecycle": setting(LIFECYCLE, "lifecycle", {"rules": [copy.deepcopy(RETENTION_RULE)]}),
        "policy": setting(BUCKET_POLICY, "policy", {"policy": document(TLS_ONLY)}),
        "public": setting(PUBLIC_ACCESS, "public", dict(ALL_FOUR)),
        "ownership": setting(OWNERSHIP, "ownership", {"rule": {"objectOwnership": "BucketOwnerEnforced"}}),
    }


BUCKET_POLICIES = [
    encryption.s3_bucket_sse_kms,
    transit.s3_bucket_deny_insecure_transport,
    retention.s3_bucket_lifecycle_retention,
    access.s3_bucket_public_access_block,
    access.s3_bucket_owner_enforced,
]


@pytest.mark.parametrize("policy", BUCKET_POLICIES, ids=lambda p: p.name)
def test_a_secure_bucket_passes_every_bucket_policy(policy):
    assert violations(policy, *secure_bucket().values()) == []


@pytest.mark.parametrize(
    ("policy", "setting_name", "missing"),
    [
        (encryption.s3_bucket_sse_kms, "sse", "server-side encryption configuration"),
        (transit.s3_bucket_deny_insecure_transport, "policy", "bucket policy"),
        (retention.s3_bucket_lifecycle_retention, "lifecycle", "lifecycle configuration"),
        (access.s3_bucket_public_access_block, "public", "public access block"),
        (access.s3_bucket_owner_enforced, "ownership", "ownership controls"),
    ],
    ids=lambda v: getattr(v, "name", None),
)
def test_a_bucket_without_the_setting_is_reported_against_the_bucket(policy, setting_name, missing):
    resources = secure_bucket()
    del resources[setting_name]
    assert violations(policy, *resources.values()) == [("bucket", f"the bucket has no {missing}")]


@pytest.mark.parametrize("policy", BUCKET_POLICIES, ids=lambda p: p.name)
def test_a_setting_is_linked_by_bucket_name_when_no_dependency_is_recorded(policy):
    resources = secure_bucket()
    for r in resources.values():
        r.depends = {}
    assert violations(policy, *resources.values()) == []
    for r in list(resources.values())[1:]:
        r.props["bucket"] = "another-bucket"
    assert [name for name, _ in violations(policy, *resources.values())] == ["bucket"]


@pytest.mark.parametrize("policy", BUCKET_POLICIES, ids=lambda p: p.name)
def test_a_setting_whose_bucket_is_unknown_and_unlinked_may_be_the_buckets_so_nothing_is_reported(policy):
    resources = secure_bucket()
    for r in list(resources.values())[1:]:
        r.depends = {}
        r.props["bucket"] = UNKNOWN
    assert violations(policy, *resources.values()) == []


@pytest.mark.parametrize("policy", BUCKET_POLICIES, ids=lambda p: p.name)
def test_an_unknown_bucket_id_is_linked_by_its_property_dependency(policy):
    resources = secure_bucket()
    resources["bucket"].props["bucket"] = UNKNOWN
    for r in list(resources.values())[1:]:
        r.props["bucket"] = UNKNOWN
    assert violations(policy, *resources.values()) == []


def test_each_bucket_is_judged_by_its_own_settings():
    first, second = secure_bucket(), secure_bucket()
    second["bucket"] = bucket(name="other", bucket="other-bucket")
    second["sse"] = setting(
        SSE,
        "other-sse",
        {"bucket": "other-bucket", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        "other",
    )
    found = violations(encryption.s3_bucket_sse_kms, *first.values(), second["bucket"], second["sse"])
    assert found == [("other", "default encryption is AES256; use SSE-KMS (aws:kms or aws:kms:dsse)")]


# --- s3-bucket-sse-kms ----------------------------------------------------------------------


def with_sse(rule: dict[str, Any], type_: str = SSE) -> list[Resource]:
    resources = secure_bucket()
    resources["sse"] = setting(type_, "sse", {"rules": [rule]})
    return list(resources.values())


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}, "default encryption is AES256"),
        ({"bucketKeyEnabled": True}, "default encryption is not set"),
        ({"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": True}, "names no KMS key"),
        (
            {
                "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "alias/aws/s3"},
                "bucketKeyEnabled": True,
            },
            "uses the AWS managed key alias/aws/s3",
        ),
        (
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}},
            "bucketKeyEnabled is not true",
        ),
    ],
)
def test_sse_kms_fails_without_kms_a_customer_key_or_the_bucket_key(rule, problem):
    found = messages(encryption.s3_bucket_sse_kms, *with_sse(rule))
    assert len(found) == 1 and problem in found[0]


def test_sse_kms_accepts_dsse_without_a_bucket_key_which_dsse_does_not_support():
    rule = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms:dsse", "kmsMasterKeyId": KEY_ARN}}
    assert messages(encryption.s3_bucket_sse_kms, *with_sse(rule)) == []


@pytest.mark.parametrize(
    "rule",
    [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN}, "bucketKeyEnabled": True},
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": UNKNOWN, "kmsMasterKeyId": KEY_ARN}, "bucketKeyEnabled": True},
        {"applyServerSideEncryptionByDefault": UNKNOWN, "bucketKeyEnabled": UNKNOWN},
    ],
)
def test_sse_kms_does_not_report_unknown_values(rule):
    assert messages(encryption.s3_bucket_sse_kms, *with_sse(rule)) == []
    resources = secure_bucket()
    resources["sse"].props["rules"] = UNKNOWN
    assert messages(encryption.s3_bucket_sse_kms, *resources.values()) == []


def test_sse_kms_judges_the_bucket_key_while_the_key_arn_is_unknown():
    rule = {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN},
        "bucketKeyEnabled": False,
    }
    assert messages(encryption.s3_bucket_sse_kms, *with_sse(rule)) == [
        "bucketKeyEnabled is not true, so every object write calls KMS; turn the S3 Bucket Key on"
    ]


def test_sse_kms_reads_the_v2_resource_type():
    assert messages(encryption.s3_bucket_sse_kms, *with_sse(copy.deepcopy(SSE_RULE), SSE_V2)) == []
    bad = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    assert messages(encryption.s3_bucket_sse_kms, *with_sse(bad, SSE_V2)) == [
        "default encryption is AES256; use SSE-KMS (aws:kms or aws:kms:dsse)"
    ]


def inline_only(kind: str, type_: str = BUCKET, **props: Any) -> list[Resource]:
    """A secure bucket whose settings of one kind are inline bucket properties."""
    resources = secure_bucket()
    del resources[kind]
    resources["bucket"] = bucket(type_, **props)
    return list(resources.values())


def test_sse_kms_reads_the_deprecated_inline_property_of_bucket_and_bucket_v2():
    v7 = {"rule": copy.deepcopy(SSE_RULE)}
    assert messages(encryption.s3_bucket_sse_kms, *inline_only("sse", serverSideEncryptionConfiguration=v7)) == []
    v6 = [
        {
            "rules": [
                {
                    "applyServerSideEncryptionByDefaults": [SSE_RULE["applyServerSideEncryptionByDefault"]],
                    "bucketKeyEnabled": True,
                }
            ]
        }
    ]
    assert messages(encryption.s3_bucket_sse_kms, *inline_only("sse", BUCKET_V2, serverSideEncryptionConfigurations=v6)) == []
    v6[0]["rules"][0]["applyServerSideEncryptionByDefaults"] = [{"sseAlgorithm": "AES256"}]
    assert messages(encryption.s3_bucket_sse_kms, *inline_only("sse", BUCKET_V2, serverSideEncryptionConfigurations=v6)) == [
        "default encryption is AES256; use SSE-KMS (aws:kms or aws:kms:dsse)"
    ]


def test_an_unknown_inline_property_without_a_dependency_is_the_providers_placeholder_so_the_bucket_has_none():
    # pulumi-aws computes the inline properties; a preview of a new bucket shows them unknown.
    found = messages(encryption.s3_bucket_sse_kms, *inline_only("sse", serverSideEncryptionConfiguration=UNKNOWN))
    assert found == ["the bucket has no server-side encryption configuration"]


def test_an_unknown_inline_property_the_program_set_from_another_resource_is_not_reported():
    resources = [*inline_only("sse", serverSideEncryptionConfiguration=UNKNOWN), key()]
    resources[0].depends = {"serverSideEncryptionConfiguration": ["key"]}
    assert messages(encryption.s3_bucket_sse_kms, *resources) == []


def test_a_separate_setting_wins_over_what_the_bucket_reports_inline():
    # After `pulumi up` the bucket's inline output echoes the SSE-S3 default AWS applied at creation.
    resources = secure_bucket()
    resources["bucket"].props["serverSideEncryptionConfiguration"] = {
        "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    }
    assert messages(encryption.s3_bucket_sse_kms, *resources.values()) == []


# --- s3-bucket-deny-insecure-transport -------------------------------------------------------


def with_policy(policy: Any) -> list[Resource]:
    resources = secure_bucket()
    resources["policy"].props["policy"] = policy
    return list(resources.values())


@pytest.mark.parametrize(
    "statement",
    [
        {**TLS_ONLY, "Effect": "Allow"},
        {key: value for key, value in TLS_ONLY.items() if key != "Condition"},
        {**TLS_ONLY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {**TLS_ONLY, "Action": ["s3:GetObject"]},
        {**TLS_ONLY, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}},
        {**TLS_ONLY, "Resource": [f"{BUCKET_ARN}/*"]},
    ],
    ids=["allow", "no-condition", "secure-true", "one-action", "one-principal", "objects-only"],
)
def test_deny_insecure_transport_fails_unless_every_action_is_denied_to_everyone_without_tls(statement):
    found = messages(transit.s3_bucket_deny_insecure_transport, *with_policy(document(statement)))
    assert len(found) == 1 and "does not deny requests without TLS" in found[0]


@pytest.mark.parametrize(
    "statement",
    [
        {**TLS_ONLY, "Principal": "*", "Action": "*", "Resource": "*"},
        {**TLS_ONLY, "Condition": {"BoolIfExists": {"AWS:SECURETRANSPORT": False}}},
    ],
)
def test_deny_insecure_transport_accepts_equivalent_spellings(statement):
    assert messages(transit.s3_bucket_deny_insecure_transport, *with_policy(document(statement))) == []


def test_deny_insecure_transport_reads_a_policy_given_as_an_object_and_the_inline_bucket_policy():
    assert messages(transit.s3_bucket_deny_insecure_transport, *with_policy({"Statement": [TLS_ONLY]})) == []
    assert messages(transit.s3_bucket_deny_insecure_transport, *inline_only("policy", policy=document(TLS_ONLY))) == []
    found = messages(
        transit.s3_bucket_deny_insecure_transport, *inline_only("policy", policy=document({**TLS_ONLY, "Effect": "Allow"}))
    )
    assert len(found) == 1


def test_deny_insecure_transport_reports_a_policy_that_is_not_json():
    (found,) = messages(transit.s3_bucket_deny_insecure_transport, *with_policy("{not json"))
    assert found.startswith("the bucket policy is not a JSON policy document: Expecting property name")


def test_deny_insecure_transport_does_not_report_an_unknown_policy():
    # A policy naming the bucket's ARN is unknown as a whole during the first preview.
    assert messages(transit.s3_bucket_deny_insecure_transport, *with_policy(UNKNOWN)) == []
    assert (
        messages(transit.s3_bucket_deny_insecure_transport, *with_policy({"Statement": [{**TLS_ONLY, "Condition": UNKNOWN}]}))
        == []
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"Resource": ["arn:aws:s3:::another-bucket", "arn:aws:s3:::another-bucket/*"]},
        {"Resource": [BUCKET_ARN, f"{BUCKET_ARN}/logs/*"]},
        {"Resource": [f"{BUCKET_ARN}/*", "arn:aws:s3:::another-bucket"]},
        {"Resource": [BUCKET_ARN, f"{BUCKET_ARN}-old/*"]},
        {"Condition": {"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
        {"Condition": {"Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}}},
    ],
    ids=["another-bucket", "logs-prefix-only", "objects-here-bucket-elsewhere", "lookalike-bucket", "ip-range", "extra-key"],
)
def test_deny_insecure_transport_fails_when_the_deny_does_not_cover_this_bucket_or_is_narrowed(changes):
    (found,) = messages(transit.s3_bucket_deny_insecure_transport, *with_policy(document({**TLS_ONLY, **changes})))
    assert found.startswith("the bucket policy does not deny requests without TLS to this bucket: add a Deny of s3:* on ")
    assert f"on {BUCKET_ARN} and {BUCKET_ARN}/* to Principal" in found and found.endswith("and no other condition")


@pytest.mark.parametrize(
    "resources",
    [f"{BUCKET_ARN}*", ["arn:aws-us-gov:s3:::events-1a2b3c4", "arn:aws-us-gov:s3:::events-1a2b3c4/*"], "arn:aws:s3:::events-*"],
)
def test_deny_insecure_transport_accepts_patterns_that_cover_the_bucket_and_every_object(resources):
    assert messages(transit.s3_bucket_deny_insecure_transport, *with_policy(document({**TLS_ONLY, "Resource": resources}))) == []


def test_deny_insecure_transport_accepts_the_bucket_and_its_objects_denied_in_separate_statements():
    bucket_only = {**TLS_ONLY, "Sid": "Bucket", "Resource": BUCKET_ARN}
    objects_only = {**TLS_ONLY, "Sid": "Objects", "Resource": f"{BUCKET_ARN}/*"}
    assert messages(transit.s3_bucket_deny_insecure_transport, *with_policy(document(bucket_only, objects_only))) == []
    narrowed = {**objects_only, "Condition": {**TLS_ONLY["Condition"], "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
    assert len(messages(transit.s3_bucket_deny_insecure_transport, *with_policy(document(bucket_only, narrowed)))) == 1


def test_deny_insecure_transport_compares_with_the_bucket_name_or_its_arn_and_skips_the_resources_while_both_are_unknown():
    elsewhere = document({**TLS_ONLY, "Resource": ["arn:aws:s3:::another-bucket", "arn:aws:s3:::another-bucket/*"]})
    resources = with_policy(elsewhere)
    resources[0].props["bucket"] = UNKNOWN
    assert len(messages(transit.s3_bucket_deny_insecure_transport, *resources)) == 1  # the ARN is known
    resources[0].props["arn"] = UNKNOWN
    assert messages(transit.s3_bucket_deny_insecure_transport, *resources) == []
    # The rest of the statement is still judged.
    resources = with_policy(document({**TLS_ONLY, "Effect": "Allow"}))
    resources[0].props.update(bucket=UNKNOWN, arn=UNKNOWN)
    assert len(messages(transit.s3_bucket_deny_insecure_transport, *resources)) == 1


# --- s3-bucket-lifecycle-retention -----------------------------------------------------------


def with_rules(*rules: dict[str, Any], type_: str = LIFECYCLE) -> list[Resource]:
    resources = secure_bucket()
    resources["lifecycle"] = setting(type_, "lifecycle", {"rules": list(rules)})
    return list(resources.values())


def rule(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(RETENTION_RULE), **changes}


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ([rule(status="Disabled")], "no enabled lifecycle rule for the whole bucket expires objects"),
        ([rule(filter={"prefix": "events/"})], "no enabled lifecycle rule for the whole bucket expires objects"),
        ([rule(filter={"tag": {"key": "k", "value": "v"}})], "no enabled lifecycle rule for the whole bucket expires objects"),
        ([rule(expiration={"days": 3650})], "objects expire after 3650 days; the allowed retention is 7-731 days"),
        ([rule(expiration={"days": 1})], "objects expire after 1 days; the allowed retention is 7-731 days"),
        ([rule(expiration={"date": "2030-01-01T00:00:00Z"})], "no enabled lifecycle rule for the whole bucket expires objects"),
        (
            [rule(noncurrentVersionExpiration=None)],
            "no enabled lifecycle rule for the whole bucket expires noncurrent object versions",
        ),
        (
            [rule(abortIncompleteMultipartUpload=None)],
            "no enabled lifecycle rule for the whole bucket aborts incomplete multipart uploads",
        ),
    ],
    ids=["disabled", "prefix", "tag", "too-long", "too-short", "date", "noncurrent", "multipart"],
)
def test_retention_fails_without_a_whole_bucket_expiration_in_range_noncurrent_expiry_and_multipart_abort(rules, problem):
    found = messages(retention.s3_bucket_lifecycle_retention, *with_rules(*rules))
    assert any(message.startswith(problem) for message in found), found


def test_retention_takes_the_shortest_of_overlapping_expirations_as_s3_does():
    rules = [rule(expiration={"days": 3650}), rule(id="short", expiration={"days": 30}, noncurrentVersionExpiration=None)]
    assert messages(retention.s3_bucket_lifecycle_retention, *with_rules(*rules)) == []


def test_retention_lets_the_three_requirements_come_from_separate_whole_bucket_rules():
    rules = [
        rule(noncurrentVersionExpiration=None, abortIncompleteMultipartUpload=None),
        rule(id="versions", expiration={"expiredObjectDeleteMarker": True, "days": 0}, abortIncompleteMultipartUpload=None),
        rule(id="uploads", filter={"prefix": "", "objectSizeGreaterThan": 0}, expiration=None, noncurrentVersionExpiration=None),
        rule(id="results", filter={"prefix": "athena-results/"}, expiration={"days": 1}),
    ]
    assert messages(retention.s3_bucket_lifecycle_retention, *with_rules(*rules)) == []


def test_retention_window_is_configurable():
    config = {"minimumRetentionDays": 1, "maximumRetentionDays": 30}
    assert messages(retention.s3_bucket_lifecycle_retention, *with_rules(rule()), config=config) == [
        "objects expire after 90 days; the allowed retention is 1-30 days"
    ]
    assert messages(retention.s3_bucket_lifecycle_retention, *with_rules(rule(expiration={"days": 30})), config=config) == []


def test_retention_does_not_report_unknown_values():
    assert messages(retention.s3_bucket_lifecycle_retention, *with_rules(rule(expiration={"days": UNKNOWN}))) == []
    assert messages(retention.s3_bucket_lifecycle_retention, *with_rules(rule(status=UNKNOWN, expiration={"days": 3650}))) == []


def test_retention_reads_the_v2_type_and_the_inline_rules_of_bucket_and_bucket_v2():
    assert messages(retention.s3_bucket_lifecycle_retention, *with_rules(rule(), type_=LIFECYCLE_V2)) == []
    v7 = [
        {
            "enabled": True,
            "expiration": {"days": 90},
            "noncurrentVersionExpiration": {"days": 7},
            "abortIncompleteMultipartUploadDays": 1,
        }
    ]
    assert messages(retention.s3_bucket_lifecycle_retention, *inline_only("lifecycle", lifecycleRules=v7)) == []
    v6 = [
        {
            "enabled": True,
            "prefix": "",
            "expirations": [{"days": 90}],
            "noncurrentVersionExpirations": [{"days": 7}],
            "abortIncompleteMultipartUploadDays": 1,
        }
    ]
    assert messages(retention.s3_bucket_lifecycle_retention, *inline_only("lifecycle", BUCKET_V2, lifecycleRules=v6)) == []
    v6[0]["enabled"] = False
    assert len(messages(retention.s3_bucket_lifecycle_retention, *inline_only("lifecycle", BUCKET_V2, lifecycleRules=v6))) == 3


# --- s3-bucket-public-access-block and s3-bucket-owner-enforced ------------------------------


@pytest.mark.parametrize("flag", sorted(ALL_FOUR))
def test_public_access_block_needs_all_four_flags(flag):
    resources = secure_bucket()
    resources["public"].props[flag] = False
    assert messages(access.s3_bucket_public_access_block, *resources.values()) == [
        f"the public access block leaves {flag} off; turn all four on"
    ]
    resources["public"].props[flag] = UNKNOWN
    assert messages(access.s3_bucket_public_access_block, *resources.values()) == []


def test_an_account_wide_public_access_block_covers_every_bucket():
    resources = secure_bucket()
    del resources["public"]
    account = Resource("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "account", dict(ALL_FOUR))
    assert messages(access.s3_bucket_public_access_block, *resources.values(), account) == []
    account.props["restrictPublicBuckets"] = False
    assert messages(access.s3_bucket_public_access_block, *resources.values(), account) == [
        "the bucket has no public access block"
    ]


def test_ownership_must_be_bucket_owner_enforced():
    resources = secure_bucket()
    resources["ownership"].props["rule"] = {"objectOwnership": "ObjectWriter"}
    assert messages(access.s3_bucket_owner_enforced, *resources.values()) == [
        "objectOwnership is ObjectWriter: ACLs still apply; use BucketOwnerEnforced"
    ]
    resources["ownership"].props["rule"] = {"objectOwnership": UNKNOWN}
    assert messages(access.s3_bucket_owner_enforced, *resources.values()) == []


# --- firehose-customer-managed-encryption ----------------------------------------------------


def stream(**changes: Any) -> Resource:
    props = {
        "destination": "extended_s3",
        "serverSideEncryption": {"enabled": True, "keyType": "CUSTOMER_MANAGED_CMK", "keyArn": KEY_ARN},
        "extendedS3Configuration": {
            "bucketArn": BUCKET_ARN,
            "kmsKeyArn": KEY_ARN,
            "errorOutputPrefix": "errors/",
            "cloudwatchLoggingOptions": {
                "enabled": True,
                "logGroupName": "/aws/kinesisfirehose/x",
                "logStreamName": "DestinationDelivery",
            },
        },
    }
    props.update(changes)
    return Resource(STREAM, "stream", props)


def test_firehose_encryption_passes_with_a_customer_key_for_the_stream_and_the_objects():
    assert messages(encryption.firehose_customer_managed_encryption, stream()) == []


@pytest.mark.parametrize(
    ("sse", "problem"),
    [
        (None, "server-side encryption is off"),
        ({"enabled": False}, "server-side encryption is off"),
        ({"enabled": True}, "server-side encryption uses AWS_OWNED_CMK"),
        ({"enabled": True, "keyType": "CUSTOMER_MANAGED_CMK"}, "server-side encryption names no KMS key"),
    ],
)
def test_firehose_encryption_fails_without_a_customer_managed_stream_key(sse, problem):
    found = messages(encryption.firehose_customer_managed_encryption, stream(serverSideEncryption=sse))
    assert len(found) == 1 and found[0].startswith(problem)


def test_firehose_encryption_fails_when_the_s3_destination_names_no_key():
    s3 = {**stream().props["extendedS3Configuration"], "kmsKeyArn": None}
    assert messages(encryption.firehose_customer_managed_encryption, stream(extendedS3Configuration=s3)) == [
        "extendedS3Configuration (kmsKeyArn) names no KMS key, so the AWS managed key is used; name a customer-managed key"
    ]


def test_firehose_encryption_leaves_encryption_at_rest_to_a_kinesis_source():
    found = messages(
        encryption.firehose_customer_managed_encryption,
        stream(serverSideEncryption=None, kinesisSourceConfiguration={"kinesisStreamArn": "arn"}),
    )
    assert found == []


def test_firehose_encryption_does_not_report_unknown_values():
    assert (
        messages(
            encryption.firehose_customer_managed_encryption, stream(serverSideEncryption={"enabled": True, "keyType": UNKNOWN})
        )
        == []
    )
    s3 = {**stream().props["extendedS3Configuration"], "kmsKeyArn": UNKNOWN}
    assert messages(encryption.firehose_customer_managed_encryption, stream(extendedS3Configuration=s3)) == []


# --- log-group-kms-encryption and log-group-retention ----------------------------------------


def log_group(**props: Any) -> Resource:
    return Resource(LOG_GROUP, "errors", {"name": "/aws/kinesisfirehose/x", "kmsKeyId": KEY_ARN, "retentionInDays": 30, **props})


def test_log_group_encryption_needs_a_kms_key():
    assert messages(encryption.log_group_kms_encryption, log_group()) == []
    assert len(messages(encryption.log_group_kms_encryption, log_group(kmsKeyId=None))) == 1
    assert messages(encryption.log_group_kms_encryption, log_group(kmsKeyId=UNKNOWN)) == []


@pytest.mark.parametrize(
    ("retention_days", "config", "problem"),
    [
        (None, None, "retentionInDays is not set, so log events never expire"),
        (0, None, "retentionInDays is not set, so log events never expire"),
        (3653, None, "retentionInDays is 3653; the allowed retention is 7-731 days"),
        (3, None, "retentionInDays is 3; the allowed retention is 7-731 days"),
        (400, {"maximumRetentionDays": 365}, "retentionInDays is 400; the allowed retention is 7-365 days"),
    ],
)
def test_log_retention_fails_outside_the_window_or_forever(retention_days, config, problem):
    found = messages(retention.log_group_retention, log_group(retentionInDays=retention_days), config=config)
    assert len(found) == 1 and found[0].startswith(problem)


def test_log_retention_passes_in_the_window_or_forever_when_allowed_and_skips_unknowns():
    assert messages(retention.log_group_retention, log_group(retentionInDays=7)) == []
    assert messages(retention.log_group_retention, log_group(retentionInDays=None), config={"allowNeverExpire": True}) == []
    assert messages(retention.log_group_retention, log_group(retentionInDays=UNKNOWN)) == []


# --- athena-workgroup-sse-kms ----------------------------------------------------------------


def workgroup(enforce: Any = True, encryption_configuration: Any = None) -> Resource:
    if encryption_configuration is None:
        encryption_configuration = {"encryptionOption": "SSE_KMS", "kmsKeyArn": KEY_ARN}
    configuration = {
        "resultConfiguration": {"outputLocation": "s3://b/athena-results/", "encryptionConfiguration": encryption_configuration}
    }
    if enforce is not None:
        configuration["enforceWorkgroupConfiguration"] = enforce
    return Resource(WORKGROUP, "workgroup", {"name": "wg", "configuration": configuration})


def test_athena_workgroup_passes_with_enforced_sse_kms_results():
    assert messages(encryption.athena_workgroup_sse_kms, workgroup()) == []
    # Athena enforces the workgroup configuration when the flag is left out.
    assert messages(encryption.athena_workgroup_sse_kms, workgroup(enforce=None)) == []


@pytest.mark.parametrize(
    ("resource", "problem"),
    [
        (workgroup(enforce=False), "enforceWorkgroupConfiguration is false"),
        (workgroup(encryption_configuration={"encryptionOption": "SSE_S3"}), "query results are encrypted with SSE_S3"),
        (
            workgroup(encryption_configuration={"encryptionOption": "SSE_KMS"}),
            "query result encryption (kmsKeyArn) names no KMS key",
        ),
        (Resource(WORKGROUP, "workgroup", {"name": "wg"}), "query results are encrypted with nothing"),
    ],
)
def test_athena_workgroup_fails_without_enforced_sse_kms_results(resource, problem):
    found = messages(encryption.athena_workgroup_sse_kms, resource)
    assert len(found) == 1 and found[0].startswith(problem)


def test_athena_workgroup_does_not_report_unknown_values():
    assert (
        messages(
            encryption.athena_workgroup_sse_kms,
            workgroup(encryption_configuration={"encryptionOption": "SSE_KMS", "kmsKeyArn": UNKNOWN}),
        )
        == []
    )
    assert messages(encryption.athena_workgroup_sse_kms, workgroup(enforce=UNKNOWN)) == []


# --- kms-key-safety --------------------------------------------------------------------------


def key(**props: Any) -> Resource:
    return Resource(KMS_KEY, "key", {"enableKeyRotation": True, "deletionWindowInDays": 30, **props})


def test_kms_key_passes_when_rotating_with_the_safety_check_and_a_long_enough_window():
    assert messages(encryption.kms_key_safety, key()) == []
    # KMS waits 30 days when no window is given.
    assert messages(encryption.kms_key_safety, key(deletionWindowInDays=None), config={"minimumDeletionWindowDays": 30}) == []


@pytest.mark.parametrize(
    ("props", "config", "problem"),
    [
        ({"enableKeyRotation": False}, None, "enableKeyRotation is not true"),
        ({"enableKeyRotation": None}, None, "enableKeyRotation is not true"),
        ({"bypassPolicyLockoutSafetyCheck": True}, None, "bypassPolicyLockoutSafetyCheck is true"),
        ({"deletionWindowInDays": 7}, {"minimumDeletionWindowDays": 14}, "deletionWindowInDays is 7; at least 14 days"),
    ],
)
def test_kms_key_fails_without_rotation_with_a_bypassed_safety_check_or_a_short_window(props, config, problem):
    found = messages(encryption.kms_key_safety, key(**props), config=config)
    assert len(found) == 1 and found[0].startswith(problem)


def test_kms_key_rotation_is_not_asked_of_keys_kms_cannot_rotate():
    assert (
        messages(
            encryption.kms_key_safety, key(enableKeyRotation=False, customerMasterKeySpec="RSA_2048", keyUsage="SIGN_VERIFY")
        )
        == []
    )
    assert (
        messages(
            encryption.kms_key_safety,
            key(enableKeyRotation=False, customerMasterKeySpec="HMAC_256", keyUsage="GENERATE_VERIFY_MAC"),
        )
        == []
    )


def test_kms_key_does_not_report_unknown_values():
    assert (
        messages(
            encryption.kms_key_safety,
            key(enableKeyRotation=UNKNOWN, deletionWindowInDays=UNKNOWN, bypassPolicyLockoutSafetyCheck=UNKNOWN),
        )
        == []
    )


# --- ses-configuration-set-require-tls -------------------------------------------------------


def test_ses_tls_passes_with_require_in_ses_v2_and_v1_spelling():
    assert (
        messages(
            transit.ses_configuration_set_require_tls,
            Resource(CONFIGURATION_SET, "set", {"deliveryOptions": {"tlsPolicy": "REQUIRE"}}),
        )
        == []
    )
    v1 = Resource("aws:ses/configurationSet:ConfigurationSet", "v1", {"deliveryOptions": {"tlsPolicy": "Require"}})
    assert messages(transit.ses_configuration_set_require_tls, v1) == []


@pytest.mark.parametrize("options", [{"tlsPolicy": "OPTIONAL"}, {}, None])
def test_ses_tls_fails_when_mail_may_go_out_in_plain_text(options):
    found = messages(transit.ses_configuration_set_require_tls, Resource(CONFIGURATION_SET, "set", {"deliveryOptions": options}))
    assert len(found) == 1 and found[0].startswith("deliveryOptions.tlsPolicy is ")


def test_ses_tls_does_not_report_an_unknown_policy():
    assert (
        messages(
            transit.ses_configuration_set_require_tls,
            Resource(CONFIGURATION_SET, "set", {"deliveryOptions": {"tlsPolicy": UNKNOWN}}),
        )
        == []
    )


# --- iam-no-wildcard-permissions -------------------------------------------------------------

WRITE_EVENTS = {"Sid": "WriteEvents", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{BUCKET_ARN}/events/*"]}


def role_policy(*statements: dict[str, Any]) -> Resource:
    return Resource(ROLE_POLICY, "role-policy", {"role": "r", "policy": document(*statements)})


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ({**WRITE_EVENTS, "Action": "*"}, "statement 'WriteEvents' allows *: every action of whole services"),
        (
            {**WRITE_EVENTS, "Action": ["s3:PutObject", "S3:*"]},
            "statement 'WriteEvents' allows s3:*: every action of whole services",
        ),
        ({**WRITE_EVENTS, "Resource": "*"}, "statement 'WriteEvents' allows s3:putobject on Resource \"*\""),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": [BUCKET_ARN]}, "a statement allows NotAction"),
        (
            {**{k: v for k, v in WRITE_EVENTS.items() if k != "Resource"}, "NotResource": [BUCKET_ARN]},
            "statement 'WriteEvents' uses NotResource",
        ),
    ],
)
def test_iam_fails_on_wildcard_actions_and_resources(statement, problem):
    found = messages(access.iam_no_wildcard_permissions, role_policy(statement))
    assert len(found) == 1 and found[0].startswith(problem), found


def test_iam_passes_named_actions_on_named_resources_partial_wildcards_and_denies():
    statements = [
        WRITE_EVENTS,
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey*"], "Resource": [KEY_ARN]},
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    ]
    assert messages(access.iam_no_wildcard_permissions, role_policy(*statements)) == []


def test_iam_allows_resource_star_only_for_actions_without_resource_level_permissions():
    listing = {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
    assert messages(access.iam_no_wildcard_permissions, role_policy(listing)) == []
    metrics = {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"}
    assert len(messages(access.iam_no_wildcard_permissions, role_policy(metrics))) == 1
    config = {"actionsAllowedOnAnyResource": ["xray:PutTraceSegments"]}
    assert messages(access.iam_no_wildcard_permissions, role_policy(metrics), config=config) == []


def test_iam_reads_managed_policies_and_inline_role_policies_but_not_key_policies():
    wildcard = {**WRITE_EVENTS, "Action": "*"}
    managed = Resource("aws:iam/policy:Policy", "managed", {"policy": document(wildcard)})
    inline = Resource(
        ROLE, "role", {"assumeRolePolicy": document(), "inlinePolicies": [{"name": "write", "policy": document(wildcard)}]}
    )
    # A key policy's Resource "*" is the key itself (KMS guide, "Key policies").
    key_policy = Resource(KMS_KEY, "key", {"policy": document(wildcard)})
    assert [name for name, _ in violations(access.iam_no_wildcard_permissions, managed, inline, key_policy)] == [
        "managed",
        "role",
    ]


def test_iam_does_not_report_unknown_policies():
    assert (
        messages(access.iam_no_wildcard_permissions, Resource(ROLE_POLICY, "role-policy", {"role": "r", "policy": UNKNOWN})) == []
    )
    statement = {**WRITE_EVENTS, "Action": UNKNOWN}
    assert messages(
        access.iam_no_wildcard_permissions,
        Resource(ROLE_POLICY, "p", {"policy": {"Statement": [statement, {**WRITE_EVENTS, "Action": "*"}]}}),
    ) == ["statement 'WriteEvents' allows *: every action of whole services; name the actions"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"Action": ["s3:Get*"]}, "statement 'WriteEvents' allows s3:get*: every action of a verb"),
        ({"Action": ["s3:PutObject", "s3:Put*"]}, "statement 'WriteEvents' allows s3:put*: every action of a verb"),
        ({"Action": ["s3:*Object"]}, "statement 'WriteEvents' allows s3:*object: every action of a verb"),
        ({"Action": ["S3:GETOBJECT*"]}, "statement 'WriteEvents' allows s3:getobject*: every action of a verb"),
        ({"Resource": ["arn:aws:s3:::*"]}, "statement 'WriteEvents' allows s3:putobject on arn:aws:s3:::* (every resource"),
        ({"Resource": ["arn:aws:s3:::*/*"]}, "statement 'WriteEvents' allows s3:putobject on arn:aws:s3:::*/* (every"),
        (
            {"Action": ["kms:Decrypt"], "Resource": ["arn:aws:kms:us-east-1:123456789012:key/*"]},
            "statement 'WriteEvents' allows kms:decrypt on arn:aws:kms:us-east-1:123456789012:key/* (every resource",
        ),
    ],
    ids=["get-star", "put-star", "star-object", "one-case", "every-bucket", "every-object", "every-key"],
)
def test_iam_fails_on_verb_wide_actions_and_arns_naming_every_resource_of_a_kind(changes, problem):
    found = messages(access.iam_no_wildcard_permissions, role_policy({**WRITE_EVENTS, **changes}))
    assert len(found) == 1 and found[0].startswith(problem), found


def test_iam_passes_action_families_and_named_arns_with_wildcards():
    statements = [
        {**WRITE_EVENTS, "Action": ["s3:GetObject*", "kms:GenerateDataKey*"]},
        {**WRITE_EVENTS, "Resource": [f"{BUCKET_ARN}/*", "arn:aws:s3:::events-*/events/*"]},
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::*"},
    ]
    assert messages(access.iam_no_wildcard_permissions, role_policy(*statements)) == []


# --- ses-role-confused-deputy ----------------------------------------------------------------

SES_TRUST = {
    "Effect": "Allow",
    "Action": ["sts:AssumeRole"],
    "Principal": {"Service": "ses.amazonaws.com"},
    "Condition": {
        "StringEquals": {
            "AWS:SourceAccount": "123456789012",
            "AWS:SourceArn": "arn:aws:ses:us-east-1:123456789012:configuration-set/events",
        }
    },
}


def role(*statements: dict[str, Any]) -> Resource:
    return Resource(ROLE, "role", {"assumeRolePolicy": document(*statements)})


def test_ses_role_passes_when_limited_to_the_account_and_configuration_set():
    assert messages(access.ses_role_confused_deputy, role(SES_TRUST)) == []
    firehose = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "firehose.amazonaws.com"}}
    assert messages(access.ses_role_confused_deputy, role(firehose)) == []


@pytest.mark.parametrize(
    ("condition", "missing"),
    [
        (None, "aws:sourceaccount and aws:sourcearn"),
        ({"StringEquals": {"aws:SourceAccount": "123456789012"}}, "aws:sourcearn"),
        ({"StringLike": {"aws:SourceAccount": "123456789012", "aws:SourceArn": "*"}}, "aws:sourcearn"),
    ],
)
def test_ses_role_fails_without_source_account_and_source_arn(condition, missing):
    found = messages(access.ses_role_confused_deputy, role({**SES_TRUST, "Condition": condition}))
    assert found == [
        (
            f"the role trusts ses.amazonaws.com without conditions on {missing}: any account's SES could act through it; "
            "limit it to this account and configuration set"
        )
    ]


def test_ses_role_does_not_report_an_unknown_trust_policy():
    assert messages(access.ses_role_confused_deputy, Resource(ROLE, "role", {"assumeRolePolicy": UNKNOWN})) == []


def test_ses_role_confused_deputy_ignores_a_public_principal_which_iam_role_trust_not_public_reports():
    public = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}
    assert messages(access.ses_role_confused_deputy, role(public)) == []
    assert len(messages(access.iam_role_trust_not_public, role(public))) == 1


# --- firehose-role-confused-deputy -----------------------------------------------------------

FIREHOSE_TRUST = {
    "Effect": "Allow",
    "Action": ["sts:AssumeRole"],
    "Principal": {"Service": "firehose.amazonaws.com"},
    "Condition": {"StringEquals": {"sts:ExternalId": "123456789012"}},
}


def test_firehose_role_passes_with_the_account_as_external_id_and_ignores_other_services():
    assert messages(access.firehose_role_confused_deputy, role(FIREHOSE_TRUST)) == []
    assert messages(access.firehose_role_confused_deputy, role(SES_TRUST)) == []


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        (None, "the role trusts firehose.amazonaws.com without an sts:ExternalId condition"),
        ({"StringEquals": {"aws:SourceAccount": "123456789012"}}, "the role trusts firehose.amazonaws.com without an sts"),
        ({"StringLike": {"sts:ExternalId": "*"}}, "the role trusts firehose.amazonaws.com without an sts:ExternalId"),
        ({"StringNotEquals": {"sts:ExternalId": "123456789012"}}, "the role trusts firehose.amazonaws.com without an"),
        ({"StringEqualsIfExists": {"sts:ExternalId": "123456789012"}}, "the role trusts firehose.amazonaws.com without"),
        ({"StringEquals": {"sts:ExternalId": "shared-secret"}}, "the role's sts:ExternalId condition is shared-secret, not"),
    ],
    ids=["none", "other-key", "star", "negated", "if-exists", "not-an-account"],
)
def test_firehose_role_fails_without_an_external_id_condition_on_the_account(condition, problem):
    found = messages(access.firehose_role_confused_deputy, role({**FIREHOSE_TRUST, "Condition": condition}))
    assert len(found) == 1 and found[0].startswith(problem), found


def test_firehose_role_does_not_report_unknown_values():
    assert messages(access.firehose_role_confused_deputy, Resource(ROLE, "role", {"assumeRolePolicy": UNKNOWN})) == []
    unknown = {**FIREHOSE_TRUST, "Condition": {"StringEquals": {"sts:ExternalId": UNKNOWN}}}
    assert (
        messages(access.firehose_role_confused_deputy, Resource(ROLE, "role", {"assumeRolePolicy": {"Statement": [unknown]}}))
        == []
    )


# --- kms-key-policy-not-public, iam-role-trust-not-public, s3-bucket-policy-not-public --------

ACCOUNT_ROOT = {"AWS": "arn:aws:iam::123456789012:root"}
ADMINISTER = {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": ACCOUNT_ROOT, "Action": "kms:*", "Resource": "*"}
PUBLIC_DECRYPT = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt"], "Resource": "*"}


def key_with_policy(*statements: dict[str, Any]) -> Resource:
    return key(policy=document(*statements))


def test_kms_key_policy_passes_for_the_account_services_and_conditions_that_narrow_everyone():
    service = {**PUBLIC_DECRYPT, "Principal": {"Service": "logs.us-east-1.amazonaws.com"}}
    narrowed = [
        {**PUBLIC_DECRYPT, "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}}},
        {**PUBLIC_DECRYPT, "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}}},
        {**PUBLIC_DECRYPT, "Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"AWS:SourceAccount": "123456789012"}}},
        {**PUBLIC_DECRYPT, "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
    ]
    deny = {**PUBLIC_DECRYPT, "Effect": "Deny", "Action": "kms:*"}
    assert messages(access.kms_key_policy_not_public, key_with_policy(ADMINISTER, service, *narrowed, deny)) == []
    assert messages(access.kms_key_policy_not_public, key()) == []  # the default key policy: the account


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"Principal": {"AWS": "*"}, "Action": "kms:*"},
        {"Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}},
        {"Principal": None, "NotPrincipal": ACCOUNT_ROOT},
        {"Condition": {"StringEquals": {"kms:CallerAccount": "*"}}},
        {"Condition": {"StringEqualsIfExists": {"kms:CallerAccount": "123456789012"}}},
        {"Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}},
        {"Condition": {"StringLike": {"kms:ViaService": "*"}}},
        {"Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
    ],
    ids=["star", "aws-star", "aws-list", "not-principal", "any-account", "if-exists", "negated", "any-service", "ip"],
)
def test_kms_key_policy_fails_when_everyone_may_use_the_key(changes):
    statement = {k: v for k, v in {**PUBLIC_DECRYPT, **changes}.items() if v is not None}
    found = messages(access.kms_key_policy_not_public, key_with_policy(ADMINISTER, statement))
    assert len(found) == 1 and found[0].startswith("statement 'Everyone' allows kms:"), found
    assert "on the key to " in found[0] and "without a condition that limits it to this account" in found[0]


def test_kms_key_policy_reads_the_key_policy_resource_and_skips_unknowns():
    separate = Resource("aws:kms/keyPolicy:KeyPolicy", "key-policy", {"keyId": "k", "policy": document(PUBLIC_DECRYPT)})
    assert [name for name, _ in violations(access.kms_key_policy_not_public, separate)] == ["key-policy"]
    assert messages(access.kms_key_policy_not_public, key(policy=UNKNOWN)) == []
    unknown = {**PUBLIC_DECRYPT, "Condition": UNKNOWN}
    assert messages(access.kms_key_policy_not_public, key(policy={"Statement": [unknown, ADMINISTER]})) == []


def test_role_trust_fails_when_every_aws_account_may_assume_the_role():
    public = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}
    assert messages(access.iam_role_trust_not_public, role(public)) == [
        (
            'a statement allows sts:assumerole on the role to Principal "*" without a condition that limits it to this '
            "account, an organization or a service (e.g. aws:PrincipalAccount, aws:SourceAccount, kms:CallerAccount, "
            "aws:PrincipalOrgID)"
        )
    ]
    assert (
        len(
            messages(
                access.iam_role_trust_not_public, role({**public, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
            )
        )
        == 1
    )
    org = {**public, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    assert messages(access.iam_role_trust_not_public, role(org, SES_TRUST, FIREHOSE_TRUST)) == []
    assert messages(access.iam_role_trust_not_public, Resource(ROLE, "role", {"assumeRolePolicy": UNKNOWN})) == []


def test_bucket_policy_fails_when_it_allows_everyone_on_the_policy_resource_and_the_inline_policy():
    public_read = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{BUCKET_ARN}/*"}
    resources = with_policy(document(TLS_ONLY, public_read))
    found = violations(access.s3_bucket_policy_not_public, *resources)
    assert [name for name, _ in found] == ["policy"]
    assert found[0][1].startswith('a statement allows s3:getobject on the bucket or its objects to Principal "*" without')
    inline = inline_only("policy", policy=document(public_read))
    assert [name for name, _ in violations(access.s3_bucket_policy_not_public, *inline)] == ["bucket"]
    org = {**public_read, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    assert violations(access.s3_bucket_policy_not_public, *with_policy(document(TLS_ONLY, org))) == []
    assert violations(access.s3_bucket_policy_not_public, *secure_bucket().values()) == []
    assert violations(access.s3_bucket_policy_not_public, *with_policy(UNKNOWN), *inline_only("policy", policy=UNKNOWN)) == []


# --- athena-results-in-pipeline-bucket and glue-table-in-pipeline-bucket ----------------------


def results_to(location: Any) -> Resource:
    configuration = {
        "resultConfiguration": {
            "outputLocation": location,
            "encryptionConfiguration": {"encryptionOption": "SSE_KMS", "kmsKeyArn": KEY_ARN},
        }
    }
    return Resource(WORKGROUP, "workgroup", {"name": "wg", "configuration": configuration})


def table(location: Any = f"s3://{BUCKET_NAME}/events/", template: Any = f"s3://{BUCKET_NAME}/events/dt=${{dt}}/") -> Resource:
    parameters = {"EXTERNAL": "TRUE", "projection.enabled": "true", "storage.location.template": template}
    return Resource(
        CATALOG_TABLE, "table", {"name": "events", "parameters": parameters, "storageDescriptor": {"location": location}}
    )


def test_athena_results_pass_in_the_stacks_bucket_and_when_the_workgroup_names_no_location():
    assert (
        violations(placement.athena_results_in_pipeline_bucket, bucket(), results_to(f"s3://{BUCKET_NAME}/athena-results/")) == []
    )
    assert violations(placement.athena_results_in_pipeline_bucket, bucket(), results_to(f"s3://{BUCKET_NAME}")) == []
    assert (
        violations(placement.athena_results_in_pipeline_bucket, bucket(), Resource(WORKGROUP, "workgroup", {"name": "wg"})) == []
    )


@pytest.mark.parametrize(
    ("location", "where"),
    [
        ("s3://someone-elses-bucket/athena-results/", "bucket someone-elses-bucket"),
        (f"s3://{BUCKET_NAME}-copy/athena-results/", f"bucket {BUCKET_NAME}-copy"),
        (f"https://{BUCKET_NAME}.s3.amazonaws.com/athena-results/", "not an s3:// location"),
    ],
)
def test_athena_results_fail_outside_the_stacks_buckets(location, where):
    assert violations(placement.athena_results_in_pipeline_bucket, bucket(), results_to(location)) == [
        (
            "workgroup",
            (
                f"the query result location (outputLocation) is {location} ({where}), outside this stack's buckets "
                f"({BUCKET_NAME}): the data would leave the bucket whose encryption, access and retention the pack enforces"
            ),
        )
    ]


def test_athena_results_do_not_report_unknown_locations_or_buckets():
    assert violations(placement.athena_results_in_pipeline_bucket, bucket(), results_to(UNKNOWN)) == []
    # A bucket whose name is unknown during the preview may be the one the location names.
    unnamed = bucket(bucket=UNKNOWN, arn=UNKNOWN)
    assert violations(placement.athena_results_in_pipeline_bucket, unnamed, results_to("s3://other/results/")) == []
    # Its ARN is enough.
    assert (
        violations(placement.athena_results_in_pipeline_bucket, bucket(bucket=UNKNOWN), results_to(f"s3://{BUCKET_NAME}/r/"))
        == []
    )


def test_glue_table_passes_in_the_stacks_bucket_and_without_projection():
    assert violations(placement.glue_table_in_pipeline_bucket, bucket(), table()) == []
    assert violations(placement.glue_table_in_pipeline_bucket, bucket(), table(template=None)) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"location": "s3://someone-elses-bucket/events/"},
            "the table's location (storageDescriptor.location) is s3://someone-elses-bucket/events/ (bucket someone-elses-bucket), outside",
        ),
        (
            {"template": "s3://someone-elses-bucket/events/dt=${dt}/"},
            "the partition projection's storage.location.template is s3://someone-elses-bucket/events/dt=${dt}/ (bucket someone-elses-bucket), outside",
        ),
    ],
    ids=["location", "projection-template"],
)
def test_glue_table_fails_when_it_reads_from_another_bucket(changes, problem):
    found = violations(placement.glue_table_in_pipeline_bucket, bucket(), table(**changes))
    assert len(found) == 1 and found[0][0] == "table" and found[0][1].startswith(problem), found


def test_glue_table_judges_the_location_while_the_template_is_unknown():
    assert violations(placement.glue_table_in_pipeline_bucket, bucket(), table(location=UNKNOWN, template=UNKNOWN)) == []
    found = violations(placement.glue_table_in_pipeline_bucket, bucket(), table(location="s3://other/events/", template=UNKNOWN))
    assert len(found) == 1 and "storageDescriptor.location" in found[0][1]


# --- firehose-error-logging ------------------------------------------------------------------


def test_firehose_error_logging_passes_with_logging_and_an_error_prefix():
    assert messages(operations.firehose_error_logging, stream()) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"cloudwatchLoggingOptions": None}, "the extended_s3 destination does not log delivery errors"),
        ({"cloudwatchLoggingOptions": {"enabled": False}}, "the extended_s3 destination does not log delivery errors"),
        ({"cloudwatchLoggingOptions": {"enabled": True}}, "cloudwatchLoggingOptions names no log group and log stream"),
        ({"errorOutputPrefix": ""}, "extendedS3Configuration has no errorOutputPrefix"),
    ],
)
def test_firehose_error_logging_fails_without_logging_or_an_error_prefix(changes, problem):
    s3 = {**stream().props["extendedS3Configuration"], **changes}
    found = messages(operations.firehose_error_logging, stream(extendedS3Configuration=s3))
    assert len(found) == 1 and found[0].startswith(problem)


def test_firehose_error_logging_checks_other_destinations_logging():
    http = {"url": "https://example.com", "cloudwatchLoggingOptions": {"enabled": False}}
    found = messages(
        operations.firehose_error_logging,
        stream(destination="http_endpoint", extendedS3Configuration=None, httpEndpointConfiguration=http),
    )
    assert found == [
        "the http_endpoint destination does not log delivery errors to CloudWatch (cloudwatchLoggingOptions.enabled)"
    ]


def test_firehose_error_logging_does_not_report_unknown_values():
    s3 = {
        **stream().props["extendedS3Configuration"],
        "cloudwatchLoggingOptions": {"enabled": UNKNOWN},
        "errorOutputPrefix": UNKNOWN,
    }
    assert messages(operations.firehose_error_logging, stream(extendedS3Configuration=s3)) == []


# --- s3-bucket-no-force-destroy --------------------------------------------------------------


@pytest.mark.parametrize("type_", [BUCKET, BUCKET_V2])
def test_force_destroy_is_refused_unless_allowed(type_):
    assert messages(operations.s3_bucket_no_force_destroy, bucket(type_)) == []
    assert messages(operations.s3_bucket_no_force_destroy, bucket(type_, forceDestroy=True)) == [
        "forceDestroy is true: `pulumi destroy` would delete every event in the bucket; set it false"
    ]
    assert (
        messages(operations.s3_bucket_no_force_destroy, bucket(type_, forceDestroy=True), config={"allowForceDestroy": True})
        == []
    )
    assert messages(operations.s3_bucket_no_force_destroy, bucket(type_, forceDestroy=UNKNOWN)) == []


def test_the_policy_pack_guide_documents_every_policy_with_its_level_severity_and_config():
    section = (ROOT / "docs" / "policy-pack.md").read_text()
    rows = {line.split("`")[1]: line for line in section.splitlines() if line.startswith("| `")}
    assert list(rows) == [p.name for p in POLICIES]
    for policy in POLICIES:
        row = rows[policy.name]
        assert row.startswith(f"| `{policy.name}` | {policy.enforcement_level.value} | {policy.severity.value} |")
        for name, spec in (policy.config_schema.properties if policy.config_schema else {}).items():
            defaults = spec["default"] if isinstance(spec["default"], list) else [json.dumps(spec["default"])]
            assert f"`{name}` (" in row and all(str(d) in row for d in defaults), (policy.name, name)
