"""CloudWatch alarms for when logging or mail breaks, and the SNS topic they notify.

Firehose alarms watch the one stream (namespace AWS/Firehose, dimension DeliveryStreamName);
the SES reputation alarms watch the account's bounce and complaint rates (namespace AWS/SES,
no dimensions), the rates AWS reviews an account on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import iam
from components.context import AwsContext
from components.propagation import wait_for

PERIOD_SECONDS = 300
# Beyond the buffer interval, how long writing one buffer to S3 (with conversion or dynamic
# partitioning) may take before the data counts as stale: one metric period.
DELIVERY_ALLOWANCE_SECONDS = PERIOD_SECONDS
# SES publishes the reputation rates irregularly, computed over a representative volume of mail
# rather than a fixed window (SES FAQ): an hour's maximum catches a peak.
REPUTATION_PERIOD_SECONDS = 3600


def freshness_threshold_seconds(buffer_interval_seconds: int) -> int:
    """DeliveryToS3.DataFreshness is the age of the oldest record not yet in S3. A healthy stream
    holds a record for at most one buffer interval, then writes it: older than the interval plus
    the delivery allowance means delivery is falling behind (Firehose guide, "CloudWatch alarms
    best practices": alarm when freshness exceeds the buffering limit)."""
    return buffer_interval_seconds + DELIVERY_ALLOWANCE_SECONDS


@dataclass(frozen=True)
class Alarm:
    role: str
    namespace: str
    metric: str
    statistic: str
    comparison: str
    threshold: float
    treat_missing_data: str
    description: str
    period: int = PERIOD_SECONDS
    evaluation_periods: int = 1
    dimension: str | None = "DeliveryStreamName"
    """The metric's one dimension (the stream, or the compaction function), or None for the account's."""


COMPACTION_FAILING_HOURS = 3
"""Hours in a row with a failed compaction run before the alarm fires: one failed run is caught up by the next."""


def alarms_for(
    buffer_interval_seconds: int, converts: bool, bounce_rate: float, complaint_rate: float, compaction: bool = False
) -> list[Alarm]:
    alarms = [
        # Success is the share of S3 puts that worked; every put failing for ten minutes is a
        # broken bucket, key or role. No data when nothing is delivered (no mail): not a failure.
        Alarm(
            "delivery-failing",
            "AWS/Firehose",
            "DeliveryToS3.Success",
            "Average",
            "LessThanThreshold",
            1,
            "notBreaching",
            "Firehose cannot write SES events to S3 (bucket policy, KMS key or role). See the error log group.",
            evaluation_periods=2,
        ),
        # Freshness is reported while records wait; with none waiting there is nothing stale.
        Alarm(
            "data-stale",
            "AWS/Firehose",
            "DeliveryToS3.DataFreshness",
            "Maximum",
            "GreaterThanThreshold",
            freshness_threshold_seconds(buffer_interval_seconds),
            "notBreaching",
            "SES events are waiting in Firehose longer than the buffer interval allows: delivery is behind or failing.",
        ),
        # Throttled records are SES events Firehose refused: they are lost, not delayed.
        Alarm(
            "throttled",
            "AWS/Firehose",
            "ThrottledRecords",
            "Sum",
            "GreaterThanThreshold",
            0,
            "notBreaching",
            "Firehose throttled SES events (stream quota): raise the Direct PUT quota or the buffer.",
        ),
    ]
    if converts:
        alarms.append(
            # Records that do not fit the Glue schema go to the error prefix, not the table.
            Alarm(
                "conversion-failed",
                "AWS/Firehose",
                "FailedConversion.Records",
                "Sum",
                "GreaterThanThreshold",
                0,
                "notBreaching",
                "Some SES events did not fit the Glue schema and went to errors/format-conversion-failed/.",
            )
        )
    # SES reviews an account at a bounce rate of 5 % or more and a complaint rate of 0.1 % or
    # more (SES enforcement FAQ): the alarms fire at the threshold, not only above it. Missing
    # data keeps the state: the rates are published irregularly and do not reset between points.
    alarms += [
        Alarm(
            "bounce-rate",
            "AWS/SES",
            "Reputation.BounceRate",
            "Maximum",
            "GreaterThanOrEqualToThreshold",
            bounce_rate,
            "ignore",
            "The account's SES bounce rate reached the threshold; SES reviews accounts from 5 %. Find the bounces in Athena.",
            period=REPUTATION_PERIOD_SECONDS,
            dimension=None,
        ),
        Alarm(
            "complaint-rate",
            "AWS/SES",
            "Reputation.ComplaintRate",
            "Maximum",
            "GreaterThanOrEqualToThreshold",
            complaint_rate,
            "ignore",
            "The account's SES complaint rate reached the threshold; SES reviews accounts from 0.1 %. Find the complaints in Athena.",
            period=REPUTATION_PERIOD_SECONDS,
            dimension=None,
        ),
    ]
    if compaction:
        # The job runs hourly; lookups stay right while it fails, but read more raw objects each hour it does.
        alarms.append(
            Alarm(
                "compaction-failing",
                "AWS/Lambda",
                "Errors",
                "Sum",
                "GreaterThanOrEqualToThreshold",
                1,
                "notBreaching",
                "The hourly compaction job failed three hours in a row: lookups still answer, reading more raw objects "
                "each hour. See the log group /aws/lambda/<function>.",
                period=3600,
                evaluation_periods=COMPACTION_FAILING_HOURS,
                dimension="FunctionName",
            )
        )
    return alarms


class PipelineAlarmsArgs(TypedDict):
    stream_name: pulumi.Input[str]
    """The Firehose stream watched."""
    buffer_interval_seconds: int
    """The stream's buffer interval, from which the freshness threshold is derived."""
    converts: bool
    """The stream converts records (parquet, orc): watch conversion failures too."""
    bounce_rate: float
    """Bounce rate (a fraction) at which the bounce alarm fires."""
    complaint_rate: float
    """Complaint rate (a fraction) at which the complaint alarm fires."""
    compaction_function_name: NotRequired[pulumi.Input[str]]
    """The compaction job's function, watched when the stack compacts."""
    kms_key_arn: pulumi.Input[str]
    """Key that encrypts a created topic; its policy must let CloudWatch (and SES) use it."""
    email: NotRequired[str]
    """Address subscribed to the topic."""
    existing_topic_arn: NotRequired[str]
    """An existing topic to notify instead of creating one."""
    ses_configuration_set_name: NotRequired[str]
    """A configuration set whose SES event destination publishes to a created topic."""
    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Tags for every resource."""


class PipelineAlarms(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    """The topic the alarms notify; when created here, known only once its policy is in place."""

    def __init__(self, name: str, args: PipelineAlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ses-event-log:index:PipelineAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.get("tags")

        if args.get("existing_topic_arn"):
            topic_arn: pulumi.Output[str] = pulumi.Output.from_input(args["existing_topic_arn"])
        else:
            topic_arn = self._create_topic(name, args, tags)
        if args.get("email"):
            aws.sns.TopicSubscription(f"{name}-email", topic=topic_arn, protocol="email", endpoint=args["email"], opts=child)

        function = args.get("compaction_function_name")
        watched = {"DeliveryStreamName": args["stream_name"], "FunctionName": function}
        alarms = alarms_for(
            args["buffer_interval_seconds"], args["converts"], args["bounce_rate"], args["complaint_rate"], function is not None
        )
        for alarm in alarms:
            aws.cloudwatch.MetricAlarm(
                f"{name}-{alarm.role}",
                alarm_description=alarm.description,
                namespace=alarm.namespace,
                metric_name=alarm.metric,
                dimensions={alarm.dimension: watched[alarm.dimension]} if alarm.dimension else None,
                statistic=alarm.statistic,
                period=alarm.period,
                evaluation_periods=alarm.evaluation_periods,
                datapoints_to_alarm=alarm.evaluation_periods,
                comparison_operator=alarm.comparison,
                threshold=alarm.threshold,
                treat_missing_data=alarm.treat_missing_data,
                alarm_actions=[topic_arn],
                ok_actions=[topic_arn],
                tags=tags,
                opts=child,
            )
        self.topic_arn = topic_arn
        self.register_outputs({"topic_arn": self.topic_arn})

    def _create_topic(self, name: str, args: PipelineAlarmsArgs, tags: pulumi.Input[dict[str, str]] | None) -> pulumi.Output[str]:
        context = AwsContext.current(pulumi.InvokeOptions(parent=self))
        topic = aws.sns.Topic(
            f"{name}-topic", kms_master_key_id=args["kms_key_arn"], tags=tags, opts=pulumi.ResourceOptions(parent=self)
        )
        statements = [
            iam.statement(
                ["sns:Publish"],
                [topic.arn],
                principal={"Service": "cloudwatch.amazonaws.com"},
                condition=alarm_source(context, name),
                sid="CloudWatchAlarmsOfThisPipeline",
            )
        ]
        if args.get("ses_configuration_set_name"):
            statements.append(
                iam.statement(
                    ["sns:Publish"],
                    [topic.arn],
                    principal={"Service": "ses.amazonaws.com"},
                    condition=ses_source(context, args["ses_configuration_set_name"]),
                    sid="SesEventsOfThisConfigurationSet",
                )
            )
        policy = aws.sns.TopicPolicy(
            f"{name}-topic-policy", arn=topic.arn, policy=iam.document(*statements), opts=pulumi.ResourceOptions(parent=self)
        )
        # Alarms and SES deliver nothing until the policy lets them: hand the ARN out after it, and
        # after the policy (and the key policy of the topic's key, written before the topic) had
        # time to take effect. SES publishes a test message to the topic when an SNS event
        # destination is created ("Successfully validated SNS topic for Amazon SES event
        # publishing", recorded from AWS in localstack/localstack's SES snapshot tests) and refuses
        # the destination (InvalidParameterValue) when it cannot, the key policy included (SES
        # guide, "Configuring notifications"). The email subscription waits too: its confirmation
        # is the first message SNS sends for the topic, and no source says it does not depend on
        # the policies being in effect; a lost confirmation must be requested again by hand.
        ready = wait_for(f"{name}-topic-wait", [topic, policy], {"topicArn": topic.arn, "policy": policy.policy}, self)
        return pulumi.Output.all(topic.arn, policy.id, ready.id).apply(lambda values: values[0])


def alarm_source(context: AwsContext, alarms_component_name: str) -> dict:
    """Confused-deputy conditions for CloudWatch: alarms of this account whose (generated)
    names start with the alarms component's name."""
    return {
        "StringEquals": {"aws:SourceAccount": context.account_id},
        "ArnLike": {"aws:SourceArn": context.arn("cloudwatch", f"alarm:{alarms_component_name}-*")},
    }


def ses_source(context: AwsContext, configuration_set_name: str) -> dict:
    """Confused-deputy conditions for SES: this account and this configuration set."""
    return {
        "StringEquals": {
            "aws:SourceAccount": context.account_id,
            "aws:SourceArn": context.arn("ses", f"configuration-set/{configuration_set_name}"),
        }
    }
