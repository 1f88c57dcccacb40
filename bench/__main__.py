"""``python -m bench [--scale MESSAGES] [--out DIR]``: write every layout, measure, report."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.layouts import BASELINE, DEFAULT_LAYOUTS, EXTRA_LAYOUTS, LAYOUTS
from bench.report import write
from bench.run import REFERENCE, Scale, run

RESULTS = Path(__file__).resolve().parent / "results"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


def _layouts(text: str) -> tuple[str, ...]:
    if text == "all":
        return tuple(LAYOUTS)
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in LAYOUTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown)}: no such layout; the layouts: {', '.join(LAYOUTS)}")
    missing = [n for n in (BASELINE, REFERENCE) if n not in names]
    if missing:
        raise argparse.ArgumentTypeError(f"the layouts must include {' and '.join(missing)}, which the others are compared with")
    return names


def parser() -> argparse.ArgumentParser:
    defaults = Scale()
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Which format and partitioning to choose: write a generated SES event stream in every layout, measure the bytes "
        "each investigation reads and time it with DuckDB; print one table and write it as Markdown and CSV.",
    )
    p.add_argument(
        "--scale",
        type=_positive,
        default=defaults.messages,
        metavar="MESSAGES",
        help="messages sent (default %(default)s, about 4.4 events each)",
    )
    p.add_argument("--days", type=_positive, default=defaults.days, help="days they are sent over (default %(default)s)")
    p.add_argument("--recipients", type=_positive, default=None, help="addresses they go to (default a quarter of --scale)")
    p.add_argument("--seed", type=int, default=defaults.seed, help="generator seed (default %(default)s)")
    p.add_argument(
        "--runs", type=_positive, default=3, help="timed runs of each query; the median is reported (default %(default)s)"
    )
    p.add_argument(
        "--layouts",
        type=_layouts,
        default=DEFAULT_LAYOUTS,
        metavar="NAMES",
        help=f"layouts to write, comma-separated, or all (default all but {', '.join(EXTRA_LAYOUTS)}); "
        f"they must include {BASELINE} and {REFERENCE}",
    )
    p.add_argument(
        "--no-timing", dest="timing", action="store_false", help="measure bytes only; do not time the queries with DuckDB"
    )
    p.add_argument(
        "--out", type=Path, default=RESULTS, help="where results.md, results.csv and costs.csv go (default bench/results)"
    )
    p.add_argument(
        "--work", type=Path, default=None, help="directory for the layouts, kept afterwards (default a temporary one, removed)"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    scale = Scale(messages=args.scale, days=args.days, recipients=args.recipients or max(args.scale // 4, 100), seed=args.seed)
    work = args.work or Path(tempfile.mkdtemp(prefix="ses-event-log-bench-"))
    if args.work and args.work.exists() and any(args.work.iterdir()):
        sys.stderr.write(f"python -m bench: error: {args.work} is not empty\n")
        return 2
    started = time.perf_counter()
    try:
        results = run(
            scale,
            work,
            names=args.layouts,
            timing=args.timing,
            runs=args.runs,
            progress=lambda message: sys.stderr.write(f"bench: {message}\n"),
        )
        paths = write(results, args.out)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    sys.stderr.write(f"bench: wrote {', '.join(str(p) for p in paths.values())} in {time.perf_counter() - started:,.0f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
