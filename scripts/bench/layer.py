"""The built layer (`make bench`, `--layer-only`): its unpacked size, and cold imports with and
without the AWS SDK inside it.

The layer is built as `sam build` builds it (layers/common/Makefile, from the hashed lock, for
the functions' platform), into a temporary folder: that needs the package index (or pip's cache).
The run fails when the unpacked layer is over `LIMIT_BYTES`.

The decision it documents: the layer leaves out boto3, botocore, s3transfer and their
dependencies, which the Lambda runtime ships. To show what that costs or saves at cold start,
the same layer with those packages added (the versions of this environment, compiled the same
way) is timed beside it, each function importing as Lambda imports it: the layer's python/ folder
on `sys.path` ahead of the rest (here the virtual environment stands in for the runtime's own
packages under /var/runtime).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from scripts.bench.imports import FLOOR, LAYER, ImportResults, ImportTime, measure_imports

LIMIT_BYTES = 12_000_000
# What the runtime ships and the layer's build leaves out, added back for the comparison.
SDK = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six")
# The functions timed both ways: an API function and the one that also imports requests.
TIMED = ("badges", "webhook_sender")
RUNS = 7


@dataclass(frozen=True)
class LayerSize:
    total_bytes: int
    files: int
    largest: tuple[tuple[str, int], ...]  # top-level entries of python/, largest first


@dataclass(frozen=True)
class LayerResults:
    size: LayerSize
    sdk_size: LayerSize
    without_sdk: ImportResults
    with_sdk: ImportResults

    @property
    def over_limit(self) -> bool:
        return self.size.total_bytes > LIMIT_BYTES


def build(artifacts: Path) -> Path:
    """Builds the layer into `artifacts` and returns its python/ folder."""
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(LAYER),
            "build-CommonLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
        capture_output=True,
    )
    return artifacts / "python"


def measure_size(python: Path) -> LayerSize:
    sizes: dict[str, int] = {}
    files = 0
    for path in python.rglob("*"):
        if path.is_file() and not path.is_symlink():
            files += 1
            top = path.relative_to(python).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    largest = tuple(sorted(sizes.items(), key=lambda item: -item[1])[:8])
    return LayerSize(sum(sizes.values()), files, largest)


def add_sdk(python: Path, destination: Path) -> Path:
    """A copy of the built layer with the runtime's SDK packages in it, compiled alike."""
    shutil.copytree(python, destination)
    pins = [f"{name}=={metadata.version(name)}" for name in SDK]
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *("--no-deps", "--no-compile", "--only-binary=:all:", "--target", str(destination)),
            *pins,
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *(sys.executable, "-m", "compileall", "-q", "-j", "0"),
            *("--invalidation-mode", "unchecked-hash", str(destination)),
        ],
        check=True,
        capture_output=True,
    )
    return destination


def measure_layer(runs: int = RUNS) -> LayerResults:
    with tempfile.TemporaryDirectory(prefix="bench-layer-") as folder:
        python = build(Path(folder) / "artifacts")
        with_sdk = add_sdk(python, Path(folder) / "with-sdk")
        return LayerResults(
            size=measure_size(python),
            sdk_size=measure_size(with_sdk),
            without_sdk=measure_imports(runs, TIMED, layer=python),
            with_sdk=measure_imports(runs, TIMED, layer=with_sdk),
        )


def _mb(count: int) -> str:
    return f"{count / 1_000_000:.2f}"


def _median(results: ImportResults, name: str) -> float:
    found: ImportTime = results.floor
    for result in results.functions:
        if result.name == name:
            found = result
    return found.median_ms


def layer_section(results: LayerResults) -> str:
    size = results.size
    verdict = "" if not results.over_limit else f" (over the {_mb(LIMIT_BYTES)} MB limit)"
    largest = ", ".join(f"`{name}` {_mb(count)}" for name, count in size.largest)
    rows = []
    for name in (FLOOR, *TIMED):
        label = "floor" if name == FLOOR else f"`{name}`"
        without, with_ = _median(results.without_sdk, name), _median(results.with_sdk, name)
        rows.append(f"| {label} | {without:.0f} | {with_:.0f} |")
    imports = "\n".join(
        [
            "| Import | Median ms, SDK from the runtime | Median ms, SDK in the layer |",
            "|---|---:|---:|",
            *rows,
        ]
    )
    sdk_total = _mb(results.sdk_size.total_bytes)
    return "\n".join(
        [
            "## The layer",
            "",
            "Built as `sam build` builds it (layers/common/Makefile: the hashed lock, arm64",
            "wheels, bytecode; boto3, botocore, s3transfer and their dependencies left to the",
            "runtime). The run fails above the limit.",
            "",
            f"- Unpacked: **{_mb(size.total_bytes)} MB** in {size.files} files{verdict}; "
            f"limit {_mb(LIMIT_BYTES)} MB.",
            f"- Largest parts (MB): {largest}.",
            f"- With the SDK packages in the layer instead: {sdk_total} MB.",
            "",
            "Cold import with the SDK taken from the runtime (this layer) or shipped in it "
            f"(median of {RUNS} fresh interpreters each, in rounds, bytecode cached):",
            "",
            imports,
            "",
        ]
    )
