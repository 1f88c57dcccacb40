"""The policy pack: `pulumi preview --policy-pack policies`. Building PolicyPack starts the
analyzer's gRPC server and never returns, so the policies live in ses_event_log_policies."""

from pulumi_policy import EnforcementLevel, PolicyPack
from ses_event_log_policies import PACK_DESCRIPTION, PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
