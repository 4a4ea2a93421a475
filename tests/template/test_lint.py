"""cfn-lint must report nothing for infra/template.yaml (same result as `cfn-lint <file>`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file
from cfnlint.decode import decode_str

pytestmark = pytest.mark.template


def _describe(matches: list[Any]) -> str:
    return "\n".join(f"{m.rule.id} {m.message} ({m.filename}:{m.linenumber})" for m in matches)


def test_template_lints_clean(template_path: Path) -> None:
    matches = lint_file(template_path)
    assert matches == [], _describe(matches)


def test_linter_does_report_a_broken_copy(template_text: str, tmp_path: Path) -> None:
    # Guards the test above against a linter that silently checks nothing.
    assert "BillingMode: PAY_PER_REQUEST" in template_text
    broken = tmp_path / "template.yaml"
    broken.write_text(
        template_text.replace("BillingMode: PAY_PER_REQUEST", "BillingMode: PAY_AS_YOU_GO"),
        encoding="utf-8",
    )
    matches = lint_file(broken)
    assert any("PAY_AS_YOU_GO" in m.message for m in matches), _describe(matches)


def test_yaml_loader_agrees_with_cfn_lint_decoder(
    template_text: str, cfn_yaml: Callable[[str], dict[str, Any]]
) -> None:
    decoded, errors = decode_str(template_text)
    assert not errors
    assert json.loads(json.dumps(decoded)) == cfn_yaml(template_text)
