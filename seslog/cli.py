"""The ``seslog`` command line: argument parsing, and every failure turned into one line on stderr.

A command is a function of the parsed arguments returning the exit code. The investigation
commands (``find``, ``message``, ``stats``) run named queries on ``query_engine(args)``: the
stack's Athena, or with ``--local DIR`` DuckDB on a directory laid out as the bucket. Their rows
are alike on both, so each prints the same way whichever target answered; what Athena scanned
and cost goes to stderr, so that stdout stays data.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import math
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn, TextIO, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from seslog import __version__, answers, investigate, ses, why
from seslog.arguments import (
    MAX_DAYS,
    TimeRange,
    add_time_range_arguments,
    address_or_message_id,
    day,
    directory,
    email_address,
    message_id,
    port_number,
    positive_int,
    positive_number,
    size,
    time_range,
)
from seslog.athena import DEFAULT_TIMEOUT_SECONDS, Athena
from seslog.aws import client
from seslog.cognito import check as cognito
from seslog.cognito.log import SCHEME as COGNITO_SCHEME
from seslog.compaction.fetch import fetch_compacted
from seslog.demo import write_demo_data
from seslog.download import DownloadReport, download, fetch_object, partition_prefixes, record_fetched
from seslog.engine import AthenaEngine, Engine, LocalEngine
from seslog.errors import (
    RECEIVED,
    Interrupted,
    SeslogError,
    describe_aws_error,
    interrupted,
    interrupted_exit_code,
    one_line,
)
from seslog.eventlog.costs import PRICES, TB, Usage, monthly_cost
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.partitioning import SCHEMES
from seslog.eventlog.prefixes import COMPACT_PREFIX
from seslog.eventlog.queries import LOOKAHEAD_DAYS
from seslog.extras import missing_extra
from seslog.output import PARAGRAPH_WIDTH, format_bytes, print_table, terminal_width, wrap
from seslog.progress import Progress
from seslog.smoke import run_smoke_test
from seslog.target import (
    LocalTarget,
    StackTarget,
    add_local_argument,
    add_stack_arguments,
    local_target,
    select_target,
    stack_target,
)
from seslog.web.jobs import WORKERS
from seslog.window import message_range, target_scheme

MESSAGE_SINCE = "30d"
"""How far back a message is looked for when no range is given."""
QUERY_NEEDS = ("workgroup", "database", "table", "partitioning")
"""Stack values every Athena query needs: where to run, what to read, how it is partitioned."""

MESSAGE_ID_HELP = "SES message ID (SendEmail's MessageId, mail.messageId), or its header form <ID@email.amazonses.com>"
Command = Callable[[argparse.Namespace], int]
T = TypeVar("T")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line instead of argparse's usage block; --help still shows the usage.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """What every command that asks the event log takes: ``--local DIR`` or the stack's values, and Athena's timeout."""
    add_local_argument(parser)
    add_stack_arguments(parser, [*QUERY_NEEDS, "cognito_table", "compaction_function", "bucket", "retention_days", "region"])
    parser.add_argument(
        "--timeout",
        type=positive_number,
        default=DEFAULT_TIMEOUT_SECONDS,
        help="seconds to wait for Athena (default %(default)g)",
    )


def add_query_parser(
    commands: argparse._SubParsersAction, name: str, help: str, run: Command, description: str = ""
) -> argparse.ArgumentParser:
    """A command that runs named queries on the stack's Athena or, with ``--local DIR``, on a local directory."""
    parser = commands.add_parser(name, help=help, description=f"{help}. {description}".strip())
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of columns")
    parser.add_argument(
        "--wide", action="store_true", help="on a terminal, print long columns whole instead of cutting them to its width"
    )
    add_target_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def query_target(args: argparse.Namespace) -> StackTarget | LocalTarget:
    return select_target(args, QUERY_NEEDS)


def athena(target: StackTarget, timeout: float, progress: Progress | None) -> Athena:
    assert target.workgroup and target.database
    return Athena(
        client("athena", target.region), workgroup=target.workgroup, database=target.database, timeout=timeout, progress=progress
    )


def engine_for(target: StackTarget | LocalTarget, timeout: float, progress: Progress | None) -> Engine:
    """Athena in the stack's workgroup, rendering for its table and partitioning; DuckDB for a local directory."""
    if isinstance(target, LocalTarget):
        return LocalEngine(target.directory, progress)
    assert target.partitioning and target.table
    compaction = None
    if target.compaction_function and target.bucket:
        from seslog.compaction.reading import BucketCompaction
        from seslog.eventlog.partitioning import scheme_for, scheme_of

        retention = int(target.retention_days) if target.retention_days else None
        scheme = scheme_for(target.partitioning, retention) if retention else scheme_of(target.partitioning)
        compaction = BucketCompaction.of_bucket(client("s3", target.region), target.bucket, scheme, datetime.now(UTC))
    return AthenaEngine(
        athena(target, timeout, progress),
        partitioning=target.partitioning,
        table=target.table,
        cognito_table=target.cognito_table,
        compaction=compaction,
    )


def query_engine(args: argparse.Namespace, target: StackTarget | LocalTarget | None = None) -> Engine:
    """The engine the arguments select, showing its progress on stderr."""
    return engine_for(target or query_target(args), args.timeout, Progress(sys.stderr))


def checked_target(args: argparse.Namespace) -> StackTarget | LocalTarget:
    """The target, with an engine opened on it once, so that a bad directory or stack fails before a server starts."""
    target = query_target(args)
    engine_for(target, args.timeout, None)
    return target


def describe_target(target: StackTarget | LocalTarget) -> str:
    if isinstance(target, LocalTarget):
        return f"the local copy in {target.directory}"
    return (
        f"Athena workgroup {target.workgroup}, table {target.database}.{target.table} ({target.region or 'the default region'})"
    )


def width(args: argparse.Namespace) -> int | None:
    """The width stdout fits: the terminal's, or None when piped or with ``--wide``."""
    return None if getattr(args, "wide", False) else terminal_width(sys.stdout)


def _answer(
    args: argparse.Namespace,
    question: Callable[[Engine, TimeRange], answers.Answer],
    target: StackTarget | LocalTarget | None = None,
) -> int:
    """Ask ``question`` for the range the arguments select, on the target they select, and print the answer:
    the document with ``--json``, else for a person. What answering cost goes to stderr, answered or not;
    nothing found is exit code 1, with the (empty) document still on stdout for ``--json``."""
    span = time_range(args)
    engine = query_engine(args, target)
    try:
        answer = question(engine, span)
    finally:
        engine.report(sys.stderr)
    if args.json:
        split = engine.compaction_split()
        investigate.write_json({**answer.document, **({"compaction": split} if split else {})}, sys.stdout)
    elif answer.found or not answer.nothing:
        answer.show(sys.stdout, width(args))
    if answer.found:
        return 0
    if answer.nothing:
        raise SeslogError(answer.nothing)
    return 1


def _find(args: argparse.Namespace) -> int:
    return _answer(args, lambda engine, span: answers.find(engine, args.to, span))


def _message(args: argparse.Namespace) -> int:
    target = query_target(args)
    span = message_range(args, args.message_id, target, sys.stderr)
    return _answer(args, lambda engine, _: answers.message(engine, args.message_id, span), target)


def _stats(args: argparse.Namespace) -> int:
    return _answer(args, answers.stats)


def _why(args: argparse.Namespace) -> int:
    asked = args.target
    if asked.message_id:
        args.default_since = MESSAGE_SINCE
    target = query_target(args)
    chosen = message_range(args, asked.message_id, target, sys.stderr) if asked.message_id else None
    region = None if isinstance(target, LocalTarget) else target.region
    checks = _ses_checks(target, args.no_aws)
    return _answer(
        args,
        lambda engine, span: answers.explain(engine, asked, chosen or span, why.now_utc(), region=region, ask_ses=checks),
        target,
    )


def _ses_checks(target: StackTarget | LocalTarget, no_aws: bool = False) -> answers.SesChecks | None:
    if isinstance(target, LocalTarget) or no_aws:
        return None
    return lambda question: _ask_ses(question, target.region)


def _serve(args: argparse.Namespace) -> int:
    try:
        from seslog.web.app import LOCAL_MAX_DAYS, Site
        from seslog.web.server import LOOPBACK, serve
    except ImportError as error:
        raise missing_extra("serve", error, "web") from None
    target = checked_target(args)
    local = isinstance(target, LocalTarget)
    retention = None if local else target.retention_days
    site = Site(
        lambda progress: engine_for(target, args.timeout, progress),
        describe_target(target),
        target_scheme(target),
        max_days=LOCAL_MAX_DAYS if local else int(retention or MAX_DAYS),
        kept="a local copy, as seslog serve reads it," if local else ("the stack" if retention else "seslog"),
        workers=args.max_queries,
        log=sys.stderr,
    )
    try:
        serve(
            site,
            host=args.host or LOOPBACK,
            port=args.port,
            open_browser=args.open,
            out=sys.stdout,
            err=sys.stderr,
            allow_hosts=args.allow_host,
        )
    except OSError as error:
        raise SeslogError(f"cannot listen on {args.host or LOOPBACK}:{args.port}: {error.strerror or error}") from None
    return 0


def _mcp(args: argparse.Namespace) -> int:
    try:
        import mcp  # noqa: F401 - the SDK, which seslog.assistant imports where it builds the server

        from seslog.assistant import build
    except ImportError as error:
        raise missing_extra("mcp", error, "mcp") from None
    target = checked_target(args)
    region = None if isinstance(target, LocalTarget) else target.region
    server = build(
        lambda: engine_for(target, args.timeout, None),
        describe_target(target),
        _ses_checks(target),
        region,
        target_scheme(target),
    )
    server.run("stdio")
    return 0


def _ask_ses(question: answers.SesQuestion, region: str | None) -> list[ses.Finding]:
    """The read-only SES checks: the suppression list for an address, the sending identity after an authentication
    failure, the account either way."""
    sesv2 = client("sesv2", region)
    found = [ses.suppression(sesv2, question.spellings or (question.address,), region)] if question.address else []
    if question.identities:
        found.append(ses.identity(sesv2, question.identities, region))
    return [*found, ses.account(sesv2, region)]


def _check_cognito(args: argparse.Namespace) -> int:
    if not re.fullmatch(r"[\w-]+_[0-9a-zA-Z]+", args.pool_id):
        raise SeslogError(f"{args.pool_id!r} is not a user pool ID (REGION_ID, e.g. eu-west-1_AbCdEf123)", exit_code=2)
    region = cognito.pool_region(args.pool_id)
    if args.region and args.region != region:
        raise SeslogError(
            f"--region {args.region} is not user pool {args.pool_id}'s Region, {region} (a pool's ID starts with its Region)",
            exit_code=2,
        )
    # As much of the stack as can be known (a stack without pools has no log group; no pulumi CLI, only the flags and
    # the environment): the checks say what they cannot tell.
    for needed in (["configuration_set", "cognito_log_group"], ["configuration_set"], []):
        try:
            stack = stack_target(args, needed)
            break
        except SeslogError:
            continue
    checks = cognito.check_pool(
        client("cognito-idp", region),
        lambda ses_region: client("sesv2", ses_region),
        client("iam", region),
        args.pool_id,
        stack.configuration_set,
        stack.cognito_log_group,
    )
    if args.json:
        investigate.write_json({"user_pool_id": args.pool_id, "checks": [c.document() for c in checks]}, sys.stdout)
    else:
        lines = terminal_width(sys.stdout) or PARAGRAPH_WIDTH
        for check in checks:
            mark = {True: "ok", False: "PROBLEM", None: "unknown"}[check.ok]
            text = f"[{mark}] {check.name}: {check.text}" + (f". Fix: {check.fix}" if check.fix else "")
            sys.stdout.writelines(line + "\n" for line in wrap(text, lines, hanging="    "))
    return 0 if all(check.ok for check in checks) else 1


def _demo_data(args: argparse.Namespace) -> int:
    start = args.start or (datetime.now(UTC).date() - timedelta(days=args.days))
    demo = write_demo_data(
        Path(args.directory),
        format=args.format,
        partitioning=args.partitioning,
        start=start,
        days=args.days,
        messages=args.messages,
        recipients=args.recipients,
        seed=args.seed,
        progress=Progress(sys.stderr),
    )
    print(demo.summary())
    return 0


def _download(args: argparse.Namespace) -> int:
    span = time_range(args)
    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise SeslogError(f"{directory} exists and is not a directory")
    target = stack_target(args, ["bucket", "partitioning"])
    assert target.bucket and target.partitioning
    # Cognito's error log too, where the stack collects one: a list call a day, and nothing under it otherwise.
    # A send-date stack files an event at most retentionDays after its send day: knowing it, fewer prefixes to list.
    late = int(target.retention_days) if target.retention_days else None
    prefixes = [
        *partition_prefixes(SCHEMES[target.partitioning], span.days(), target.data_prefix, late_days=late),
        *partition_prefixes(COGNITO_SCHEME, span.days(), COGNITO_SCHEME.root),
    ]
    report = DownloadReport(prefixes)
    s3 = client("s3", target.region)
    try:
        download(s3, target.bucket, prefixes, directory, Progress(sys.stderr), report)
        # Every prefix of these days was listed: a day without objects had none, which a local answer may say.
        record_fetched(directory, span.days())
        # The compacted files of those days' units, where the stack compacts: the copy answers lookups from them too.
        bucket = target.bucket
        compacted = fetch_compacted(s3, bucket, directory, span.days(), lambda key, path: fetch_object(s3, bucket, key, path))
    finally:
        # Said even when a later object fails: the keys left out so far are as left out.
        for key in report.refused:
            sys.stderr.write(f"seslog: refused {key!r}: it would be written outside {directory}\n")
        for key, why in report.skipped:
            sys.stderr.write(f"seslog: skipped {key!r}: {why}\n")
    if report.downloaded + report.present == 0:
        print(
            f"no objects arrived {span.describe()} under s3://{target.bucket}/{target.data_prefix} ({target.partitioning} partitioning)"
        )
    else:
        print(report.summary(target.bucket, directory))
    if compacted is not None and compacted.units:
        left_out = f"; {compacted.left_out:,} left out, their objects answer instead" if compacted.left_out else ""
        print(
            f"and the {compacted.files:,} compacted files of {compacted.units:,} arrival units (under {COMPACT_PREFIX}){left_out}"
        )
    return 0


def _compact(args: argparse.Namespace) -> int:
    target = local_target(args.directory)
    progress = Progress(sys.stderr)
    try:
        from seslog.compaction import run as compaction
        from seslog.compaction.store import LocalStore
    except ImportError as error:
        raise missing_extra("compact", error) from None
    try:
        # By the copy's unit: a copy of a compacting stack's bucket (seslog download) holds its hours and merged days.
        unit = LocalStore(target.directory).manifest("day")[0].unit
        report = compaction.compact(
            target.directory, now=datetime.now(UTC), unit=unit, progress=lambda text: progress.update(text)
        )
    except ValueError as error:
        raise SeslogError(f"--local {target.directory}: {error}") from None
    finally:
        progress.clear()
    print(report.summary())
    return 0


def _smoke_test(args: argparse.Namespace) -> int:
    sender = args.sender or os.environ.get("SESLOG_SENDER")
    if not sender:
        raise SeslogError(
            "smoke-test needs a verified SES sender identity: pass --from ADDRESS or set SESLOG_SENDER", exit_code=2
        )
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


COST_BOUNDS = {
    "--emails-per-day": (0.01, 1e9, "0.01 to 1,000,000,000 emails a day"),
    "--events-per-email": (1, 1000, "1 to 1,000 events an email (every email has its Send event)"),
    "--retention-days": (1, MAX_DAYS, f"1 to {MAX_DAYS:,} days"),
    "--queries-per-month": (0, 1e7, "0 to 10,000,000 queries a month"),
    "--bytes-per-query": (0, 1024 * TB, "0 to 1024TB"),
}
"""What ``seslog cost`` estimates for: past these a volume is no sending on earth, and the sums no longer read as money."""


def _amount(value: float) -> str:
    """A count as the estimate's first line says it: ``250,000``, ``4.4``, ``0.5`` (not ``0``), ``0.0123``."""
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _within(flag: str, parse: Callable[[str], float]) -> Callable[[str], float]:
    """``parse``, and the value refused unless within ``COST_BOUNDS[flag]``, the bounds said in the message."""
    low, high, bounds = COST_BOUNDS[flag]

    def parsed(value: str) -> float:
        number = parse(value)
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{value!r} is out of range: use {bounds}")
        return number

    return parsed


def _number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if math.isnan(number):
        raise argparse.ArgumentTypeError(f"{value!r} is not a number")
    return number


def _cost(args: argparse.Namespace) -> int:
    given = {field: getattr(args, dest) for dest, field in _COST_OPTIONS.items() if getattr(args, dest) is not None}
    usage = Usage(emails_per_day=args.emails_per_day, compaction=args.compaction, **given)
    cost = monthly_cost(usage)
    fits = terminal_width(sys.stdout)
    emails = "email" if usage.emails_per_day == 1 else "emails"
    head = (
        f"Monthly cost for {_amount(usage.emails_per_day)} {emails} a day with {_amount(usage.events_per_email)} events each, "
        f"{usage.format} objects, {usage.partitioning} partitioning, {usage.retention_days:,} days kept, "
        f"{_amount(usage.queries_per_month)} Athena queries a month of {format_bytes(usage.bytes_scanned_per_query)} each, "
        f"{'with' if usage.compaction else 'without'} the hourly compaction:"
    )
    rows = [{"item": item, "usd": f"{value:,.2f}"} for item, value in cost.rows()]
    for paragraph, table in ((head, True), (f"Prices as of {PRICES.as_of}: {PRICES.source}.", False)):
        print("\n".join(wrap(paragraph, fits)) if fits else paragraph)
        if table:
            print_table(["item", "usd"], rows, sys.stdout, right=["usd"], width=fits, shrink=["item"])
    return 0


def build_parser() -> Parser:
    parser = Parser(
        prog="seslog",
        description="What happened to the mail SES sent: the event log of a ses-event-log stack, "
        "queried on the stack's Athena or, with --local DIR, on a local copy of the bucket.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    find = add_query_parser(
        commands,
        "find",
        "every message sent to an address, newest first, with how far it got for that address",
        _find,
        "Days are UTC days of sending; the status is the latest event other than Open, Click and Subscription, "
        f"and the query looks {LOOKAHEAD_DAYS} days past the range for it. Exit code 1 when there is none.",
    )
    find.add_argument("--to", type=email_address, required=True, metavar="ADDRESS", help="recipient address, any case")
    add_time_range_arguments(find, default_since="7d")

    message = add_query_parser(
        commands,
        "message",
        "the timeline of one message: every event, with the SMTP response, bounce, delay, complaint, reject or rendering details",
        _message,
        "The range holds the UTC day the message was sent. Without one, the day is read from the send time in the message ID "
        "(its 5th to 16th hex characters; undocumented by AWS, so used only when the ID has that shape and the time is plausible, "
        "else the last 30 days), and stderr says which days were read and why. Exit code 1 when it has no events.",
    )
    message.add_argument("message_id", type=message_id, metavar="MESSAGE_ID", help=MESSAGE_ID_HELP)
    add_time_range_arguments(message, default_since=MESSAGE_SINCE, described=f"its send day in the ID, else {MESSAGE_SINCE}")

    explain = add_query_parser(
        commands,
        "why",
        "why mail to an address (or one message) did or did not arrive, and what to do next",
        _why,
        "For each message sent to ADDRESS (newest first), or each recipient of MESSAGE_ID, one verdict in plain words "
        "from its events: delivered (and where to look), bounced and why, still being retried, reported as spam, "
        "rejected, not rendered, or no outcome yet; with no events at all, the checklist of why mail leaves no trace. "
        "On the stack (not --local) it also asks SES, read-only, whether the address is on the account's suppression list "
        "and whether the account can send (sandbox, paused); --no-aws skips that. For a MESSAGE_ID without a range, the send day "
        "is read from the ID as `seslog message` does, and stderr says which days were read and why. Exit code 1 when nothing is found.",
    )
    explain.add_argument(
        "target",
        type=address_or_message_id,
        metavar="ADDRESS|MESSAGE_ID",
        help=f"a recipient address, any case; or {MESSAGE_ID_HELP}",
    )
    explain.add_argument("--no-aws", action="store_true", help="do not ask SES about the address and the account")
    add_time_range_arguments(
        explain, default_since="7d", described=f"7d for an address; for a message its send day in the ID, else {MESSAGE_SINCE}"
    )

    stats = add_query_parser(
        commands,
        "stats",
        "events per UTC day and event type, and the bounce and complaint rates",
        _stats,
        "Bounce rate = Bounce events / Send events, complaint rate = Complaint events / Send events, over the events that "
        "happened in the range (a Send is one accepted message, whatever its number of recipients; every bounce type counts). "
        "SES's Reputation.BounceRate and ComplaintRate differ: SES computes them over a representative volume of the "
        "account's recent mail, not a fixed period, and its bounce rate counts only hard bounces to domains not verified in SES.",
    )
    add_time_range_arguments(stats, default_since="7d")

    web = commands.add_parser(
        "serve",
        help="the same answers on a local web page: search, a message's story with its verdict, the overview",
        description="Serve read-only pages on this machine: search by address or message ID, a message's timeline with the "
        "verdict and next step of `why`, and the daily counts and rates as charts; every page has a stable URL and a JSON "
        "twin (?format=json, what --json prints). It listens on 127.0.0.1 only, unless --host says otherwise, and answers "
        "only requests addressed to it (the Host header).",
    )
    add_target_arguments(web)
    web.add_argument("--port", type=port_number, default=0, help="port to listen on (default: a free one, printed on start)")
    web.add_argument(
        "--host",
        help="address to listen on instead of 127.0.0.1; any other exposes the pages, and through them the mail log "
        "with your AWS credentials, to whoever can reach this machine",
    )
    web.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="with --host, a name or address other machines reach this one by (repeat for each): the pages answer only "
        "requests addressed to these, against DNS rebinding",
    )
    web.add_argument("--max-queries", type=positive_int, default=WORKERS, help="questions answered at once (default %(default)s)")
    web.add_argument("--open", action="store_true", help="open the search page in the browser")
    web.set_defaults(run=_serve)

    assistant = commands.add_parser(
        "mcp",
        help="the investigation as tools for AI assistants (a Model Context Protocol server on stdio)",
        description="Run an MCP server on stdin/stdout whose tools are find_messages, message_timeline, why and daily_stats: "
        "the same checks and the same JSON documents as --json, read-only.",
    )
    add_target_arguments(assistant)
    assistant.set_defaults(run=_mcp)

    demo = commands.add_parser(
        "demo-data",
        help="write a generated data set to a directory as the stream would, to try --local on",
        description="Generate SES events (from SES's example records, with realistic outcomes and timings) and write "
        "them under DIR/events/ exactly as the Firehose stream would, in a format and partitioning scheme.",
    )
    demo.add_argument("directory", type=directory, metavar="DIR")
    demo.add_argument("--format", choices=tuple(FORMATS), default="parquet", help="default %(default)s")
    demo.add_argument("--partitioning", choices=tuple(SCHEMES), default="event-type", help="default %(default)s")
    demo.add_argument("--start", type=day, metavar="YYYY-MM-DD", help="first UTC day of sending (default: DAYS days ago)")
    demo.add_argument("--days", type=positive_int, default=3, help="days of sending (default %(default)s)")
    demo.add_argument("--messages", type=positive_int, default=2000, help="messages sent (default %(default)s)")
    demo.add_argument("--recipients", type=positive_int, default=1000, help="distinct recipient addresses (default %(default)s)")
    demo.add_argument("--seed", type=int, default=1, help="the same seed writes the same data (default %(default)s)")
    demo.set_defaults(run=_demo_data)

    fetch = commands.add_parser(
        "download",
        help="copy a time range of event objects from the bucket to a directory",
        description="Copy the event objects that arrived in a time range (whole UTC days) from the stack's bucket to DIR, "
        "keeping their keys, so that `--local DIR` can query them offline. Objects already in DIR with the same size are skipped.",
    )
    fetch.add_argument("directory", type=directory, metavar="DIR")
    add_time_range_arguments(fetch, default_since="1d")
    add_stack_arguments(fetch, ["bucket", "data_prefix", "partitioning", "retention_days", "region"])
    fetch.set_defaults(run=_download)

    squeeze = commands.add_parser(
        "compact",
        help="rewrite a local copy's events into tables shaped like the answers, so that why reads a fraction of them",
        description="Rewrite the event objects of each arrival day of the local copy DIR into two tables filed by send "
        "day and a hash bucket of the recipient or the message ID, sorted by it (under DIR/compact/): a question about "
        "one address or message then reads one bucket's files instead of every object. Days compacted with the same "
        "objects are left as they are; a day with other objects (a later download) is compacted again. The objects "
        "stay: the other questions read them, and so do these for what is not compacted yet.",
    )
    squeeze.add_argument("--local", dest="directory", type=directory, metavar="DIR", required=True, help="the local copy")
    squeeze.set_defaults(run=_compact)

    smoke = commands.add_parser(
        "smoke-test",
        help="send to the SES mailbox simulator and check that the events reach the bucket",
        description="Send one email to each SES mailbox simulator address through the stack's configuration set, "
        "wait until the expected events are in the bucket, and print a pass/fail table (exit code 0 when all pass).",
    )
    smoke.add_argument("--from", dest="sender", metavar="ADDRESS", help="verified SES sender identity (env SESLOG_SENDER)")
    smoke.add_argument(
        "--timeout", type=positive_number, default=600.0, help="seconds to wait for the events (default %(default)g)"
    )
    add_stack_arguments(smoke, ["bucket", "data_prefix", "configuration_set", "partitioning", "region"])
    smoke.set_defaults(run=_smoke_test)

    pool = commands.add_parser(
        "check-cognito",
        help="check, read-only, that a Cognito user pool's mail can reach SES and this log",
        description="Check a user pool's email set-up, read-only: DEVELOPER sending, its SES identity (verified, in a "
        "Region Cognito accepts for the pool's), Cognito's service-linked role for SES, the From address, the "
        "configuration set (the stack's), the SES account (sandbox, paused) and the delivery of the pool's "
        "message-delivery error logs to the stack. Each check prints ok or the problem and its fix; exit code 0 only "
        "when every check passes.",
    )
    pool.add_argument("pool_id", metavar="POOL_ID", help="the user pool's ID, e.g. eu-west-1_AbCdEf123 (its Region comes first)")
    pool.add_argument("--json", action="store_true", help="print one JSON document")
    pool.add_argument("--region", help="the pool's Region (default: the start of POOL_ID, which it must agree with)")
    add_stack_arguments(pool, ["configuration_set", "cognito_log_group"])
    pool.set_defaults(run=_check_cognito)

    cost = commands.add_parser(
        "cost",
        help="estimate what a pipeline costs a month",
        description="Estimate the monthly cost of Firehose, S3, Athena and the compaction job for a sending volume, from the dated price table.",
    )
    cost.add_argument(
        "--emails-per-day",
        type=_within("--emails-per-day", positive_number),
        required=True,
        metavar="N",
        help="emails sent a day, 0.01 to 1,000,000,000",
    )
    cost.add_argument(
        "--events-per-email",
        type=_within("--events-per-email", positive_number),
        metavar="K",
        help=f"events an email makes, 1 to 1,000 (default {_USAGE_DEFAULTS['events_per_email']:g})",
    )
    cost.add_argument("--format", choices=tuple(FORMATS), help=f"default {_USAGE_DEFAULTS['format']}")
    cost.add_argument("--partitioning", choices=tuple(SCHEMES), help=f"default {_USAGE_DEFAULTS['partitioning']}")
    cost.add_argument(
        "--retention-days",
        type=_within("--retention-days", positive_int),
        metavar="D",
        help=f"days the bucket keeps events, 1 to {MAX_DAYS:,} (default {_USAGE_DEFAULTS['retention_days']})",
    )
    cost.add_argument(
        "--queries-per-month",
        type=_within("--queries-per-month", _number),
        metavar="Q",
        help=f"Athena queries a month, 0 to 10,000,000 (default {_USAGE_DEFAULTS['queries_per_month']:g})",
    )
    cost.add_argument(
        "--bytes-per-query",
        type=_within("--bytes-per-query", size),
        metavar="B",
        help=f"bytes an Athena query scans, e.g. 100MB, at most 1024TB (default {format_bytes(_USAGE_DEFAULTS['bytes_scanned_per_query'])})",
    )
    cost.add_argument(
        "--no-compaction",
        dest="compaction",
        action="store_false",
        help="a stack with compaction false: no hourly job, no compacted tables",
    )
    cost.set_defaults(run=_cost)
    return parser


ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""Signals that end seslog as Ctrl-C does: what a service manager, ``kill`` or a closed terminal sends."""


def _end(signum: int, frame: object) -> NoReturn:
    RECEIVED.append(signum)
    raise Interrupted(signum)


@contextmanager
def _ending_like_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP raised as ``Interrupted``, a ``KeyboardInterrupt``: every cleanup that Ctrl-C runs (the demo
    data's hidden directory, a local query's decompressed copy, an Athena query's cancelling) runs for them too.
    Only the main thread can set handlers; the previous ones are put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _end) for signum in ENDING_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


class OutputError(Exception):
    """Writing stdout failed (a full disk, a device error): not a bug, and not a reader gone away (``BrokenPipeError``)."""

    def __init__(self, error: OSError):
        super().__init__(error)
        self.error = error

    def describe(self) -> str:
        name = errno.errorcode.get(self.error.errno or 0)
        reason = self.error.strerror or one_line(str(self.error))
        return f"writing the output failed: {reason}" + (f" ({name})" if name else "")


class _CheckedOutput:
    """stdout, its write failures raised as ``OutputError`` so that they are told apart from the other ``OSError``."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def _checked(self, write: Callable[..., T], *arguments: object) -> T:
        try:
            return write(*arguments)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(error) from error

    def write(self, text: str) -> int:
        return self._checked(self._stream.write, text)

    def writelines(self, lines: Iterable[str]) -> None:
        self._checked(self._stream.writelines, lines)

    def flush(self) -> None:
        self._checked(self._stream.flush)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextmanager
def _checked_stdout() -> Iterator[None]:
    stdout = sys.stdout
    sys.stdout = _CheckedOutput(stdout)  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.stdout.__class__ is _CheckedOutput:
            sys.stdout = stdout


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush at exit finds nothing to complain about."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test's capture)


def run() -> NoReturn:
    """The ``seslog`` command and ``python -m seslog``: ``main``, and a process a signal interrupted ends at once, once
    its cleanups have run and its words are out. A query thread still unwinding (DuckDB's, or pyarrow's ORC scan)
    would otherwise meet the interpreter's teardown, which can abort the process (``std::terminate``, exit -6)."""
    code = main()
    if code >= 128:  # 128 + the signal (interrupted_exit_code)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    RECEIVED.clear()
    with _ending_like_ctrl_c(), _checked_stdout():
        try:
            return _main(argv)
        except KeyboardInterrupt as interrupt:
            sys.stderr.write(f"seslog: {interrupted(interrupt)}\n")
            return interrupted_exit_code(interrupt)
        except OutputError as error:
            sys.stderr.write(f"seslog: {error.describe()}\n")
            _quiet_stdout()
            return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        sys.stdout.flush()  # --help and --version: a failed write shows here, argparse ignores it
        return exit.code if isinstance(exit.code, int) else 2
    try:
        code = args.run(args)
        sys.stdout.flush()
        return code
    except SeslogError as error:
        sys.stderr.write(f"seslog: {error}\n")
        return error.exit_code
    except (BotoCoreError, ClientError) as error:
        sys.stderr.write(f"seslog: {describe_aws_error(error)}\n")
        return 1
    except BrokenPipeError:
        # The reader went away (`seslog ... | head`): point stdout at /dev/null so the exit stays quiet.
        _quiet_stdout()
        return 1
    except Exception as error:
        if isinstance(error, OutputError) or os.environ.get("PYTEST_CURRENT_TEST"):
            raise  # under the tests a bug must show its traceback
        sys.stderr.write(
            f"seslog: unexpected error, a bug in seslog: {type(error).__name__}: {one_line(str(error))} (please report it with the command that caused it)\n"
        )
        return 1
