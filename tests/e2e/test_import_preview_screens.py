"""Issue 16 #4 in Chromium at 1366×768: the roster preview names each person and the
sample row; the results form warns before saving a score that disagrees with its result;
screenshots saved as artifacts. Journey 2 of issue 14 #4 (institution → roster upload →
preview → confirm) is test_institution_uploads_previews_and_confirms_a_roster."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from courses.models import ClassStatus, Enrolment
from courses.roster import roster_template
from tests.e2e.conftest import document_width, screenshot, sign_in
from tests.factories import (
    PASSWORD,
    EnrolmentFactory,
    TraineeFactory,
    TrainingClassFactory,
    make_id_number,
    staff_user,
)
from training_platform.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_roster_preview_and_results_warning(
    live_server, reference, desktop_page, tmp_path
):
    cls = TrainingClassFactory(status=ClassStatus.OPEN, capacity=50)
    staff = staff_user(Role.INSTITUTION, institution=cls.course.institution)
    page = desktop_page
    sign_in(page, live_server.url, staff.username, PASSWORD)

    book = openpyxl.load_workbook(io.BytesIO(roster_template()))  # sample row kept
    book.active.append(["王小明", make_id_number("520102", seq=11), "13900000011"])
    book.active.append(["李四", make_id_number("520102", seq=12), "123"])
    path = tmp_path / "花名册.xlsx"
    book.save(path)
    page.goto(f"{live_server.url}/admin/courses/class/{cls.pk}/roster/upload/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="上传并预览").click()
    people = page.locator("#roster-people")
    expect(people.locator("[data-outcome=skipped]")).to_contain_text("示例行，已跳过")
    expect(people.locator("[data-outcome=created]")).to_contain_text("王小明")
    expect(people.locator("[data-outcome=error]")).to_contain_text("李四")
    assert document_width(page) <= 1366
    screenshot(page, "roster-preview-desktop")
    people.scroll_into_view_if_needed()
    screenshot(page, "roster-preview-people-desktop")

    cls.status = ClassStatus.RUNNING
    cls.save(update_fields=["status"])
    enrolment = EnrolmentFactory(
        training_class=cls, trainee=TraineeFactory(name="赵六")
    )
    page.goto(f"{live_server.url}/admin/courses/class/{cls.pk}/results/")
    page.fill(f"#id_e{enrolment.pk}-hours", "80")
    page.fill(f"#id_e{enrolment.pk}-score", "40")
    page.select_option(f"#id_e{enrolment.pk}-result", "passed")
    page.locator("#results-save-top button").click()
    expect(page.locator(f"#row-{enrolment.pk}")).to_contain_text("考核结果却是合格")
    screenshot(page, "results-form-warning-desktop")
    page.locator("#id_save_anyway_bottom").check()
    page.locator("#results-save-bottom button").click()
    expect(page.get_by_text("已保存 1 名学员的出勤和考核结果")).to_be_visible()


def test_institution_uploads_previews_and_confirms_a_roster(
    live_server, reference, desktop_page, tmp_path
):
    cls = TrainingClassFactory(status=ClassStatus.OPEN, capacity=50)
    staff = staff_user(Role.INSTITUTION, institution=cls.course.institution)
    page = desktop_page
    sign_in(page, live_server.url, staff.username, PASSWORD)

    # From the class's page: the template, filled in, then 导入花名册.
    page.goto(live_server.url + reverse("trainingclass:inspect", args=[cls.pk]))
    with page.expect_download() as download:
        page.get_by_role("link", name="下载花名册模板").click()
    # Its sample row kept (the download is saved without its .xlsx name).
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    people = [("王小明", 21), ("李小红", 22), ("杨光", 23)]
    for name, seq in people:
        book.active.append([name, make_id_number("520102", seq=seq), f"139000000{seq}"])
    path = tmp_path / "花名册.xlsx"
    book.save(path)
    page.get_by_role("link", name="导入花名册").first.click()
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="上传并预览").click()

    # The preview: the sample row skipped, each person to be enrolled; nothing saved yet.
    listed = page.locator("#roster-people")
    expect(listed.locator("[data-outcome=skipped]")).to_contain_text("示例行，已跳过")
    expect(listed.locator("[data-outcome=created]")).to_have_count(3)
    for name, _ in people:
        expect(listed).to_contain_text(name)
    assert not Enrolment.objects.filter(training_class=cls).exists()

    # Confirmed: the import runs and the class lists the three people.
    page.get_by_role("button", name=re.compile(r"^确认导入 \d+ 行$")).click()
    expect(page.locator("#roster-status")).to_have_attribute("data-status", "done")
    screenshot(page, "roster-imported-desktop")
    page.locator("#roster-view-class").click()
    page.wait_for_url("**" + reverse("trainingclass:inspect", args=[cls.pk]) + "**")
    taken = page.locator("dt", has_text="已报名人数").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(taken).to_have_text("3")
    assert sorted(
        Enrolment.objects.filter(training_class=cls).values_list(
            "trainee__name", flat=True
        )
    ) == sorted(name for name, _ in people)
