"""Hashed lock files from the requirement files (`make lock`), and the offline check that they
still match (`python -m scripts.lock --check`, and tests/unit/domain/test_locks.py).

Three locks, each installed with pip's hash checking (every line pinned and hashed):

- `requirements-dev.lock` from `requirements-dev.txt` (the `.venv` of `make dev` / `make test`);
- `requirements-sam.lock` from `requirements-sam.txt` (the SAM CLI's own `.venv-sam`);
- `layers/common/requirements.lock` from `layers/common/requirements.txt` (the Lambda layer,
  resolved for the functions' runtime: Python 3.13 on arm64 Linux);
- `requirements-validator.lock` from `requirements-validator.txt` (the 1EdTech Open Badges
  validator's `.venv-ob`, resolved for Python 3.8, the newest it runs on).

Writing a lock needs the package index (it runs `uv pip compile`); checking one does not. Each
lock records the SHA-256 of its inputs (the requirement file and the files it includes with
`-r`): the check fails when an input changed since the lock was written, or when a direct
requirement's pin in the lock does not satisfy its specifier.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
DIGEST_PREFIX = "# inputs-sha256: "
PYTHON_VERSION = "3.13"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True)
class Lock:
    source: str  # requirement file, relative to the root
    output: str  # lock file, relative to the root
    target: tuple[str, ...]  # how to resolve: for every platform, or for the Lambda runtime
    python: str = PYTHON_VERSION  # the Python version resolved for


LOCKS = (
    Lock("requirements-dev.txt", "requirements-dev.lock", ("--universal",)),
    Lock("requirements-sam.txt", "requirements-sam.lock", ("--universal",)),
    Lock(
        "layers/common/requirements.txt",
        "layers/common/requirements.lock",
        ("--python-platform", "aarch64-manylinux_2_17"),
    ),
    Lock("requirements-validator.txt", "requirements-validator.lock", (), python="3.8"),
)


def inputs(source: Path) -> list[Path]:
    """The requirement file and, depth first, every file it includes with `-r`."""
    found = [source]
    for line in source.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) == 2 and words[0] in {"-r", "--requirement"}:
            found += inputs((source.parent / words[1]).resolve())
    return found


def digest(source: Path) -> str:
    sha = hashlib.sha256()
    for path in inputs(source):
        sha.update(path.resolve().relative_to(ROOT).as_posix().encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()


def requirements(source: Path) -> list[Requirement]:
    """The direct requirements of a file and of the files it includes."""
    found: list[Requirement] = []
    for path in inputs(source):
        for line in path.read_text().splitlines():
            text = line.split("#", 1)[0].strip()
            if text and not text.startswith("-"):
                found.append(Requirement(text))
    return found


def pins(lock: Path) -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in lock.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            found[canonicalize_name(match[1])] = Version(match[2])
    return found


def problems(lock: Lock, root: Path = ROOT) -> list[str]:
    """Why `lock` no longer matches its requirement file (empty: it matches)."""
    source, output = root / lock.source, root / lock.output
    if not output.exists():
        return [f"{lock.output}: missing (run `make lock`)"]
    text = output.read_text()
    found: list[str] = []
    if f"{DIGEST_PREFIX}{digest(source)}\n" not in text:
        found.append(f"{lock.output}: {lock.source} (or a file it includes) changed since the lock")
    pinned = pins(output)
    for requirement in requirements(source):
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            found.append(f"{lock.output}: {requirement.name} is not pinned")
        elif not requirement.specifier.contains(pinned[name], prereleases=True):
            found.append(f"{lock.output}: {name}=={pinned[name]} is outside {requirement}")
    for line in text.splitlines():
        if _PIN.match(line) and not line.rstrip().endswith("\\"):
            found.append(f"{lock.output}: {line.split()[0]} has no hashes")
    return found


def write(lock: Lock) -> None:
    source, output = ROOT / lock.source, ROOT / lock.output
    subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "compile",
            "--quiet",
            "--generate-hashes",
            "--python-version",
            lock.python,
            *lock.target,
            "--custom-compile-command",
            "make lock",
            "--output-file",
            str(output),
            str(source),
        ],
        check=True,
        cwd=ROOT,
    )
    body = output.read_text()
    output.write_text(f"{DIGEST_PREFIX}{digest(source)}\n{body}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.lock", description=__doc__)
    parser.add_argument("--check", action="store_true", help="verify, offline; write nothing")
    args = parser.parse_args(argv)
    if args.check:
        found = [problem for lock in LOCKS for problem in problems(lock)]
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    for lock in LOCKS:
        write(lock)
        print(f"wrote {lock.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
