"""``python -m bench.diagnosis``: how many of the test replies (tests/diagnosis_corpus.py) each provider's rules decide.

Not timed: a coverage report. For each provider (the domain's, or the signature's in the reply), the
replies decided by its own rules, by the words any server uses, by the enhanced status code alone,
by SES's bounce and delay types, and those nothing decided (``undefined``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from seslog.diagnosis import diagnose
from seslog.diagnosis.providers import BY_NAME
from seslog.diagnosis.rules import RULES
from seslog.output import print_table
from tests.diagnosis_corpus import CASES, Case, status_cases

KINDS = ("own", "words", "status", "ses", "undefined")


def _kind(rule_id: str, own: bool) -> str:
    if own:
        return "own"
    if rule_id == "undefined":
        return "undefined"
    return "status" if rule_id.startswith("status-") else "ses" if rule_id.startswith("ses-") else "words"


def coverage(cases: Sequence[Case]) -> dict[str, dict[str, int]]:
    """By provider (``other`` for a domain of no named provider): the cases, and how many each kind of rule decided."""
    report: dict[str, dict[str, int]] = {}
    for case in cases:
        found = diagnose(case.failure())
        provider = found.provider if found.provider in BY_NAME else "other"
        row = report.setdefault(provider, {"cases": 0, **dict.fromkeys(KINDS, 0)})
        row["cases"] += 1
        row[_kind(found.rule.id, found.rule.provider is not None)] += 1
    return report


def print_coverage(report: dict[str, dict[str, int]], write: Callable[[str], object]) -> None:
    import io

    out = io.StringIO()
    rows = [{"provider": name, **counts} for name, counts in sorted(report.items(), key=lambda item: -item[1]["cases"])]
    print_table(["provider", "cases", *KINDS], rows, out, right=["cases", *KINDS])
    for line in out.getvalue().splitlines():
        write(line)


if __name__ == "__main__":
    print_coverage(coverage(CASES + status_cases(RULES)), print)
