"""API Gateway REST resource matching, for the local stack.

Why: which template route serves a request decides which function runs and which `resource` and
`pathParameters` it sees (and so whether it answers 404/405 itself), so the local stack must pick
the same route API Gateway would:

1. the request path is normalised first (README §1: `//` collapsed, trailing `/` dropped), as the
   original did before routing;
2. among the resources whose template matches, the most specific wins, compared segment by segment
   from the left: a literal segment beats a `{param}`, which beats a greedy `{param+}`;
3. on that resource, an explicit method beats `ANY`; if neither exists there is no fallback to a
   less specific resource (API Gateway answers "Missing Authentication Token" then).

Matching is done on the raw (still percent-encoded) segments: API Gateway REST hands those to the
function as they were sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

LOG = logging.getLogger("local.routing")

ANY = "ANY"
LITERAL, PARAM, GREEDY = 2, 1, 0  # segment kinds, also their precedence


def gateway_path(path: str) -> str:
    """The path routes are matched on (point 1 above): runs of `/` collapsed, a trailing `/`
    dropped (the root stays `/`), a missing leading `/` added.

    The rule of README §1, which the app applies again to the event's path
    (`badgekit.http.request.normalise_path`; a unit test checks that the two agree). Not that
    function itself: the local stack is importable without the layer, which is only on sys.path
    once the functions are loaded, after the routes are built (`local.inprocess.gateway`)."""
    collapsed = re.sub(r"/{2,}", "/", "/" + path)
    if len(collapsed) > 1 and collapsed.endswith("/"):
        collapsed = collapsed[:-1]
    return collapsed


def split_path(path: str) -> tuple[str, ...]:
    """Segments of a normalised path; the root has none."""
    return tuple(path.strip("/").split("/")) if path.strip("/") else ()


@dataclass(frozen=True)
class Resource:
    """A resource path template such as `/systems/{systemSlug}` or `/{proxy+}`."""

    template: str
    parts: tuple[tuple[int, str], ...]

    @classmethod
    def parse(cls, template: str) -> Resource:
        parts: list[tuple[int, str]] = []
        segments = split_path(gateway_path(template))
        for index, segment in enumerate(segments):
            if segment.startswith("{") and segment.endswith("+}"):
                if index != len(segments) - 1:
                    raise ValueError(f"{template}: a greedy parameter must be the last segment")
                parts.append((GREEDY, segment[1:-2]))
            elif segment.startswith("{") and segment.endswith("}"):
                parts.append((PARAM, segment[1:-1]))
            else:
                parts.append((LITERAL, segment))
        return cls(template=gateway_path(template), parts=tuple(parts))

    @property
    def rank(self) -> tuple[int, ...]:
        """Precedence key: compare kinds segment by segment; higher is more specific."""
        return tuple(kind for kind, _ in self.parts)

    def match(self, segments: tuple[str, ...]) -> dict[str, str] | None:
        """Path parameters (raw segments) if `segments` fits this template, else None."""
        params: dict[str, str] = {}
        greedy = bool(self.parts) and self.parts[-1][0] == GREEDY
        if len(segments) < len(self.parts) or (not greedy and len(segments) != len(self.parts)):
            return None
        for index, (kind, text) in enumerate(self.parts):
            if kind == LITERAL and segments[index] != text:
                return None
            if kind == PARAM:
                params[text] = segments[index]
            if kind == GREEDY:
                params[text] = "/".join(segments[index:])
        return params


@dataclass(frozen=True)
class Match:
    """The route chosen for a request."""

    resource: str
    method: str  # the route's method as declared: an HTTP method or ANY
    function: str
    path_parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    function: str


class Router:
    """All routes of the template, matched like API Gateway REST (see module docstring)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._resources: dict[str, Resource] = {}
        self._methods: dict[str, dict[str, str]] = {}
        self._by_length: dict[int, tuple[Resource, ...]] = {}
        for route in routes:
            resource = Resource.parse(route.path)
            self._resources.setdefault(resource.template, resource)
            methods = self._methods.setdefault(resource.template, {})
            method = route.method.upper()
            if method in methods and methods[method] != route.function:
                LOG.warning(
                    "%s %s is declared by %s and %s; using %s",
                    method,
                    resource.template,
                    methods[method],
                    route.function,
                    methods[method],
                )
                continue
            methods.setdefault(method, route.function)

    def _candidates(self, length: int) -> tuple[Resource, ...]:
        """The resources a path of `length` segments may match, in declaration order: those
        of that many segments, and greedy ones of at most that many (computed once a length)."""
        found = self._by_length.get(length)
        if found is None:
            found = tuple(
                resource
                for resource in self._resources.values()
                if len(resource.parts) == length
                or (
                    resource.parts
                    and resource.parts[-1][0] == GREEDY
                    and len(resource.parts) <= length
                )
            )
            self._by_length[length] = found
        return found

    def __len__(self) -> int:
        return sum(len(methods) for methods in self._methods.values())

    def match(self, method: str, path: str) -> Match | None:
        """The route for `method` on a normalised `path`, or None (API Gateway's 404/403)."""
        segments = split_path(path)
        best: tuple[Resource, dict[str, str]] | None = None
        for resource in self._candidates(len(segments)):
            params = resource.match(segments)
            if params is not None and (best is None or resource.rank > best[0].rank):
                best = (resource, params)
        if best is None:
            return None
        resource, params = best
        methods = self._methods[resource.template]
        declared = method.upper() if method.upper() in methods else ANY
        if declared not in methods:
            return None
        return Match(resource.template, declared, methods[declared], params)
