"""The test set-up itself: cheap password hashing, and the clean database each test starts from."""

from __future__ import annotations

import yaml
from sqlalchemy import func, select

from app.core.db import session_scope
from app.core.security import hash_password
from app.frameworks import service as frameworks
from app.frameworks.models import FrameworkVersion
from tests.conftest import AUDIT, FRAMEWORK_DIRS, FRAMEWORK_FIXTURES, FRAMEWORKS, Baseline, _clean


def test_the_suite_hashes_passwords_with_argon2s_cheapest_settings():
    # Every test package shares this: a test that made its own full-cost hasher would cost seconds.
    assert hash_password("correct horse battery").startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_each_framework_file_is_parsed_once_per_run():
    path = FRAMEWORK_DIRS[0] / "local-system-review.yaml"
    assert frameworks.read_framework_file(path) is frameworks.read_framework_file(path)


def test_an_edited_framework_file_is_parsed_afresh(tmp_path):
    data = yaml.safe_load((FRAMEWORK_FIXTURES / "peer-challenge.yaml").read_text())
    path = tmp_path / "peer.yaml"
    path.write_text(yaml.safe_dump(data))
    first = frameworks.read_framework_file(path)
    data["title"] = "Edited"
    path.write_text(yaml.safe_dump(data))
    assert frameworks.read_framework_file(path).framework.title == "Edited" != first.framework.title


def _state(engine) -> tuple[list[dict[str, object]], list[dict[str, object]]]:  # type: ignore[no-untyped-def]
    """Every framework row and every audit row, in id order."""
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(FRAMEWORKS).order_by(FRAMEWORKS.c.id))]
        audit = [dict(r._mapping) for r in conn.execute(select(AUDIT).order_by(AUDIT.c.id))]
    return rows, audit


def test_a_clean_database_holds_the_frameworks_and_only_their_load_trail(db, baseline: Baseline):
    rows, audit = _state(db)
    assert (rows, audit) == (baseline.frameworks, baseline.audit)
    assert {r["key"] for r in rows} >= {"local-system-review", "peer-challenge", "narrative-review"}
    loaded = [("framework_version", str(r["id"])) for r in rows]
    assert [(a["entity"], a["entity_id"]) for a in audit] == loaded


def test_frameworks_a_test_deleted_or_added_are_put_back(db, baseline: Baseline, tmp_path):
    data = yaml.safe_load((FRAMEWORK_FIXTURES / "peer-challenge.yaml").read_text())
    data["version"] = "9.0"
    (tmp_path / "v9.yaml").write_text(yaml.safe_dump(data))
    with session_scope() as s:
        frameworks.load_files(s, [tmp_path])
        for row in s.scalars(select(FrameworkVersion).where(FRAMEWORKS.c.key == "local-system-review")):
            s.delete(row)
    _clean(db, baseline)
    assert _state(db) == (baseline.frameworks, baseline.audit)
    with session_scope() as s:
        # The id sequence follows the rows put back, so the next load does not collide.
        frameworks.load_files(s, [tmp_path])
        assert s.scalar(select(func.count()).select_from(FrameworkVersion)) == len(baseline.frameworks) + 1


def test_frameworks_reloaded_from_their_files_are_put_back_as_they_were(db, baseline: Baseline):
    # What report tests' module fixtures do: same ids and content, but a new load time and trail.
    with session_scope() as s:
        for row in s.scalars(select(FrameworkVersion)):
            s.delete(row)
    with session_scope() as s:
        frameworks.load_files(s, FRAMEWORK_DIRS)
    _clean(db, baseline)
    assert _state(db) == (baseline.frameworks, baseline.audit)
