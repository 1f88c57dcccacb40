"""The compaction job in the program (under Pulumi's mocks) and under the policy pack (over gRPC): with compaction on,
a Lambda function from the package, its role reading events/ and writing compact/ only, its encrypted and retained log
group, an hourly schedule whose role only this account's schedule group can use, and two Glue tables whose projection
finds every file the job writes; with it off, none of it. Insecure variants fire the named policy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from components import compaction as component
from components.settings import SettingsError
from offline.policy_pack import RunningPack, running
from offline.program import ACCOUNT_ID, Evaluation, evaluate
from policies.ses_event_log_policies import access, operations
from seslog.compaction import handler
from seslog.compaction.tables import TABLES, bucket_of, glue_columns, parse_file_key
from seslog.eventlog.prefixes import COMPACT_PREFIX, DATA_PREFIX
from tests.policy_harness import UNKNOWN, Resource, violations
from tests.policy_variants import edited, fired, previewed, statements_of

PIPELINE = "ses-event-log-dev"
FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TABLE = "aws:glue/catalogTable:CatalogTable"
KEY = "aws:kms/key:Key"
NEW_TYPES = {
    FUNCTION,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    "aws:scheduler/schedule:Schedule",
    "aws:scheduler/scheduleGroup:ScheduleGroup",
    "aws:s3/bucketObjectv2:BucketObjectv2",
}


@pytest.fixture(scope="module")
def on() -> Evaluation:
    return evaluate("dev")


@pytest.fixture(scope="module")
def off() -> Evaluation:
    return evaluate("dev", {"compaction": False})


def named(evaluation: Evaluation, suffix: str):
    (found,) = [r for r in evaluation.resources if r.name == f"{PIPELINE}-compaction-{suffix}"]
    return found


def document(registration, key: str) -> dict[str, Any]:
    return json.loads(registration.inputs[key])


def test_compaction_is_on_by_default_and_off_keeps_the_raw_layout_alone(on, off):
    assert on.exports["compactionFunction"] == f"{PIPELINE}-compaction"
    assert not {r.type for r in off.resources} & NEW_TYPES and "compactionFunction" not in off.exports
    assert [r.name for r in off.resources if "compaction" in r.name] == []
    assert {t.inputs["name"] for t in off.of_type(TABLE)} == {"events"}
    kept = {r.urn for r in off.resources}
    assert {r.urn for r in on.resources} >= kept - {r.urn for r in off.of_type(KEY)}


def test_the_function_runs_the_package_with_the_stacks_settings_and_logs_where_the_stack_keeps_logs(on):
    function = named(on, "function").inputs
    assert (function["runtime"], function["handler"]) == (component.package.RUNTIME, "seslog.compaction.handler.handler")
    assert function["timeout"] == 900 and function["memorySize"] == 3008 and function["ephemeralStorage"] == {"size": 4096}
    code = named(on, "package").inputs
    assert (function["s3Bucket"], function["s3Key"]) == (code["bucket"], code["key"]) and code["key"].startswith("code/")
    assert function["sourceCodeHash"] == component.source_code_hash(component.package.DEFAULT_PATH)
    assert code["serverSideEncryption"] == "aws:kms" and code["kmsKeyId"] == on.exports["kmsKeyArn"]
    settings = handler.JobSettings.from_environment(function["environment"]["variables"])
    assert settings == handler.JobSettings(on.exports["bucketName"], "json", "date", 7, on.exports["kmsKeyArn"])
    log_group = named(on, "log").inputs
    assert function["loggingConfig"]["logGroup"] == log_group["name"] == f"/aws/lambda/{PIPELINE}-compaction"
    assert log_group["kmsKeyId"] == on.exports["kmsKeyArn"] and log_group["retentionInDays"] == 7
    # The key lets CloudWatch Logs encrypt the job's log group as well as Firehose's.
    (key,) = on.of_type(KEY)
    (logs,) = [s for s in json.loads(key.inputs["policy"])["Statement"] if s["Sid"] == "CloudWatchLogsEncryptsTheLogs"]
    arns = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert arns == [
        f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:{g}" for g in (f"/aws/kinesisfirehose/{PIPELINE}", log_group["name"])
    ]
    invoke = named(on, "invoke").inputs
    assert invoke["maximumRetryAttempts"] == 0


def test_the_job_may_read_events_and_write_compacted_files_and_nothing_else(on):
    bucket = on.exports["bucketArn"]
    statements = {s["Sid"]: s for s in document(named(on, "permissions"), "policy")["Statement"]}
    assert statements["ListEventsAndCompactedFiles"]["Condition"] == {
        "StringLike": {"s3:prefix": [f"{DATA_PREFIX}*", f"{COMPACT_PREFIX}*"]}
    }
    assert statements["ReadEvents"] == {
        "Sid": "ReadEvents",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": [f"{bucket}/events/*"],
    }
    writes = statements["WriteCompactedFiles"]
    assert writes["Resource"] == [f"{bucket}/compact/*"] and set(writes["Action"]) == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
    }
    assert statements["EncryptThroughS3"]["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"] == bucket
    trust = document(named(on, "role"), "assumeRolePolicy")["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]


def test_the_schedule_runs_hourly_after_the_hour_through_a_role_only_its_group_can_use(on):
    schedule = named(on, "schedule").inputs
    group = named(on, "schedules")
    assert schedule["scheduleExpression"] == "cron(20 * * * ? *)" and schedule["scheduleExpressionTimezone"] == "UTC"
    assert schedule["groupName"] == group.inputs["name"] and schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    assert schedule["target"]["arn"] == named(on, "function").outputs["arn"]
    assert schedule["target"]["retryPolicy"]["maximumRetryAttempts"] <= 3
    (trust,) = document(named(on, "scheduler-role"), "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": group.outputs["arn"]}}
    (invoke,) = document(named(on, "scheduler-permissions"), "policy")["Statement"]
    assert invoke["Action"] == ["lambda:InvokeFunction"] and invoke["Resource"] == [named(on, "function").outputs["arn"]]


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_each_tables_projection_finds_the_files_the_job_writes(on, table):
    glue = on.one(TABLE, name=table.glue_name).inputs
    parameters = glue["parameters"]
    key = table.file_key("2024-05-03", bucket_of("someone@example.jp"), "2024-05-03T14", "abc")
    template = parameters["storage.location.template"]
    found = template.replace("${sent}", "2024-05-03").replace("${bucket}", f"{int(bucket_of('someone@example.jp')):02d}")
    assert (
        f"s3://{on.exports['bucketName']}/{key}".startswith(found)
        and "/" not in key[len(found) - len(f"s3://{on.exports['bucketName']}/") :]
    )
    assert parse_file_key(key).table == table.name
    assert (
        parameters["projection.bucket.type"],
        parameters["projection.bucket.range"],
        parameters["projection.bucket.digits"],
    ) == (
        "integer",
        "0,15",
        "2",
    )
    assert parameters["projection.sent.type"] == "date" and parameters["projection.sent.range"] == "NOW-14DAYS,NOW"
    assert glue["storageDescriptor"]["columns"] == glue_columns() and glue["databaseName"] == on.exports["glueDatabase"]
    assert [k["name"] for k in glue["partitionKeys"]] == ["sent", "bucket"]


def test_a_stack_without_the_package_built_is_refused_before_anything_is_created(monkeypatch, tmp_path):
    monkeypatch.setattr(component.package, "DEFAULT_PATH", tmp_path / "missing.zip")
    with pytest.raises(
        SettingsError, match=r"compaction = true: the job's package .*missing\.zip is not built; run `make compaction-package`"
    ):
        evaluate("dev")
    assert evaluate("dev", {"compaction": False}).exports  # off needs no package


# --- the policy pack ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack() -> Iterator[RunningPack]:
    with running() as running_pack:
        running_pack.configure(None)
        yield running_pack


# With compaction on (the default) both stacks are judged by tests/test_policies_pack.py; off, here.
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_pass_the_whole_pack_with_compaction_off_first_preview_and_after(pack, stack):
    evaluation = evaluate(stack, {"compaction": False})
    assert pack.analyze(evaluation) == []
    assert pack.analyze(previewed(evaluation)) == []


def edit(evaluation: Evaluation, name: str, change: Callable[[dict[str, Any]], None]) -> Evaluation:
    return edited(evaluation, f"{PIPELINE}-compaction-{name}", change)


INSECURE: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    "scheduler-role-for-any-account": (
        "scheduler-role",
        statements_of("assumeRolePolicy", lambda s: s.pop("Condition")),
        "scheduler-role-confused-deputy",
    ),
    "function-logs-to-lambdas-own-group": (
        "function",
        lambda p: p.update(loggingConfig={"logFormat": "Text"}, name="another-name"),
        "lambda-function-log-group",
    ),
    "job-log-without-key": ("log", lambda p: p.pop("kmsKeyId"), "log-group-kms-encryption"),
    "job-log-never-expires": ("log", lambda p: p.pop("retentionInDays"), "log-group-retention"),
    "job-writes-anywhere": (
        "permissions",
        statements_of("policy", lambda s: s.update(Resource="*")),
        "iam-no-wildcard-permissions",
    ),
    "table-reading-another-bucket": (
        "messages",
        lambda p: p["storageDescriptor"].update(location="s3://someone-elses-bucket/compact/messages/"),
        "glue-table-in-pipeline-bucket",
    ),
}


@pytest.mark.parametrize("variant", INSECURE, ids=list(INSECURE))
def test_insecure_variants_of_the_job_fire_the_named_policy_as_mandatory(pack, on, variant):
    name, change, policy = INSECURE[variant]
    diagnostics = pack.analyze(edit(on, name, change))
    assert fired(diagnostics) == {(policy, "mandatory")}
    assert {d.urn.rsplit("::", 1)[1] for d in diagnostics} == {f"{PIPELINE}-compaction-{name}"}


# --- the two policies on hand-made resources ----------------------------------------------------


def role(condition: Any) -> Resource:
    trust = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "scheduler.amazonaws.com"}}
    if condition is not None:
        trust["Condition"] = condition
    return Resource(ROLE, "role", {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [trust]})})


def test_a_scheduler_role_needs_both_the_account_and_the_schedule_group():
    group = f"arn:aws:scheduler:us-east-1:{ACCOUNT_ID}:schedule-group/x"
    both = {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": group}}
    assert [m for _, m in violations(access.scheduler_role_confused_deputy, role(both))] == []
    for condition, missing in [
        (None, "aws:sourceaccount and aws:sourcearn"),
        ({"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}, "aws:sourcearn"),
        ({"StringEquals": {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": "*"}}, "aws:sourcearn"),
    ]:
        ((_, message),) = violations(access.scheduler_role_confused_deputy, role(condition))
        assert message.startswith(f"the role trusts scheduler.amazonaws.com without conditions on {missing}:")
    assert violations(access.scheduler_role_confused_deputy, Resource(ROLE, "role", {"assumeRolePolicy": UNKNOWN})) == []


def test_a_function_must_log_to_a_group_of_the_stack():
    group = Resource(LOG_GROUP, "log", {"name": "/aws/lambda/job", "kmsKeyId": "k", "retentionInDays": 7})
    named_group = Resource(FUNCTION, "f", {"name": "job", "loggingConfig": {"logGroup": "/aws/lambda/job"}})
    default_group = Resource(FUNCTION, "f", {"name": "job"})
    assert violations(operations.lambda_function_log_group, group, named_group) == []
    assert violations(operations.lambda_function_log_group, group, default_group) == []
    ((_, message),) = violations(operations.lambda_function_log_group, default_group)
    assert message.startswith(
        "the function logs to /aws/lambda/job, which the stack does not create: Lambda would create it unencrypted"
    )
    assert violations(operations.lambda_function_log_group, Resource(FUNCTION, "f", {"name": UNKNOWN})) == []
