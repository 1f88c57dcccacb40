"""SesEventLogPipeline: every SES event of a configuration set, kept in S3 and queryable in Athena.

Annotations here are evaluated (no ``from __future__ import annotations``): the component
provider host reads them to offer the component to other Pulumi languages (provider/).
"""

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
from pulumi.provider.experimental import host

from components.alarms import PipelineAlarms
from components.analytics import InvestigationWorkgroup
from components.catalog import EventCatalog
from components.cognito_logs import CognitoErrorLog, cognito_log_group_name
from components.compaction import CompactionJob
from components.compaction import log_group_name as compaction_log_group_name
from components.context import AwsContext
from components.delivery import EventDelivery
from components.encryption import PipelineKey
from components.identity_defaults import DefaultConfigurationSet
from components.notifications import EventNotifications
from components.publishing import EventPublishing
from components.settings import SettingsError, parse
from components.storage import LogBucket
from seslog.eventlog.prefixes import DATA_PREFIX


class PipelineArgs(TypedDict):
    """Every input is optional; see components/settings.py for defaults and rules."""

    format: NotRequired[str]
    """Storage format of event objects: json (GZIP JSON lines), parquet or orc."""
    partitioning: NotRequired[str]
    """Partitioning scheme: none, date, hour, event-type or send-date (retentionDays at most 247 with send-date)."""
    event_types: NotRequired[list[str]]
    """SES event types to publish (SES v2 names); all ten by default."""
    retention_days: NotRequired[int]
    """Days an event object is kept before it expires."""
    noncurrent_retention_days: NotRequired[int]
    """Days an overwritten or deleted object version is kept; at most retentionDays."""
    transition_days: NotRequired[int]
    """Days after which objects move to transitionStorageClass; 0 keeps them in S3 Standard."""
    transition_storage_class: NotRequired[str]
    """Cheaper storage class Athena can still read: STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING or GLACIER_IR."""
    buffer_size_mib: NotRequired[int]
    """Firehose buffer size in MiB (1-128; at least 64 with parquet, orc, event-type or send-date)."""
    buffer_interval_seconds: NotRequired[int]
    """Firehose buffer interval in seconds (0-900; not 0 with event-type or send-date)."""
    compression: NotRequired[str]
    """Compression; empty for the format's default (json: GZIP; parquet, orc: SNAPPY)."""
    error_log_retention_days: NotRequired[int]
    """Retention of the Firehose error log group, in a value CloudWatch Logs accepts."""
    configuration_set_name: NotRequired[str]
    """Name of the SES configuration set to create; empty for the pipeline's name (<project>-<stack>)."""
    existing_configuration_set_name: NotRequired[str]
    """Name of an existing configuration set to add the event destination to, instead of creating one."""
    require_tls: NotRequired[bool]
    """Make the created configuration set deliver only over TLS (tlsPolicy REQUIRE)."""
    kms_key_arn: NotRequired[str]
    """ARN of an existing customer-managed KMS key; empty to create one with rotation."""
    kms_deletion_window_days: NotRequired[int]
    """Waiting period (7-30 days) before a deleted pipeline key is destroyed."""
    protect_data: NotRequired[bool]
    """Protect the bucket and key from deletion (protect and retainOnDelete)."""
    force_destroy: NotRequired[bool]
    """Let `pulumi destroy` delete a non-empty bucket; only when protectData is false."""
    athena_bytes_scanned_cutoff_mib: NotRequired[int]
    """Athena workgroup: a query that would scan more than this many MiB is cancelled (at least 10)."""
    athena_results_retention_days: NotRequired[int]
    """Days Athena query results are kept."""
    tags: NotRequired[dict[str, str]]
    """Tags for every resource, as Key=Value strings."""
    default_for_identities: NotRequired[list[str]]
    """Existing verified SES identities (domains or email addresses) whose default configuration set becomes this one, so mail sent without naming it is logged too."""
    alarm_email: NotRequired[str]
    """Email address subscribed to the alarm topic; setting it or alarmTopicArn turns the alarms on."""
    alarm_topic_arn: NotRequired[str]
    """ARN of an existing SNS topic for the alarms instead of a created one; setting it or alarmEmail turns the alarms on."""
    bounce_rate_alarm_threshold: NotRequired[str]
    """Account bounce rate (Reputation.BounceRate) at which the bounce alarm fires, as a percentage such as 5% (SES reviews accounts from 5%)."""
    complaint_rate_alarm_threshold: NotRequired[str]
    """Account complaint rate (Reputation.ComplaintRate) at which the complaint alarm fires, as a percentage such as 0.1% (SES reviews accounts from 0.1%)."""
    notify: NotRequired[bool]
    """Publish notifyEventTypes to SNS as they happen, to notifyTopicArn or the alarm topic."""
    notify_event_types: NotRequired[list[str]]
    """SES event types published to SNS as they happen, when notify is true."""
    notify_topic_arn: NotRequired[str]
    """ARN of an existing SNS topic for the notifications; empty to use the alarm topic."""
    compaction: NotRequired[bool]
    """Compact the events hourly into tables shaped like a recipient's and a message's lookups (a Lambda function); false keeps only the raw layout."""
    cognito_user_pool_ids: NotRequired[list[str]]
    """Cognito user pools (IDs, in the stack's Region) whose message-delivery errors are kept in the bucket (table cognito_errors); the stack takes over each pool's log delivery configuration."""


def _warn_of_another_account(key: str, topic: str, account_id: pulumi.Output[str], resource: pulumi.Resource) -> None:
    """A topic of another account works only if its policy (and its key's) lets this account's services publish: the
    settings cannot know the stack's account, the preview does, and says so. It is not refused: such a topic is legal."""
    owner = topic.split(":")[4]

    def check(account: str) -> None:
        if account and account != owner:
            pulumi.log.warn(
                f"{key} = {topic!r} is a topic of account {owner}, not this stack's ({account}): it receives nothing unless "
                "its policy lets this account's CloudWatch alarms and SES publish to it (and, if encrypted, its key's policy "
                "lets them use the key)",
                resource,
            )

    account_id.apply(check)


class SesEventLogPipeline(pulumi.ComponentResource):
    """Every SES event of a configuration set, kept encrypted in S3 and queryable in Athena."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    data_prefix: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    stream_name: pulumi.Output[str]
    stream_arn: pulumi.Output[str]
    error_log_group: pulumi.Output[str]
    configuration_set_name: pulumi.Output[str]
    glue_database: pulumi.Output[str]
    glue_table: pulumi.Output[str]
    athena_workgroup: pulumi.Output[str]
    alarm_topic_arn: pulumi.Output[str] | None
    """The SNS topic the alarms notify; absent without alarms."""
    notification_topic_arn: pulumi.Output[str] | None
    """The SNS topic that receives notifyEventTypes as they happen; absent without notifications."""
    cognito_error_table: pulumi.Output[str] | None
    """The Glue table of the user pools' message-delivery errors; absent without cognitoUserPoolIds."""
    cognito_log_group_arn: pulumi.Output[str] | None
    """The log group the user pools deliver their message-delivery errors to; absent without cognitoUserPoolIds."""
    compaction_function: pulumi.Output[str] | None
    """The hourly compaction job's Lambda function; absent with compaction false."""

    def __init__(self, name: str, args: PipelineArgs, opts: pulumi.ResourceOptions | None = None):
        # Validate before registering anything: a bad setting creates nothing.
        s = parse(args, default_configuration_set_name=name, region=pulumi.Config("aws").get("region"))
        if s.default_for_identities and host.is_hosting:
            # The identity defaults are a Python dynamic provider, which runs in the program's own
            # Python environment and imports this repository: a program in another language has neither.
            problem = (
                f"defaultForIdentities = {list(s.default_for_identities)!r}: works only in a Python program; from another "
                "language leave it empty and run `aws sesv2 put-email-identity-configuration-set-attributes` for each identity"
            )
            raise SettingsError([problem])
        super().__init__("ses-event-log:index:SesEventLogPipeline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        given_topics = {"alarmTopicArn": s.alarm_topic_arn, "notifyTopicArn": s.notify_topic_arn}
        if any(given_topics.values()):
            account_id = AwsContext.current(pulumi.InvokeOptions(parent=self)).account_id
            for key, topic in given_topics.items():
                if topic:
                    _warn_of_another_account(key, topic, account_id, self)
        tags = s.tags or None
        log_group_name = f"/aws/kinesisfirehose/{name}"
        alarms_name = f"{name}-alarms"
        # A topic created here is encrypted with the pipeline key; those who publish to it need the key.
        own_alarm_topic = s.alarms and not s.alarm_topic_arn
        notifies_own_topic = own_alarm_topic and s.notify and not s.notify_topic_arn

        if s.kms_key_arn:
            key_arn: pulumi.Output[str] = pulumi.Output.from_input(s.kms_key_arn)
        else:
            key = PipelineKey(
                f"{name}-encryption",
                {
                    "log_group_names": [log_group_name] + ([compaction_log_group_name(name)] if s.compaction else []),
                    "deletion_window_days": s.kms_deletion_window_days,
                    "protect": s.protect_data,
                    "tags": tags,
                    **({"alarms_component_name": alarms_name} if own_alarm_topic else {}),
                    **({"ses_topic_configuration_set_name": s.configuration_set_name} if notifies_own_topic else {}),
                },
                opts=child,
            )
            key_arn = key.key_arn

        storage = LogBucket(
            f"{name}-storage",
            {
                "kms_key_arn": key_arn,
                "retention_days": s.retention_days,
                "noncurrent_retention_days": s.noncurrent_retention_days,
                "athena_results_retention_days": s.athena_results_retention_days,
                "transition_days": s.transition_days,
                "transition_storage_class": s.transition_storage_class,
                "force_destroy": s.force_destroy,
                "protect": s.protect_data,
                "tags": tags,
            },
            opts=child,
        )
        catalog = EventCatalog(
            f"{name}-catalog",
            {
                "database_name": name.lower().replace("-", "_").replace(".", "_"),
                "bucket_name": storage.bucket_name,
                "format": s.format.name,
                "partitioning": s.scheme.name,
                "retention_days": s.retention_days,
            },
            opts=child,
        )
        delivery = EventDelivery(
            f"{name}-delivery",
            {
                "bucket_arn": storage.bucket_arn,
                "kms_key_arn": key_arn,
                "format": s.format.name,
                "compression": s.compression,
                "partitioning": s.scheme.name,
                "retention_days": s.retention_days,
                "buffer_size_mib": s.buffer_size_mib,
                "buffer_interval_seconds": s.buffer_interval_seconds,
                "log_group_name": log_group_name,
                "error_log_retention_days": s.error_log_retention_days,
                "glue_database_name": catalog.database_name,
                "glue_table_name": catalog.table_name,
                "tags": tags,
            },
            opts=child,
        )
        publishing = EventPublishing(
            f"{name}-publishing",
            {
                "configuration_set_name": s.configuration_set_name,
                "existing_configuration_set": s.existing_configuration_set,
                "event_types": list(s.event_types),
                "delivery_stream_arn": delivery.stream_arn,
                "require_tls": s.require_tls,
                "tags": tags,
            },
            opts=child,
        )
        workgroup = InvestigationWorkgroup(
            f"{name}-investigation",
            {
                "workgroup_name": name,
                "bucket_name": storage.bucket_name,
                "kms_key_arn": key_arn,
                "bytes_scanned_cutoff_mib": s.athena_bytes_scanned_cutoff_mib,
                "database_name": catalog.database_name,
                "table_name": catalog.table_name,
                "partitioning": s.scheme.name,
                "retention_days": s.retention_days,
                "tags": tags,
            },
            opts=child,
        )

        self.compaction_function = None
        if s.compaction:
            compaction = CompactionJob(
                f"{name}-compaction",
                {
                    "pipeline_name": name,
                    "bucket_name": storage.bucket_name,
                    "bucket_arn": storage.bucket_arn,
                    "kms_key_arn": key_arn,
                    "format": s.format.name,
                    "partitioning": s.scheme.name,
                    "retention_days": s.retention_days,
                    "log_retention_days": s.error_log_retention_days,
                    "database_name": catalog.database_name,
                    "tags": tags,
                },
                opts=child,
            )
            self.compaction_function = compaction.function_name

        self.alarm_topic_arn = None
        if s.alarms:
            alarms = PipelineAlarms(
                alarms_name,
                {
                    "stream_name": delivery.stream_name,
                    "buffer_interval_seconds": s.buffer_interval_seconds,
                    "converts": s.format.converts,
                    "bounce_rate": s.bounce_rate_alarm_threshold,
                    "complaint_rate": s.complaint_rate_alarm_threshold,
                    **({"compaction_function_name": self.compaction_function} if self.compaction_function is not None else {}),
                    "kms_key_arn": key_arn,
                    **({"email": s.alarm_email} if s.alarm_email else {}),
                    **({"existing_topic_arn": s.alarm_topic_arn} if s.alarm_topic_arn else {}),
                    **({"ses_configuration_set_name": s.configuration_set_name} if notifies_own_topic else {}),
                    "tags": tags,
                },
                opts=child,
            )
            self.alarm_topic_arn = alarms.topic_arn
        self.notification_topic_arn = None
        if s.notify:
            notifications = EventNotifications(
                f"{name}-notifications",
                {
                    "configuration_set_name": publishing.configuration_set_name,
                    "event_types": list(s.notify_event_types),
                    "topic_arn": s.notify_topic_arn or self.alarm_topic_arn,
                },
                opts=child,
            )
            self.notification_topic_arn = notifications.topic_arn
        self.cognito_error_table = None
        self.cognito_log_group_arn = None
        if s.cognito_user_pool_ids:
            cognito = CognitoErrorLog(
                f"{name}-cognito",
                {
                    "user_pool_ids": list(s.cognito_user_pool_ids),
                    "log_group_name": cognito_log_group_name(name),
                    # The log group only hands the errors over; the bucket keeps them retentionDays. Kept as
                    # long as the Firehose error log, it still holds what a failing delivery did not hand over.
                    "log_retention_days": s.error_log_retention_days,
                    "bucket_name": storage.bucket_name,
                    "bucket_arn": storage.bucket_arn,
                    "kms_key_arn": key_arn,
                    "firehose_log_group_name": delivery.log_group_name,
                    "database_name": catalog.database_name,
                    "workgroup_name": workgroup.workgroup_name,
                    "retention_days": s.retention_days,
                    "tags": tags,
                },
                opts=child,
            )
            self.cognito_error_table = cognito.table_name
            self.cognito_log_group_arn = cognito.log_group_arn
        if s.default_for_identities:
            region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=self)).region
            for identity in s.default_for_identities:
                # After the configuration set and its Firehose destination: mail sent by default
                # with the set is logged from the first message.
                DefaultConfigurationSet(
                    f"{name}-default-{identity}",
                    identity,
                    publishing.configuration_set_name,
                    region,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[publishing]),
                )

        self.bucket_name = storage.bucket_name
        self.bucket_arn = storage.bucket_arn
        self.data_prefix = pulumi.Output.from_input(DATA_PREFIX)
        self.kms_key_arn = key_arn
        self.stream_name = delivery.stream_name
        self.stream_arn = delivery.stream_arn
        self.error_log_group = delivery.log_group_name
        self.configuration_set_name = publishing.configuration_set_name
        self.glue_database = catalog.database_name
        self.glue_table = catalog.table_name
        self.athena_workgroup = workgroup.workgroup_name
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "data_prefix": self.data_prefix,
                "kms_key_arn": self.kms_key_arn,
                "stream_name": self.stream_name,
                "stream_arn": self.stream_arn,
                "error_log_group": self.error_log_group,
                "configuration_set_name": self.configuration_set_name,
                "glue_database": self.glue_database,
                "glue_table": self.glue_table,
                "athena_workgroup": self.athena_workgroup,
                "alarm_topic_arn": self.alarm_topic_arn,
                "notification_topic_arn": self.notification_topic_arn,
                "cognito_error_table": self.cognito_error_table,
                "cognito_log_group_arn": self.cognito_log_group_arn,
                "compaction_function": self.compaction_function,
            }
        )
