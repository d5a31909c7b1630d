"""The lock files: write them from pyproject.toml, or check they still match it.

    python3 scripts/lockfile.py check   # exit 1, saying how to update, when pyproject changed
    python3 scripts/lockfile.py write   # `make lock`: resolve again with uv and record the fingerprint

`requirements.lock` holds every package `make run` and `make test` install (runtime, the dev
extra and the build backend), `requirements-runtime.lock` what the container installs; both
pin exact versions with their hashes for `pip install --require-hashes`. Each starts with a
fingerprint of pyproject's dependency lists, so a dependency changed without a new lock is
caught before anything is installed. Standard library only: it runs before the venv exists.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
PYTHON_VERSION = "3.11"
# name -> the pyproject extras it includes
LOCKS = {"requirements.lock": ("dev",), "requirements-runtime.lock": ()}
MARK = "# pyproject-fingerprint: "
HOW_TO_UPDATE = (
    "run `make lock` (it needs uv: `.venv/bin/pip install uv`, or uv on your PATH) "
    "and commit the lock files with pyproject.toml"
)


def fingerprint() -> str:
    """A hash of what pyproject.toml asks to install; the rest of the file may change freely."""
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    project = data.get("project", {})
    wanted = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-system": data.get("build-system", {}).get("requires", []),
    }
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def recorded(lock: Path) -> str:
    if not lock.exists():
        return ""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(MARK):
            return line[len(MARK) :].strip()
    return ""


def check() -> int:
    current = fingerprint()
    stale = [name for name in LOCKS if recorded(ROOT / name) != current]
    if stale:
        print(
            f"{', '.join(stale)} no longer match the dependencies in pyproject.toml: {HOW_TO_UPDATE}.",
            file=sys.stderr,
        )
        return 1
    return 0


def _uv() -> str:
    venv_uv = ROOT / ".venv" / "bin" / "uv"
    found = str(venv_uv) if venv_uv.exists() else shutil.which("uv")
    if not found:
        sys.exit("make lock needs uv: `.venv/bin/pip install uv` (or install uv on your PATH)")
    return found


def write() -> int:
    build_requires = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["build-system"]["requires"]
    stamp = fingerprint()
    for name, extras in LOCKS.items():
        command = [_uv(), "pip", "compile", "--quiet", "--generate-hashes", "--no-header"]
        command += ["--python-version", PYTHON_VERSION, "--python-platform", "linux"]
        for extra in extras:
            command += ["--extra", extra]
        # The build backend is locked too, so `pip install --no-build-isolation -e .` needs no
        # unpinned download; it is read from standard input beside pyproject.toml.
        command += ["pyproject.toml", "-"]
        resolved = subprocess.run(
            command, cwd=ROOT, input="\n".join(build_requires), capture_output=True, text=True
        )
        if resolved.returncode != 0:
            sys.stderr.write(resolved.stderr)
            return resolved.returncode
        header = (
            f"# Exact versions and hashes of what `pip install --require-hashes` may install"
            f" (Python {PYTHON_VERSION}, Linux).\n"
            f"# Written by `make lock` (scripts/lockfile.py) from pyproject.toml"
            f"{' with the extras ' + ', '.join(extras) if extras else ''}; do not edit by hand.\n"
            f"{MARK}{stamp}\n"
        )
        (ROOT / name).write_text(header + resolved.stdout, encoding="utf-8")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "check"
    if action not in ("check", "write"):
        sys.exit("usage: lockfile.py check|write")
    sys.exit(check() if action == "check" else write())
