"""boto3 clients for one region, with the SDK's standard retry mode (backoff on throttling)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="seslog")


def client(service: str, region: str | None) -> Any:
    """A client in ``region``, or in the SDK's default region (AWS_REGION, the profile) when None."""
    return boto3.session.Session(region_name=region).client(service, config=_CONFIG)
