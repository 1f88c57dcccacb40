"""A second event destination of the configuration set: chosen events to SNS as they happen."""

from __future__ import annotations

from typing import TypedDict

import pulumi
import pulumi_aws as aws

DESTINATION_NAME = "event-log-notifications"


class EventNotificationsArgs(TypedDict):
    configuration_set_name: pulumi.Input[str]
    """The configuration set whose events are published."""
    event_types: list[str]
    """SES v2 event types to publish."""
    topic_arn: pulumi.Input[str]
    """The SNS topic (standard, same Region) that receives them."""


class EventNotifications(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: EventNotificationsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ses-event-log:index:EventNotifications", name, None, opts)
        self._destination = aws.sesv2.ConfigurationSetEventDestination(
            f"{name}-destination",
            configuration_set_name=args["configuration_set_name"],
            event_destination_name=DESTINATION_NAME,
            event_destination={
                "enabled": True,
                "matching_event_types": list(args["event_types"]),
                "sns_destination": {"topic_arn": args["topic_arn"]},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.topic_arn = pulumi.Output.from_input(args["topic_arn"])
        self.register_outputs({"topic_arn": self.topic_arn})
