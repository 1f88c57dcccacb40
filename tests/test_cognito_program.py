"""cognitoUserPoolIds: the setting's rules, and the real __main__.py under Pulumi mocks without pools (nothing
of the Cognito log is created) and with two (each pool delivers to one log group, which a subscription hands to a
Firehose stream writing under cognito/, read by a Glue table and a saved query)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.settings import SettingsError, parse, pipeline_args
from offline.policy_pack import wire  # assets compared as the engine sees them
from offline.program import ACCOUNT_ID, Evaluation, Registration, evaluate
from seslog.cognito.log import SCHEME, TABLE_NAME, glue_columns
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.prefixes import COGNITO_ERROR_PREFIX, COGNITO_PREFIX
from seslog.eventlog.queries import QUERIES, load

ROOT = Path(__file__).resolve().parents[1]
POOLS = ["us-east-1_AbC123xyz", "us-east-1_Zz9"]
REGION = "us-east-1"
DEV_RETENTION_DAYS = 7
DEV_ERROR_LOG_RETENTION_DAYS = 7
PIPELINE = "ses-event-log-dev"

COMPONENT = "ses-event-log:index:CognitoErrorLog"
DELIVERY = "aws:cognito/logDeliveryConfiguration:LogDeliveryConfiguration"
RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
SUBSCRIPTION = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_STREAM = "aws:cloudwatch/logStream:LogStream"
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TABLE = "aws:glue/catalogTable:CatalogTable"
NAMED_QUERY = "aws:athena/namedQuery:NamedQuery"
KEY = "aws:kms/key:Key"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
NEW_TYPES = {COMPONENT, DELIVERY, RESOURCE_POLICY, SUBSCRIPTION}
QUERY = load(ROOT / "seslog" / "cognito" / "queries" / "cognito-errors.sql")


# --- the setting -------------------------------------------------------------------------------


def problems(values: dict, region: str | None = REGION) -> list[str]:
    with pytest.raises(SettingsError) as info:
        parse(values, "x", region=region)
    return info.value.problems


ID_RULE = (
    "must be a Cognito user pool ID: 1-55 characters matching [\\w-]+_[0-9a-zA-Z]+, <region>_<id> such as "
    "us-east-1_EXAMPLE (SetLogDeliveryConfiguration)"
)


@pytest.mark.parametrize(
    "pool",
    [
        "us-east-1",  # no _<id>
        "us-east-1_",
        "_abc",
        "us-east-1_abc!",
        "us-east-1_ab-c",  # the part after the last _ is letters and digits only
        "us-east-1_" + "a" * 46,  # 56 characters
        "us-east-1_ä",  # the pattern's \w is ASCII
        "us-east-1_abc\n",
        "",
        5,
    ],
)
def test_a_malformed_pool_id_is_refused_naming_key_value_and_rule(pool):
    assert problems({"cognitoUserPoolIds": [pool]}) == [f"cognitoUserPoolIds = {pool!r}: {ID_RULE}"]


def test_the_longest_pool_id_and_the_id_pattern_pass():
    longest = "us-east-1_" + "a" * 45
    assert len(longest) == 55
    s = parse({"cognitoUserPoolIds": [longest, "us-east-1_EXAMPLE", "us-east-1_0a1B"]}, "x", region=REGION)
    assert s.cognito_user_pool_ids == (longest, "us-east-1_EXAMPLE", "us-east-1_0a1B")


def test_a_pool_listed_twice_is_refused():
    assert problems({"cognitoUserPoolIds": ["us-east-1_Abc", "us-east-1_Abc"]}) == [
        "cognitoUserPoolIds = 'us-east-1_Abc': is listed twice: a pool has one log delivery configuration"
    ]
    # IDs are case-sensitive: these are two pools.
    parse({"cognitoUserPoolIds": ["us-east-1_Abc", "us-east-1_abc"]}, "x", region=REGION)


def test_a_pool_of_another_region_is_refused_and_an_unset_region_is_named():
    assert problems({"cognitoUserPoolIds": ["eu-west-1_Abc"]}) == [
        (
            "cognitoUserPoolIds = 'eu-west-1_Abc': is a pool in eu-west-1, but the stack deploys to aws:region us-east-1; "
            "Cognito delivers a pool's logs only to a log group in the pool's own Region: deploy a stack in that Region for it"
        )
    ]
    assert problems({"cognitoUserPoolIds": ["eu-west-1_Abc"]}, region=None) == [
        (
            "cognitoUserPoolIds = 'eu-west-1_Abc': is a pool in eu-west-1, but the stack's aws:region is not set, so it "
            "cannot be checked: set aws:region (pulumi config set aws:region eu-west-1); Cognito delivers a pool's logs "
            "only to a log group in the pool's Region"
        )
    ]
    parse({"cognitoUserPoolIds": ["eu-west-1_Abc"]}, "x", region="eu-west-1")


def test_every_pool_problem_is_reported_at_once_and_the_list_itself_is_checked():
    found = problems({"cognitoUserPoolIds": ["bad", "us-east-1_A", "us-east-1_A", "eu-west-1_B"]})
    assert [p.split(": ", 1)[0] for p in found] == [
        "cognitoUserPoolIds = 'bad'",
        "cognitoUserPoolIds = 'us-east-1_A'",
        "cognitoUserPoolIds = 'eu-west-1_B'",
    ]
    assert problems({"cognitoUserPoolIds": {"pool": "us-east-1_A"}}) == [
        "cognitoUserPoolIds = {'pool': 'us-east-1_A'}: must be a list of Cognito user pool IDs, such as us-east-1_EXAMPLE"
    ]
    assert problems({"cognitoUserPoolIds": "us-east-1_A"}) == ["cognitoUserPoolIds = 'us-east-1_A': must be an array"]


def test_the_stack_config_passes_the_pools_to_the_component_and_none_by_default():
    args = pipeline_args({"cognitoUserPoolIds": json.dumps(POOLS)}, "x", region=REGION)
    assert args["cognito_user_pool_ids"] == POOLS
    assert parse(args, "x", region=REGION).cognito_user_pool_ids == tuple(POOLS)
    assert pipeline_args({}, "x", region=REGION)["cognito_user_pool_ids"] == []


# --- the program ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def without() -> Evaluation:
    return evaluate("dev")


@pytest.fixture(scope="module")
def pools() -> Evaluation:
    return evaluate("dev", {"cognitoUserPoolIds": POOLS})


def cognito_parts(ev: Evaluation) -> list[Registration]:
    (component,) = ev.of_type(COMPONENT)
    return [r for r in ev.resources if r.parent == component.urn]


def part(ev: Evaluation, type_: str) -> Registration:
    (found,) = [r for r in cognito_parts(ev) if r.type == type_]
    return found


def named(ev: Evaluation, suffix: str) -> Registration:
    (found,) = [r for r in ev.resources if r.name == f"{PIPELINE}-cognito-{suffix}"]
    return found


def document(r: Registration, key: str = "policy") -> dict:
    return json.loads(r.inputs[key])


def test_without_pools_nothing_of_the_cognito_log_is_created(without):
    assert not {r.type for r in without.resources} & NEW_TYPES
    assert [r.name for r in without.resources if "cognito" in r.name] == []
    assert len(without.of_type(STREAM)) == 1
    assert {g.inputs["name"] for g in without.of_type(LOG_GROUP)} == {
        f"/aws/kinesisfirehose/{PIPELINE}",
        f"/aws/lambda/{PIPELINE}-compaction",
    }
    assert {t.inputs["name"] for t in without.of_type(TABLE)} == {"events", "compact_recipients", "compact_messages"}
    assert len(without.of_type(NAMED_QUERY)) == len(QUERIES)
    assert not {"cognitoErrorTable", "cognitoLogGroupArn"} & set(without.exports)
    empty = evaluate("dev", {"cognitoUserPoolIds": []})
    assert {r.urn: wire(r.inputs) for r in empty.resources} == {r.urn: wire(r.inputs) for r in without.resources}


def test_with_pools_only_cognito_resources_are_added_under_their_component(without, pools):
    (pipeline,) = pools.of_type("ses-event-log:index:SesEventLogPipeline")
    (component,) = pools.of_type(COMPONENT)
    assert component.parent == pipeline.urn and component.name == f"{PIPELINE}-cognito"
    added = {r.urn for r in pools.resources} - {r.urn for r in without.resources}
    assert added == {component.urn} | {r.urn for r in cognito_parts(pools)}
    assert sorted(r.type for r in cognito_parts(pools)) == sorted(
        [DELIVERY, DELIVERY, LOG_GROUP, RESOURCE_POLICY, SUBSCRIPTION, ROLE, ROLE_POLICY, ROLE, ROLE_POLICY]
        + [STREAM, LOG_STREAM, TABLE, NAMED_QUERY, "time:index/sleep:Sleep", "time:index/sleep:Sleep"]
    )
    assert pools.exports["cognitoErrorTable"] == TABLE_NAME
    assert pools.exports["cognitoLogGroupArn"] == part(pools, LOG_GROUP).outputs["arn"]


def test_each_pool_delivers_its_message_delivery_errors_to_the_log_group(pools):
    policy = part(pools, RESOURCE_POLICY)
    deliveries = [r for r in cognito_parts(pools) if r.type == DELIVERY]
    assert sorted(r.inputs["userPoolId"] for r in deliveries) == sorted(POOLS)
    for delivery in deliveries:
        assert delivery.inputs["logConfigurations"] == [
            {
                "eventSource": "userNotification",
                "logLevel": "ERROR",
                "cloudWatchLogsConfiguration": {"logGroupArn": pools.exports["cognitoLogGroupArn"]},
            }
        ]
        # The explicit resource policy comes first, so delivery writes none of its own.
        assert policy.urn in delivery.dependencies


def test_the_log_group_is_a_vended_logs_group_without_kms_kept_as_long_as_the_error_log(pools):
    group = part(pools, LOG_GROUP).inputs
    assert group["name"] == f"/aws/vendedlogs/cognito/{PIPELINE}"
    # Cognito refuses a log group encrypted with KMS (Cognito API reference, CloudWatchLogsConfigurationType).
    assert "kmsKeyId" not in group
    assert group["retentionInDays"] == DEV_ERROR_LOG_RETENTION_DAYS
    assert group["tags"] == {"Environment": "dev", "Service": "ses-event-log"}
    prod = evaluate("prod", {"cognitoUserPoolIds": POOLS[:1]})
    assert part(prod, LOG_GROUP).inputs["retentionInDays"] == 365


def test_the_key_policy_is_unchanged_by_the_pools(without, pools):
    assert pools.one(KEY).inputs["policy"] == without.one(KEY).inputs["policy"]


def test_only_log_delivery_may_write_to_the_log_group_for_this_account(pools):
    (statement,) = document(part(pools, RESOURCE_POLICY), "policyDocument")["Statement"]
    assert part(pools, RESOURCE_POLICY).inputs["policyName"] == f"{PIPELINE}-cognito-delivery"
    assert statement == {
        "Sid": "CognitoDeliversToTheLogGroup",
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/vendedlogs/cognito/{PIPELINE}:log-stream:*"],
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:*"},
        },
    }


def test_the_subscription_hands_every_event_to_the_stream_through_its_role(pools):
    subscription = part(pools, SUBSCRIPTION)
    stream, role = part(pools, STREAM), named(pools, "subscription-role")
    assert subscription.inputs == {
        "name": "cognito-errors",
        "logGroup": f"/aws/vendedlogs/cognito/{PIPELINE}",
        "filterPattern": "",
        "destinationArn": stream.outputs["arn"],
        "roleArn": role.outputs["arn"],
    }
    # PutSubscriptionFilter tests the destination through the role: after its policy has settled.
    assert named(pools, "subscription-role-wait").urn in subscription.dependencies
    (trust,) = document(role, "assumeRolePolicy")["Statement"]
    assert trust == {
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Principal": {"Service": "logs.amazonaws.com"},
        "Condition": {"StringLike": {"aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:*"}},
    }
    (allowed,) = document(named(pools, "subscription-role-policy"))["Statement"]
    assert allowed["Action"] == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    assert allowed["Resource"] == [stream.outputs["arn"]]
    assert "Condition" not in allowed


def test_the_stream_writes_whole_subscription_messages_under_the_layouts_prefix(pools):
    stream = part(pools, STREAM)
    s3 = stream.inputs["extendedS3Configuration"]
    assert stream.inputs["destination"] == "extended_s3"
    assert stream.inputs["serverSideEncryption"] == {
        "enabled": True,
        "keyType": "CUSTOMER_MANAGED_CMK",
        "keyArn": pools.exports["kmsKeyArn"],
    }
    assert s3["bucketArn"] == pools.exports["bucketArn"]
    assert s3["kmsKeyArn"] == pools.exports["kmsKeyArn"]
    assert s3["roleArn"] == named(pools, "role").outputs["arn"]
    assert s3["prefix"] == SCHEME.firehose_prefix() == "cognito/dt=!{timestamp:yyyy-MM-dd}/"
    assert s3["errorOutputPrefix"] == COGNITO_ERROR_PREFIX
    assert (s3["compressionFormat"], s3["fileExtension"]) == ("GZIP", ".json.gz")
    assert (s3["bufferingSize"], s3["bufferingInterval"]) == (1, 60)
    # Decompressed and kept whole, one line each: no CloudWatchLogProcessing (message extraction).
    assert s3["processingConfiguration"] == {
        "enabled": True,
        "processors": [
            {"type": "Decompression", "parameters": [{"parameterName": "CompressionFormat", "parameterValue": "GZIP"}]},
            {"type": "AppendDelimiterToRecord"},
        ],
    }
    assert "dataFormatConversionConfiguration" not in s3 and "dynamicPartitioningConfiguration" not in s3
    assert s3["cloudwatchLoggingOptions"] == {
        "enabled": True,
        "logGroupName": pools.exports["errorLogGroup"],
        "logStreamName": "CognitoDestinationDelivery",
    }
    assert part(pools, LOG_STREAM).inputs == {
        "name": "CognitoDestinationDelivery",
        "logGroupName": pools.exports["errorLogGroup"],
    }
    assert named(pools, "role-wait").urn in stream.dependencies


def test_the_firehose_role_writes_only_under_the_cognito_prefixes(pools):
    bucket_arn, key_arn = pools.exports["bucketArn"], pools.exports["kmsKeyArn"]
    (trust,) = document(named(pools, "role"), "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": ACCOUNT_ID}}
    statements = {s["Sid"]: s for s in document(named(pools, "role-policy"))["Statement"]}
    assert set(statements) == {"FindTheBucket", "WriteCognitoErrors", "EncryptObjectsThroughS3", "LogDeliveryErrors"}
    assert statements["FindTheBucket"]["Resource"] == [bucket_arn]
    assert statements["WriteCognitoErrors"]["Action"] == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    assert statements["WriteCognitoErrors"]["Resource"] == [f"{bucket_arn}/cognito/*", f"{bucket_arn}/cognito-errors/*"]
    assert statements["EncryptObjectsThroughS3"] == {
        "Sid": "EncryptObjectsThroughS3",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": [key_arn],
        "Condition": {
            "StringEquals": {
                "kms:ViaService": f"s3.{REGION}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": bucket_arn,
            }
        },
    }
    assert statements["LogDeliveryErrors"]["Action"] == ["logs:PutLogEvents"]
    assert statements["LogDeliveryErrors"]["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/kinesisfirehose/{PIPELINE}:log-stream:CognitoDestinationDelivery"
    ]
    for policy in pools.of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert not any("*" in a for a in statement["Action"]) and "*" not in statement["Resource"], statement


def test_the_table_reads_the_layout_of_seslog_cognito(pools):
    table = part(pools, TABLE).inputs
    bucket = pools.exports["bucketName"]
    assert (table["name"], table["databaseName"], table["tableType"]) == (TABLE_NAME, "ses_event_log_dev", "EXTERNAL_TABLE")
    assert table["partitionKeys"] == [{"name": "dt", "type": "string"}]
    assert table["parameters"] == {
        "EXTERNAL": "TRUE",
        "classification": "json",
        **SCHEME.projection_parameters(bucket, DEV_RETENTION_DAYS),
    }
    assert table["parameters"]["storage.location.template"] == f"s3://{bucket}/cognito/dt=${{dt}}/"
    assert table["parameters"]["projection.dt.range"] == f"NOW-{DEV_RETENTION_DAYS}DAYS,NOW"
    descriptor = table["storageDescriptor"]
    assert descriptor["location"] == f"s3://{bucket}/{COGNITO_PREFIX}"
    json_format = FORMATS["json"]
    assert descriptor["serDeInfo"] == {"serializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}
    assert (descriptor["inputFormat"], descriptor["outputFormat"]) == (json_format.input_format, json_format.output_format)
    assert descriptor["columns"] == glue_columns()


def test_the_saved_query_is_the_rendered_template_in_the_stacks_workgroup(pools):
    query = part(pools, NAMED_QUERY).inputs
    assert query["name"] == "cognito-errors"
    assert query["query"] == QUERY.render(SCHEME, TABLE_NAME).sql
    assert query["description"] == QUERY.athena_description(SCHEME, TABLE_NAME)
    assert (query["workgroup"], query["database"]) == (pools.exports["athenaWorkgroup"], pools.exports["glueDatabase"])
    assert re.search(r"FROM cognito_errors\b", query["query"]) and "?" in query["query"]


def expiring(rules: list[dict], key: str) -> list[dict]:
    """The enabled lifecycle rules whose filter takes the object ``key``."""
    return [r for r in rules if r["status"] == "Enabled" and key.startswith(r["filter"].get("prefix", ""))]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_bucket_expires_and_guards_the_cognito_objects_as_it_does_the_events(stack):
    ev = evaluate(stack, {"cognitoUserPoolIds": POOLS[:1]})
    rules = ev.one(LIFECYCLE).inputs["rules"]
    retention = {"dev": 7, "prod": 400}[stack]
    noncurrent = {"dev": 1, "prod": 30}[stack]
    for key in (
        "events/dt=2024-05-01/ses-event-log-1-2024-05-01.json.gz",
        "cognito/dt=2024-05-01/stream-1-2024-05-01-07-05-09-uuid.json.gz",
        "cognito-errors/processing-failed/dt=2024-05-01/stream-1-2024-05-01-07-05-09-uuid",
    ):
        taking = expiring(rules, key)
        assert min(r["expiration"]["days"] for r in taking if "days" in r.get("expiration", {})) == retention, key
        assert [r["noncurrentVersionExpiration"]["noncurrentDays"] for r in taking if "noncurrentVersionExpiration" in r] == [
            noncurrent
        ]
        assert any(r["expiration"].get("expiredObjectDeleteMarker") for r in taking), key
    (deny,) = json.loads(ev.one(BUCKET_POLICY).inputs["policy"])["Statement"]
    assert deny["Resource"] == [ev.exports["bucketArn"], f"{ev.exports['bucketArn']}/*"]


def test_a_bad_pool_creates_nothing_and_says_why():
    ev = evaluate("dev", {"cognitoUserPoolIds": ["eu-west-1_Abc"]}, raise_errors=False)
    assert isinstance(ev.error, SettingsError) and ev.resources == []
    assert "cognitoUserPoolIds = 'eu-west-1_Abc': is a pool in eu-west-1" in str(ev.error)
