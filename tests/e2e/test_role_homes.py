"""Each role lands on its work — in a real headless Chromium, on the demo data: an
institution's home (desktop and phone) leading to a class, and a bureau's approval
taken from its home."""

import re

import pytest
from playwright.sync_api import expect

from demo.fixtures import DEMO_PASSWORD
from demo.services import demo_seed
from tests.e2e.conftest import document_width, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WAITING_CLASS = "GY-2026-005"  # the demo class filed and waiting for bureau_gy


def classes_panel(page):
    return page.locator("#home-institution-classes-section")


@pytest.mark.parametrize(
    ("page_fixture", "width"), [("desktop_page", 1366), ("phone_page", 390)]
)
def test_institution_lands_on_its_classes(live_server, request, page_fixture, width):
    demo_seed()
    page = request.getfixturevalue(page_fixture)
    # The sign-in page names the platform.
    page.goto(live_server.url + "/admin/login/")
    expect(page.get_by_role("heading", name="登录黔技通")).to_be_visible()
    expect(page.locator(".qjt-login-brand img")).to_be_visible()
    screenshot(page, f"login-{width}")

    sign_in(page, live_server.url, "inst_a", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="工作台", exact=True)).to_be_visible()
    expect(page).to_have_title(re.compile("黔技通"))
    panel = classes_panel(page)
    expect(panel.get_by_role("heading", name="本机构的培训班")).to_be_visible()
    # Classes by state, each with its next step.
    expect(panel.get_by_text("下一步：录入考核结果")).to_be_visible()
    expect(panel.get_by_text("下一步：等待人社部门审批")).to_be_visible()
    expect(panel.get_by_text(re.compile(r"^\s*\d+ 个培训班\s*$")).first).to_be_visible()
    expect(page.get_by_text("Search all pages")).to_have_count(0)
    expect(page.get_by_text("搜索所有页面")).to_have_count(0)
    assert document_width(page) <= width
    screenshot(page, f"home-institution-{width}")

    # Follow a class to its page.
    panel.get_by_role("link", name=re.compile("GY-2026-006")).first.click()
    page.wait_for_load_state()
    assert re.search(r"/admin/trainingclass/inspect/\d+/", page.url) or re.search(
        r"/admin/trainingclass/\d+/", page.url
    )
    expect(page.get_by_text("GY-2026-006").first).to_be_visible()
    screenshot(page, f"home-institution-class-{width}")


def approve(page):
    """Press 批准 on the class page; confirm it if a confirmation step is asked."""
    page.get_by_role("button", name=re.compile("^批准")).first.click()
    page.wait_for_load_state()
    confirm = page.locator("form:has(input[name=confirmed][value='1'])")
    if confirm.count():
        screenshot(page, "home-bureau-approve-confirm")
        confirm.locator("button[type=submit]").click()
        page.wait_for_load_state()


@pytest.mark.parametrize(
    ("page_fixture", "width"), [("desktop_page", 1366), ("phone_page", 390)]
)
def test_bureau_approves_a_class_from_its_home(
    live_server, request, page_fixture, width
):
    demo_seed()
    page = request.getfixturevalue(page_fixture)
    sign_in(page, live_server.url, "bureau_gy", DEMO_PASSWORD)
    panel = page.locator("#home-bureau-classes-section")
    expect(panel.get_by_role("heading", name="待审批的培训班")).to_be_visible()
    expect(panel.get_by_text("1 个培训班").first).to_be_visible()
    expect(panel.get_by_role("link", name=re.compile(WAITING_CLASS))).to_be_visible()
    assert document_width(page) <= width
    screenshot(page, f"home-bureau-{width}")

    panel.get_by_role("link", name=re.compile(WAITING_CLASS)).click()
    page.wait_for_load_state()
    expect(page.get_by_text(WAITING_CLASS).first).to_be_visible()
    approve(page)
    screenshot(page, f"home-bureau-approved-{width}")

    page.goto(live_server.url + "/admin/")
    panel = page.locator("#home-bureau-classes-section")
    expect(panel.get_by_text("没有等待您审批的培训班。")).to_be_visible()
    expect(panel.get_by_text(WAITING_CLASS)).to_have_count(0)
    screenshot(page, f"home-bureau-after-approval-{width}")
