"""The lock files match pyproject.toml, and a dependency changed without `make lock` is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/lockfile.py", "check"], cwd=folder, capture_output=True, text=True
    )


def test_the_committed_lock_files_match_pyproject():
    result = _check(ROOT)
    assert result.returncode == 0, result.stderr


def test_every_locked_requirement_is_pinned_with_a_hash():
    for name in ("requirements.lock", "requirements-runtime.lock"):
        text = (ROOT / name).read_text()
        pins = [line for line in text.splitlines() if "==" in line and not line.startswith("#")]
        assert pins and all(line.rstrip(" \\").count("==") == 1 for line in pins)
        assert text.count("--hash=sha256:") >= len(pins)
    assert "pyotp==" in (ROOT / "requirements-runtime.lock").read_text()
    assert "pytest==" not in (ROOT / "requirements-runtime.lock").read_text()  # the image has no test tools


def test_a_dependency_changed_without_make_lock_fails_saying_how_to_update(tmp_path):
    for name in ("pyproject.toml", "requirements.lock", "requirements-runtime.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "lockfile.py", tmp_path / "scripts" / "lockfile.py")
    pyproject = tmp_path / "pyproject.toml"
    assert _check(tmp_path).returncode == 0
    # Text outside the dependency lists may change freely.
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.1.1"'))
    assert _check(tmp_path).returncode == 0
    pyproject.write_text(
        pyproject.read_text().replace('"pyotp>=2.9,<3",', '"pyotp>=2.9,<3",\n    "requests>=2",')
    )
    result = _check(tmp_path)
    assert result.returncode == 1
    assert "no longer match the dependencies in pyproject.toml" in result.stderr
    assert "make lock" in result.stderr
