"""The first `pulumi up` succeeds: whatever AWS checks against a role or a policy created in the
same deploy is created only after a wait for that role or policy, shown on the graph the real
__main__.py registers under mocks."""

import pytest

from components.propagation import PROPAGATION_SECONDS
from offline.program import Evaluation, Registration, evaluate

SLEEP = "time:index/sleep:Sleep"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
DESTINATION = "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


@pytest.fixture(scope="module")
def notifying() -> Evaluation:
    return evaluate("dev", {"alarmEmail": "oncall@example.com", "notify": True})


def named(ev: Evaluation, type_: str, suffix: str) -> Registration:
    return next(r for r in ev.of_type(type_) if r.name.endswith(suffix))


def waits_on(ev: Evaluation, r: Registration) -> set[str]:
    """The names of the waits a resource depends on, directly or through an input."""
    urns = set(r.dependencies) | {u for deps in r.property_dependencies.values() for u in deps}
    return {w.name for w in ev.of_type(SLEEP) if w.urn in urns}


@pytest.mark.parametrize(
    ("component", "type_", "suffix"),
    [("delivery", STREAM, "-delivery-stream"), ("publishing", DESTINATION, "-publishing-destination")],
)
def test_what_aws_checks_against_a_new_role_waits_for_the_role_and_its_policy(notifying, component, type_, suffix):
    wait = named(notifying, SLEEP, f"-{component}-role-wait")
    role, policy = named(notifying, ROLE, f"-{component}-role"), named(notifying, ROLE_POLICY, f"-{component}-role-policy")
    assert {role.urn, policy.urn} <= set(wait.dependencies)
    assert wait.inputs["createDuration"] == f"{PROPAGATION_SECONDS}s"
    # A replaced role or a rewritten policy waits again.
    assert wait.inputs["triggers"] == {"roleArn": role.outputs["arn"], "policy": policy.inputs["policy"]}
    assert waits_on(notifying, named(notifying, type_, suffix)) == {wait.name}


def test_the_sns_destination_and_the_email_subscription_wait_for_the_topic_policy(notifying):
    wait = named(notifying, SLEEP, "-alarms-topic-wait")
    policy = named(notifying, "aws:sns/topicPolicy:TopicPolicy", "-alarms-topic-policy")
    assert policy.urn in wait.dependencies
    assert waits_on(notifying, named(notifying, DESTINATION, "-notifications-destination")) == {wait.name}
    assert waits_on(notifying, notifying.one(SUBSCRIPTION)) == {wait.name}


def test_a_topic_the_stack_does_not_create_is_not_waited_for():
    ev = evaluate("dev", {"alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:team", "notify": True})
    assert sorted(w.name.removeprefix("ses-event-log-dev-") for w in ev.of_type(SLEEP)) == [
        "delivery-role-wait",
        "publishing-role-wait",
    ]
    assert waits_on(ev, named(ev, DESTINATION, "-notifications-destination")) == set()
