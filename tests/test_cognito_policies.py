"""The policy pack on Cognito's message-delivery error log: the policies that judge its resources (the log group
Cognito delivers to, the resource policy that lets it, the subscription's role, the Firehose stream into the bucket)
on hand-made resources, then the whole pack over gRPC on stacks with pools, their first preview, insecure variants
of them, and the offline plan of a stack file naming pools."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from offline.plan import main as plan
from offline.policy_pack import RunningPack, running
from offline.program import ACCOUNT_ID, Evaluation, evaluate
from offline.stack import ROOT
from policies.ses_event_log_policies import access, encryption, placement
from tests.policy_harness import UNKNOWN, Resource, violations
from tests.policy_variants import edited, fired, previewed, statements_of

POOLS = ["us-east-1_AbC123xyz", "us-east-1_Zz9"]
PIPELINE = "ses-event-log-dev"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET_NAME = "events-1a2b3c4"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET_NAME}"
COGNITO_GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/vendedlogs/cognito/x"

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DELIVERY = "aws:cognito/logDeliveryConfiguration:LogDeliveryConfiguration"
RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"
TABLE = "aws:glue/catalogTable:CatalogTable"


def messages(policy: Any, *resources: Resource) -> list[str]:
    return [message for _, message in violations(policy, *resources)]


# --- log-group-kms-encryption: the log groups Cognito delivers to are the exception --------------


def log_group(name: str = "errors", arn: Any = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/x", **props: Any) -> Resource:
    return Resource(LOG_GROUP, name, {"name": name, "arn": arn, "retentionInDays": 7, **props})


def delivery(arn: Any = COGNITO_GROUP_ARN, linked_to: str | None = None) -> Resource:
    configurations = [
        {"eventSource": "userNotification", "logLevel": "ERROR", "cloudWatchLogsConfiguration": {"logGroupArn": arn}}
    ]
    return Resource(
        DELIVERY,
        "pool",
        {"userPoolId": "us-east-1_Abc", "logConfigurations": configurations},
        {"logConfigurations": [linked_to]} if linked_to else {},
    )


def test_a_log_group_cognito_delivers_to_needs_no_key_and_every_other_one_does():
    cognito = log_group("cognito", arn=COGNITO_GROUP_ARN)
    errors = log_group("errors", kmsKeyId=KEY_ARN)
    policy = encryption.log_group_kms_encryption
    assert violations(policy, cognito, errors, delivery()) == []
    # Linked by the delivery's property dependency while the ARN is unknown (a first preview).
    assert violations(policy, log_group("cognito", arn=UNKNOWN), errors, delivery(UNKNOWN, "cognito")) == []
    # Without the Cognito configuration it is an ordinary log group again; the exception is no wider than the pools' log group.
    assert [name for name, _ in violations(policy, cognito, errors)] == ["cognito"]
    plain = log_group("plain")
    assert violations(policy, cognito, plain, delivery()) == [
        ("plain", "the log group (kmsKeyId) names no KMS key, so the AWS managed key is used; name a customer-managed key")
    ]


def test_a_log_group_cognito_delivers_to_must_not_be_encrypted_with_kms():
    cognito = log_group("cognito", arn=COGNITO_GROUP_ARN, kmsKeyId=KEY_ARN)
    assert violations(encryption.log_group_kms_encryption, cognito, delivery()) == [
        (
            "cognito",
            (
                f"a Cognito user pool delivers its logs to this log group, which is encrypted with {KEY_ARN}: Cognito does not "
                "deliver to a log group encrypted with KMS; remove kmsKeyId"
            ),
        )
    ]
    unknown = log_group("cognito", arn=UNKNOWN, kmsKeyId=UNKNOWN)
    assert violations(encryption.log_group_kms_encryption, unknown, delivery(UNKNOWN, "cognito")) == []


def test_while_the_cognito_log_group_is_unknown_and_unlinked_no_log_group_is_reported_for_a_missing_key():
    unlinked = delivery(UNKNOWN)
    plain = log_group("plain", arn=UNKNOWN)
    assert violations(encryption.log_group_kms_encryption, plain, unlinked) == []
    managed = log_group("managed", kmsKeyId="alias/aws/logs")
    assert [name for name, _ in violations(encryption.log_group_kms_encryption, plain, managed, unlinked)] == ["managed"]


# --- firehose-destination-in-pipeline-bucket ---------------------------------------------------


def bucket(**props: Any) -> Resource:
    return Resource(BUCKET, "bucket", {"bucket": BUCKET_NAME, "arn": BUCKET_ARN, **props})


def stream(bucket_arn: Any = BUCKET_ARN, **s3: Any) -> Resource:
    return Resource(STREAM, "stream", {"destination": "extended_s3", "extendedS3Configuration": {"bucketArn": bucket_arn, **s3}})


def test_a_stream_writing_to_the_stacks_bucket_passes():
    policy = placement.firehose_destination_in_pipeline_bucket
    assert violations(policy, bucket(), stream()) == []
    assert (
        violations(policy, bucket(), stream(s3BackupMode="Disabled", s3BackupConfiguration={"bucketArn": "arn:aws:s3:::x"})) == []
    )
    assert violations(policy, bucket(), stream(UNKNOWN)) == []
    # A bucket whose name and ARN are unknown may be the one the stream names.
    assert violations(policy, bucket(bucket=UNKNOWN, arn=UNKNOWN), stream("arn:aws:s3:::other")) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"bucket_arn": "arn:aws:s3:::someone-elses-bucket"},
            (
                "the stream's bucket (extendedS3Configuration.bucketArn) is arn:aws:s3:::someone-elses-bucket "
                "(bucket someone-elses-bucket), outside this stack's buckets"
            ),
        ),
        (
            {"bucket_arn": f"s3://{BUCKET_NAME}"},
            f"the stream's bucket (extendedS3Configuration.bucketArn) is s3://{BUCKET_NAME} (not an S3 bucket ARN)",
        ),
        (
            {"s3BackupMode": "Enabled", "s3BackupConfiguration": {"bucketArn": "arn:aws:s3:::backup"}},
            "the stream's backup bucket (s3BackupConfiguration.bucketArn) is arn:aws:s3:::backup (bucket backup)",
        ),
    ],
    ids=["other-bucket", "not-an-arn", "backup-elsewhere"],
)
def test_a_stream_writing_anywhere_else_is_reported(changes, problem):
    found = violations(placement.firehose_destination_in_pipeline_bucket, bucket(), stream(**changes))
    assert len(found) == 1 and found[0][0] == "stream" and found[0][1].startswith(problem), found
    assert found[0][1].endswith("the data would leave the bucket whose encryption, access and retention the pack enforces")


# --- logs-role-confused-deputy -------------------------------------------------------------------

LOGS_TRUST = {
    "Effect": "Allow",
    "Action": ["sts:AssumeRole"],
    "Principal": {"Service": "logs.amazonaws.com"},
    "Condition": {"StringLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:*"}},
}


def role(*statements: dict[str, Any]) -> Resource:
    return Resource(ROLE, "role", {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})})


def test_a_logs_role_limited_to_the_accounts_log_groups_passes_and_other_services_are_not_judged():
    regional = {**LOGS_TRUST, "Principal": {"Service": ["logs.eu-west-1.amazonaws.com"]}}
    account = {**LOGS_TRUST, "Condition": {"StringEquals": {"AWS:SourceAccount": "123456789012"}}}
    for trust in (LOGS_TRUST, regional, account):
        assert messages(access.logs_role_confused_deputy, role(trust)) == []
    firehose = {**LOGS_TRUST, "Principal": {"Service": "firehose.amazonaws.com"}, "Condition": None}
    assert messages(access.logs_role_confused_deputy, role(firehose)) == []
    assert messages(access.logs_role_confused_deputy, Resource(ROLE, "role", {"assumeRolePolicy": UNKNOWN})) == []


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"StringLike": {"aws:SourceArn": "*"}},
        {"StringLikeIfExists": {"aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:*"}},
        {"StringNotLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:111122223333:*"}},
        {"StringEquals": {"sts:ExternalId": "123456789012"}},
    ],
    ids=["none", "star", "if-exists", "negated", "other-key"],
)
def test_a_logs_role_any_accounts_log_groups_could_use_is_reported(condition):
    trust = {k: v for k, v in {**LOGS_TRUST, "Condition": condition}.items() if v is not None}
    assert messages(access.logs_role_confused_deputy, role(trust)) == [
        (
            "the role trusts logs.amazonaws.com without an aws:SourceArn or aws:SourceAccount condition: another account's "
            'log groups could act through it; add {"StringLike": {"aws:SourceArn": "arn:aws:logs:<region>:<this account>:*"}}'
        )
    ]


# --- log-resource-policy-confused-deputy --------------------------------------------------------

DELIVERY_WRITES = {
    "Sid": "CognitoDeliversToTheLogGroup",
    "Effect": "Allow",
    "Principal": {"Service": "delivery.logs.amazonaws.com"},
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": [f"{COGNITO_GROUP_ARN}:log-stream:*"],
    "Condition": {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:*"},
    },
}


def resource_policy(*statements: dict[str, Any]) -> Resource:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return Resource(RESOURCE_POLICY, "policy", {"policyName": "p", "policyDocument": document})


def test_a_resource_policy_for_a_service_on_named_log_groups_for_this_account_passes():
    vended = {**DELIVERY_WRITES, "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/*"}
    deny = {"Effect": "Deny", "Principal": "*", "Action": "logs:*", "Resource": "*"}
    assert messages(access.log_resource_policy_confused_deputy, resource_policy(DELIVERY_WRITES, vended, deny)) == []
    assert (
        messages(access.log_resource_policy_confused_deputy, Resource(RESOURCE_POLICY, "policy", {"policyDocument": UNKNOWN}))
        == []
    )


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"Principal": "*"}, "statement 'CognitoDeliversToTheLogGroup' lets \"*\" write to the account's logs"),
        ({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}}, "statement 'CognitoDeliversToTheLogGroup' lets {\"AWS\""),
        (
            {"Principal": None, "NotPrincipal": {"Service": "delivery.logs.amazonaws.com"}},
            "statement 'CognitoDeliversToTheLogGroup' lets NotPrincipal write",
        ),
        ({"Condition": None}, "statement 'CognitoDeliversToTheLogGroup' has no condition on aws:sourceaccount and aws:sourcearn"),
        (
            {"Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}},
            "statement 'CognitoDeliversToTheLogGroup' has no condition on aws:sourcearn: the service could write on behalf",
        ),
        (
            {"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:*"}}},
            "statement 'CognitoDeliversToTheLogGroup' has no condition on aws:sourceaccount",
        ),
        ({"Resource": "*"}, "statement 'CognitoDeliversToTheLogGroup' applies to *: every log group of the account"),
        (
            {"Resource": ["arn:aws:logs:us-east-1:123456789012:log-group:*"]},
            "statement 'CognitoDeliversToTheLogGroup' applies to arn:aws:logs:us-east-1:123456789012:log-group:*",
        ),
        (
            {"Resource": None, "NotResource": COGNITO_GROUP_ARN},
            "statement 'CognitoDeliversToTheLogGroup' uses NotResource: every log group but those listed",
        ),
    ],
    ids=[
        "star",
        "an-account",
        "not-principal",
        "no-condition",
        "no-source-arn",
        "no-source-account",
        "star-resource",
        "every-log-group",
        "not-resource",
    ],
)
def test_a_resource_policy_open_to_others_or_to_every_log_group_is_reported(changes, problem):
    statement = {k: v for k, v in {**DELIVERY_WRITES, **changes}.items() if v is not None}
    found = messages(access.log_resource_policy_confused_deputy, resource_policy(statement))
    assert len(found) == 1 and found[0].startswith(problem), found


def test_a_resource_policy_that_is_not_json_is_reported():
    found = messages(access.log_resource_policy_confused_deputy, Resource(RESOURCE_POLICY, "policy", {"policyDocument": "{"}))
    assert len(found) == 1 and found[0].startswith("the resource policy is not a JSON policy document")


# --- the pack over gRPC on stacks with pools -------------------------------------------------------


@pytest.fixture(scope="module")
def pack() -> Iterator[RunningPack]:
    with running() as running_pack:
        running_pack.configure(None)
        yield running_pack


@pytest.fixture(scope="module")
def with_pools() -> Evaluation:
    return evaluate("dev", {"cognitoUserPoolIds": POOLS})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stacks_with_pools_pass_the_whole_pack_in_the_first_preview_and_after(pack, stack):
    evaluation = evaluate(stack, {"cognitoUserPoolIds": POOLS})
    assert pack.analyze(evaluation) == []
    assert pack.analyze(previewed(evaluation)) == []


def edit(evaluation: Evaluation, name: str, change: Callable[[dict[str, Any]], None]) -> Evaluation:
    return edited(evaluation, f"{PIPELINE}-cognito-{name}", change)


def s3(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda props: change(props["extendedS3Configuration"])


INSECURE: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    "log-group-with-kms": ("log-group", lambda p: p.update(kmsKeyId=KEY_ARN), "log-group-kms-encryption"),
    "log-group-never-expires": ("log-group", lambda p: p.pop("retentionInDays"), "log-group-retention"),
    "delivery-policy-for-everyone": (
        "delivery-policy",
        statements_of("policyDocument", lambda s: s.update(Principal="*")),
        "log-resource-policy-confused-deputy",
    ),
    "delivery-policy-without-conditions": (
        "delivery-policy",
        statements_of("policyDocument", lambda s: s.pop("Condition")),
        "log-resource-policy-confused-deputy",
    ),
    "delivery-policy-on-every-log-group": (
        "delivery-policy",
        statements_of("policyDocument", lambda s: s.update(Resource="*")),
        "log-resource-policy-confused-deputy",
    ),
    "subscription-role-for-any-account": (
        "subscription-role",
        statements_of("assumeRolePolicy", lambda s: s.pop("Condition")),
        "logs-role-confused-deputy",
    ),
    "subscription-role-puts-anywhere": (
        "subscription-role-policy",
        statements_of("policy", lambda s: s.update(Resource="*")),
        "iam-no-wildcard-permissions",
    ),
    "firehose-role-for-any-account": (
        "role",
        statements_of("assumeRolePolicy", lambda s: s.pop("Condition")),
        "firehose-role-confused-deputy",
    ),
    "stream-with-an-aws-owned-key": (
        "stream",
        lambda p: p.update(serverSideEncryption={"enabled": True, "keyType": "AWS_OWNED_CMK"}),
        "firehose-customer-managed-encryption",
    ),
    "stream-into-another-bucket": (
        "stream",
        s3(lambda c: c.update(bucketArn="arn:aws:s3:::someone-elses-bucket")),
        "firehose-destination-in-pipeline-bucket",
    ),
    "stream-without-error-log": (
        "stream",
        s3(lambda c: c["cloudwatchLoggingOptions"].update(enabled=False)),
        "firehose-error-logging",
    ),
    "table-reading-another-bucket": (
        "table",
        lambda p: p["storageDescriptor"].update(location="s3://someone-elses-bucket/cognito/"),
        "glue-table-in-pipeline-bucket",
    ),
}


@pytest.mark.parametrize("variant", INSECURE, ids=list(INSECURE))
def test_insecure_variants_of_the_cognito_log_fire_the_named_policy_as_mandatory(pack, with_pools, variant):
    name, change, policy = INSECURE[variant]
    diagnostics = pack.analyze(edit(with_pools, name, change))
    assert fired(diagnostics) == {(policy, "mandatory")}
    assert {d.urn.rsplit("::", 1)[1] for d in diagnostics} == {f"{PIPELINE}-cognito-{name}"}


# A log group's ARN is computed, so the first preview cannot read a policy naming it: these two can.
@pytest.mark.parametrize("variant", ["subscription-role-for-any-account", "firehose-role-for-any-account"])
def test_insecure_variants_fire_in_the_first_preview_too(pack, with_pools, variant):
    name, change, policy = INSECURE[variant]
    assert fired(pack.analyze(previewed(edit(with_pools, name, change)))) == {(policy, "mandatory")}


def test_the_exception_for_the_cognito_log_group_leaves_the_firehose_error_log_held_to_its_key(pack, with_pools):
    plain = copy.deepcopy(with_pools)
    (errors,) = [r for r in plain.resources if r.name == f"{PIPELINE}-delivery-errors"]
    errors.inputs.pop("kmsKeyId")
    errors.outputs.pop("kmsKeyId")
    (diagnostic,) = pack.analyze(plain)
    assert (diagnostic.policy, diagnostic.urn) == ("log-group-kms-encryption", errors.urn)


def test_the_offline_plan_of_a_stack_naming_pools_shows_them_and_finds_no_violation(tmp_path, capsys):
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    stack = (ROOT / "Pulumi.dev.yaml").read_text()
    (tmp_path / "Pulumi.cognito.yaml").write_text(stack + f"  ses-event-log:cognitoUserPoolIds:\n    - {POOLS[0]}\n")
    code = plan(["cognito"], root=tmp_path)
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"aws:cognito:LogDeliveryConfiguration  ses-event-log-cognito-cognito-pool-{POOLS[0]}" in out
    assert "    cognitoErrorTable: cognito_errors\n" in out
    assert out.endswith("  no policy violations.\n")
