"""Where a named query (``seslog/eventlog/queries``) runs: the stack's Athena or a local directory.

Both give the same rows (dicts by column, counts as ints), so every command prints alike
whichever target it ran on. Athena gets the query rendered for the stack's table and
partitioning with its values as execution parameters; a local directory goes to DuckDB
(``seslog.eventlog.local``), which reads the format and partitioning from the objects themselves.
"""

from __future__ import annotations

import signal
import struct
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from seslog.athena import Athena, AthenaResult
from seslog.compaction.reading import ATHENA_QUERY_LIMIT, BucketCompaction, Split, athena_sql, compacted_files, objects_view
from seslog.compaction.tables import ANSWERED, Answered
from seslog.errors import SeslogError, one_line
from seslog.eventlog.partitioning import scheme_of
from seslog.eventlog.prefixes import COGNITO_PREFIX, DATA_PREFIX
from seslog.eventlog.queries import QUERIES, QueryError, RenderedQuery, message_arrival_days
from seslog.extras import missing_extra
from seslog.progress import Progress
from seslog.records import UnreadableObject, decode, object_format

T = TypeVar("T")
Row = dict[str, Any]


class Engine(Protocol):
    def run(self, query: str, values: Mapping[str, str]) -> list[Row]:
        """The rows of the named query ``query`` for ``values``."""
        ...

    def report(self, err: TextIO) -> None:
        """What running the queries cost, if anything (on stderr, so that stdout stays data)."""
        ...

    def missing_days(self, days: Sequence[date]) -> list[date]:
        """Those of ``days`` whose events the engine does not hold (a local copy that lacks them)."""
        ...

    def fetch_command(self, first: date, last: date) -> str | None:
        """The command that fetches the days ``first`` to ``last`` it lacks, if it can lack any."""
        ...

    def compaction_split(self) -> dict[str, Any] | None:
        """Where the answers the compacted tables gave came from (None: none did), for ``--json``."""
        ...


def cognito_rows(engine: Engine, values: Mapping[str, str]) -> list[Row] | None:
    """The rows of Cognito's error log for the days in ``values`` (``seslog.cognito.reading.QUERY``); None when the
    engine's stack or copy does not collect it."""
    rows = getattr(engine, "cognito_rows", None)
    return rows(values) if rows else None


def _cognito_values(values: Mapping[str, str]) -> dict[str, str]:
    from seslog.cognito.reading import QUERY

    try:
        return QUERY.check(values)
    except QueryError as error:
        raise SeslogError(str(error), exit_code=2) from None


def describe_split(split: Mapping[str, Any]) -> str:
    """One line on where the answers of the compacted tables came from."""
    answers = split["answers"]
    raw_only = [a["raw_only"] for a in answers if a["raw_only"]]
    compacted = [a for a in answers if not a["raw_only"]]
    parts = []
    if compacted:
        files = sum(a["compacted_files"] for a in compacted)
        pending = max(a["objects_not_compacted"] for a in compacted)
        through = f" (compacted through {split['through']})" if split.get("through") else ""
        plural = "s" if len(compacted) != 1 else ""
        parts.append(
            f"{len(compacted)} answer{plural} from {files:,} compacted files and {pending:,} objects not compacted yet{through}"
        )
    if raw_only:
        parts.append(f"{len(raw_only)} from the raw table alone: {raw_only[0]}")
    return "seslog: " + "; ".join(parts)


def missing_days(engine: Engine, days: Sequence[date]) -> list[date]:
    """``engine.missing_days``, nothing for an engine that does not say (it holds every day)."""
    missing = getattr(engine, "missing_days", None)
    return list(missing(days)) if missing else []


def _checked(query: str, values: Mapping[str, str]) -> dict[str, str]:
    try:
        return QUERIES[query].check(values)
    except QueryError as error:
        raise SeslogError(str(error), exit_code=2) from None


_NOTHING = object()


class AthenaEngine:
    def __init__(
        self,
        athena: Athena,
        *,
        partitioning: str,
        table: str,
        cognito_table: str | None = None,
        compaction: BucketCompaction | None = None,
    ):
        self.athena = athena
        self.partitioning = partitioning
        self.table = table
        self.cognito_table = cognito_table
        """The stack's table of Cognito's error log (output cognitoErrorTable), when it collects one."""
        self.compaction = compaction
        """The stack's compacted tables (output compactionFunction), when it compacts."""
        self.results: list[AthenaResult] = []

    def run(self, query: str, values: Mapping[str, str]) -> list[Row]:
        checked = _checked(query, values)
        answered = ANSWERED.get(query) if self.compaction is not None else None
        rendered = QUERIES[query].render(self.partitioning, self.table, dialect="athena")
        if answered is not None:
            union = self._union(query, answered, checked)
            if union is _NOTHING:
                return []
            if union is not None:
                rendered = union
        result = self.athena.run(rendered.sql, rendered.execution_parameters(checked))
        self.results.append(result)
        return result.rows

    def _union(self, query: str, answered: Answered, checked: Mapping[str, str]) -> RenderedQuery | object | None:
        """The query over the compacted files for the key and the objects not compacted yet; None when the raw
        table answers alone (said in the split); ``_NOTHING`` when neither holds a row of the key."""
        assert self.compaction is not None
        split = Split()
        self.compaction.splits.append(split)
        manifest = self.compaction.manifest()
        if manifest is None or manifest.through is None:
            split.raw_only = "nothing is compacted yet"
            return None
        first, last = date.fromisoformat(checked["from_date"]), date.fromisoformat(checked["to_date"])
        scheme = scheme_of(self.partitioning)
        files = compacted_files(
            manifest, answered, checked[answered.parameter], first, last, message_arrival_days(scheme, first, last)
        )
        pending = self.compaction.pending(first, last)
        split.compacted_files, split.objects_not_compacted = len(files), len(pending)
        raw = None
        if pending:
            view = objects_view(self.table, [self.compaction.uri(DATA_PREFIX + key) for key in pending])
            raw_query = QUERIES[query].render(scheme, view, dialect="athena")
            raw = (raw_query.sql, raw_query.placeholders)
        elif not files:
            return _NOTHING  # no compacted file of its bucket and send days, no object left: no row
        union = athena_sql(
            answered,
            table=answered.table.glue_name,
            value=checked[answered.parameter],
            raw=raw,
            files=[self.compaction.uri(f) for f in files],
        )
        if len(union.sql.encode()) > ATHENA_QUERY_LIMIT:
            split.raw_only = f"{len(pending):,} objects are not compacted yet, too many to name in one query"
            return None
        return RenderedQuery(query, "athena", union.sql, union.placeholders)

    def compaction_split(self) -> dict[str, Any] | None:
        """Where the answers came from, when the stack compacts: for ``--json``."""
        if self.compaction is None or not self.compaction.splits:
            return None
        manifest = self.compaction.manifest()
        return {"through": manifest.through if manifest else None, "answers": [s.to_json() for s in self.compaction.splits]}

    def cognito_rows(self, values: Mapping[str, str]) -> list[Row] | None:
        if not self.cognito_table:
            return None
        from seslog.cognito.log import SCHEME
        from seslog.cognito.reading import QUERY

        rendered = QUERY.render(SCHEME, self.cognito_table, dialect="athena")
        result = self.athena.run(rendered.sql, rendered.execution_parameters(_cognito_values(values)))
        self.results.append(result)
        return result.rows

    def report(self, err: TextIO) -> None:
        err.writelines(result.summary() + "\n" for result in self.results)
        split = self.compaction_split()
        if split is not None:
            err.write(describe_split(split) + "\n")

    def missing_days(self, days: Sequence[date]) -> list[date]:
        return []  # Athena reads the bucket, which holds every day it keeps

    def fetch_command(self, first: date, last: date) -> str | None:
        return None


STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals that stop a local query: Ctrl-C, and what a service manager, ``kill`` or a closed terminal sends."""

PROGRESS_SECONDS = 0.1
"""How often a running local query's progress is read and shown."""


class LocalEngine:
    """DuckDB over ``directory``, laid out as the bucket (``seslog download``, ``seslog demo-data``)."""

    def __init__(self, directory: Path, progress: Progress | None = None):
        self.directory = Path(directory)
        self._progress = progress
        try:
            import duckdb
            import pyarrow as pa

            from seslog.eventlog.local import ForeignObjectError, LayoutError, LocalEvents, MalformedRecord
        except ImportError as error:
            raise missing_extra("--local", error) from None
        self._duckdb = duckdb
        # What reading a damaged object raises: gzip (OSError, EOFError), Snappy framing
        # (struct.error), pyarrow (ArrowException, a ValueError or OSError for some), JSON (ValueError).
        self._read_errors = (duckdb.Error, OSError, EOFError, ValueError, struct.error, pa.ArrowException)
        self._malformed = (MalformedRecord, ForeignObjectError)
        try:
            self.events = LocalEvents(self.directory)
        except LayoutError as error:
            raise SeslogError(
                f"--local {self.directory}: {error} (DIR is laid out as the bucket, as `seslog download` writes it)"
            ) from None
        except self._malformed as error:
            raise SeslogError(f"--local {self.directory}: {error}") from None
        except self._read_errors as error:
            raise self._unreadable(error) from None

    def missing_days(self, days: Sequence[date]) -> list[date]:
        return self.events.missing_days(days)

    def fetch_command(self, first: date, last: date) -> str | None:
        return f"seslog download --from {first} --until {last} {self.directory}"

    def run(self, query: str, values: Mapping[str, str]) -> list[Row]:
        checked = _checked(query, values)
        return self._guarded(lambda: self._watched(lambda: self.events.run(query, checked).records()), self._unreadable)

    def cognito_rows(self, values: Mapping[str, str]) -> list[Row] | None:
        from seslog.cognito.reading import run_local

        checked = _cognito_values(values)

        def unreadable(error: Exception) -> SeslogError:
            return SeslogError(
                f"--local {self.directory}: cannot read Cognito's error log under {COGNITO_PREFIX}: {one_line(error)}"
            )

        return self._guarded(lambda: run_local(self.directory, checked), unreadable)

    def _guarded(self, work: Callable[[], T], unreadable: Callable[[Exception], SeslogError]) -> T:
        """``work()`` on the copy, interruptible, its errors said in one line: a malformed object named, a read that
        fails as ``unreadable`` says, Ctrl-C as KeyboardInterrupt."""
        try:
            return self._interruptible(work)
        except self._malformed as error:
            raise SeslogError(f"--local {self.directory}: {error}") from None
        except (self._duckdb.InterruptException, RuntimeError) as error:
            # Ctrl-C during a query: DuckDB stops it and raises "Query interrupted" as a RuntimeError.
            if isinstance(error, RuntimeError) and str(error) != "Query interrupted":
                raise
            raise KeyboardInterrupt from None
        except self._read_errors as error:
            raise unreadable(error) from None

    def _interruptible(self, work: Callable[[], T]) -> T:
        """``work()``, Ctrl-C (and SIGTERM, SIGHUP) also telling the view to stop: DuckDB stops its own scans, but waits
        for the end of a scan of Python's (the ORC objects) before it raises."""
        if threading.current_thread() is not threading.main_thread():
            return work()
        previous = {number: signal.getsignal(number) for number in STOPPING_SIGNALS}

        def interrupted(number: int, frame: object) -> None:
            self.events.interrupt()
            handler = previous[number]
            if callable(handler):
                handler(number, frame)  # the command line's: it raises, naming the signal
            raise KeyboardInterrupt

        for number in previous:
            signal.signal(number, interrupted)
        try:
            return work()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _watched(self, work: Callable[[], list[Row]]) -> list[Row]:
        """``work()``, its progress shown from another thread while it runs (what DuckDB's
        ``query_progress`` is for). The query runs in this, the main thread, so that Ctrl-C reaches
        DuckDB, which stops the query and raises ``InterruptException``."""
        if not self._progress:
            return work()
        progress, connection, stop = self._progress, self.events.connection, threading.Event()

        def watch() -> None:
            while not stop.wait(PROGRESS_SECONDS):
                done = connection.query_progress()
                if done >= 0:
                    progress.update(f"DuckDB: reading {self.events.objects:,} objects", completed=done, total=100)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            return work()
        finally:
            stop.set()
            watcher.join()
            progress.clear()

    def report(self, err: TextIO) -> None:
        """The files under ``events/`` that are no event object, skipped: one line naming the first few; and the
        answers the compacted tables gave, with how much of the copy is not compacted yet."""
        skipped = self.events.skipped
        if skipped:
            names = ", ".join(skipped[:3]) + (f" and {len(skipped) - 3:,} more" if len(skipped) > 3 else "")
            files = "file" if len(skipped) == 1 else "files"
            what = "is not an event object" if len(skipped) == 1 else "are not event objects"
            err.write(f"seslog: skipped {len(skipped):,} {files} under {self.events.data} that {what}: {names}\n")
        split = self.compaction_split()
        if split is not None:
            err.write(describe_split(split) + "\n")

    def compaction_split(self) -> dict[str, Any] | None:
        """Where the answers the compacted tables give came from: for ``--json``."""
        reads = self.events.compacted_reads
        if not reads:
            return None
        manifest = self.events.compaction_manifest
        answers = [Split(files, rest).to_json() for files, rest in reads]
        return {"through": manifest.through if manifest else None, "answers": answers}

    def _unreadable(self, error: Exception) -> SeslogError:
        """The first object under the directory that cannot be read, named; else the engine's own words."""
        data = self.directory / DATA_PREFIX
        for path in sorted(p for p in data.rglob("*") if p.is_file()):
            key = path.relative_to(self.directory).as_posix()
            try:
                object_format(key)
            except UnreadableObject:
                continue  # not an event object: DuckDB does not read it either
            try:
                decode(key, path.read_bytes())
            except UnreadableObject as unreadable:
                return SeslogError(f"--local {self.directory}: {unreadable}; remove or re-download it")
        return SeslogError(f"--local {self.directory}: cannot read the events: {one_line(error)}")
