"""The log bucket: encrypted, private, TLS-only, versioned, and emptied by its lifecycle."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import iam
from seslog.eventlog.prefixes import ATHENA_RESULTS_PREFIX


class LogBucketArgs(TypedDict):
    kms_key_arn: pulumi.Input[str]
    """Customer-managed key for SSE-KMS."""
    retention_days: pulumi.Input[int]
    """Days an object is kept before it expires."""
    noncurrent_retention_days: pulumi.Input[int]
    """Days a noncurrent object version is kept."""
    athena_results_retention_days: pulumi.Input[int]
    """Days Athena query results are kept."""
    transition_days: NotRequired[pulumi.Input[int]]
    """Days after which objects move to ``transition_storage_class``; 0 or absent: never."""
    transition_storage_class: NotRequired[pulumi.Input[str]]
    """The storage class objects move to."""
    force_destroy: NotRequired[bool]
    """Let the bucket be deleted while it holds objects."""
    protect: NotRequired[bool]
    """Protect the bucket from deletion, and keep it if the stack lets it go."""
    tags: NotRequired[pulumi.Input[dict[str, str]]]
    """Tags for the bucket."""


class LogBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: LogBucketArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ses-event-log:index:LogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._bucket = aws.s3.Bucket(
            f"{name}-bucket",
            force_destroy=args.get("force_destroy", False),
            tags=args.get("tags"),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.get("protect", False), retain_on_delete=args.get("protect", False)
            ),
        )
        bucket = self._bucket.id
        self._encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args["kms_key_arn"],
                    },
                    # One KMS call per bucket and key period instead of one per object.
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        self._public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        self._ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        self._versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        transitions = []
        if args.get("transition_days"):
            transitions = [{"days": args["transition_days"], "storage_class": args["transition_storage_class"]}]
        self._lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket,
            rules=[
                {
                    "id": "retention",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args["retention_days"]},
                    "noncurrent_version_expiration": {"noncurrent_days": args["noncurrent_retention_days"]},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                    "transitions": transitions,
                },
                {
                    # Where rules overlap S3 honours the shorter expiration (S3 lifecycle guide).
                    "id": "athena-results",
                    "status": "Enabled",
                    "filter": {"prefix": ATHENA_RESULTS_PREFIX},
                    "expiration": {"days": args["athena_results_retention_days"]},
                    "noncurrent_version_expiration": {"noncurrent_days": 1},
                },
                {
                    # Once their versions have expired, delete markers are left alone: remove them.
                    "id": "expired-delete-markers",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"expired_object_delete_marker": True},
                },
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._versioning]),
        )
        self._policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket,
            policy=iam.document(
                iam.statement(
                    ["s3:*"],
                    [self._bucket.arn, pulumi.Output.concat(self._bucket.arn, "/*")],
                    principal={"AWS": "*"},
                    condition={"Bool": {"aws:SecureTransport": "false"}},
                    sid="DenyWithoutTls",
                    effect="Deny",
                )
            ),
            # A policy put before the public access block exists could race it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._public_access]),
        )
        self.bucket_name = self._bucket.bucket
        self.bucket_arn = self._bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})
