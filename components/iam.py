"""IAM policy documents as Pulumi outputs, so that ARNs known only at deploy time fit in."""

from __future__ import annotations

from typing import Any

import pulumi


def statement(
    actions: list[str],
    resources: list[pulumi.Input[str]] | None = None,
    *,
    principal: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
    sid: str | None = None,
    effect: str = "Allow",
) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": effect, "Action": actions}
    if sid:
        stmt["Sid"] = sid
    if principal is not None:
        stmt["Principal"] = principal
    if resources is not None:
        stmt["Resource"] = resources
    if condition:
        stmt["Condition"] = condition
    return stmt


def document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust(service: str, condition: dict[str, Any]) -> pulumi.Output[str]:
    """A role trust policy for one AWS service, limited by confused-deputy conditions."""
    return document(statement(["sts:AssumeRole"], principal={"Service": service}, condition=condition))
