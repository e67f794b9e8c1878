"""A trainee on a 390 px phone: the catalogue with its filters folded, sign-in that comes
back to the page, /me/ as cards with their own name, a certificate, withdrawing with a
confirmation — and nothing scrolls sideways at 360 px. In a real headless Chromium."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from certificates import services as certificate_services
from courses.models import ClassStatus, Enrolment, EnrolmentStatus
from tests.e2e.conftest import (
    NARROW_PHONE,
    PHONE,
    document_width,
    screenshot,
)
from tests.factories import (
    PASSWORD,
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    make_id_number,
    passed_enrolment,
    region,
    staff_user,
)
from training_platform.reference.models import Occupation
from training_platform.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE_NUMBER = "13900001234"


def fits_360(page, what: str) -> None:
    """Nothing scrolls sideways at 360 px (then back to the 390 px phone)."""
    page.set_viewport_size(NARROW_PHONE)
    page.wait_for_timeout(100)
    width = document_width(page)
    page.set_viewport_size(PHONE)
    assert width <= NARROW_PHONE["width"], f"{what} is {width}px wide at 360px"


def build_world():
    """Two open classes (电工, 中式烹调师), a trainee enrolled in the cook class, and a
    certificate from a finished electrician class."""
    school = InstitutionFactory(
        name="贵阳市高级技工学校（清镇职教城校区）电工实训中心", region=region("520102")
    )
    electrician = TrainingClassFactory(
        code="GY-DG-2027-001",
        capacity=40,
        course=CourseFactory(
            institution=school,
            title="电工（四级/中级工）职业技能培训",
            fee=Decimal("1800"),
            subsidised=True,
        ),
    )
    cook = TrainingClassFactory(
        code="ZY-PR-2027-002",
        course=CourseFactory(
            institution=InstitutionFactory(
                name="遵义烹饪学校", region=region("520302")
            ),
            title="中式烹调师（黔菜）四级培训",
            occupation=Occupation.objects.get(code="4-03-02-01"),
            fee=Decimal("2000"),
            subsidised=False,
        ),
    )
    user = UserFactory(username="liufang2027")
    trainee = TraineeFactory(
        name="欧阳晓梅",
        id_number=make_id_number("520102"),
        phone=PHONE_NUMBER,
        user=user,
    )
    enrolment = EnrolmentFactory(trainee=trainee, training_class=cook)
    finished = TrainingClassFactory(
        code="GY-DG-2026-009",
        status=ClassStatus.FINISHED,
        course=electrician.course,
    )
    staff = staff_user(Role.INSTITUTION, institution=school)
    certificate = certificate_services.certificate_issue_for_enrolment(
        actor=staff,
        enrolment=passed_enrolment(training_class=finished, trainee=trainee),
    )
    return electrician, cook, trainee, enrolment, certificate


def test_trainee_on_a_phone(live_server, reference, phone_page, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    electrician, cook, trainee, enrolment, certificate = build_world()
    page = phone_page
    base = live_server.url

    # The catalogue: results first, the filters folded behind one button.
    page.goto(base + "/courses/")
    expect(page.get_by_role("heading", name=electrician.course.title)).to_be_visible()
    summary = page.locator("summary", has_text="筛选条件")
    expect(summary).to_be_visible()
    expect(page.get_by_label("职业（工种）")).to_be_hidden()
    first_result = page.locator(".class-row").first.bounding_box()
    assert first_result["y"] < PHONE["height"], "the first result is below the fold"
    expect(page.get_by_text("学费 1,800.00 元").first).to_be_visible()
    screenshot(page, "catalogue-390")
    fits_360(page, "the catalogue")

    # One tap opens the filters; typing 电工 finds the electrician class only.
    summary.click()
    occupation = page.get_by_label("职业（工种）")
    expect(occupation).to_be_visible()
    occupation.fill("电工")
    screenshot(page, "catalogue-filters-390")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r".*/courses/\?.*occupation="))
    expect(page.get_by_role("heading", name=electrician.course.title)).to_be_visible()
    expect(page.get_by_role("heading", name=cook.course.title)).to_have_count(0)
    expect(page.locator("summary")).to_contain_text("已选 1 项")
    filtered = page.url

    # Signing in from the header comes back to the same filtered list; the field is
    # labelled as sign-up made it, and the phone number works.
    page.get_by_role("link", name="学员登录").click()
    page.wait_for_url(re.compile(r".*/accounts/login/\?next="))
    page.get_by_label("手机号/用户名").fill("139 0000 1234")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(filtered)
    expect(page.get_by_role("link", name="个人中心")).to_be_visible()

    # The enrol page fits the phone and states the price.
    page.get_by_role("link", name=re.compile(f"报名 .*{electrician.code}")).click()
    page.wait_for_url(f"**/classes/{electrician.code}/enrol/")
    expect(page.get_by_text("报名人：欧阳晓梅")).to_be_visible()
    expect(page.get_by_role("button", name="确认报名")).to_be_visible()
    fits_360(page, "the enrol page")

    # /me/: cards, with the trainee's own name in full.
    page.get_by_role("link", name="个人中心").click()
    page.wait_for_url("**/me/")
    expect(page.locator(".person-name")).to_have_text("欧阳晓梅")
    # Two enrolments (the open cook class, the finished electrician one), a certificate.
    expect(page.locator(".record-card")).to_have_count(3)
    assert "table" not in page.locator("main").inner_html()
    screenshot(page, "me-390")
    fits_360(page, "/me/")

    # The certificate page: long number and verification address wrap.
    page.get_by_role("link", name=re.compile("查看与下载")).click()
    page.wait_for_url(f"**/me/certificates/{certificate.token}/")
    expect(page.get_by_text(certificate.number)).to_be_visible()
    expect(page.get_by_text("欧阳晓梅")).to_be_visible()
    screenshot(page, "my-certificate-390")
    fits_360(page, "the certificate page")

    # Withdrawing asks first; cancelling keeps the place, confirming frees it.
    page.goto(base + "/me/")
    page.get_by_role("button", name="退出培训班").click()
    expect(page.get_by_text(f"确定退出培训班 {cook.code}")).to_be_visible()
    screenshot(page, "withdraw-confirm-390")
    fits_360(page, "the withdraw confirmation")
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.ENROLLED
    page.get_by_role("button", name="确认退出").click()
    page.wait_for_url("**/me/")
    expect(page.get_by_text(f"已退出培训班 {cook.code}")).to_be_visible()
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.WITHDRAWN


def test_me_on_a_desktop(live_server, reference, desktop_page, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    build_world()
    # Not conftest.sign_in(admin=False): its first submit button on a public page is the
    # header's language switch.
    desktop_page.goto(live_server.url + "/accounts/login/")
    desktop_page.get_by_label("手机号/用户名").fill("liufang2027")
    desktop_page.get_by_label("密码").fill(PASSWORD)
    desktop_page.get_by_role("button", name="登录").click()
    desktop_page.wait_for_url("**/me/")
    expect(desktop_page.locator(".person-name")).to_have_text("欧阳晓梅")
    screenshot(desktop_page, "me-1366")
    # On a wide screen the catalogue's filters stand open beside the results.
    desktop_page.goto(live_server.url + "/courses/")
    expect(desktop_page.get_by_label("职业（工种）")).to_be_visible()
    expect(desktop_page.locator("summary", has_text="筛选条件")).to_be_hidden()
