"""User-facing failures: each becomes one line on stderr and a non-zero exit code."""

from __future__ import annotations

import signal

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)


class SeslogError(Exception):
    """A failure the user can act on; the message is printed as is, without a traceback."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(one_line(message))
        self.exit_code = exit_code


ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
THROTTLED = {"ThrottlingException", "Throttling", "TooManyRequestsException", "SlowDown", "RequestLimitExceeded"}
EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
BAD_CREDENTIALS = {"InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch"}


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def error_message(error: ClientError) -> str:
    return one_line(error.response.get("Error", {}).get("Message", ""))


def describe_aws_error(error: BotoCoreError | ClientError) -> str:
    """One line saying what went wrong talking to AWS and what to do about it."""
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return "no AWS credentials found: set AWS_PROFILE (after `aws sso login` if needed) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    if isinstance(error, NoRegionError):
        return "no AWS region: pass --region or set SESLOG_REGION or AWS_REGION"
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return f"cannot reach AWS: {one_line(error)}"
    if isinstance(error, ClientError):
        code, message, operation = error_code(error), error_message(error), error.operation_name
        if code in ACCESS_DENIED:
            return f"access denied calling {operation}: {message}"
        if code in THROTTLED:
            return f"AWS throttled {operation} ({code}); wait a moment and try again"
        if code in EXPIRED:
            return f"the AWS credentials have expired ({code}); refresh them (e.g. `aws sso login`) and try again"
        if code in BAD_CREDENTIALS:
            return f"AWS did not accept the credentials ({code}): {message}"
        return f"{operation} failed: {code}: {message}"
    return one_line(error)


class Interrupted(KeyboardInterrupt):
    """A signal that ends seslog as Ctrl-C does (SIGTERM, SIGHUP): raised as a ``KeyboardInterrupt``, so
    that every cleanup written for Ctrl-C runs for it too, and carrying the signal for the exit code."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


RECEIVED: list[int] = []
"""The ending signals received, in order: an ``Interrupted`` caught and raised anew as a plain
``KeyboardInterrupt`` (DuckDB's "Query interrupted") loses its signal, the process does not."""


def interrupt_signal(interrupt: BaseException | None = None) -> int:
    """The signal behind ``interrupt``: the one it carries, else the last ending signal received, else SIGINT."""
    if isinstance(interrupt, Interrupted):
        return interrupt.signum
    return RECEIVED[-1] if RECEIVED else signal.SIGINT


def interrupted_exit_code(interrupt: BaseException | None = None) -> int:
    """128 + the signal, as a shell reports a process the signal ended: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + interrupt_signal(interrupt)


def interrupted(interrupt: BaseException | None = None) -> str:
    """``interrupted`` for Ctrl-C, ``interrupted by SIGTERM`` for another signal."""
    signum = interrupt_signal(interrupt)
    return "interrupted" if signum == signal.SIGINT else f"interrupted by {signal.Signals(signum).name}"
