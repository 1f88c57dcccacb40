"""The offline plan for pull requests: what the program would create and the policy pack's verdict."""

from __future__ import annotations

import json
import re
import subprocess

from offline.plan import main
from offline.program import evaluate
from offline.stack import ROOT, stacks


def plan(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_plan_says_it_is_an_offline_evaluation_and_gives_a_clean_verdict(capsys):
    code, out, _ = plan(capsys, "prod")
    assert code == 0
    assert out.startswith(
        "Offline evaluation of stack 'prod': the program run under Pulumi mocks; no cloud calls, no Pulumi CLI."
    )
    assert "+       ├─ aws:s3:Bucket  ses-event-log-prod-storage-bucket [protected]\n" in out
    assert out.endswith(
        "Policy pack ses-event-log-policies, run on the offline evaluation as `pulumi preview --policy-pack policies` runs it:\n"
        "  no policy violations.\n"
    )


def test_the_plan_exits_non_zero_on_a_mandatory_violation(tmp_path, capsys):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"s3-bucket-lifecycle-retention": {"maximumRetentionDays": 5}}))
    code, out, _ = plan(capsys, "dev", "--policy-pack-config", str(config))
    assert code == 1
    assert out.endswith(
        "  [mandatory] s3-bucket-lifecycle-retention: aws:s3/bucket:Bucket  ses-event-log-dev-storage-bucket\n"
        "      objects expire after 7 days; the allowed retention is 7-5 days\n"
        "  1 violation, 1 mandatory: `pulumi up` would stop.\n"
    )


def test_advisory_violations_are_shown_but_do_not_fail_the_plan(tmp_path, capsys):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"all": "advisory", "s3-bucket-lifecycle-retention": {"maximumRetentionDays": 5}}))
    code, out, _ = plan(capsys, "dev", "--policy-pack-config", str(config))
    assert code == 0
    assert "  [advisory] s3-bucket-lifecycle-retention: aws:s3/bucket:Bucket  ses-event-log-dev-storage-bucket\n" in out
    assert out.endswith("  1 violation, 0 mandatory.\n")


def test_invalid_policy_config_and_unknown_stacks_are_refused_with_a_clear_message(tmp_path, capsys):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"log-group-retention": {"allowNeverExpire": "yes"}}))
    code, _, err = plan(capsys, "dev", "--policy-pack-config", str(config))
    assert (code, err) == (2, "\ninvalid policy pack config:\n  log-group-retention: 'yes' is not of type 'boolean'\n")
    config.write_text("{")
    code, _, err = plan(capsys, "dev", "--policy-pack-config", str(config))
    assert code == 2 and err.startswith(f"--policy-pack-config {config}: Expecting property name")
    code, _, err = plan(capsys, "staging")
    assert (code, err) == (2, f"no stack 'staging'; stacks: {', '.join(stacks())}\n")


def make_dry_run(*args: str) -> str:
    return subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_make_plan_plans_the_given_stack_and_plan_all_every_stack():
    assert "venv/bin/python -m offline.plan prod" in make_dry_run("plan", "STACK=prod")
    assert f"for stack in {' '.join(stacks())}; do venv/bin/python -m offline.plan $stack" in make_dry_run("plan-all")


def test_the_plan_prints_numbers_as_the_program_gave_them(capsys):
    _, out, _ = plan(capsys, "dev")
    assert "name='/aws/kinesisfirehose/ses-event-log-dev', retentionInDays=7\n" in out
    assert "bufferingSize=5, bufferingInterval=60," in out
    assert "enableKeyRotation=True, deletionWindowInDays=7\n" in out
    assert "{'expiration': {'days': 7}," in out
    assert not re.search(r"\b\d+\.0\b", out.split("Policy pack")[0])


def test_the_plan_nests_resources_under_their_components_as_pulumi_preview_does(capsys):
    _, out, _ = plan(capsys, "dev")
    tree = out.split("\n\n")[1].splitlines()
    assert tree[:3] == [
        "+ pulumi:pulumi:Stack  ses-event-log-dev",
        "+ └─ ses-event-log:index:SesEventLogPipeline  ses-event-log-dev",
        "+    ├─ ses-event-log:index:EventCatalog  ses-event-log-dev-catalog",
    ]
    assert "+    │  └─ time:index:Sleep  ses-event-log-dev-publishing-role-wait" in tree
    key = tree.index("+    ├─ ses-event-log:index:PipelineKey  ses-event-log-dev-encryption")
    assert tree[key + 1 : key + 3] == [
        "+    │  └─ aws:kms:Key  ses-event-log-dev-encryption-key",
        "     │        enableKeyRotation=True, deletionWindowInDays=7",
    ]
    assert tree[-1] == "+       └─ aws:s3:BucketVersioning  ses-event-log-dev-storage-versioning"
    evaluation = evaluate("dev")
    assert f"Resources:\n    + {len(evaluation.resources) + 1} to create\n" in out  # the stack counts, as in `pulumi preview`
