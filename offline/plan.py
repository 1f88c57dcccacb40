"""Print what `pulumi up` would create for a stack, evaluated offline under mocks, and the policy
pack's verdict on it; exit 1 when a mandatory policy is violated.

    python -m offline.plan [STACK] [--policy-pack-config FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from components.settings import SettingsError
from offline.policy_pack import Diagnostic, PolicyPackError, running
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
        f"Offline evaluation of stack {stack!r}: the program run under Pulumi mocks; no cloud calls, no Pulumi CLI.",
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


def _resource(urn: str) -> str:
    # urn:pulumi:<stack>::<project>::<parent types$>type::name
    if not urn:
        return "the stack"
    types, name = urn.rsplit("::", 1)
    return f"{types.rsplit('::', 1)[-1].rsplit('$', 1)[-1]}  {name}"


def render_verdict(pack: str, diagnostics: list[Diagnostic]) -> str:
    lines = [f"Policy pack {pack}, run on the offline evaluation as `pulumi preview --policy-pack policies` runs it:"]
    for d in diagnostics:
        lines.append(f"  [{d.level}] {d.policy}: {_resource(d.urn)}")
        lines += [f"      {line}" for line in d.message.splitlines()]
    mandatory = sum(d.level == "mandatory" for d in diagnostics)
    if not diagnostics:
        lines.append("  no policy violations.")
    else:
        count = f"{len(diagnostics)} violation{'s' if len(diagnostics) != 1 else ''}"
        lines.append(f"  {count}, {mandatory} mandatory" + (": `pulumi up` would stop." if mandatory else "."))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", nargs="?", default="dev", help="the stack (a Pulumi.<stack>.yaml file); dev by default")
    parser.add_argument(
        "--policy-pack-config",
        type=Path,
        metavar="FILE",
        help="policy config as JSON, as for `pulumi preview --policy-pack-config`",
    )
    args = parser.parse_args(argv)
    stack = args.stack
    if stack not in stacks():
        print(f"no stack {stack!r}; stacks: {', '.join(stacks())}", file=sys.stderr)
        return 2
    try:
        policy_config = json.loads(args.policy_pack_config.read_text()) if args.policy_pack_config else None
    except (OSError, ValueError) as exc:
        print(f"--policy-pack-config {args.policy_pack_config}: {exc}", file=sys.stderr)
        return 2
    try:
        evaluation = evaluate(stack)
    except SettingsError as exc:
        print(f"stack {stack}: {exc}", file=sys.stderr)
        return 1
    print(render(stack, evaluation))
    try:
        with running() as pack:
            pack.configure(policy_config)
            diagnostics = pack.analyze(evaluation)
            name = pack.info.name
    except PolicyPackError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    print()
    print(render_verdict(name, diagnostics))
    return 1 if any(d.level == "mandatory" for d in diagnostics) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
