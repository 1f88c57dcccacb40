"""IAM policy documents as Pulumi outputs, so that ARNs known only at deploy time fit in."""

from __future__ import annotations

from typing import Any

import pulumi


def statement(
    actions: list[str],
    resources: list[pulumi.Input[str]] | None = None,
    *,
    principal: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
    sid: str | None = None,
    effect: str = "Allow",
) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": effect, "Action": actions}
    if sid:
        stmt["Sid"] = sid
    if principal is not None:
        stmt["Principal"] = principal
    if resources is not None:
        stmt["Resource"] = resources
    if condition:
        stmt["Condition"] = condition
    return stmt


def document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust(service: str, condition: dict[str, Any]) -> pulumi.Output[str]:
    """A role trust policy for one AWS service, limited by confused-deputy conditions."""
    return document(statement(["sts:AssumeRole"], principal={"Service": service}, condition=condition))


def firehose_trust(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The trust policy of a Firehose stream's role: Firehose passes the account id as the external id (Firehose guide,
    "Controlling access"), so the role cannot be used on behalf of another account."""
    return service_trust("firehose.amazonaws.com", {"StringEquals": {"sts:ExternalId": account_id}})


def firehose_writes(
    *,
    bucket_arn: pulumi.Output[str],
    prefixes: list[str],
    kms_key_arn: pulumi.Input[str],
    region: pulumi.Input[str],
    log_stream_arn: pulumi.Input[str],
    sid: str,
) -> list[dict[str, Any]]:
    """What a Firehose stream's role needs to write objects under ``prefixes`` of the log bucket, encrypted with the
    pipeline key, and to log its delivery errors to one log stream."""
    return [
        statement(
            ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            [bucket_arn],
            sid="FindTheBucket",
        ),
        statement(
            ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            [pulumi.Output.concat(bucket_arn, "/", prefix, "*") for prefix in prefixes],
            sid=sid,
        ),
        # Only through S3 for this bucket; with an S3 Bucket Key the encryption context
        # is the bucket ARN, not the object's (S3 guide, "Bucket Keys").
        statement(
            ["kms:GenerateDataKey", "kms:Decrypt"],
            [kms_key_arn],
            condition={
                "StringEquals": {
                    "kms:ViaService": pulumi.Output.concat("s3.", region, ".amazonaws.com"),
                    "kms:EncryptionContext:aws:s3:arn": bucket_arn,
                }
            },
            sid="EncryptObjectsThroughS3",
        ),
        statement(["logs:PutLogEvents"], [log_stream_arn], sid="LogDeliveryErrors"),
    ]
