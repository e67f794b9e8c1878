"""认定结果导入: a spreadsheet of evaluation decisions, previewed person by person and
issued in one go through the same service (and rules) as the single form."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bases.models import InstitutionOccupation
from certificates.evaluation_import import COLUMNS, EVALUATION_IMPORT
from certificates.models import Certificate, EvaluationUpload
from tests.certificates.admin_world import (
    ELECTRICIAN,
    assert_denied,
    file_to_evaluate,
    login,
)
from tests.factories import InstitutionFactory, TraineeFactory, region, staff_user
from training_platform import pii, xlsx
from training_platform.audit.models import AuditEvent
from training_platform.imports.models import ImportStatus
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]
REASON = "2026 年第 5 批评价，成绩合格"


def row(
    person,
    *,
    name=None,
    occupation=ELECTRICIAN,
    kind="职业技能等级证书",
    level="三级/高级工",
):
    return [
        person.name if name is None else name,
        person.id_number,
        occupation,
        kind,
        level,
        "",
        REASON,
    ]


def sheet(rows) -> SimpleUploadedFile:
    content = xlsx.write_xlsx(HEADERS, rows, text_columns={1, 2})
    return SimpleUploadedFile(
        "认定结果.xlsx",
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def upload(client, rows) -> EvaluationUpload:
    response = client.post(
        reverse("certificates_evaluation_upload"), {"file": sheet(rows)}
    )
    assert response.status_code == 302, response.content.decode()
    job = EvaluationUpload.objects.latest("pk")
    assert response.headers["Location"] == reverse(
        "certificates_evaluation_preview", args=[job.pk]
    )
    return job


def people(n, prefix="考生"):
    return [TraineeFactory(name=f"{prefix}{chr(0x7532 + i)}") for i in range(n)]


@pytest.fixture
def evaluator(client, world):
    client.force_login(world["users"]["evaluator_a"])
    return world["users"]["evaluator_a"]


def test_preview_lists_each_person_then_confirm_issues_them(client, world, evaluator):
    persons = people(3)
    special = TraineeFactory(name="专项考生")
    rows = [row(p) for p in persons] + [row(special, kind="专项职业能力证书", level="")]
    job = upload(client, rows)
    assert job.organisation == world["a"] and job.summary["issued"] == 4

    response = client.get(reverse("certificates_evaluation_preview", args=[job.pk]))
    body = response.content.decode()
    entries = response.context["entries"]
    assert [e.name for e in entries] == [p.name for p in [*persons, special]]
    assert entries[0].id_masked == pii.mask_id_number(persons[0].id_number)
    assert entries[0].certificate == "职业技能等级证书（三级/高级工）"
    assert entries[3].certificate == "专项职业能力证书"
    assert {e.outcome for e in entries} == {"将签发"}
    assert persons[0].id_number not in body  # masked on the page
    assert pii.mask_id_number(persons[0].id_number) in body
    assert "确认签发 4 张证书" in body
    assert not Certificate.objects.filter(trainee__in=[*persons, special]).exists()

    response = client.post(reverse("certificates_evaluation_confirm", args=[job.pk]))
    assert response.headers["Location"] == reverse(
        "certificates_evaluation_result", args=[job.pk]
    )
    issued = Certificate.objects.filter(trainee__in=[*persons, special])
    assert issued.count() == 4
    assert {c.trainee for c in issued} == {*persons, special}
    assert all(c.issuer == world["a"] and c.basis == "evaluation" for c in issued)
    assert all("第 5 批评价" in c.basis_note for c in issued)
    assert issued.get(trainee=special).level == ""
    assert {c.level for c in issued.exclude(trainee=special)} == {"3"}
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and not job.file
    assert job.summary["issued"] == 4
    assert AuditEvent.objects.filter(action="certificate.issue").count() >= 4
    body = client.get(
        reverse("certificates_evaluation_result", args=[job.pk])
    ).content.decode()
    assert "签发完成" in body and "4 张" in body

    # Confirming again changes nothing; the same decisions again issue nothing new.
    client.post(reverse("certificates_evaluation_confirm", args=[job.pk]))
    again = upload(client, rows)
    assert again.summary["issued"] == 0 and again.summary["already_issued"] == 4
    client.post(reverse("certificates_evaluation_confirm", args=[again.pk]))
    assert issued.count() == 4


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        # What the form refuses, the file refuses, with the same words.
        ({"level": "二级/技师"}, "等级", "未备案该职业（工种）二级/技师的评价资格"),
        ({"kind": "专项职业能力证书"}, "等级", "专项职业能力证书不分等级"),
        ({"level": ""}, "等级", "须选择等级"),
        ({"level": "特级技师"}, "等级", "无法识别"),
        ({"kind": "培训合格证书"}, "证书类别", "无法识别"),
        ({"name": "别人"}, "身份证号码", "未找到身份证号码与姓名相符的人员"),
        ({"occupation": "6-18-02-04"}, "职业编码", "未备案该职业（工种）的评价资格"),
        ({"occupation": "9-99-99-99"}, "职业编码", "不在国家职业分类大典中"),
    ],
)
def test_a_decision_the_form_refuses_is_refused_in_the_file(
    client, world, evaluator, changes, column, message
):
    good, bad = people(2, prefix="文件考生")
    job = upload(client, [row(good), row(bad, **changes)])
    errors = job.summary["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, column)]
    assert message in errors[0]["message"]

    response = client.get(reverse("certificates_evaluation_preview", args=[job.pk]))
    body = response.content.decode()
    entries = response.context["entries"]
    assert entries[0].outcome == "将签发" and not entries[0].errors
    assert message in entries[1].errors[0]
    assert "确认签发" not in body and "下载错误行" in body

    # All or nothing: nothing is issued while any row is wrong.
    response = client.post(reverse("certificates_evaluation_confirm", args=[job.pk]))
    assert response.headers["Location"] == reverse(
        "certificates_evaluation_preview", args=[job.pk]
    )
    assert not Certificate.objects.filter(trainee__in=[good, bad]).exists()

    download = client.get(reverse("certificates_evaluation_errors", args=[job.pk]))
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    values = list(book.active.values)
    assert values[0][-1] == "错误说明"
    assert len(values) == 2 and values[1][1] == bad.id_number
    assert message in values[1][-1]


def test_a_duplicate_decision_in_the_file_is_an_error(client, world, evaluator):
    (person,) = people(1)
    job = upload(client, [row(person), row(person)])
    assert [e["row"] for e in job.summary["errors"]] == [3]
    assert "与第 2 行的认定重复" in job.summary["errors"][0]["message"]


def test_the_template_downloads_and_its_sample_row_is_skipped(client, world, evaluator):
    response = client.get(reverse("certificates_evaluation_template"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    values = list(book.active.values)
    assert values[0][0] == "姓名*" and "认定理由*" in values[0]
    assert values[1][0] == "张三" and values[1][2] == ELECTRICIAN
    (person,) = people(1)
    job = upload(client, [list(values[1]), row(person)])
    assert job.row_count == 1 and job.summary["issued"] == 1


def test_the_preview_query_count_does_not_grow_with_rows(client, world, evaluator):
    small = upload(client, [row(p) for p in people(2, prefix="少")])
    large = upload(client, [row(p) for p in people(8, prefix="多")])

    def queries(job):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                reverse("certificates_evaluation_preview", args=[job.pk])
            )
        assert response.status_code == 200
        assert len(response.context["entries"]) == job.row_count
        return len(captured)

    assert queries(large) == queries(small)


@pytest.mark.parametrize("who", ["inst_a", "bureau_gy", "auditor_gz", "trainee"])
def test_only_evaluators_may_import(client, world, who):
    login(client, world, who)
    assert_denied(client.get(reverse("certificates_evaluation_upload")))
    assert_denied(client.get(reverse("certificates_evaluation_template")))
    (person,) = people(1)
    assert_denied(
        client.post(
            reverse("certificates_evaluation_upload"), {"file": sheet([row(person)])}
        )
    )
    assert not EvaluationUpload.objects.exists()


def test_the_menu_offers_the_import_to_filed_evaluators_only(client, world):
    import_url = reverse("certificates_evaluation_upload")
    for who, shown in [
        ("evaluator_a", True),
        ("evaluator_b", False),
        ("inst_a", False),
    ]:
        client.force_login(world["users"][who])
        assert (import_url in client.get("/admin/").content.decode()) is shown, who


def test_an_unfiled_evaluation_organisation_may_not_import(client, world):
    client.force_login(world["users"]["evaluator_b"])  # B is filed for nothing
    response = client.get(reverse("certificates_evaluation_upload"))
    assert response.status_code == 403
    assert "已备案评价资格" in response.content.decode()


def test_another_organisations_evaluator_cannot_see_the_upload(
    client, world, evaluator
):
    (person,) = people(1)
    job = upload(client, [row(person)])
    other = InstitutionFactory(name="另一评价机构", region=region("520102"))
    file_to_evaluate(other)
    client.force_login(staff_user(Role.EVALUATOR, institution=other))
    for step in ("preview", "result", "errors"):
        url = reverse(f"certificates_evaluation_{step}", args=[job.pk])
        assert client.get(url).status_code == 404
    response = client.post(reverse("certificates_evaluation_confirm", args=[job.pk]))
    assert response.status_code == 404
    assert not Certificate.objects.filter(trainee=person).exists()


def test_a_row_the_service_refuses_at_issue_rolls_the_whole_file_back(world):
    """The plan passed, then the filing changed: the service refuses the third row at
    issue, and the two it had issued are rolled back with it."""
    evaluator = world["users"]["evaluator_a"]
    persons = people(3, prefix="回滚")
    levels = ["四级/中级工", "四级/中级工", "三级/高级工"]
    rows = [
        (number, dict(zip([c.key for c in COLUMNS], row(p, level=level), strict=True)))
        for number, (p, level) in enumerate(zip(persons, levels, strict=True), start=2)
    ]
    plan = EVALUATION_IMPORT.plan(target=world["a"], rows=rows)
    assert not plan.errors and len(plan.valid) == 3
    InstitutionOccupation.objects.filter(institution=world["a"]).update(max_level="4")

    summary = EVALUATION_IMPORT.apply(plan=plan, actor=evaluator)
    assert summary["issued"] == 0
    assert [e["row"] for e in summary["errors"]] == [4]
    assert "三级/高级工的评价资格" in summary["errors"][0]["message"]
    assert not Certificate.objects.filter(trainee__in=persons).exists()
