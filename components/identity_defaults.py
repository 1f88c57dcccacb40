"""Make the pipeline's configuration set the default of SES identities the stack does not own.

SES publishes events only for mail sent with a configuration set: the sender names it, or it
is the default configuration set of the sending identity (SES v2
PutEmailIdentityConfigurationSetAttributes). pulumi-aws cannot set that default on an existing
identity, so this Pulumi dynamic provider does it with boto3. It remembers the identity's
previous default and puts it back on delete, unless someone has changed the default since.

Dynamic providers are pickled into the stack state and run in a separate process: the provider
holds no client, and boto3 is imported where it is used.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.rpc import UNKNOWN

# What SES answers for an identity that does not exist (botocore sesv2 model: GetEmailIdentity).
NOT_FOUND = "NotFoundException"
# Changing these points the resource at another identity: it is replaced, not updated.
IDENTIFYING = ("identity", "region")


class IdentityError(Exception):
    """The identity cannot take a default configuration set: it is missing or not verified."""


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def describe(client: Any, identity: str) -> dict[str, Any] | None:
    """GetEmailIdentity's answer, or None when the identity does not exist."""
    try:
        return client.get_email_identity(EmailIdentity=identity)
    except Exception as exc:
        if _error_code(exc) == NOT_FOUND:
            return None
        raise


def require_verified(client: Any, identity: str, region: str) -> dict[str, Any]:
    found = describe(client, identity)
    if found is None:
        raise IdentityError(
            f"defaultForIdentities: SES identity {identity!r} does not exist in {region}; "
            "create and verify it first (this stack does not create identities)"
        )
    if not found.get("VerifiedForSendingStatus"):
        raise IdentityError(
            f"defaultForIdentities: SES identity {identity!r} in {region} is not verified "
            f"(VerificationStatus {found.get('VerificationStatus', 'unknown')}); SES sends only from verified identities"
        )
    return found


def set_default(client: Any, identity: str, configuration_set_name: str | None) -> None:
    """Make a configuration set the identity's default; None removes the default (SES guide,
    "Edit an identity to use a default configuration set": omit the name to remove it)."""
    if configuration_set_name:
        client.put_email_identity_configuration_set_attributes(
            EmailIdentity=identity, ConfigurationSetName=configuration_set_name
        )
    else:
        client.put_email_identity_configuration_set_attributes(EmailIdentity=identity)


class DefaultConfigurationSetProvider(ResourceProvider):
    """Inputs: identity, configuration_set_name, region, profile (optional). State adds
    previous_configuration_set_name: the identity's default before this resource set it."""

    serialize_as_secret_always = False  # the pickled provider holds no secret

    def client(self, props: dict[str, Any]) -> Any:
        import boto3

        # Credentials as the aws provider finds them: the environment, or the stack's aws:profile.
        session = boto3.session.Session(profile_name=props.get("profile") or None, region_name=props["region"])
        return session.client("sesv2")

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        # Fail the preview, not the update, for an identity that cannot take the default.
        if _known(news.get("identity")) and _known(news.get("region")):
            try:
                require_verified(self.client(news), news["identity"], news["region"])
            except IdentityError as exc:
                return CheckResult(news, [CheckFailure("identity", str(exc))])
        return CheckResult(news, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        identity, client = props["identity"], self.client(props)
        previous = require_verified(client, identity, props["region"]).get("ConfigurationSetName")
        set_default(client, identity, props["configuration_set_name"])
        return CreateResult(identity, {**props, "previous_configuration_set_name": previous})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in IDENTIFYING if olds.get(key) != news.get(key)]
        changed = bool(replaces) or olds.get("configuration_set_name") != news.get("configuration_set_name")
        return DiffResult(changes=changed, replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # A renamed configuration set, or a default changed behind the stack's back (see read).
        set_default(self.client(news), news["identity"], news["configuration_set_name"])
        return UpdateResult({**news, "previous_configuration_set_name": olds.get("previous_configuration_set_name")})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = describe(self.client(props), props["identity"])
        if found is None:
            return ReadResult(None, {})  # the identity is gone, and its default with it
        # Drift: the identity's default now differs; the next update sets it back.
        return ReadResult(id_, {**props, "configuration_set_name": found.get("ConfigurationSetName")})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        client, identity = self.client(props), props["identity"]
        found = describe(client, identity)
        if found is None or found.get("ConfigurationSetName") != props["configuration_set_name"]:
            return  # gone, or someone else's default now: leave it alone
        previous = props.get("previous_configuration_set_name")
        try:
            set_default(client, identity, previous)
        except Exception as exc:
            if not previous or _error_code(exc) != NOT_FOUND:
                raise
            set_default(client, identity, None)  # the previous set was deleted meanwhile


class DefaultConfigurationSet(Resource):
    """The configuration set as the default of one existing, verified SES identity."""

    identity: pulumi.Output[str]
    configuration_set_name: pulumi.Output[str]
    previous_configuration_set_name: pulumi.Output[str | None]

    def __init__(
        self,
        name: str,
        identity: str,
        configuration_set_name: pulumi.Input[str],
        region: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        props = {
            "identity": identity,
            "configuration_set_name": configuration_set_name,
            "region": region,
            "profile": pulumi.Config("aws").get("profile"),
            "previous_configuration_set_name": None,
        }
        super().__init__(DefaultConfigurationSetProvider(), name, props, opts)
