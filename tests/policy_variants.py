"""The program's evaluation changed: made insecure, or seen as the first `pulumi preview` sees it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from pulumi.runtime.rpc import UNKNOWN

from offline.program import Evaluation

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")

# Bucket properties pulumi-aws computes when the program leaves them out (Optional+Computed in the
# provider's schema): a preview of a new bucket shows them unknown.
PROVIDER_COMPUTED_BUCKET_PROPERTIES = (
    "accelerationStatus",
    "acl",
    "corsRules",
    "grants",
    "lifecycleRules",
    "logging",
    "objectLockConfiguration",
    "policy",
    "replicationConfiguration",
    "requestPayer",
    "serverSideEncryptionConfiguration",
    "versioning",
    "website",
)


def changed(evaluation: Evaluation, type_: str, change: Callable[[dict[str, Any]], None]) -> Evaluation:
    """A copy where ``change`` has edited the inputs and the outputs of every resource of a type."""
    result = copy.deepcopy(evaluation)
    found = [r for r in result.resources if r.type == type_]
    assert found, f"the program registers no {type_}"
    for r in found:
        change(r.inputs)
        change(r.outputs)
    return result


def without(evaluation: Evaluation, type_: str) -> Evaluation:
    result = copy.deepcopy(evaluation)
    assert any(r.type == type_ for r in result.resources), f"the program registers no {type_}"
    result.resources = [r for r in result.resources if r.type != type_]
    return result


def _unknown_where(value: Any, computed: set[str]) -> Any:
    if isinstance(value, str):
        return UNKNOWN if any(c in value for c in computed) else value
    if isinstance(value, dict):
        return {k: _unknown_where(v, computed) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_where(v, computed) for v in value]
    return value


def previewed(evaluation: Evaluation) -> Evaluation:
    """The evaluation as the engine sees the first preview of the stack: what the providers
    compute (ids, ARNs, generated names) is unknown, and so is every value built from one (an
    ARN inside a JSON policy makes the whole policy unknown); so are the bucket properties
    pulumi-aws computes."""
    computed = {
        value
        for r in evaluation.resources
        for key, value in r.outputs.items()
        if key not in r.inputs and isinstance(value, str) and value
    }
    result = copy.deepcopy(evaluation)
    for r in result.resources:
        r.inputs = _unknown_where(r.inputs, computed)
        r.outputs = _unknown_where(r.outputs, computed)
        if r.type in BUCKET_TYPES:
            r.outputs.update({key: UNKNOWN for key in PROVIDER_COMPUTED_BUCKET_PROPERTIES if key not in r.inputs})
    return result


def set_path(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change setting one property by its dotted path (list indexes as numbers)."""

    def change(props: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = props
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def edited(evaluation: Evaluation, name: str, change: Callable[[dict[str, Any]], None]) -> Evaluation:
    """A copy where ``change`` edited the inputs and outputs of the one resource named ``name``."""
    result = copy.deepcopy(evaluation)
    (found,) = [r for r in result.resources if r.name == name]
    change(found.inputs)
    change(found.outputs)
    return result


def statements_of(key: str, change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """A change that edits every statement of the JSON policy document in the property ``key``."""

    def edit_document(props: dict[str, Any]) -> None:
        document = json.loads(props[key])
        for statement in document["Statement"]:
            change(statement)
        props[key] = json.dumps(document)

    return edit_document


def fired(diagnostics: list[Any]) -> set[tuple[str, str]]:
    """The policies a pack's diagnostics name, with their levels."""
    return {(d.policy, d.level) for d in diagnostics}
