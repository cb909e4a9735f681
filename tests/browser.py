"""Real headless Chromium for the browser tests (DESIGN §10), registered from ``tests/conftest.py``.

One Debian ``chromium`` per test session, driven by Playwright through ``executable_path``
(Playwright's own browser builds are never downloaded). The browser tests are skipped
only when ``/usr/bin/chromium`` is missing outside CI; with ``CI=true`` a missing browser
fails them. Every page a test opens gets a fresh context that reaches no network: only
``file://``, ``data:`` and ``http://127.0.0.1`` requests go through, the rest are aborted
and listed in :attr:`BrowserTab.blocked`. Tests that use the browser run after all the
others (see :func:`pytest_collection_modifyitems`).

Screenshots go to ``$GRANTDIGEST_TEST_ARTIFACTS``, else ``<repo>/var/test-artifacts/``;
each path is printed and recorded as a ``screenshot`` user property of the test (it shows
in JUnit XML).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[1]
ALLOWED_URL = re.compile(r"^(file:|data:|about:|blob:|https?://127\.0\.0\.1[:/])")
"""Requests a test page may make; anything else would leave the machine and is aborted."""
SERIOUS = ("serious", "critical")

try:
    from axe_playwright_python.base import AXE_FILE_PATH
except ImportError:  # checked in axe_violations, so only accessibility tests fail without it
    AXE_FILE_PATH = None


def artifacts_dir() -> Path:
    """Where screenshots go: ``$GRANTDIGEST_TEST_ARTIFACTS``, else ``<repo>/var/test-artifacts`` (created)."""
    folder = Path(os.environ.get("GRANTDIGEST_TEST_ARTIFACTS") or REPO / "var" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def require_chromium() -> None:
    """Skip when Chromium is missing outside CI; fail when it is missing in CI (``CI=true``)."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing and CI=true: the browser tests must run in CI "
                    "(apt-get install chromium)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium to run the browser tests)")


def pytest_collection_modifyitems(session, config, items) -> None:
    """Run the tests that use the browser last, keeping the order within each group.

    Playwright's sync API leaves its asyncio loop set as the running loop of the main
    thread while it is started, so any later ``asyncio.run()`` in the session (the spider
    tests') would fail with "cannot be called from a running event loop".
    """
    items.sort(key=lambda item: "chromium" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def chromium():
    """The session's Playwright Chromium (Debian's binary, headless, no sandbox)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserTab:
    """A page in its own offline context, with what it tried to fetch, its JS errors and its dialogs."""

    page: object
    blocked: list[str]
    errors: list[str]
    dialogs: list[str]


@pytest.fixture
def open_tab(chromium) -> Iterator:
    """``open_tab(width=375, height=800, **context_options)`` → :class:`BrowserTab`; closed after the test."""
    contexts = []

    def open_(width: int = 1280, height: int = 800, **options) -> BrowserTab:
        context = chromium.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        blocked: list[str] = []

        def guard(route):
            if ALLOWED_URL.match(route.request.url):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        tab = BrowserTab(page, blocked, [], [])
        page.on("pageerror", lambda error: tab.errors.append(str(error)))

        def dialog(d):
            tab.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", dialog)
        return tab

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, name)`` → path of a full-page PNG in the artifacts folder (printed and recorded)."""
    folder = artifacts_dir()

    def shoot(page, name: str) -> Path:
        stem = re.sub(r"[^\w.-]+", "_", f"{request.node.name}-{name}").strip("._")
        path = folder / f"{stem}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        request.node.user_properties.append(("screenshot", str(path)))
        return path

    return shoot


OVERFLOW_JS = ("""() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
      wide.push(`${name} [${Math.round(box.left)}.."""
               """${Math.round(box.right)}] "${(el.textContent || '').trim().slice(0, 60)}"`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: wide};
}""")


def horizontal_overflow(page, *, elements: bool = True) -> list[str]:
    """What makes ``page`` scroll sideways: the document if wider than the viewport, and (``elements``)
    every visible element reaching past its left or right edge. Empty when nothing does."""
    found = page.evaluate(OVERFLOW_JS)
    problems = []
    if found["scrollWidth"] > found["innerWidth"]:
        problems.append(f"document scrollWidth {found['scrollWidth']} > innerWidth {found['innerWidth']}")
    if elements:
        problems += found["wide"]
    return problems


def axe_violations(page, impacts: tuple[str, ...] = SERIOUS) -> list[str]:
    """axe-core's violations of ``page`` with one of ``impacts``, one line per rule with its first nodes."""
    if AXE_FILE_PATH is None:
        pytest.fail("axe-playwright-python is not installed (it is a declared test dependency)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_FILE_PATH.read_text(encoding="utf-8"))  # not a <script> tag: a page's CSP may forbid those
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for violation in results["violations"]:
        if violation["impact"] in impacts:
            targets = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:5])
            lines.append(f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): "
                         f"{violation['help']} — {targets}")
    return lines
