"""The hourly compaction job: a Lambda function EventBridge Scheduler invokes, and the Glue tables of what it writes.

The job (``seslog/compaction/``) rewrites each arrival hour's event objects into two tables shaped like the
recipient's and the message's lookups, under ``compact/``; seslog reads them with the raw objects not compacted yet.
Why a Lambda function rather than Athena or Glue: ``docs/formats-and-partitioning.md`` ("Compacted tables").
"""

from __future__ import annotations

import base64
import functools
import hashlib
from pathlib import Path
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import iam
from components.catalog import projected_table
from components.context import AwsContext
from components.settings import SettingsError
from seslog.compaction import handler, package
from seslog.compaction.tables import TABLES, glue_columns
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.prefixes import CODE_PREFIX, COMPACT_PREFIX, DATA_PREFIX

SCHEDULE = "cron(20 * * * ? *)"
"""Twenty minutes past every hour (UTC): the hour before has ended and its objects are written (``run.SETTLE``)."""

MEMORY_MIB = 3008
"""An hour at a million mails a day peaks at about 1.1 GiB, a day's merge holds one bucket at a time (bench/results/
compaction.md); 3,008 MB is the most every account may set (new accounts' quota) and gives about two vCPUs."""

TIMEOUT_SECONDS = 900
"""Lambda's longest: a run stops starting work ``run.RESERVE`` seconds before it and leaves the rest to the next."""

EPHEMERAL_MIB = 4096
"""The objects of the units a run compacts are fetched to /tmp (an hour at a million mails a day is a few hundred MB)."""


def function_name(pipeline_name: str) -> str:
    return f"{pipeline_name}-compaction"


def log_group_name(pipeline_name: str) -> str:
    """The function's log group, which the stack creates encrypted and retained (Lambda would create one without)."""
    return f"/aws/lambda/{function_name(pipeline_name)}"


def source_code_hash(path: Path) -> str:
    """Lambda's ``CodeSha256`` of a package: a new package redeploys the function, the same one does not."""
    stat = path.stat()
    return _hash(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _hash(path: Path, size: int, modified: int) -> str:
    """Hashed once per package file (size and time stand for its content): 67 MB take a tenth of a second."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


class CompactionJobArgs(TypedDict):
    pipeline_name: str
    """The pipeline's name: the function, its log group and its schedule group are named after it."""
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    """The pipeline key: the objects read and the files written are encrypted with it, and so is the job's log."""
    format: str
    partitioning: str
    retention_days: int
    log_retention_days: int
    """Days the job's log group keeps its runs."""
    database_name: pulumi.Input[str]
    """The Glue database the compacted tables are created in, beside the events table."""
    package_path: NotRequired[str]
    """The job's Lambda package (``make compaction-package``); default ``build/compaction.zip``."""
    tags: NotRequired[pulumi.Input[dict[str, str]]]


class CompactionJob(pulumi.ComponentResource):
    function_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    table_names: list[pulumi.Output[str]]

    def __init__(self, name: str, args: CompactionJobArgs, opts: pulumi.ResourceOptions | None = None):
        path = Path(args.get("package_path") or package.DEFAULT_PATH)
        if not path.is_file():
            raise SettingsError(
                [
                    f"compaction = true: the job's package {path} is not built; run `make compaction-package` (or set compaction to false)"
                ]
            )
        super().__init__("ses-event-log:index:CompactionJob", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.get("tags")
        context = AwsContext.current(pulumi.InvokeOptions(parent=self))
        bucket_arn = pulumi.Output.from_input(args["bucket_arn"])
        pipeline = args["pipeline_name"]
        code_hash = source_code_hash(path)

        self._log_group = aws.cloudwatch.LogGroup(
            f"{name}-log",
            name=log_group_name(pipeline),
            retention_in_days=args["log_retention_days"],
            kms_key_id=args["kms_key_arn"],
            tags=tags,
            opts=child,
        )
        # The package is over Lambda's 50 MB direct upload: it goes through the bucket, named by its hash.
        self._code = aws.s3.BucketObjectv2(
            f"{name}-package",
            bucket=args["bucket_name"],
            key=f"{CODE_PREFIX}compaction-{hashlib.sha256(code_hash.encode()).hexdigest()[:16]}.zip",
            source=pulumi.FileAsset(str(path)),
            server_side_encryption="aws:kms",
            kms_key_id=args["kms_key_arn"],
            tags=tags,
            opts=child,
        )

        # Lambda assumes an execution role only for a function of the role's own account, which only that account's
        # principals can create with it (iam:PassRole): no other account's function can act through it.
        self._role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=iam.document(iam.statement(["sts:AssumeRole"], principal={"Service": "lambda.amazonaws.com"})),
            tags=tags,
            opts=child,
        )
        self._role_policy = aws.iam.RolePolicy(
            f"{name}-permissions",
            role=self._role.id,
            policy=iam.document(
                iam.statement(
                    ["s3:ListBucket"],
                    [bucket_arn],
                    condition={"StringLike": {"s3:prefix": [f"{DATA_PREFIX}*", f"{COMPACT_PREFIX}*"]}},
                    sid="ListEventsAndCompactedFiles",
                ),
                iam.statement(
                    ["s3:GetObject"],
                    [pulumi.Output.concat(bucket_arn, "/", DATA_PREFIX, "*")],
                    sid="ReadEvents",
                ),
                iam.statement(
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    [pulumi.Output.concat(bucket_arn, "/", COMPACT_PREFIX, "*")],
                    sid="WriteCompactedFiles",
                ),
                iam.statement(
                    ["kms:GenerateDataKey", "kms:Decrypt"],
                    [args["kms_key_arn"]],
                    condition={
                        "StringEquals": {
                            "kms:ViaService": pulumi.Output.concat("s3.", context.region, ".amazonaws.com"),
                            "kms:EncryptionContext:aws:s3:arn": bucket_arn,
                        }
                    },
                    sid="EncryptThroughS3",
                ),
                iam.statement(
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [pulumi.Output.concat(self._log_group.arn, ":*")],
                    sid="LogRuns",
                ),
            ),
            opts=child,
        )
        self._function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name(pipeline),
            description="SES event log: compacts each arrival hour into the tables seslog reads (seslog/compaction/)",
            role=self._role.arn,
            runtime=package.RUNTIME,
            architectures=[package.ARCHITECTURE],
            handler=package.HANDLER,
            s3_bucket=self._code.bucket,
            s3_key=self._code.key,
            source_code_hash=code_hash,
            memory_size=MEMORY_MIB,
            timeout=TIMEOUT_SECONDS,
            ephemeral_storage={"size": EPHEMERAL_MIB},
            environment={
                "variables": handler.JobSettings.environment(
                    bucket=args["bucket_name"],
                    format=args["format"],
                    partitioning=args["partitioning"],
                    retention_days=str(args["retention_days"]),
                    kms_key_arn=args["kms_key_arn"],
                )
            },
            logging_config={"log_format": "Text", "log_group": self._log_group.name},
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._role_policy, self._log_group]),
        )
        # A failed run is not retried: the next hour's run does its work, and the manifest makes that safe.
        self._invoke_config = aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-invoke",
            function_name=self._function.name,
            maximum_retry_attempts=0,
            maximum_event_age_in_seconds=3600,
            opts=child,
        )

        self._group = aws.scheduler.ScheduleGroup(f"{name}-schedules", name=pipeline, tags=tags, opts=child)
        # EventBridge Scheduler guide, "Set up the execution role": the schedule group's ARN and the account as
        # aws:SourceArn and aws:SourceAccount keep another account's schedules from acting through the role.
        self._scheduler_role = aws.iam.Role(
            f"{name}-scheduler-role",
            assume_role_policy=iam.service_trust(
                "scheduler.amazonaws.com",
                {"StringEquals": {"aws:SourceAccount": context.account_id, "aws:SourceArn": self._group.arn}},
            ),
            tags=tags,
            opts=child,
        )
        self._scheduler_policy = aws.iam.RolePolicy(
            f"{name}-scheduler-permissions",
            role=self._scheduler_role.id,
            policy=iam.document(iam.statement(["lambda:InvokeFunction"], [self._function.arn], sid="InvokeTheJob")),
            opts=child,
        )
        self._schedule = aws.scheduler.Schedule(
            f"{name}-schedule",
            name="compaction",
            group_name=self._group.name,
            description="Compacts the SES events of the hour before",
            schedule_expression=SCHEDULE,
            schedule_expression_timezone="UTC",
            flexible_time_window={"mode": "OFF"},
            target={
                "arn": self._function.arn,
                "role_arn": self._scheduler_role.arn,
                # The invocation is asynchronous; a throttled one is retried for at most the hour, then the next run
                # does its work (the default would retry 185 times for a day).
                "retry_policy": {"maximum_retry_attempts": 3, "maximum_event_age_in_seconds": 3600},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._scheduler_policy]),
        )

        self._tables = [
            projected_table(
                f"{name}-{table.name}",
                name=table.glue_name,
                description=f"The compacted rows of {table.name}, sorted by {table.key} (seslog/compaction/tables.py)",
                database_name=args["database_name"],
                bucket_name=args["bucket_name"],
                scheme=table.scheme(args["retention_days"]),
                format=FORMATS["parquet"],
                columns=glue_columns(),
                retention_days=args["retention_days"],
                opts=child,
            )
            for table in TABLES
        ]
        self.function_name = self._function.name
        self.log_group_name = self._log_group.name
        self.table_names = [t.name for t in self._tables]
        self.register_outputs({"function_name": self.function_name, "log_group_name": self.log_group_name})
