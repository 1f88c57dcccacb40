"""Run ``__main__.py`` under Pulumi's mocks and record what it registers.

The mock monitor answers as AWS would name things (ARNs, generated names), and keeps each
registration's parent, dependencies, property dependencies and options, which the policy
pack sees from the real engine.
"""

from __future__ import annotations

import hashlib
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from offline.stack import ROOT, project_file, stack_config

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    retain_on_delete: bool
    replace_on_changes: list[str]
    delete_before_replace: bool


@dataclass
class Evaluation:
    resources: list[Registration] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None
    """What the program raised, when evaluated with ``raise_errors=False``."""

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, **inputs: Any) -> Registration:
        """The one resource of ``type_`` (whose inputs hold ``inputs``, when given)."""
        found = [r for r in self.of_type(type_) if all(r.inputs.get(k) == v for k, v in inputs.items())]
        if len(found) != 1:
            raise AssertionError(f"expected one {type_}{f' with {inputs}' if inputs else ''}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.resources if r.urn == urn)


def _suffix(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:7]


class AwsMocks(pulumi.runtime.Mocks):
    """Computed outputs shaped like AWS's, derived from the logical name so runs repeat."""

    def __init__(self, region: str):
        self.region = region

    def _arn(self, service: str, resource: str, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}:{ACCOUNT_ID}:{resource}"

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict]:
        state = dict(args.inputs)
        typ, name = args.typ, args.name
        generated = f"{name}-{_suffix(name)}"
        if typ == "aws:s3/bucket:Bucket":
            state.setdefault("bucket", generated)
            state["arn"] = f"arn:aws:s3:::{state['bucket']}"
            return state["bucket"], state
        if typ == "aws:kms/key:Key":
            h = hashlib.sha256(name.encode()).hexdigest()
            key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
            state.update(keyId=key_id, arn=self._arn("kms", f"key/{key_id}"))
            return key_id, state
        if typ == "aws:iam/role:Role":
            state.setdefault("name", generated)
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{state['name']}"
            return state["name"], state
        if typ == "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
            state.setdefault("name", generated)
            state["arn"] = self._arn("firehose", f"deliverystream/{state['name']}")
            return state["arn"], state
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            state.setdefault("name", generated)
            state["arn"] = self._arn("logs", f"log-group:{state['name']}")
            return state["name"], state
        if typ == "aws:sesv2/configurationSet:ConfigurationSet":
            state["arn"] = self._arn("ses", f"configuration-set/{state['configurationSetName']}")
            return state["configurationSetName"], state
        if typ == "aws:glue/catalogTable:CatalogTable":
            state["arn"] = self._arn("glue", f"table/{state['databaseName']}/{state['name']}")
            return f"{ACCOUNT_ID}:{state['databaseName']}:{state['name']}", state
        if typ == "aws:sns/topic:Topic":
            state.setdefault("name", generated)
            state["arn"] = self._arn("sns", state["name"])
            return state["arn"], state
        if typ.startswith("aws:"):
            service = typ.split(":")[1].split("/")[0]
            state.setdefault("arn", self._arn(service, f"{typ.rsplit(':', 1)[1].lower()}/{state.get('name', generated)}"))
        return f"{name}-id", state

    def call(self, args: mocks.MockCallArgs) -> dict:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
                "userId": "AIDAOFFLINE",
                "id": ACCOUNT_ID,
            }
        if args.token == "aws:index/getRegion:getRegion":
            return {
                "region": self.region,
                "name": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": self.region,
            }
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}
        raise NotImplementedError(f"no offline answer for {args.token}")


class RecordingMonitor(mocks.MockMonitor):
    def __init__(self, aws_mocks: AwsMocks):
        super().__init__(aws_mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            registration = self.resources[response.urn]
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=request.custom,
                    inputs=pulumi.runtime.rpc.deserialize_properties(request.object),
                    outputs=registration.state,
                    parent=request.parent,
                    dependencies=list(request.dependencies),
                    property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                    protect=request.protect,
                    retain_on_delete=request.retainOnDelete,
                    replace_on_changes=list(request.replaceOnChanges),
                    delete_before_replace=request.deleteBeforeReplace,
                )
            )
        return response


def evaluate(
    stack: str | None = "dev",
    overrides: dict[str, Any] | None = None,
    *,
    preview: bool = True,
    raise_errors: bool = True,
    root: Path = ROOT,
) -> Evaluation:
    """Run the program for a stack (with config overrides) and return what it registered.
    Errors the program raises (invalid settings, say) propagate, or with ``raise_errors=False``
    are returned with whatever was registered before them."""
    project = project_file(root)["name"]
    config = stack_config(stack, overrides, root)
    region = config.get("aws:region", DEFAULT_REGION)
    aws_mocks = AwsMocks(region)
    monitor = RecordingMonitor(aws_mocks)

    settings.ROOT.set(None)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    pulumi.runtime.set_all_config(config)
    pulumi.runtime.set_mocks(aws_mocks, project=project, stack=stack or "offline", preview=preview, monitor=monitor)
    root_resource = settings.get_root_resource()

    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(root / "__main__.py"), run_name="__main__")))
    except Exception as exc:
        if raise_errors:
            raise
        return Evaluation(resources=monitor.registrations, error=exc)
    exports = _sync_await(pulumi.Output.from_input(dict(root_resource.outputs)).future())
    return Evaluation(resources=monitor.registrations, exports=exports or {})
