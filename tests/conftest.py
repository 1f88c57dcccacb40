import json
import os
import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SES_EVENTS = ROOT.parent / "shared" / "ses-events"


def pytest_configure(config):
    """Ctrl-C as a terminal gives it: a shell starts a background job (`.ci/run &`) with SIGINT ignored, which every
    process inherits, and the seslog processes the Ctrl-C tests start would then ignore the SIGINT they are sent.

    Under pytest-xdist each worker has a core of its own: DuckDB's and pyarrow's thread pools
    (one thread per core by default) would only contend with the other worker, and the small
    objects the tests read gain nothing from them."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    import duckdb
    import pyarrow

    pyarrow.set_cpu_count(1)
    connect = duckdb.connect

    def one_thread(database=":memory:", read_only=False, config=None, **options):
        return connect(database, read_only, {"threads": 1, **(config or {})}, **options)

    duckdb.connect = one_thread


@pytest.fixture(scope="session")
def sample_records() -> dict[str, dict]:
    """The records SES publishes to Firehose, from the AWS guide, by file name."""
    records = {p.stem: json.loads(p.read_text()) for p in sorted(SES_EVENTS.glob("*.json"))}
    assert records, f"no sample records in {SES_EVENTS}"
    return records
