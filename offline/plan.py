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
from offline.program import Evaluation, Registration, evaluate
from offline.stack import ROOT, StackFileError, project_file, stacks

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


def _as_given(value):
    """A value as the program gave it: the engine's protobuf numbers are all floats, and an
    integer the program passed (retentionInDays=7) is shown as one, as `pulumi preview` does."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _as_given(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_given(v) for v in value]
    return value


def _display_type(type_: str) -> str:
    """The type as `pulumi preview` shows it: aws:kms/key:Key is aws:kms:Key."""
    package, module, name = type_.split(":")
    base, _, last = module.partition("/")
    return f"{package}:{base}:{name}" if last and last == name[:1].lower() + name[1:] else type_


def _summary(type_: str, inputs: dict) -> str:
    inputs = _as_given(inputs)
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


def _tree(children: dict[str, list[Registration]], parent: str, indent: str) -> list[str]:
    """Each resource under its parent, with the tree lines `pulumi preview` draws."""
    lines = []
    kids = children.get(parent, [])
    for i, r in enumerate(kids):
        last = i == len(kids) - 1
        flags = " [protected]" if r.protect else ""
        lines.append(f"+ {indent}{'└─' if last else '├─'} {_display_type(r.type)}  {r.name}{flags}")
        below = indent + ("   " if last else "│  ")
        summary = _summary(r.type, r.inputs)
        if summary:
            lines.append(f"  {below}{'│  ' if children.get(r.urn) else '   '}{summary}")
        lines += _tree(children, r.urn, below)
    return lines


def render(stack: str, evaluation: Evaluation, root: Path = ROOT) -> str:
    lines = [
        f"Offline evaluation of stack {stack!r}: the program run under Pulumi mocks; no cloud calls, no Pulumi CLI.",
        "Names and ARNs marked by the mocks are placeholders; `pulumi preview` shows the real ones.",
        "",
    ]
    registered = {r.urn for r in evaluation.resources}
    children: dict[str, list[Registration]] = {}
    for r in evaluation.resources:
        # The stack itself is not recorded: what has no recorded parent hangs from it.
        children.setdefault(r.parent if r.parent in registered else "", []).append(r)
    # Siblings register in whatever order their inputs resolve: by name, two plans of one stack compare line by line.
    for kids in children.values():
        kids.sort(key=lambda r: r.name)
    lines.append(f"+ pulumi:pulumi:Stack  {project_file(root)['name']}-{stack}")
    lines += _tree(children, "", "")
    lines += ["", "Resources:", f"    + {len(evaluation.resources) + 1} to create", "", "Outputs:"]
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


def main(argv: list[str], root: Path = ROOT) -> int:
    """Exit 0, or 1 when the stack is refused (a file the CLI could not read, a bad setting, a
    mandatory policy), 2 for a wrong command line; a refused file is one line naming it."""
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
    if stack not in stacks(root):
        print(f"no stack {stack!r}; stacks: {', '.join(stacks(root))}", file=sys.stderr)
        return 2
    try:
        policy_config = json.loads(args.policy_pack_config.read_text()) if args.policy_pack_config else None
    except (OSError, ValueError) as exc:
        print(f"--policy-pack-config {args.policy_pack_config}: {exc}", file=sys.stderr)
        return 2
    try:
        evaluation = evaluate(stack, root=root)
    except StackFileError as exc:
        print(exc, file=sys.stderr)  # names the file
        return 1
    except SettingsError as exc:
        print(f"stack {stack}: {exc}", file=sys.stderr)
        return 1
    print(render(stack, evaluation, root))
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
