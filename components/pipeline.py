"""SesEventLogPipeline: every SES event of a configuration set, kept in S3 and queryable in Athena."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi

from components.analytics import InvestigationWorkgroup
from components.catalog import EventCatalog
from components.delivery import EventDelivery
from components.encryption import PipelineKey
from components.publishing import EventPublishing
from components.settings import parse
from components.storage import LogBucket
from eventlog.prefixes import DATA_PREFIX


class PipelineArgs(TypedDict):
    """Every input is optional; see components/settings.py for defaults and rules."""

    format: NotRequired[str]
    """Storage format of event objects: json (GZIP JSON lines), parquet or orc."""
    partitioning: NotRequired[str]
    """Partitioning scheme: none, date, hour or event-type."""
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
    """Firehose buffer size in MiB (1-128; at least 64 with parquet, orc or event-type)."""
    buffer_interval_seconds: NotRequired[int]
    """Firehose buffer interval in seconds (0-900; not 0 with event-type)."""
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


class SesEventLogPipeline(pulumi.ComponentResource):
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

    def __init__(self, name: str, args: PipelineArgs, opts: pulumi.ResourceOptions | None = None):
        # Validate before registering anything: a bad setting creates nothing.
        s = parse(args, default_configuration_set_name=name)
        super().__init__("ses-event-log:index:SesEventLogPipeline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = s.tags or None
        log_group_name = f"/aws/kinesisfirehose/{name}"

        if s.kms_key_arn:
            key_arn: pulumi.Output[str] = pulumi.Output.from_input(s.kms_key_arn)
        else:
            key = PipelineKey(
                f"{name}-encryption",
                {
                    "log_group_name": log_group_name,
                    "deletion_window_days": s.kms_deletion_window_days,
                    "protect": s.protect_data,
                    "tags": tags,
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
                "tags": tags,
            },
            opts=child,
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
            }
        )
