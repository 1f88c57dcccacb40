"""The SES configuration set, its Firehose event destination, and the role SES uses."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import iam
from components.context import AwsContext
from components.propagation import wait_for

DESTINATION_NAME = "event-log-firehose"


class EventPublishingArgs(TypedDict):
    configuration_set_name: str
    """Name of the configuration set to create, or of the existing one."""
    existing_configuration_set: bool
    """Add the destination to an existing configuration set instead of creating it."""
    event_types: list[str]
    """SES v2 event types to publish."""
    delivery_stream_arn: pulumi.Input[str]
    """The Firehose stream SES writes to."""
    require_tls: NotRequired[bool]
    """Deliver mail sent with a created configuration set only over TLS."""
    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Tags for every resource."""


class EventPublishing(pulumi.ComponentResource):
    configuration_set_name: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: EventPublishingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ses-event-log:index:EventPublishing", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = AwsContext.current(pulumi.InvokeOptions(parent=self))
        tags = args.get("tags")

        if args["existing_configuration_set"]:
            set_name: pulumi.Output[str] = pulumi.Output.from_input(args["configuration_set_name"])
        else:
            self._configuration_set = aws.sesv2.ConfigurationSet(
                f"{name}-configuration-set",
                configuration_set_name=args["configuration_set_name"],
                delivery_options={"tls_policy": "REQUIRE" if args.get("require_tls", True) else "OPTIONAL"},
                reputation_options={"reputation_metrics_enabled": True},
                sending_options={"sending_enabled": True},
                tags=tags,
                opts=child,
            )
            set_name = self._configuration_set.configuration_set_name

        set_arn = context.arn("ses", pulumi.Output.concat("configuration-set/", args["configuration_set_name"]))
        # SES guide, "Setting up a Firehose event destination": only SES, for this account and
        # this configuration set, may assume the role (confused-deputy protection).
        self._role = aws.iam.Role(
            f"{name}-role",
            description="SES publishes events of one configuration set to Firehose",
            assume_role_policy=iam.service_trust(
                "ses.amazonaws.com",
                {"StringEquals": {"AWS:SourceAccount": context.account_id, "AWS:SourceArn": set_arn}},
            ),
            tags=tags,
            opts=child,
        )
        self._role_policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=self._role.name,
            policy=iam.document(iam.statement(["firehose:PutRecordBatch"], [args["delivery_stream_arn"]], sid="PublishEvents")),
            opts=child,
        )
        # SES checks that it can assume the role and write to the stream when the destination is
        # created, and fails on a role created seconds earlier ("BadRequestException: Could not access
        # Kinesis Firehose Stream ... using IAM role"): hashicorp/terraform-provider-aws #33367.
        self._role_ready = wait_for(
            f"{name}-role-wait",
            [self._role, self._role_policy],
            {"roleArn": self._role.arn, "policy": self._role_policy.policy},
            self,
        )
        self._destination = aws.sesv2.ConfigurationSetEventDestination(
            f"{name}-destination",
            configuration_set_name=set_name,
            event_destination_name=DESTINATION_NAME,
            event_destination={
                "enabled": True,
                "matching_event_types": list(args["event_types"]),
                "kinesis_firehose_destination": {
                    "delivery_stream_arn": args["delivery_stream_arn"],
                    "iam_role_arn": self._role.arn,
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._role_ready]),
        )
        self.configuration_set_name = set_name
        self.role_arn = self._role.arn
        self.register_outputs({"configuration_set_name": self.configuration_set_name, "role_arn": self.role_arn})
