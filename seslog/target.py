"""Where seslog works: the deployed stack (Athena, Glue, the bucket) or a local directory.

A stack target's values come, in order, from command-line flags, ``SESLOG_*`` environment
variables and the Pulumi stack (``pulumi stack output --json`` and ``pulumi config --json`` in
the project directory). Pulumi is asked only when a value the command needs is still missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from seslog.arguments import directory
from seslog.errors import SeslogError, one_line
from seslog.eventlog.formats import DEFAULT_FORMAT, FORMATS
from seslog.eventlog.partitioning import DEFAULT_LATE_DAYS, DEFAULT_SCHEME, SCHEMES
from seslog.eventlog.prefixes import DATA_PREFIX

CHECKOUT = Path(__file__).resolve().parents[1]
"""The repository this package runs from, when it runs from one (it then holds ``Pulumi.yaml``)."""
PROJECT = "ses-event-log"
_DEFAULTS = {"format": DEFAULT_FORMAT, "partitioning": DEFAULT_SCHEME, "retentionDays": str(DEFAULT_LATE_DAYS)}
"""What the project declares for the config keys seslog reads when a stack leaves them out."""


def project_dir(environ: Mapping[str, str]) -> Path:
    """Where ``pulumi`` is asked: ``SESLOG_PROJECT_DIR``, else the checkout seslog runs from, else the
    current directory (an installed seslog is run from the project, as ``pulumi`` itself is)."""
    if environ.get("SESLOG_PROJECT_DIR"):
        return Path(environ["SESLOG_PROJECT_DIR"])
    return CHECKOUT if (CHECKOUT / "Pulumi.yaml").is_file() else Path.cwd()


@dataclass(frozen=True)
class Source:
    name: str
    """Attribute of ``StackTarget``."""
    flag: str
    env: str
    label: str
    output: str | None = None
    """Pulumi stack output holding the value."""
    config: str | None = None
    """Pulumi config key holding the value; the project's default applies when the stack leaves it out."""
    choices: tuple[str, ...] = ()


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("workgroup", "--workgroup", "SESLOG_WORKGROUP", "Athena workgroup", output="athenaWorkgroup"),
        Source("database", "--database", "SESLOG_DATABASE", "Glue database", output="glueDatabase"),
        Source("table", "--table", "SESLOG_TABLE", "Glue table", output="glueTable"),
        Source("bucket", "--bucket", "SESLOG_BUCKET", "event log bucket", output="bucketName"),
        Source(
            "cognito_table",
            "--cognito-table",
            "SESLOG_COGNITO_TABLE",
            "Glue table of Cognito's error log, when the stack collects it",
            output="cognitoErrorTable",
        ),
        Source(
            "cognito_log_group",
            "--cognito-log-group",
            "SESLOG_COGNITO_LOG_GROUP",
            "ARN of the log group the stack collects Cognito's errors from",
            output="cognitoLogGroupArn",
        ),
        Source(
            "compaction_function",
            "--compaction-function",
            "SESLOG_COMPACTION_FUNCTION",
            "the stack's compaction job (Lambda function), when it compacts: lookups then read the compacted tables",
            output="compactionFunction",
        ),
        Source("data_prefix", "--data-prefix", "SESLOG_DATA_PREFIX", "prefix of the event objects", output="dataPrefix"),
        Source(
            "configuration_set",
            "--configuration-set",
            "SESLOG_CONFIGURATION_SET",
            "SES configuration set",
            output="configurationSetName",
        ),
        Source(
            "partitioning",
            "--partitioning",
            "SESLOG_PARTITIONING",
            "partitioning scheme",
            config=f"{PROJECT}:partitioning",
            choices=tuple(SCHEMES),
        ),
        Source("format", "--format", "SESLOG_FORMAT", "storage format", config=f"{PROJECT}:format", choices=tuple(FORMATS)),
        Source("region", "--region", "SESLOG_REGION", "AWS region", config="aws:region"),
        Source(
            "retention_days",
            "--retention-days",
            "SESLOG_RETENTION_DAYS",
            "days the stack keeps events",
            config=f"{PROJECT}:retentionDays",
        ),
    )
}


@dataclass(frozen=True)
class StackTarget:
    workgroup: str | None = None
    database: str | None = None
    table: str | None = None
    bucket: str | None = None
    cognito_log_group: str | None = None
    """The ARN of the stack's log group for Cognito's errors (cognitoUserPoolIds), if it has one."""
    cognito_table: str | None = None
    """The stack's table of Cognito's error log; None when it collects none (cognitoUserPoolIds empty)."""
    compaction_function: str | None = None
    """The stack's compaction job; None when it does not compact (compaction false)."""
    data_prefix: str = DATA_PREFIX
    configuration_set: str | None = None
    partitioning: str | None = None
    format: str | None = None
    region: str | None = None
    retention_days: str | None = None
    """The stack's retentionDays, when it was given or read from the stack: the longest range worth asking."""


@dataclass(frozen=True)
class LocalTarget:
    directory: Path
    """A directory laid out like the bucket: object keys are paths under it."""


def add_stack_arguments(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    """Flags for the stack values a command uses, plus ``--stack``."""
    group = parser.add_argument_group("stack (default: read from `pulumi stack output` and `pulumi config`)")
    group.add_argument(
        "--stack",
        help="Pulumi stack name (env SESLOG_STACK; default: the selected stack of the project in SESLOG_PROJECT_DIR, else this repository)",
    )
    for name in names:
        source = SOURCES[name]
        origin = f"stack output {source.output}" if source.output else f"stack config {source.config}"
        default = f"; default {DATA_PREFIX}" if name == "data_prefix" else ""
        text = f"{source.label} (env {source.env}; else the {origin}{default})"
        group.add_argument(source.flag, dest=f"stack_{name}", metavar=name.upper(), help=text)


def add_local_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--local",
        type=directory,
        metavar="DIR",
        help="query DIR (laid out as the bucket, by `seslog download` or `seslog demo-data`) with DuckDB instead of Athena",
    )


def select_target(
    args: argparse.Namespace, needed: Sequence[str], environ: Mapping[str, str] | None = None
) -> StackTarget | LocalTarget:
    if getattr(args, "local", None) is not None:
        return local_target(args.local)
    return stack_target(args, needed, environ)


def local_target(directory: str) -> LocalTarget:
    path = Path(directory)
    if not path.exists():
        raise SeslogError(f"--local {directory}: no such directory")
    if not path.is_dir():
        raise SeslogError(f"--local {directory}: not a directory")
    if not any(p.is_file() for p in (path / DATA_PREFIX).rglob("*")):
        raise SeslogError(
            f"--local {directory}: no event objects under {path / DATA_PREFIX}; fetch some with `seslog download --since 2d {directory}`"
        )
    return LocalTarget(path)


PulumiRunner = Callable[[list[str], Path], str]


def run_pulumi(arguments: list[str], cwd: Path) -> str:
    """Output of ``pulumi <arguments>`` run in ``cwd``."""
    try:
        done = subprocess.run(["pulumi", *arguments], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    except FileNotFoundError:
        raise PulumiNotFound() from None
    except subprocess.TimeoutExpired:
        raise SeslogError(f"`pulumi {' '.join(arguments)}` did not answer within 120 s") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()] or ["no error output"]
        raise SeslogError(f"`pulumi {' '.join(arguments)}` failed in {cwd}: {one_line(lines[-1])}")
    return done.stdout


class PulumiNotFound(SeslogError):
    def __init__(self) -> None:
        super().__init__("pulumi CLI not found")


def stack_target(
    args: argparse.Namespace,
    needed: Sequence[str],
    environ: Mapping[str, str] | None = None,
    pulumi: PulumiRunner = run_pulumi,
) -> StackTarget:
    """The stack values from flags, then environment, then Pulumi; every ``needed`` one must be found."""
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    given: dict[str, str] = {}
    """Where each value the user gave came from, for their errors: ``--flag`` or ``SESLOG_*=``."""
    for name, source in SOURCES.items():
        flag, env = getattr(args, f"stack_{name}", None), environ.get(source.env)
        if flag or env:
            values[name] = flag or env
            given[name] = source.flag if flag else f"{source.env}="
    missing = [n for n in needed if n not in values and n != "data_prefix"]
    if missing:
        stack = getattr(args, "stack", None) or environ.get("SESLOG_STACK")
        where = project_dir(environ)
        try:
            from_pulumi = _read_pulumi(pulumi, where, stack)
        except PulumiNotFound:
            raise SeslogError(
                f"pulumi CLI not found, so the stack's {_names(missing)} unknown; {_how_to_pass(missing)}"
            ) from None
        for name, value in from_pulumi.items():
            values.setdefault(name, value)
        still = [n for n in missing if n not in values]
        if still:
            where = ", ".join(_pulumi_name(n) for n in still)
            raise SeslogError(f"the stack has no {where} (is it deployed? `pulumi up`); {_how_to_pass(still)}")
    for name, value in values.items():
        choices = SOURCES[name].choices
        if choices and value not in choices:
            where = given.get(name)
            if where is None:
                raise SeslogError(f"the stack's {_pulumi_name(name)} is {value!r}, which is none of {', '.join(choices)}")
            shown = f"{where}{value}" if where.endswith("=") else f"{where} {value!r}"
            raise SeslogError(f"{shown} is not one of {', '.join(choices)}", exit_code=2)
    if "data_prefix" in values and not values["data_prefix"].endswith("/"):
        values["data_prefix"] += "/"
    known = {f.name for f in fields(StackTarget)}
    return StackTarget(**{k: v for k, v in values.items() if k in known})


def _read_pulumi(pulumi: PulumiRunner, project_dir: Path, stack: str | None) -> dict[str, str]:
    # The config is read even when only outputs are missing: its aws:region is where the stack lives.
    selector = ["--stack", stack] if stack else []
    outputs = _json(pulumi(["stack", "output", "--json", *selector], project_dir), "pulumi stack output --json")
    config = _json(pulumi(["config", "--json", *selector], project_dir), "pulumi config --json")
    values = {s.name: str(outputs[s.output]) for s in SOURCES.values() if s.output and outputs.get(s.output)}
    for source in SOURCES.values():
        if not source.config:
            continue
        entry = config.get(source.config)
        value = entry.get("value") if isinstance(entry, dict) else None
        project_key = source.config.removeprefix(f"{PROJECT}:")
        # A key the stack file leaves out has the default declared in Pulumi.yaml (and settings.KEYS).
        default = _DEFAULTS.get(project_key) if project_key != source.config else None
        if value not in (None, ""):
            values[source.name] = str(value)
        elif default not in (None, ""):
            values[source.name] = str(default)
    return values


def _json(text: str, command: str) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise SeslogError(f"`{command}` printed something other than JSON ({error})") from None
    if not isinstance(data, dict):
        raise SeslogError(f"`{command}` printed {type(data).__name__}, expected a JSON object")
    return data


def _names(names: Sequence[str]) -> str:
    labels = [SOURCES[n].label for n in names]
    return labels[0] + " is" if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1] + " are"


def _pulumi_name(name: str) -> str:
    source = SOURCES[name]
    return f"output {source.output}" if source.output else f"config {source.config}"


def _how_to_pass(names: Sequence[str]) -> str:
    flags = " ".join(f"{SOURCES[n].flag} {n.upper()}" for n in names)
    envs = " ".join(SOURCES[n].env for n in names)
    return f"pass {flags} or set {envs}"
