"""Policy config: each policy's JSON schema is the one source of its settings and defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, StackValidationArgs

Properties = Mapping[str, Mapping[str, Any]]


def schema(properties: Properties) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties=dict(properties))


def days(description: str, default: int, minimum: int = 0, maximum: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "integer", "minimum": minimum, "default": default, "description": description}
    if maximum is not None:
        spec["maximum"] = maximum
    return spec


def flag(description: str, default: bool = False) -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}


def settings(args: ResourceValidationArgs | StackValidationArgs, properties: Properties) -> dict[str, Any]:
    """The policy's config: the CLI sends the schema's defaults overlaid with the stack's policy
    config; the defaults also hold when a caller sends no config at all."""
    defaults = {name: spec["default"] for name, spec in properties.items() if "default" in spec}
    return {**defaults, **args.get_config()}
