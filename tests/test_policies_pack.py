"""The policy pack started as `pulumi preview --policy-pack policies` starts it (its own process,
the port it prints, the gRPC Analyzer service), fed what the program registers under mocks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pulumi.runtime import proto
from pulumi.runtime.rpc import UNKNOWN

from offline.policy_pack import Diagnostic, PolicyPackError, RunningPack, running
from offline.program import Evaluation, evaluate
from policies.ses_event_log_policies import PACK_NAME, POLICIES
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.partitioning import SCHEMES
from tests.policy_variants import changed, fired, previewed, set_path, statements_of, without

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
WORKGROUP = "aws:athena/workgroup:Workgroup"
KMS_KEY = "aws:kms/key:Key"
CATALOG_TABLE = "aws:glue/catalogTable:CatalogTable"
CONFIGURATION_SET = "aws:sesv2/configurationSet:ConfigurationSet"


@pytest.fixture(scope="module")
def pack() -> Iterator[RunningPack]:
    with running() as running_pack:
        yield running_pack


@pytest.fixture
def analyze(pack: RunningPack) -> Callable[..., list[Diagnostic]]:
    def run(evaluation: Evaluation, config: dict[str, Any] | None = None) -> list[Diagnostic]:
        pack.configure(config)
        return pack.analyze(evaluation)

    return run


@pytest.fixture(scope="module")
def dev() -> Evaluation:
    return evaluate("dev")


def test_the_pack_describes_its_policies_levels_and_config(pack):
    info = pack.info
    assert info.name == PACK_NAME and info.supportsConfig
    described = {p.name: p for p in info.policies}
    assert list(described) == [p.name for p in POLICIES]
    assert described["ses-configuration-set-require-tls"].enforcementLevel == proto.ADVISORY
    assert described["s3-bucket-sse-kms"].enforcementLevel == proto.MANDATORY
    assert described["s3-bucket-sse-kms"].policy_type == proto.POLICY_TYPE_STACK
    assert described["kms-key-safety"].policy_type == proto.POLICY_TYPE_RESOURCE
    assert described["kms-key-safety"].configSchema.properties["minimumDeletionWindowDays"]["default"] == 7


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_programs_stacks_pass_the_whole_pack(analyze, stack):
    assert analyze(evaluate(stack)) == []


COMBINATIONS = [(fmt, scheme) for fmt in FORMATS.values() for scheme in SCHEMES.values()]


@pytest.mark.parametrize(("fmt", "scheme"), COMBINATIONS, ids=[f"{f.name}-{s.name}" for f, s in COMBINATIONS])
def test_every_format_and_partitioning_scheme_passes_the_whole_pack(analyze, fmt, scheme):
    overrides: dict[str, Any] = {"format": fmt.name, "partitioning": scheme.name}
    if fmt.converts or scheme.dynamic:
        overrides["bufferSizeMib"] = 64  # Firehose's minimum for conversion and dynamic partitioning
    assert analyze(evaluate("dev", overrides)) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_first_preview_with_its_unknown_values_passes_without_any_diagnostic(analyze, stack):
    seen = previewed(evaluate(stack))
    # The simulation has what a real first preview has: unknown key ARNs, policies and bucket ids.
    assert seen.one(SSE).inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == UNKNOWN
    assert all(r.inputs["policy"] == UNKNOWN for r in seen.of_type(ROLE_POLICY) + seen.of_type(BUCKET_POLICY))
    assert seen.one(LIFECYCLE).inputs["bucket"] == UNKNOWN
    assert analyze(seen) == []


def drop_statement_conditions(props: dict[str, Any]) -> None:
    document = json.loads(props["assumeRolePolicy"])
    for statement in document["Statement"]:
        statement.pop("Condition", None)
    props["assumeRolePolicy"] = json.dumps(document)


wildcard_statements = statements_of("policy", lambda statement: statement.update(Action="*", Resource="*"))


def add_statement(key: str, statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        document = json.loads(props[key])
        document["Statement"].append(statement)
        props[key] = json.dumps(document)

    return change


def drop_firehose_external_id(statement: dict[str, Any]) -> None:
    if statement["Principal"].get("Service") == "firehose.amazonaws.com":
        statement.pop("Condition")


def tls_deny_on(suffixes: tuple[str, str]) -> Callable[[dict[str, Any]], None]:
    """The TLS deny moved: the bucket's ARN followed by each suffix."""

    def edit(statement: dict[str, Any]) -> None:
        arn = statement["Resource"][0]
        statement["Resource"] = [arn + suffix for suffix in suffixes]

    return edit


def first_statement_resources(resources: list[str]) -> Callable[[dict[str, Any]], None]:
    def edit(statement: dict[str, Any]) -> None:
        if statement.get("Sid") == "FindTheBucket":
            statement["Resource"] = resources

    return edit


def verb_wide_actions(statement: dict[str, Any]) -> None:
    if statement.get("Sid") == "WriteEventsAndErrors":
        statement["Action"] = ["s3:Get*", "s3:Put*"]


PUBLIC_DECRYPT = {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
PUBLIC_TRUST = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
PUBLIC_READ = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"}


def public_access(props: dict[str, Any]) -> None:
    props.update(blockPublicAcls=False, blockPublicPolicy=False, ignorePublicAcls=False, restrictPublicBuckets=False)


INSECURE: dict[str, tuple[Callable[[Evaluation], Evaluation], set[str]]] = {
    "no-encryption": (lambda e: without(e, SSE), {"s3-bucket-sse-kms"}),
    "sse-s3": (
        lambda e: changed(e, SSE, set_path("rules.0.applyServerSideEncryptionByDefault", {"sseAlgorithm": "AES256"})),
        {"s3-bucket-sse-kms"},
    ),
    "no-bucket-key": (lambda e: changed(e, SSE, set_path("rules.0.bucketKeyEnabled", False)), {"s3-bucket-sse-kms"}),
    "no-lifecycle": (lambda e: without(e, LIFECYCLE), {"s3-bucket-lifecycle-retention"}),
    "no-tls-policy": (lambda e: without(e, BUCKET_POLICY), {"s3-bucket-deny-insecure-transport"}),
    "public-bucket": (lambda e: changed(e, PUBLIC_ACCESS, public_access), {"s3-bucket-public-access-block"}),
    "no-public-access-block": (lambda e: without(e, PUBLIC_ACCESS), {"s3-bucket-public-access-block"}),
    "acls-enabled": (
        lambda e: changed(e, OWNERSHIP, set_path("rule.objectOwnership", "ObjectWriter")),
        {"s3-bucket-owner-enforced"},
    ),
    "wildcard-iam": (lambda e: changed(e, ROLE_POLICY, wildcard_statements), {"iam-no-wildcard-permissions"}),
    "open-trust": (
        lambda e: changed(e, ROLE, drop_statement_conditions),
        {"ses-role-confused-deputy", "firehose-role-confused-deputy", "scheduler-role-confused-deputy"},
    ),
    "firehose-trust-without-external-id": (
        lambda e: changed(e, ROLE, statements_of("assumeRolePolicy", drop_firehose_external_id)),
        {"firehose-role-confused-deputy"},
    ),
    "public-trust": (
        lambda e: changed(e, ROLE, add_statement("assumeRolePolicy", PUBLIC_TRUST)),
        {"iam-role-trust-not-public"},
    ),
    "public-key-policy": (
        lambda e: changed(e, KMS_KEY, add_statement("policy", PUBLIC_DECRYPT)),
        {"kms-key-policy-not-public"},
    ),
    "public-bucket-policy": (
        lambda e: changed(e, BUCKET_POLICY, add_statement("policy", PUBLIC_READ)),
        {"s3-bucket-policy-not-public"},
    ),
    "tls-deny-on-another-bucket": (
        lambda e: changed(e, BUCKET_POLICY, statements_of("policy", tls_deny_on(("-old", "-old/*")))),
        {"s3-bucket-deny-insecure-transport"},
    ),
    "tls-deny-on-logs-only": (
        lambda e: changed(e, BUCKET_POLICY, statements_of("policy", tls_deny_on(("", "/logs/*")))),
        {"s3-bucket-deny-insecure-transport"},
    ),
    "tls-deny-narrowed-by-ip": (
        lambda e: changed(
            e,
            BUCKET_POLICY,
            statements_of("policy", lambda s: s["Condition"].update(IpAddress={"aws:SourceIp": "203.0.113.0/24"})),
        ),
        {"s3-bucket-deny-insecure-transport"},
    ),
    "iam-every-bucket": (
        lambda e: changed(e, ROLE_POLICY, statements_of("policy", first_statement_resources(["arn:aws:s3:::*"]))),
        {"iam-no-wildcard-permissions"},
    ),
    "iam-verb-wide-actions": (
        lambda e: changed(e, ROLE_POLICY, statements_of("policy", verb_wide_actions)),
        {"iam-no-wildcard-permissions"},
    ),
    "athena-results-elsewhere": (
        lambda e: changed(
            e, WORKGROUP, set_path("configuration.resultConfiguration.outputLocation", "s3://someone-elses-bucket/results/")
        ),
        {"athena-results-in-pipeline-bucket"},
    ),
    "glue-location-elsewhere": (
        lambda e: changed(e, CATALOG_TABLE, set_path("storageDescriptor.location", "s3://someone-elses-bucket/events/")),
        {"glue-table-in-pipeline-bucket"},
    ),
    "glue-projection-elsewhere": (
        lambda e: changed(
            e,
            CATALOG_TABLE,
            lambda p: p["parameters"].update({"storage.location.template": "s3://someone-elses-bucket/events/dt=${dt}/"}),
        ),
        {"glue-table-in-pipeline-bucket"},
    ),
    "aws-owned-stream-key": (
        lambda e: changed(e, STREAM, set_path("serverSideEncryption", {"enabled": True})),
        {"firehose-customer-managed-encryption"},
    ),
    "plain-log-group": (lambda e: changed(e, LOG_GROUP, lambda p: p.pop("kmsKeyId")), {"log-group-kms-encryption"}),
    "athena-sse-s3": (
        lambda e: changed(
            e, WORKGROUP, set_path("configuration.resultConfiguration.encryptionConfiguration", {"encryptionOption": "SSE_S3"})
        ),
        {"athena-workgroup-sse-kms"},
    ),
    "no-rotation": (lambda e: changed(e, KMS_KEY, set_path("enableKeyRotation", False)), {"kms-key-safety"}),
    "no-error-log": (
        lambda e: changed(e, STREAM, set_path("extendedS3Configuration.cloudwatchLoggingOptions.enabled", False)),
        {"firehose-error-logging"},
    ),
}


@pytest.mark.parametrize("variant", INSECURE, ids=list(INSECURE))
def test_insecure_variants_fire_the_named_policies_as_mandatory(analyze, dev, variant):
    make, policies = INSECURE[variant]
    assert fired(analyze(make(dev))) == {(name, "mandatory") for name in policies}


PREVIEW_VISIBLE = [
    "no-encryption",
    "sse-s3",
    "no-bucket-key",
    "no-lifecycle",
    "no-tls-policy",
    "public-bucket",
    "no-public-access-block",
    "acls-enabled",
    "open-trust",
    "firehose-trust-without-external-id",
    "public-trust",
]


@pytest.mark.parametrize("variant", PREVIEW_VISIBLE)
def test_insecure_variants_fire_in_the_first_preview_too(analyze, dev, variant):
    make, policies = INSECURE[variant]
    assert fired(analyze(previewed(make(dev)))) == {(name, "mandatory") for name in policies}


def test_stack_policy_violations_name_the_bucket(analyze, dev):
    (diagnostic,) = analyze(without(dev, SSE))
    assert diagnostic.urn == dev.one(BUCKET).urn
    assert diagnostic.message == "the bucket has no server-side encryption configuration"


@pytest.mark.parametrize(
    ("overrides", "policy", "level"),
    [
        ({"forceDestroy": True, "protectData": False}, "s3-bucket-no-force-destroy", "mandatory"),
        ({"retentionDays": 1000, "noncurrentRetentionDays": 30}, "s3-bucket-lifecycle-retention", "mandatory"),
        ({"errorLogRetentionDays": 3653}, "log-group-retention", "mandatory"),
        ({"requireTls": False}, "ses-configuration-set-require-tls", "advisory"),
    ],
)
def test_stack_settings_outside_the_policies_are_reported(analyze, overrides, policy, level):
    diagnostics = analyze(evaluate("dev", overrides))
    assert fired(diagnostics) == {(policy, level)}


UNKNOWABLE = [
    (KMS_KEY, "enableKeyRotation", False, "kms-key-safety"),
    (KMS_KEY, "deletionWindowInDays", 3, "kms-key-safety"),
    (LOG_GROUP, "retentionInDays", 3653, "log-group-retention"),
    (LOG_GROUP, "kmsKeyId", "", "log-group-kms-encryption"),
    (BUCKET, "forceDestroy", True, "s3-bucket-no-force-destroy"),
    (SSE, "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", "AES256", "s3-bucket-sse-kms"),
    (SSE, "rules", [], "s3-bucket-sse-kms"),
    (LIFECYCLE, "rules.0.expiration.days", 3650, "s3-bucket-lifecycle-retention"),
    (BUCKET_POLICY, "policy", '{"Statement": []}', "s3-bucket-deny-insecure-transport"),
    (PUBLIC_ACCESS, "blockPublicPolicy", False, "s3-bucket-public-access-block"),
    (OWNERSHIP, "rule.objectOwnership", "ObjectWriter", "s3-bucket-owner-enforced"),
    (
        ROLE_POLICY,
        "policy",
        '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
        "iam-no-wildcard-permissions",
    ),
    (STREAM, "serverSideEncryption.keyType", "AWS_OWNED_CMK", "firehose-customer-managed-encryption"),
    (STREAM, "extendedS3Configuration.errorOutputPrefix", "", "firehose-error-logging"),
    (WORKGROUP, "configuration.enforceWorkgroupConfiguration", False, "athena-workgroup-sse-kms"),
    (CONFIGURATION_SET, "deliveryOptions.tlsPolicy", "OPTIONAL", "ses-configuration-set-require-tls"),
    (KMS_KEY, "policy", json.dumps({"Statement": [PUBLIC_DECRYPT]}), "kms-key-policy-not-public"),
    (ROLE, "assumeRolePolicy", json.dumps({"Statement": [PUBLIC_TRUST]}), "iam-role-trust-not-public"),
    (BUCKET_POLICY, "policy", json.dumps({"Statement": [PUBLIC_READ]}), "s3-bucket-policy-not-public"),
    (
        WORKGROUP,
        "configuration.resultConfiguration.outputLocation",
        "s3://someone-elses-bucket/results/",
        "athena-results-in-pipeline-bucket",
    ),
    (CATALOG_TABLE, "storageDescriptor.location", "s3://someone-elses-bucket/events/", "glue-table-in-pipeline-bucket"),
]


@pytest.mark.parametrize(
    ("type_", "path", "bad", "policy"), UNKNOWABLE, ids=[f"{t.rsplit(':', 1)[1]}.{p}" for t, p, _, _ in UNKNOWABLE]
)
def test_a_value_unknown_during_preview_is_never_reported(analyze, dev, type_, path, bad, policy):
    assert policy in {d.policy for d in analyze(changed(dev, type_, set_path(path, bad)))}
    assert analyze(changed(dev, type_, set_path(path, UNKNOWN))) == []


def test_policy_config_reaches_the_pack_through_configure(analyze, dev):
    strict = {"s3-bucket-lifecycle-retention": {"maximumRetentionDays": 5}}
    assert fired(analyze(dev, strict)) == {("s3-bucket-lifecycle-retention", "mandatory")}
    assert fired(analyze(dev, {**strict, "all": "advisory"})) == {("s3-bucket-lifecycle-retention", "advisory")}
    assert fired(analyze(evaluate("dev", {"requireTls": False}), {"ses-configuration-set-require-tls": "mandatory"})) == {
        ("ses-configuration-set-require-tls", "mandatory")
    }
    assert (
        analyze(
            evaluate("dev", {"forceDestroy": True, "protectData": False}),
            {"s3-bucket-no-force-destroy": {"allowForceDestroy": True}},
        )
        == []
    )


def test_invalid_policy_config_is_refused_like_the_cli_refuses_it(pack):
    with pytest.raises(PolicyPackError) as raised:
        pack.configure(
            {"kms-key-safety": {"minimumDeletionWindowDays": 3}, "no-such-policy": "advisory", "log-group-retention": "loud"}
        )
    assert sorted(str(raised.value).splitlines()[1:]) == [
        "  kms-key-safety: 3 is less than the minimum of 7.0",
        "  log-group-retention: enforcementLevel 'loud' is not one of advisory, mandatory, remediate, disabled",
        "  no-such-policy: the pack has no such policy; its policies: " + ", ".join(p.name for p in POLICIES),
    ]
