"""Headless Chromium (Debian's ``chromium``, installed by ``make browser``) driven by Playwright,
for the web back office's tests (``from tests.e2e.web_browser import browser, page``).
Playwright's own browser download is not used.

Every test using ``page`` saves a screenshot in ``build/web-tests/<test>.png``; a failing test
also keeps the browser's console log there (``<test>.console.log``). With
``WEB_SCREENSHOTS_DOCS=1`` the tests that make the README's pictures also write them to docs/.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "web-tests"
DOCS = ROOT / "docs" / "screenshots"
# as the machine's notes say: without the background-networking flags Chromium keeps trying
# to reach Google's hosts, which a closed network refuses
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Debian's chromium is not installed: `make test` (or `make browser`) installs it with apt-get")
    return path


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: while Playwright's sync API runs, its event loop is the main thread's running
    loop, and a later test's ``asyncio.run()`` would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _name(item) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)


@pytest.fixture()
def page(browser, session_stack, request):
    """A new browser context (no cookies) on the gateway, 1280 px wide; screenshot after the test."""
    yield from _page(browser, session_stack, request, {"width": 1280, "height": 900})


@pytest.fixture()
def phone(browser, session_stack, request):
    """The same, 360 px wide (a phone)."""
    yield from _page(browser, session_stack, request, {"width": 360, "height": 740})


def _page(browser, session_stack, request, viewport):
    context = browser.new_context(base_url=session_stack.gateway_url, viewport=viewport)
    context.set_default_timeout(30_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    failures_before = request.session.testsfailed
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = _name(request.node)
    try:
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    except Exception as exc:  # noqa: BLE001 - the test's own result matters more
        console.append(f"screenshot failed: {exc!r}")
    log = ARTIFACTS / f"{name}.console.log"
    if request.session.testsfailed > failures_before:   # the call's report is counted before teardown
        log.write_text(f"{page.url}\n" + "\n".join(console) + "\n")
    elif log.exists():
        log.unlink()
    context.close()


def docs_screenshot(page, name: str) -> None:
    """The README's pictures, when asked for (WEB_SCREENSHOTS_DOCS=1)."""
    if os.environ.get("WEB_SCREENSHOTS_DOCS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOCS / f"{name}.png", full_page=True)


def sign_in(page, key: str) -> None:
    page.goto("/ui/signin")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
