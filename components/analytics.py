"""The Athena workgroup on-call engineers query the events in, with the named investigation queries."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from seslog.eventlog.partitioning import DEFAULT_LATE_DAYS, scheme_for
from seslog.eventlog.prefixes import ATHENA_RESULTS_PREFIX
from seslog.eventlog.queries import QUERIES

MIB = 1024 * 1024


class InvestigationWorkgroupArgs(TypedDict):
    workgroup_name: str
    """Athena workgroup name."""
    bucket_name: pulumi.Input[str]
    """The log bucket; results go under their own prefix, which its lifecycle empties quickly."""
    kms_key_arn: pulumi.Input[str]
    """Key that encrypts the results (SSE_KMS)."""
    bytes_scanned_cutoff_mib: int
    """A query that would scan more is cancelled."""
    database_name: pulumi.Input[str]
    """Glue database of the events table; the named queries run in it."""
    table_name: pulumi.Input[str]
    """Glue table of the events."""
    partitioning: str
    """Partitioning scheme of the table: the named queries filter on its partition columns."""
    retention_days: NotRequired[int]
    """Days objects are kept: the saved queries' descriptions say how late an event the
    send-date scheme keeps with its message (default ``DEFAULT_LATE_DAYS``)."""
    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Tags for the workgroup."""


class InvestigationWorkgroup(pulumi.ComponentResource):
    workgroup_name: pulumi.Output[str]

    def __init__(self, name: str, args: InvestigationWorkgroupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ses-event-log:index:InvestigationWorkgroup", name, None, opts)
        self._workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=args["workgroup_name"],
            description="Investigate what happened to SES mail",
            configuration={
                # Queries cannot opt out of the encryption, location or cutoff below.
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": args["bytes_scanned_cutoff_mib"] * MIB,
                "engine_version": {"selected_engine_version": "Athena engine version 3"},
                "result_configuration": {
                    "output_location": pulumi.Output.concat("s3://", args["bucket_name"], "/", ATHENA_RESULTS_PREFIX),
                    "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": args["kms_key_arn"]},
                },
            },
            tags=args.get("tags"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # One saved query per investigation (seslog/eventlog/queries/*.sql), rendered for the table's
        # partition columns; the workgroup's console lists them under "Saved queries".
        scheme = scheme_for(args["partitioning"], args.get("retention_days", DEFAULT_LATE_DAYS))
        table = pulumi.Output.from_input(args["table_name"])
        self._queries = [
            aws.athena.NamedQuery(
                f"{name}-query-{query.name}",
                name=query.name,
                description=table.apply(lambda t, q=query: q.athena_description(scheme, t)),
                database=args["database_name"],
                query=table.apply(lambda t, q=query: q.render(scheme, t).sql),
                workgroup=self._workgroup.name,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for query in QUERIES.values()
        ]
        self.workgroup_name = self._workgroup.name
        self.register_outputs({"workgroup_name": self.workgroup_name})
