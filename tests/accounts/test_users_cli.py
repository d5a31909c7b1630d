"""`sysreview users create`: the first administrator is made from the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.accounts import service
from app.cli import cli
from app.core.db import session_scope

runner = CliRunner()


def test_create_admin_with_password_from_stdin(db):
    result = runner.invoke(
        cli,
        [
            "users",
            "create",
            "--email",
            "You@Example.org",
            "--name",
            "Yasmin Admin",
            "--admin",
            "--password-stdin",
        ],
        input="a long secret password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created administrator you@example.org" in result.output
    with session_scope() as s:
        user = service.authenticate(s, email="you@example.org", password="a long secret password")
        assert user is not None and user.is_admin and user.display_name == "Yasmin Admin"
        assert user.password_hash.startswith("$argon2")


def test_create_user_with_prompted_password(db, monkeypatch):
    answers = iter(["typed in twice ok", "typed in twice ok"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    result = runner.invoke(cli, ["users", "create", "--email", "reviewer@example.org"])
    assert result.exit_code == 0, result.output
    assert "created user reviewer@example.org" in result.output
    with session_scope() as s:
        user = service.user_by_email(s, "reviewer@example.org")
        assert user.display_name == "reviewer" and not user.is_admin


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["--email", "short@example.org", "--password-stdin"],
            "short\n",
            "password: must be at least 12 characters",
        ),
        (
            ["--email", "not-an-email", "--password-stdin"],
            "long enough password\n",
            "email: enter an email address",
        ),
    ],
)
def test_create_user_refuses_bad_input(db, args, stdin, message):
    result = runner.invoke(cli, ["users", "create", *args], input=stdin)
    assert result.exit_code == 1
    assert message in result.output


def test_create_user_refuses_a_duplicate_and_mismatched_prompts(db, monkeypatch):
    ok = runner.invoke(
        cli, ["users", "create", "--email", "dup@example.org", "--password-stdin"], input="long enough pw\n"
    )
    assert ok.exit_code == 0
    again = runner.invoke(
        cli, ["users", "create", "--email", "DUP@example.org", "--password-stdin"], input="long enough pw\n"
    )
    assert again.exit_code == 1 and "already exists" in again.output
    answers = iter(["first version here", "second version here"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    mismatch = runner.invoke(cli, ["users", "create", "--email", "other@example.org"])
    assert mismatch.exit_code == 1 and "the passwords do not match" in mismatch.output
