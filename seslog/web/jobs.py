"""Questions being answered for the page: each runs once in a thread, however many requests ask it.

A page asks ``Jobs.ask(key, work)``: the first request for a key starts ``work`` in a thread and
every later one (a reload, a second tab) gets the same job, running or done, until it is older
than ``keep_seconds``. So an Athena query that takes a minute is started once, and the page can
say that it is running, and what it has scanned so far, instead of hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    started: float
    status: str = "starting"
    """The latest progress line (Athena's state and bytes scanned, DuckDB's share read)."""
    result: Any = None
    error: BaseException | None = None
    costs: list[str] = field(default_factory=list)
    """What answering cost: Athena's scanned bytes and price, one line per query."""
    done: threading.Event = field(default_factory=threading.Event)

    def update(self, text: str, completed: float | None = None, total: float | None = None) -> None:
        """The ``seslog.progress.Progress`` interface, so that engines report into the job."""
        self.status = f"{text} ({completed / total:.0%})" if completed is not None and total else text

    def clear(self) -> None:
        pass

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class Jobs:
    def __init__(self, keep_seconds: float = 300.0):
        self._keep = keep_seconds
        self._jobs: dict[Hashable, Job] = {}
        self._lock = threading.Lock()

    def ask(self, key: Hashable, work: Callable[[Job], Any]) -> Job:
        """The job for ``key``: the one running or recently done, else a new one running ``work(job)``."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not (job.done.is_set() and job.elapsed > self._keep):
                return job
            job = self._jobs[key] = Job(started=time.monotonic())

        def run() -> None:
            try:
                job.result = work(job)
            except BaseException as error:  # noqa: BLE001 - kept for the page, which shows it
                job.error = error
            finally:
                job.done.set()

        threading.Thread(target=run, daemon=True, name=f"seslog-job-{len(self._jobs)}").start()
        return job
