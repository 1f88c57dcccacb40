"""Stack files read as the Pulumi CLI reads them (Go yaml.v3, YAML 1.2 rules), not as PyYAML's
YAML 1.1 would: the program sees what `pulumi up` would hand it, and what the CLI would refuse
is refused; nothing is registered when a value is wrong."""

import shutil

import pytest
import yaml

from components.settings import SettingsError
from offline.program import evaluate
from offline.stack import ROOT, StackFileError, resolve_plain, stack_config


@pytest.fixture
def project(tmp_path):
    """A copy of the project whose stack file ``t`` a test writes."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "__main__.py").symlink_to(ROOT / "__main__.py")

    def write(body: str):
        (tmp_path / "Pulumi.t.yaml").write_text("config:\n  aws:region: us-east-1\n" + body)
        return tmp_path

    return write


@pytest.mark.parametrize(
    ("text", "cli", "yaml11"),
    [
        ("yes", "yes", True),
        ("no", "no", False),
        ("on", "on", True),
        ("off", "off", False),
        ("0755", 493, 493),  # yaml.v3 still reads YAML 1.1 octals inside lists and maps
        ("0o755", 493, "0o755"),
        ("1_000", 1000, 1000),
        ("true", True, True),
        ("~", None, None),
    ],
)
def test_plain_scalars_resolve_as_yaml_v3_does(text, cli, yaml11):
    assert resolve_plain(text) == cli
    assert yaml.safe_load(f"v: {text}")["v"] == yaml11


def test_a_top_level_value_is_passed_as_written(project):
    root = project("  ses-event-log:format: yes\n  ses-event-log:retentionDays: 0755\n  ses-event-log:eventTypes: [SEND, no]\n")
    config = stack_config("t", root=root)
    assert config["ses-event-log:format"] == "yes"  # PyYAML would have passed "true"
    assert config["ses-event-log:retentionDays"] == "0755"  # PyYAML: 493
    assert config["ses-event-log:eventTypes"] == '["SEND","no"]'  # PyYAML: [..., false]


def test_the_program_refuses_what_the_cli_passes_and_registers_nothing(project):
    root = project("  ses-event-log:format: yes\n  ses-event-log:retentionDays: 0755\n  ses-event-log:eventTypes: [SEND, no]\n")
    evaluation = evaluate("t", root=root, raise_errors=False)
    assert isinstance(evaluation.error, SettingsError)
    assert evaluation.error.problems == [
        "format = 'yes': allowed: json, parquet, orc",
        "eventTypes = 'no': unknown event type; allowed: SEND, REJECT, BOUNCE, COMPLAINT, DELIVERY, OPEN, CLICK, RENDERING_FAILURE, DELIVERY_DELAY, SUBSCRIPTION",
        "retentionDays = '0755': must be an integer written without leading zeros",
    ]
    assert evaluation.resources == []


def test_an_unknown_key_of_the_project_stops_the_program_and_other_namespaces_do_not(project):
    root = project("  ses-event-log:retentionDay: 5\n  myteam:owner: mail-team\n")
    evaluation = evaluate("t", root=root, raise_errors=False)
    assert isinstance(evaluation.error, SettingsError)
    [problem] = evaluation.error.problems
    assert problem.startswith("retentionDay = '5': unknown setting; did you mean retentionDays? allowed: format, partitioning, ")
    assert evaluation.resources == []
    assert evaluate("t", root=project("  myteam:owner: mail-team\n")).resources


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "'yes'", "1"])
def test_the_cli_refuses_a_boolean_that_is_not_true_or_false(project, word):
    with pytest.raises(StackFileError) as info:
        stack_config("t", root=project(f"  ses-event-log:protectData: {word}\n"))
    assert str(info.value) == "Stack 't' with configuration key 'protectData' must be of type 'boolean'"


def test_the_cli_refuses_a_number_in_a_list_of_strings_and_a_repeated_key(project):
    with pytest.raises(StackFileError, match="^Stack 't' with configuration key 'tags' must be of type 'array<string>'$"):
        stack_config("t", root=project("  ses-event-log:tags: [Env=dev, 0755]\n"))
    with pytest.raises(StackFileError, match=r"line 4: mapping key 'ses-event-log:retentionDays' already defined at line 3"):
        stack_config("t", root=project("  ses-event-log:retentionDays: 7\n  ses-event-log:retentionDays: 30\n"))


def test_the_example_stacks_read_the_same_either_way():
    for stack in ("dev", "prod"):
        config = stack_config(stack)
        assert config["ses-event-log:protectData"] in ("true", "false")
        assert config["ses-event-log:tags"].startswith('["Environment=')
