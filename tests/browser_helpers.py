"""Fixtures for tests that drive a real headless Chromium against a live server.

Use them from a test module with

    pytest_plugins = ["tests.browser_helpers"]

(or, once the lead adds that line to tests/conftest.py, with nothing at all), then ask for
`live_server` (the base URL) and `page` (a fresh Playwright page at tablet size), and request `db`
so the database is clean. Mark such tests `@pytest.mark.browser`. They are skipped, saying why,
only when /usr/bin/chromium is not installed.

The server is uvicorn running `create_app()` in a background thread on 127.0.0.1 and a free port,
against the same test database the `db` fixture prepares (the app shares the process's engine).
Playwright's sync API is used from plain (not async) test functions.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TABLET = {"width": 768, "height": 1024}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(engine: Any) -> Iterator[str]:
    """Base URL of the app served by uvicorn in a background thread, shut down after the run."""
    import uvicorn

    from app.main import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium (Debian's build, no download), for one test.

    Not session-scoped on purpose: Playwright's sync API keeps an event loop running in the main
    thread while it is open, and the async tests that follow would then fail to start their own.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page at tablet size (768 x 1024) in its own context, so no cookies carry over."""
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    # Generous: CI runs on two cores, and argon2 and Chromium both want them.
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()
