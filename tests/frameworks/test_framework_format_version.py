"""The framework file format carries its own version; a newer format never breaks a stored framework."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.core.audit import AuditEvent
from app.frameworks import service
from app.frameworks.loader import FrameworkInvalid, content_hash, parse_framework
from app.frameworks.models import FrameworkVersion
from app.frameworks.schema import FORMAT_VERSION
from tests.conftest import FRAMEWORK_FIXTURES

NARRATIVE = FRAMEWORK_FIXTURES / "narrative-review.yaml"


def _text() -> str:
    return NARRATIVE.read_text()


def test_a_file_may_name_the_format_or_leave_it_out() -> None:
    plain = parse_framework(_text(), "plain.yaml")
    named = parse_framework(f"format: {FORMAT_VERSION}\n" + _text(), "named.yaml")
    assert plain.framework.format == named.framework.format == FORMAT_VERSION
    assert plain.content_hash == named.content_hash


def test_an_unknown_format_is_refused_with_file_and_line() -> None:
    with pytest.raises(FrameworkInvalid) as caught:
        parse_framework("format: 99\n" + _text(), "future.yaml")
    problem = caught.value.errors[0]
    assert (problem.file, problem.path, problem.line) == ("future.yaml", "format", 1)


def test_a_hash_taken_by_an_older_format_is_brought_up_to_date(session) -> None:
    parsed = parse_framework(_text(), str(NARRATIVE))
    stored = session.exec(
        select(FrameworkVersion).where(FrameworkVersion.key == parsed.framework.key)
    ).one()
    stored.content_hash = "0" * 64  # as an older format would have hashed the same content
    session.flush()
    outcome = service.store(session, parsed, source_file=str(NARRATIVE))
    assert outcome.status == "unchanged"
    assert stored.content_hash == content_hash(parsed.framework)
    rehash = session.exec(select(AuditEvent).where(AuditEvent.action == "rehash")).one()
    assert rehash.changes["content_hash"][0] == "0" * 64
