"""The compaction job's Lambda package: seslog's code with DuckDB, pyarrow and sqlglot, built for Lambda's Linux.

``python -m seslog.compaction.package build/compaction.zip`` (``make compaction-package``) installs the wheels of
Lambda's platform and Python (``RUNTIME``) at the versions installed here, the ones the tests ran, adds seslog, leaves
out what the job never loads, and writes a reproducible zip: the same inputs give the same bytes, so the stack's
preview shows no change to the function until the code or a version changes.

Lambda takes at most 250 MB unzipped, function and layers together (Lambda quotas): the build fails above
``UNZIPPED_LIMIT``. A zip over 50 MB cannot be uploaded directly; the stack puts it in its bucket.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

RUNTIME = "python3.11"
"""Lambda's runtime for the job: the Python the wheels are built for (and the tests run on)."""

ARCHITECTURE = "x86_64"
PLATFORMS = tuple(f"manylinux_2_{minor}_x86_64" for minor in range(34, 16, -1)) + ("manylinux2014_x86_64",)
"""The wheels Lambda's x86_64 Linux runs: Amazon Linux 2023 has glibc 2.34, so manylinux 2.17 to 2.34."""

HANDLER = "seslog.compaction.handler.handler"

REQUIREMENTS = ("duckdb", "pyarrow", "sqlglot")
"""What the job imports beyond the runtime's own boto3: DuckDB runs the queries' SQL, pyarrow reads ORC and writes
Parquet, sqlglot renders the queries for DuckDB."""

LEFT_OUT = (
    "pyarrow/tests/*",
    "pyarrow/include/*",
    "pyarrow/src/*",
    "pyarrow/*flight*",
    "pyarrow/*.pyx",
    "pyarrow/*.pxd",
    "pyarrow/*.pxi",
    "*/__pycache__/*",
    "seslog/web/*",
)
"""What the job never loads: pyarrow's tests, headers and Cython sources, Arrow Flight, bytecode (Lambda
compiles once per cold start), seslog's web page. (``pyarrow.lib`` loads Substrait's library: it stays.)"""

UNZIPPED_LIMIT = 262_144_000
"""Lambda's limit on a function's unzipped code and layers: 250 MB (Lambda quotas)."""

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "build" / "compaction.zip"
"""Where ``make compaction-package`` writes the package, and where the stack takes it from."""

_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The zip's timestamps: fixed, so that the same files give the same bytes."""


@dataclass(frozen=True)
class Package:
    path: Path
    unzipped_bytes: int
    files: int


def pinned() -> list[str]:
    """The requirements at the versions installed here."""
    return [f"{name}=={metadata.version(name)}" for name in REQUIREMENTS]


def _left_out(relative: str) -> bool:
    return any(fnmatch.fnmatch(relative, pattern) for pattern in LEFT_OUT)


def stage(
    directory: Path, *, python_version: str = RUNTIME.removeprefix("python"), platforms: tuple[str, ...] = PLATFORMS
) -> None:
    """The package's files under ``directory``: the wheels for ``platforms`` and ``python_version``, and seslog."""
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
        "--only-binary=:all:", "--implementation", "cp", "--python-version", python_version,
        *(option for platform in platforms for option in ("--platform", platform)), "--target", str(directory), *pinned(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"pip could not install {' '.join(pinned())} for Lambda's Linux: {done.stderr.strip()[-2000:]}")
    source = Path(__file__).resolve().parents[1]
    shutil.copytree(source, directory / "seslog", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in sorted(directory.rglob("*"), reverse=True):
        relative = path.relative_to(directory).as_posix()
        if path.is_file() and _left_out(relative):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def write_zip(directory: Path, out: Path) -> Package:
    """The files under ``directory`` as a reproducible zip at ``out``, written whole or not at all."""
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    unzipped = sum(p.stat().st_size for p in files)
    if unzipped > UNZIPPED_LIMIT:
        raise RuntimeError(
            f"the package would be {unzipped / 1e6:,.1f} MB unzipped: Lambda takes at most {UNZIPPED_LIMIT / 1e6:,.1f} MB"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), _EPOCH)
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=6)
    os.replace(partial, out)
    return Package(out, unzipped, len(files))


def build(out: Path, *, python_version: str = RUNTIME.removeprefix("python")) -> Package:
    with tempfile.TemporaryDirectory(prefix="compaction-package-") as work:
        stage(Path(work), python_version=python_version)
        return write_zip(Path(work), out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seslog.compaction.package", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_PATH, help=f"the zip to write (default {DEFAULT_PATH})")
    args = parser.parse_args(argv)
    try:
        package = build(args.out)
    except RuntimeError as error:
        print(f"seslog: {error}", file=sys.stderr)
        return 1
    print(
        f"{package.path}: {package.files:,} files, {package.unzipped_bytes / 1e6:,.1f} MB unzipped "
        f"(Lambda's limit {UNZIPPED_LIMIT / 1e6:,.1f} MB), {package.path.stat().st_size / 1e6:,.1f} MB zipped"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
