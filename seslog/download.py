"""Fetch the objects of a time range from the bucket into a directory laid out like the bucket.

Only the partitions in range are listed: the layout (partition keys, their order, their
path labels and time patterns) comes from ``seslog.eventlog.partitioning``, so the prefixes listed
here are the ones the stream writes to. Time keys hold the arrival time at Firehose (UTC),
so a range selects whole UTC days of arrival.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from seslog.errors import SeslogError, error_code
from seslog.eventlog.partitioning import DEFAULT_TIME_PATH, SENT, PartitionKey, Scheme, max_late_days, strftime_pattern
from seslog.eventlog.prefixes import DATA_PREFIX, FETCHED_DAYS
from seslog.output import format_bytes
from seslog.progress import Progress

_MIDNIGHT, _LAST_MINUTE = datetime(2000, 1, 1, 0, 0), datetime(2000, 1, 1, 23, 59)


def _day_part(pattern: str) -> str:
    """The leading ``/``-separated parts of a time pattern that are the same all day long
    (``yyyy/MM/dd`` of ``yyyy/MM/dd/HH``; all of ``yyyy-MM-dd``; nothing of ``HH``)."""
    kept = []
    for part in pattern.split("/"):
        python = strftime_pattern(part)
        if _MIDNIGHT.strftime(python) != _LAST_MINUTE.strftime(python):
            break
        kept.append(part)
    return "/".join(kept)


def partition_prefixes(
    scheme: Scheme,
    days: Sequence[date],
    data_prefix: str = DATA_PREFIX,
    sent_since: date | None = None,
    late_days: int | None = None,
    sent_until: date | None = None,
) -> list[str]:
    """Prefixes under which every object that arrived on ``days`` lies, and as little else as the layout allows.

    Keys are expanded in the scheme's order: a day key once per day, an enum key (event type)
    once per value, the send day once per day from ``sent_since`` (default: as far back as a
    late event can be filed, ``max_late_days()`` before the first day) to the last; the first
    key finer than a day (hour) or without a known set of values ends the prefix, as
    everything under it is wanted.

    A send day and an arrival day are paired only when the pair can hold objects: an object's
    arrival day is its oldest record's, and a buffer of the send day's partition opens with a
    record of that day, sent before it arrived; a late event is filed at most ``late`` days
    before it happened (``max_late_days()``, the longest a stack can have). So the send day is
    never after the arrival day nor more than ``late`` days before it: 30 days are 30 x 248
    prefixes, not 30 x 277. A caller that knows the stack's ``retentionDays`` (its send key's ``late_days``) gives it
    as ``late_days``: fewer prefixes. ``sent_until``: no send day after it (a lookup's last send day).
    """
    late = late_days if late_days is not None else max_late_days()
    first = sent_since or min(days) - timedelta(days=late)
    until = min(max(days), sent_until) if sent_until is not None else max(days)
    sent_days = [first + timedelta(days=n) for n in range((until - first).days + 1)]

    def possible(sent: date | None, arrived: date | None) -> bool:
        return sent is None or arrived is None or sent <= arrived <= sent + timedelta(days=late)

    # Each prefix with the send day and the arrival day it names, once it names them.
    prefixes: list[tuple[str, date | None, date | None]] = [(data_prefix, None, None)]
    levels: list[tuple[Callable[[str], str], str | None, PartitionKey | None]] = [
        (key.path_segment, key.time_pattern, key) for key in scheme.keys
    ]
    if not scheme.has_time_key:
        levels.append((lambda value: value + "/", DEFAULT_TIME_PATH, None))
    for segment, pattern, key in levels:
        if pattern:
            day_part = _day_part(pattern)
            if not day_part:
                break
            python = strftime_pattern(day_part)
            prefixes = [(p + segment(d.strftime(python)), sent, d) for p, sent, _ in prefixes for d in days if possible(sent, d)]
            if day_part != pattern:
                break
        elif key is not None and key.clock == SENT:
            prefixes = [
                (p + segment(s.isoformat()), s, arrived) for p, _, arrived in prefixes for s in sent_days if possible(s, arrived)
            ]
        elif key is not None and key.projection.get("type") == "enum":
            prefixes = [
                (p + segment(v), sent, arrived) for p, sent, arrived in prefixes for v in key.projection["values"].split(",")
            ]
        else:
            break
    return [p for p, _, _ in prefixes]


def list_objects(s3: Any, bucket: str, prefixes: Sequence[str], progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every object under ``prefixes`` (``list_objects_v2`` entries), folder markers left out; ``progress`` shows how
    many prefixes are listed (a month of a send-date stack is thousands of them, a minute or more)."""
    found = []
    paginator = s3.get_paginator("list_objects_v2")
    try:
        for number, prefix in enumerate(prefixes):
            if progress:
                text = f"listing {number:,} of {len(prefixes):,} prefixes: {len(found):,} objects"
                progress.update(text, completed=number, total=len(prefixes))
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                found += [o for o in page.get("Contents", []) if not o["Key"].endswith("/")]
    except ClientError as error:
        if error_code(error) == "NoSuchBucket":
            raise SeslogError(f"bucket {bucket!r} does not exist: check --bucket or SESLOG_BUCKET, and the region") from None
        raise
    return found


@dataclass
class DownloadReport:
    prefixes: list[str]
    downloaded: int = 0
    downloaded_bytes: int = 0
    present: int = 0
    present_bytes: int = 0
    refused: list[str] = field(default_factory=list)
    """Keys that would land outside the directory (``..`` in the key)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """Keys that cannot be written where they belong, and why: S3 has both ``K`` and ``K/child``, a
    directory cannot be a file too."""

    def summary(self, bucket: str, directory: Path) -> str:
        return (
            f"downloaded {self.downloaded} object{'s' if self.downloaded != 1 else ''} ({format_bytes(self.downloaded_bytes)}) "
            f"from s3://{bucket}/ into {directory}; {self.present} already present with the same size "
            f"({format_bytes(self.present_bytes)}); {len(self.prefixes)} partition prefix{'es' if len(self.prefixes) != 1 else ''} listed"
        )


def prepare_directory(directory: Path) -> Path:
    if directory.exists() and not directory.is_dir():
        raise SeslogError(f"{directory} exists and is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SeslogError(f"cannot create {directory}: {error.strerror}") from None
    return directory.resolve()


def _folders_taken(root: Path, paths: dict[Path, str]) -> dict[str, str]:
    """Key -> the other key that makes it unwritable: ``K/child`` needs a folder ``K``, where the object ``K`` is a file."""
    taken = {}
    for path, key in paths.items():
        for parent in path.parents:
            if parent == root or not parent.is_relative_to(root):
                break
            if parent in paths:
                taken[key] = paths[parent]
                break
    return taken


def record_fetched(directory: Path, days: Iterable[date]) -> None:
    """Adds ``days`` to the copy's list of fetched days (``FETCHED_DAYS``), written whole or not at all."""
    marker = Path(directory) / FETCHED_DAYS
    known: set[str] = set()
    if marker.is_file():
        try:
            known = set(json.loads(marker.read_text(encoding="utf-8")))
        except (ValueError, TypeError):
            known = set()  # unreadable: the days fetched now are listed afresh
    known |= {day.isoformat() for day in days}
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_name(f".{marker.name}.partial")
    partial.write_text(json.dumps(sorted(known)) + "\n", encoding="utf-8")
    os.replace(partial, marker)


def download(
    s3: Any,
    bucket: str,
    prefixes: Sequence[str],
    directory: Path,
    progress: Progress | None = None,
    report: DownloadReport | None = None,
) -> DownloadReport:
    """Copy the objects under ``prefixes`` to ``directory``/<key>; a file already there with the object's size is kept.

    A key that would land outside the directory is refused, one that cannot be written where it belongs is skipped
    (both named in ``report``, which a caller can pass in to see them when a later object fails); the others are
    copied all the same."""
    root = prepare_directory(directory)
    report = report or DownloadReport(list(prefixes))
    try:
        entries = list_objects(s3, bucket, prefixes, progress)
        paths = {}
        for entry in entries:
            path = (root / entry["Key"]).resolve()
            if path.is_relative_to(root):
                paths.setdefault(path, entry["Key"])
        taken = _folders_taken(root, paths)
        for entry in entries:
            key, size = entry["Key"], entry["Size"]
            path = (root / key).resolve()
            if not path.is_relative_to(root):
                report.refused.append(key)
                continue
            if key in taken:
                report.skipped.append((key, f"the object {taken[key]!r} is a file where this key needs a folder"))
                continue
            if path.is_file() and path.stat().st_size == size:
                report.present += 1
                report.present_bytes += size
                continue
            try:
                fetch_object(s3, bucket, key, path)
            except Unwritable as unwritable:
                report.skipped.append((key, str(unwritable)))
                continue
            report.downloaded += 1
            report.downloaded_bytes += size
            if progress:
                progress.update(f"downloaded {report.downloaded} objects, {format_bytes(report.downloaded_bytes)}")
    finally:
        if progress:
            progress.clear()
    return report


class Unwritable(Exception):
    """The object's path is taken: a file where a folder is needed, or a folder where the file goes."""


_TAKEN = {errno.ENOTDIR, errno.EEXIST, errno.EISDIR}


def fetch_object(s3: Any, bucket: str, key: str, path: Path) -> None:
    """Copy one object to ``path``, whole or not at all."""
    # Written beside the target and renamed, so an interrupted run never leaves a truncated object.
    partial = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(partial))
        os.replace(partial, path)
    except ClientError as error:
        # HeadObject, which the transfer starts with, has no error body: a denial is a bare 403.
        if error_code(error) in {"403", "AccessDenied"}:
            raise SeslogError(
                f"access denied reading s3://{bucket}/{key}: reading the event objects needs s3:GetObject on the bucket "
                "and kms:Decrypt on the stack's KMS key, which encrypts them"
            ) from None
        raise
    except OSError as error:
        if error.errno in _TAKEN:
            raise Unwritable(f"cannot write {path}: {error.strerror or error}") from None
        raise SeslogError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        # Never masks what went wrong: with a file where the folder should be, there is no partial copy to remove.
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
