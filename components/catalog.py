"""The Glue database and table: Athena's view of the events, and Firehose's conversion schema."""

from __future__ import annotations

from typing import TypedDict

import pulumi
import pulumi_aws as aws

from seslog.eventlog.formats import FORMATS, Format
from seslog.eventlog.partitioning import Scheme, scheme_for
from seslog.eventlog.schema import glue_columns

TABLE_NAME = "events"


def projected_table(
    resource_name: str,
    *,
    name: str,
    description: str,
    database_name: pulumi.Input[str],
    bucket_name: pulumi.Input[str],
    scheme: Scheme,
    format: Format,
    columns: list[dict[str, str]],
    retention_days: int,
    opts: pulumi.ResourceOptions,
) -> aws.glue.CatalogTable:
    """An external table over the objects of ``scheme`` (under its root) in the log bucket, found by partition
    projection: the events, Cognito's error log and the compacted tables are all such tables."""
    bucket = pulumi.Output.from_input(bucket_name)
    return aws.glue.CatalogTable(
        resource_name,
        name=name,
        database_name=database_name,
        description=description,
        table_type="EXTERNAL_TABLE",
        parameters=bucket.apply(
            lambda b: {
                "EXTERNAL": "TRUE",
                "classification": format.classification,
                **scheme.projection_parameters(b, retention_days),
            }
        ),
        partition_keys=[{"name": k.column, "type": k.column_type} for k in scheme.keys],
        storage_descriptor={
            "location": pulumi.Output.concat("s3://", bucket, "/", scheme.root),
            "input_format": format.input_format,
            "output_format": format.output_format,
            "ser_de_info": {"serialization_library": format.serde},
            "columns": columns,
        },
        opts=opts,
    )


class EventCatalogArgs(TypedDict):
    database_name: str
    """Glue database name: lower case letters, digits and underscores."""
    bucket_name: pulumi.Input[str]
    """The log bucket."""
    format: str
    """Storage format of the event objects (json, parquet, orc)."""
    partitioning: str
    """Partitioning scheme of the event objects."""
    retention_days: int
    """Days objects are kept: partition projection covers no older dates."""


class EventCatalog(pulumi.ComponentResource):
    database_name: pulumi.Output[str]
    table_name: pulumi.Output[str]
    table_arn: pulumi.Output[str]

    def __init__(self, name: str, args: EventCatalogArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ses-event-log:index:EventCatalog", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        fmt = FORMATS[args["format"]]
        scheme = scheme_for(args["partitioning"], args["retention_days"])
        self._database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=args["database_name"],
            description="SES events published through Firehose",
            opts=child,
        )
        self._table = projected_table(
            f"{name}-table",
            name=TABLE_NAME,
            description="One row per SES event; see seslog/eventlog/schema.py",
            database_name=self._database.name,
            bucket_name=args["bucket_name"],
            scheme=scheme,
            format=fmt,
            columns=glue_columns(),
            retention_days=args["retention_days"],
            opts=child,
        )
        self.database_name = self._database.name
        self.table_name = self._table.name
        self.table_arn = self._table.arn
        self.register_outputs({"database_name": self.database_name, "table_name": self.table_name, "table_arn": self.table_arn})
