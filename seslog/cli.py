"""The ``seslog`` command line: argument parsing, and every failure turned into one line on stderr.

A command is a function of the parsed arguments returning the exit code. A command that runs
a named query needs only its own arguments and rendering on top of what is here::

    def _find(args):
        target = query_target(args)  # a LocalTarget goes to the local DuckDB engine instead
        sql, values = ...  # the named query rendered for target.partitioning and target.table, its values in ``?`` order
        print_result(athena(target, args.timeout).run(sql, values))
        return 0

    add_query_parser(commands, "find", "every message to an address", _find).add_argument("--to", type=email_address, required=True)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from eventlog.costs import PRICES, Usage, monthly_cost
from eventlog.formats import FORMATS
from eventlog.partitioning import SCHEMES
from seslog.arguments import add_time_range_arguments, email_address, positive_int, positive_number, size, time_range
from seslog.athena import DEFAULT_TIMEOUT_SECONDS, Athena, AthenaResult
from seslog.aws import client
from seslog.download import download, partition_prefixes
from seslog.errors import SeslogError, describe_aws_error
from seslog.output import format_bytes, print_table
from seslog.progress import Progress
from seslog.smoke import run_smoke_test
from seslog.target import LocalTarget, StackTarget, add_local_argument, add_stack_arguments, select_target, stack_target

QUERY_NEEDS = ("workgroup", "database", "table", "partitioning")
"""Stack values every Athena query needs: where to run, what to read, how it is partitioned."""

Command = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line instead of argparse's usage block; --help still shows the usage.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_query_parser(commands: argparse._SubParsersAction, name: str, help: str, run: Command) -> argparse.ArgumentParser:
    """A command that runs a query on the stack's Athena or, with ``--local DIR``, on a local directory."""
    parser = commands.add_parser(name, help=help, description=help)
    add_local_argument(parser)
    add_stack_arguments(parser, [*QUERY_NEEDS, "region"])
    parser.add_argument("--timeout", type=positive_number, default=DEFAULT_TIMEOUT_SECONDS, help="seconds to wait for Athena (default %(default)g)")
    parser.set_defaults(run=run)
    return parser


def query_target(args: argparse.Namespace) -> StackTarget | LocalTarget:
    return select_target(args, QUERY_NEEDS)


def athena(target: StackTarget, timeout: float) -> Athena:
    assert target.workgroup and target.database
    return Athena(client("athena", target.region), workgroup=target.workgroup, database=target.database, timeout=timeout, progress=Progress(sys.stderr))


def print_result(result: AthenaResult) -> None:
    """Rows on stdout; what the query scanned and cost on stderr, so that stdout stays data."""
    print_table(result.columns, result.rows, sys.stdout)
    sys.stderr.write(result.summary() + "\n")


def _download(args: argparse.Namespace) -> int:
    span = time_range(args)
    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise SeslogError(f"{directory} exists and is not a directory")
    target = stack_target(args, ["bucket", "partitioning"])
    assert target.bucket and target.partitioning
    prefixes = partition_prefixes(SCHEMES[target.partitioning], span.days(), target.data_prefix)
    report = download(client("s3", target.region), target.bucket, prefixes, directory, Progress(sys.stderr))
    for key in report.refused:
        sys.stderr.write(f"seslog: refused {key!r}: it would be written outside {directory}\n")
    if report.downloaded + report.present == 0:
        print(f"no objects arrived {span.describe()} under s3://{target.bucket}/{target.data_prefix} ({target.partitioning} partitioning)")
    else:
        print(report.summary(target.bucket, directory))
    return 0


def _smoke_test(args: argparse.Namespace) -> int:
    sender = args.sender or os.environ.get("SESLOG_SENDER")
    if not sender:
        raise SeslogError("smoke-test needs a verified SES sender identity: pass --from ADDRESS or set SESLOG_SENDER", exit_code=2)
    try:
        sender = email_address(sender)
    except argparse.ArgumentTypeError as error:
        raise SeslogError(f"sender {error}", exit_code=2) from None
    target = stack_target(args, ["bucket", "configuration_set", "partitioning"])
    return run_smoke_test(
        ses=client("sesv2", target.region),
        s3=client("s3", target.region),
        target=target,
        sender=sender,
        timeout=args.timeout,
        out=sys.stdout,
        err=sys.stderr,
        progress=Progress(sys.stderr),
    )


_USAGE_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Usage)}
_COST_OPTIONS = {
    "events_per_email": "events_per_email",
    "format": "format",
    "partitioning": "partitioning",
    "retention_days": "retention_days",
    "queries_per_month": "queries_per_month",
    "bytes_per_query": "bytes_scanned_per_query",
}
"""Command-line destination -> ``Usage`` field; options left out keep the field's default."""


def _cost(args: argparse.Namespace) -> int:
    given = {field: getattr(args, dest) for dest, field in _COST_OPTIONS.items() if getattr(args, dest) is not None}
    usage = Usage(emails_per_day=args.emails_per_day, **given)
    cost = monthly_cost(usage)
    print(
        f"Monthly cost for {usage.emails_per_day:,.0f} emails a day with {usage.events_per_email:g} events each, "
        f"{usage.format} objects, {usage.partitioning} partitioning, {usage.retention_days} days kept, "
        f"{usage.queries_per_month:g} Athena queries a month of {format_bytes(usage.bytes_scanned_per_query)} each:"
    )
    print_table(["item", "usd"], [{"item": item, "usd": f"{value:,.2f}"} for item, value in cost.rows()], sys.stdout, right=["usd"])
    print(f"Prices as of {PRICES.as_of}: {PRICES.source}.")
    return 0


def build_parser() -> Parser:
    parser = Parser(prog="seslog", description="What happened to the mail SES sent: the event log of a ses-event-log stack.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    fetch = commands.add_parser(
        "download",
        help="copy a time range of event objects from the bucket to a directory",
        description="Copy the event objects that arrived in a time range (whole UTC days) from the stack's bucket to DIR, "
        "keeping their keys, so that `--local DIR` can query them offline. Objects already in DIR with the same size are skipped.",
    )
    fetch.add_argument("directory", metavar="DIR")
    add_time_range_arguments(fetch, default_since="1d")
    add_stack_arguments(fetch, ["bucket", "data_prefix", "partitioning", "region"])
    fetch.set_defaults(run=_download)

    smoke = commands.add_parser(
        "smoke-test",
        help="send to the SES mailbox simulator and check that the events reach the bucket",
        description="Send one email to each SES mailbox simulator address through the stack's configuration set, "
        "wait until the expected events are in the bucket, and print a pass/fail table (exit code 0 when all pass).",
    )
    smoke.add_argument("--from", dest="sender", metavar="ADDRESS", help="verified SES sender identity (env SESLOG_SENDER)")
    smoke.add_argument("--timeout", type=positive_number, default=600.0, help="seconds to wait for the events (default %(default)g)")
    add_stack_arguments(smoke, ["bucket", "data_prefix", "configuration_set", "partitioning", "region"])
    smoke.set_defaults(run=_smoke_test)

    cost = commands.add_parser(
        "cost",
        help="estimate what a pipeline costs a month",
        description="Estimate the monthly cost of Firehose, S3 and Athena for a sending volume, from the dated price table.",
    )
    cost.add_argument("--emails-per-day", type=positive_number, required=True, metavar="N")
    cost.add_argument("--events-per-email", type=positive_number, metavar="K", help=f"default {_USAGE_DEFAULTS['events_per_email']:g}")
    cost.add_argument("--format", choices=tuple(FORMATS), help=f"default {_USAGE_DEFAULTS['format']}")
    cost.add_argument("--partitioning", choices=tuple(SCHEMES), help=f"default {_USAGE_DEFAULTS['partitioning']}")
    cost.add_argument("--retention-days", type=positive_int, metavar="D", help=f"default {_USAGE_DEFAULTS['retention_days']}")
    cost.add_argument("--queries-per-month", type=positive_number, metavar="Q", help=f"default {_USAGE_DEFAULTS['queries_per_month']:g}")
    cost.add_argument(
        "--bytes-per-query",
        type=size,
        metavar="B",
        help=f"bytes an Athena query scans, e.g. 100MB (default {format_bytes(_USAGE_DEFAULTS['bytes_scanned_per_query'])})",
    )
    cost.set_defaults(run=_cost)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else 2
    try:
        return args.run(args)
    except SeslogError as error:
        sys.stderr.write(f"seslog: {error}\n")
        return error.exit_code
    except (BotoCoreError, ClientError) as error:
        sys.stderr.write(f"seslog: {describe_aws_error(error)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("seslog: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`seslog ... | head`): point stdout at /dev/null so the exit stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
