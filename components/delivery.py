"""The Firehose stream that writes SES events to the bucket, its error log and its role."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import iam
from components.context import AwsContext
from components.propagation import wait_for
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.partitioning import DEFAULT_LATE_DAYS, scheme_for
from seslog.eventlog.prefixes import DATA_PREFIX, ERROR_PREFIX

LOG_STREAM_NAME = "DestinationDelivery"


class EventDeliveryArgs(TypedDict):
    bucket_arn: pulumi.Input[str]
    """The log bucket."""
    kms_key_arn: pulumi.Input[str]
    """Customer-managed key for the stream, the objects and the error log."""
    format: str
    """json, or parquet/orc for record format conversion."""
    compression: str
    """Compression of the stream (json) or the serializer (parquet, orc)."""
    partitioning: str
    """Partitioning scheme; dynamic schemes add a JQ metadata extraction."""
    retention_days: NotRequired[int]
    """Days objects are kept: how late an event the send-date scheme files under its send day
    (default ``DEFAULT_LATE_DAYS``)."""
    buffer_size_mib: int
    """Firehose buffer size, MiB."""
    buffer_interval_seconds: int
    """Firehose buffer interval, seconds."""
    log_group_name: str
    """Name of the CloudWatch log group for delivery errors."""
    error_log_retention_days: int
    """Retention of the error log group."""
    glue_database_name: pulumi.Input[str]
    """Glue database holding the conversion schema."""
    glue_table_name: pulumi.Input[str]
    """Glue table whose columns are the conversion schema."""
    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Tags for every resource."""


class EventDelivery(pulumi.ComponentResource):
    stream_name: pulumi.Output[str]
    stream_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: EventDeliveryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ses-event-log:index:EventDelivery", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = AwsContext.current(pulumi.InvokeOptions(parent=self))
        fmt = FORMATS[args["format"]]
        scheme = scheme_for(args["partitioning"], args.get("retention_days", DEFAULT_LATE_DAYS))
        tags = args.get("tags")

        self._log_group = aws.cloudwatch.LogGroup(
            f"{name}-errors",
            name=args["log_group_name"],
            retention_in_days=args["error_log_retention_days"],
            kms_key_id=args["kms_key_arn"],
            tags=tags,
            opts=child,
        )
        self._log_stream = aws.cloudwatch.LogStream(
            f"{name}-errors-s3",
            name=LOG_STREAM_NAME,
            log_group_name=self._log_group.name,
            opts=child,
        )

        self._role = aws.iam.Role(
            f"{name}-role",
            description="Firehose writes SES events to the log bucket",
            assume_role_policy=iam.firehose_trust(context.account_id),
            tags=tags,
            opts=child,
        )
        self._role_policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=self._role.name,
            policy=iam.document(*self._permissions(args, context, fmt.converts)),
            opts=child,
        )
        # CreateDeliveryStream fails now and then ("The security token included in the request is
        # invalid") when its role was created in the same deploy: hashicorp/terraform-provider-aws #47937.
        self._role_ready = wait_for(
            f"{name}-role-wait",
            [self._role, self._role_policy],
            {"roleArn": self._role.arn, "policy": self._role_policy.policy},
            self,
        )

        s3_config: dict[str, Any] = {
            "role_arn": self._role.arn,
            "bucket_arn": args["bucket_arn"],
            "prefix": scheme.firehose_prefix(),
            "error_output_prefix": ERROR_PREFIX,
            "buffering_size": args["buffer_size_mib"],
            "buffering_interval": args["buffer_interval_seconds"],
            "compression_format": fmt.stream_compression(args["compression"]),
            "file_extension": fmt.file_extension(args["compression"]),
            "kms_key_arn": args["kms_key_arn"],
            "cloudwatch_logging_options": {
                "enabled": True,
                "log_group_name": self._log_group.name,
                "log_stream_name": self._log_stream.name,
            },
        }
        if fmt.converts:
            serializer_key = "parquet_ser_de" if fmt.name == "parquet" else "orc_ser_de"
            s3_config["data_format_conversion_configuration"] = {
                "enabled": True,
                "input_format_configuration": {"deserializer": {"open_x_json_ser_de": {"case_insensitive": True}}},
                "output_format_configuration": {"serializer": {serializer_key: {"compression": args["compression"]}}},
                "schema_configuration": {
                    "database_name": args["glue_database_name"],
                    "table_name": args["glue_table_name"],
                    "role_arn": self._role.arn,
                    "region": context.region,
                    "version_id": "LATEST",
                },
            }
        query = scheme.metadata_extraction_query()
        if query is not None:
            s3_config["dynamic_partitioning_configuration"] = {"enabled": True, "retry_duration": 300}
            s3_config["processing_configuration"] = {
                "enabled": True,
                "processors": [
                    {
                        "type": "MetadataExtraction",
                        "parameters": [
                            {"parameter_name": "JsonParsingEngine", "parameter_value": "JQ-1.6"},
                            {"parameter_name": "MetadataExtractionQuery", "parameter_value": query},
                        ],
                    }
                ],
            }

        self._stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-stream",
            destination="extended_s3",
            server_side_encryption={"enabled": True, "key_type": "CUSTOMER_MANAGED_CMK", "key_arn": args["kms_key_arn"]},
            extended_s3_configuration=s3_config,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self._role_ready],
                # Dynamic partitioning can only be chosen when a stream is created (Firehose
                # guide): switching schemes between dynamic and not replaces the stream. The
                # name is generated, so the new stream exists before the old one goes.
                replace_on_changes=["extendedS3Configuration.dynamicPartitioningConfiguration"],
            ),
        )
        self.stream_name = self._stream.name
        self.stream_arn = self._stream.arn
        self.role_arn = self._role.arn
        self.log_group_name = self._log_group.name
        self.register_outputs(
            {
                "stream_name": self.stream_name,
                "stream_arn": self.stream_arn,
                "role_arn": self.role_arn,
                "log_group_name": self.log_group_name,
            }
        )

    def _permissions(self, args: EventDeliveryArgs, context: AwsContext, converts: bool) -> list[dict[str, Any]]:
        bucket_arn = pulumi.Output.from_input(args["bucket_arn"])
        error_root = ERROR_PREFIX.split("/", 1)[0] + "/"
        statements = iam.firehose_writes(
            bucket_arn=bucket_arn,
            prefixes=[DATA_PREFIX, error_root],
            kms_key_arn=args["kms_key_arn"],
            region=context.region,
            log_stream_arn=context.arn(
                "logs", pulumi.Output.concat("log-group:", args["log_group_name"], ":log-stream:", LOG_STREAM_NAME)
            ),
            sid="WriteEventsAndErrors",
        )
        if converts:
            db = args["glue_database_name"]
            statements.append(
                iam.statement(
                    ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                    [
                        context.arn("glue", "catalog"),
                        context.arn("glue", pulumi.Output.concat("database/", db)),
                        context.arn("glue", pulumi.Output.concat("table/", db, "/", args["glue_table_name"])),
                    ],
                    sid="ReadTheConversionSchema",
                )
            )
        return statements
