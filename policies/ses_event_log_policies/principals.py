"""Who a policy statement lets in: principals open to every AWS account, and the conditions that
narrow such a statement back to an account, an organization, a principal or a resource."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .properties import lowered, many

# Global condition keys (IAM guide, "AWS global condition context keys") and KMS keys that limit
# who may use a statement to named accounts, organizations, principals, calling resources or
# services (kms:ViaService: only requests an AWS service makes on a principal's behalf; AWS's own
# key policies pair it with kms:CallerAccount).
NARROWING_KEYS = frozenset(
    {
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalservicename",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourceowner",
        "kms:calleraccount",
        "kms:viaservice",
    }
)
# Operators that match only when the key is present and equal to (or like) a listed value. An
# ...IfExists operator also matches when the key is absent, a negated one everything but the values,
# and ForAllValues: an absent key.
NARROWING_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})
FOR_ANY_VALUE = "foranyvalue:"


def everyone(principal: Any) -> bool:
    """Principal "*" or {"AWS": "*"}: every AWS account, and anonymous callers where allowed."""
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in [str(p) for p in many(principal.get("AWS"))]


def matching_values(condition: Any, wanted: frozenset[str]) -> dict[str, list[str]]:
    """The values a condition requires of each wanted key (lower case), from operators that match
    only when the key is present; a value made only of wildcards requires nothing."""
    found: dict[str, list[str]] = {}
    if not isinstance(condition, Mapping):
        return found
    for operator, block in condition.items():
        name = operator.lower()
        name = name.removeprefix(FOR_ANY_VALUE)
        if name not in NARROWING_OPERATORS or not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            values = [str(v) for v in many(value)]
            if key.lower() in wanted and values and all(v.strip("*?") for v in values):
                found.setdefault(key.lower(), []).extend(values)
    return found


def label(statement: Mapping[str, Any]) -> str:
    return f"statement {statement.get('Sid')!r}" if statement.get("Sid") else "a statement"


def public_grant(statement: Mapping[str, Any], what: str) -> Iterator[str]:
    """A problem when an Allow statement opens ``what`` to every AWS account (Principal "*",
    {"AWS": "*"} or NotPrincipal) without a condition that narrows it."""
    if statement.get("Effect") != "Allow":
        return
    if not ("NotPrincipal" in statement or everyone(statement.get("Principal"))):
        return
    if matching_values(statement.get("Condition"), NARROWING_KEYS):
        return
    actions = ", ".join(lowered(statement.get("Action"))) or "NotAction"
    whom = "NotPrincipal (everyone but those listed)" if "NotPrincipal" in statement else 'Principal "*"'
    yield (
        f"{label(statement)} allows {actions} on {what} to {whom} without a condition that limits it to this account, "
        "an organization or a service (e.g. aws:PrincipalAccount, aws:SourceAccount, kms:CallerAccount, aws:PrincipalOrgID)"
    )
