"""Questions being answered for the page: each runs once, however many requests ask it, and only a few at a time.

A page asks ``Jobs.ask(key, work)``: the first request for a key queues ``work`` and every later one
(a reload, a second tab) gets the same job, queued, running or done, until it is older than
``keep_seconds``. So an Athena query that takes a minute is started once, and the page can say that
it is waiting or running, and what it has scanned so far, instead of hanging. At most ``workers``
questions run at once (each holds a thread and, on Athena, a query billed to the user); up to
``waiting`` more wait their turn, and beyond that ``ask`` refuses with ``Busy``. Finished jobs are
dropped once older than ``keep_seconds``, and at most ``kept`` of them are kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

WORKERS = 2
"""Questions answered at once by default: the machine's DuckDB or the account's Athena queries in flight."""
WAITING = 16
"""Questions that may wait for a worker by default; more are refused (503) until some are answered."""
KEEP_SECONDS = 300.0
KEPT = 64


class Busy(Exception):
    """Too many questions are waiting: ask again later."""


@dataclass
class Job:
    started: float
    status: str = "waiting for an earlier question to finish"
    """The latest progress line (Athena's state and bytes scanned, DuckDB's share read)."""
    result: Any = None
    error: BaseException | None = None
    costs: list[str] = field(default_factory=list)
    """What answering cost: Athena's scanned bytes and price, one line per query."""
    done: threading.Event = field(default_factory=threading.Event)
    finished: float | None = None
    asking: str = ""
    """What is being looked up, in words, for the page that says it is waiting or running."""

    def update(self, text: str, completed: float | None = None, total: float | None = None) -> None:
        """The ``seslog.progress.Progress`` interface, so that engines report into the job."""
        self.status = f"{text} ({completed / total:.0%})" if completed is not None and total else text

    def clear(self) -> None:
        pass

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class Jobs:
    def __init__(self, workers: int = WORKERS, waiting: int = WAITING, keep_seconds: float = KEEP_SECONDS, kept: int = KEPT):
        self._limit = workers + waiting
        self._keep = keep_seconds
        self._kept = kept
        self._jobs: dict[Hashable, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seslog-job")

    def ask(self, key: Hashable, work: Callable[[Job], Any]) -> Job:
        """The job for ``key``: the one waiting, running or recently done, else a new one that runs ``work(job)``
        when a worker is free. Raises ``Busy`` when too many are waiting already."""
        with self._lock:
            self._forget()
            job = self._jobs.get(key)
            if job is not None:
                return job
            if self.unfinished >= self._limit:
                raise Busy()
            job = self._jobs[key] = Job(started=time.monotonic())

        def run() -> None:
            job.status = "starting"
            try:
                job.result = work(job)
            except BaseException as error:  # noqa: BLE001 - kept for the page, which shows it
                job.error = error
            finally:
                job.finished = time.monotonic()
                job.done.set()

        self._pool.submit(run)
        return job

    @property
    def unfinished(self) -> int:
        return sum(1 for job in self._jobs.values() if not job.done.is_set())

    def __len__(self) -> int:
        return len(self._jobs)

    def _forget(self) -> None:
        """Drops finished jobs older than the keep time, then the oldest finished ones past ``kept``."""
        now = time.monotonic()
        finished = sorted(
            ((key, job) for key, job in self._jobs.items() if job.finished is not None), key=lambda item: item[1].finished
        )
        for number, (key, job) in enumerate(finished):
            if now - job.finished > self._keep or number < len(finished) - self._kept:
                del self._jobs[key]
