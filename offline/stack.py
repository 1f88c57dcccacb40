"""Stack configuration as the Pulumi CLI hands it to the program.

The CLI reads stack files with Go's gopkg.in/yaml.v3 (YAML 1.2 rules), not with YAML 1.1 as
PyYAML does: an unquoted ``yes`` is the string "yes", not true. Each value of ``config:`` is
decoded into a string first (pulumi/pulumi, sdk/go/common/resource/config/value.go), which
yaml.v3 does by taking a scalar's text as written; a list or map is decoded with yaml.v3's
resolution (go-yaml/yaml resolve.go) and passed as JSON. Before running the program the CLI
checks every value against the type the project declares (sdk/go/common/workspace/project.go,
``ValidateConfigValue``). This module does the same, so the offline plan sees what `pulumi up`
would.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import yaml

ROOT = Path(__file__).resolve().parent.parent

STR_TAG = "tag:yaml.org,2002:str"
# yaml.v3's resolve table: the only words that are not strings.
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# Go's strconv.ParseInt with base 0: a 0x, 0o or 0b prefix, or a leading 0 for octal (YAML 1.1's 0755).
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]+|[0-9]+)")
_TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


class StackFileError(ValueError):
    """The Pulumi CLI would refuse the stack file before running the program."""


class _Untyped(yaml.SafeLoader):
    """Composes nodes without YAML 1.1's implicit types: every plain scalar keeps its text."""

    yaml_implicit_resolvers: ClassVar[dict] = {}


INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1


def _go_int(text: str) -> int | None:
    """yaml.v3 tries strconv.ParseInt, then ParseUint, both 64-bit: a larger number is a float."""
    match = _GO_INT.fullmatch(text)
    if not match:
        return None
    sign, digits = match.groups()
    base = {"x": 16, "o": 8, "b": 2}.get(digits[1:2].lower(), 8 if digits.startswith("0") and len(digits) > 1 else 10)
    body = digits[2:] if base != 10 and not digits[1:2].isdigit() else digits
    number = int(sign + body, base)
    return number if INT64_MIN <= number <= (UINT64_MAX if not sign else INT64_MAX) else None


def _timestamp(text: str) -> str | None:
    if not re.match(r"\d{4}-", text):
        return None
    for fmt in _TIMESTAMP_FORMATS:
        try:
            moment = datetime.strptime(text.replace("Z", "+0000"), fmt)
        except ValueError:
            continue
        # Go's time.Time marshals to JSON as RFC 3339; a time without a zone is UTC.
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat().replace("+00:00", "Z")
    return None


def resolve_plain(text: str) -> Any:
    """What yaml.v3 makes of an unquoted scalar decoded without a target type."""
    if text in _WORDS:
        return _WORDS[text]
    if text[:1] == ".":
        try:
            return float(text)
        except ValueError:
            return text
    if text[:1] not in "+-0123456789" or not text:
        return text
    stamp = _timestamp(text)
    if stamp is not None:
        return stamp
    plain = text.replace("_", "")
    number = _go_int(plain)
    if number is not None:
        return number
    return float(plain) if _FLOAT.fullmatch(plain) else text


def _value(node: yaml.Node, where: str) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return resolve_plain(node.value) if node.style is None and node.tag == STR_TAG else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_value(item, where) for item in node.value]
    return {key: _value(item, where) for key, item in _mapping(node, where).items()}


def _mapping(node: yaml.MappingNode, where: str) -> dict[str, yaml.Node]:
    result: dict[str, yaml.Node] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(_value(key_node, where))
        line = key_node.start_mark.line + 1
        if key in lines:  # yaml.v3 refuses a mapping that repeats a key
            raise StackFileError(f"{where}: line {line}: mapping key {key!r} already defined at line {lines[key]}")
        lines[key] = line
        result[key] = value_node
    return result


def _config_string(node: yaml.Node, where: str) -> str:
    """A value of ``config:`` as the CLI passes it: a scalar's text, a list or map as JSON."""
    if isinstance(node, yaml.ScalarNode):
        value = resolve_plain(node.value) if node.style is None else node.value
        return "" if value is None else node.value
    value = _value(node, where)
    if any(isinstance(v, float) and not math.isfinite(v) for v in _leaves(value)):
        raise StackFileError(f"{where}: .nan and .inf cannot be passed as config (JSON has no such numbers)")
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


def _conforms(type_: str, items: dict | None, value: Any) -> bool:
    """The CLI's check of a value against a declared type (``ValidateConfigValue``)."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        if isinstance(value, str):
            # Go's strconv.Atoi: a sign and decimal digits, within a 64-bit int.
            return re.fullmatch(r"[-+]?[0-9]+", value) is not None and INT64_MIN <= int(value) <= INT64_MAX
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX
    if type_ == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    return isinstance(value, list) and items is not None and all(_conforms(items["type"], items.get("items"), v) for v in value)


def _type_name(type_: str, items: dict | None) -> str:
    return f"array<{_type_name(items['type'], items.get('items'))}>" if items else type_


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StackFileError(f"{path.name}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> StackFileError:
    """One line naming the file, the place and what is wrong, for a file YAML cannot read."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if "'\\t'" in problem or "\t" in problem:
        problem = "a tab character; YAML indents with spaces only"
    elif getattr(exc, "context", None):
        problem = f"{exc.context}, {problem}" if problem.startswith("but ") else f"{problem} ({exc.context})"
    return StackFileError(f"{path.name}: {where}not valid YAML: {problem}")


def project_file(root: Path = ROOT) -> dict[str, Any]:
    path = root / "Pulumi.yaml"
    try:
        project = yaml.safe_load(_read(path))
    except yaml.YAMLError as exc:
        raise _yaml_problem(path, exc) from None
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise StackFileError(f"{path.name}: must be a mapping with a project name (name: ...)")
    return project


def stacks(root: Path = ROOT) -> list[str]:
    """Names of the stacks that have a ``Pulumi.<stack>.yaml`` file."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def _as_config_string(value: Any) -> str:
    # The CLI passes every value as a string; structured values as JSON.
    return value if isinstance(value, str) else json.dumps(value)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return f"a single value ({node.value!r})"


def _stack_file_config(path: Path) -> tuple[dict[str, str], set[str]]:
    """The stack file's config values as strings, and the keys whose value is a list or map
    (passed as JSON: the CLI's "object" values); StackFileError, naming the file, for a file the
    CLI could not read."""
    try:
        # yaml.v3's Unmarshal reads the first document of the stream only.
        document = next(yaml.compose_all(_read(path), Loader=_Untyped), None)
    except yaml.YAMLError as exc:
        raise _yaml_problem(path, exc) from None
    if document is None:
        return {}, set()
    if not isinstance(document, yaml.MappingNode):
        raise StackFileError(f"{path.name}: must be a mapping with a config: key, not {_kind(document)}")
    config = _mapping(document, path.name).get("config")
    if config is None or isinstance(config, yaml.ScalarNode) and config.style is None and resolve_plain(config.value) is None:
        return {}, set()  # `config:` with nothing under it
    if not isinstance(config, yaml.MappingNode):
        raise StackFileError(
            f"{path.name}: line {config.start_mark.line + 1}: config must be a mapping of keys to values, not {_kind(config)}"
        )
    nodes = _mapping(config, path.name)
    values = {key: _config_string(node, f"{path.name}: {key}") for key, node in nodes.items()}
    return values, {key for key, node in nodes.items() if not isinstance(node, yaml.ScalarNode)}


def _check_declared_types(stack: str, project: dict[str, Any], config: dict[str, str], objects: set[str], file: str) -> None:
    name = project["name"]
    for key in sorted(project.get("config") or {}):
        declaration = project["config"][key]
        qualified = key if ":" in key else f"{name}:{key}"
        value = config.get(qualified)
        if value is None or not isinstance(declaration, dict) or "type" not in declaration:
            continue
        # Only a list or map is JSON; a scalar, even "" or a quoted "[1]", is the string it reads.
        content = json.loads(value) if qualified in objects else value
        if not _conforms(declaration["type"], declaration.get("items"), content):
            type_name = _type_name(declaration["type"], declaration.get("items"))
            raise StackFileError(
                f"{file}: Stack '{stack}' with configuration key '{key}' must be of type '{type_name}' (it is {value!r})"
            )


def stack_config(stack: str | None = None, overrides: dict[str, Any] | None = None, root: Path = ROOT) -> dict[str, str]:
    """The config map the program sees: the project's declared defaults, then the stack file
    (read as the CLI reads it, and refused where the CLI would refuse it), then ``overrides``
    (keys without a namespace belong to the project)."""
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
        values, objects = _stack_file_config(path)
        from_file = {qualified(key): value for key, value in values.items()}
        _check_declared_types(stack, project, from_file, {qualified(key) for key in objects}, path.name)
        config.update(from_file)
    for key, value in (overrides or {}).items():
        config[qualified(key)] = _as_config_string(value)
    return config
