"""The real __main__.py under Pulumi mocks, for every format x scheme and both stacks: the
resource graph it registers."""

import itertools
import json
import re
from pathlib import Path

import pytest

from components.settings import SettingsError
from offline.program import ACCOUNT_ID, Evaluation, evaluate
from seslog.eventlog.formats import FORMATS
from seslog.eventlog.partitioning import SCHEMES, scheme_for
from seslog.eventlog.prefixes import ERROR_PREFIX
from seslog.eventlog.schema import glue_columns

STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
TABLE = "aws:glue/catalogTable:CatalogTable"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
COMBINATIONS = list(itertools.product(FORMATS, SCHEMES))
DEV_RETENTION_DAYS = int(
    re.search(r"retentionDays: (\d+)", (Path(__file__).resolve().parents[1] / "Pulumi.dev.yaml").read_text())[1]
)


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], Evaluation]:
    return {
        (fmt, scheme): evaluate("dev", {"format": fmt, "partitioning": scheme, "bufferSizeMib": 64})
        for fmt, scheme in COMBINATIONS
    }


@pytest.fixture(scope="module")
def prod() -> Evaluation:
    return evaluate("prod")


@pytest.fixture(scope="module")
def dev() -> Evaluation:
    return evaluate("dev")


def s3_config(ev: Evaluation) -> dict:
    return ev.one(STREAM).inputs["extendedS3Configuration"]


def policy_of(ev: Evaluation, component: str) -> dict:
    policy = next(r for r in ev.of_type(ROLE_POLICY) if r.name.endswith(f"-{component}-role-policy"))
    return json.loads(policy.inputs["policy"])


def trust_of(ev: Evaluation, component: str) -> dict:
    role = next(r for r in ev.of_type(ROLE) if r.name.endswith(f"-{component}-role"))
    return json.loads(role.inputs["assumeRolePolicy"])


@pytest.mark.parametrize(("fmt", "scheme"), COMBINATIONS)
def test_conversion_only_for_columnar_formats(runs, fmt, scheme):
    config = s3_config(runs[fmt, scheme])
    conversion = config.get("dataFormatConversionConfiguration")
    if fmt == "json":
        assert conversion is None
        assert config["compressionFormat"] == "GZIP"
        assert config["fileExtension"] == ".json.gz"
        return
    assert config["compressionFormat"] == "UNCOMPRESSED"  # Firehose: conversion needs it
    assert config["fileExtension"] == f".{fmt}"
    assert conversion["enabled"] is True
    assert conversion["inputFormatConfiguration"] == {"deserializer": {"openXJsonSerDe": {"caseInsensitive": True}}}
    expected_serializer = {"parquet": "parquetSerDe", "orc": "orcSerDe"}[fmt]
    assert conversion["outputFormatConfiguration"]["serializer"] == {expected_serializer: {"compression": "SNAPPY"}}
    schema = conversion["schemaConfiguration"]
    table = runs[fmt, scheme].one(TABLE, name="events")
    assert (schema["databaseName"], schema["tableName"]) == (table.inputs["databaseName"], table.inputs["name"])
    assert schema["roleArn"] == runs[fmt, scheme].one(STREAM).inputs["extendedS3Configuration"]["roleArn"]


@pytest.mark.parametrize(("fmt", "scheme"), COMBINATIONS)
def test_dynamic_partitioning_only_for_dynamic_schemes(runs, fmt, scheme):
    ev = runs[fmt, scheme]
    config = s3_config(ev)
    if not SCHEMES[scheme].dynamic:
        assert "dynamicPartitioningConfiguration" not in config
        assert "processingConfiguration" not in config
        return
    assert config["dynamicPartitioningConfiguration"]["enabled"] is True
    (processor,) = config["processingConfiguration"]["processors"]
    params = {p["parameterName"]: p["parameterValue"] for p in processor["parameters"]}
    assert processor["type"] == "MetadataExtraction"
    # The send-date scheme files late events under their send day for as long as the stack keeps objects.
    expected = scheme_for(scheme, DEV_RETENTION_DAYS).metadata_extraction_query()
    assert params == {"JsonParsingEngine": "JQ-1.6", "MetadataExtractionQuery": expected}
    assert (f"- {DEV_RETENTION_DAYS * 86400}]" in expected) == (scheme == "send-date")
    assert "extendedS3Configuration.dynamicPartitioningConfiguration" in ev.one(STREAM).replace_on_changes


@pytest.mark.parametrize(("fmt", "scheme"), COMBINATIONS)
def test_prefix_and_projection_template_agree(runs, fmt, scheme):
    ev = runs[fmt, scheme]
    config = s3_config(ev)
    table = ev.one(TABLE, name="events").inputs
    bucket = ev.exports["bucketName"]
    assert config["prefix"] == SCHEMES[scheme].firehose_prefix()
    assert config["errorOutputPrefix"] == ERROR_PREFIX
    assert table["storageDescriptor"]["location"] == f"s3://{bucket}/events/"
    assert [k["name"] for k in table.get("partitionKeys", [])] == list(SCHEMES[scheme].columns)
    template = table["parameters"].get("storage.location.template")
    if not SCHEMES[scheme].keys:
        assert "projection.enabled" not in table["parameters"]
        return
    # Replace each Firehose expression and each ${column} by the column name: same path.
    from_firehose = re.sub(r"(\w+)=!\{[^}]+\}", r"\1=<\1>", config["prefix"])
    from_athena = re.sub(r"(\w+)=\$\{(\w+)\}", r"\1=<\2>", template)
    assert from_athena == f"s3://{bucket}/{from_firehose}"
    assert table["parameters"]["projection.enabled"] == "true"
    if scheme == "send-date":
        # An object kept retentionDays holds events sent up to retentionDays before it arrived.
        assert table["parameters"]["projection.sent.range"] == f"NOW-{2 * DEV_RETENTION_DAYS}DAYS,NOW"
        assert table["parameters"]["projection.dt.range"] == f"NOW-{DEV_RETENTION_DAYS}DAYS,NOW"


@pytest.mark.parametrize(("fmt", "scheme"), COMBINATIONS)
def test_glue_table_reads_the_format(runs, fmt, scheme):
    table = runs[fmt, scheme].one(TABLE, name="events").inputs
    descriptor = table["storageDescriptor"]
    assert descriptor["serDeInfo"]["serializationLibrary"] == FORMATS[fmt].serde
    assert descriptor["inputFormat"] == FORMATS[fmt].input_format
    assert descriptor["columns"] == glue_columns()
    assert table["parameters"]["classification"] == fmt


def test_every_custom_resource_has_a_component_parent(prod):
    components = {r.urn: r for r in prod.resources if not r.custom}
    pipeline = [r for r in components.values() if r.type == "ses-event-log:index:SesEventLogPipeline"]
    assert len(pipeline) == 1
    for r in prod.resources:
        if r.custom:
            assert r.parent in components, r.name
        elif r is not pipeline[0]:
            assert r.parent == pipeline[0].urn, r.name
    parents = {r.name: components[r.parent].type.rsplit(":", 1)[1] for r in prod.resources if r.custom}
    assert parents["ses-event-log-prod-storage-bucket"] == "LogBucket"
    assert parents["ses-event-log-prod-delivery-stream"] == "EventDelivery"
    assert parents["ses-event-log-prod-catalog-table"] == "EventCatalog"
    assert parents["ses-event-log-prod-publishing-destination"] == "EventPublishing"
    assert parents["ses-event-log-prod-encryption-key"] == "PipelineKey"


def test_firehose_role_may_touch_only_its_bucket_prefixes_key_log_stream_and_table(prod):
    statements = {s["Sid"]: s for s in policy_of(prod, "delivery")["Statement"]}
    bucket_arn = prod.exports["bucketArn"]
    key_arn = prod.exports["kmsKeyArn"]
    assert statements["FindTheBucket"]["Resource"] == [bucket_arn]
    assert statements["WriteEventsAndErrors"]["Resource"] == [f"{bucket_arn}/events/*", f"{bucket_arn}/errors/*"]
    kms = statements["EncryptObjectsThroughS3"]
    assert kms["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert kms["Resource"] == [key_arn]
    # With the bucket key on, the encryption context is the bucket ARN (AWS_FACTS: KMS).
    assert kms["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": bucket_arn}
    }
    assert statements["LogDeliveryErrors"]["Resource"] == [
        f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/kinesisfirehose/ses-event-log-prod:log-stream:DestinationDelivery"
    ]
    glue = statements["ReadTheConversionSchema"]
    assert glue["Resource"] == [
        f"arn:aws:glue:us-east-1:{ACCOUNT_ID}:catalog",
        f"arn:aws:glue:us-east-1:{ACCOUNT_ID}:database/ses_event_log_prod",
        f"arn:aws:glue:us-east-1:{ACCOUNT_ID}:table/ses_event_log_prod/events",
    ]


def test_firehose_role_reads_no_glue_table_without_conversion(dev):
    assert "ReadTheConversionSchema" not in {s["Sid"] for s in policy_of(dev, "delivery")["Statement"]}


def test_roles_trust_one_service_with_confused_deputy_conditions(prod):
    (firehose,) = trust_of(prod, "delivery")["Statement"]
    assert firehose["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert firehose["Condition"] == {"StringEquals": {"sts:ExternalId": ACCOUNT_ID}}
    (ses,) = trust_of(prod, "publishing")["Statement"]
    assert ses["Principal"] == {"Service": "ses.amazonaws.com"}
    assert ses["Action"] == ["sts:AssumeRole"]
    assert ses["Condition"] == {
        "StringEquals": {
            "AWS:SourceAccount": ACCOUNT_ID,
            "AWS:SourceArn": f"arn:aws:ses:us-east-1:{ACCOUNT_ID}:configuration-set/ses-event-log-prod",
        }
    }


def test_ses_role_may_only_put_records_to_the_stream(prod):
    (statement,) = policy_of(prod, "publishing")["Statement"]
    assert statement["Action"] == ["firehose:PutRecordBatch"]
    assert statement["Resource"] == [prod.exports["streamArn"]]


@pytest.mark.parametrize(("fmt", "scheme"), COMBINATIONS)
def test_no_wildcard_actions_or_resources_in_role_policies(runs, fmt, scheme):
    for policy in runs[fmt, scheme].of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert not any("*" in a for a in statement["Action"]), statement
            assert "*" not in statement["Resource"], statement


def test_key_policy_lets_cloudwatch_logs_use_the_key_for_the_error_log_only(prod):
    statements = {s["Sid"]: s for s in json.loads(prod.one(KEY).inputs["policy"])["Statement"]}
    assert statements["AccountAdministers"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    logs = statements["CloudWatchLogsEncryptsTheLogs"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": [
                f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/kinesisfirehose/ses-event-log-prod",
                f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/lambda/ses-event-log-prod-compaction",
            ]
        }
    }
    log_group = prod.one("aws:cloudwatch/logGroup:LogGroup", name="/aws/kinesisfirehose/ses-event-log-prod").inputs
    assert log_group["name"] == "/aws/kinesisfirehose/ses-event-log-prod"
    assert log_group["kmsKeyId"] == prod.exports["kmsKeyArn"]
    assert log_group["retentionInDays"] == 365


def test_everything_is_encrypted_with_the_customer_managed_key(prod):
    key_arn = prod.exports["kmsKeyArn"]
    key = prod.one(KEY).inputs
    assert key["enableKeyRotation"] is True and key["deletionWindowInDays"] == 30
    stream = prod.one(STREAM).inputs
    assert stream["serverSideEncryption"] == {"enabled": True, "keyType": "CUSTOMER_MANAGED_CMK", "keyArn": key_arn}
    assert stream["extendedS3Configuration"]["kmsKeyArn"] == key_arn
    (rule,) = prod.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
        "bucketKeyEnabled": True,
    }
    workgroup = prod.one("aws:athena/workgroup:Workgroup").inputs["configuration"]
    assert workgroup["resultConfiguration"]["encryptionConfiguration"] == {"encryptionOption": "SSE_KMS", "kmsKeyArn": key_arn}
    assert workgroup["enforceWorkgroupConfiguration"] is True


def test_bucket_is_private_tls_only_versioned_and_expires(prod):
    block = prod.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    ownership = prod.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert prod.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    (deny,) = json.loads(prod.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = prod.exports["bucketArn"]
    assert deny["Resource"] == [bucket_arn, f"{bucket_arn}/*"]
    rules = {r["id"]: r for r in prod.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]}
    retention = rules["retention"]
    assert retention["expiration"] == {"days": 400}
    assert retention["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert retention["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
    assert retention["transitions"] == [{"days": 90, "storageClass": "STANDARD_IA"}]
    assert rules["athena-results"]["filter"] == {"prefix": "athena-results/"}
    assert rules["athena-results"]["expiration"] == {"days": 7}


def test_prod_protects_its_data_and_dev_does_not(prod, dev):
    for ev, protected in ((prod, True), (dev, False)):
        for type_ in (BUCKET, KEY):
            r = ev.one(type_)
            assert (r.protect, r.retain_on_delete) == (protected, protected), (type_, protected)
        assert ev.one(BUCKET).inputs["forceDestroy"] is False


def test_configuration_set_and_destination(prod):
    config_set = prod.one("aws:sesv2/configurationSet:ConfigurationSet").inputs
    assert config_set["configurationSetName"] == "ses-event-log-prod"
    assert config_set["deliveryOptions"] == {"tlsPolicy": "REQUIRE"}
    destination = prod.one("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination")
    assert destination.inputs["configurationSetName"] == "ses-event-log-prod"
    event = destination.inputs["eventDestination"]
    assert len(event["matchingEventTypes"]) == 10 and event["enabled"] is True
    assert event["kinesisFirehoseDestination"]["deliveryStreamArn"] == prod.exports["streamArn"]
    wait = next(r for r in prod.resources if r.name.endswith("publishing-role-wait"))
    assert wait.urn in destination.dependencies  # SES checks the role when the destination is made (tests/test_first_deploy.py)


def test_existing_configuration_set_gets_only_the_destination():
    ev = evaluate("dev", {"existingConfigurationSetName": "cognito-mail", "eventTypes": ["BOUNCE", "COMPLAINT"]})
    assert ev.of_type("aws:sesv2/configurationSet:ConfigurationSet") == []
    destination = ev.one("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination").inputs
    assert destination["configurationSetName"] == "cognito-mail"
    assert destination["eventDestination"]["matchingEventTypes"] == ["BOUNCE", "COMPLAINT"]
    (ses,) = trust_of(ev, "publishing")["Statement"]
    assert ses["Condition"]["StringEquals"]["AWS:SourceArn"].endswith(":configuration-set/cognito-mail")
    assert ev.exports["configurationSetName"] == "cognito-mail"


def test_existing_key_is_used_everywhere_and_none_is_created():
    arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    ev = evaluate("dev", {"kmsKeyArn": arn})
    assert ev.of_type(KEY) == []
    assert ev.one(STREAM).inputs["serverSideEncryption"]["keyArn"] == arn
    assert {g.inputs["kmsKeyId"] for g in ev.of_type("aws:cloudwatch/logGroup:LogGroup")} == {arn}
    assert ev.exports["kmsKeyArn"] == arn


def test_tags_reach_the_resources(dev):
    assert dev.one(BUCKET).inputs["tags"] == {"Environment": "dev", "Service": "ses-event-log"}
    assert dev.one(STREAM).inputs["tags"] == {"Environment": "dev", "Service": "ses-event-log"}


def test_outputs(dev):
    assert set(dev.exports) == {
        "bucketName",
        "bucketArn",
        "dataPrefix",
        "kmsKeyArn",
        "streamName",
        "streamArn",
        "errorLogGroup",
        "configurationSetName",
        "glueDatabase",
        "glueTable",
        "athenaWorkgroup",
        "compactionFunction",
    }
    assert dev.exports["glueDatabase"] == "ses_event_log_dev" and dev.exports["dataPrefix"] == "events/"


def test_invalid_settings_create_nothing_and_say_everything():
    ev = evaluate("dev", {"format": "parquet", "partitioning": "event-type", "retentionDays": 0}, raise_errors=False)
    assert isinstance(ev.error, SettingsError)
    assert ev.resources == []
    message = str(ev.error)
    assert "bufferSizeMib = 5: must be at least 64 MiB with format parquet" in message
    assert "retentionDays = 0: must be at least 1 day" in message
