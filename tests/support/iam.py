"""Reading the IAM statements of the SAM template's roles in template tests."""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """A policy field that may be one value or a list, as a list."""
    return value if isinstance(value, list) else [value]


def inline_grants(role: dict[str, Any]) -> dict[str, list[Any]]:
    """Every action of a role's inline policies with the resources granted for it. Every
    statement must be an unconditional Allow (what least privilege means here)."""
    granted: dict[str, list[Any]] = {}
    for policy in role["Policies"]:
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            assert statement["Effect"] == "Allow"
            assert "Condition" not in statement
            for action in as_list(statement["Action"]):
                granted.setdefault(action, []).extend(as_list(statement["Resource"]))
    return granted
