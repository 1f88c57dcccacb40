"""The compaction job's Lambda package: within Lambda's size limit, reproducible, and it runs the job on its own (the
bare interpreter, nothing but the package and the runtime's boto3) against an S3 endpoint (moto's server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from seslog.compaction import package
from seslog.compaction.manifest import MANIFEST, Manifest
from seslog.eventlog.prefixes import DATA_PREFIX, arrival_time
from tests.shared_data import shared_layouts
from tests.test_queries import LAYOUTS, STREAM, generated, samples  # noqa: F401 (fixtures)

FIRST = date(2024, 5, 1)

RUNTIME_LIBRARIES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
"""What Lambda's Python runtime brings besides the standard library (the AWS SDK)."""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The package ``make compaction-package`` wrote (built now if it is missing), unpacked."""
    if not package.DEFAULT_PATH.is_file():
        package.build(package.DEFAULT_PATH)
    unpacked = tmp_path_factory.mktemp("package")
    with zipfile.ZipFile(package.DEFAULT_PATH) as archive:
        archive.extractall(unpacked)
    return unpacked


def test_the_package_fits_lambda_and_holds_only_what_the_job_loads(built):
    sizes = [p.stat().st_size for p in built.rglob("*") if p.is_file()]
    assert sum(sizes) <= package.UNZIPPED_LIMIT * 0.8  # a fifth of Lambda's limit left for the libraries to grow
    assert (built / "seslog" / "compaction" / "handler.py").is_file() and (
        built / "seslog/compaction/queries/answer-rows.sql"
    ).is_file()
    assert not list(built.glob("pyarrow/*flight*")) and not (built / "pyarrow" / "tests").exists()
    assert not list(built.rglob("__pycache__"))
    with zipfile.ZipFile(package.DEFAULT_PATH) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # the same files, the same bytes


def test_the_zip_is_the_same_bytes_for_the_same_files(tmp_path):
    (tmp_path / "in" / "a").mkdir(parents=True)
    (tmp_path / "in" / "a" / "b.py").write_text("x = 1\n")
    first = package.write_zip(tmp_path / "in", tmp_path / "1.zip")
    os.utime(tmp_path / "in" / "a" / "b.py", (0, 0))
    second = package.write_zip(tmp_path / "in", tmp_path / "2.zip")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_the_package_runs_the_job_on_the_bare_runtime(built, generated, tmp_path_factory, tmp_path):  # noqa: F811
    root = shared_layouts(tmp_path_factory, "query-layouts", generated, LAYOUTS, STREAM)["json-date"]
    data = root / DATA_PREFIX
    objects = sorted((p for p in data.rglob("*.gz") if arrival_time(p.relative_to(data)).date() == FIRST), key=lambda p: p.name)[
        :12
    ]
    # Delivered yesterday, as far as their keys say (the job lists the last few days of the real clock).
    yesterday = datetime.now(UTC).date() - timedelta(days=1)

    def key_of(path: Path) -> str:
        key = path.relative_to(root).as_posix()
        return key.replace(FIRST.strftime("%Y/%m/%d"), yesterday.strftime("%Y/%m/%d")).replace(str(FIRST), str(yesterday))

    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for name in RUNTIME_LIBRARIES:
        (runtime / name).symlink_to(site / name)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server._server.server_port}"
        credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
        s3 = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        s3.create_bucket(Bucket="job-bucket")
        for path in objects:
            s3.put_object(Bucket="job-bucket", Key=key_of(path), Body=path.read_bytes())
        settings = {
            "BUCKET": "job-bucket",
            "FORMAT": "json",
            "PARTITIONING": "date",
            "RETENTION_DAYS": "30",
            "KMS_KEY_ARN": "alias/x",
        }
        environment = {
            "PATH": os.environ["PATH"],
            "AWS_ENDPOINT_URL_S3": endpoint,
            **credentials,
            **{f"SESLOG_COMPACTION_{k}": v for k, v in settings.items()},
        }
        # Lambda's bare interpreter: no site-packages, only the package and the runtime's SDK on the path.
        python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
        code = (
            f"import sys; sys.path[:0] = [{str(built)!r}, {str(runtime)!r}]; "
            "from seslog.compaction.handler import handler; handler({}, None)"
        )
        done = subprocess.run(
            [str(python), "-I", "-S", "-c", code], check=False, env=environment, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
        manifest = Manifest.parse(s3.get_object(Bucket="job-bucket", Key=MANIFEST)["Body"].read(), MANIFEST)
        hours = {u["unit"] for u in outcome["compacted"]}
        assert hours and all(h.startswith(str(yesterday)) for h in hours) and set(manifest.units) in ({str(yesterday)}, hours)
        assert sum(u["rows"] for u in outcome["compacted"]) > 0 and manifest.files()
        assert all(s3.head_object(Bucket="job-bucket", Key=key)["ContentLength"] > 0 for key in sorted(manifest.files())[:5])
    finally:
        server.stop()
