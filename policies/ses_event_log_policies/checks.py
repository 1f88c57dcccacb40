"""Validate functions built from small checks, each judged on its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from .config import Properties, settings
from .properties import known_problems

Check = Callable[[Mapping[str, Any], Mapping[str, Any]], Iterable[str]]
"""Problems with a resource's properties, given the policy's config."""


def resource_validation(
    types: Iterable[str], *checks: Check, config: Properties | None = None
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """Run every check on each resource of the given types; a check that needs a value unknown
    during the preview reports nothing, and the others still run."""
    types = frozenset(types)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        options = settings(args, config or {})
        for check in checks:
            for problem in known_problems(lambda c=check: c(args.props, options)):
                report(problem)

    return validate
