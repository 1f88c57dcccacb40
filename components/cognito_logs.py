"""Cognito's message-delivery error log, from the user pools into the log bucket and Athena.

A user pool's ``userNotification`` log (level ``ERROR``: the email and SMS messages Cognito could
not send) goes to a CloudWatch Logs log group only (Cognito developer guide, "Exporting logs from
Amazon Cognito user pools"). A subscription filter hands every event of that log group to a
Firehose stream, which writes the subscription messages whole, one JSON line each, GZIP-compressed,
into the log bucket under ``cognito/``; a Glue table and a saved query read them. The layout, the
table's columns and the query come from ``seslog/cognito/`` (one source of truth with seslog).
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import iam
from components.catalog import projected_table
from components.context import AwsContext
from components.propagation import wait_for
from seslog.cognito.log import COMPRESSION, SCHEME, TABLE_NAME, glue_columns
from seslog.cognito.reading import QUERY
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.prefixes import COGNITO_ERROR_PREFIX

LOG_STREAM_NAME = "CognitoDestinationDelivery"
"""The stream of the pipeline's Firehose error log group where this stream logs its delivery errors."""

SUBSCRIPTION_FILTER_NAME = "cognito-errors"

# Errors are rare and on-call wants them soon: Firehose's smallest buffer, a minute (1-128 MiB, 0-900 s).
BUFFER_SIZE_MIB = 1
BUFFER_INTERVAL_SECONDS = 60

FORMAT = FORMATS["json"]


def cognito_log_group_name(pipeline_name: str) -> str:
    """Under /aws/vendedlogs/: when the account's CloudWatch Logs resource policies near their 5,120 characters,
    AWS services can still deliver to such log groups (Cognito API reference, CloudWatchLogsConfigurationType;
    CloudWatch Logs guide, "Enabling logging from AWS services")."""
    return f"/aws/vendedlogs/cognito/{pipeline_name}"


class CognitoErrorLogArgs(TypedDict):
    user_pool_ids: list[str]
    """The user pools whose message-delivery errors are logged; each gets this log as its only log delivery configuration."""
    log_group_name: str
    """The CloudWatch Logs log group Cognito delivers to."""
    log_retention_days: int
    """Days the log group keeps events: the hand-over point to Firehose, and the copy left if delivery fails."""
    bucket_name: pulumi.Input[str]
    """The log bucket."""
    bucket_arn: pulumi.Input[str]
    """The log bucket's ARN."""
    kms_key_arn: pulumi.Input[str]
    """The pipeline key: the Firehose stream and the objects are encrypted with it."""
    firehose_log_group_name: pulumi.Input[str]
    """The pipeline's Firehose error log group; this stream logs its errors there, in a stream of its own."""
    database_name: pulumi.Input[str]
    """The Glue database the table goes in, beside the events."""
    workgroup_name: pulumi.Input[str]
    """The Athena workgroup the saved query belongs to."""
    retention_days: int
    """Days objects are kept: partition projection covers no older dates."""
    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Tags for every resource that takes them."""


class CognitoErrorLog(pulumi.ComponentResource):
    log_group_arn: pulumi.Output[str]
    stream_name: pulumi.Output[str]
    table_name: pulumi.Output[str]

    def __init__(self, name: str, args: CognitoErrorLogArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ses-event-log:index:CognitoErrorLog", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = AwsContext.current(pulumi.InvokeOptions(parent=self))
        tags = args.get("tags")

        # Not encrypted with the pipeline key: Cognito refuses a log group encrypted with KMS (Cognito API
        # reference, CloudWatchLogsConfigurationType: "The log group must not be encrypted with AWS Key
        # Management Service"). CloudWatch Logs still encrypts it at rest with its own keys; the bucket's copy
        # is under the pipeline key.
        self._log_group = aws.cloudwatch.LogGroup(
            f"{name}-log-group",
            name=args["log_group_name"],
            retention_in_days=args["log_retention_days"],
            tags=tags,
            opts=child,
        )
        # Vended-log delivery writes only where a resource policy lets it (CloudWatch Logs guide, "Logs sent to
        # CloudWatch Logs"). Put here, for this log group alone, delivery need not write a broader one.
        self._delivery_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-delivery-policy",
            policy_name=f"{name}-delivery",
            policy_document=iam.document(
                iam.statement(
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [context.arn("logs", f"log-group:{args['log_group_name']}:log-stream:*")],
                    principal={"Service": "delivery.logs.amazonaws.com"},
                    condition={
                        "StringEquals": {"aws:SourceAccount": context.account_id},
                        "ArnLike": {"aws:SourceArn": context.arn("logs", "*")},
                    },
                    sid="CognitoDeliversToTheLogGroup",
                )
            ),
            opts=child,
        )
        self._deliveries = [
            aws.cognito.LogDeliveryConfiguration(
                f"{name}-pool-{pool_id}",
                user_pool_id=pool_id,
                log_configurations=[
                    {
                        "event_source": "userNotification",
                        "log_level": "ERROR",
                        "cloud_watch_logs_configuration": {"log_group_arn": self._log_group.arn},
                    }
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self._delivery_policy]),
            )
            for pool_id in args["user_pool_ids"]
        ]

        bucket_arn = pulumi.Output.from_input(args["bucket_arn"])
        self._error_log_stream = aws.cloudwatch.LogStream(
            f"{name}-errors-s3",
            name=LOG_STREAM_NAME,
            log_group_name=args["firehose_log_group_name"],
            opts=child,
        )
        self._role = aws.iam.Role(
            f"{name}-role",
            description="Firehose writes Cognito's message-delivery errors to the log bucket",
            assume_role_policy=iam.firehose_trust(context.account_id),
            tags=tags,
            opts=child,
        )
        self._role_policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=self._role.name,
            policy=iam.document(*self._firehose_permissions(args, context, bucket_arn)),
            opts=child,
        )
        # CreateDeliveryStream can fail on a role created in the same deploy (components/delivery.py).
        role_ready = wait_for(
            f"{name}-role-wait",
            [self._role, self._role_policy],
            {"roleArn": self._role.arn, "policy": self._role_policy.policy},
            self,
        )
        self._stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-stream",
            destination="extended_s3",
            server_side_encryption={"enabled": True, "key_type": "CUSTOMER_MANAGED_CMK", "key_arn": args["kms_key_arn"]},
            extended_s3_configuration={
                "role_arn": self._role.arn,
                "bucket_arn": bucket_arn,
                "prefix": SCHEME.firehose_prefix(),
                "error_output_prefix": COGNITO_ERROR_PREFIX,
                "buffering_size": BUFFER_SIZE_MIB,
                "buffering_interval": BUFFER_INTERVAL_SECONDS,
                "compression_format": COMPRESSION,
                "file_extension": FORMAT.file_extension(COMPRESSION),
                "kms_key_arn": args["kms_key_arn"],
                "cloudwatch_logging_options": {
                    "enabled": True,
                    "log_group_name": self._error_log_stream.log_group_name,
                    "log_stream_name": self._error_log_stream.name,
                },
                # CloudWatch Logs sends each subscription message GZIP-compressed (CloudWatch Logs guide,
                # "Subscription filters"). Decompressed, it is kept whole, one line each: its shape is documented
                # and seslog/cognito/log.py reads it; CloudWatchLogProcessing would keep the messages alone.
                "processing_configuration": {
                    "enabled": True,
                    "processors": [
                        {
                            "type": "Decompression",
                            "parameters": [{"parameter_name": "CompressionFormat", "parameter_value": "GZIP"}],
                        },
                        {"type": "AppendDelimiterToRecord"},
                    ],
                },
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_ready]),
        )

        # CloudWatch Logs guide, "Subscription filters with Amazon Data Firehose": the role it assumes to put
        # records, limited to this account's log groups (confused-deputy protection).
        self._subscription_role = aws.iam.Role(
            f"{name}-subscription-role",
            description="CloudWatch Logs hands Cognito's message-delivery errors to their Firehose stream",
            assume_role_policy=iam.service_trust(
                "logs.amazonaws.com", {"StringLike": {"aws:SourceArn": context.arn("logs", "*")}}
            ),
            tags=tags,
            opts=child,
        )
        self._subscription_role_policy = aws.iam.RolePolicy(
            f"{name}-subscription-role-policy",
            role=self._subscription_role.name,
            policy=iam.document(
                iam.statement(["firehose:PutRecord", "firehose:PutRecordBatch"], [self._stream.arn], sid="PutRecords")
            ),
            opts=child,
        )
        # PutSubscriptionFilter sends a test message through the role at once.
        subscription_ready = wait_for(
            f"{name}-subscription-role-wait",
            [self._subscription_role, self._subscription_role_policy],
            {"roleArn": self._subscription_role.arn, "policy": self._subscription_role_policy.policy},
            self,
        )
        self._subscription = aws.cloudwatch.LogSubscriptionFilter(
            f"{name}-subscription",
            name=SUBSCRIPTION_FILTER_NAME,
            log_group=self._log_group.name,
            filter_pattern="",
            destination_arn=self._stream.arn,
            role_arn=self._subscription_role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[subscription_ready]),
        )

        self._table = projected_table(
            f"{name}-table",
            name=TABLE_NAME,
            description="One row per CloudWatch Logs subscription message of Cognito's message-delivery error log; "
            "see seslog/cognito/log.py",
            database_name=args["database_name"],
            bucket_name=args["bucket_name"],
            scheme=SCHEME,
            format=FORMAT,
            columns=glue_columns(),
            retention_days=args["retention_days"],
            opts=child,
        )
        self._query = aws.athena.NamedQuery(
            f"{name}-query-{QUERY.name}",
            name=QUERY.name,
            description=self._table.name.apply(lambda t: QUERY.athena_description(SCHEME, t)),
            database=args["database_name"],
            query=self._table.name.apply(lambda t: QUERY.render(SCHEME, t).sql),
            workgroup=args["workgroup_name"],
            opts=child,
        )

        self.log_group_arn = self._log_group.arn
        self.stream_name = self._stream.name
        self.table_name = self._table.name
        self.register_outputs(
            {"log_group_arn": self.log_group_arn, "stream_name": self.stream_name, "table_name": self.table_name}
        )

    def _firehose_permissions(
        self, args: CognitoErrorLogArgs, context: AwsContext, bucket_arn: pulumi.Output[str]
    ) -> list[dict[str, Any]]:
        error_root = COGNITO_ERROR_PREFIX.split("/", 1)[0] + "/"
        return iam.firehose_writes(
            bucket_arn=bucket_arn,
            prefixes=[SCHEME.root, error_root],
            kms_key_arn=args["kms_key_arn"],
            region=context.region,
            log_stream_arn=context.arn(
                "logs",
                pulumi.Output.concat("log-group:", args["firehose_log_group_name"], ":log-stream:", LOG_STREAM_NAME),
            ),
            sid="WriteCognitoErrors",
        )
