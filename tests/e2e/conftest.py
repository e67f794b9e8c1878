"""Real headless Chromium (Debian's package) driven by Playwright, against live_server."""

import os
import re
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
def browser(live_server, request):
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
        remember_browser(request.node, browser)
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


# --- Screenshots of a failed test -------------------------------------------------------
# When a test fails (in its body or its set-up), every page still open in its browser is
# saved, full length, as artifacts/e2e/<test id>.png (then <test id>-2.png, … for more
# pages) for a person to see what the browser showed. CI keeps the folder with the clone.
BROWSERS = pytest.StashKey[list]()


def remember_browser(item, browser) -> None:
    """Tell the failure hook which browser this test drives."""
    item.stash.setdefault(BROWSERS, []).append(browser)


def artifact_name(nodeid: str) -> str:
    """A file name for a test id: path separators and '::' become '.', the rest kept
    readable (tests/e2e/test_x.py::test_y[390] → tests.e2e.test_x.py.test_y[390])."""
    name = re.sub(r"::|/|\\", ".", nodeid)
    return re.sub(r"[^\w.\-\[\]]+", "_", name)


def save_failure_screenshots(nodeid: str, browsers, directory: Path) -> list[Path]:
    """A full-page PNG of every open page of these browsers; returns the files written.
    A page that cannot be captured (closed meanwhile, crashed) is skipped, never raises:
    the test's own failure is what the report must show."""
    pages = [
        page
        for browser in browsers
        if browser.is_connected()
        for context in browser.contexts
        for page in context.pages
        if not page.is_closed()
    ]
    saved = []
    base = artifact_name(nodeid)
    for n, page in enumerate(pages, start=1):
        path = directory / (f"{base}.png" if n == 1 else f"{base}-{n}.png")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=True, timeout=10_000)
        except Exception:  # noqa: BLE001, S112 — a screenshot must not mask the failure
            continue
        saved.append(path)
    return saved


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    browsers = item.stash.get(BROWSERS, [])
    if report.failed and report.when in ("setup", "call") and browsers:
        for path in save_failure_screenshots(item.nodeid, browsers, ARTIFACTS / "e2e"):
            report.sections.append(("e2e screenshot", str(path)))
    return report


# --- Accessibility: axe-core, WCAG 2.1 A and AA -----------------------------------------
AXE_JS = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
WCAG21AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now, WCAG 2.1 A/AA rules only.

    The site's CSP (script-src 'self', no inline scripts) refuses page.add_script_tag
    (Playwright inlines the file), so axe's source is evaluated through the DevTools
    protocol instead, which a page's CSP does not govern: the page under test keeps its
    real policy (no bypass_csp context), and nothing of axe is served by the site."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;0")
    return page.evaluate(
        """async (tags) => {
            const results = await window.axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "),
                                          summary: n.failureSummary || ""}))}));
        }""",
        WCAG21AA,
    )


def describe_violations(url: str, violations) -> str:
    lines = [f"axe-core (WCAG 2.1 AA) found {len(violations)} violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    {node['target']}")
            summary = " ".join(node["summary"].split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def broken_aria_references(page) -> list[str]:
    """Fields whose aria-describedby/aria-labelledby name an id the page lacks (Django
    points a field at `<id>_helptext`/`<id>_error`; a template that prints them without
    those ids leaves the help unannounced). axe files this under "needs review", not
    as a violation, so it is checked here."""
    return page.evaluate(
        """() => [...document.querySelectorAll("[aria-describedby], [aria-labelledby]")]
            .flatMap(el => ["aria-describedby", "aria-labelledby"]
              .filter(a => el.hasAttribute(a))
              .flatMap(a => el.getAttribute(a).split(/\\s+/).filter(Boolean)
                .filter(id => !document.getElementById(id))
                .map(id => `${el.tagName.toLowerCase()}#${el.id || "?"} ${a}="${id}"`)))"""
    )


def assert_accessible(page) -> None:
    """Fail with a readable list (rule, impact, help, selectors) if the page breaks any
    WCAG 2.1 A/AA rule axe-core checks, or points ARIA at an element that is not there."""
    violations = axe_violations(page)
    assert not violations, describe_violations(page.url, violations)
    broken = broken_aria_references(page)
    assert not broken, f"ARIA references to missing ids on {page.url}: " + "; ".join(
        broken
    )
