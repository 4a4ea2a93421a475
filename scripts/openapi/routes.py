"""The API's method/path pairs as the template and the functions declare them.

- `template_routes`: the template's `Type: Api` events (`infra/template.yaml`), paths in
  API Gateway's `{name}` form. A path served by a function that routes itself only has an
  `ANY` event (its methods come from the function); the catch-all `/{proxy+}` is not a route.
- `function_routes`: the routes each function's Powertools `Router`s register, read by including
  them in a recording resolver (the functions are imported as the local stack imports them)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.template import Resolver, Template

if TYPE_CHECKING:
    from local.functions import LocalFunction

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
CATCH_ALL = "/{proxy+}"

Route = tuple[str, str]  # (METHOD, /path/{param})


@dataclass(frozen=True)
class TemplateRoutes:
    explicit: frozenset[Route]  # events with a method
    any_paths: frozenset[str]  # paths with an `ANY` event

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(path for _, path in self.explicit) | self.any_paths


def template_routes(template_path: Path = TEMPLATE) -> TemplateRoutes:
    template = Template(template_path)
    resolver = Resolver(template.data, refs={"Table": "openapi"})
    explicit: set[Route] = set()
    any_paths: set[str] = set()
    for spec in template.functions(resolver):
        for event in spec.api_events:
            if event.path == CATCH_ALL:
                continue
            if event.method == "ANY":
                any_paths.add(event.path)
            else:
                explicit.add((event.method, event.path))
    return TemplateRoutes(frozenset(explicit), frozenset(any_paths))


_RULE_PARAM = re.compile(r"<(\w+)>")


def gateway_path(rule: str) -> str:
    """A Powertools rule (`/systems/<systemSlug>`) in API Gateway's form
    (`/systems/{systemSlug}`)."""
    return "/" + _RULE_PARAM.sub(r"{\1}", rule).strip("/") if rule != "/" else "/"


def function_routes(template_path: Path = TEMPLATE) -> dict[str, frozenset[Route]]:
    """Each API function's registered routes, by logical id (imports every function: call it
    with the offline environment set, as tests do)."""
    from local.functions import load_functions

    template = Template(template_path)
    resolver = Resolver(template.data, refs={"Table": "openapi"})
    specs = [spec for spec in template.functions(resolver) if spec.api_events]
    return routes_of(load_functions(specs))


def routes_of(functions: Mapping[str, LocalFunction]) -> dict[str, frozenset[Route]]:
    """The routes the `Router`s of each loaded function module register."""
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Router

    class Recorder(APIGatewayRestResolver):
        def __init__(self) -> None:
            super().__init__()
            self.seen: set[Route] = set()

        def route(self, rule: str, method: Any, *args: Any, **kwargs: Any) -> Any:
            methods: Iterable[str] = [method] if isinstance(method, str) else method
            for name in methods:
                self.seen.add((name.upper(), gateway_path(rule)))
            return super().route(rule, method, *args, **kwargs)

    result: dict[str, frozenset[Route]] = {}
    for name, function in functions.items():
        recorder = Recorder()
        for value in vars(function.module).values():
            if isinstance(value, Router):
                recorder.include_router(value)
        result[name] = frozenset(recorder.seen)
    return result
