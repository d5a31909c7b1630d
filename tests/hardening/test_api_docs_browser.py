"""Issue 11, defect 6: /docs shows the API's operations in a real browser, with every request
served by the app itself (no CDN) and nothing refused by the page's security policy."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

pytest_plugins = ["tests.browser_helpers"]


@pytest.mark.browser
def test_the_api_docs_page_lists_the_operations_from_our_own_server(db, live_server, page) -> None:  # type: ignore[no-untyped-def]
    requested: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".opblock", timeout=60_000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert len(summaries) > 30
    assert any(path.startswith("/api/v1/reviews") for path in summaries)
    hosts = {urlsplit(url).hostname for url in requested if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, requested
    refused = [text for text in console if "Content Security Policy" in text]
    assert refused == []


@pytest.mark.anyio
async def test_the_docs_page_names_no_other_host_and_runs_no_inline_script(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "cdn" not in response.text and "https://" not in response.text
    assert "<script>" not in response.text  # every script is a file of ours
    policy = response.headers["content-security-policy"]
    script_src = next(d.strip() for d in policy.split(";") if d.strip().startswith("script-src"))
    assert script_src == "script-src 'self'"
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css", "/static/api-docs.js"):
        assert (await client.get(asset)).status_code == 200, asset
