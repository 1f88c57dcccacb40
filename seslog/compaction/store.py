"""Where a compaction reads the event objects and writes its files: a local copy, or the log bucket.

A store lists the event objects (keys under ``events/``) of some arrival days, makes some of them readable as local
files, writes and deletes compacted files, and replaces the manifest only if nobody else did since it was read.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from seslog.compaction.manifest import MANIFEST, Manifest, ManifestError
from seslog.eventlog.prefixes import DATA_PREFIX


class ManifestChanged(RuntimeError):
    """The manifest was replaced by another run after this one read it: this run's switch is not made."""


class Store(Protocol):
    where: str
    """How messages name the store: a directory, or ``s3://bucket``."""

    def event_keys(self, days: Sequence[date] | None, sent: tuple[date, date] | None = None) -> list[str]:
        """The event objects (keys under ``events/``) that arrived on ``days`` (None: every day kept), and, when
        ``sent`` is given, as few others as the layout allows that cannot hold mail sent in that range."""
        ...

    def readable(self, keys: Sequence[str]) -> Path:
        """A directory whose ``events/<key>`` is each of ``keys``, as local files."""
        ...

    def read(self, key: str) -> bytes: ...

    def write(self, key: str, data: bytes) -> None:
        """Whole or not at all: a reader never sees part of a file."""
        ...

    def delete(self, keys: Iterable[str]) -> None:
        """Delete ``keys``; one already gone is no error."""
        ...

    def manifest(self, unit: str) -> tuple[Manifest, str | None]:
        """The manifest (empty, by ``unit``, when there is none) and a token that ``replace_manifest`` checks."""
        ...

    def replace_manifest(self, manifest: Manifest, token: str | None) -> str:
        """Write ``manifest`` whole if the stored one is still ``token``'s; the new token. Raises ``ManifestChanged``."""
        ...


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


class LocalStore:
    """A copy laid out as the bucket (``seslog download``, ``seslog demo-data``); a run on it is one process."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.where = str(self.root)

    def event_keys(self, days: Sequence[date] | None, sent: tuple[date, date] | None = None) -> list[str]:
        from seslog.eventlog.local import layout, object_files

        data = self.root / DATA_PREFIX
        found = layout(data, object_files(data))
        return sorted(p.relative_to(data).as_posix() for p in found.objects)

    def readable(self, keys: Sequence[str]) -> Path:
        return self.root

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def write(self, key: str, data: bytes) -> None:
        _write_atomically(self.root / key, data)

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)

    def manifest(self, unit: str) -> tuple[Manifest, str | None]:
        path = self.root / MANIFEST
        if not path.is_file():
            return Manifest.empty(unit), None
        data = path.read_bytes()
        try:
            return Manifest.parse(data, str(path)), data.decode(errors="replace")
        except ManifestError:
            raise ManifestError(
                f"{path} is not a manifest seslog wrote: delete {path.parent} and run seslog compact again"
            ) from None

    def replace_manifest(self, manifest: Manifest, token: str | None) -> str:
        path = self.root / MANIFEST
        current = path.read_bytes().decode(errors="replace") if path.is_file() else None
        if current != token:
            raise ManifestChanged(f"{path} was replaced by another run")
        data = manifest.to_bytes()
        _write_atomically(path, data)
        return data.decode()


class S3Store:
    """The log bucket, as the stack's job sees it: ``scheme`` says under which prefixes an arrival day's objects lie,
    ``scratch`` is where the objects of a unit are fetched to be read (Lambda's ``/tmp``)."""

    def __init__(self, s3: Any, bucket: str, *, scheme: Any, scratch: Path, kms_key_arn: str | None = None):
        self.s3 = s3
        self.bucket = bucket
        self.scheme = scheme
        self.scratch = Path(scratch)
        self.where = f"s3://{bucket}"
        # Written with the pipeline key, as the bucket's default encryption would; named so that a bucket whose
        # policy requires it (the policy pack's) takes the request.
        self._encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_arn} if kms_key_arn else {}

    def event_keys(self, days: Sequence[date] | None, sent: tuple[date, date] | None = None) -> list[str]:
        from seslog.download import list_objects, partition_prefixes

        if days is None:
            prefixes = [DATA_PREFIX]
        elif days:
            late = max((key.late_days for key in self.scheme.keys), default=0)
            since, until = sent or (None, None)
            prefixes = partition_prefixes(self.scheme, sorted(days), late_days=late or None, sent_since=since, sent_until=until)
        else:
            prefixes = []
        with ThreadPoolExecutor(8) as pool:
            found = pool.map(lambda prefix: list_objects(self.s3, self.bucket, [prefix]), prefixes)
            return sorted({o["Key"][len(DATA_PREFIX) :] for objects in found for o in objects})

    def readable(self, keys: Sequence[str]) -> Path:
        root = self.scratch / uuid.uuid4().hex

        def fetch(key: str) -> None:
            path = root / DATA_PREFIX / key
            path.parent.mkdir(parents=True, exist_ok=True)
            body = self.s3.get_object(Bucket=self.bucket, Key=DATA_PREFIX + key)["Body"]
            with open(path, "wb") as file:
                shutil.copyfileobj(body, file, 1 << 20)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(fetch, keys))
        return root

    def read(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def write(self, key: str, data: bytes) -> None:
        # One PutObject: S3 shows an object whole or not at all.
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, **self._encryption)

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
            some = [{"Key": k} for k in keys[start : start + 1000]]
            answer = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": some, "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise RuntimeError(
                    f"could not delete s3://{self.bucket}/{first['Key']}: {first.get('Code')} {first.get('Message')}"
                )

    def manifest(self, unit: str) -> tuple[Manifest, str | None]:
        from botocore.exceptions import ClientError

        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=MANIFEST)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return Manifest.empty(unit), None
            raise
        return Manifest.parse(found["Body"].read(), f"s3://{self.bucket}/{MANIFEST}"), found["ETag"]

    def replace_manifest(self, manifest: Manifest, token: str | None) -> str:
        from botocore.exceptions import ClientError

        # A conditional write (S3 guide, "Conditional writes"): only over the version read, or only if none exists.
        condition = {"IfMatch": token} if token else {"IfNoneMatch": "*"}
        try:
            answer = self.s3.put_object(
                Bucket=self.bucket, Key=MANIFEST, Body=manifest.to_bytes(), **condition, **self._encryption
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise ManifestChanged(f"s3://{self.bucket}/{MANIFEST} was replaced by another run") from None
            raise
        return answer["ETag"]
