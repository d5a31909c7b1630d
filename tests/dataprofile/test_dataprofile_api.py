"""The data profile over the API: the framework's catalogue, figures, comparisons, risk flags."""

from __future__ import annotations

import pytest

from app.core.db import session_scope
from app.frameworks.service import get_framework
from tests.factories import add_member, auth, make_review
from tests.reviews.reviews_helpers import audit_rows

pytestmark = pytest.mark.anyio


def by_key(rows: list[dict]) -> dict[str, dict]:
    return {row["key"]: row for row in rows}


async def test_every_catalogue_indicator_is_listed_before_any_figure(client, db) -> None:
    review = make_review()
    observer = add_member(review, "observer")
    response = await client.get(f"/api/v1/reviews/{review.id}/indicators", headers=auth(observer))
    assert response.status_code == 200
    rows = response.json()
    with session_scope() as s:
        catalogue = get_framework(s, review.framework_key, review.framework_version).indicators
    assert [row["key"] for row in rows] == [indicator.key for indicator in catalogue]
    first = rows[0]
    assert first["key"] == "emergency-admissions-65" and first["better"] == "lower"
    assert first["value"] is None
    assert first["comparisons"] == {"england": None, "similar_areas": None}
    assert first["risk"] is False


async def test_another_framework_brings_its_own_catalogue(client, db) -> None:
    review = make_review(framework_key="peer-challenge")
    lead = add_member(review, "lead")
    rows = (await client.get(f"/api/v1/reviews/{review.id}/indicators", headers=auth(lead))).json()
    assert "home-after-91-days" in by_key(rows)
    assert "emergency-admissions-65" not in by_key(rows)


async def test_figures_read_better_or_worse_in_the_indicators_direction(client, db) -> None:
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    base = f"/api/v1/reviews/{review.id}/indicators"
    lower_is_better = {"value": 21000, "period": "2023-24", "england": 24000, "similar_areas": 20500}
    response = await client.put(
        f"{base}/emergency-admissions-65", json=lower_is_better, headers=auth(reviewer)
    )
    assert response.status_code == 200, response.text
    assert response.json()["comparisons"] == {"england": "better", "similar_areas": "worse"}
    higher_is_better = {"value": 80.5, "period": "2023-24", "england": 80.5, "similar_areas": 84}
    await client.put(f"{base}/reablement-effectiveness", json=higher_is_better, headers=auth(reviewer))
    occupancy = {"value": 93.2, "period": "Q3 2024", "england": 92.1, "source": "Trust board papers"}
    await client.put(f"{base}/bed-occupancy", json=occupancy, headers=auth(reviewer))

    rows = by_key((await client.get(base, headers=auth(reviewer))).json())
    reablement = rows["reablement-effectiveness"]
    assert reablement["comparisons"] == {"england": "same", "similar_areas": "worse"}
    assert reablement["risk"] is False
    beds = rows["bed-occupancy"]
    assert beds["risk"] is True and beds["risk_threshold"] == 85
    assert beds["comparisons"] == {"england": "worse", "similar_areas": None}
    assert beds["value"]["source"] == "Trust board papers"
    assert beds["value"]["period"] == "Q3 2024"


async def test_replacing_and_removing_a_figure_is_audited(client, db) -> None:
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    url = f"/api/v1/reviews/{review.id}/indicators/weekend-discharges"
    await client.put(url, json={"value": 14, "period": "2023-24"}, headers=auth(reviewer))
    replaced = await client.put(url, json={"value": 16.5, "period": "2024-25"}, headers=auth(reviewer))
    assert replaced.json()["value"]["value"] == 16.5
    assert (await client.delete(url, headers=auth(reviewer))).status_code == 204
    assert (await client.delete(url, headers=auth(reviewer))).status_code == 404
    events = audit_rows(review.id, "indicator_value")
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert all(e.user_id == reviewer.id for e in events)
    assert events[1].changes == {"period": ["2023-24", "2024-25"], "value": [14.0, 16.5]}
    assert events[0].changes["indicator_key"] == [None, "weekend-discharges"]


async def test_unknown_indicator_is_refused_naming_indicator_key(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    url = f"/api/v1/reviews/{review.id}/indicators/home-after-91-days"  # another framework's indicator
    response = await client.put(url, json={"value": 1, "period": "2024"}, headers=auth(lead))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "indicator_key"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"value": NaN, "period": "2024"}', "value"),
        ('{"value": Infinity, "period": "2024"}', "value"),
        ('{"value": 1e400, "period": "2024"}', "value"),
        ('{"value": 10, "period": "2024", "england": -Infinity}', "england"),
        ('{"value": "lots", "period": "2024"}', "value"),
        ('{"value": 10, "period": "   "}', "period"),
        ('{"period": "2024"}', "value"),
    ],
)
async def test_a_figure_must_be_a_finite_number_with_a_period(client, db, raw, field) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    response = await client.put(
        f"/api/v1/reviews/{review.id}/indicators/bed-occupancy",
        content=raw,
        headers={**auth(lead), "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_who_may_read_and_write_the_data_profile(client, db) -> None:
    review = make_review()
    writer = add_member(review, "report_writer")
    assessor = add_member(review, "self_assessor")
    base = f"/api/v1/reviews/{review.id}/indicators"
    assert (await client.get(base, headers=auth(writer))).status_code == 200
    figure = {"value": 1, "period": "2024"}
    assert (await client.put(f"{base}/bed-occupancy", json=figure, headers=auth(writer))).status_code == 403
    # Self-assessors do not see the review team's evidence before publication.
    assert (await client.get(base, headers=auth(assessor))).status_code == 403


async def test_published_data_profile_is_read_only(client, db) -> None:
    review = make_review(status="published")
    lead = add_member(review, "lead")
    assessor = add_member(review, "self_assessor")
    base = f"/api/v1/reviews/{review.id}/indicators"
    response = await client.put(
        f"{base}/bed-occupancy", json={"value": 1, "period": "2024"}, headers=auth(lead)
    )
    assert response.status_code == 409
    assert (await client.get(base, headers=auth(assessor))).status_code == 200
