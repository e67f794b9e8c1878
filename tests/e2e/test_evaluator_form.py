"""The evaluator's 认定发证 form in Chromium at 1366×768: the level list follows the
certificate kind and the organisation's filing, and what was typed survives an error."""

import pytest
from playwright.sync_api import expect

from certificates.models import Certificate
from tests.certificates.admin_world import ELECTRICIAN, file_to_evaluate
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    InstitutionFactory,
    TraineeFactory,
    make_id_number,
    region,
    staff_user,
)
from training_platform.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def level_values(page) -> list[str]:
    return page.locator("#id_level option").evaluate_all(
        "options => options.map(o => o.value)"
    )


def test_levels_follow_the_kind_and_the_id_survives_an_error(
    live_server, reference, desktop_page
):
    page = desktop_page
    org = InstitutionFactory(name="贵阳评价中心", region=region("520102"))
    file_to_evaluate(org, max_level="3")
    evaluator = staff_user(Role.EVALUATOR, institution=org)
    id_number = make_id_number("520102")
    person = TraineeFactory(name="刘芳", id_number=id_number)
    sign_in(page, live_server.url, evaluator.username, PASSWORD)
    page.goto(live_server.url + "/admin/certificates/evaluate/")

    page.select_option("#id_occupation", ELECTRICIAN)
    page.select_option("#id_kind", "skill_level")
    # Filed up to 三级: 二级 and 一级 are not offered.
    assert level_values(page) == ["", "5", "4", "3"]
    page.select_option("#id_kind", "special_ability")
    expect(page.locator("#id_level")).to_be_disabled()
    assert level_values(page) == [""]
    page.select_option("#id_kind", "skill_level")
    expect(page.locator("#id_level")).to_be_enabled()

    page.select_option("#id_level", "3")
    page.fill("#id_id_number", id_number)
    page.fill("#id_name", "刘芳芳")  # a typo: nobody with this ID has this name
    page.fill("#id_reason", "2026 年第 5 批评价，成绩合格")
    page.get_by_role("button", name="签发证书").click()
    page.wait_for_load_state()
    expect(page.locator("#id_number-error")).to_contain_text("未找到证件号码与姓名相符")
    expect(page.locator("#id_id_number")).to_have_value(id_number)
    expect(page.locator("#id_name")).to_have_value("刘芳芳")
    assert level_values(page) == ["", "5", "4", "3"]
    expect(page.locator("#id_level")).to_have_value("3")
    screenshot(page, "evaluator-form-error-1366")

    page.fill("#id_name", "刘芳")
    page.get_by_role("button", name="签发证书").click()
    page.wait_for_load_state()
    expect(page.get_by_text("已为刘芳签发职业技能等级证书")).to_be_visible()
    assert Certificate.objects.get(trainee=person).level == "3"
    screenshot(page, "evaluator-form-issued-1366")


def test_decisions_import_previews_people_then_issues(
    live_server, reference, desktop_page, tmp_path
):
    from certificates.evaluation_import import COLUMNS
    from training_platform import pii, xlsx

    page = desktop_page
    org = InstitutionFactory(name="遵义评价中心", region=region("520302"))
    file_to_evaluate(org, max_level="3")
    evaluator = staff_user(Role.EVALUATOR, institution=org)
    people = [
        TraineeFactory(name=name, id_number=make_id_number("520302"))
        for name in ("王强", "李娜", "张伟")
    ]
    rows = [
        [
            p.name,
            p.id_number,
            ELECTRICIAN,
            "职业技能等级证书",
            "四级/中级工",
            "",
            "合格",
        ]
        for p in people
    ]
    path = tmp_path / "认定结果.xlsx"
    path.write_bytes(
        xlsx.write_xlsx([c.header for c in COLUMNS], rows, text_columns={1, 2})
    )
    sign_in(page, live_server.url, evaluator.username, PASSWORD)
    page.goto(live_server.url + "/admin/certificates/evaluate/")
    page.get_by_role("link", name="批量导入认定结果").click()
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state()
    table = page.locator("#evaluation-entries")
    expect(table).to_contain_text("王强")
    expect(table).to_contain_text(pii.mask_id_number(people[0].id_number))
    expect(table).not_to_contain_text(people[0].id_number)
    expect(table).to_contain_text("职业技能等级证书（四级/中级工）")
    screenshot(page, "evaluation-import-preview-1366")
    page.get_by_role("button", name="确认签发 3 张证书").click()
    page.wait_for_load_state()
    expect(page.locator("#evaluation-status")).to_have_text("已导入")
    assert Certificate.objects.filter(trainee__in=people, level="4").count() == 3
    screenshot(page, "evaluation-import-result-1366")
