"""The stack's hourly compaction job: an AWS Lambda function that EventBridge Scheduler invokes.

Each run lists the objects of the last ``manifest.LOOKBACK_DAYS`` arrival days, compacts the hours whose objects changed
(the hour under way too, as far as it has arrived: a lookup reads at most an hour of objects raw), merges each ended
day's hours and deletes the files retired more than ``GRACE`` ago (``run.compact``). Its settings
come from the function's environment, which the stack writes (components/compaction.py); its one line of JSON per run
is what CloudWatch Logs keeps of it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from seslog.compaction.manifest import LOOKBACK_DAYS
from seslog.compaction.run import compact
from seslog.compaction.store import S3Store
from seslog.eventlog.partitioning import scheme_for

GRACE = timedelta(hours=1)
"""How long a retired file is kept: a lookup that read the previous manifest names it, and Athena may still be reading
it (seslog waits at most ``--timeout``, 300 s by default)."""


@dataclass(frozen=True)
class JobSettings:
    """What the job needs of its stack, from the function's environment: ``SESLOG_COMPACTION_<FIELD>``."""

    bucket: str
    format: str
    partitioning: str
    retention_days: int
    kms_key_arn: str

    @staticmethod
    def environment(**values: Any) -> dict[str, Any]:
        """The function's environment variables for the stack's ``values`` (one per field, any type: the stack's are
        Pulumi outputs)."""
        if set(values) != {f.name for f in fields(JobSettings)}:
            raise TypeError(f"the job's settings are {', '.join(f.name for f in fields(JobSettings))}, not {', '.join(values)}")
        return {f"SESLOG_COMPACTION_{name.upper()}": value for name, value in values.items()}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> JobSettings:
        names = {f.name: f"SESLOG_COMPACTION_{f.name.upper()}" for f in fields(cls)}
        missing = [variable for variable in names.values() if not environ.get(variable)]
        if missing:
            raise ValueError(f"the function's environment lacks {', '.join(missing)}: deploy it with the stack")
        values = {name: environ[variable] for name, variable in names.items()}
        return cls(**{**values, "retention_days": int(values["retention_days"])})


def run(
    settings: JobSettings, s3: Any, now: datetime, scratch: Path, time_left: Callable[[], float] | None = None
) -> dict[str, Any]:
    """One run of the job over the bucket; what it did, as JSON."""
    scheme = scheme_for(settings.partitioning, settings.retention_days)
    store = S3Store(s3, settings.bucket, scheme=scheme, scratch=scratch, kms_key_arn=settings.kms_key_arn)
    report = compact(
        store,
        now=now,
        unit="hour",
        lookback_days=LOOKBACK_DAYS,
        retention_days=settings.retention_days,
        grace=GRACE,
        format=settings.format,
        partitioning=scheme,
        progress=lambda text: print(text, file=sys.stderr, flush=True),
        time_left=time_left,
        open_units=True,
    )
    return {"summary": report.summary(), **report.to_json()}


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda's entry point (``seslog.compaction.handler.handler``)."""
    import boto3

    settings = JobSettings.from_environment(os.environ)
    with tempfile.TemporaryDirectory(prefix="compaction-") as scratch:
        time_left = (lambda: context.get_remaining_time_in_millis() / 1000) if context is not None else None
        outcome = run(settings, boto3.client("s3"), datetime.now(UTC), Path(scratch), time_left)
    print(json.dumps(outcome), flush=True)
    return outcome
