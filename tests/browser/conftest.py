"""Browser tests: Debian's chromium, headless, driven by Playwright, against the real
backend, action server and Rasa (trained model in models/), all started once per
session on free loopback ports (servers.py). Their logs are in a temp dir and are
added to the report of a failing test.

Run: `.venv-rasa/bin/python -m pytest tests/browser -q -p no:cacheprovider`
(CHROMIUM overrides /usr/bin/chromium; BROWSER_TEST_MODEL a model other than the
newest in models/).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import Stack, start_stack, trained_model

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

_stack: Stack | None = None
# A full mainland ID number (birth date inside), not part of a longer run of digits.
FULL_ID = re.compile(r"(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                     r"\d{3}[\dXx](?!\d)")

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stops_rasa: stops the Rasa server; runs after every other browser test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that stop Rasa run last, so that the others have it."""
    items.sort(key=lambda item: item.get_closest_marker("stops_rasa") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _stack is not None and "browser" in str(item.fspath):
        report.sections.append(("server logs", _stack.logs_report()))
        console = getattr(item, "_browser_console", None)
        if console:
            report.sections.append(("browser console", "\n".join(console[-100:])))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    global _stack
    model = Path(os.environ["BROWSER_TEST_MODEL"]) if os.environ.get("BROWSER_TEST_MODEL") else trained_model()
    if model is None or not model.exists():
        pytest.fail("no trained model in models/: run `make train` (or set BROWSER_TEST_MODEL)")
    work = tmp_path_factory.mktemp("browser-servers")
    _stack = start_stack(work, model=model, debug_logs=True)
    try:
        yield _stack
    finally:
        _stack.stop()
        print(f"\nserver logs kept in {_stack.logs}")
    # After every browser test (IDs typed, looked up, pushed): no server logged one in full,
    # not even at debug level (Rasa and the action server run with --debug here).
    leaks = [f"{log.name}: {match.group()[:6]}…" for log in sorted(_stack.logs.glob("*.log"))
             for match in FULL_ID.finditer(log.read_text(errors="replace"))]
    assert not leaks, f"full ID numbers in the server logs: {leaks}"


@pytest.fixture(scope="session")
def browser(stack: Stack):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _profile(browser, request: pytest.FixtureRequest, viewport: dict) -> Iterator:
    """A fresh profile (empty localStorage); console messages kept for the report."""
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    context.set_default_timeout(30_000)
    console: list[str] = []
    request.node._browser_console = console
    context.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}"))
    context.on("weberror", lambda err: console.append(f"[pageerror] {err.error}"))
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def context(browser, request: pytest.FixtureRequest):
    yield from _profile(browser, request, {"width": 1280, "height": 800})


@pytest.fixture
def desk(browser, request: pytest.FixtureRequest):
    """The staff console's office screen: 1366×768."""
    yield from _profile(browser, request, {"width": 1366, "height": 768})


@pytest.fixture
def page(context):
    return context.new_page()
