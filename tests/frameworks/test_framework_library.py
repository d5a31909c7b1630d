"""The framework library: loading is idempotent, versions are immutable, any shape is served."""

from __future__ import annotations

import pytest
import yaml
from sqlmodel import func, select

from app.core.config import PROJECT_ROOT
from app.core.db import session_scope
from app.core.errors import Conflict
from app.frameworks.loader import FrameworkInvalid
from app.frameworks.models import FrameworkVersion
from app.frameworks.service import load_files
from tests.conftest import FRAMEWORK_FIXTURES

pytestmark = pytest.mark.anyio


def count_versions() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(FrameworkVersion)).one()


async def test_list_serves_every_version_with_counts(client):
    response = await client.get("/api/v1/frameworks")
    assert response.status_code == 200
    by_key = {f["key"]: f for f in response.json()}
    assert {"local-system-review", "integration-maturity", "peer-challenge", "narrative-review"} <= set(
        by_key
    )
    main = by_key["local-system-review"]
    assert main["version"] == "1.0"
    assert main["counts"]["domains"] == 7 and main["counts"]["lines"] >= 35
    assert [lv["value"] for lv in main["scale"]["levels"]] == [1, 2, 3, 4]
    assert by_key["narrative-review"]["scale"]["mode"] == "narrative"


async def test_a_third_shape_is_served_whole_with_no_code_change(client):
    # peer-challenge is a test-only file: 3-level scale, other domain names, other refs.
    response = await client.get("/api/v1/frameworks/peer-challenge")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "2.1"
    tree = body["framework"]
    assert [lv["value"] for lv in tree["scale"]["levels"]] == [1, 2, 3]
    refs = [line["ref"] for d in tree["domains"] for line in d["lines"]]
    assert refs and all(r.startswith(("PC", "PP")) for r in refs)
    assert tree["rollup"]["bands"][0]["from"] == 33
    same = await client.get("/api/v1/frameworks/peer-challenge/versions/2.1")
    assert same.json()["framework"] == tree


async def test_unknown_framework_and_version_are_404_with_a_message(client):
    missing = await client.get("/api/v1/frameworks/no-such-thing")
    assert missing.status_code == 404 and "no-such-thing" in missing.json()["detail"]
    no_version = await client.get("/api/v1/frameworks/local-system-review/versions/9.9")
    assert no_version.status_code == 404 and "9.9" in no_version.json()["detail"]


def test_loading_is_idempotent(db):
    before = count_versions()
    with session_scope() as s:
        outcomes = load_files(s, [PROJECT_ROOT / "frameworks"])
    assert {o.status for o in outcomes} == {"unchanged"}
    assert count_versions() == before


def test_changed_content_under_a_stored_version_is_refused(db, tmp_path):
    data = yaml.safe_load((FRAMEWORK_FIXTURES / "peer-challenge.yaml").read_text())
    data["title"] = "Edited in place"
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(Conflict, match="new version"), session_scope() as s:
        load_files(s, [path])
    with session_scope() as s:
        stored = s.exec(select(FrameworkVersion).where(FrameworkVersion.key == "peer-challenge")).one()
        assert stored.title != "Edited in place"


async def test_a_new_version_loads_beside_the_old_and_becomes_the_newest(db, client, tmp_path):
    data = yaml.safe_load((FRAMEWORK_FIXTURES / "peer-challenge.yaml").read_text())
    data["version"] = "2.2"
    data["title"] = "Peer challenge, second edition"
    path = tmp_path / "v22.yaml"
    path.write_text(yaml.safe_dump(data))
    with session_scope() as s:
        assert [o.status for o in load_files(s, [path])] == ["loaded"]
    latest = (await client.get("/api/v1/frameworks/peer-challenge")).json()
    assert latest["version"] == "2.2"
    old = await client.get("/api/v1/frameworks/peer-challenge/versions/2.1")
    assert old.status_code == 200 and old.json()["title"] != "Peer challenge, second edition"


def test_one_bad_file_loads_nothing(db, tmp_path):
    good = yaml.safe_load((FRAMEWORK_FIXTURES / "peer-challenge.yaml").read_text())
    good["key"] = "brand-new"
    (tmp_path / "a-good.yaml").write_text(yaml.safe_dump(good))
    (tmp_path / "b-bad.yaml").write_text("key: broken\n")
    before = count_versions()
    with pytest.raises(FrameworkInvalid) as caught, session_scope() as s:
        load_files(s, [tmp_path])
    assert any("b-bad.yaml" in str(e) for e in caught.value.errors)
    assert count_versions() == before
