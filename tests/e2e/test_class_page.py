"""An institution opens a class: the next step comes first, at 1366 px and on a 390 px
phone; it finishes (结业) a running class through the confirmation page."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import ClassStatus, TrainingClass
from demo.fixtures import DEMO_PASSWORD
from demo.services import demo_seed
from tests.e2e.conftest import DESKTOP, document_width, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RUNNING_CLASS = "GY-2026-006"  # inst_a's electricians, in training


def open_class(page, base_url, cls):
    page.goto(base_url + reverse("trainingclass:inspect", args=[cls.pk]))
    expect(page.locator("#next-steps")).to_be_visible()


def assert_next_step_first(page, viewport_height):
    steps = page.locator("#next-steps")
    box = steps.bounding_box()
    # The section starts on the first screen, above the class's details.
    assert box["y"] < viewport_height
    details = page.get_by_role("heading", name="培训班信息").bounding_box()
    assert box["y"] < details["y"]
    expect(steps.get_by_text("培训结束：不再报名或修改名单")).to_be_visible()


def test_institution_finishes_a_running_class(
    live_server, reference, desktop_page, phone_page
):
    demo_seed()
    cls = TrainingClass.objects.get(code=RUNNING_CLASS)
    assert cls.status == ClassStatus.RUNNING

    # On a phone: the next step is on the first screen too.
    sign_in(phone_page, live_server.url, "inst_a", DEMO_PASSWORD)
    open_class(phone_page, live_server.url, cls)
    assert_next_step_first(phone_page, 844)
    screenshot(phone_page, "class-page-390")

    page = desktop_page
    sign_in(page, live_server.url, "inst_a", DEMO_PASSWORD)
    open_class(page, live_server.url, cls)
    assert_next_step_first(page, DESKTOP["height"])
    steps = page.locator("#next-steps")
    expect(steps.get_by_role("link", name="录入出勤和考核")).to_be_visible()
    expect(steps.get_by_role("button", name="取消培训班")).to_have_count(0)
    assert document_width(page) <= DESKTOP["width"]
    screenshot(page, "class-page-1366")

    # 结业 asks first, saying what follows; nothing has changed yet.
    steps.get_by_role("button", name="结业", exact=True).click()
    expect(page.get_by_text("确定让本班结业吗？")).to_be_visible()
    expect(page.get_by_text("结业后不能再报名或修改名单")).to_be_visible()
    screenshot(page, "class-confirm-1366")
    cls.refresh_from_db()
    assert cls.status == ClassStatus.RUNNING

    page.get_by_role("button", name="确认结业").click()
    expect(page.get_by_text(f"培训班 {RUNNING_CLASS} 已结业。")).to_be_visible()
    expect(page.locator("#status-note")).to_contain_text("已结业")
    cls.refresh_from_db()
    assert cls.status == ClassStatus.FINISHED


def test_bureau_approves_a_filed_class_and_goes_to_the_next(
    live_server, reference, desktop_page
):
    demo_seed()
    cls = TrainingClass.objects.get(code="GY-2026-005")
    assert cls.status == ClassStatus.FILED
    # A second class waiting, filed later.
    TrainingClass.objects.filter(code="GY-2026-010").update(
        status=ClassStatus.FILED, filed_at=timezone.now()
    )
    later = TrainingClass.objects.get(code="GY-2026-010")

    page = desktop_page
    sign_in(page, live_server.url, "bureau_gy", DEMO_PASSWORD)
    page.goto(live_server.url + reverse("trainingclass:inspect", args=[cls.pk]))
    review = page.locator("#review")
    expect(review).to_be_visible()
    expect(review.get_by_text("学时", exact=False).first).to_be_visible()
    expect(review.get_by_text("最高可培训", exact=False)).to_be_visible()
    screenshot(page, "class-approval-1366")

    page.locator("#next-steps").get_by_role("button", name="批准开班").click()
    expect(page.get_by_text("确定批准本班吗？")).to_be_visible()
    page.get_by_role("button", name="确认批准开班").click()
    expect(page.get_by_text("培训班 GY-2026-005 已批准。")).to_be_visible()
    cls.refresh_from_db()
    assert cls.status == ClassStatus.APPROVED

    page.get_by_role("link", name="下一条待办：GY-2026-010").click()
    expect(page.locator("#review")).to_be_visible()
    assert page.url.endswith(reverse("trainingclass:inspect", args=[later.pk]))
