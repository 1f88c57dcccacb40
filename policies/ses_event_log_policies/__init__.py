"""The ses-event-log CrossGuard policies, importable without starting the analyzer.

``policies/__main__.py`` builds the PolicyPack from ``POLICIES``; the Pulumi CLI runs it with
the pack directory first on ``sys.path``, the tests and the offline plan import
``policies.ses_event_log_policies``. Modules inside import each other relatively, so both work.
"""

from . import access, encryption, operations, placement, retention, transit

PACK_NAME = "ses-event-log-policies"
PACK_DESCRIPTION = "Encryption, retention, access, placement and operations rules for the SES event log pipeline."

POLICIES = [
    *encryption.POLICIES,
    *transit.POLICIES,
    *retention.POLICIES,
    *access.POLICIES,
    *placement.POLICIES,
    *operations.POLICIES,
]
