"""Where seslog runs: flags, then SESLOG_* variables, then the Pulumi stack (a stand-in `pulumi` on PATH)."""

from __future__ import annotations

import argparse
import json
import stat
import sys
from pathlib import Path

import pytest

from seslog.errors import SeslogError
from seslog.target import SOURCES, LocalTarget, StackTarget, add_local_argument, add_stack_arguments, select_target, stack_target

QUERY = ["workgroup", "database", "table", "partitioning"]
OUTPUTS = {
    "athenaWorkgroup": "ses-event-log-prod",
    "glueDatabase": "ses_event_log_prod",
    "glueTable": "events",
    "bucketName": "ses-event-log-prod-123",
    "dataPrefix": "events/",
    "configurationSetName": "ses-event-log-prod",
}
CONFIG = {
    "aws:region": {"value": "eu-west-1", "secret": False},
    "ses-event-log:partitioning": {"value": "event-type", "secret": False},
}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_local_argument(parser)
    add_stack_arguments(parser, list(SOURCES))
    return parser.parse_args(argv)


@pytest.fixture
def fake_pulumi(tmp_path, monkeypatch):
    """A `pulumi` executable that answers `stack output --json` and `config --json` and logs its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.jsonl"
    answers = tmp_path / "answers.json"
    script = bin_dir / "pulumi"
    script.write_text(
        f"""#!{sys.executable}
import json, os, sys
with open({str(log)!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
answers = json.load(open({str(answers)!r}))
key = " ".join(a for a in sys.argv[1:3])
if answers.get("fail"):
    sys.stderr.write("warning: something\\nerror: no stack named 'nope' found\\n")
    sys.exit(255)
print(json.dumps(answers[key]))
"""
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))

    def answer(outputs=OUTPUTS, config=CONFIG, fail=False):
        answers.write_text(json.dumps({"stack output": outputs, "config --json": config, "fail": fail}))

    def calls() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    answer()
    return answer, calls


def test_flags_then_environment_and_no_pulumi_when_nothing_is_missing(fake_pulumi):
    _, calls = fake_pulumi
    environ = {
        "SESLOG_WORKGROUP": "from-env",
        "SESLOG_DATABASE": "db_env",
        "SESLOG_TABLE": "t_env",
        "SESLOG_PARTITIONING": "hour",
    }
    target = stack_target(parse("--workgroup", "from-flag", "--region", "ap-northeast-1"), QUERY, environ)
    assert target == StackTarget(
        workgroup="from-flag", database="db_env", table="t_env", partitioning="hour", region="ap-northeast-1"
    )
    assert calls() == []


def test_missing_values_come_from_the_stack_outputs_and_config(fake_pulumi, tmp_path):
    _, calls = fake_pulumi
    environ = {"SESLOG_TABLE": "from_env", "SESLOG_STACK": "prod", "SESLOG_PROJECT_DIR": str(tmp_path)}
    target = stack_target(parse(), QUERY, environ)
    assert target == StackTarget(
        workgroup="ses-event-log-prod",
        database="ses_event_log_prod",
        table="from_env",
        bucket="ses-event-log-prod-123",
        data_prefix="events/",
        configuration_set="ses-event-log-prod",
        partitioning="event-type",
        # Not in the stack's config: the project's defaults (Pulumi.yaml, components.settings.KEYS).
        format="json",
        region="eu-west-1",
        retention_days="90",
    )
    assert calls() == [
        {"argv": ["stack", "output", "--json", "--stack", "prod"], "cwd": str(tmp_path)},
        {"argv": ["config", "--json", "--stack", "prod"], "cwd": str(tmp_path)},
    ]


def test_stack_flag_beats_environment(fake_pulumi, tmp_path):
    _, calls = fake_pulumi
    stack_target(parse("--stack", "dev"), ["bucket"], {"SESLOG_STACK": "prod", "SESLOG_PROJECT_DIR": str(tmp_path)})
    assert calls()[0]["argv"] == ["stack", "output", "--json", "--stack", "dev"]


def test_without_the_pulumi_cli_the_message_says_what_to_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SeslogError) as raised:
        stack_target(parse(), QUERY, {"SESLOG_TABLE": "events"})
    assert str(raised.value) == (
        "pulumi CLI not found, so the stack's Athena workgroup, Glue database and partitioning scheme are unknown; "
        "pass --workgroup WORKGROUP --database DATABASE --partitioning PARTITIONING "
        "or set SESLOG_WORKGROUP SESLOG_DATABASE SESLOG_PARTITIONING"
    )


def test_a_failing_pulumi_is_reported_in_one_line(fake_pulumi, tmp_path):
    answer, _ = fake_pulumi
    answer(fail=True)
    with pytest.raises(SeslogError) as raised:
        stack_target(parse("--stack", "nope"), ["bucket"], {"SESLOG_PROJECT_DIR": str(tmp_path)})
    assert (
        str(raised.value) == f"`pulumi stack output --json --stack nope` failed in {tmp_path}: error: no stack named 'nope' found"
    )


def test_a_stack_without_outputs_is_probably_not_deployed(fake_pulumi):
    answer, _ = fake_pulumi
    answer(outputs={})
    with pytest.raises(
        SeslogError, match=r"^the stack has no output athenaWorkgroup, output glueDatabase, output glueTable \(is it deployed"
    ):
        stack_target(parse(), QUERY, {})


def test_an_unknown_partitioning_is_a_usage_error_naming_where_it_came_from():
    with pytest.raises(
        SeslogError, match="^SESLOG_PARTITIONING=daily is not one of none, date, hour, event-type, send-date$"
    ) as raised:
        stack_target(parse(), ["partitioning"], {"SESLOG_PARTITIONING": "daily"})
    assert raised.value.exit_code == 2
    with pytest.raises(
        SeslogError, match="^--partitioning 'daily' is not one of none, date, hour, event-type, send-date$"
    ) as raised:
        stack_target(parse("--partitioning", "daily"), ["partitioning"], {"SESLOG_PARTITIONING": "date"})
    assert raised.value.exit_code == 2


def test_data_prefix_gets_its_slash():
    assert stack_target(parse("--data-prefix", "events"), ["data_prefix"], {}).data_prefix == "events/"


def test_local_directory_checks(tmp_path, fake_pulumi):
    _, calls = fake_pulumi
    with pytest.raises(SeslogError, match="no such directory"):
        select_target(parse("--local", str(tmp_path / "missing")), QUERY, {})
    (tmp_path / "file").write_text("x")
    with pytest.raises(SeslogError, match="not a directory"):
        select_target(parse("--local", str(tmp_path / "file")), QUERY, {})
    (tmp_path / "empty" / "events").mkdir(parents=True)
    with pytest.raises(SeslogError, match="no event objects under .*; fetch some with `seslog download --since 2d"):
        select_target(parse("--local", str(tmp_path / "empty")), QUERY, {})
    obj = tmp_path / "full" / "events" / "dt=2026-11-24" / "a.json.gz"
    obj.parent.mkdir(parents=True)
    obj.write_bytes(b"")
    assert select_target(parse("--local", str(tmp_path / "full")), QUERY, {}) == LocalTarget(Path(tmp_path / "full"))
    assert calls() == []
