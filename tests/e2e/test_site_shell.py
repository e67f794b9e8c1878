"""A visitor reaches the home page, switches language, and a trainee signs in."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, TraineeFactory, UserFactory

# live_server needs committed data; serialized_rollback restores what migrations made
# (home page, site, role groups) for the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_visitor_browses_home_switches_to_english_and_trainee_signs_in(
    live_server, page, reference
):
    user = UserFactory(username="xiaoming")
    TraineeFactory(user=user, name="小明")

    page.goto(live_server.url + "/")
    assert "黔技通" in page.title()
    expect(page.get_by_role("link", name="培训课程", exact=True)).to_be_visible()

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    expect(page.get_by_role("link", name="Courses", exact=True)).to_be_visible()
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()

    page.get_by_role("link", name="学员登录").click()
    page.get_by_label("用户名").fill("xiaoming")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名或密码不正确")).to_be_visible()

    page.get_by_label("用户名").fill("xiaoming")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Signed in from the home page: to their own page, with 个人中心 in the header.
    page.wait_for_url(live_server.url + "/me/")
    expect(page.get_by_role("link", name="个人中心")).to_be_visible()
    expect(page.get_by_text("小明", exact=True)).to_be_visible()


def test_bureau_staff_signs_in_and_sees_masked_trainees_of_their_region(
    live_server, page, reference
):
    from tests.factories import make_id_number, region, staff_user
    from training_platform.roles import Role

    number = make_id_number("520102")
    TraineeFactory(name="贵阳学员", id_number=number)
    TraineeFactory(name="遵义学员", household_region=region("520302"))
    staff_user(Role.BUREAU, region_code="520100", username="gy_staff")

    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "gy_staff")
    page.fill("#id_password", PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/trainees/")
    table = page.locator("table.listing")
    table.wait_for()
    text = table.inner_text()
    assert "贵阳学员" in text
    assert "遵义学员" not in text
    assert number[:2] + "*" * 14 + number[-2:] in text
    assert number not in text
