"""Run one policy in-process on hand-made resources, the way the analyzer hands them over.

Properties go through pulumi_policy's unknown-checking proxy, as in the analyzer server, and
``UNKNOWN`` is the sentinel the engine sends for a value unknown during a preview.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime.rpc import UNKNOWN
from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

__all__ = ["UNKNOWN", "Resource", "violations"]

PROJECT = "ses-event-log"


@dataclass
class Resource:
    type: str
    name: str
    props: dict[str, Any]
    depends: dict[str, list[str]] = field(default_factory=dict)
    """Property dependencies: property name to the names of the resources it depends on."""

    @property
    def urn(self) -> str:
        return f"urn:pulumi:test::{PROJECT}::{self.type}::{self.name}"


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _config(policy: Policy, config: Mapping[str, Any] | None) -> dict[str, Any]:
    # What the CLI sends: the schema's defaults overlaid with the given config.
    schema = policy.config_schema.properties if policy.config_schema else {}
    return {**{k: v["default"] for k, v in schema.items() if "default" in v}, **(config or {})}


def violations(policy: Policy, *resources: Resource, config: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """(resource name, message) for each violation the policy reports."""
    found: list[tuple[str, str]] = []
    by_urn = {r.urn: r.name for r in resources}
    if isinstance(policy, ResourceValidationPolicy):
        for r in resources:
            args = ResourceValidationArgs(
                r.type, unknown_checking_proxy(r.props), r.urn, r.name, _options(), None, _config(policy, config)
            )
            policy.validate(args, lambda message, urn=None, name=r.name: found.append((name, message)))
    elif isinstance(policy, StackValidationPolicy):
        stack = {
            r.name: PolicyResource(r.type, unknown_checking_proxy(r.props), r.urn, r.name, _options(), None, None, [], {})
            for r in resources
        }
        for r in resources:
            stack[r.name].property_dependencies = {k: [stack[n] for n in names] for k, names in r.depends.items()}
        args = StackValidationArgs(list(stack.values()), _config(policy, config))
        policy.validate(args, lambda message, urn=None: found.append((by_urn.get(urn, ""), message)))
    return found
