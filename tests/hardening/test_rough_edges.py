"""Issue 11, defect 9: the rough edges a newcomer hits first."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.core.config import PROJECT_ROOT, get_settings
from app.evidence import importing


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings read again from the environment this test sets, and again after it."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_demo_seed_hint_uses_host_and_port(db, monkeypatch, fresh_settings) -> None:  # type: ignore[no-untyped-def]
    from app.cli import cli

    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("HOST", "0.0.0.0")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:9123/sign-in" in result.output
    assert ":8000" not in result.output


def test_the_readme_documents_host_and_port() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = [line for line in readme.splitlines() if line.startswith("| `")]
    assert any(line.startswith("| `HOST` |") for line in table)
    assert any(line.startswith("| `PORT` |") for line in table)


def test_a_missing_secret_key_in_production_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env["ENVIRONMENT"] = "production"
    result = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "db", "upgrade"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "SECRET_KEY" in lines[0] and "production" in lines[0]


def _fake_tools(folder: Path, *, has_ensurepip: bool) -> dict[str, str]:
    """A PATH where python3 lacks (or has) ensurepip, every other package is installed, and
    nothing can be installed (no root, no sudo), so the script says what it would install."""
    scripts = {
        "python3": (
            '#!/bin/sh\ncase "$*" in\n'
            f"  *ensurepip*) exit {0 if has_ensurepip else 1} ;;\n"
            "  *version_info*) echo 3.11 ;;\nesac\n"
        ),
        "dpkg-query": '#!/bin/sh\ncase "$*" in *-venv*) exit 1 ;; esac\necho "install ok installed"\n',
        "id": "#!/bin/sh\necho 1000\n",
        "sudo": "#!/bin/sh\nexit 1\n",
        "apt-get": "#!/bin/sh\nexit 1\n",
    }
    for name, body in scripts.items():
        path = folder / name
        path.write_text(body)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{folder}:/usr/bin:/bin", "HOME": str(folder)}


@pytest.mark.parametrize("has_ensurepip", [False, True])
def test_system_deps_installs_python_venv_where_it_is_split_out(tmp_path: Path, has_ensurepip: bool) -> None:
    env = _fake_tools(tmp_path, has_ensurepip=has_ensurepip)
    result = subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / "system-deps.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if has_ensurepip:
        assert result.returncode == 0, result.stderr
        assert "venv" not in result.stderr
    else:
        assert result.returncode == 1
        assert "python3.11-venv" in result.stderr


def test_an_import_column_named_as_the_form_labels_it_is_recognised() -> None:
    headers = ["Title", "Strength, concern or context", "Date collected"]
    columns = importing.resolve_mapping(headers, {})
    assert columns["polarity"] == 1
    assert columns["collected_on"] == 2
