"""Print what `pulumi up` would create for a stack, evaluated offline under mocks.

    python -m offline.plan [STACK]
"""

from __future__ import annotations

import sys

from components.settings import SettingsError
from offline.program import Evaluation, evaluate
from offline.stack import stacks

# The inputs worth reading in a review, per resource type.
KEY_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:kms/key:Key": ("enableKeyRotation", "deletionWindowInDays"),
    "aws:s3/bucket:Bucket": ("forceDestroy",),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ("rules",),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ("rules",),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": ("extendedS3Configuration",),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:glue/catalogTable:CatalogTable": ("name", "partitionKeys"),
    "aws:sesv2/configurationSet:ConfigurationSet": ("configurationSetName", "deliveryOptions"),
    "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination": ("eventDestination",),
    "aws:athena/workgroup:Workgroup": ("name",),
}

FIREHOSE_FIELDS = ("prefix", "errorOutputPrefix", "bufferingSize", "bufferingInterval", "compressionFormat", "fileExtension")


def _summary(type_: str, inputs: dict) -> str:
    parts = []
    for key in KEY_INPUTS.get(type_, ()):
        value = inputs.get(key)
        if key == "extendedS3Configuration" and isinstance(value, dict):
            parts += [f"{f}={value.get(f)!r}" for f in FIREHOSE_FIELDS]
            if "dataFormatConversionConfiguration" in value:
                serializer = value["dataFormatConversionConfiguration"]["outputFormatConfiguration"]["serializer"]
                parts.append(f"conversion={serializer}")
            if "dynamicPartitioningConfiguration" in value:
                parts.append("dynamicPartitioning=true")
        elif key == "eventDestination" and isinstance(value, dict):
            parts.append(f"matchingEventTypes={value.get('matchingEventTypes')}")
        elif value is not None:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def render(stack: str, evaluation: Evaluation) -> str:
    lines = [
        f"Offline plan of stack {stack!r}: the program evaluated under Pulumi mocks, no cloud calls made.",
        "Names and ARNs marked by the mocks are placeholders; `pulumi preview` shows the real ones.",
        "",
    ]
    custom = [r for r in evaluation.resources if r.custom]
    for r in custom:
        flags = " [protected]" if r.protect else ""
        lines.append(f"+ {r.type}  {r.name}{flags}")
        summary = _summary(r.type, r.inputs)
        if summary:
            lines.append(f"    {summary}")
    lines += ["", f"{len(custom)} resources to create.", "", "Outputs:"]
    lines += [f"    {k}: {v}" for k, v in evaluation.exports.items()]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    stack = argv[0] if argv else "dev"
    if stack not in stacks():
        print(f"no stack {stack!r}; stacks: {', '.join(stacks())}", file=sys.stderr)
        return 2
    try:
        evaluation = evaluate(stack)
    except SettingsError as exc:
        print(f"stack {stack}: {exc}", file=sys.stderr)
        return 1
    print(render(stack, evaluation))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
