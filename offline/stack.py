"""Stack configuration as the Pulumi CLI hands it to the program."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def project_file(root: Path = ROOT) -> dict[str, Any]:
    return yaml.safe_load((root / "Pulumi.yaml").read_text())


def stacks(root: Path = ROOT) -> list[str]:
    """Names of the stacks that have a ``Pulumi.<stack>.yaml`` file."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def _as_config_string(value: Any) -> str:
    # The CLI passes every value as a string; structured values as JSON.
    return value if isinstance(value, str) else json.dumps(value)


def stack_config(stack: str | None = None, overrides: dict[str, Any] | None = None, root: Path = ROOT) -> dict[str, str]:
    """The config map the program sees: the project's declared defaults, then the stack file,
    then ``overrides`` (keys without a namespace belong to the project)."""
    project = project_file(root)
    name = project["name"]

    def qualified(key: str) -> str:
        return key if ":" in key else f"{name}:{key}"

    config: dict[str, str] = {}
    for key, declaration in (project.get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            config[qualified(key)] = _as_config_string(declaration["default"])
    if stack is not None:
        path = root / f"Pulumi.{stack}.yaml"
        if not path.exists():
            raise FileNotFoundError(f"no stack file {path.name}; stacks: {', '.join(stacks(root))}")
        for key, value in ((yaml.safe_load(path.read_text()) or {}).get("config") or {}).items():
            config[qualified(key)] = _as_config_string(value)
    for key, value in (overrides or {}).items():
        config[qualified(key)] = _as_config_string(value)
    return config
