"""Real headless Chromium (Debian's package) driven by Playwright, against live_server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def browser(live_server):
    """One browser per test, started after the test database is set up and restored:
    Playwright's event loop gives this thread a new context (and new database
    connection objects), so it must not exist yet when pytest-django restores data."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail(f"chromium is required in CI and was not found at {CHROMIUM}")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
        # Connections the test body opened in Playwright's context; left open, they
        # keep PostgreSQL from dropping the test database at the end of the run.
        from django.db import connections

        connections.close_all()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# Screens are checked at the sizes the users have: a 390 px phone (and 360 px for
# the sideways-scroll check) and a 1366×768 desktop.
PHONE = {"width": 390, "height": 844}
NARROW_PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}

# Screenshots are build artifacts: kept after the run for a person to look at, never
# committed. E2E_ARTIFACTS moves them (CI may collect the folder).
ARTIFACTS = Path(
    os.environ.get("E2E_ARTIFACTS", Path(__file__).parents[2] / "artifacts")
)


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser):
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as artifacts/screens/<name>.png and return its path."""
    path = ARTIFACTS / "screens" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def document_width(page) -> int:
    """How wide the document is: wider than the viewport means the page scrolls sideways."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )


def sign_in(page, base_url: str, username: str, password: str, *, admin=True):
    """Sign in through the real form: /admin/login/ for staff, /accounts/login/ else."""
    page.goto(base_url + ("/admin/login/" if admin else "/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form:has(#id_password) button[type=submit]").first.click()
    page.wait_for_load_state()
