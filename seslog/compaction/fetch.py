"""A local copy's share of the bucket's compaction: ``seslog download`` fetches, beside the objects of some arrival
days, the compacted files of those days' units and a manifest naming them, so that the copy answers from them too.

The copy's manifest keeps its own units of the other days and takes the bucket's for the days fetched (the units of a
day are the bucket's whole, or the copy's own: never both, which would count a row twice). A unit whose file could not
be fetched is left out: its objects are read instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from seslog.compaction.manifest import MANIFEST, Manifest, ManifestError, Unit, unit_day
from seslog.compaction.store import LocalStore
from seslog.download import Unwritable
from seslog.errors import SeslogError, error_code
from seslog.eventlog.prefixes import COMPACT_PREFIX


@dataclass
class Fetched:
    units: int = 0
    files: int = 0
    left_out: int = 0
    """Units left out because a file of theirs could not be fetched (their objects answer instead)."""


def fetch_compacted(
    s3: Any, bucket: str, directory: Path, days: Sequence[date], fetch: Callable[[str, Path], None]
) -> Fetched | None:
    """Fetch the compacted files of the units of ``days`` into ``directory`` (``fetch(key, path)``) and write the copy's
    manifest; None when the bucket has no manifest (the stack does not compact, or its job has not run yet)."""
    try:
        found = s3.get_object(Bucket=bucket, Key=MANIFEST)
    except ClientError as error:
        if error_code(error) in {"NoSuchKey", "404"}:
            return None
        if error_code(error) in {"403", "AccessDenied"}:
            raise SeslogError(
                f"access denied reading s3://{bucket}/{MANIFEST}: fetching the compacted files needs s3:GetObject on "
                "compact/ (docs/permissions.md)"
            ) from None
        raise
    try:
        bucket_manifest = Manifest.parse(found["Body"].read(), f"s3://{bucket}/{MANIFEST}")
    except ManifestError as error:
        raise SeslogError(f"{error}: the stack's compaction job writes it; see its log") from None
    store = LocalStore(directory)
    try:
        local, token = store.manifest(bucket_manifest.unit)
    except ManifestError:  # a damaged manifest of the copy's own: the bucket's replaces it
        local, token = Manifest.empty(bucket_manifest.unit), (directory / MANIFEST).read_bytes().decode(errors="replace")
    # The bucket's unit: the copy's own day units of other days then read as the bucket's merged days do.
    local.unit = bucket_manifest.unit
    wanted = set(days)
    fetched = Fetched()
    changes: dict[str, Unit | None] = {name: None for name in local.units if unit_day(name) in wanted}
    for name, unit in sorted(bucket_manifest.units.items()):
        if unit_day(name) not in wanted:
            continue
        try:
            for key in unit.files:
                if not (directory / key).is_file():
                    fetch(key, directory / key)
        except Unwritable:
            fetched.left_out += 1
            continue
        changes[name] = unit
        fetched.units += 1
        fetched.files += len(unit.files)
    local.replace(changes, datetime.now(UTC))
    local.retired = {}
    local.through = bucket_manifest.through
    store.replace_manifest(local, token)
    named = local.files()
    for path in (directory / COMPACT_PREFIX).rglob("*.parquet"):
        if path.relative_to(directory).as_posix() not in named:
            path.unlink()  # a generation the bucket retired, or a unit left out
    return fetched
