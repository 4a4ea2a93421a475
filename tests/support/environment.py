"""Which environment variables each function of the template can read, found in its sources.

Why: `sam local start-api --env-vars` (and Lambda's console) can only set variables the template
declares for a function, so every variable the code reads must be declared for every function
that can read it. "Can read" is decided statically: the modules a function's code directory
imports, followed through its layers (`import`/`from ... import` anywhere in a module, including
inside functions), and in each module every `os.environ[...]`, `os.environ.get(...)`,
`os.environ.setdefault(...)`, `"X" in os.environ` and `os.getenv(...)` (also through
`from os import environ, getenv`). A name that is not a string literal or a module-level string
constant, or any other use of `os.environ`, is reported as unresolved rather than guessed.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from local.template import FunctionSpec, Resolver, Template

_ENVIRON_METHODS = ("get", "setdefault")


@dataclass
class Reads:
    """Variables read by some sources: name -> files; unresolved accesses as `file:line: code`."""

    names: dict[str, set[str]] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    imports_powertools: bool = False

    def add(self, other: Reads) -> None:
        for name, files in other.names.items():
            self.names.setdefault(name, set()).update(files)
        self.unresolved.extend(other.unresolved)
        self.imports_powertools |= other.imports_powertools


class _Visitor(ast.NodeVisitor):
    def __init__(self, source: str, label: str, constants: Mapping[str, str]) -> None:
        self.source = source
        self.label = label
        self.constants = constants
        self.reads = Reads()
        self.environ_names = {"os.environ"}
        self.getenv_names = {"os.getenv"}
        self._handled: set[int] = set()  # os.environ nodes whose use was understood

    # -- helpers --------------------------------------------------------------------------

    def _dotted(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return f"{self._dotted(node.value)}.{node.attr}"
        return ""

    def _is_environ(self, node: ast.AST) -> bool:
        return self._dotted(node) in self.environ_names

    def _name(self, node: ast.AST, at: ast.AST) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value: str | None = node.value
        elif isinstance(node, ast.Name):
            value = self.constants.get(node.id)
        else:
            value = None
        if value is None:
            self._unresolved(at)
        else:
            self.reads.names.setdefault(value, set()).add(self.label)

    def _unresolved(self, node: ast.AST) -> None:
        code = ast.get_source_segment(self.source, node) or ast.dump(node)
        self.reads.unresolved.append(f"{self.label}:{getattr(node, 'lineno', '?')}: {code}")

    # -- visits ---------------------------------------------------------------------------

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "os":
            for alias in node.names:
                if alias.name == "environ":
                    self.environ_names.add(alias.asname or alias.name)
                if alias.name == "getenv":
                    self.getenv_names.add(alias.asname or alias.name)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self._is_environ(node.value):
            self._handled.add(id(node.value))
            self._name(node.slice, node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _ENVIRON_METHODS
            and self._is_environ(func.value)
        ):
            self._handled.add(id(func.value))
            if node.args:
                self._name(node.args[0], node)
            else:
                self._unresolved(node)
        elif self._dotted(func) in self.getenv_names:
            self._handled.add(id(func))
            if node.args:
                self._name(node.args[0], node)
            else:
                self._unresolved(node)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if (
            len(node.ops) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and self._is_environ(node.comparators[0])
        ):
            self._handled.add(id(node.comparators[0]))
            self._name(node.left, node)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self._is_environ(node) and id(node) not in self._handled:
            self._unresolved(node)
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        stored = isinstance(node.ctx, ast.Store)
        if node.id in self.environ_names and id(node) not in self._handled and not stored:
            self._unresolved(node)


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` assignments."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            found[target.id] = value.value
    return found


def variables_read(source: str, label: str = "<source>", tree: ast.Module | None = None) -> Reads:
    """The environment variables one module's source reads (see the module docstring)."""
    tree = tree or ast.parse(source)
    visitor = _Visitor(source, label, _constants(tree))
    visitor.visit(tree)
    visitor.reads.imports_powertools = any(
        name.split(".")[0] == "aws_lambda_powertools" for name in imported_names(tree, "")
    )
    return visitor.reads


def imported_names(tree: ast.Module, package: str) -> set[str]:
    """Absolute names of every module a module imports (and `from m import x` as `m.x` too:
    `x` may be a submodule). `package` is the module's package, for relative imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


@functools.cache
def _module_file(roots: tuple[Path, ...], name: str) -> tuple[Path, str] | None:
    """(file, package) of module `name` under one of `roots`, or None (not project code)."""
    for root in roots:
        path = root.joinpath(*name.split("."))
        if (path / "__init__.py").is_file():
            return path / "__init__.py", name
        if path.with_suffix(".py").is_file():
            return path.with_suffix(".py"), name.rpartition(".")[0]
    return None


def function_reads(code_dir: Path, layer_dirs: Iterable[Path], repo_root: Path) -> Reads:
    """Everything the function whose code is `code_dir` can read: its own modules and every
    layer module they import, transitively (parent packages included, as Python runs them)."""
    roots = (code_dir, *layer_dirs)
    todo = [(path, "") for path in sorted(code_dir.rglob("*.py"))]
    seen: set[Path] = set()
    total = Reads()
    while todo:
        path, package = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        reads, imports = _scan(path, package, repo_root)
        total.add(reads)
        for name in imports:
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                found = _module_file(roots, ".".join(parts[:end]))
                if found is not None and found[0] not in seen:
                    todo.append(found)
    return total


@functools.cache
def _scan(path: Path, package: str, repo_root: Path) -> tuple[Reads, frozenset[str]]:
    """One module's reads and imports (cached: the functions share most layer modules)."""
    source = path.read_text(encoding="utf-8")
    label = str(path.relative_to(repo_root)) if path.is_relative_to(repo_root) else str(path)
    tree = ast.parse(source)
    return variables_read(source, label, tree), frozenset(imported_names(tree, package))


def declared(template: Template) -> dict[str, set[str]]:
    """Each function's declared variables (Globals merged), by logical id."""
    return {spec.logical_id: set(spec.environment) for spec in function_specs(template)}


def function_specs(template: Template) -> list[FunctionSpec]:
    return template.functions(Resolver(template.data))
