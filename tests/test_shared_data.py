"""The data sets test files share are written once per run, however many workers ask at once."""

import multiprocessing
import os
import time
from pathlib import Path

from tests.shared_data import shared_directory


class _Run:
    """What shared_directory takes of pytest's TempPathFactory: a worker's own directory within the run's."""

    def __init__(self, run: Path, worker: str):
        self.base = run / f"popen-{worker}"
        self.base.mkdir(parents=True, exist_ok=True)

    def getbasetemp(self) -> Path:
        return self.base


def _ask(run: Path, worker: str, answers) -> None:
    os.environ["PYTEST_XDIST_WORKER"] = worker

    def write(directory: Path) -> None:
        with open(run / "writes", "a") as writes:
            writes.write(f"{worker}\n")
        (directory / "half").write_text("written")
        time.sleep(0.5)  # the other worker asks meanwhile
        (directory / "whole").write_text("written")

    target = shared_directory(_Run(run, worker), "data", write)
    answers.put((str(target), sorted(p.name for p in target.iterdir())))


def test_workers_asking_at_once_get_one_directory_written_once_and_whole(tmp_path):
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    workers = [context.Process(target=_ask, args=(tmp_path, f"gw{n}", answers)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    seen = [answers.get(timeout=5) for _ in workers]
    assert seen == [(str(tmp_path / "shared-data"), ["half", "whole"])] * 3
    assert len((tmp_path / "writes").read_text().splitlines()) == 1
