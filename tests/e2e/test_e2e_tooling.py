"""The journeys' own tools, tested so that they cannot silently stop working: the hook
that saves a screenshot of every open page when a browser test fails, and the axe-core
check (it must see violations, on a page served under the site's real CSP)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AXE_JS, CHROMIUM, artifact_name, assert_accessible

ROOT = Path(__file__).parents[2]


def test_artifact_names_are_one_readable_file_per_test():
    assert (
        artifact_name("tests/e2e/test_x.py::test_y[390]")
        == "tests.e2e.test_x.py.test_y[390]"
    )
    assert artifact_name("tests/e2e/test_x.py::test_y[a b/c]") == (
        "tests.e2e.test_x.py.test_y[a_b.c]"
    )


def test_a_failing_browser_test_leaves_a_full_page_png_of_every_open_page(tmp_path):
    if not os.path.exists(CHROMIUM):
        if os.environ.get(
            "CI"
        ):  # as the browser fixture: CI must not skip browser tests
            pytest.fail(f"chromium is required in CI and was not found at {CHROMIUM}")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    # A separate pytest run whose conftest uses this project's hook and browser
    # bookkeeping; its one failing test has two pages open, the first taller than
    # its window; its passing test must leave nothing behind.
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from playwright.sync_api import sync_playwright

            from tests.e2e.conftest import (  # noqa: F401 — the hook under test
                CHROMIUM, CHROMIUM_ARGS, pytest_runtest_makereport, remember_browser)

            @pytest.fixture
            def browser(request):
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    remember_browser(request.node, browser)
                    yield browser
                    browser.close()
            """
        )
    )
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            """
            def test_fails(browser):
                tall = browser.new_page(viewport={"width": 400, "height": 300})
                tall.set_content(
                    '<body style="margin:0;background:#c00">'
                    '<div style="height:1200px"></div></body>')
                other = browser.new_context().new_page()
                other.set_content("<p>second page</p>")
                assert False, "the journey broke"

            def test_passes(browser):
                browser.new_page().set_content("<p>fine</p>")
            """
        )
    )
    artifacts = tmp_path / "artifacts"
    env = {
        **os.environ,
        "E2E_ARTIFACTS": str(artifacts),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    run = subprocess.run(  # noqa: S603 — this interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-c",
            str(tmp_path / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_inner.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    saved = sorted(p.name for p in (artifacts / "e2e").iterdir())
    assert saved == ["test_inner.py.test_fails-2.png", "test_inner.py.test_fails.png"]
    # The report names the files.
    assert "e2e screenshot" in run.stdout
    first = cv2.imread(str(artifacts / "e2e" / "test_inner.py.test_fails.png"))
    height, width = first.shape[:2]
    assert (width, height) == (400, 1200)  # the full page, not the 300 px window
    assert tuple(first[600, 200]) == (0, 0, 204)  # BGR of the page's #c00
    second = cv2.imread(str(artifacts / "e2e" / "test_inner.py.test_fails-2.png"))
    assert second is not None and np.any(second < 128)  # its text was drawn


pytestmark_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytestmark_db
def test_axe_sees_violations_on_a_page_served_under_the_sites_csp(live_server, page):
    assert AXE_JS.read_text(encoding="utf-8").startswith("/*! axe v4.")
    page.goto(live_server.url + "/accounts/login/")
    assert (
        "script-src 'self'"
        in (page.request.get(page.url).headers["content-security-policy"])
    )
    assert_accessible(page)  # the page as served passes
    assert page.evaluate("() => window.axe.version").startswith("4.")

    # Three faults a template could make: an image without alt text, a field without a
    # label, pale grey text on white.
    page.evaluate(
        """() => {
            const main = document.querySelector("main");
            main.insertAdjacentHTML("beforeend",
                '<img id="no-alt" src="/static/img/qianjitong-logo.svg">' +
                '<input id="no-label" type="text">' +
                '<p id="pale" style="color:#bbb;background:#fff">浅灰色文字</p>');
        }"""
    )
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page)
    message = str(failed.value)
    for rule, selector in (
        ("image-alt", "#no-alt"),
        ("label", "#no-label"),
        ("color-contrast", "#pale"),
    ):
        assert f"- {rule} [" in message, message
        assert selector in message, message
    assert "/accounts/login/" in message


@pytestmark_db
def test_a_field_pointing_at_help_the_page_lacks_fails(live_server, page):
    # Django points a field with help text at "<id>_helptext"; the sign-up page prints
    # that help with the id, so the reference holds, and the check passes.
    page.goto(live_server.url + "/accounts/signup/")
    described = page.locator("[aria-describedby]")
    expect(described.first).to_be_attached()
    assert_accessible(page)
    page.evaluate(
        """() => document.querySelectorAll("small.hint[id$=_helptext]")
                   .forEach(el => el.removeAttribute("id"))"""
    )
    with pytest.raises(AssertionError, match=r'aria-describedby="id_\w+_helptext"'):
        assert_accessible(page)
