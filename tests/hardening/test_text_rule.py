"""Issue 11, defect 4: one rule for text (no NUL, no C0 control character but tab, CR and LF,
no lone surrogate) enforced at the edge with 422 naming the field, and exports that survive
whatever is already stored."""

from __future__ import annotations

import io

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from app.core.db import session_scope
from app.core.textrules import text_problem, xml_safe
from app.evidence.models import Evidence
from tests.accounts.accounts_helpers import hidden_value
from tests.factories import PASSWORD, add_member, auth, evidence_fields, make_evidence, make_review, make_user

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\ud800"])
def test_the_rule_refuses_nul_controls_and_lone_surrogates(character: str) -> None:
    assert text_problem(f"before{character}after")
    assert xml_safe(f"before{character}after") == "beforeafter"


def test_the_rule_keeps_tab_newlines_and_ordinary_unicode() -> None:
    text = "Line one\r\nLine two\tindented — café 😀 ✓"
    assert text_problem(text) is None
    assert xml_safe(text) == text


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    return review, reviewer


def _refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["errors"][0]["field"] == field
    assert field in body["detail"]
    assert "U+0000" in body["errors"][0]["message"] or "control character" in body["errors"][0]["message"]


async def test_a_json_body_with_nul_is_refused_naming_the_field(client, team) -> None:
    review, reviewer = team
    fields = evidence_fields(review, title="Discharge\x00 delays")
    response = await client.post(f"/api/v1/reviews/{review.id}/evidence", json=fields, headers=auth(reviewer))
    _refused(response, "title")
    with session_scope(read_only=True) as s:
        assert s.exec(select(func.count()).select_from(Evidence)).one() == 0


async def test_a_nested_json_value_is_named_by_its_path(client, team) -> None:
    review, reviewer = team
    fields = evidence_fields(review, tags=["fine", "bad\x07tag"])
    response = await client.post(f"/api/v1/reviews/{review.id}/evidence", json=fields, headers=auth(reviewer))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "tags.1"


async def test_a_query_parameter_with_a_control_character_is_refused(client, team) -> None:
    review, reviewer = team
    response = await client.get(
        f"/api/v1/reviews/{review.id}/evidence", params={"q": "ward\x00"}, headers=auth(reviewer)
    )
    _refused(response, "q")


async def test_the_sign_in_form_with_nul_is_refused_naming_the_field(client, db) -> None:
    user = make_user()
    form = await client.get("/sign-in")
    token = hidden_value(form.text, "csrf_token")
    response = await client.post(
        "/sign-in",
        data={"email": user.email + "\x00", "password": PASSWORD, "csrf_token": token},
        headers={"accept": "application/json"},
    )
    _refused(response, "email")


async def test_a_browser_gets_a_page_naming_the_field(client, db) -> None:
    form = await client.get("/sign-in")
    token = hidden_value(form.text, "csrf_token")
    response = await client.post(
        "/sign-in",
        data={"email": "a@example.org", "password": "x\x00", "csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "“password”" in response.text and "U+0000" in response.text
    assert "content-security-policy" in response.headers


async def test_a_multipart_text_field_is_checked_and_files_are_not(client, team) -> None:
    review, reviewer = team
    response = await client.post(
        f"/api/v1/reviews/{review.id}/evidence/import",
        files={"file": ("evidence.csv", b"Title\nA\x00B\n", "text/csv")},
        data={"dry_run": "true", "mapping": '{"title": "Ti\\u0000tle"}\x00'},
        headers=auth(reviewer),
    )
    _refused(response, "mapping")


async def test_tab_and_newlines_pass_the_edge(client, team) -> None:
    review, reviewer = team
    fields = evidence_fields(review, narrative="First line\r\nSecond\tline")
    response = await client.post(f"/api/v1/reviews/{review.id}/evidence", json=fields, headers=auth(reviewer))
    assert response.status_code in (200, 201), response.text


async def test_the_xlsx_export_survives_control_characters_already_stored(client, team) -> None:
    from openpyxl import load_workbook

    review, reviewer = team
    item = make_evidence(review, reviewer, title="Minutes")
    with session_scope() as s:
        stored = s.get(Evidence, item.id)
        assert stored is not None
        stored.title = "Minutes\x1b of the board\x0c"
        stored.narrative = "Bell\x07 rang"
        s.add(stored)
    response = await client.get(f"/api/v1/reviews/{review.id}/evidence/export.xlsx", headers=auth(reviewer))
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [cell.value for cell in sheet[2]]
    assert "Minutes of the board" in values and "Bell rang" in values


async def test_an_imported_file_is_held_to_the_same_rule(client, team) -> None:
    review, reviewer = team
    response = await client.post(
        f"/api/v1/reviews/{review.id}/evidence/import",
        files={"file": ("evidence.csv", b"Title,Narrative\nA,fine\nB,bad\x1bcell\n", "text/csv")},
        data={"dry_run": "true"},
        headers=auth(reviewer),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "file"
    assert "row 3, column 2" in response.json()["detail"]


async def test_deeply_nested_json_is_answered_without_a_server_error(client, team) -> None:
    review, reviewer = team
    deep = "[" * 50_000 + '"\\u0000"' + "]" * 50_000
    response = await client.post(
        f"/api/v1/reviews/{review.id}/evidence",
        content=deep,
        headers={**auth(reviewer), "content-type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
