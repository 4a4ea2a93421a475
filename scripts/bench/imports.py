"""Cold import of every function against the import floor (`make bench`, `--imports-only`).

The floor is what any Powertools REST function on Lambda imports before its own code: boto3,
Powertools' REST resolver and Logger, and PyJWT. Each function (`functions/<group>/app.py`,
imported as Lambda imports it: the layer and the function's directory on sys.path) must import
in at most `LIMIT` times the floor; the run fails otherwise.

How: each figure is the median of `RUNS` fresh interpreters, each timing its own import with
`time.perf_counter()` (interpreter start-up excluded). The interpreters of one round run one
after the other, floor first, every target once per round, so a change of machine load during
the run weighs on every target alike. The environment is the deployed default (in Lambda,
tracing off: `badgekit.tracing` imports no X-Ray SDK). Bytecode is written to, and read from,
a private cache directory after one untimed run per target, as the built layer ships its
bytecode (layers/common/Makefile): compiling sources is not what a cold start pays.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "common"
FUNCTIONS = ROOT / "functions"
RUNS = 7
LIMIT = 1.2
FLOOR = "floor"

FLOOR_IMPORTS = """\
import boto3
import jwt
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
"""

FUNCTION_IMPORT = """\
import importlib.util
sys.path.insert(0, {directory!r})
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
"""

CHILD = """\
import sys
import time
started = time.perf_counter()
{body}
print((time.perf_counter() - started) * 1000)
"""


@dataclass(frozen=True)
class ImportTime:
    name: str  # "floor" or the function's directory name
    samples_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)


@dataclass(frozen=True)
class ImportResults:
    floor: ImportTime
    functions: tuple[ImportTime, ...]

    def ratio(self, result: ImportTime) -> float:
        return result.median_ms / self.floor.median_ms

    @property
    def over_limit(self) -> list[str]:
        return [result.name for result in self.functions if self.ratio(result) > LIMIT]


def function_names() -> list[str]:
    return sorted(path.parent.name for path in FUNCTIONS.glob("*/app.py"))


def child_code(name: str) -> str:
    if name == FLOOR:
        return CHILD.format(body=FLOOR_IMPORTS)
    directory = FUNCTIONS / name
    body = FUNCTION_IMPORT.format(directory=str(directory), path=str(directory / "app.py"))
    return CHILD.format(body=body)


def child_environment(cache: str, layer: Path = LAYER) -> dict[str, str]:
    """`layer`: the folder on `sys.path` as /opt/python is in Lambda (the sources by default, or
    a built layer's python/ folder)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(
        PYTHONPATH=str(layer),
        PYTHONPYCACHEPREFIX=cache,
        # The template's defaults: in Lambda, SDK tracing off.
        LAMBDA_TASK_ROOT=str(ROOT),
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_SERVICE_NAME="badgekit-api",
        TABLE_NAME="badgekit-imports",
        IMAGES_BUCKET="badgekit-imports",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    return env


def run_child(code: str, env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"import failed:\n{code}\n{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


def measure_imports(
    runs: int = RUNS, names: Sequence[str] | None = None, layer: Path = LAYER
) -> ImportResults:
    targets = [FLOOR, *(names or function_names())]
    codes = {name: child_code(name) for name in targets}
    samples: dict[str, list[float]] = {name: [] for name in targets}
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = child_environment(cache, layer)
        for name in targets:  # untimed: writes the bytecode
            run_child(codes[name], env)
        for _ in range(runs):
            for name in targets:
                samples[name].append(run_child(codes[name], env))
    results = {name: ImportTime(name, tuple(values)) for name, values in samples.items()}
    return ImportResults(results[FLOOR], tuple(results[name] for name in targets[1:]))


IMPORT_NOTES = f"""\
Each function's cold import (`functions/<group>/app.py` with the layer on `sys.path`, as Lambda
imports it) against the floor: a fresh interpreter importing boto3, Powertools'
`APIGatewayRestResolver` and `Logger`, and PyJWT (`jwt`), which any such function imports
before its own code. Median of fresh interpreters, each timing its own imports
(`time.perf_counter()`, interpreter start-up excluded), run in rounds (every target once per
round) so that load changes weigh on all alike; bytecode cached as in the built layer; the
deployed default environment (`LAMBDA_TASK_ROOT` set, `POWERTOOLS_TRACE_DISABLED=true`: no X-Ray
SDK; with tracing on, the SDK and the Tracer would add about 30 ms in Lambda, over 100 ms
elsewhere). The run fails if a function takes more than {LIMIT}x the floor.
"""


def imports_section(results: ImportResults) -> str:
    floor = results.floor
    rows = [f"| floor | {floor.median_ms:.0f} | 1.00 | {len(floor.samples_ms)} |"]
    for result in results.functions:
        ratio = results.ratio(result)
        verdict = "" if ratio <= LIMIT else f" (over {LIMIT}x)"
        rows.append(
            f"| `{result.name}` | {result.median_ms:.0f} | {ratio:.2f}{verdict} "
            f"| {len(result.samples_ms)} |"
        )
    table = "\n".join(["| Import | Median (ms) | x floor | Runs |", "|---|---:|---:|---:|", *rows])
    return "\n".join(["## Cold import of each function", "", IMPORT_NOTES, table, ""])
