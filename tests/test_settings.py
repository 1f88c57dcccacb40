"""Settings validation: every bad value is caught before anything is created, with the key,
the value and what is allowed; all problems are reported at once."""

import ast
from pathlib import Path

import pytest
import yaml

from components.settings import INTEGER, KEYS, SettingsError, parse, pipeline_args

ROOT = Path(__file__).resolve().parent.parent


def problems(values: dict) -> list[str]:
    with pytest.raises(SettingsError) as info:
        parse(values, default_configuration_set_name="ses-event-log-test")
    return info.value.problems


def only_problem(values: dict) -> str:
    found = problems(values)
    assert len(found) == 1, found
    return found[0]


def test_defaults_are_valid_and_typed():
    s = parse({}, default_configuration_set_name="ses-event-log-test")
    assert s.format.name == "json" and s.scheme.name == "date"
    assert len(s.event_types) == 10
    assert s.compression == "GZIP"
    assert s.configuration_set_name == "ses-event-log-test"
    assert s.protect_data is True and s.force_destroy is False


def test_config_strings_are_coerced_like_the_cli_passes_them():
    s = parse(
        {"retentionDays": "30", "protectData": "false", "eventTypes": '["BOUNCE", "COMPLAINT"]', "tags": '["Team=mail"]'},
        "x",
    )
    assert s.retention_days == 30 and s.protect_data is False
    assert s.event_types == ("BOUNCE", "COMPLAINT")
    assert s.tags == {"Team": "mail"}


def test_component_inputs_by_python_name_are_accepted():
    s = parse({"retention_days": 30, "buffer_size_mib": 128, "tags": {"Team": "mail"}}, "x")
    assert s.retention_days == 30 and s.buffer_size_mib == 128 and s.tags == {"Team": "mail"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"format": "avro"}, "format = 'avro': allowed: json, parquet, orc"),
        ({"partitioning": "week"}, "partitioning = 'week': allowed: none, date, hour, event-type"),
        ({"eventTypes": ["SEND", "OPENED"]}, "eventTypes = 'OPENED': unknown event type"),
        ({"eventTypes": []}, "eventTypes = []: must be a non-empty list"),
        ({"eventTypes": ["SEND", "SEND"]}, "lists an event type twice"),
        ({"bufferSizeMib": 0}, "bufferSizeMib = 0: must be 1-128 MiB"),
        ({"bufferSizeMib": 129}, "bufferSizeMib = 129: must be 1-128 MiB"),
        ({"format": "parquet", "bufferSizeMib": 32}, "must be at least 64 MiB with format parquet"),
        ({"format": "orc", "bufferSizeMib": 63}, "must be at least 64 MiB with format orc"),
        ({"partitioning": "event-type", "bufferSizeMib": 5}, "must be at least 64 MiB with partitioning event-type"),
        ({"bufferIntervalSeconds": 901}, "bufferIntervalSeconds = 901: must be 0-900 seconds"),
        ({"bufferIntervalSeconds": -1}, "bufferIntervalSeconds = -1: must be 0-900 seconds"),
        ({"partitioning": "event-type", "bufferIntervalSeconds": 0}, "must be above 0 with partitioning event-type"),
        ({"compression": "ZIP"}, "compression = 'ZIP': not allowed for format json; allowed: GZIP, HADOOP_SNAPPY, UNCOMPRESSED"),
        ({"format": "parquet", "compression": "ZLIB"}, "not allowed for format parquet; allowed: SNAPPY, GZIP, UNCOMPRESSED"),
        ({"format": "orc", "compression": "GZIP"}, "not allowed for format orc; allowed: SNAPPY, ZLIB, NONE"),
        ({"retentionDays": 0}, "retentionDays = 0: must be at least 1 day"),
        (
            {"retentionDays": 7, "noncurrentRetentionDays": 30},
            "noncurrentRetentionDays = 30: must be 1 to retentionDays (7) days",
        ),
        ({"noncurrentRetentionDays": 0}, "noncurrentRetentionDays = 0"),
        ({"transitionDays": 10}, "transitionDays = 10: must be 0 (off) or from 30 (S3's minimum age for STANDARD_IA)"),
        ({"retentionDays": 60, "transitionDays": 60}, "to less than retentionDays (60)"),
        ({"transitionStorageClass": "GLACIER"}, "Athena cannot read GLACIER or DEEP_ARCHIVE"),
        ({"errorLogRetentionDays": 10}, "errorLogRetentionDays = 10: allowed: 1, 3, 5, 7, 14"),
        ({"configurationSetName": "my set"}, "configurationSetName = 'my set': must be 1-64 characters"),
        ({"configurationSetName": "x" * 65}, "must be 1-64 characters"),
        ({"existingConfigurationSetName": "a.b"}, "existingConfigurationSetName = 'a.b': must be 1-64 characters"),
        ({"configurationSetName": "a", "existingConfigurationSetName": "b"}, "not both"),
        ({"kmsKeyArn": "alias/ses"}, "kmsKeyArn = 'alias/ses': must be a KMS key ARN"),
        ({"kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/ses"}, "must be a KMS key ARN"),
        ({"kmsDeletionWindowDays": 5}, "kmsDeletionWindowDays = 5: must be 7-30 days"),
        ({"protectData": True, "forceDestroy": True}, "forceDestroy = True: cannot be true while protectData is true"),
        ({"athenaBytesScannedCutoffMib": 1}, "athenaBytesScannedCutoffMib = 1: must be at least 10 MiB"),
        ({"tags": ["Team"]}, "tags = 'Team': each tag must be a Key=Value string"),
        ({"tags": ["aws:owner=me"]}, "must not start with aws:"),
        ({"retentionDays": "thirty"}, "retentionDays = 'thirty': must be an integer"),
        ({"protectData": "yes"}, "protectData = 'yes': must be a boolean"),
        ({"retentionDay": 30}, "retentionDay = 30: unknown setting"),
    ],
)
def test_bad_value_names_key_value_and_what_is_allowed(values, expected):
    assert expected in only_problem(values)


def test_valid_edge_values_pass():
    parse({"format": "parquet", "bufferSizeMib": 64, "bufferIntervalSeconds": 900, "compression": "GZIP"}, "x")
    parse({"partitioning": "event-type", "bufferSizeMib": 128, "bufferIntervalSeconds": 1}, "x")
    parse({"bufferSizeMib": 1, "bufferIntervalSeconds": 0}, "x")
    parse({"kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"}, "x", region="eu-west-1")
    parse(
        {"kmsKeyArn": "arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"}, "x", region="cn-north-1"
    )
    parse({"retentionDays": 90, "transitionDays": 30}, "x")
    parse({"configurationSetName": "a_B-9" + "x" * 59}, "x")


def test_every_problem_is_reported_at_once():
    found = problems({"format": "avro", "partitioning": "week", "retentionDays": 0, "kmsKeyArn": "nope", "tags": ["bad"]})
    assert [p.split(" ")[0] for p in found] == ["format", "partitioning", "retentionDays", "kmsKeyArn", "tags"]
    assert "invalid SES event log settings" in str(SettingsError(found))


def test_default_configuration_set_name_is_checked_too():
    with pytest.raises(SettingsError, match="configurationSetName = 'proj.dev'"):
        parse({}, default_configuration_set_name="proj.dev")


def test_pipeline_args_round_trip_through_validation():
    args = pipeline_args({"format": "orc", "bufferSizeMib": "64", "existingConfigurationSetName": "cognito"}, "x", region=None)
    s = parse(args, "x")
    assert s.format.name == "orc" and s.buffer_size_mib == 64
    assert s.configuration_set_name == "cognito" and s.existing_configuration_set


def test_pulumi_yaml_declares_every_key_as_settings_define_it():
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert list(declared) == [k.name for k in KEYS]
    for key in KEYS:
        d = declared[key.name]
        assert (d["type"], d["default"], d["description"]) == (key.type, key.default, key.description), key.name


def test_stack_files_use_only_declared_keys_and_valid_values():
    names = {k.name for k in KEYS}
    for path in ROOT.glob("Pulumi.*.yaml"):
        config = yaml.safe_load(path.read_text())["config"]
        ours = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("ses-event-log:")}
        assert set(ours) <= names, path.name
        parse(ours, "x")


def test_component_inputs_match_the_settings():
    """The component's args (what other Pulumi languages see) are exactly the settings, with
    the same descriptions."""
    tree = ast.parse((ROOT / "components" / "pipeline.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "PipelineArgs")
    fields: dict[str, str] = {}
    body = cls.body
    for node, following in zip(body, body[1:] + [None]):
        if isinstance(node, ast.AnnAssign):
            assert isinstance(following, ast.Expr), f"{node.target.id} has no docstring"
            fields[node.target.id] = following.value.value
    assert fields == {k.arg: k.description for k in KEYS}


def test_the_reference_documents_every_key():
    reference = (ROOT / "docs" / "configuration.md").read_text() + (ROOT / "docs" / "operations.md").read_text()
    for key in KEYS:
        assert f"| `{key.name}` |" in reference, key.name


KEY_EU = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"


def region_problems(kms_key_arn: str, region: str | None) -> list[str]:
    with pytest.raises(SettingsError) as info:
        parse({"kmsKeyArn": kms_key_arn}, "x", region=region)
    return info.value.problems


def test_a_key_of_another_region_or_partition_is_refused_and_an_unset_region_is_named():
    assert region_problems(KEY_EU, "us-east-1") == [
        (
            f"kmsKeyArn = {KEY_EU!r}: is a key in eu-west-1, but the stack deploys to aws:region us-east-1; "
            "S3, Firehose and CloudWatch Logs need a key in their own region"
        )
    ]
    china = "arn:aws:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    assert region_problems(china, "cn-north-1") == [
        f"kmsKeyArn = {china!r}: is in partition aws, but aws:region cn-north-1 is in partition aws-cn"
    ]
    assert region_problems(KEY_EU, None) == [
        (
            f"kmsKeyArn = {KEY_EU!r}: is a key in eu-west-1, but the stack's aws:region is not set, so it cannot be checked: "
            "set aws:region (pulumi config set aws:region eu-west-1); S3, Firehose and CloudWatch Logs need a key in their own region"
        )
    ]


def test_an_unknown_key_gets_a_suggestion_and_the_list_of_keys():
    allowed = "allowed: " + ", ".join(k.name for k in KEYS)
    assert only_problem({"retentionDay": 5}) == f"retentionDay = 5: unknown setting; did you mean retentionDays? {allowed}"
    assert only_problem({"colour": "red"}) == f"colour = 'red': unknown setting; {allowed}"
    # A stack's config knows only the camelCase names; a component's inputs take the Python ones too.
    with pytest.raises(SettingsError) as info:
        pipeline_args({"retention_days": "5"}, "x", region=None)
    assert info.value.problems == [f"retention_days = '5': unknown setting; did you mean retentionDays? {allowed}"]


def test_tags_are_echoed_as_written_and_a_key_given_twice_is_refused():
    assert only_problem({"tags": ["=dev"]}) == "tags = '=dev': tag keys are 1-128 characters and must not start with aws:"
    assert only_problem({"tags": ["A=1", "B=2", "A=2"]}) == "tags = 'A=2': tag key A is given twice (first as 'A=1')"


def test_tag_keys_differing_only_by_case_are_refused_as_iam_compares_them_without_case():
    assert only_problem({"tags": ["Env=dev", "env=prod"]}) == (
        "tags = 'env=prod': tag key env is given twice (first as 'Env=dev'); IAM treats tag keys without regard to case"
    )
    assert only_problem({"tags": {"Team": "a", "TEAM": "b"}}).startswith("tags = 'TEAM=b': tag key TEAM is given twice")


TAG_RULE = "tag keys and values take letters, digits, spaces and _ . : / = + - @ only (AWS tags: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"


@pytest.mark.parametrize(
    ("tag", "refused"),
    [
        ("Owner=<script>", "its value has '<' (U+003C), '>' (U+003E)"),
        ("Data={}", "its value has '{' (U+007B), '}' (U+007D)"),
        ("Scope=*", "its value has '*' (U+002A)"),
        ("Team=mail\x07", "its value has '\\x07' (U+0007)"),
        ("Team=mail\nteam", "its value has '\\n' (U+000A)"),
        ("Mood=\U0001f389", "its value has '\U0001f389' (U+1F389)"),
        ("Cost*Center=1", "its key has '*' (U+002A)"),
        ("a#b=c!", "its key has '#' (U+0023) and its value has '!' (U+0021)"),
    ],
)
def test_tag_characters_aws_refuses_are_refused_at_preview(tag, refused):
    assert only_problem({"tags": [tag]}) == f"tags = {tag!r}: {refused}; {TAG_RULE}"


def test_tag_lengths_and_the_aws_prefix():
    prefix = "tag keys are 1-128 characters and must not start with aws:"
    assert only_problem({"tags": ["K" * 129 + "=v"]}).endswith(prefix)
    assert only_problem({"tags": ["AWS:team=mail"]}).endswith(prefix)
    assert only_problem({"tags": ["k=" + "v" * 257]}).endswith("tag values are at most 256 characters")
    allowed = ["K" * 128 + "=" + "v" * 256, "Empty=", "Équipe=Courrier électronique", "Path=a/b:c_d.e+f-g@h=i", "Zähler=٣"]
    assert parse({"tags": allowed}, "x").tags["Empty"] == ""


SNS_EU = "arn:aws:sns:eu-west-1:123456789012:oncall"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"alarmTopicArn": SNS_EU},
            (
                f"alarmTopicArn = {SNS_EU!r}: is a topic in eu-west-1, but the stack deploys to aws:region us-east-1; "
                "CloudWatch alarm actions must be in the alarm's region"
            ),
        ),
        (
            {"notify": True, "alarmEmail": "a@example.com", "notifyTopicArn": SNS_EU},
            (
                f"notifyTopicArn = {SNS_EU!r}: is a topic in eu-west-1, but the stack deploys to aws:region us-east-1; "
                "SES publishes events only to a topic in its own region"
            ),
        ),
        (
            {"alarmTopicArn": "arn:aws-cn:sns:us-east-1:123456789012:oncall"},
            "is in partition aws-cn, but aws:region us-east-1 is in partition aws",
        ),
        (
            {"notify": True, "notifyTopicArn": "arn:aws:sqs:us-east-1:123456789012:queue"},
            "notifyTopicArn = 'arn:aws:sqs:us-east-1:123456789012:queue': must be an SNS topic ARN",
        ),
        ({"alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:t.fifo"}, "must be an SNS topic ARN"),
    ],
)
def test_a_topic_of_another_region_or_not_a_topic_is_refused(values, expected):
    with pytest.raises(SettingsError) as info:
        parse(values, "x", region="us-east-1")
    [problem] = info.value.problems
    assert expected in problem
    # A topic of the stack's region is taken; without a known region the region cannot be judged.
    parse({"alarmTopicArn": SNS_EU}, "x", region="eu-west-1")
    parse({"alarmTopicArn": SNS_EU}, "x")


@pytest.mark.parametrize(
    "address",
    ["a@..com", "a@b..com", "a@-b.com", "a@b-.com", ".a@b.com", "a.@b.com", "a..b@c.com", "a\x00b@c.com", "x" * 65 + "@b.com"],
)
def test_an_implausible_alarm_email_is_refused(address):
    assert only_problem({"alarmEmail": address}).startswith(
        f"alarmEmail = {address!r}: must be an email address, name@example.com"
    )


def test_plausible_alarm_emails_pass():
    for address in ("oncall@example.com", "first.last+alarms@mail.example.co.uk", "o'neil@x-y.example"):
        assert parse({"alarmEmail": address}, "x").alarm_email == address


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # S3 lifecycle days (Expiration, Transition, NoncurrentVersionExpiration) are 32-bit integers.
        ({"retentionDays": 2147483648}, "retentionDays = 2147483648: must be at most 2147483647 days"),
        ({"athenaResultsRetentionDays": 2147483648}, "athenaResultsRetentionDays = 2147483648: must be 1 to 2147483647 days"),
        ({"athenaResultsRetentionDays": 0}, "athenaResultsRetentionDays = 0: must be 1 to 2147483647 days"),
        # Athena's cutoff is a 64-bit number of bytes: 2**63 // 2**20 MiB is one MiB too many.
        (
            {"athenaBytesScannedCutoffMib": 2**43},
            "athenaBytesScannedCutoffMib = 8796093022208: must be at most 8796093022207 MiB",
        ),
        ({"retentionDays": "9223372036854775808"}, f"retentionDays = '9223372036854775808': must be {INTEGER}"),
        ({"bufferSizeMib": 2**64}, f"bufferSizeMib = {2**64}: must be {INTEGER}"),
        ({"retentionDays": " 30"}, f"retentionDays = ' 30': must be {INTEGER}"),
        ({"retentionDays": "3e1"}, f"retentionDays = '3e1': must be {INTEGER}"),
        ({"retentionDays": "\u0663\u0660"}, f"retentionDays = '\u0663\u0660': must be {INTEGER}"),
        ({"retentionDays": "+030"}, "retentionDays = '+030': must be an integer written without leading zeros"),
    ],
)
def test_integers_past_what_aws_or_the_cli_takes_are_refused(values, expected):
    assert expected in only_problem(values)


def test_integer_limits_themselves_pass_and_a_sign_is_taken_as_the_cli_takes_it():
    s = parse(
        {"retentionDays": 2147483647, "athenaResultsRetentionDays": "2147483647", "athenaBytesScannedCutoffMib": 8796093022207},
        "x",
    )
    assert (s.retention_days, s.athena_results_retention_days) == (2147483647, 2147483647)
    assert parse({"retentionDays": "+30", "noncurrentRetentionDays": "+1"}, "x").retention_days == 30


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # The root cause only: nothing judged against a value already refused.
        ({"retentionDays": 0}, ["retentionDays = 0: must be at least 1 day"]),
        (
            {"retentionDays": 0, "noncurrentRetentionDays": 0},
            ["retentionDays = 0: must be at least 1 day", "noncurrentRetentionDays = 0: must be at least 1 day"],
        ),
        ({"retentionDays": 0, "transitionDays": 30}, ["retentionDays = 0: must be at least 1 day"]),
        ({"retentionDays": "ninety", "noncurrentRetentionDays": 120}, [f"retentionDays = 'ninety': must be {INTEGER}"]),
        # A malformed value is not judged as the default that stands in for it.
        ({"retentionDays": 5, "noncurrentRetentionDays": "a week"}, [f"noncurrentRetentionDays = 'a week': must be {INTEGER}"]),
        ({"protectData": "yes", "forceDestroy": True}, ["protectData = 'yes': must be a boolean: true or false"]),
        (
            {"notify": "on", "notifyTopicArn": "arn:aws:sns:us-east-1:123456789012:team"},
            ["notify = 'on': must be a boolean: true or false"],
        ),
    ],
)
def test_a_check_that_depends_on_a_refused_value_reports_only_the_root_cause(values, expected):
    assert problems(values) == expected


def test_integers_with_leading_zeros_are_refused_as_ambiguous():
    assert only_problem({"retentionDays": "0755"}) == "retentionDays = '0755': must be an integer written without leading zeros"
    assert parse({"retentionDays": "7", "noncurrentRetentionDays": "1"}, "x").retention_days == 7
