"""Waits for AWS to take in a just-created role, role policy or topic policy before a service
checks it. IAM and resource policies are eventually consistent ("Changes that I make are not
always immediately visible", IAM user guide, troubleshooting): a create call that SES or
Firehose validates against a policy written seconds earlier can fail on the first `pulumi up`
and pass on the second. Neither API tells when a policy is in effect, so the wait is a fixed one.
"""

from __future__ import annotations

import pulumi
import pulumiverse_time as time

# Propagation usually takes seconds (IAM user guide); 30 s leaves room past that, and is paid only when
# a role or policy is created or changed.
PROPAGATION_SECONDS = 30


def wait_for(
    name: str, settled: list[pulumi.Resource], triggers: dict[str, pulumi.Input[str]], parent: pulumi.Resource
) -> time.Sleep:
    """A wait that starts once ``settled`` exist and runs again whenever one of ``triggers``
    changes (a replaced role, a rewritten policy), so a later update waits as the first deploy does."""
    return time.Sleep(
        name,
        create_duration=f"{PROPAGATION_SECONDS}s",
        triggers=triggers,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=settled),
    )
