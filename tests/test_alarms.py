"""Alarms under Pulumi mocks: each alarm's metric, namespace, dimensions, threshold, comparison,
missing-data treatment and action; the topic, its policy and the key policy; the alarm-free
default; and the settings that turn them on."""

import json

import pulumi
import pytest

from components.alarms import DELIVERY_ALLOWANCE_SECONDS, freshness_threshold_seconds
from components.settings import SettingsError, parse
from offline.program import ACCOUNT_ID, Evaluation, evaluate

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
EXISTING_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:oncall"
ALARM_SOURCE = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT_ID}:alarm:ses-event-log-prod-alarms-*"


@pytest.fixture(scope="module")
def prod() -> Evaluation:
    """Parquet, 300 s buffer; alarms by email with a created topic (Pulumi.prod.yaml)."""
    return evaluate("prod")


@pytest.fixture(scope="module")
def json_stack() -> Evaluation:
    return evaluate("dev", {"alarmEmail": "oncall@example.com", "bufferIntervalSeconds": 60})


def alarms(ev: Evaluation) -> dict[str, dict]:
    found = {r.name.removeprefix(f"ses-event-log-{ev_stack(ev)}-alarms-"): r.inputs for r in ev.of_type(ALARM)}
    assert len(found) == len(ev.of_type(ALARM))
    return found


def ev_stack(ev: Evaluation) -> str:
    return ev.one("ses-event-log:index:SesEventLogPipeline").name.removeprefix("ses-event-log-")


def statements(policy_json: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(policy_json)["Statement"]}


def test_no_alarms_topic_or_subscription_by_default():
    ev = evaluate("dev")
    for type_ in (ALARM, TOPIC, TOPIC_POLICY, SUBSCRIPTION, "ses-event-log:index:PipelineAlarms"):
        assert ev.of_type(type_) == [], type_
    assert set(statements(ev.one(KEY).inputs["policy"])) == {"AccountAdministers", "CloudWatchLogsEncryptsTheLogs"}
    assert "alarmTopicArn" not in ev.exports


# (metric, statistic, comparison, threshold, periods, missing data) for the prod stack
EXPECTED_FIREHOSE = {
    "delivery-failing": ("DeliveryToS3.Success", "Average", "LessThanThreshold", 1, 2, "notBreaching"),
    "data-stale": (
        "DeliveryToS3.DataFreshness",
        "Maximum",
        "GreaterThanThreshold",
        300 + DELIVERY_ALLOWANCE_SECONDS,
        1,
        "notBreaching",
    ),
    "throttled": ("ThrottledRecords", "Sum", "GreaterThanThreshold", 0, 1, "notBreaching"),
    "conversion-failed": ("FailedConversion.Records", "Sum", "GreaterThanThreshold", 0, 1, "notBreaching"),
}


@pytest.mark.parametrize("role", EXPECTED_FIREHOSE)
def test_firehose_alarm_watches_the_stream(prod, role):
    alarm = alarms(prod)[role]
    metric, statistic, comparison, threshold, periods, missing = EXPECTED_FIREHOSE[role]
    assert alarm["namespace"] == "AWS/Firehose"
    assert alarm["metricName"] == metric
    assert alarm["dimensions"] == {"DeliveryStreamName": prod.exports["streamName"]}
    assert (alarm["statistic"], alarm["comparisonOperator"], alarm["threshold"]) == (statistic, comparison, threshold)
    assert alarm["period"] == 300
    assert alarm["evaluationPeriods"] == alarm["datapointsToAlarm"] == periods
    assert alarm["treatMissingData"] == missing
    assert alarm["alarmActions"] == alarm["okActions"] == [prod.exports["alarmTopicArn"]]


# The rates at which SES reviews an account: 5 % bounces, 0.1 % complaints (SES enforcement FAQ).
@pytest.mark.parametrize(
    ("role", "metric", "threshold"),
    [("bounce-rate", "Reputation.BounceRate", 0.05), ("complaint-rate", "Reputation.ComplaintRate", 0.001)],
)
def test_ses_reputation_alarm_watches_the_account_at_the_review_level(json_stack, role, metric, threshold):
    alarm = alarms(json_stack)[role]
    assert alarm["namespace"] == "AWS/SES" and alarm["metricName"] == metric
    assert "dimensions" not in alarm  # account-level metric
    assert alarm["threshold"] == pytest.approx(threshold)
    assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"  # "5% or greater"
    assert (alarm["statistic"], alarm["period"], alarm["evaluationPeriods"]) == ("Maximum", 3600, 1)
    assert alarm["treatMissingData"] == "ignore"  # published irregularly: keep the state between points
    assert alarm["alarmActions"] == alarm["okActions"] == [json_stack.exports["alarmTopicArn"]]


def test_json_stream_has_no_conversion_alarm_and_freshness_follows_its_buffer(json_stack):
    found = alarms(json_stack)
    assert set(found) == {"delivery-failing", "data-stale", "throttled", "bounce-rate", "complaint-rate", "compaction-failing"}
    assert found["data-stale"]["threshold"] == 60 + DELIVERY_ALLOWANCE_SECONDS


@pytest.mark.parametrize(("interval", "threshold"), [(0, 300), (60, 360), (300, 600), (900, 1200)])
def test_freshness_threshold_is_the_buffer_interval_plus_one_period(interval, threshold):
    assert freshness_threshold_seconds(interval) == threshold


def test_configured_reputation_thresholds():
    found = alarms(
        evaluate("dev", {"alarmEmail": "a@example.com", "bounceRateAlarmThreshold": "2%", "complaintRateAlarmThreshold": "0.05%"})
    )
    assert found["bounce-rate"]["threshold"] == pytest.approx(0.02)
    assert found["complaint-rate"]["threshold"] == pytest.approx(0.0005)


def test_created_topic_is_encrypted_with_the_pipeline_key_and_emails_the_address(prod):
    topic = prod.one(TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == prod.exports["kmsKeyArn"]
    subscription = prod.one(SUBSCRIPTION).inputs
    assert subscription == {"topic": prod.exports["alarmTopicArn"], "protocol": "email", "endpoint": "oncall@example.com"}


def test_only_this_pipelines_alarms_may_publish_to_the_topic(prod):
    policy = prod.one(TOPIC_POLICY)
    assert policy.inputs["arn"] == prod.exports["alarmTopicArn"]
    (cloudwatch,) = statements(policy.inputs["policy"]).values()  # no notifications in prod
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["sns:Publish"] and cloudwatch["Resource"] == [prod.exports["alarmTopicArn"]]
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": ALARM_SOURCE},
    }
    # The alarms are named after their component, which the condition relies on.
    assert all(r.name.startswith("ses-event-log-prod-alarms-") for r in prod.of_type(ALARM))


def test_alarm_actions_wait_for_the_topic_policy(prod):
    policy = prod.one(TOPIC_POLICY)
    for alarm in prod.of_type(ALARM):
        assert policy.urn in alarm.property_dependencies["alarmActions"], alarm.name


def test_key_policy_lets_cloudwatch_use_the_key_for_this_pipelines_alarms_only(prod):
    key_statements = statements(prod.one(KEY).inputs["policy"])
    cloudwatch = key_statements["CloudWatchAlarmsPublishToTheAlarmTopic"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": ALARM_SOURCE},
    }
    assert "SesPublishesEventsToTheAlarmTopic" not in key_statements


def test_existing_topic_gets_the_alarms_and_nothing_else():
    ev = evaluate("dev", {"alarmTopicArn": EXISTING_TOPIC})
    for type_ in (TOPIC, TOPIC_POLICY, SUBSCRIPTION):
        assert ev.of_type(type_) == [], type_
    assert len(ev.of_type(ALARM)) == 6  # the five of a JSON stack and the compaction job's
    for alarm in ev.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [EXISTING_TOPIC]
    # The key encrypts no topic of ours: CloudWatch gets nothing on it.
    assert "CloudWatchAlarmsPublishToTheAlarmTopic" not in statements(ev.one(KEY).inputs["policy"])
    assert ev.exports["alarmTopicArn"] == EXISTING_TOPIC


def test_existing_topic_with_an_email_subscribes_the_address_to_it():
    ev = evaluate("dev", {"alarmTopicArn": EXISTING_TOPIC, "alarmEmail": "oncall@example.com"})
    assert ev.one(SUBSCRIPTION).inputs["topic"] == EXISTING_TOPIC


def test_own_key_encrypts_the_topic():
    arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    ev = evaluate("dev", {"kmsKeyArn": arn, "alarmEmail": "oncall@example.com"})
    assert ev.of_type(KEY) == []
    assert ev.one(TOPIC).inputs["kmsMasterKeyId"] == arn


def test_alarms_are_children_of_their_component(prod):
    component = prod.one("ses-event-log:index:PipelineAlarms")
    assert component.parent == prod.one("ses-event-log:index:SesEventLogPipeline").urn
    for type_ in (ALARM, TOPIC, TOPIC_POLICY, SUBSCRIPTION):
        assert all(r.parent == component.urn for r in prod.of_type(type_)), type_


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"alarmEmail": "oncall"}, "alarmEmail = 'oncall': must be an email address, name@example.com"),
        ({"alarmEmail": "a@b"}, "alarmEmail = 'a@b': must be an email address"),
        (
            {"alarmTopicArn": "oncall"},
            "alarmTopicArn = 'oncall': must be an SNS topic ARN, arn:aws:sns:<region>:<account>:<topic name>",
        ),
        ({"alarmTopicArn": "arn:aws:sqs:us-east-1:123456789012:q"}, "must be an SNS topic ARN"),
        (
            {"bounceRateAlarmThreshold": "0.05"},
            "bounceRateAlarmThreshold = '0.05': must be a percentage above 0% and at most 100%, such as 5% or 0.1%",
        ),
        ({"bounceRateAlarmThreshold": "0%"}, "bounceRateAlarmThreshold = '0%': must be a percentage above 0%"),
        ({"complaintRateAlarmThreshold": "101%"}, "complaintRateAlarmThreshold = '101%': must be a percentage"),
        ({"complaintRateAlarmThreshold": "-1%"}, "complaintRateAlarmThreshold = '-1%'"),
    ],
)
def test_bad_alarm_settings_are_named_with_what_is_allowed(values, expected):
    with pytest.raises(SettingsError) as info:
        parse(values, "x")
    (problem,) = info.value.problems
    assert expected in problem


def test_alarm_settings_parse():
    s = parse(
        {"alarmEmail": "oncall@example.com", "bounceRateAlarmThreshold": "2.5%", "complaintRateAlarmThreshold": " 0.08% "}, "x"
    )
    assert s.alarms and s.alarm_email == "oncall@example.com" and s.alarm_topic_arn is None
    assert s.bounce_rate_alarm_threshold == pytest.approx(0.025) and s.complaint_rate_alarm_threshold == pytest.approx(0.0008)
    assert not parse({}, "x").alarms


def test_a_topic_of_another_account_is_warned_of_at_preview_not_refused(monkeypatch):
    """The stack's account is known only at preview (the caller's identity): a topic of another account works if its
    policy lets this account's services publish, so the preview warns rather than refuses."""
    warned = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, resource=None, *a, **k: warned.append(message))
    other = "arn:aws:sns:us-east-1:999999999999:oncall"
    ev = evaluate("dev", {"alarmTopicArn": other, "notifyTopicArn": other, "notify": True})
    assert not ev.error and len(warned) == 2
    assert warned[0].startswith(f"alarmTopicArn = '{other}' is a topic of account 999999999999, not this stack's ({ACCOUNT_ID})")
    warned.clear()
    evaluate("dev", {"alarmTopicArn": EXISTING_TOPIC})
    assert warned == []


def test_a_compacting_stack_is_told_when_its_job_fails_hours_in_a_row(prod):
    alarm = alarms(prod)["compaction-failing"]
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    assert alarm["dimensions"] == {"FunctionName": prod.exports["compactionFunction"]}
    assert (alarm["comparisonOperator"], alarm["threshold"], alarm["period"]) == ("GreaterThanOrEqualToThreshold", 1, 3600)
    assert alarm["evaluationPeriods"] == alarm["datapointsToAlarm"] == 3 and alarm["treatMissingData"] == "notBreaching"
    assert "compaction-failing" not in alarms(evaluate("prod", {"compaction": False}))
