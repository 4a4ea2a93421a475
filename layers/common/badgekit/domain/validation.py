"""Input coercion and field validators (spec README §3.1-§3.2, §7.2)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from badgekit.errors import RequestEntityTooLarge, ValidationError

REQUIRED = "Required field"
NOT_IN_RANGE = "String is not in range"
INVALID_URL = "Invalid URL"
INVALID_EMAIL = "Invalid email"
INVALID_INTEGER = "Invalid integer"
UNEXPECTED_VALUE = "Unexpected value or invalid argument"
NOT_A_DATE = "Not a date"

# node-validator 2.0 isUrl, as described by the spec: optional http/https/ftp scheme, optional
# credentials, localhost / IPv4 / a domain with an alphabetic TLD of 2+ letters, optional port
# of 2-5 digits, optional path starting with "/" and free of whitespace. Case-insensitive; a
# host character is one of `[a-z0-9\u00a1-\uffff]` (the TLD's `[a-z\u00a1-\uffff]`) compared
# case-insensitively, which `_BMP_NON_ASCII` writes as a negated class: compiling the range
# itself (65,000 characters, each case-folded) took 30-50 ms of every cold start. The same
# characters match (tests/unit/domain/test_validation.py compares every code point).
_BMP_NON_ASCII = r"(?-i:(?![\U00010000-\U0010ffff])[^\x00-\xa0])"  # \u00a1-\uffff
_HOST_CHAR = rf"(?:[a-z0-9]|{_BMP_NON_ASCII})"
_HOST_INNER = rf"(?:[a-z0-9-]|{_BMP_NON_ASCII})"
_TLD_CHAR = rf"(?:[a-z]|{_BMP_NON_ASCII})"
_URL = re.compile(
    r"^(?!mailto:)(?:(?:https?|ftp)://)?"
    r"(?:[^\s:@/]+(?::[^\s@/]*)?@)?"
    r"(?P<host>localhost|\d{1,3}(?:\.\d{1,3}){3}|"
    rf"(?:{_HOST_CHAR}(?:{_HOST_INNER}*{_HOST_CHAR})?\.)+"
    rf"{_TLD_CHAR}{{2,}})"
    r"(?::\d{2,5})?"
    r"(?:/\S*)?$",
    re.IGNORECASE,
)
_ATOM = r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}(?:\.{_LABEL})+|\[\d{{1,3}}(?:\.\d{{1,3}}){{3}}\])$"
)
_INTEGER = re.compile(r"-?(0|[1-9][0-9]{0,18})")
# Integers are stored as DynamoDB numbers and read by JavaScript and MySQL-era clients: anything
# outside a signed 64-bit integer is refused as `Invalid integer` instead of failing the write.
INTEGER_MIN, INTEGER_MAX = -(2**63), 2**63 - 1


def is_url(value: str) -> bool:
    if len(value) >= 2083:
        return False
    match = _URL.match(value)
    if not match:
        return False
    host = match.group("host")
    if host[0].isdigit() and host.replace(".", "").isdigit():
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
    return True


MILESTONE_ID_DIGITS = 12  # the longest milestone id a path may name
WEBHOOK_ID_DIGITS = 15  # the longest webhook or delivery id a path may name


def path_id(value: str, max_digits: int) -> int | None:
    """An id in a URL path: 1 to `max_digits` ASCII digits, above 0, else None (`isdigit`
    alone accepts "²", which int() refuses)."""
    digits = value.isascii() and value.isdigit()
    return int(value) if digits and len(value) <= max_digits and int(value) > 0 else None


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


class CoercionError(ValueError):
    pass


def as_string(value: Any) -> str:
    """JSON strings as they are; numbers and booleans as their JavaScript text form."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    raise CoercionError("not a scalar")


def as_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise CoercionError(INVALID_INTEGER)
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and INTEGER_MIN <= value <= INTEGER_MAX:
        return value
    raise CoercionError(INVALID_INTEGER)


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value in _TRUE | _FALSE:
        return value in _TRUE
    raise CoercionError(UNEXPECTED_VALUE)


def detail_value(value: Any) -> Any:
    """The `value` of a detail entry: "" for absent, null, false, 0 and "" (the original's rule)."""
    if (
        value is None
        or value is False
        or value == ""
        or (value == 0 and not isinstance(value, bool))
    ):
        return ""
    return value


@dataclass(frozen=True)
class Rule:
    """One check of a string field and the message reported when it fails."""

    check: Callable[[str], bool]
    message: str


def length(low: int, high: int) -> Rule:
    return Rule(lambda text: low <= len(text) <= high, NOT_IN_RANGE)


URL = Rule(is_url, INVALID_URL)
EMAIL = Rule(is_email, INVALID_EMAIL)


def one_of(*choices: str) -> Rule:
    """Enum rule (case-sensitive)."""
    return Rule(lambda text: text in choices, UNEXPECTED_VALUE)


@dataclass(frozen=True)
class StringField:
    """A string input field: coerced, then checked rule by rule (first failure wins)."""

    name: str
    required: bool = False
    rules: tuple[Rule, ...] = ()

    def coerce(self, value: Any) -> tuple[Any, str | None]:
        try:
            text = as_string(value)
        except CoercionError:
            # An object or array where a scalar is expected fails the field's first rule.
            return None, self.rules[0].message if self.rules else NOT_IN_RANGE
        failure = next((rule for rule in self.rules if not rule.check(text)), None)
        return (None, failure.message) if failure else (text, None)


@dataclass(frozen=True)
class IntegerField:
    name: str
    required: bool = False

    def coerce(self, value: Any) -> tuple[Any, str | None]:
        try:
            return as_integer(value), None
        except CoercionError:
            return None, INVALID_INTEGER


@dataclass(frozen=True)
class BooleanField:
    name: str
    required: bool = False

    def coerce(self, value: Any) -> tuple[Any, str | None]:
        try:
            return as_boolean(value), None
        except CoercionError:
            return None, UNEXPECTED_VALUE


FieldSpec = StringField | IntegerField | BooleanField


@dataclass
class Report:
    """Collects per-field failures in field-table order; raise() when any."""

    details: list[dict[str, Any]] = field(default_factory=list)

    def add(self, name: str, message: str, value: Any = None, *, with_value: bool = True) -> None:
        entry: dict[str, Any] = {"message": message, "field": name}
        if with_value:
            entry["value"] = detail_value(value)
        self.details.append(entry)

    def raise_if_any(self) -> None:
        if self.details:
            raise ValidationError(self.details)

    def scoped(self, prefix: str) -> Report:
        """A view that names fields `<prefix><field>` (e.g. `criteria[0].required`)."""
        return _ScopedReport(self.details, prefix)


@dataclass
class _ScopedReport(Report):
    prefix: str = ""

    def add(self, name: str, message: str, value: Any = None, *, with_value: bool = True) -> None:
        super().add(self.prefix + name, message, value, with_value=with_value)


def check_fields(
    specs: tuple[FieldSpec, ...], values: Mapping[str, Any], report: Report
) -> dict[str, Any]:
    """Validate scalar fields in table order; returns the coerced values of the fields present
    (None = sent as null). Failures go to `report`, one per field."""
    cleaned: dict[str, Any] = {}
    for spec in specs:
        value = values.get(spec.name)
        if value is None:
            if spec.required:
                report.add(spec.name, REQUIRED, value)
            elif spec.name in values:
                cleaned[spec.name] = None
            continue
        coerced, failure = spec.coerce(value)
        if failure:
            report.add(spec.name, failure, value)
        else:
            cleaned[spec.name] = coerced
    return cleaned


def as_list(value: Any) -> list[Any]:
    """README §3.1: a single value where an array is expected is a one-element array."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def each_object(
    name: str, value: Any, report: Report
) -> Iterator[tuple[Mapping[str, Any], Report]]:
    """The objects of an array field (criteria, evidence, review items ...), each with the report
    scoped to `name[<n>].`; an entry that is not an object is reported as `name[<n>]`."""
    for index, raw in enumerate(as_list(value)):
        if not isinstance(raw, dict):
            report.add(f"{name}[{index}]", UNEXPECTED_VALUE, raw)
            continue
        yield raw, report.scoped(f"{name}[{index}].")


# The least one entry of these array inputs adds to its stored item (as JSON, with its comma):
# a criterion `{"id":1,"description":"","required":false,"note":""}`, an alignment with a
# one-letter name and a four-letter URL, a tag `{"id":1,"value":"x"}`, a category `"x"`, an
# evidence item (a 40-character slug and three nulls), a review item (a null, a false, a null).
ENTRY_BYTES = {
    "criteria": 50,
    "alignments": 40,
    "tags": 20,
    "categories": 4,
    "evidence": 80,
    "reviewItems": 50,
}


def bound_length(name: str, value: Any, limit: int, model: str) -> None:
    """README §3 limits: an array input with more entries than one stored item of at most
    `limit` bytes could hold is a 413 from its length alone, before its entries are validated
    and before anything is looked up or written (duplicates and empty entries count)."""
    if isinstance(value, list) and len(value) > limit // ENTRY_BYTES[name]:
        raise RequestEntityTooLarge(f"{model} exceeds the maximum stored size of {limit} bytes")
