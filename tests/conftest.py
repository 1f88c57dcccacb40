import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SES_EVENTS = ROOT.parent / "shared" / "ses-events"


@pytest.fixture(scope="session")
def sample_records() -> dict[str, dict]:
    """The records SES publishes to Firehose, from the AWS guide, by file name."""
    records = {p.stem: json.loads(p.read_text()) for p in sorted(SES_EVENTS.glob("*.json"))}
    assert records, f"no sample records in {SES_EVENTS}"
    return records
