"""Placement: what the pipeline reads and writes stays in its own buckets, which the other
policies keep encrypted, private, TLS-only and expiring. Athena query results copy event data,
a Glue table decides which objects queries read, and a Firehose stream where its records land."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .buckets import BUCKET_TYPES, S3_ARN, bucket_name
from .properties import first, is_set, known_problems

S3_LOCATION = re.compile(r"s3://([^/]+)(/.*)?", re.DOTALL)


@dataclass(frozen=True)
class StackBuckets:
    names: frozenset[str]
    complete: bool
    """False when a bucket's name is unknown during the preview: a location may be that bucket."""


def stack_buckets(resources: list[PolicyResource]) -> StackBuckets:
    names = [bucket_name(r) for r in resources if r.resource_type in BUCKET_TYPES]
    return StackBuckets(frozenset(n for n in names if n), all(names))


def _elsewhere(given: Any, bucket: str | None, what: str, ours: StackBuckets, not_a_bucket: str) -> Iterator[str]:
    """A problem when ``bucket`` (named by ``given``; None when ``given`` names none) is not one of the stack's buckets."""
    if bucket is not None and (bucket in ours.names or not ours.complete):
        return
    where = f"bucket {bucket}" if bucket is not None else not_a_bucket
    yield (
        f"{what} is {given} ({where}), outside this stack's buckets ({', '.join(sorted(ours.names)) or 'none'}): "
        "the data would leave the bucket whose encryption, access and retention the pack enforces"
    )


def outside(location: Any, what: str, ours: StackBuckets) -> Iterator[str]:
    """A problem when an S3 location (``s3://bucket/prefix``) is not in one of the stack's buckets."""
    if not is_set(location):
        return
    match = S3_LOCATION.fullmatch(str(location))
    yield from _elsewhere(location, match.group(1) if match else None, what, ours, "not an s3:// location")


def outside_by_arn(arn: Any, what: str, ours: StackBuckets) -> Iterator[str]:
    """A problem when a bucket ARN (``arn:aws:s3:::bucket``) is not one of the stack's buckets."""
    if not is_set(arn):
        return
    match = S3_ARN.fullmatch(str(arn))
    yield from _elsewhere(arn, match.group(1) if match else None, what, ours, "not an S3 bucket ARN")


StackCheck = Callable[[PolicyResource, StackBuckets], Iterator[str]]


def _stack_validation(resource_type: str, *checks: StackCheck) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """Run every check on each resource of a type, against the stack's buckets; a check that
    needs a value unknown during the preview reports nothing, and the others still run."""

    def validate(stack: StackValidationArgs, report: ReportViolation) -> None:
        ours = stack_buckets(stack.resources)
        for resource in stack.resources:
            if resource.resource_type != resource_type:
                continue
            for check in checks:
                for problem in known_problems(lambda c=check, r=resource: c(r, ours)):
                    report(problem, resource.urn)

    return validate


def _results(workgroup: PolicyResource, ours: StackBuckets) -> Iterator[str]:
    configuration = first(workgroup.props.get("configuration"))
    location = first(configuration.get("resultConfiguration")).get("outputLocation")
    yield from outside(location, "the query result location (outputLocation)", ours)


athena_results_in_pipeline_bucket = StackValidationPolicy(
    name="athena-results-in-pipeline-bucket",
    description="Athena workgroups write query results (copies of event data) to a bucket of the same stack: "
    "resultConfiguration.outputLocation is s3://<the pipeline bucket>/...",
    validate=_stack_validation("aws:athena/workgroup:Workgroup", _results),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

LOCATION_TEMPLATE = "storage.location.template"


def _table_location(table: PolicyResource, ours: StackBuckets) -> Iterator[str]:
    descriptor = first(table.props.get("storageDescriptor"))
    yield from outside(descriptor.get("location"), "the table's location (storageDescriptor.location)", ours)


def _projection_template(table: PolicyResource, ours: StackBuckets) -> Iterator[str]:
    parameters = table.props.get("parameters") or {}
    yield from outside(parameters.get(LOCATION_TEMPLATE), f"the partition projection's {LOCATION_TEMPLATE}", ours)


glue_table_in_pipeline_bucket = StackValidationPolicy(
    name="glue-table-in-pipeline-bucket",
    description="Glue tables read events from a bucket of the same stack: storageDescriptor.location and the "
    "partition projection's storage.location.template are s3://<the pipeline bucket>/...",
    validate=_stack_validation("aws:glue/catalogTable:CatalogTable", _table_location, _projection_template),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)


def _stream_destination(stream: PolicyResource, ours: StackBuckets) -> Iterator[str]:
    s3 = first(stream.props.get("extendedS3Configuration"))
    yield from outside_by_arn(s3.get("bucketArn"), "the stream's bucket (extendedS3Configuration.bucketArn)", ours)
    if s3.get("s3BackupMode") == "Enabled":
        backup = first(s3.get("s3BackupConfiguration")).get("bucketArn")
        yield from outside_by_arn(backup, "the stream's backup bucket (s3BackupConfiguration.bucketArn)", ours)


firehose_destination_in_pipeline_bucket = StackValidationPolicy(
    name="firehose-destination-in-pipeline-bucket",
    description="Firehose streams write to a bucket of the same stack: extendedS3Configuration.bucketArn (and the S3 "
    "backup's, when on) is the ARN of the pipeline bucket.",
    validate=_stack_validation("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", _stream_destination),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)

POLICIES = [athena_results_in_pipeline_bucket, glue_table_in_pipeline_bucket, firehose_destination_in_pipeline_bucket]
