"""Cognito's message-delivery error log as the tests write it: the developer guide's example record, CloudWatch Logs'
control message, and records whose details quote SES's refusals."""

from __future__ import annotations

from datetime import datetime

from seslog.cognito.log import record_of

GUIDE_EXAMPLE = {
    "eventTimestamp": "1687297330677",
    "eventSource": "USER_NOTIFICATION",
    "logLevel": "ERROR",
    "message": {"details": "String"},
    "logSourceId": {"userPoolId": "String"},
}
"""The example record of the Cognito developer guide, "Exporting logs from Amazon Cognito user pools"."""

CONTROL_MESSAGE = {
    "messageType": "CONTROL_MESSAGE",
    "owner": "CloudwatchLogs",
    "logGroup": "",
    "logStream": "",
    "subscriptionFilters": [],
    "logEvents": [
        {"id": "", "timestamp": 1687297330000, "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}
    ],
}
"""What CloudWatch Logs sends a new subscription's destination to check that it is reachable."""


def record(at: datetime, details: str | None, pool: str = "eu-west-1_AbCdEf123") -> dict:
    """A Cognito record of ``pool`` logged at ``at``, in the guide's shape."""
    return record_of(at, details, pool)
