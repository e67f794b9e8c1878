"""Journey 1 (issue 14 #4), visitor → catalogue → sign-up → enrol, in a real headless
Chromium: from the home page a visitor filters the catalogue, opens the course's page,
signs up with their real name (and the SMS code), enrols, and finds the class under
"my classes". Every public page on the way passes axe-core's WCAG 2.1 AA rules."""

import re

import pytest
from playwright.sync_api import expect

from cms.models import CourseIndexPage, CoursePage
from courses.models import ClassStatus, Enrolment
from tests.e2e.conftest import assert_accessible
from tests.factories import (
    CourseFactory,
    InstitutionFactory,
    TrainingClassFactory,
    make_id_number,
    region,
)
from training_platform import sms
from training_platform.reference.models import Occupation

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_visitor_filters_signs_up_enrols_and_sees_my_classes(
    live_server, reference, page
):
    guiyang = InstitutionFactory(name="贵阳电工培训学校", region=region("520102"))
    zunyi = InstitutionFactory(name="遵义茶艺学校", region=region("520302"))
    electrician = TrainingClassFactory(
        code="E2E-GY-1",
        capacity=5,
        course=CourseFactory(institution=guiyang, title="电工四级培训"),
    )
    TrainingClassFactory(
        code="E2E-ZY-1",
        course=CourseFactory(
            institution=zunyi,
            title="茶艺师五级培训",
            occupation=Occupation.objects.get(code="4-03-02-07"),
        ),
    )
    TrainingClassFactory(
        code="E2E-GY-DRAFT",
        status=ClassStatus.DRAFT,
        course=CourseFactory(institution=guiyang, title="草稿班"),
    )

    CourseIndexPage.objects.get().add_child(
        instance=CoursePage(
            title="电工四级培训", slug="dian-gong", course=electrician.course
        )
    )

    # From the home page's menu to the catalogue.
    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.locator('nav[aria-label="主导航"] a[href="/courses/"]').click()
    page.wait_for_url(live_server.url + "/courses/")
    assert_accessible(page)

    # The catalogue lists open classes only; filter to 贵阳市 and subsidised.
    heading = page.get_by_role("heading", name="电工四级培训")
    expect(heading).to_be_visible()
    expect(page.get_by_role("heading", name="茶艺师五级培训")).to_be_visible()
    expect(page.get_by_role("heading", name="草稿班")).to_have_count(0)
    page.get_by_label("培训地区").select_option("520100")
    page.get_by_label("只看补贴性培训").check()
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r".*/courses/\?.*region=520100"))
    expect(page.get_by_role("heading", name="电工四级培训")).to_be_visible()
    expect(page.get_by_role("heading", name="茶艺师五级培训")).to_have_count(0)
    assert_accessible(page)

    # The course's own page lists its open classes.
    page.get_by_role("link", name="电工四级培训", exact=True).click()
    page.wait_for_url("**/courses/dian-gong/")
    expect(page.get_by_role("heading", name="电工四级培训", level=1)).to_be_visible()
    assert_accessible(page)

    # 报名 asks an anonymous visitor to sign in; they register instead.
    page.get_by_role("link", name="报名 电工四级培训 E2E-GY-1").click()
    page.wait_for_url(re.compile(r".*/accounts/login/\?next="))
    assert_accessible(page)
    page.get_by_role("link", name="实名注册").last.click()
    page.wait_for_url(re.compile(r".*/accounts/signup/"))
    assert_accessible(page)
    number = make_id_number("520102")
    page.get_by_label("姓名").fill("王小红")
    page.get_by_label("身份证号码").fill(number[:17] + number[17].lower())
    page.get_by_label("手机号码").fill("139 0000 1234")
    page.get_by_label("用户名").fill("wangxh")
    page.get_by_label("密码", exact=True).fill("Qianjitong-2026!")
    page.get_by_label("确认密码").fill("Qianjitong-2026!")
    page.get_by_role("button", name="下一步").click()

    # The one-time code goes by SMS to the phone typed (a person not on file).
    page.wait_for_url("**/accounts/signup/verify/")
    assert_accessible(page)
    codes = [
        re.search(r"验证码 (\d{6})", m.body).group(1)
        for m in sms.outbox
        if m.to == "13900001234"
    ]
    page.get_by_label("验证码或激活码").fill(codes[-1])
    page.get_by_role("button", name="注册").click()

    # Back at the class, confirm the enrolment.
    page.wait_for_url("**/classes/E2E-GY-1/enrol/")
    assert_accessible(page)
    page.get_by_role("button", name="确认报名").click()
    page.wait_for_url("**/me/")
    expect(page.get_by_text("报名成功")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_text("E2E-GY-1").first).to_be_visible()
    expect(page.get_by_text("电工四级培训").first).to_be_visible()
    # The ID number is never shown in full.
    assert number not in page.content()

    enrolment = Enrolment.objects.get(training_class=electrician)
    assert enrolment.trainee.name == "王小红"
    assert enrolment.source == "self"
    electrician.refresh_from_db()
    assert electrician.seats_taken == 1
