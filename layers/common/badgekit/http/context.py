"""The per-request context: the decoded request a handler reads through `current()`."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from badgekit import config
from badgekit.domain.inputs import Body
from badgekit.errors import ApiError, NotAuthorized
from badgekit.http import auth
from badgekit.http.pagination import parse_page
from badgekit.store.db import Page


@dataclass
class ApiRequest:
    """What a handler needs from the event, decoded once."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes
    body: Body = field(default_factory=Body)
    principal: auth.Principal | None = None
    memo: dict[Any, Any] = field(default_factory=dict)  # request-scoped lookups (e.g. systems)
    route: str | None = None  # the API's resource ("/systems/{systemSlug}/badges"), for logs
    failure: str | None = None  # why a 403 or a 5xx was answered, for the request's log line
    body_error: ApiError | None = None  # a body that could not be decoded (answered 400)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def first(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def fields(self) -> dict[str, Any]:
        return self.body.fields

    @property
    def base_url(self) -> str:
        return config.public_base_url(self.header("host"))

    def page(self) -> Page | None:
        """The request's pagination (None when inactive)."""
        return parse_page(self.first("page"), self.first("count"))

    def require_master(self) -> None:
        if self.principal is not None and not self.principal.is_master:
            raise NotAuthorized("This route requires the master key")


_current: contextvars.ContextVar[ApiRequest] = contextvars.ContextVar("badgekit_request")


def current() -> ApiRequest:
    return _current.get()


def enter(request: ApiRequest) -> contextvars.Token[ApiRequest]:
    """Make `request` the one `current()` returns until `leave`."""
    return _current.set(request)


def leave(token: contextvars.Token[ApiRequest]) -> None:
    _current.reset(token)


def param(value: str) -> str:
    """Decode a path parameter (REST APIs deliver them percent-encoded)."""
    return unquote(value)
