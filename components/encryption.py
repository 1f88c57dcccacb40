"""The pipeline's customer-managed KMS key and the services allowed to use it."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import iam
from components.alarms import alarm_source, ses_source
from components.context import AwsContext


class PipelineKeyArgs(TypedDict):
    log_group_names: list[str]
    """The log groups CloudWatch Logs encrypts with the key: Firehose's error log, the compaction job's."""
    deletion_window_days: pulumi.Input[int]
    """Days between scheduling the key's deletion and its destruction (7-30)."""
    protect: NotRequired[bool]
    """Protect the key from deletion: without it, the data it encrypts is lost."""
    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Tags for the key."""
    alarms_component_name: NotRequired[str]
    """The alarms component whose CloudWatch alarms publish to an SNS topic encrypted with the key."""
    ses_topic_configuration_set_name: NotRequired[str]
    """The configuration set whose SES event destination publishes to an SNS topic encrypted with the key."""


class PipelineKey(pulumi.ComponentResource):
    key_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: PipelineKeyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ses-event-log:index:PipelineKey", name, None, opts)
        context = AwsContext.current(pulumi.InvokeOptions(parent=self))
        log_group_arns = [context.arn("logs", f"log-group:{name}") for name in args["log_group_names"]]
        statements = [
            # Without this the account cannot manage the key, nor let IAM policies use it.
            iam.statement(
                ["kms:*"],
                ["*"],  # a key policy's resource is always the key itself
                principal={"AWS": pulumi.Output.concat("arn:", context.partition, ":iam::", context.account_id, ":root")},
                sid="AccountAdministers",
            ),
            # CloudWatch Logs guide: the logs service needs these for an encrypted log group.
            iam.statement(
                ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                ["*"],
                principal={"Service": pulumi.Output.concat("logs.", context.region, ".amazonaws.com")},
                condition={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arns}},
                sid="CloudWatchLogsEncryptsTheLogs",
            ),
        ]
        # SNS guide, "compatibility between event sources from AWS services and encrypted topics":
        # a service publishing to an encrypted topic needs these on the key, or the alarm or
        # destination deploys cleanly and never delivers.
        publish = ["kms:Decrypt", "kms:GenerateDataKey*"]
        if args.get("alarms_component_name"):
            statements.append(
                iam.statement(
                    publish,
                    ["*"],
                    principal={"Service": "cloudwatch.amazonaws.com"},
                    condition=alarm_source(context, args["alarms_component_name"]),
                    sid="CloudWatchAlarmsPublishToTheAlarmTopic",
                )
            )
        if args.get("ses_topic_configuration_set_name"):
            statements.append(
                iam.statement(
                    publish,
                    ["*"],
                    principal={"Service": "ses.amazonaws.com"},
                    condition=ses_source(context, args["ses_topic_configuration_set_name"]),
                    sid="SesPublishesEventsToTheAlarmTopic",
                )
            )
        policy = iam.document(*statements)
        self._key = aws.kms.Key(
            f"{name}-key",
            description="SES event log: bucket, Firehose stream, error log and Athena results",
            enable_key_rotation=True,
            deletion_window_in_days=args["deletion_window_days"],
            policy=policy,
            tags=args.get("tags"),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.get("protect", False), retain_on_delete=args.get("protect", False)
            ),
        )
        self.key_arn = self._key.arn
        self.register_outputs({"key_arn": self.key_arn})
