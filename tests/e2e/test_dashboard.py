"""统计监测 in a real headless Chromium: 贵阳市's bureau signs in, opens the dashboard from
its menu, sees its counties, drills into one down to its institutions, and exports a
table as xlsx whose figure is the page's."""

import datetime as dt

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from courses.models import ClassStatus
from tests.e2e.conftest import DESKTOP, screenshot, sign_in
from tests.factories import (
    PASSWORD,
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TrainingClassFactory,
    region,
    staff_user,
)
from training_platform.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def trained(count, code, year, name):
    institution = InstitutionFactory(region=region(code), name=name)
    training_class = TrainingClassFactory(
        course=CourseFactory(institution=institution),
        region=region(code),
        start_date=dt.date(year, 3, 1),
        end_date=dt.date(year, 3, 21),
        status=ClassStatus.FINISHED,
    )
    for _ in range(count):
        EnrolmentFactory(training_class=training_class)


def test_guiyang_bureau_drills_down_and_exports(
    live_server, reference, browser, tmp_path
):
    trained(3, "520102", 2022, "南明区职业技能培训学校")
    trained(2, "520103", 2023, "云岩区职业培训中心")
    trained(5, "520302", 2023, "遵义职业培训学校")  # 遵义: outside 贵阳
    user = staff_user(Role.BUREAU, region_code="520100", username="bureau_gy_e2e")

    context = browser.new_context(
        locale="zh-CN", viewport=DESKTOP, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, user.username, PASSWORD)

    menu = page.locator('a[href="/admin/monitoring/"]').first
    expect(menu).to_have_count(1)
    page.goto(live_server.url + "/admin/monitoring/")
    expect(page.locator("h1")).to_contain_text("统计监测")
    expect(page.locator(".dash-meta")).to_contain_text("统计范围：贵阳市")
    children = page.locator(".dash-children")
    expect(children).to_contain_text("南明区")
    expect(children).not_to_contain_text("遵义")
    vocational = page.locator(
        'table[data-table="overview"] tr', has_text="职业培训"
    ).first
    expect(vocational.locator("td").nth(1)).to_have_text("5")
    screenshot(page, "dashboard-guiyang")

    vocational.locator("th a").click()
    page.wait_for_load_state()
    regions = page.locator('table[data-table="regions"]')
    expect(regions).to_contain_text("南明区")
    nanming = regions.locator("tr", has_text="南明区")
    expect(nanming.locator("td").first).to_have_text("3")
    nanming.locator("th a").click()
    page.wait_for_load_state()
    institutions = page.locator('table[data-table="institutions"]')
    expect(institutions).to_contain_text("南明区职业技能培训学校")
    expect(page.locator(".dash-crumbs")).to_contain_text("贵阳市")
    screenshot(page, "dashboard-nanming")

    with page.expect_download() as download_info:
        page.locator('a.dash-export[data-table="institutions"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("机构", "实际完成")
    assert rows[1][0] == "南明区职业技能培训学校" and int(rows[1][1]) == 3
    context.close()
