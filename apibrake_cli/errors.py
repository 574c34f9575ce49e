"""Exit codes a script can rely on, and errors that read like advice instead of tracebacks."""

from __future__ import annotations

from enum import IntEnum

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
from pydantic import ValidationError

from apibrake.http.errors import (
    AuthenticationFailed,
    DailyLimitExhausted,
    PermissionDenied,
    PlatformError,
    PlatformUnavailable,
)
from apibrake.models.validation import describe
from apibrake.platforms.connect import SecretInvalid
from apibrake_cli.steps import command_line


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the operation failed, or some rows of it did
    BAD_INPUT = 2  # a file, an option or a field is wrong
    NOT_FOUND = 3  # no such connection, incident or stack; or nothing configured
    PERMISSION = 4  # credentials refused, a permission or scope missing
    LIMIT_EXHAUSTED = 5  # the platform's daily API limit is spent
    BUSY = 6  # another run is working on it: nothing done by this one
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 operation failed (or some rows failed); 2 bad input (file, option, "
    "field); 3 not found or not configured; 4 permission or authentication problem; "
    "5 platform daily API limit exhausted; 6 another run is working on it (nothing done); "
    "130 interrupted (Ctrl-C)."
)

LIMIT_ADVICE = (
    "the platform refuses our calls too until the window recovers. Switch automations off "
    "in the platform's UI (Salesforce Setup > Flows / Scheduled Jobs; HubSpot Automation > "
    "Workflows), and lower HubSpot's 'Allocated to HubSpot' cap if other apps burn the rest"
)


class CliError(Exception):
    """What went wrong, and what to do next."""

    def __init__(self, message: str, *, code: ExitCode = ExitCode.FAILED, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint


def field_error(exc: ValidationError, what: str) -> CliError:
    field, message = describe(exc)
    return CliError(f"{what}: field '{field}': {message}", code=ExitCode.BAD_INPUT)


def advise(exc: BaseException) -> CliError:
    """Any exception as a CliError with a next step; unknown ones keep their message only."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, SecretInvalid):
        return CliError(
            f"secret {exc.secret_id}: field '{exc.field}': {exc.problem}",
            code=ExitCode.BAD_INPUT,
            hint="fix the JSON and store it again: "
            + command_line("connections", "add", "ID", "--secret-file", "FILE"),
        )
    if isinstance(exc, PlatformError):
        return _platform_advice(exc)
    if isinstance(exc, NoCredentialsError):
        return CliError(
            "no AWS credentials found",
            code=ExitCode.PERMISSION,
            hint="pass --profile NAME, set AWS_PROFILE, or use --local for the local stack",
        )
    if isinstance(exc, ClientError):
        return _aws_advice(exc)
    if isinstance(exc, NoRegionError):
        return CliError(
            "no AWS region given for the deployed stack",
            code=ExitCode.BAD_INPUT,
            hint="pass --region REGION (or set AWS_DEFAULT_REGION, or a profile's region), "
            "or use --local for the local stack",
        )
    if isinstance(exc, BotoCoreError):
        return CliError(f"AWS: {exc}", hint="check --region and your network, or use --local")
    return CliError(f"{type(exc).__name__}: {exc}", hint="run again with --debug for details")


def _platform_advice(exc: PlatformError) -> CliError:
    if isinstance(exc, DailyLimitExhausted):
        return CliError(str(exc), code=ExitCode.LIMIT_EXHAUSTED, hint=LIMIT_ADVICE)
    if isinstance(exc, AuthenticationFailed):
        return CliError(
            str(exc),
            code=ExitCode.PERMISSION,
            hint="the credentials were refused: check the secret's client id/secret or token "
            "and store it again with "
            + command_line("connections", "add", "ID", "--secret-file", "FILE"),
        )
    if isinstance(exc, PermissionDenied):
        scopes = f" (missing scopes: {', '.join(exc.missing_scopes)})" if exc.missing_scopes else ""
        return CliError(
            f"{exc}{scopes}",
            code=ExitCode.PERMISSION,
            hint="grant the permission or scope, then check with "
            + command_line("connections", "test", "ID"),
        )
    if isinstance(exc, PlatformUnavailable):
        return CliError(str(exc), hint="the platform did not answer; try again in a minute")
    return CliError(str(exc))


def _aws_advice(exc: ClientError) -> CliError:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    operation = exc.operation_name
    if code in {"AccessDenied", "AccessDeniedException", "UnrecognizedClientException"} or (
        "not authorized" in message
    ):
        return CliError(
            f"AWS refused {operation}: {message}",
            code=ExitCode.PERMISSION,
            hint="use a profile allowed to read the stack's tables and invoke its functions "
            "(--profile NAME)",
        )
    if code == "ValidationError" and "does not exist" in message:
        return CliError(
            f"AWS: {message}",
            code=ExitCode.NOT_FOUND,
            hint="deploy with sam deploy --guided, or pass --stack NAME / --region, or use --local",
        )
    if code == "ResourceNotFoundException":
        return CliError(
            f"AWS {operation}: {message}",
            code=ExitCode.NOT_FOUND,
            hint="is the stack deployed in this region? pass --stack NAME / --region",
        )
    return CliError(f"AWS {operation}: {code}: {message}")
