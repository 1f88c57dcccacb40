"""S3 buckets and the settings that belong to them.

In pulumi-aws v7 a bucket's encryption, lifecycle, policy, public access block and ownership
are separate resources naming the bucket in their ``bucket`` input; pulumi-aws v6 had the same
as ``*V2`` types, and both still accept the deprecated inline properties on the bucket. Stack
policies see every resource, so they link each setting to its bucket: by the property
dependency of its ``bucket`` input (the bucket's id is unknown during a preview), else by the
bucket's name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource

from .properties import UnknownValueError, is_set, known_problems

S3_ARN = re.compile(r"arn:[^:]*:s3:::(.*)", re.IGNORECASE | re.DOTALL)
"""An S3 ARN in any partition; the group is the bucket's name and, after a /, the object key."""

BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})

ENCRYPTION = "server-side encryption configuration"
LIFECYCLE = "lifecycle configuration"
POLICY = "bucket policy"
PUBLIC_ACCESS = "public access block"
OWNERSHIP = "ownership controls"

BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"

SETTING_KINDS: dict[str, str] = {
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ENCRYPTION,
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": ENCRYPTION,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": LIFECYCLE,
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": LIFECYCLE,
    BUCKET_POLICY_TYPE: POLICY,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": PUBLIC_ACCESS,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": OWNERSHIP,
}

# The deprecated inline bucket properties: v7 Bucket (and v6's Bucket) name the encryption block
# in the singular, v6's BucketV2 in the plural.
INLINE_PROPERTIES: dict[str, tuple[str, ...]] = {
    ENCRYPTION: ("serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations"),
    LIFECYCLE: ("lifecycleRules",),
    POLICY: ("policy",),
}

SettingCheck = Callable[[PolicyResource], Iterable[str]]
InlineCheck = Callable[[Any], Iterable[str]]


@dataclass
class Bucket:
    resource: PolicyResource
    settings: dict[str, list[PolicyResource]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Buckets:
    buckets: list[Bucket]
    unlinked: set[str]
    """Kinds of setting with a resource whose bucket is unknown: it may belong to any bucket."""

    def problems(
        self,
        bucket: Bucket,
        kind: str,
        check_setting: SettingCheck,
        check_inline: InlineCheck | None = None,
    ) -> list[str]:
        """What is wrong with the bucket's settings of one kind; missing settings included."""
        linked = bucket.settings[kind]
        if linked:
            # The separate resources are what the bucket ends up with; after an update the
            # inline properties only echo what AWS reported when the bucket was created.
            return [p for setting in linked for p in known_problems(lambda s=setting: check_setting(s))]
        if check_inline is not None:
            for key in INLINE_PROPERTIES[kind]:
                state, value = _inline(bucket.resource, key)
                if state == "unknown":
                    return []
                if state == "set":
                    return known_problems(lambda v=value: check_inline(v))
        if kind in self.unlinked:
            return []
        return [f"the bucket has no {kind}"]


def link(resources: Iterable[PolicyResource]) -> Buckets:
    resources = list(resources)
    buckets = {r.urn: Bucket(r) for r in resources if r.resource_type in BUCKET_TYPES}
    by_name: dict[str, str] = {}
    for urn, bucket in buckets.items():
        for key in ("bucket", "id"):
            try:
                name = bucket.resource.props.get(key)
            except UnknownValueError:
                continue
            if isinstance(name, str) and name:
                by_name[name] = urn
    unlinked: set[str] = set()
    for resource in resources:
        kind = SETTING_KINDS.get(resource.resource_type)
        if kind is None:
            continue
        targets = [d.urn for d in resource.property_dependencies.get("bucket", []) if d.urn in buckets]
        if not targets:
            try:
                name = resource.props.get("bucket")
            except UnknownValueError:
                unlinked.add(kind)
                continue
            targets = [by_name[name]] if name in by_name else []
        for urn in targets:
            buckets[urn].settings[kind].append(resource)
    return Buckets(list(buckets.values()), unlinked)


def _inline(bucket: PolicyResource, key: str) -> tuple[str, Any]:
    """Whether the program set an inline property: "set", "absent" or "unknown".

    These properties are also computed by the provider, so during a preview they are unknown
    for every new bucket. An unknown the program passed in depends on another resource, and
    the engine records that dependency; an unknown without one is the provider's placeholder
    for a property the program left unset."""
    try:
        value = bucket.props.get(key)
    except UnknownValueError:
        return ("unknown", None) if bucket.property_dependencies.get(key) else ("absent", None)
    return ("set", value) if is_set(value) else ("absent", None)


def bucket_name(bucket: PolicyResource) -> str | None:
    """The bucket's name, from its name or its ARN; None while both are unknown."""
    for key in ("bucket", "arn"):
        try:
            value = bucket.props.get(key)
        except UnknownValueError:
            continue
        if isinstance(value, str) and value:
            match = S3_ARN.fullmatch(value)
            return match.group(1) if match else value
    return None
