"""Where commands act: a deployed stack (CloudFormation outputs) or the local one (--local).

Deployed: table, topic and function names come from the stack's outputs and functions run
through Lambda `invoke`. Local: moto and the sandbox started by `apibrake local up` (found
through its state file), or a throwaway pair started for one command; "invoking" a function
runs its handler in-process with the environment template.yaml gives it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from apibrake.incident.journal import JournalStore
from apibrake.platforms.connect import SSM_PREFIX
from apibrake.runtime.assembly import Stores, stores
from apibrake.runtime.settings import Settings
from apibrake.store.allowlist import AllowlistStore
from apibrake.store.connections import ConnectionStore
from apibrake.store.state import StateStore
from apibrake_cli.errors import CliError, ExitCode
from apibrake_cli.options import Options
from apibrake_cli.output import Output
from apibrake_cli.steps import command_line

OUTPUTS = {
    "connections_table": "ConnectionsTableName",
    "allowlist_table": "AllowlistTableName",
    "state_table": "StateTableName",
    "alert_topic_arn": "AlertTopicArn",
}
FUNCTION_OUTPUTS = {
    "monitor": "UsageMonitorFunctionName",
    "brake": "IncidentResponderFunctionName",
    "restore": "RestoreFunctionName",
}


@dataclass(frozen=True)
class StackNames:
    connections_table: str
    allowlist_table: str
    state_table: str
    alert_topic_arn: str
    functions: dict[str, str]  # monitor | brake | restore -> function name
    # The key SSM SecureStrings are stored under (output CredentialsKeyArn; a stack from
    # before it: SSM's default key).
    credentials_key: str | None = None

    @classmethod
    def from_outputs(cls, outputs: dict[str, str], where: str) -> StackNames:
        missing = [o for o in (*OUTPUTS.values(), *FUNCTION_OUTPUTS.values()) if o not in outputs]
        if missing:
            raise CliError(
                f"{where} has no output {', '.join(missing)}",
                code=ExitCode.NOT_FOUND,
                hint="is this an apibrake stack? redeploy with sam deploy, or pass --stack NAME",
            )
        return cls(
            **{field: outputs[output] for field, output in OUTPUTS.items()},
            functions={role: outputs[output] for role, output in FUNCTION_OUTPUTS.items()},
            credentials_key=outputs.get("CredentialsKeyArn"),
        )


class Target:
    """The stack's tables, secrets and functions, whichever stack it is."""

    kind = "deployed"

    def __init__(self, names: StackNames, session: boto3.Session) -> None:
        self.names = names
        self._session = session
        self._clients: dict[str, Any] = {}

    def client(self, service: str, config: Config | None = None) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service, config=config)  # type: ignore[call-overload]
        return self._clients[service]

    @functools.cached_property
    def _stores(self) -> Stores:
        settings = Settings(
            connections_table=self.names.connections_table,
            allowlist_table=self.names.allowlist_table,
            state_table=self.names.state_table,
        )
        return stores(settings, self.client("dynamodb"))

    @property
    def connections(self) -> ConnectionStore:
        return self._stores.connections

    @property
    def allowlist(self) -> AllowlistStore:
        return self._stores.allowlist

    @property
    def state(self) -> StateStore:
        return self._stores.state

    @property
    def journal(self) -> JournalStore:
        return self._stores.journal

    def secret(self, secret_id: str) -> dict[str, Any]:
        secrets = self.client("secretsmanager")
        try:
            text = secrets.get_secret_value(SecretId=secret_id)["SecretString"]
        except secrets.exceptions.ResourceNotFoundException:
            raise CliError(
                f"secret {secret_id} does not exist",
                code=ExitCode.NOT_FOUND,
                hint="store it with "
                + command_line(
                    "connections", "add", "ID", "--platform", "P", "--secret-file", "FILE"
                ),
            ) from None
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise CliError(
                f"secret {secret_id} is not a JSON object", code=ExitCode.BAD_INPUT
            ) from None
        return value

    def put_secret(self, secret_id: str, value: dict[str, Any]) -> str:
        """Creates or updates the secret (an `ssm:/name` id: a SecureString under the stack's
        key); returns 'created' or 'updated'."""
        if secret_id.startswith(SSM_PREFIX):
            return self._put_parameter(secret_id.removeprefix(SSM_PREFIX), json.dumps(value))
        secrets = self.client("secretsmanager")
        text = json.dumps(value)
        try:
            secrets.create_secret(Name=secret_id, SecretString=text)
            return "created"
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=secret_id, SecretString=text)
            return "updated"

    def _put_parameter(self, name: str, text: str) -> str:
        ssm = self.client("ssm")
        try:
            ssm.get_parameter(Name=name)
            action = "updated"
        except ssm.exceptions.ParameterNotFound:
            action = "created"
        key = {"KeyId": self.names.credentials_key} if self.names.credentials_key else {}
        ssm.put_parameter(Name=name, Value=text, Type="SecureString", Overwrite=True, **key)
        return action

    def delete_secret(self, secret_id: str) -> None:
        if secret_id.startswith(SSM_PREFIX):
            self.client("ssm").delete_parameter(Name=secret_id.removeprefix(SSM_PREFIX))
            return
        self.client("secretsmanager").delete_secret(SecretId=secret_id, RecoveryWindowInDays=7)

    def invoke(self, role: str, event: dict[str, Any]) -> dict[str, Any]:
        """Runs one of the stack's functions (monitor | brake | restore) and returns its answer."""
        name = self.names.functions[role]
        # A brake may run for minutes: wait as long as a Lambda can run, never retry it.
        lam = self.client("lambda", Config(read_timeout=900, retries={"max_attempts": 0}))
        answer = lam.invoke(
            FunctionName=name, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            message = payload.get("errorMessage") if isinstance(payload, dict) else payload
            raise CliError(
                f"{name} failed: {message}",
                hint=f"read its logs: sam logs --stack-name <stack> -n {name} --tail",
            )
        if not isinstance(payload, dict):
            raise CliError(f"{name} answered {payload!r}, not a report")
        return payload

    def sandbox_secret(self, platform: str) -> dict[str, Any] | None:
        """Credentials of the local sandbox (local stacks only)."""
        return None

    def describe(self) -> str:
        return f"stack {self.names.connections_table.rsplit('-', 1)[0]}"


def deployed_target(options: Options) -> Target:
    session = boto3.Session(profile_name=options.profile, region_name=options.region)
    cloudformation = session.client("cloudformation")
    stacks = cloudformation.describe_stacks(StackName=options.stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return Target(StackNames.from_outputs(outputs, f"stack {options.stack}"), session)


@contextmanager
def open_target(options: Options, out: Output) -> Iterator[Target]:
    if not options.local:
        yield deployed_target(options)
        return
    from apibrake_cli.local_extra import local_extra

    with local_extra():
        from apibrake_cli.local import local_target  # moto and the sandbox load only when asked

    with local_target(out) as target:
        yield target
