"""Create the stack's tables, queues and e-mail identity on an AWS endpoint (a moto server)
from `template.yaml` itself, so the local run uses the very definitions that get deployed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

TEMPLATE = Path(__file__).resolve().parents[4] / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short tags (!Ref, !Sub, !GetAtt ...) as their long forms."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    assert isinstance(loaded, dict)
    return loaded


@dataclass
class Stack:
    """What was provisioned: physical names by logical id."""

    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> queue URL
    queue_arns: dict[str, str] = field(default_factory=dict)
    others: dict[str, str] = field(default_factory=dict)  # e.g. the SES configuration set
    parameters: dict[str, str] = field(default_factory=dict)


class _Resolver:
    def __init__(self, template: dict[str, Any], parameters: dict[str, str], stack: Stack):
        self.parameters = (
            {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()}
            | parameters
            | {
                "AWS::Region": "ap-southeast-1",
                "AWS::AccountId": "123456789012",
                "AWS::Partition": "aws",
            }
        )
        self.stack = stack
        stack.parameters = self.parameters

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                for names in (
                    self.parameters,
                    self.stack.tables,
                    self.stack.queues,
                    self.stack.others,
                ):
                    if arg in names:
                        return names[arg]
                raise KeyError(f"template.yaml: !Ref {arg} names nothing provisioned locally")
            if key == "Fn::Sub":
                return re.sub(r"\$\{([\w:]+)\}", lambda m: str(self(dict(Ref=m.group(1)))), arg)
            if key == "Fn::GetAtt" and arg[1] == "Arn":
                return self.stack.queue_arns[arg[0]]
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        return value


def provision(
    session: Any,
    parameters: dict[str, str] | None = None,
    template: dict[str, Any] | None = None,
    *,
    exist_ok: bool = False,
) -> Stack:
    """Create every DynamoDB table, SQS queue and SES resource of the template (dead-letter
    queues first). Parameters given override the template's defaults (e.g. the local API's
    URL). With `exist_ok`, what already exists (an endpoint used before) is kept."""
    template = template or load_template()
    stack = Stack()
    resolve = _Resolver(template, parameters or {}, stack)
    resources = template["Resources"]
    dynamodb = session.client("dynamodb")
    sqs = session.client("sqs")
    queues = {k: v for k, v in resources.items() if v["Type"] == "AWS::SQS::Queue"}
    # Dead-letter queues have no redrive policy of their own: create them first.
    for logical, spec in sorted(
        queues.items(), key=lambda kv: "RedrivePolicy" in kv[1]["Properties"]
    ):
        props = resolve(spec["Properties"])
        attributes = {
            key: (
                json.dumps(value)
                if isinstance(value, dict)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            for key, value in props.items()
            if key
            in (
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "RedrivePolicy",
                "SqsManagedSseEnabled",
            )
        }
        url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
        stack.queues[logical] = url
        stack.queue_arns[logical] = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
    for logical, spec in resources.items():
        if spec["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resolve(spec["Properties"])
        kwargs: dict[str, Any] = {
            key: props[key]
            for key in (
                "TableName",
                "AttributeDefinitions",
                "KeySchema",
                "BillingMode",
                "GlobalSecondaryIndexes",
                "SSESpecification",
            )
            if key in props
        }
        if "SSESpecification" in kwargs:
            kwargs["SSESpecification"] = {"Enabled": kwargs["SSESpecification"]["SSEEnabled"]}
        stack.tables[logical] = props["TableName"]
        if not _create(dynamodb.create_table, exist_ok, **kwargs):
            continue
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=props["TableName"], TimeToLiveSpecification=ttl)
    sesv2 = session.client("sesv2")
    for logical, spec in resources.items():
        if spec["Type"] == "AWS::SES::ConfigurationSet":
            name = resolve(spec["Properties"]["Name"])
            _create(sesv2.create_configuration_set, exist_ok, ConfigurationSetName=name)
            stack.others[logical] = name
    # The sender identity exists before the first send (verified by hand in a real account).
    _create(sesv2.create_email_identity, exist_ok, EmailIdentity=resolve({"Ref": "EmailIdentity"}))
    return stack


def _create(call: Any, exist_ok: bool, **kwargs: Any) -> bool:
    """Make one create call; False if the resource exists already and that is fine."""
    try:
        call(**kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if exist_ok and code in ("ResourceInUseException", "AlreadyExistsException"):
            return False
        raise
    return True


def environment(
    stack: Stack, function: str, template: dict[str, Any] | None = None
) -> dict[str, str]:
    """A function's environment variables as the template sets them (Globals, then its own),
    resolved against the provisioned stack."""
    template = template or load_template()
    resolve = _Resolver(template, stack.parameters, stack)
    variables = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    own = template["Resources"][function]["Properties"].get("Environment", {})
    variables |= own.get("Variables", {})
    return {name: str(resolve(value)) for name, value in variables.items()}
