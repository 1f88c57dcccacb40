"""SesEventLogPipeline as a package for any Pulumi language: the schema the component provider
host derives from the component's annotations, checked offline against the settings, and the
hosted component constructed from inputs shaped as other languages send them."""

import json
import runpy
from pathlib import Path

import pulumi
import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.settings import KEYS
from offline.program import AwsMocks, RecordingMonitor, evaluate

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "provider"
ENTRY = runpy.run_path(str(PLUGIN / "__main__.py"), run_name="entry")  # not "__main__": loads, does not serve
PACKAGE, COMPONENTS = ENTRY["PACKAGE"], ENTRY["COMPONENTS"]
TOKEN = f"{PACKAGE}:index:SesEventLogPipeline"
# Config has no map type, so tags are Key=Value strings there; the component takes the map.
SCHEMA_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean", "array": "array"}
COMPONENT_TYPES = {"tags": "object"}


@pytest.fixture(scope="module")
def resource() -> dict:
    schema = json.loads(ComponentProvider(COMPONENTS, PACKAGE).schema)
    assert schema["name"] == PACKAGE
    return schema["resources"][TOKEN]


def test_the_analyzer_accepts_every_hosted_component():
    definitions = Analyzer(PACKAGE).analyze(COMPONENTS)["component_definitions"]
    assert set(definitions) == {c.__name__ for c in COMPONENTS}


def test_the_package_name_is_the_components_type_package():
    registered = evaluate("dev").one(TOKEN)  # the type token the component registers under
    assert registered.type.split(":")[0] == PACKAGE
    ComponentProvider.validate_resource_type(PACKAGE, registered.type)


def test_every_setting_is_an_optional_plain_input_with_its_description(resource):
    inputs = resource["inputProperties"]
    assert list(inputs) == [key.name for key in KEYS]
    assert resource["requiredInputs"] == []
    for key in KEYS:
        prop = inputs[key.name]
        assert prop["description"] == key.description, key.name
        assert prop["type"] == COMPONENT_TYPES.get(key.name, SCHEMA_TYPES[key.type]), key.name
        # Plain: the values are validated before anything is registered, so they must be known.
        assert prop["plain"] is True, key.name
        if key.type == "array" and key.name not in COMPONENT_TYPES:
            assert prop["items"]["type"] == "string", key.name
    assert inputs["tags"]["additionalProperties"]["type"] == "string"


def test_outputs_are_the_stack_outputs_and_the_optional_ones_are_optional(resource):
    full = evaluate(
        "dev",
        {
            "alarmEmail": "oncall@example.com",
            "notify": True,
            "notifyEventTypes": ["BOUNCE"],
            "defaultForIdentities": ["example.com"],
            "cognitoUserPoolIds": ["us-east-1_EXAMPLE"],
        },
    )
    assert set(resource["properties"]) == set(full.exports)
    assert set(resource["properties"]) - set(resource["required"]) == {
        "alarmTopicArn",
        "notificationTopicArn",
        "cognitoErrorTable",
        "cognitoLogGroupArn",
        "compactionFunction",
    }
    assert set(resource["required"]) == set(evaluate("dev", {"compaction": False}).exports)
    assert resource["description"]


def test_the_plugin_runs_with_python_and_installs_what_the_program_needs():
    assert yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text()) == {"runtime": "python"}
    requirements = [line for line in (PLUGIN / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert requirements == ["-r ../requirements.txt"]  # pip resolves it relative to this file
    assert (PLUGIN / "../requirements.txt").resolve() == ROOT / "requirements.txt"


def construct(inputs: dict) -> tuple[pulumi.provider.ConstructResult, list]:
    """What the host does when a program in another language creates the component: map the
    schema inputs (camelCase, numbers as floats) to the args and build it, here under mocks."""
    aws_mocks = AwsMocks("us-east-1")
    monitor = RecordingMonitor(aws_mocks)
    settings.ROOT.set(None)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    pulumi.runtime.set_all_config({})
    pulumi.runtime.set_mocks(aws_mocks, project="consumer", stack="dev", preview=True, monitor=monitor)
    provider = ComponentProvider(COMPONENTS, PACKAGE)
    built = {}
    _sync_await(run_pulumi_func(lambda: built.setdefault("result", provider.construct("mail", TOKEN, inputs))))
    return built["result"], monitor.registrations


def test_the_host_builds_the_component_from_inputs_as_other_languages_send_them():
    result, registered = construct(
        {
            "format": "parquet",
            "partitioning": "event-type",
            "bufferSizeMib": 128.0,
            "retentionDays": 400.0,
            "tags": {"Team": "mail"},
            "alarmEmail": "oncall@example.com",
            "notify": True,
            "notifyEventTypes": ["BOUNCE", "COMPLAINT"],
        }
    )
    by_type = {r.type: r for r in registered}
    stream = by_type["aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"].inputs["extendedS3Configuration"]
    assert stream["bufferingSize"] == 128 and "dataFormatConversionConfiguration" in stream
    assert by_type["aws:s3/bucket:Bucket"].inputs["tags"] == {"Team": "mail"}
    assert any(r.type == "aws:cloudwatch/metricAlarm:MetricAlarm" for r in registered)
    assert by_type["aws:sesv2/configurationSet:ConfigurationSet"].inputs["configurationSetName"] == "mail"
    assert {"bucketName", "streamArn", "alarmTopicArn", "notificationTopicArn"} <= set(result.state)


def test_the_host_reports_bad_inputs_with_key_value_and_rule():
    with pytest.raises(Exception, match=r"bufferSizeMib = 5: must be at least 64 MiB with format parquet") as info:
        construct({"format": "parquet", "bufferSizeMib": 5.0})
    assert type(info.value).__name__ == "ComponentInitError"
