"""The code relies on Powertools' public API only: no private attribute of a Powertools object
is read, written, called or overridden (a private name can change in any release).

What is checked, by parsing every module of layers/, functions/, local/ and scripts/:

1. `x._name` (one leading underscore, not a dunder) is allowed only when `x` is `self`, `cls`
   or a class defined in the same module: the code cannot tell statically what `x` is, so any
   other private access (`resolver._static_routes`, `super()._process_record`,
   `module._helper`) fails, whatever its owner.
2. In a class deriving, directly or through a class of the same module, from a name imported
   from `aws_lambda_powertools`, `self._name`/`cls._name` fails unless the class itself defines
   `_name`, and defining or using a private name that Powertools' own source uses fails
   (overriding `_process_record`, reading an inherited `_routes`).
3. `getattr`/`setattr`/`hasattr`/`delattr` with a literal private name fail.

Limits: a private name built at run time (`getattr(x, "_" + name)`), private access through
an alias of `self` (`me = self; me._x`), a Powertools subclass defined in another module, and
code outside the scanned directories (tests may patch libraries) are not seen.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import aws_lambda_powertools
import pytest

ROOT = Path(__file__).resolve().parents[3]
SCANNED = ("layers", "functions", "local", "scripts")
POWERTOOLS = "aws_lambda_powertools"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@functools.cache
def powertools_private_names() -> frozenset[str]:
    """Every private attribute or function name Powertools' installed source uses."""
    names: set[str] = set()
    for path in Path(aws_lambda_powertools.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                names.add(node.attr)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _private(node.name):
                names.add(node.name)
    return frozenset(names)


def _defined_in(cls: ast.ClassDef) -> set[str]:
    """Names a class defines itself: methods, class attributes, `self.x = ...` targets."""
    names: set[str] = set()
    for node in ast.walk(cls):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return names


# Documented public functions whose names happen to start with an underscore.
PUBLIC_UNDERSCORED = frozenset({"os._exit"})
# The one private access allowed, in the local stack only (never deployed): moto keeps an SQS
# queue's delayed and in-flight messages only in `Queue._messages` (its public `messages` lists
# the visible ones), and the local stack needs them all to save queues across restarts and to
# tell an empty queue (its poller skips the receive). moto is pinned by the lock file;
# `test_the_exemptions_are_still_needed` fails once an access is gone.
EXEMPT = {
    "local/state.py": frozenset({"queue._messages"}),
    "local/dynamodb.py": frozenset({"queue._messages"}),
}


def violations(source: str, filename: str = "<source>") -> list[str]:
    """The private accesses of one module's source that the rules above forbid."""
    tree = ast.parse(source, filename)
    from_powertools: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(POWERTOOLS):
            from_powertools.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(POWERTOOLS):
                    from_powertools.add((alias.asname or alias.name).split(".")[0])
    classes = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}

    def base_names(cls: ast.ClassDef) -> set[str]:
        found: set[str] = set()
        for base in cls.bases:
            root = base
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name):
                found.add(root.id)
        return found

    @functools.cache
    def extends_powertools(name: str) -> bool:
        cls = classes[name]
        return any(
            base in from_powertools or (base in classes and extends_powertools(base))
            for base in base_names(cls)
        )

    found: list[str] = []

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and (owner.id in ("self", "cls") or owner.id in classes):
                continue
            if ast.unparse(node) in PUBLIC_UNDERSCORED:
                continue
            if ast.unparse(node) in EXEMPT.get(filename, ()):
                continue
            report(node, f"private attribute {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            report(node, f"private attribute by name {ast.unparse(node)}")

    for name, cls in classes.items():
        if not extends_powertools(name):
            continue
        own = _defined_in(cls)
        for node in ast.walk(cls):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _private(node.name):
                if node.name in powertools_private_names():
                    report(node, f"{name} overrides Powertools' private {node.name}")
            elif (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
                and (node.attr not in own or node.attr in powertools_private_names())
            ):
                report(node, f"{name} uses Powertools' private {ast.unparse(node)}")
    return found


def scanned_modules() -> list[Path]:
    return sorted(
        path
        for directory in SCANNED
        for path in (ROOT / directory).rglob("*.py")
        if ".venv" not in path.parts and "__pycache__" not in path.parts
    )


def test_the_scan_covers_the_code() -> None:
    modules = {str(path.relative_to(ROOT)) for path in scanned_modules()}
    assert "layers/common/badgekit/http/api.py" in modules
    assert "functions/webhook_sender/app.py" in modules
    assert "local/streams.py" in modules
    assert {"_static_routes", "_dynamic_routes", "_process_record"} <= powertools_private_names()


def test_the_exemptions_are_still_needed() -> None:
    for filename, names in EXEMPT.items():
        source = (ROOT / filename).read_text(encoding="utf-8")
        for name in names:
            assert f"{name}" in source, f"{filename} no longer uses {name}: drop the exemption"
            assert violations(source, "<elsewhere>") != [], "the scan must flag it elsewhere"


def test_no_private_attribute_of_powertools_objects_is_used() -> None:
    found = [
        violation
        for path in scanned_modules()
        for violation in violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        # what api.py did to build its 404/405 table
        "def of(resolver):\n    return resolver._static_routes + resolver._dynamic_routes\n",
        # what the webhook sender's processor did
        "from aws_lambda_powertools.utilities.batch import BatchProcessor\n"
        "class Concurrent(BatchProcessor):\n"
        "    def process(self):\n"
        "        return list(pool.map(self._process_record, self.records))\n",
        "from aws_lambda_powertools.utilities import batch\n"
        "class Base(batch.BatchProcessor):\n"
        "    pass\n"
        "class Quiet(Base):\n"
        "    def _process_record(self, record):\n"
        "        return record\n",
        "class R(Resolver):\n    def route(self, *a):\n        return super()._compile_regex(a)\n",
        "routes = getattr(resolver, '_static_routes')\n",
    ],
    ids=["foreign-object", "inherited-private", "private-override", "super", "getattr"],
)
def test_the_rules_catch_private_use(source: str) -> None:
    assert violations(source) != []


def test_own_private_state_is_allowed() -> None:
    source = (
        "import threading\n"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "class Pool:\n"
        "    def __init__(self):\n"
        "        self._idle = []\n"
        "    def _take(self):\n"
        "        return self._idle.pop()\n"
        "class Resolver(APIGatewayRestResolver):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self._table = []\n"
        "    def route(self, rule, method):\n"
        "        self._table.append(rule)\n"
        "        return super().route(rule, method)\n"
        "handler = Pool._take\n"
    )
    assert violations(source) == []


def test_documented_underscored_functions_are_allowed() -> None:
    assert violations("import os\nos._exit(0)\n") == []
    assert violations("import os\nos._environ\n") != []
