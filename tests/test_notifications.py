"""Notifications as they happen: a second SES event destination that publishes the chosen event
types to SNS, the permissions SES needs for it, and the settings that ask for it."""

import json

import pytest

from components.settings import SettingsError, parse
from offline.program import ACCOUNT_ID, evaluate

DESTINATION = "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
KEY = "aws:kms/key:Key"
NOTIFY = ["BOUNCE", "COMPLAINT", "REJECT", "RENDERING_FAILURE"]
TEAM_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:mail-team"
SET_ARN = f"arn:aws:ses:us-east-1:{ACCOUNT_ID}:configuration-set/ses-event-log-dev"


def destinations(ev) -> dict[str, dict]:
    return {r.inputs["eventDestinationName"]: r for r in ev.of_type(DESTINATION)}


def statements(policy_json: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(policy_json)["Statement"]}


def test_no_notifications_by_default():
    ev = evaluate("dev", {"alarmEmail": "oncall@example.com"})
    assert set(destinations(ev)) == {"event-log-firehose"}
    assert "notificationTopicArn" not in ev.exports
    assert "SesEventsOfThisConfigurationSet" not in statements(ev.one(TOPIC_POLICY).inputs["policy"])


def test_events_go_to_the_alarm_topic_as_they_happen():
    ev = evaluate("dev", {"alarmEmail": "oncall@example.com", "notify": True})
    notification = destinations(ev)["event-log-notifications"]
    topic_arn = ev.exports["alarmTopicArn"]
    assert notification.inputs == {
        "configurationSetName": "ses-event-log-dev",
        "eventDestinationName": "event-log-notifications",
        "eventDestination": {"enabled": True, "matchingEventTypes": NOTIFY, "snsDestination": {"topicArn": topic_arn}},
    }
    assert ev.exports["notificationTopicArn"] == topic_arn
    # The Firehose destination still gets every event.
    assert len(destinations(ev)["event-log-firehose"].inputs["eventDestination"]["matchingEventTypes"]) == 10
    # Created once the configuration set exists and the topic policy lets SES publish.
    deps = notification.property_dependencies
    assert deps["configurationSetName"] == [ev.one("aws:sesv2/configurationSet:ConfigurationSet").urn]
    assert ev.one(TOPIC_POLICY).urn in deps["eventDestination"]
    component = ev.one("ses-event-log:index:EventNotifications")
    assert notification.parent == component.urn and component.parent == ev.one("ses-event-log:index:SesEventLogPipeline").urn


def test_only_ses_for_this_account_and_configuration_set_may_publish_to_the_alarm_topic():
    ev = evaluate("dev", {"alarmEmail": "oncall@example.com", "notify": True})
    ses = statements(ev.one(TOPIC_POLICY).inputs["policy"])["SesEventsOfThisConfigurationSet"]
    assert ses["Principal"] == {"Service": "ses.amazonaws.com"}
    assert ses["Action"] == ["sns:Publish"] and ses["Resource"] == [ev.exports["alarmTopicArn"]]
    assert ses["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": SET_ARN}}
    # SNS guide: SES must use the key that encrypts the topic, or nothing is delivered.
    key = statements(ev.one(KEY).inputs["policy"])["SesPublishesEventsToTheAlarmTopic"]
    assert key["Principal"] == {"Service": "ses.amazonaws.com"}
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert key["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": SET_ARN}}


def test_events_go_to_the_team_topic_when_named():
    ev = evaluate("dev", {"notify": True, "notifyEventTypes": ["BOUNCE", "COMPLAINT"], "notifyTopicArn": TEAM_TOPIC})
    destination = destinations(ev)["event-log-notifications"].inputs["eventDestination"]
    assert destination["snsDestination"] == {"topicArn": TEAM_TOPIC}
    assert destination["matchingEventTypes"] == ["BOUNCE", "COMPLAINT"]
    assert ev.of_type("aws:sns/topic:Topic") == [] and ev.of_type(TOPIC_POLICY) == []
    # Not our topic, not our key's business: its owner grants SES (see docs/operations.md).
    assert "SesPublishesEventsToTheAlarmTopic" not in statements(ev.one(KEY).inputs["policy"])
    assert ev.exports["notificationTopicArn"] == TEAM_TOPIC and "alarmTopicArn" not in ev.exports


def test_team_topic_beside_created_alarm_topic_gives_ses_nothing_on_ours():
    ev = evaluate("dev", {"alarmEmail": "oncall@example.com", "notify": True, "notifyTopicArn": TEAM_TOPIC})
    assert destinations(ev)["event-log-notifications"].inputs["eventDestination"]["snsDestination"] == {"topicArn": TEAM_TOPIC}
    assert set(statements(ev.one(TOPIC_POLICY).inputs["policy"])) == {"CloudWatchAlarmsOfThisPipeline"}
    assert "SesPublishesEventsToTheAlarmTopic" not in statements(ev.one(KEY).inputs["policy"])


def test_existing_configuration_set_gets_the_notifications_too():
    ev = evaluate(
        "dev",
        {
            "existingConfigurationSetName": "cognito-mail",
            "notify": True,
            "notifyEventTypes": ["COMPLAINT"],
            "notifyTopicArn": TEAM_TOPIC,
        },
    )
    assert destinations(ev)["event-log-notifications"].inputs["configurationSetName"] == "cognito-mail"


def test_asking_for_notifications_without_a_topic_creates_nothing():
    ev = evaluate("dev", {"notify": True}, raise_errors=False)
    assert isinstance(ev.error, SettingsError) and ev.resources == []
    assert "notify = True: has no topic to publish to" in str(ev.error)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"notify": True, "notifyEventTypes": ["BOUNCE"]},
            "notify = True: has no topic to publish to: set notifyTopicArn, or alarmEmail or alarmTopicArn for the alarm topic",
        ),
        (
            {"notifyTopicArn": TEAM_TOPIC},
            f"notifyTopicArn = '{TEAM_TOPIC}': is set but notify is false: set notify to true to publish to it",
        ),
        (
            {"notify": True, "notifyEventTypes": [], "notifyTopicArn": TEAM_TOPIC},
            "notifyEventTypes = []: must be a non-empty list",
        ),
        (
            {"notify": True, "notifyEventTypes": ["BOUNCED"], "notifyTopicArn": TEAM_TOPIC},
            "notifyEventTypes = 'BOUNCED': unknown event type; allowed: SEND",
        ),
        (
            {"notify": True, "notifyEventTypes": ["BOUNCE", "BOUNCE"], "notifyTopicArn": TEAM_TOPIC},
            "notifyEventTypes = ['BOUNCE', 'BOUNCE']: lists an event type twice",
        ),
        ({"notify": True, "notifyTopicArn": "mail-team"}, "notifyTopicArn = 'mail-team': must be an SNS topic ARN"),
    ],
)
def test_bad_notification_settings_are_named_with_what_is_allowed(values, expected):
    with pytest.raises(SettingsError) as info:
        parse(values, "x")
    (problem,) = info.value.problems
    assert expected in problem


def test_notification_settings_parse_from_config_strings():
    s = parse({"notify": "true", "notifyEventTypes": '["BOUNCE", "COMPLAINT"]', "alarmTopicArn": TEAM_TOPIC}, "x")
    assert s.notify and s.notify_event_types == ("BOUNCE", "COMPLAINT") and s.notify_topic_arn is None


def test_notifications_default_to_the_event_types_that_need_attention():
    s = parse({"notify": True, "alarmEmail": "oncall@example.com"}, "x")
    assert s.notify_event_types == tuple(NOTIFY)
