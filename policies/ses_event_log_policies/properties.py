"""Reading resource properties as the analyzer hands them over.

During a preview the engine cannot know values that come from resources not yet created (an
ARN, a bucket id); they arrive as sentinels, and pulumi_policy's proxies raise
``UnknownValueError`` when one is read. Each requirement is judged inside ``known_problems``,
so a requirement that needs an unknown value is skipped, not reported: the pack runs again on
``pulumi up``, when the value is known.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

__all__ = ["UnknownValueError", "first", "is_set", "known_problems", "lowered", "many", "policy_document", "statements"]


def known_problems(check: Callable[[], Iterable[str]]) -> list[str]:
    """The problems ``check`` finds, or none when it needs a value unknown until the update."""
    try:
        return list(check())
    except UnknownValueError:
        return []


def many(value: Any) -> list[Any]:
    """A nested block as a list: pulumi-aws has single objects where older types have lists."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        return [value]
    return [value[i] for i in range(len(value))]


def first(value: Any) -> Any:
    """The one object of a nested block (``{}`` when absent), whether given as object or list."""
    items = many(value)
    return items[0] if items else {}


def is_set(value: Any) -> bool:
    """False for what the engine and the providers use for "not set": null, "" and empty blocks."""
    if value is None:
        return False
    if isinstance(value, (str, Mapping, Sequence)):
        return len(value) > 0
    return True


def lowered(value: Any) -> list[str]:
    """A string-or-list IAM field (Action, Resource) in lower case: IAM compares them so."""
    return [str(item).lower() for item in many(value)]


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM policy document given as JSON text or as an object; None when not set.
    Raises ValueError for text that is not JSON (AWS would refuse it too)."""
    if not is_set(value):
        return None
    document = json.loads(value) if isinstance(value, str) else value
    return document if isinstance(document, Mapping) else None


def statements(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return [] if document is None else many(document.get("Statement"))
