"""Operations: delivery failures leave a trace, and data buckets are not deleted with their data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .buckets import BUCKET_TYPES
from .checks import resource_validation
from .config import flag, schema
from .properties import first, is_set, known_problems

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


LAMBDA_FUNCTION_TYPE = "aws:lambda/function:Function"
LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup"


def _function_log_group(function: Props, log_groups: set[str]) -> Iterator[str]:
    logging = first(function.get("loggingConfig"))
    name = logging.get("logGroup") or f"/aws/lambda/{function.get('name')}"
    if not is_set(function.get("name")) and not logging.get("logGroup"):
        return  # a generated name, not known yet
    if name not in log_groups:
        yield (
            f"the function logs to {name}, which the stack does not create: Lambda would create it unencrypted and keep "
            "its logs forever; create the log group in the stack (encrypted, retained) and name it in loggingConfig.logGroup"
        )


def _lambda_logging(stack: StackValidationArgs, report: ReportViolation) -> None:
    log_groups = {str(r.props.get("name")) for r in stack.resources if r.resource_type == LOG_GROUP_TYPE}
    for function in (r for r in stack.resources if r.resource_type == LAMBDA_FUNCTION_TYPE):
        for problem in known_problems(lambda f=function: _function_log_group(f.props, log_groups)):
            report(problem, function.urn)


lambda_function_log_group = StackValidationPolicy(
    name="lambda-function-log-group",
    description="Lambda functions log to a log group the stack creates (loggingConfig.logGroup, or /aws/lambda/<name>), "
    "which the other policies hold to a KMS key and a retention; Lambda would create its own without either.",
    validate=_lambda_logging,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)

POLICIES = [firehose_error_logging, s3_bucket_no_force_destroy, lambda_function_log_group]
