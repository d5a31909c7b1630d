"""The report page: export without JavaScript, progress, download, previous exports, errors."""

from __future__ import annotations

import re
import time

import pytest

from app.accounts.deps import SESSION_COOKIE
from app.reports import jobs
from tests.reports.reports_helpers import seed_review, web_session

pytestmark = pytest.mark.anyio
SMALL = "peer-challenge"


@pytest.fixture(autouse=True)
def quiet_runner():
    """The test runs jobs itself, so no render thread is left over from another test."""
    jobs.get_runner().stop()
    yield
    jobs.get_runner().stop()


async def signed_in(client, user) -> str:  # type: ignore[no-untyped-def]
    cookie, csrf = web_session(user)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)
    return csrf


async def _when_ready(client, url: str) -> str:  # type: ignore[no-untyped-def]
    """The page once the export is done, following "Check progress" as a person would."""
    for _ in range(600):
        jobs.run_pending()  # whichever of this and the render thread gets there first
        page = (await client.get(url)).text
        if "The report is ready." in page:
            return page
        assert "The export did not work." not in page
        time.sleep(0.5)
    raise AssertionError("the export did not finish")


async def test_a_report_writer_exports_without_javascript_and_downloads(db, client):
    seeded = seed_review(framework_key=SMALL)
    csrf = await signed_in(client, seeded.writer)
    url = f"/reviews/{seeded.review_id}/report"

    page = await client.get(url)
    assert page.status_code == 200
    html = page.text
    assert f'<form method="post" action="{url}"' in html
    assert f'name="csrf_token" value="{csrf}"' in html
    assert f'src="/api/v1/reviews/{seeded.review_id}/report.html"' in html
    assert 'aria-current="page"' in html and ">Report<" in html
    assert "has not been exported yet" in html
    assert '<label class="field__label" for="variant">Kind of PDF</label>' in html

    refused = await client.post(url, data={"format": "pdf"})
    assert refused.status_code == 403  # no CSRF secret, no export

    sent = await client.post(url, data={"csrf_token": csrf, "format": "pdf", "variant": "pdf/ua-1"})
    assert sent.status_code == 303
    location = sent.headers["location"]
    assert re.fullmatch(rf"{url}\?job=[0-9a-f-]{{36}}#progress", location)
    shown = (await client.get(location.split("#")[0])).text
    assert 'role="status" aria-live="polite"' in shown
    assert 'data-job-url="/api/v1/reviews/' in shown
    if "The report is ready." not in shown:  # the render thread may already have finished it
        assert "Waiting to start." in shown or "Rendering the report." in shown
        assert "Check progress" in shown

    done = await _when_ready(client, location.split("#")[0])
    link = re.search(r'<a class="button" href="([^"]+)" download>Download the report</a>', done)
    assert link
    assert "Check progress" not in done
    download = await client.get(link.group(1))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert "Previous exports" in done and "Accessible PDF (PDF/UA-1)" in done and "Draft" in done


async def test_a_bad_choice_is_shown_in_the_error_summary(db, client):
    seeded = seed_review(framework_key=SMALL)
    csrf = await signed_in(client, seeded.lead)
    form = {"csrf_token": csrf, "format": "pdf", "template_set": "glossy"}
    response = await client.post(f"/reviews/{seeded.review_id}/report", data=form)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert "There is no report template set called" in response.text


async def test_who_sees_what_on_the_report_page(db, client):
    seeded = seed_review(framework_key=SMALL)
    url = f"/reviews/{seeded.review_id}/report"
    await signed_in(client, seeded.observer)
    observer_page = await client.get(url)
    assert observer_page.status_code == 200
    assert "Export the report" not in observer_page.text  # observers read, they do not export
    await signed_in(client, seeded.assessors[0])
    assert (await client.get(url)).status_code == 403  # drafts stay with the review team
    client.cookies.clear()
    anonymous = await client.get(url, headers={"accept": "text/html"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")


async def test_an_unknown_job_in_the_link_shows_the_page_without_it(db, client):
    seeded = seed_review(framework_key=SMALL)
    await signed_in(client, seeded.lead)
    unknown = "00000000-0000-0000-0000-000000000000"
    response = await client.get(f"/reviews/{seeded.review_id}/report?job={unknown}")
    assert response.status_code == 200 and 'id="progress"' not in response.text
