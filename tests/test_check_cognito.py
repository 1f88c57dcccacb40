"""`seslog check-cognito`: a user pool's email set-up checked read-only, with botocore's Stubber standing in for
Cognito and SES: COGNITO_DEFAULT, an unverified identity, one in another Region, no configuration set, a sandbox
account, a denied call; and the command's output and exit code."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from seslog import cli
from seslog.cognito import check as cognito

POOL = "eu-west-1_AbCdEf123"
IDENTITY = "example.com"
SOURCE = f"arn:aws:ses:eu-west-1:123456789012:identity/{IDENTITY}"
LETS_COGNITO_SEND = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cognito-idp.amazonaws.com"},
                "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                "Resource": SOURCE,
            }
        ],
    }
)
DEVELOPER = {
    "EmailSendingAccount": "DEVELOPER",
    "SourceArn": SOURCE,
    "From": "Example <no-reply@example.com>",
    "ConfigurationSet": "ses-event-log-prod",
}
LOGS = {
    "LogDeliveryConfiguration": {
        "UserPoolId": POOL,
        "LogConfigurations": [
            {
                "LogLevel": "ERROR",
                "EventSource": "userNotification",
                "CloudWatchLogsConfiguration": {"LogGroupArn": "arn:aws:logs:eu-west-1:123456789012:log-group:cognito"},
            }
        ],
    }
}


KEYS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
SERVICE_ROLE = {
    "Role": {
        "Path": "/aws-service-role/email.cognito-idp.amazonaws.com/",
        "RoleName": cognito.EMAIL_SERVICE_ROLE,
        "RoleId": "AROAEXAMPLEEXAMPLE123",
        "Arn": f"arn:aws:iam::123456789012:role/aws-service-role/email.cognito-idp.amazonaws.com/{cognito.EMAIL_SERVICE_ROLE}",
        "CreateDate": "2024-01-01T00:00:00Z",
    }
}


def clients(region: str = "eu-west-1"):
    return boto3.client("cognito-idp", region_name="eu-west-1", **KEYS), boto3.client("sesv2", region_name=region, **KEYS)


def identity(verified: bool = True, policies: dict | None = None, default_set: str | None = None) -> dict:
    found = {
        "IdentityType": "DOMAIN",
        "VerifiedForSendingStatus": verified,
        "Policies": {"cognito": LETS_COGNITO_SEND} if policies is None else policies,
    }
    return {**found, **({"ConfigurationSetName": default_set} if default_set else {})}


def run(
    email: dict,
    *,
    found: dict | None = None,
    account: dict | None = None,
    logs: dict = LOGS,
    ses_region="eu-west-1",
    log_group: str | None = None,
    pool: str = POOL,
    service_role: bool = True,
):
    """The checks on a pool of ``email`` configuration, the stubbed answers given in the order the checks ask."""
    pool_client, ses_client = clients(ses_region)
    iam = boto3.client("iam", region_name="us-east-1", **KEYS)
    with Stubber(pool_client) as pool_stub, Stubber(ses_client) as ses_stub, Stubber(iam) as iam_stub:
        pool_stub.add_response(
            "describe_user_pool", {"UserPool": {"Id": pool, "EmailConfiguration": email}}, {"UserPoolId": pool}
        )
        if email.get("EmailSendingAccount") == "DEVELOPER":
            ses_stub.add_response("get_email_identity", found or identity(), {"EmailIdentity": IDENTITY})
            if service_role:
                iam_stub.add_response("get_role", SERVICE_ROLE, {"RoleName": cognito.EMAIL_SERVICE_ROLE})
            else:
                iam_stub.add_client_error("get_role", "NoSuchEntity", "The role cannot be found.", 404)
            ses_stub.add_response(
                "get_account",
                account or {"ProductionAccessEnabled": True, "SendingEnabled": True, "EnforcementStatus": "HEALTHY"},
            )
        pool_stub.add_response("get_log_delivery_configuration", logs, {"UserPoolId": pool})
        checks = cognito.check_pool(pool_client, lambda region: ses_client, iam, pool, "ses-event-log-prod", log_group)
        for stub in (pool_stub, ses_stub, iam_stub):
            stub.assert_no_pending_responses()
    return {c.name: c for c in checks}


def test_a_pool_set_up_as_cognito_s_guide_says_passes_every_check():
    checks = run(DEVELOPER)
    assert [name for name, c in checks.items() if c.ok is not True] == []
    assert list(checks) == [
        "email sending account",
        "identity region",
        "sending identity",
        "Cognito may send",
        "From address",
        "configuration set",
        "SES account",
        "error logs",
    ]


def test_cognito_default_sends_nothing_through_your_account():
    checks = run(
        {"EmailSendingAccount": "COGNITO_DEFAULT"},
        logs={"LogDeliveryConfiguration": {"UserPoolId": POOL, "LogConfigurations": []}},
    )
    account = checks["email sending account"]
    assert account.ok is False and "nothing of it reaches your account or this log" in account.text
    assert "resets what it is not given" in account.fix
    assert checks["error logs"].ok is False and "stack setting cognitoUserPoolIds" in checks["error logs"].fix


def test_an_unverified_identity_is_named_with_its_fix():
    checks = run(DEVELOPER, found=identity(verified=False))
    assert (
        checks["sending identity"].ok is False and "is not verified for sending in eu-west-1" in checks["sending identity"].text
    )


def test_without_cognito_s_service_linked_role_it_cannot_call_ses():
    checks = run(DEVELOPER, service_role=False)
    assert checks["Cognito may send"].ok is False and cognito.EMAIL_SERVICE_ROLE in checks["Cognito may send"].text
    assert "create-service-linked-role --aws-service-name email.cognito-idp.amazonaws.com" in checks["Cognito may send"].fix


def test_an_identity_in_a_region_cognito_does_not_accept_fails_the_region_check():
    elsewhere = {**DEVELOPER, "SourceArn": SOURCE.replace("eu-west-1", "ap-northeast-1")}
    checks = run(elsewhere, ses_region="ap-northeast-1")
    region = checks["identity region"]
    assert (
        region.ok is False
        and "for pools in eu-west-1 (backwards compatible) only from us-east-1, us-west-2, eu-west-1" in region.text
    )
    alternate = {**DEVELOPER, "SourceArn": SOURCE.replace("eu-west-1", "us-east-1")}
    assert run(alternate, ses_region="us-east-1")["identity region"].ok is True
    # An in-Region-only pool takes no identity of another Region, however old the Region.
    west = "us-west-1_AbCdEf123"
    checks = run({**DEVELOPER, "SourceArn": SOURCE.replace("eu-west-1", "us-east-1")}, ses_region="us-east-1", pool=west)
    assert checks["identity region"].ok is False and "(in-Region only) only from us-west-1" in checks["identity region"].text


def test_an_alternate_region_pool_sends_with_the_first_listed_region_s_identity_trusting_its_own_principal():
    uae = "me-central-1_AbCdEf123"
    source = SOURCE.replace("eu-west-1", "eu-central-1")
    trusting = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["cognito-idp.me-central-1.amazonaws.com"]},
                    "Action": ["SES:SendEmail", "SES:SendRawEmail"],
                    "Resource": source,
                }
            ]
        }
    )
    checks = run(
        {**DEVELOPER, "SourceArn": source}, ses_region="eu-central-1", pool=uae, found=identity(policies={"c": trusting})
    )
    assert checks["identity region"].ok is True and checks["identity policy"].ok is True
    untrusting = run({**DEVELOPER, "SourceArn": source}, ses_region="eu-central-1", pool=uae, found=identity(policies={}))
    assert (
        untrusting["identity policy"].ok is False
        and "cognito-idp.me-central-1.amazonaws.com" in untrusting["identity policy"].fix
    )
    second = run({**DEVELOPER, "SourceArn": SOURCE.replace("eu-west-1", "eu-west-2")}, ses_region="eu-west-2", pool=uae)
    assert second["identity region"].ok is False and "only from eu-central-1" in second["identity region"].text


def test_no_configuration_set_and_no_default_set_means_no_event_is_published():
    checks = run({k: v for k, v in DEVELOPER.items() if k != "ConfigurationSet"})
    assert checks["configuration set"].ok is False and "SES publishes no event" in checks["configuration set"].text
    by_default = run(
        {k: v for k, v in DEVELOPER.items() if k != "ConfigurationSet"}, found=identity(default_set="ses-event-log-prod")
    )
    assert by_default["configuration set"].ok is True and "the identity's default set is" in by_default["configuration set"].text
    other = run({**DEVELOPER, "ConfigurationSet": "marketing"})
    assert other["configuration set"].ok is False and "not this stack's ses-event-log-prod" in other["configuration set"].text


def test_a_sandbox_account_is_named():
    checks = run(DEVELOPER, account={"ProductionAccessEnabled": False, "SendingEnabled": True, "EnforcementStatus": "HEALTHY"})
    assert checks["SES account"].ok is False and "sandbox" in checks["SES account"].text


def test_a_denied_call_is_one_line_and_the_other_checks_go_on():
    pool_client, ses_client = clients()
    with Stubber(pool_client) as pool_stub:
        pool_stub.add_client_error("describe_user_pool", "AccessDeniedException", "no", 403)
        pool_stub.add_response("get_log_delivery_configuration", LOGS, {"UserPoolId": POOL})
        iam = boto3.client("iam", region_name="us-east-1", **KEYS)
        checks = cognito.check_pool(pool_client, lambda region: ses_client, iam, POOL, "ses-event-log-prod")
    assert [c.ok for c in checks] == [None, True]
    assert checks[0].text == (
        "could not check: the credentials may not call DescribeUserPool (IAM action cognito-idp:DescribeUserPool)"
    )


def stubbed_cli(monkeypatch):
    """Cognito, SES and IAM clients for the command, stubbed."""
    pool_client, ses_client = clients()
    iam = boto3.client("iam", region_name="us-east-1", **KEYS)
    services = {"cognito-idp": pool_client, "sesv2": ses_client, "iam": iam}
    monkeypatch.setattr(cli, "client", lambda service, region: services[service])
    return Stubber(pool_client), Stubber(ses_client), Stubber(iam)


def test_the_command_prints_each_check_and_exits_0_only_when_all_pass(capsys, monkeypatch):
    pool_stub, ses_stub, iam_stub = stubbed_cli(monkeypatch)
    with pool_stub, ses_stub, iam_stub:
        pool_stub.add_response("describe_user_pool", {"UserPool": {"Id": POOL, "EmailConfiguration": DEVELOPER}})
        ses_stub.add_response("get_email_identity", identity())
        iam_stub.add_client_error("get_role", "AccessDenied", "no", 403)
        ses_stub.add_response("get_account", {"ProductionAccessEnabled": True, "SendingEnabled": True})
        pool_stub.add_response("get_log_delivery_configuration", LOGS)
        code = cli.main(["check-cognito", POOL, "--configuration-set", "ses-event-log-prod"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 1 and out.startswith("[ok] email sending account: DEVELOPER")
    assert "[unknown] Cognito may send: could not check: the credentials may not call GetRole (IAM action iam:GetRole)" in out
    assert cli.main(["check-cognito", "not-a-pool"]) == 2
    assert "is not a user pool ID" in capsys.readouterr().err


@pytest.mark.parametrize("pool_id", ["eu-west-1_AbCdEf123", "us-east-1_x1"])
def test_the_pool_s_region_is_the_start_of_its_id(pool_id):
    assert cognito.pool_region(pool_id) == pool_id.split("_")[0]


def test_the_error_logs_are_checked_against_the_stack_s_own_log_group():
    ours = LOGS["LogDeliveryConfiguration"]["LogConfigurations"][0]["CloudWatchLogsConfiguration"]["LogGroupArn"]
    assert run(DEVELOPER, log_group=ours + ":*")["error logs"].ok is True
    elsewhere = run(DEVELOPER, log_group="arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/cognito/prod")
    assert elsewhere["error logs"].ok is False and "not this stack's" in elsewhere["error logs"].text
    assert "cognitoUserPoolIds" in elsewhere["error logs"].fix
    unknown = run(DEVELOPER)["error logs"]
    assert unknown.ok is True and "not known here" in unknown.text


def test_a_region_that_contradicts_the_pool_id_is_refused(capsys):
    assert cli.main(["check-cognito", POOL, "--region", "us-east-1"]) == 2
    assert "is not user pool eu-west-1_AbCdEf123's Region, eu-west-1" in capsys.readouterr().err


README = Path(__file__).resolve().parents[1] / "README.md"
README_COMMAND = "seslog check-cognito eu-west-1_AbCdEf123 --configuration-set ses-event-log-prod"


def test_the_readme_shows_what_the_command_prints_on_a_stubbed_pool(capsys, monkeypatch):
    """The README's pool: DEVELOPER, its identity verified and the account's service-linked role there, but naming no
    configuration set and delivering its errors nowhere."""
    monkeypatch.delenv("SESLOG_COGNITO_LOG_GROUP", raising=False)
    pool_stub, ses_stub, iam_stub = stubbed_cli(monkeypatch)
    email = {k: v for k, v in DEVELOPER.items() if k != "ConfigurationSet"}
    with pool_stub, ses_stub, iam_stub:
        pool_stub.add_response("describe_user_pool", {"UserPool": {"Id": POOL, "EmailConfiguration": email}})
        ses_stub.add_response("get_email_identity", identity())
        iam_stub.add_response("get_role", SERVICE_ROLE)
        ses_stub.add_response("get_account", {"ProductionAccessEnabled": True, "SendingEnabled": True})
        pool_stub.add_response(
            "get_log_delivery_configuration", {"LogDeliveryConfiguration": {"UserPoolId": POOL, "LogConfigurations": []}}
        )
        code = cli.main(shlex.split(README_COMMAND)[1:])
    printed = capsys.readouterr().out
    blocks = re.findall(
        r"```text\n\$ " + re.escape(README_COMMAND) + r"\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL
    )
    assert code == 1 and blocks == [printed]


def test_json_gives_every_check_with_its_finding_and_fix_and_the_same_exit_code(capsys, monkeypatch):
    pool_stub, ses_stub, iam_stub = stubbed_cli(monkeypatch)
    with pool_stub, ses_stub, iam_stub:
        pool_stub.add_response("describe_user_pool", {"UserPool": {"Id": POOL, "EmailConfiguration": DEVELOPER}})
        ses_stub.add_response("get_email_identity", identity())
        iam_stub.add_response("get_role", SERVICE_ROLE)
        ses_stub.add_response("get_account", {"ProductionAccessEnabled": False, "SendingEnabled": True})
        pool_stub.add_response("get_log_delivery_configuration", LOGS)
        code = cli.main(["check-cognito", POOL, "--configuration-set", "ses-event-log-prod", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1 and document["user_pool_id"] == POOL
    failed = [c for c in document["checks"] if c["ok"] is not True]
    assert [c["check"] for c in failed] == ["SES account"] and "sandbox" in failed[0]["finding"] and failed[0]["fix"]
    assert {"check", "ok", "finding", "fix"} == set(document["checks"][0])
