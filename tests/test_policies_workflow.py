"""The pull-request workflow: valid for GitHub, and running what the README promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from offline.stack import ROOT, stacks

WORKFLOW = ROOT / ".github" / "workflows" / "pull-request.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    # check-jsonschema ships GitHub's workflow schema, so this works offline.
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def load() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job["steps"]


def test_every_workflow_is_a_valid_github_workflow():
    workflows = sorted(WORKFLOW.parent.glob("*.y*ml"))
    assert WORKFLOW in workflows
    for path in workflows:
        result = validate(path)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_would_catch_a_broken_workflow(tmp_path):
    broken = load()
    del broken["jobs"]["offline"]["runs-on"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    assert validate(path).returncode != 0


def test_pull_requests_run_the_tests_and_the_offline_plan_of_each_stack():
    workflow = load()
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    job = workflow["jobs"]["offline"]
    assert any(step.get("uses", "").startswith("actions/setup-python@") for step in steps(job))
    commands = [step["run"] for step in steps(job) if "run" in step]
    assert commands == ["make test"] + [f"make plan STACK={stack}" for stack in stacks()]


def test_with_credentials_each_stack_is_previewed_with_the_policy_pack():
    job = load()["jobs"]["preview"]
    assert job["needs"] == "offline"
    assert "vars.AWS_ROLE_TO_ASSUME != ''" in job["if"]
    assert job["strategy"]["matrix"]["stack"] == stacks()
    (pulumi,) = [step for step in steps(job) if step.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    run_steps = [step["run"] for step in steps(job) if "run" in step]
    assert "make install" in run_steps  # the pack's virtualenv


def test_the_pack_is_a_python_policy_pack_sharing_the_repository_virtualenv():
    project = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert project["description"] and project["version"]
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "../venv"}}
    assert (ROOT / "policies" / project["runtime"]["options"]["virtualenv"]).resolve() == (ROOT / "venv").resolve()
