"""Data sets the test files share, written once per run whichever pytest-xdist worker asks first."""

import fcntl
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from seslog.eventlog.layout import LayoutWriter, StreamSettings, write_layouts


def shared_directory(tmp_path_factory: pytest.TempPathFactory, name: str, write: Callable[[Path], None]) -> Path:
    """A directory ``write`` fills once for the whole run: under pytest-xdist the first worker to ask
    writes it while the others wait, then all read it. It appears whole (written aside, then renamed),
    and must not be changed by the tests that read it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's directory, above the workers' own
    target = base / f"shared-{name}"
    with open(base / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_dir():
            partial = base / f"shared-{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            write(partial)
            partial.rename(target)
    return target


def shared_layouts(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    records: Iterable[tuple[datetime, Mapping[str, Any]]],
    layouts: Sequence[tuple[str, str, str]],
    stream: StreamSettings,
) -> dict[str, Path]:
    """``(arrival, record)`` pairs written once per run in each (format, scheme, compression) of ``layouts``, as
    one stream would: the layouts' roots by ``format-scheme``."""

    def write(root: Path) -> None:
        write_layouts(
            records,
            [LayoutWriter(root / f"{f}-{s}", format=f, partitioning=s, compression=c, stream=stream) for f, s, c in layouts],
        )

    root = shared_directory(tmp_path_factory, name, write)
    return {f"{f}-{s}": root / f"{f}-{s}" for f, s, _ in layouts}
