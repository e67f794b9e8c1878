"""Issue 16 #4 in Chromium at 1366×768: the roster preview names each person and the
sample row; the results form warns before saving a score that disagrees with its result;
screenshots saved as artifacts."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from courses.models import ClassStatus
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
