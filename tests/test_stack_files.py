"""Stack files read as the Pulumi CLI reads them (Go yaml.v3, YAML 1.2 rules), not as PyYAML's
YAML 1.1 would: the program sees what `pulumi up` would hand it, and what the CLI would refuse
is refused; nothing is registered when a value is wrong."""

import shutil

import pytest
import yaml

from components.settings import SettingsError
from offline.plan import main as plan
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
    shown = word.strip("'")
    assert (
        str(info.value)
        == f"Pulumi.t.yaml: Stack 't' with configuration key 'protectData' must be of type 'boolean' (it is {shown!r})"
    )


def test_the_cli_refuses_a_number_in_a_list_of_strings_and_a_repeated_key(project):
    with pytest.raises(
        StackFileError, match=r"^Pulumi.t.yaml: Stack 't' with configuration key 'tags' must be of type 'array<string>' \(it is "
    ):
        stack_config("t", root=project("  ses-event-log:tags: [Env=dev, 0755]\n"))
    with pytest.raises(StackFileError, match=r"line 4: mapping key 'ses-event-log:retentionDays' already defined at line 3"):
        stack_config("t", root=project("  ses-event-log:retentionDays: 7\n  ses-event-log:retentionDays: 30\n"))


def test_the_example_stacks_read_the_same_either_way():
    for stack in ("dev", "prod"):
        config = stack_config(stack)
        assert config["ses-event-log:protectData"] in ("true", "false")
        assert config["ses-event-log:tags"].startswith('["Environment=')


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # What `pulumi config set ses-event-log:retentionDays ""` writes: the CLI's Atoi refuses "".
        (
            '  ses-event-log:retentionDays: ""\n',
            "Pulumi.t.yaml: Stack 't' with configuration key 'retentionDays' must be of type 'integer' (it is '')",
        ),
        (
            "  ses-event-log:tags: ''\n",
            "Pulumi.t.yaml: Stack 't' with configuration key 'tags' must be of type 'array<string>' (it is '')",
        ),
        # A quoted scalar is a string, even one that reads as JSON: only a YAML list is an array.
        (
            "  ses-event-log:tags: '[\"Env=dev\"]'\n",
            "Pulumi.t.yaml: Stack 't' with configuration key 'tags' must be of type 'array<string>' (it is '[\"Env=dev\"]')",
        ),
        # Past a 64-bit int Atoi fails, so the CLI refuses it.
        (
            "  ses-event-log:retentionDays: 9223372036854775808\n",
            "Pulumi.t.yaml: Stack 't' with configuration key 'retentionDays' must be of type 'integer' (it is '9223372036854775808')",
        ),
    ],
)
def test_values_the_cli_type_check_refuses_name_the_file_the_key_and_the_value(project, body, expected):
    with pytest.raises(StackFileError) as info:
        stack_config("t", root=project(body))
    assert str(info.value) == expected


def test_an_empty_string_is_a_value_for_a_string_key_and_a_signed_integer_is_taken(project):
    root = project('  ses-event-log:alarmEmail: ""\n  ses-event-log:retentionDays: "+30"\n  ses-event-log:bufferSizeMib: +5\n')
    config = stack_config("t", root=root)
    assert (config["ses-event-log:alarmEmail"], config["ses-event-log:retentionDays"]) == ("", "+30")
    assert evaluate("t", root=root).resources  # the program takes "+30" as 30, as the CLI's check did


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config: [\n", "Pulumi.t.yaml: line 2, column 1: not valid YAML: expected the node content, but found '<stream end>'"),
        (
            "config:\n  aws:region: us-east-1\n\tses-event-log:format: json\n",
            "Pulumi.t.yaml: line 3, column 1: not valid YAML: a tab character; YAML indents with spaces only",
        ),
        (
            "config:\n  aws:region: 'us-east-1\n",
            "Pulumi.t.yaml: line 3, column 1: not valid YAML: found unexpected end of stream",
        ),
        ("- config\n- aws:region\n", "Pulumi.t.yaml: must be a mapping with a config: key, not a list"),
        ("config: 5\n", "Pulumi.t.yaml: line 1: config must be a mapping of keys to values, not a single value ('5')"),
        ("config:\n  - aws:region=us-east-1\n", "Pulumi.t.yaml: line 2: config must be a mapping of keys to values, not a list"),
        ("config:\n  a: 1\n  a: 2\n", "Pulumi.t.yaml: line 3: mapping key 'a' already defined at line 2"),
    ],
)
def test_a_file_the_cli_cannot_read_is_one_line_naming_it_and_plan_exits_non_zero(tmp_path, capsys, text, expected):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.t.yaml").write_text(text)
    with pytest.raises(StackFileError) as info:
        stack_config("t", root=tmp_path)
    assert str(info.value).startswith(expected)
    assert plan(["t"], root=tmp_path) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(expected) and err.count("\n") == 1 and "Traceback" not in err


def test_plan_of_an_empty_string_for_an_integer_is_one_line(project, capsys):
    assert plan(["t"], root=project('  ses-event-log:retentionDays: ""\n')) == 1
    out, err = capsys.readouterr()
    assert (
        out == ""
        and err == "Pulumi.t.yaml: Stack 't' with configuration key 'retentionDays' must be of type 'integer' (it is '')\n"
    )


def test_an_empty_config_or_file_is_no_settings(tmp_path):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    # yaml.v3's Unmarshal reads the first document only.
    for text in ("", "config:\n", "config: {}\n", "config: ~\n", "config:\n---\nconfig: 5\n"):
        (tmp_path / "Pulumi.t.yaml").write_text(text)
        assert stack_config("t", root=tmp_path)["ses-event-log:format"] == "json"
