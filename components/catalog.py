"""The Glue database and table: Athena's view of the events, and Firehose's conversion schema."""

from __future__ import annotations

from typing import TypedDict

import pulumi
import pulumi_aws as aws

from seslog.eventlog.formats import FORMATS
from seslog.eventlog.partitioning import scheme_for
from seslog.eventlog.prefixes import DATA_PREFIX
from seslog.eventlog.schema import glue_columns

TABLE_NAME = "events"


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
        bucket = pulumi.Output.from_input(args["bucket_name"])
        parameters = bucket.apply(
            lambda b: {
                "EXTERNAL": "TRUE",
                "classification": fmt.classification,
                **scheme.projection_parameters(b, args["retention_days"]),
            }
        )
        self._table = aws.glue.CatalogTable(
            f"{name}-table",
            name=TABLE_NAME,
            database_name=self._database.name,
            description="One row per SES event; see seslog/eventlog/schema.py",
            table_type="EXTERNAL_TABLE",
            parameters=parameters,
            partition_keys=[{"name": k.column, "type": k.column_type} for k in scheme.keys],
            storage_descriptor={
                "location": pulumi.Output.concat("s3://", bucket, "/", DATA_PREFIX),
                "input_format": fmt.input_format,
                "output_format": fmt.output_format,
                "ser_de_info": {"serialization_library": fmt.serde},
                "columns": glue_columns(),
            },
            opts=child,
        )
        self.database_name = self._database.name
        self.table_name = self._table.name
        self.table_arn = self._table.arn
        self.register_outputs({"database_name": self.database_name, "table_name": self.table_name, "table_arn": self.table_arn})
