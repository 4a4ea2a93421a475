"""Reading the SAM template for the local stack.

Why a module of its own: the local stack, its tests and anything else that inspects
`infra/template.yaml` need the same view of it: CloudFormation short tags (`!Ref`, `!Sub`, ...)
parsed into their long form, `Globals.Function` merged into each function like SAM does, and
intrinsic functions resolved to local values (`!Ref Table` is the local table name). The template
stays the single source of truth: routes, environment and the table come from it, never from a
second hand-written list that could drift.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LOG = logging.getLogger("local.template")

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_STACK_NAME = "badgekit-local"


class TemplateError(ValueError):
    """The template cannot be served locally as written."""


class _NoValue:
    """`AWS::NoValue`: the enclosing key or list item disappears."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


class CfnLoader(yaml.SafeLoader):
    """A safe YAML loader that turns CloudFormation short tags into their long (JSON) form."""


def _construct_short_tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise TemplateError(f"!{suffix}: unexpected YAML node {node!r}")
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_short_tag)


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML file (short tags allowed) into plain data."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: not a mapping")
    return data


def _text(value: Any) -> str:
    """CloudFormation's string form of a scalar (booleans are lowercase)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Resolver:
    """Evaluates intrinsic functions with local values.

    `parameters` override the template's parameter defaults; `refs` give `Ref` values of resources
    (a resource without one resolves to its logical id); `attributes` give `Fn::GetAtt` values keyed
    `"Logical.Attribute"` (unknown ones resolve to that key, which is good enough locally).
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        parameters: Mapping[str, str] | None = None,
        refs: Mapping[str, Any] | None = None,
        attributes: Mapping[str, Any] | None = None,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        stack_name: str = DEFAULT_STACK_NAME,
    ) -> None:
        self.template = template
        self.attributes = dict(attributes or {})
        values: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/x",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        for name, spec in (template.get("Parameters") or {}).items():
            if isinstance(spec, Mapping) and "Default" in spec:
                values[name] = spec["Default"]
        values.update(parameters or {})
        values.update(refs or {})
        self._values = values
        self._conditions: dict[str, bool] = {}

    # -- public -------------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic function inside `value` (dropping `AWS::NoValue`)."""
        if isinstance(value, Mapping):
            if len(value) == 1:
                (key, arg), *_ = value.items()
                if key == "Ref" or key == "Condition" or key.startswith("Fn::"):
                    return self._intrinsic(key, arg)
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        """Evaluate a named condition of the template (cached)."""
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    # -- intrinsics ---------------------------------------------------------------------------

    def _intrinsic(self, key: str, arg: Any) -> Any:
        handler = getattr(self, "_fn_" + key.removeprefix("Fn::").replace("::", "_"), None)
        if handler is None:
            raise TemplateError(f"{key} is not supported by the local stack")
        return handler(arg)

    def _fn_Ref(self, name: Any) -> Any:
        if name in self._values:
            return self._values[name]
        if name in (self.template.get("Resources") or {}):
            return name
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def _fn_Condition(self, name: Any) -> bool:
        return self.condition(str(name))

    def _fn_GetAtt(self, arg: Any) -> Any:
        resolved = self.resolve(arg)
        parts = resolved.split(".", 1) if isinstance(resolved, str) else resolved
        key = ".".join(str(p) for p in parts)
        return self.attributes.get(key, key)

    def _fn_Sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], self.resolve(arg[1])
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _text(variables[name])
            if "." in name and name not in self._values:
                return _text(self._fn_GetAtt(name))
            return _text(self._fn_Ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, str(text))

    def _fn_Join(self, arg: Any) -> str:
        delimiter, items = self.resolve(arg)
        return str(delimiter).join(_text(item) for item in items)

    def _fn_Select(self, arg: Any) -> Any:
        index, items = self.resolve(arg)
        return items[int(index)]

    def _fn_Split(self, arg: Any) -> list[str]:
        delimiter, text = self.resolve(arg)
        return str(text).split(str(delimiter))

    def _fn_If(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_Equals(self, arg: Any) -> bool:
        left, right = self.resolve(arg)
        return _text(left) == _text(right)

    def _fn_Not(self, arg: Any) -> bool:
        (value,) = self.resolve(arg)
        return not value

    def _fn_And(self, arg: Any) -> bool:
        return all(self.resolve(arg))

    def _fn_Or(self, arg: Any) -> bool:
        return any(self.resolve(arg))

    def _fn_FindInMap(self, arg: Any) -> Any:
        map_name, top, second = self.resolve(arg)[:3]
        return self.template["Mappings"][map_name][top][second]

    def _fn_Base64(self, arg: Any) -> str:
        return base64.b64encode(_text(self.resolve(arg)).encode()).decode()

    def _fn_Length(self, arg: Any) -> int:
        return len(self.resolve(arg))

    def _fn_ToJsonString(self, arg: Any) -> str:
        return json.dumps(self.resolve(arg), separators=(",", ":"))


# -- the parts of the template the local stack serves ---------------------------------------


@dataclass(frozen=True)
class ApiEvent:
    """One `Type: Api` event: API Gateway sends `method` on resource `path` to `function`."""

    function: str
    name: str
    path: str
    method: str


@dataclass(frozen=True)
class StreamEvent:
    """One `Type: DynamoDB` event source mapping of a function."""

    function: str
    name: str
    stream: str
    batch_size: int = 100
    starting_position: str = "LATEST"
    filter_patterns: tuple[Mapping[str, Any], ...] = ()
    maximum_retry_attempts: int = -1
    report_batch_item_failures: bool = False
    enabled: bool = True
    on_failure: str | None = None  # DestinationConfig.OnFailure (an SQS queue ARN)


@dataclass(frozen=True)
class QueueEvent:
    """One `Type: SQS` event source mapping of a function."""

    function: str
    name: str
    queue: str  # the queue's ARN
    batch_size: int = 10
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class FunctionSpec:
    """What the local stack needs to import and invoke one `AWS::Serverless::Function`."""

    logical_id: str
    code_dir: Path
    handler: str
    environment: Mapping[str, str]
    memory_mb: int
    timeout_s: int
    layer_dirs: tuple[Path, ...]
    api_events: tuple[ApiEvent, ...]
    stream_events: tuple[StreamEvent, ...]
    queue_events: tuple[QueueEvent, ...] = ()

    @property
    def handler_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir.joinpath(*module.split(".")).with_suffix(".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class TableSpec:
    """The template's `AWS::DynamoDB::Table` (properties still unresolved)."""

    logical_id: str
    properties: Mapping[str, Any]


class Template:
    """A SAM template on disk, with accessors for what the local stack serves."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).resolve()
        self.dir = self.path.parent
        self.data = load_yaml(self.path)
        self.resources: dict[str, Any] = self.data.get("Resources") or {}

    def of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        return {
            name: resource
            for name, resource in self.resources.items()
            if isinstance(resource, Mapping) and resource.get("Type") == resource_type
        }

    def table(self) -> TableSpec:
        """The single DynamoDB table (the data model is single-table by design)."""
        tables = self.of_type("AWS::DynamoDB::Table")
        if len(tables) != 1:
            raise TemplateError(f"expected one AWS::DynamoDB::Table, found {len(tables)}")
        (name, resource), *_ = tables.items()
        return TableSpec(name, resource.get("Properties") or {})

    def buckets(self) -> dict[str, Mapping[str, Any]]:
        """The template's `AWS::S3::Bucket` resources (the local stack creates each one)."""
        return self.of_type("AWS::S3::Bucket")

    def queues(self) -> dict[str, Mapping[str, Any]]:
        """The template's `AWS::SQS::Queue` resources (the local stack creates each one)."""
        return self.of_type("AWS::SQS::Queue")

    def keys(self) -> dict[str, Mapping[str, Any]]:
        """The template's `AWS::KMS::Key` resources (the local stack creates each one)."""
        return self.of_type("AWS::KMS::Key")

    def key_aliases(self) -> dict[str, Mapping[str, Any]]:
        """The template's `AWS::KMS::Alias` resources."""
        return self.of_type("AWS::KMS::Alias")

    def api_properties(self, resolver: Resolver) -> dict[str, Any]:
        """Resolved properties of the (first) `AWS::Serverless::Api`, or {} if implicit."""
        apis = self.of_type("AWS::Serverless::Api")
        if not apis:
            return {}
        resource = next(iter(apis.values()))
        props = {
            key: resolver.resolve(value)
            for key, value in (resource.get("Properties") or {}).items()
            if key in ("StageName", "BinaryMediaTypes", "GatewayResponses")
        }
        if "BinaryMediaTypes" in props:
            props["BinaryMediaTypes"] = [t.replace("~1", "/") for t in props["BinaryMediaTypes"]]
        return props

    @staticmethod
    def gateway_response_body(api: Mapping[str, Any], response_type: str) -> Any:
        """The JSON body of one of the API's `GatewayResponses`, if the template defines it."""
        responses = api.get("GatewayResponses") or {}
        template = ((responses.get(response_type) or {}).get("ResponseTemplates") or {}).get(
            "application/json"
        )
        return json.loads(template) if template else None

    @staticmethod
    def gateway_response_headers(api: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
        """The static headers of each of the API's `GatewayResponses`, by response type.

        `ResponseParameters.Headers` values that are quoted literals (`"'nosniff'"`); mappings
        from the request (`method.request.header.x`) have no local meaning and are skipped.
        """
        result: dict[str, list[tuple[str, str]]] = {}
        for response_type, response in (api.get("GatewayResponses") or {}).items():
            parameters = (response or {}).get("ResponseParameters") or {}
            result[response_type] = [
                (name, value[1:-1])
                for name, value in (parameters.get("Headers") or {}).items()
                if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'"
            ]
        return result

    def functions(self, resolver: Resolver) -> list[FunctionSpec]:
        """Every enabled zip-packaged function with Globals merged in, intrinsics resolved."""
        globals_ = ((self.data.get("Globals") or {}).get("Function")) or {}
        specs = []
        for name, resource in self.of_type("AWS::Serverless::Function").items():
            condition = resource.get("Condition")
            if condition and not resolver.condition(condition):
                continue
            specs.append(self._function(name, resource.get("Properties") or {}, globals_, resolver))
        return specs

    def _function(
        self, name: str, props: Mapping[str, Any], globals_: Mapping[str, Any], resolver: Resolver
    ) -> FunctionSpec:
        def prop(key: str, default: Any = None) -> Any:
            return resolver.resolve(props.get(key, globals_.get(key, default)))

        code_uri = prop("CodeUri")
        if not isinstance(code_uri, str):
            raise TemplateError(f"{name}: CodeUri must be a local directory, got {code_uri!r}")
        variables: dict[str, Any] = {}
        for source in (globals_, props):
            env = resolver.resolve(source.get("Environment") or {})
            variables.update(env.get("Variables") or {})
        layers = resolver.resolve(globals_.get("Layers") or []) + resolver.resolve(
            props.get("Layers") or []
        )
        events = resolver.resolve(props.get("Events") or {})
        return FunctionSpec(
            logical_id=name,
            code_dir=(self.dir / code_uri).resolve(),
            handler=str(prop("Handler")),
            environment={k: _text(v) for k, v in variables.items() if v is not None},
            memory_mb=int(prop("MemorySize", 128)),
            timeout_s=int(prop("Timeout", 3)),
            layer_dirs=tuple(self._layer_dir(name, layer) for layer in layers),
            api_events=tuple(
                ApiEvent(
                    name,
                    event,
                    _normalise_template_path(e["Properties"]["Path"]),
                    str(e["Properties"]["Method"]).upper(),
                )
                for event, e in events.items()
                if e.get("Type") == "Api"
            ),
            stream_events=tuple(
                _stream_event(name, event, e.get("Properties") or {})
                for event, e in events.items()
                if e.get("Type") == "DynamoDB"
            ),
            queue_events=tuple(
                _queue_event(name, event, e.get("Properties") or {})
                for event, e in events.items()
                if e.get("Type") == "SQS"
            ),
        )

    def _layer_dir(self, function: str, layer: Any) -> Path:
        resource = self.resources.get(layer) if isinstance(layer, str) else None
        if not resource or resource.get("Type") != "AWS::Serverless::LayerVersion":
            raise TemplateError(f"{function}: layer {layer!r} is not a local LayerVersion")
        content = (self.dir / str(resource["Properties"]["ContentUri"])).resolve()
        # A built Python layer puts packages under python/; sources may already be laid out so.
        return content / "python" if (content / "python").is_dir() else content


def _normalise_template_path(path: str) -> str:
    return "/" + str(path).strip("/")


def _stream_event(function: str, name: str, props: Mapping[str, Any]) -> StreamEvent:
    filters = (props.get("FilterCriteria") or {}).get("Filters") or []
    patterns = tuple(
        json.loads(f["Pattern"]) if isinstance(f["Pattern"], str) else f["Pattern"] for f in filters
    )
    return StreamEvent(
        function=function,
        name=name,
        stream=str(props.get("Stream")),
        batch_size=int(props.get("BatchSize", 100)),
        starting_position=str(props.get("StartingPosition", "LATEST")),
        filter_patterns=patterns,
        maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
        report_batch_item_failures="ReportBatchItemFailures"
        in (props.get("FunctionResponseTypes") or []),
        enabled=_text(props.get("Enabled", True)) == "true",
        on_failure=((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        ),
    )


def _queue_event(function: str, name: str, props: Mapping[str, Any]) -> QueueEvent:
    return QueueEvent(
        function=function,
        name=name,
        queue=str(props.get("Queue")),
        batch_size=int(props.get("BatchSize", 10)),
        report_batch_item_failures="ReportBatchItemFailures"
        in (props.get("FunctionResponseTypes") or []),
        enabled=_text(props.get("Enabled", True)) == "true",
    )
