"""The local AWS stack: moto in server mode plus the resources of template.yaml.

moto cannot deploy a SAM template, so LocalAws reads the template and creates
its tables and topics itself, named `{stack_name}-{LogicalId}` the way a
stack would name them, and computes the environment each function would get.
Every boto3 client created while it runs talks to it (AWS_ENDPOINT_URL).
moto runs in a child process (localaws.child_server), one per LocalAws.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import boto3

from localaws.child_server import ChildServer
from localaws.inbox import AlertInbox, EventInbox
from localaws.intrinsics import IntrinsicResolver
from localaws.placeholders import KMS_KEY_TYPE, NAME_PROPERTIES, kms_key_id
from localaws.resources import (
    QUEUE_TYPE,
    TABLE_TYPE,
    TOPIC_TYPE,
    create_queue,
    create_table,
    create_topic,
    set_redrive,
)
from localaws.template import TEMPLATE_PATH, Template, function_properties, load_template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

ACCOUNT_ID = "123456789012"  # moto's default account
FUNCTION_TYPE = "AWS::Serverless::Function"
LAYER_TYPE = "AWS::Serverless::LayerVersion"
_NOTHING_TYPE = "AWS::CloudFormation::WaitConditionHandle"
_CLEARED_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class LocalAws:
    """moto server on 127.0.0.1 with the template's tables and topics.

    Use as a context manager, or call start() and stop().
    """

    def __init__(
        self,
        template_path: Path | str = TEMPLATE_PATH,
        *,
        stack_name: str = "apibrake",
        region: str = "us-east-1",
        parameters: Mapping[str, str] | None = None,
        port: int = 0,
    ) -> None:
        self.template_path = Path(template_path)
        self.template: Template = load_template(template_path)
        self.stack_name = stack_name
        self.region = region
        self.account_id = ACCOUNT_ID
        self.parameter_overrides = dict(parameters or {})
        self._parameters = self._parameter_values(self.parameter_overrides)
        self._server = ChildServer("localaws.moto_child", "127.0.0.1", port)
        self._saved_environment: dict[str, str | None] = {}
        self._clients: dict[str, Any] = {}
        self._inbox_count = 0
        self.endpoint_url = ""
        # Names are known before anything runs, as in a stack: {stack_name}-{LogicalId}.
        self.table_names: dict[str, str] = {
            logical_id: self._physical_name(logical_id)
            for logical_id in self.live_resources(TABLE_TYPE)
        }
        self.topic_arns: dict[str, str] = {
            logical_id: self._arn("sns", self._physical_name(logical_id))
            for logical_id in self.live_resources(TOPIC_TYPE)
        }
        self.function_names: dict[str, str] = {
            logical_id: self._physical_name(logical_id)
            for logical_id in self.live_resources(FUNCTION_TYPE)
        }
        # A queue's URL (its Ref) names the endpoint: known once moto runs.
        self.queue_names: dict[str, str] = {
            logical_id: self._physical_name(logical_id)
            for logical_id in self.live_resources(QUEUE_TYPE)
        }
        # Declared, never created: see localaws.placeholders.
        self.kms_key_ids: dict[str, str] = {
            logical_id: kms_key_id(stack_name, logical_id)
            for logical_id in self.live_resources(KMS_KEY_TYPE)
        }

    # lifecycle

    def start(self) -> Self:
        """Start moto, point this process's AWS SDKs at it, create the resources."""
        self._server.start()
        self.endpoint_url = self._server.url
        self._point_sdks_here()
        self._create_resources()
        return self

    def stop(self) -> None:
        """Stop moto and put the process environment back as it was."""
        self._server.stop()
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment.clear()
        self._clients.clear()

    def reset(self) -> None:
        """Wipe every item, message and secret; recreate the template's resources.

        Inboxes, secrets and the stack (create_stack) made before a reset are gone after it.
        """
        # Loopback moto only, hence the noqa on the URL checks.
        reset_url = f"{self.endpoint_url}/moto-api/reset"
        request = urllib.request.Request(reset_url, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass
        self._create_resources()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # what the template declares

    def table_name(self, logical_id: str) -> str:
        """Local name of a table, e.g. table_name("StateTable")."""
        return self.table_names[logical_id]

    def queue_url(self, logical_id: str) -> str:
        """Local URL of a queue, e.g. queue_url("UrgentCheckQueue")."""
        return f"{self.endpoint_url}/{self.account_id}/{self.queue_names[logical_id]}"

    @property
    def alert_topic_arn(self) -> str:
        return self.topic_arns["AlertTopic"]

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The environment variables the deployed function would see."""
        variables = function_properties(self.template, logical_id)["Environment"]["Variables"]
        resolved = self._resolver().resolve(variables)
        return {name: _as_text(value) for name, value in resolved.items()}

    def resolve(self, value: Any) -> Any:
        """`value` (any piece of the template) with its intrinsics evaluated locally."""
        return self._resolver().resolve(value)

    def outputs(self) -> dict[str, str]:
        """The template's Outputs, as `aws cloudformation describe-stacks` would list them."""
        resolver = self._resolver()
        return {
            name: _as_text(resolver.resolve(output["Value"]))
            for name, output in self.template.get("Outputs", {}).items()
            if "Condition" not in output or resolver.condition(output["Condition"])
        }

    def sdk_environment(self) -> dict[str, str]:
        """The variables that point an AWS SDK (boto3, the AWS CLI) at this stack."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            # Nothing from ~/.aws may leak in: no profile, no real credentials.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    # helpers for tests, the drill and users

    def client(self, service: str) -> Any:
        """A boto3 client for this stack (cached)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,  # type: ignore[call-overload]
                region_name=self.region,
                endpoint_url=self.endpoint_url,
            )
        return self._clients[service]

    def create_stack(self) -> str:
        """Registers the stack in moto's CloudFormation, so `describe_stacks(StackName=...)`
        lists the template's Outputs with their local values, as for a deployed stack; returns
        the stack id. A reset removes it.

        Not part of start(): moto loads its CloudFormation in about 2 s on first use, a cost
        only callers that look the stack up (the CLI's deployed path) should pay.
        """
        declared: dict[str, dict[str, Any]] = self.template.get("Outputs", {})
        outputs: dict[str, dict[str, str]] = {}
        for name, value in self.outputs().items():
            outputs[name] = {"Value": value}
            if "Description" in declared[name]:
                outputs[name]["Description"] = declared[name]["Description"]
        # moto cannot deploy the SAM template. A wait condition handle, CloudFormation's
        # resource that creates nothing, carries the outputs already resolved here.
        body = {"Resources": {"LocalStack": {"Type": _NOTHING_TYPE}}, "Outputs": outputs}
        created = self.client("cloudformation").create_stack(
            StackName=self.stack_name, TemplateBody=json.dumps(body)
        )
        return str(created["StackId"])

    def create_secret(self, name: str, value: Mapping[str, Any]) -> str:
        """Store `value` as a JSON secret (replacing an existing one); returns its ARN."""
        secrets: SecretsManagerClient = self.client("secretsmanager")
        text = json.dumps(dict(value))
        try:
            return secrets.create_secret(Name=name, SecretString=text)["ARN"]
        except secrets.exceptions.ResourceExistsException:
            return secrets.put_secret_value(SecretId=name, SecretString=text)["ARN"]

    def alert_inbox(
        self, filter_policy: Mapping[str, Any] | None = None, topic: str = "AlertTopic"
    ) -> AlertInbox:
        """A fresh SQS queue subscribed to the topic (optionally through a filter policy)."""
        sqs: SQSClient = self.client("sqs")
        sns: SNSClient = self.client("sns")
        queue_url, queue_arn = self._new_queue("inbox")
        attributes = {"RawMessageDelivery": "false"}
        if filter_policy is not None:
            attributes |= {
                "FilterPolicy": json.dumps(dict(filter_policy)),
                "FilterPolicyScope": "MessageAttributes",
            }
        subscription = sns.subscribe(
            TopicArn=self.topic_arns[topic],
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )
        return AlertInbox(sqs, queue_url, subscription["SubscriptionArn"])

    def _new_queue(self, kind: str) -> tuple[str, str]:
        """A fresh SQS queue of the stack's (its URL and ARN): each inbox reads its own."""
        sqs: SQSClient = self.client("sqs")
        self._inbox_count += 1
        queue_url = sqs.create_queue(QueueName=f"{self.stack_name}-{kind}-{self._inbox_count}")[
            "QueueUrl"
        ]
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        return queue_url, attributes["Attributes"]["QueueArn"]

    def event_inbox(self, event_pattern: Mapping[str, Any]) -> EventInbox:
        """A fresh SQS queue behind a rule on the default event bus: what a rule routing
        apibrake's events (to a pager, a webhook) would get."""
        sqs: SQSClient = self.client("sqs")
        events = self.client("events")  # no stubs installed for EventBridge
        queue_url, queue_arn = self._new_queue("events")
        name = queue_url.rsplit("/", 1)[-1]
        events.put_rule(Name=name, EventPattern=json.dumps(dict(event_pattern)))
        events.put_targets(Rule=name, Targets=[{"Id": "inbox", "Arn": queue_arn}])
        return EventInbox(sqs, queue_url, name)

    # internals

    def _point_sdks_here(self) -> None:
        settings: dict[str, str | None] = {
            **self.sdk_environment(),
            **dict.fromkeys(_CLEARED_VARIABLES),
            # Per-service endpoints would beat AWS_ENDPOINT_URL.
            **dict.fromkeys(name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")),
        }
        for name, value in settings.items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def _create_resources(self) -> None:
        # Every name is known up front, so one pass resolves any reference.
        resolver = self._resolver()
        dynamodb: DynamoDBClient = self.client("dynamodb")
        sns: SNSClient = self.client("sns")
        for logical_id, resource in self.live_resources(TABLE_TYPE).items():
            properties = resolver.resolve(resource.get("Properties", {}))
            create_table(dynamodb, self.table_names[logical_id], logical_id, properties)
        for logical_id, resource in self.live_resources(TOPIC_TYPE).items():
            properties = resolver.resolve(resource.get("Properties", {}))
            arn = create_topic(sns, self._physical_name(logical_id), logical_id, properties)
            if arn != self.topic_arns[logical_id]:
                raise RuntimeError(f"moto named {logical_id} {arn}, expected {self.topic_arns}")
        self._create_queues(resolver)

    def _create_queues(self, resolver: IntrinsicResolver) -> None:
        sqs: SQSClient = self.client("sqs")
        queues = self.live_resources(QUEUE_TYPE)
        created = {}
        for logical_id, resource in queues.items():
            properties = resolver.resolve(resource.get("Properties", {}))
            url = create_queue(sqs, self.queue_names[logical_id], logical_id, properties)
            if url != self.queue_url(logical_id):
                raise RuntimeError(
                    f"moto gave {logical_id} {url}, expected {self.queue_url(logical_id)}"
                )
            created[logical_id] = properties
        for logical_id, properties in created.items():
            set_redrive(sqs, self.queue_url(logical_id), properties)

    def _resolver(self) -> IntrinsicResolver:
        refs: dict[str, Any] = {
            **self._parameters,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}"
            f":stack/{self.stack_name}/local",
            **self.table_names,
            **self.topic_arns,
            **self.function_names,
            **self.kms_key_ids,
            **{logical_id: self.queue_url(logical_id) for logical_id in self.queue_names},
            **{
                logical_id: self._arn("lambda", f"layer:{self._physical_name(logical_id)}:1")
                for logical_id in self.live_resources(LAYER_TYPE)
            },
        }
        attributes: dict[tuple[str, str], Any] = {}
        for logical_id, name in self.table_names.items():
            attributes[(logical_id, "Arn")] = self._arn("dynamodb", f"table/{name}")
        for logical_id, arn in self.topic_arns.items():
            attributes[(logical_id, "TopicArn")] = arn
            attributes[(logical_id, "TopicName")] = arn.rsplit(":", 1)[1]
        for logical_id, name in self.function_names.items():
            attributes[(logical_id, "Arn")] = self._arn("lambda", f"function:{name}")
        for logical_id, name in self.queue_names.items():
            attributes[(logical_id, "Arn")] = self._arn("sqs", name)
            attributes[(logical_id, "QueueName")] = name
            attributes[(logical_id, "QueueUrl")] = self.queue_url(logical_id)
        for logical_id, key_id in self.kms_key_ids.items():
            attributes[(logical_id, "Arn")] = self._arn("kms", f"key/{key_id}")
            attributes[(logical_id, "KeyId")] = key_id
        # Names of dashboards, alarms and log groups may refer to everything above
        # (`/aws/lambda/${Function}`), never to each other.
        names = IntrinsicResolver(self.template, dict(refs), attributes)
        for resource_type, name_property in NAME_PROPERTIES.items():
            for logical_id, resource in self.live_resources(resource_type).items():
                name = resource.get("Properties", {}).get(name_property)
                refs[logical_id] = names.resolve(name) if name else self._physical_name(logical_id)
        return IntrinsicResolver(self.template, refs, attributes)

    def live_resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The resources of a type a deployment with these parameters would have (their
        Condition holds), created here or not (moto has no chat service, for one)."""
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        typed = {
            logical_id: resource
            for logical_id, resource in resources.items()
            if resource.get("Type") == resource_type
        }
        if not any("Condition" in resource for resource in typed.values()):
            return typed
        conditions = IntrinsicResolver(self.template, self._parameters, {})
        return {
            logical_id: resource
            for logical_id, resource in typed.items()
            if "Condition" not in resource or conditions.condition(resource["Condition"])
        }

    def _parameter_values(self, overrides: dict[str, str]) -> dict[str, Any]:
        declared: dict[str, dict[str, Any]] = self.template.get("Parameters", {})
        unknown = set(overrides) - set(declared)
        if unknown:
            raise ValueError(f"unknown template parameters: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, declaration in declared.items():
            if name in overrides:
                value: Any = overrides[name]
            elif "Default" in declaration:
                value = declaration["Default"]
            else:
                continue  # a Ref to it fails loudly when resolved
            text = _as_text(value)
            values[name] = text.split(",") if declaration["Type"].endswith("List") else text
        return values

    def _physical_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


def _as_text(value: Any) -> str:
    """CloudFormation hands every parameter and env value over as a string."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_as_text(item) for item in value)
    return str(value)
