"""The hashed lock files match their requirement files (scripts/lock.py; `make lock` writes them).

Offline: each lock records the SHA-256 of its inputs, pins every direct requirement inside its
specifier, and carries hashes on every pin. The set-up (`make venv`, the SAM venv, the layer's
build) installs only from these files, with pip's hash checking.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from scripts import lock as locks

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lock", locks.LOCKS, ids=lambda lock: lock.output)
def test_each_lock_matches_its_requirement_file(lock: locks.Lock) -> None:
    assert locks.problems(lock) == []


def test_the_set_up_installs_from_the_locks_only() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert "--require-hashes -r requirements-sam.lock" in makefile
    assert "--require-hashes -r requirements-validator.lock" in makefile
    # `make test` (so .ci/run) builds the validator's environment first.
    assert re.search(r"^test: .*\$\(OB_STAMP\)", makefile, re.MULTILINE)
    layer = (ROOT / "layers" / "common" / "Makefile").read_text()
    assert "--require-hashes --requirement requirements.lock" in layer
    assert "requirements.txt" not in layer.split("build-CommonLayer:", 1)[1]


def test_the_layer_lock_is_for_the_functions_platform() -> None:
    (layer,) = [lock for lock in locks.LOCKS if lock.output.startswith("layers/")]
    assert layer.target == ("--python-platform", "aarch64-manylinux_2_17")
    assert locks.PYTHON_VERSION == "3.13"  # infra/template.yaml: Runtime python3.13


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the layer's requirement file and lock, to break."""
    folder = tmp_path / "layers" / "common"
    folder.mkdir(parents=True)
    for name in ("requirements.txt", "requirements.lock"):
        shutil.copy(ROOT / "layers" / "common" / name, folder / name)
    return tmp_path


LAYER = locks.LOCKS[2]


def test_a_changed_requirement_file_is_reported(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locks, "ROOT", copy)
    assert locks.problems(LAYER, copy) == []
    requirements = copy / LAYER.source
    requirements.write_text(requirements.read_text() + "pyjwt>=2.9\n")
    assert locks.problems(LAYER, copy) == [
        f"{LAYER.output}: {LAYER.source} (or a file it includes) changed since the lock",
        f"{LAYER.output}: pyjwt is not pinned",
    ]


def test_a_pin_outside_its_specifier_and_a_pin_without_hashes_are_reported(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locks, "ROOT", copy)
    output = copy / LAYER.output
    text = output.read_text()
    pinned = next(line for line in text.splitlines() if line.startswith("requests=="))
    text = text.replace(pinned, "requests==2.0.0 \\")
    text += "extra-package==1.0\n"
    output.write_text(text)
    assert locks.problems(LAYER, copy) == [
        f"{LAYER.output}: requests==2.0.0 is outside requests<3,>=2.32.2",
        f"{LAYER.output}: extra-package==1.0 has no hashes",
    ]


def test_a_missing_lock_is_reported(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locks, "ROOT", copy)
    (copy / LAYER.output).unlink()
    assert locks.problems(LAYER, copy) == [f"{LAYER.output}: missing (run `make lock`)"]
