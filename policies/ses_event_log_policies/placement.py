"""Placement: what the pipeline reads and writes stays in its own buckets, which the other
policies keep encrypted, private, TLS-only and expiring. Athena query results copy event data,
and a Glue table decides which objects queries read."""

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

from .buckets import BUCKET_TYPES, bucket_name
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


def outside(location: Any, what: str, ours: StackBuckets) -> Iterator[str]:
    """A problem when an S3 location (``s3://bucket/prefix``) is not in one of the stack's buckets."""
    if not is_set(location):
        return
    match = S3_LOCATION.fullmatch(str(location))
    if match and match.group(1) in ours.names:
        return
    if match and not ours.complete:
        return
    where = f"bucket {match.group(1)}" if match else "not an s3:// location"
    yield (
        f"{what} is {location} ({where}), outside this stack's buckets ({', '.join(sorted(ours.names)) or 'none'}): "
        "the data would leave the bucket whose encryption, access and retention the pack enforces"
    )


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

POLICIES = [athena_results_in_pipeline_bucket, glue_table_in_pipeline_bucket]
