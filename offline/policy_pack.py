"""Run the CrossGuard policy pack on an offline evaluation as `pulumi preview --policy-pack policies`
runs it: the pack in its own process, started as the CLI's Python policy analyzer starts it, and
asked over the gRPC Analyzer service.

The CLI's sequence (pulumi/pulumi, sdk/go/common/resource/plugin/analyzer_plugin.go and
pkg/resource/analyzer/config.go): run ``python -u -m pulumi.policy <engine> .`` in the pack's
directory and read the port it prints; ``GetAnalyzerInfo``; ``Configure`` with every policy's
enforcement level and config (schema defaults overlaid with the ``--policy-pack-config`` file);
``Analyze`` for each resource with its inputs; ``AnalyzeStack`` once with every resource's
outputs, parent and property dependencies.
"""

from __future__ import annotations

import functools
import hashlib
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import jsonschema
import pulumi
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import proto, rpc

from offline.program import Evaluation, Registration
from offline.stack import ROOT

PACK_DIR = ROOT / "policies"
START_TIMEOUT_SECONDS = 60
# The Python policy runtime takes the engine's address as its first argument but never calls it.
NO_ENGINE = "127.0.0.1:0"

LEVELS: dict[str, int] = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()}


class PolicyPackError(Exception):
    """The pack did not start, or its config is not valid."""


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    """advisory, mandatory, ...: as the pack reports it."""
    message: str
    """What is wrong (the policy's description is left out)."""
    urn: str
    """The resource; empty for the stack as a whole."""


@dataclass(frozen=True)
class PolicyConfig:
    level: str
    properties: dict[str, Any]


def reconcile(info: proto.AnalyzerInfo, given: Mapping[str, Any] | None = None) -> dict[str, PolicyConfig]:
    """Each policy's enforcement level and config, as the CLI computes them: the policy's level and
    its schema's defaults, then the pack's initial config, then ``given`` (the format of
    ``--policy-pack-config``: a policy's name, or "all", mapped to a level or to config values
    with an optional "enforcementLevel"); validated against each policy's schema. Raises
    PolicyPackError listing every problem."""
    schemas = {p.name: json_format.MessageToDict(p.configSchema) for p in info.policies}
    result = {
        p.name: PolicyConfig(
            LEVEL_NAMES[p.enforcementLevel],
            {k: v["default"] for k, v in schemas[p.name].get("properties", {}).items() if "default" in v},
        )
        for p in info.policies
    }
    initial = {
        name: {"enforcementLevel": LEVEL_NAMES[c.enforcementLevel], **json_format.MessageToDict(c.properties)}
        for name, c in info.initialConfig.items()
    }
    problems: list[str] = []
    for layer in (initial, given or {}):
        # "all" sets every policy's level before the policies' own entries apply.
        for name, entry in sorted(layer.items(), key=lambda item: item[0] != "all"):
            if not isinstance(entry, (str, Mapping)):
                problems.append(f"{name}: expected an enforcement level or an object, got {entry!r}")
                continue
            values = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
            level = values.pop("enforcementLevel", None)
            if level is not None and level not in LEVELS:
                problems.append(f"{name}: enforcementLevel {level!r} is not one of {', '.join(LEVELS)}")
            elif name == "all":
                result = {k: PolicyConfig(level or c.level, c.properties) for k, c in result.items()}
            elif name not in result:
                problems.append(f"{name}: the pack has no such policy; its policies: {', '.join(result)}")
            else:
                old = result[name]
                result[name] = PolicyConfig(level or old.level, {**old.properties, **values})
    for name, config in result.items():
        validator = jsonschema.Draft7Validator({"type": "object", **schemas[name]})
        problems += [f"{name}: {error.message}" for error in validator.iter_errors(config.properties)]
    if problems:
        raise PolicyPackError("invalid policy pack config:\n  " + "\n  ".join(problems))
    return result


@functools.lru_cache(maxsize=4)
def _sha256(path: str, size: int, modified: int) -> str:
    """A file's SHA-256, once per file (size and time stand for its content): the package is 67 MB."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def wire(value: Any) -> Any:
    """A property as the engine sends it: an asset or archive as its signed map (Pulumi's RPC encoding), with its
    path and, for a file, the SHA-256 the engine computes."""
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        sig = rpc._special_asset_sig if isinstance(value, pulumi.Asset) else rpc._special_archive_sig
        wired: dict[str, Any] = {rpc._special_sig_key: sig}
        path = getattr(value, "path", None)
        if path is not None:
            wired["path"] = path
            if Path(path).is_file():
                stat = Path(path).stat()
                wired["hash"] = _sha256(path, stat.st_size, stat.st_mtime_ns)
        return wired
    if isinstance(value, Mapping):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    return value


def _struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(wire(properties))
    return struct


def _options(r: Registration) -> proto.AnalyzerResourceOptions:
    return proto.AnalyzerResourceOptions(
        protect=r.protect,
        deleteBeforeReplace=r.delete_before_replace,
        deleteBeforeReplaceDefined=r.delete_before_replace,
        parent=r.parent,
    )


def analyze_request(r: Registration) -> proto.AnalyzeRequest:
    """What the engine asks about one resource: its inputs."""
    return proto.AnalyzeRequest(urn=r.urn, type=r.type, name=r.name, properties=_struct(r.inputs), options=_options(r))


def analyze_stack_request(evaluation: Evaluation) -> proto.AnalyzeStackRequest:
    """What the engine asks about the stack: every resource's outputs and what they depend on;
    properties without dependencies are left out, as the engine leaves them out."""
    return proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                urn=r.urn,
                type=r.type,
                name=r.name,
                properties=_struct(r.outputs),
                options=_options(r),
                parent=r.parent,
                dependencies=r.dependencies,
                propertyDependencies={
                    k: proto.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items() if v
                },
            )
            for r in evaluation.resources
        ]
    )


def _diagnostics(response: proto.AnalyzeResponse, urn: str = "") -> list[Diagnostic]:
    """The response's diagnostics; those of a resource policy belong to the analyzed resource."""
    return [
        Diagnostic(d.policyName, LEVEL_NAMES[d.enforcementLevel], d.message.removeprefix(d.description).strip(), d.urn or urn)
        for d in response.diagnostics
    ]


class RunningPack:
    """A connection to the pack's analyzer."""

    def __init__(self, channel: grpc.Channel):
        self._analyzer = proto.AnalyzerStub(channel)
        self.info: proto.AnalyzerInfo = self._analyzer.GetAnalyzerInfo(empty_pb2.Empty())

    def configure(self, given: Mapping[str, Any] | None = None) -> dict[str, PolicyConfig]:
        config = reconcile(self.info, given)
        self._analyzer.Configure(
            proto.ConfigureAnalyzerRequest(
                policyConfig={
                    name: proto.PolicyConfig(enforcementLevel=LEVELS[c.level], properties=_struct(c.properties))
                    for name, c in config.items()
                }
            )
        )
        return config

    def analyze(self, evaluation: Evaluation) -> list[Diagnostic]:
        """Every diagnostic the pack reports for the evaluation: resource policies, then stack policies."""
        diagnostics: list[Diagnostic] = []
        for registration in evaluation.resources:
            diagnostics += _diagnostics(self._analyzer.Analyze(analyze_request(registration)), registration.urn)
        diagnostics += _diagnostics(self._analyzer.AnalyzeStack(analyze_stack_request(evaluation)))
        return diagnostics


@contextmanager
def running(pack_dir: Path = PACK_DIR) -> Iterator[RunningPack]:
    """Start the pack as the CLI does and connect to it; stop it afterwards."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", NO_ENGINE, "."], cwd=pack_dir, stdout=subprocess.PIPE, stderr=stderr
        )
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_SECONDS)
            port = process.stdout.readline().strip() if ready else b""
            if not port.isdigit():
                process.kill()
                process.wait()
                stderr.seek(0)
                raise PolicyPackError(f"the policy pack in {pack_dir} did not start:\n{stderr.read().decode(errors='replace')}")
            with grpc.insecure_channel(f"127.0.0.1:{int(port)}") as channel:
                yield RunningPack(channel)
        finally:
            process.terminate()
            process.wait()
