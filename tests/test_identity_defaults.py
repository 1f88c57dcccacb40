"""The dynamic provider that makes the configuration set the default of existing SES identities.

moto answers GetEmailIdentity (missing and unverified identities) but has no
PutEmailIdentityConfigurationSetAttributes, so the full lifecycle runs against botocore's Stubber,
which checks every request and response against the sesv2 API model and the exact calls made.
"""

import base64
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.provider.experimental import host
from pulumi.runtime.rpc import UNKNOWN

from components.identity_defaults import DefaultConfigurationSetProvider, IdentityError
from components.settings import SettingsError, parse
from offline.program import evaluate

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
OURS = "ses-event-log-prod"
DYNAMIC = "pulumi-python:dynamic:Resource"


def props(identity: str = "example.com", configuration_set_name: str = OURS, **extra) -> dict:
    return {"identity": identity, "configuration_set_name": configuration_set_name, "region": REGION, **extra}


def identity_answer(default: str | None = None, verified: bool = True) -> dict:
    answer = {
        "IdentityType": "DOMAIN",
        "VerifiedForSendingStatus": verified,
        "VerificationStatus": "SUCCESS" if verified else "PENDING",
    }
    if default:
        answer["ConfigurationSetName"] = default
    return answer


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture
def stubbed(monkeypatch):
    """The provider, with every client it makes replaced by one stubbed client."""
    client = boto3.client("sesv2", region_name=REGION)
    stubber = Stubber(client)
    monkeypatch.setattr(DefaultConfigurationSetProvider, "client", lambda self, props: client)
    with stubber:
        yield DefaultConfigurationSetProvider(), stubber
        stubber.assert_no_pending_responses()


def expect_get(stubber: Stubber, answer: dict, identity: str = "example.com") -> None:
    stubber.add_response("get_email_identity", answer, {"EmailIdentity": identity})


def expect_put(stubber: Stubber, configuration_set_name: str | None, identity: str = "example.com") -> None:
    params = {"EmailIdentity": identity}
    if configuration_set_name:
        params["ConfigurationSetName"] = configuration_set_name
    stubber.add_response("put_email_identity_configuration_set_attributes", {}, params)


def test_create_attaches_the_set_and_remembers_the_previous_default(stubbed):
    provider, stubber = stubbed
    expect_get(stubber, identity_answer(default="legacy"))
    expect_put(stubber, OURS)
    result = provider.create(props())
    assert result.id == "example.com"
    assert result.outs == {**props(), "previous_configuration_set_name": "legacy"}


def test_create_on_an_identity_without_default_remembers_none(stubbed):
    provider, stubber = stubbed
    expect_get(stubber, identity_answer(), "noreply@example.com")
    expect_put(stubber, OURS, "noreply@example.com")
    assert provider.create(props("noreply@example.com")).outs["previous_configuration_set_name"] is None


def test_create_refuses_an_unverified_identity_before_changing_it(stubbed):
    provider, stubber = stubbed
    expect_get(stubber, identity_answer(verified=False))
    with pytest.raises(IdentityError, match="'example.com' in us-east-1 is not verified"):
        provider.create(props())


def test_delete_restores_the_previous_default_while_ours(stubbed):
    provider, stubber = stubbed
    expect_get(stubber, identity_answer(default=OURS))
    expect_put(stubber, "legacy")
    provider.delete("example.com", props(previous_configuration_set_name="legacy"))


def test_delete_clears_the_default_when_there_was_none(stubbed):
    provider, stubber = stubbed
    expect_get(stubber, identity_answer(default=OURS))
    expect_put(stubber, None)  # no ConfigurationSetName: SES removes the default
    provider.delete("example.com", props(previous_configuration_set_name=None))


def test_delete_leaves_a_default_someone_else_set_since(stubbed):
    provider, stubber = stubbed
    expect_get(stubber, identity_answer(default="other-team"))
    provider.delete("example.com", props(previous_configuration_set_name="legacy"))  # no put call queued


def test_delete_of_an_identity_that_is_gone_does_nothing(stubbed):
    provider, stubber = stubbed
    stubber.add_client_error("get_email_identity", "NotFoundException", http_status_code=404)
    provider.delete("example.com", props(previous_configuration_set_name="legacy"))


def test_delete_clears_the_default_when_the_previous_set_was_deleted_meanwhile(stubbed):
    provider, stubber = stubbed
    expect_get(stubber, identity_answer(default=OURS))
    stubber.add_client_error(
        "put_email_identity_configuration_set_attributes",
        "NotFoundException",
        http_status_code=404,
        expected_params={"EmailIdentity": "example.com", "ConfigurationSetName": "legacy"},
    )
    expect_put(stubber, None)
    provider.delete("example.com", props(previous_configuration_set_name="legacy"))


def test_delete_fails_on_other_errors(stubbed):
    provider, stubber = stubbed
    expect_get(stubber, identity_answer(default=OURS))
    stubber.add_client_error("put_email_identity_configuration_set_attributes", "TooManyRequestsException", http_status_code=429)
    with pytest.raises(Exception, match="TooManyRequestsException"):
        provider.delete("example.com", props(previous_configuration_set_name="legacy"))


def test_read_detects_drift_and_the_next_update_sets_the_default_back(stubbed):
    provider, stubber = stubbed
    state = props(previous_configuration_set_name="legacy")
    expect_get(stubber, identity_answer(default="changed-by-hand"))
    read = provider.read("example.com", state)
    assert read.id == "example.com"
    assert read.outs["configuration_set_name"] == "changed-by-hand"
    diff = provider.diff("example.com", read.outs, props())
    assert diff.changes is True and diff.replaces == []
    expect_put(stubber, OURS)
    assert provider.update("example.com", read.outs, props()).outs["previous_configuration_set_name"] == "legacy"


def test_read_without_drift_changes_nothing(stubbed):
    provider, stubber = stubbed
    state = props(previous_configuration_set_name=None)
    expect_get(stubber, identity_answer(default=OURS))
    read = provider.read("example.com", state)
    assert read.outs == state
    assert provider.diff("example.com", read.outs, props()).changes is False


def test_read_of_a_deleted_identity_drops_the_resource(stubbed):
    provider, stubber = stubbed
    stubber.add_client_error("get_email_identity", "NotFoundException", http_status_code=404)
    assert provider.read("example.com", props()).id is None


def test_a_renamed_set_is_an_update_that_keeps_the_first_previous_default(stubbed):
    provider, stubber = stubbed
    olds = props(previous_configuration_set_name="legacy")
    news = props(configuration_set_name="renamed")
    diff = provider.diff("example.com", olds, news)
    assert diff.changes is True and diff.replaces == []
    expect_put(stubber, "renamed")
    outs = provider.update("example.com", olds, news).outs
    assert outs["configuration_set_name"] == "renamed" and outs["previous_configuration_set_name"] == "legacy"


@pytest.mark.parametrize("key", ["identity", "region"])
def test_another_identity_or_region_replaces(key):
    news = {**props(), key: "other.example.com" if key == "identity" else "eu-west-1"}
    diff = DefaultConfigurationSetProvider().diff("example.com", props(), news)
    assert diff.changes is True and diff.replaces == [key] and diff.delete_before_replace is False


def test_an_unknown_set_name_in_preview_is_a_change():
    assert DefaultConfigurationSetProvider().diff("example.com", props(), props(configuration_set_name=UNKNOWN)).changes is True


@mock_aws
def test_missing_identity_fails_with_a_clear_error():
    with pytest.raises(
        IdentityError, match=r"SES identity 'example.com' does not exist in us-east-1; create and verify it first"
    ):
        DefaultConfigurationSetProvider().create(props())


@mock_aws
def test_unverified_identity_fails_with_a_clear_error():
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="example.com")  # moto: not verified
    with pytest.raises(IdentityError, match="is not verified"):
        DefaultConfigurationSetProvider().create(props())


@mock_aws
def test_preview_reports_a_bad_identity_as_a_check_failure():
    provider = DefaultConfigurationSetProvider()
    (failure,) = provider.check({}, props("missing.example.com")).failures
    assert failure.property == "identity" and "'missing.example.com' does not exist in us-east-1" in failure.reason
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="new@example.com")
    (failure,) = provider.check({}, props("new@example.com")).failures
    assert "is not verified" in failure.reason


def test_check_skips_what_preview_does_not_know_yet(monkeypatch):
    monkeypatch.setattr(DefaultConfigurationSetProvider, "client", lambda self, props: pytest.fail("no call expected"))
    assert DefaultConfigurationSetProvider().check({}, props(region=UNKNOWN)).failures == []


def test_the_provider_survives_the_round_trip_through_the_stack_state():
    """Pulumi pickles the provider with dill into the state; the dynamic provider host loads it in
    another Python process, from the project directory."""
    serialized = serialize_provider(DefaultConfigurationSetProvider())
    assert b"botocore" not in base64.b64decode(serialized)  # no client captured
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import base64, sys, dill; p = dill.loads(base64.b64decode(sys.argv[1])); print(type(p).__qualname__)",
            serialized,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "DefaultConfigurationSetProvider"


def test_one_resource_per_identity_after_the_configuration_set():
    ev = evaluate("dev", {"defaultForIdentities": ["example.com", "noreply@example.com"]})
    defaults = ev.of_type(DYNAMIC)
    # Registration order follows the order outputs resolve in, not the list's.
    assert sorted((r.inputs["identity"], r.inputs["configuration_set_name"], r.inputs["region"]) for r in defaults) == [
        ("example.com", "ses-event-log-dev", REGION),
        ("noreply@example.com", "ses-event-log-dev", REGION),
    ]
    pipeline = ev.one("ses-event-log:index:SesEventLogPipeline")
    config_set = ev.one("aws:sesv2/configurationSet:ConfigurationSet")
    firehose_destination = next(
        r for r in ev.of_type("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination")
    )
    for r in defaults:
        assert r.custom and r.parent == pipeline.urn
        assert r.property_dependencies["configuration_set_name"] == [config_set.urn]
        assert firehose_destination.urn in r.dependencies  # logged from the first message
        provider = r.inputs["__provider"]
        assert base64.b64decode(provider).find(b"DefaultConfigurationSetProvider") > 0


def test_no_identity_defaults_by_default():
    assert evaluate("dev").of_type(DYNAMIC) == []


def test_other_languages_are_told_to_leave_identities_empty(monkeypatch):
    monkeypatch.setattr(host, "is_hosting", True)
    ev = evaluate("dev", {"defaultForIdentities": ["example.com"]}, raise_errors=False)
    assert isinstance(ev.error, SettingsError) and ev.resources == []
    assert "defaultForIdentities = ['example.com']: works only in a Python program" in str(ev.error)


@pytest.mark.parametrize(
    ("identities", "expected"),
    [
        (
            ["not an identity"],
            "defaultForIdentities = 'not an identity': must be an SES identity: a domain (example.com) or an email address",
        ),
        (["example"], "defaultForIdentities = 'example': must be an SES identity"),
        (["-bad.example.com"], "must be an SES identity"),
        (["a@b"], "defaultForIdentities = 'a@b': must be an SES identity"),
        (["example.com", "Example.COM"], "defaultForIdentities = 'Example.COM': is listed twice"),
        ("example.com", "defaultForIdentities = 'example.com': must be an array"),
        ({"example.com": "x"}, "defaultForIdentities = {'example.com': 'x'}: must be a list of SES identities"),
    ],
)
def test_bad_identities_are_named_with_what_is_allowed(identities, expected):
    with pytest.raises(SettingsError) as info:
        parse({"defaultForIdentities": identities}, "x")
    (problem,) = info.value.problems
    assert expected in problem


def test_identities_from_config_strings():
    s = parse({"defaultForIdentities": '["example.com", "noreply@mail.example.co.jp", "xn--r8jz45g.jp"]'}, "x")
    assert s.default_for_identities == ("example.com", "noreply@mail.example.co.jp", "xn--r8jz45g.jp")
