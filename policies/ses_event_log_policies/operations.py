"""Operations: delivery failures leave a trace, and data buckets are not deleted with their data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from .buckets import BUCKET_TYPES
from .checks import resource_validation
from .config import flag, schema
from .properties import first, is_set

Props = Mapping[str, Any]


def _destination(props: Props) -> tuple[str, Props]:
    """The stream's destination and its configuration block ("extended_s3" → extendedS3Configuration)."""
    destination = str(props.get("destination") or "")
    head, *rest = destination.split("_")
    return destination, first(props.get(head + "".join(part.capitalize() for part in rest) + "Configuration"))


def _error_logging(props: Props, _: Props) -> Iterator[str]:
    destination, block = _destination(props)
    logging = first(block.get("cloudwatchLoggingOptions"))
    if logging.get("enabled") is not True:
        yield f"the {destination} destination does not log delivery errors to CloudWatch (cloudwatchLoggingOptions.enabled)"
    elif not (is_set(logging.get("logGroupName")) and is_set(logging.get("logStreamName"))):
        yield "cloudwatchLoggingOptions names no log group and log stream for delivery errors"
    # Records that fail delivery, conversion or partitioning land under the error prefix (Firehose guide).
    if destination == "extended_s3" and not is_set(block.get("errorOutputPrefix")):
        yield "extendedS3Configuration has no errorOutputPrefix: failed records land among the data"


firehose_error_logging = ResourceValidationPolicy(
    name="firehose-error-logging",
    description="Firehose streams log delivery errors to a CloudWatch log group and stream, and write failed records "
    "to S3 under an errorOutputPrefix.",
    validate=resource_validation(["aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"], _error_logging),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)

FORCE_DESTROY_CONFIG = {
    "allowForceDestroy": flag("Allow forceDestroy on buckets, e.g. for a throwaway stack."),
}


def _force_destroy(props: Props, config: Props) -> Iterator[str]:
    if props.get("forceDestroy") is True and not config["allowForceDestroy"]:
        yield "forceDestroy is true: `pulumi destroy` would delete every event in the bucket; set it false"


s3_bucket_no_force_destroy = ResourceValidationPolicy(
    name="s3-bucket-no-force-destroy",
    description="S3 buckets holding data are not created with forceDestroy, so deleting the stack cannot delete the "
    "events, unless allowForceDestroy is set.",
    validate=resource_validation(BUCKET_TYPES, _force_destroy, config=FORCE_DESTROY_CONFIG),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=schema(FORCE_DESTROY_CONFIG),
)

POLICIES = [firehose_error_logging, s3_bucket_no_force_destroy]
