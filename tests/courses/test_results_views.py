"""出勤和考核结果导入 in the back-office: template, upload → preview → confirm, error
rows, scoping per role, the background path, summary capping and query counts."""

import io
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import roster_views
from courses.models import (
    AssessmentResult,
    ClassStatus,
    ImportUpload,
    UploadKind,
)
from courses.results_import import RESULT_COLUMNS, enrolment_ref
from tests.courses.test_admin_courses import make_world
from tests.factories import (
    EnrolmentFactory,
    TraineeFactory,
    TrainingClassFactory,
    make_id_number,
)
from training_platform import pii
from training_platform.audit.models import AuditEvent
from training_platform.imports import models as import_models
from training_platform.imports.models import ImportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.ATTENDANCE_THRESHOLD = 0.8  # 80 course hours → at least 64


@pytest.fixture
def world():
    w = make_world()
    cls = w["class_a"]  # course of 80 hours
    cls.status = ClassStatus.RUNNING
    cls.save(update_fields=["status"])
    w["rows"] = [w["enrol_a"]] + [
        EnrolmentFactory(training_class=cls, trainee=TraineeFactory(name=name))
        for name in ("贵阳学员乙", "贵阳学员丙")
    ]
    return w


def results_file(rows, name="出勤和考核结果.xlsx"):
    """A results sheet as a user would fill it: the headers, then the rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([c.header for c in RESULT_COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        name, out.getvalue(), content_type="application/octet-stream"
    )


def line(enrolment, hours="", score="", result=""):
    trainee = enrolment.trainee
    return [
        enrolment_ref(enrolment.training_class_id, enrolment.pk),
        trainee.name,
        trainee.masked_id_number,
        hours,
        score,
        result,
    ]


def stranger(cls, name="某人", n=0):
    """A row whose reference is genuine for the class but names no enrolment of it."""
    return [enrolment_ref(cls.pk, 10**9 + n), name, "", "10", "", ""]


def passed_rows(enrolments):
    return [line(e, "80", "90", "合格") for e in enrolments]


def class_url(name, cls):
    return reverse(name, args=[cls.pk])


def upload_url(name, upload):
    return reverse(name, args=[upload.training_class_id, upload.pk])


def upload_file(client, cls, file, **kwargs):
    return client.post(
        class_url("courses_class_results_upload", cls), {"file": file}, **kwargs
    )


def state(enrolment):
    enrolment.refresh_from_db()
    return (enrolment.attendance_hours, enrolment.score, enrolment.result)


def untouched(enrolments):
    return all(state(e) == (Decimal("0"), None, "") for e in enrolments)


def assert_forbidden(response):
    """Wagtail's admin turns PermissionDenied into a redirect to the dashboard."""
    if response.status_code == 302:
        assert response.headers["Location"] == "/admin/"
    else:
        assert response.status_code == 403


def set_class_status(cls, status):
    cls.status = status
    cls.save(update_fields=["status"])


def sheet_values(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)


# --- template and links --------------------------------------------------------------


def test_template_lists_the_class_enrolments_for_its_staff(client, world):
    client.force_login(world["users"]["inst_a"])
    response = client.get(class_url("courses_class_results_template", world["class_a"]))
    values = sheet_values(response)
    assert "GY-0001" in response["Content-Disposition"]
    assert values[0][:3] == ("报名编号*", "姓名*", "身份证号码")
    assert {v[0] for v in values[1:]} == {
        enrolment_ref(e.training_class_id, e.pk) for e in world["rows"]
    }
    assert {v[2] for v in values[1:]} == {
        e.trainee.masked_id_number for e in world["rows"]
    }
    assert AuditEvent.objects.filter(action="results.template").count() == 1


def test_class_page_links_for_institution_staff_only(client, world):
    cls = world["class_a"]
    inspect = reverse("trainingclass:inspect", args=[cls.pk])
    upload_page = class_url("courses_class_results_upload", cls)
    client.force_login(world["users"]["inst_a"])
    body = client.get(inspect).content.decode()
    assert upload_page in body
    assert "导入花名册" in body  # next to the roster's buttons
    for who in ("bureau_gy", "auditor_gz", "evaluator_a"):
        client.force_login(world["users"][who])
        assert upload_page not in client.get(inspect).content.decode()


def test_finished_class_page_still_offers_the_import(client, world):
    cls = world["class_a"]
    cls.status = ClassStatus.FINISHED
    cls.save(update_fields=["status"])
    inspect = reverse("trainingclass:inspect", args=[cls.pk])
    client.force_login(world["users"]["inst_a"])
    body = client.get(inspect).content.decode()
    assert class_url("courses_class_results_upload", cls) in body
    assert "导入花名册" not in body
    client.force_login(world["users"]["bureau_gy"])
    body = client.get(inspect).content.decode()
    assert class_url("courses_class_results_upload", cls) not in body


def test_results_page_links_to_the_import_for_staff_only(client, world):
    cls = world["class_a"]
    page = class_url("courses_class_results", cls)
    client.force_login(world["users"]["inst_a"])
    body = client.get(page).content.decode()
    assert class_url("courses_class_results_upload", cls) in body
    assert class_url("courses_class_results_template", cls) in body
    client.force_login(world["users"]["auditor_gz"])
    body = client.get(page).content.decode()
    assert class_url("courses_class_results_upload", cls) not in body


# --- upload → preview → confirm -------------------------------------------------------


def test_upload_previews_then_confirm_writes_once(client, world):
    cls, rows = world["class_a"], world["rows"]
    client.force_login(world["users"]["inst_a"])
    page = client.get(class_url("courses_class_results_upload", cls))
    assert "导入出勤和考核结果" in page.content.decode()
    response = upload_file(client, cls, results_file(passed_rows(rows)), follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "出勤和考核结果预览" in body
    assert "确认导入" in body
    assert 'id="results-rows">3<' in body
    assert 'id="results-updated">3<' in body
    assert 'id="results-unchanged">0<' in body
    upload = ImportUpload.objects.get()
    assert upload.kind == UploadKind.RESULTS
    assert upload.status == ImportStatus.PREVIEWED
    assert untouched(rows)  # nothing written yet

    confirm = upload_url("courses_results_confirm", upload)
    assert client.get(confirm).status_code == 405
    body = client.post(confirm, follow=True).content.decode()
    assert "导入完成" in body
    assert 'id="results-updated">3<' in body
    for enrolment in rows:
        assert state(enrolment) == (Decimal("80"), Decimal("90"), "passed")
    upload.refresh_from_db()
    assert upload.status == ImportStatus.DONE
    assert upload.progress == 3
    assert not upload.file  # personal data gone after success
    events = AuditEvent.objects.filter(action="results.import").count()
    assert events == 1

    response = client.post(confirm, follow=True)  # again: nothing changes
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="results.import").count() == events
    assert ImportUpload.objects.get().status == ImportStatus.DONE


def test_the_same_file_again_changes_nothing(client, world):
    cls, rows = world["class_a"], world["rows"]
    client.force_login(world["users"]["inst_a"])
    upload_file(client, cls, results_file(passed_rows(rows)))
    client.post(upload_url("courses_results_confirm", ImportUpload.objects.get()))
    stamps = [e.assessed_at for e in rows if not e.refresh_from_db()]
    body = upload_file(
        client, cls, results_file(passed_rows(rows)), follow=True
    ).content.decode()
    assert 'id="results-updated">0<' in body
    assert 'id="results-unchanged">3<' in body
    second = ImportUpload.objects.latest("pk")
    client.post(upload_url("courses_results_confirm", second))
    second.refresh_from_db()
    assert second.status == ImportStatus.DONE
    assert second.summary["updated"] == 0
    assert [e.assessed_at for e in rows if not e.refresh_from_db()] == stamps


def test_errors_are_shown_nothing_is_written_and_error_rows_download(client, world):
    cls, rows = world["class_a"], world["rows"]
    lines = [
        line(rows[0], "80", "90", "合格"),  # good, but not written alone
        line(rows[1], "40", "", "合格"),  # 50% attendance cannot pass
        stranger(cls),
        line(rows[2], "", "120", ""),
    ]
    client.force_login(world["users"]["inst_a"])
    body = upload_file(client, cls, results_file(lines), follow=True).content.decode()
    assert "确认导入" not in body
    assert "文件有 3 处错误" in body
    assert "不能评为合格" in body
    assert "该学员未报名本培训班。" in body
    assert "考核成绩应在 0 到 100 之间" in body
    assert "下载错误行" in body
    upload = ImportUpload.objects.get()
    response = client.post(upload_url("courses_results_confirm", upload))
    assert response.status_code == 302
    assert response.headers["Location"] == upload_url("courses_results_preview", upload)
    assert untouched(rows)  # all or nothing
    upload.refresh_from_db()
    assert upload.status == ImportStatus.PREVIEWED

    response = client.get(upload_url("courses_results_errors", upload))
    values = sheet_values(response)
    assert quote("出勤和考核结果错误行") in response["Content-Disposition"]
    assert values[0] == (*[c.header for c in RESULT_COLUMNS], "错误说明")
    assert [v[1] for v in values[1:]] == [
        rows[1].trainee.name,
        "某人",
        rows[2].trainee.name,
    ]
    assert values[1][0] == lines[1][0]  # as uploaded, as text
    assert values[1][-1].startswith("考核结果：")
    assert values[2][-1] == "报名编号：该学员未报名本培训班。"
    assert values[3][-1].startswith("考核成绩：")


def test_a_class_that_has_not_started_refuses_the_whole_file(client, world):
    cls = world["class_a"]
    cls.status = ClassStatus.OPEN
    cls.save(update_fields=["status"])
    client.force_login(world["users"]["inst_a"])
    page = client.get(class_url("courses_class_results_upload", cls)).content.decode()
    assert "培训班开班后才能导入出勤和考核结果。" in page
    body = upload_file(
        client, cls, results_file(passed_rows(world["rows"])), follow=True
    ).content.decode()
    assert "不能导入出勤和考核结果" in body
    assert "确认导入" not in body
    upload = ImportUpload.objects.get()
    values = sheet_values(client.get(upload_url("courses_results_errors", upload)))
    assert len(values) == 4  # every row carries the whole-file error


def test_a_non_xlsx_upload_gets_a_chinese_message(client, world):
    client.force_login(world["users"]["inst_a"])
    bad = SimpleUploadedFile("结果.xlsx", b"name,id\n", content_type="text/csv")
    body = upload_file(client, world["class_a"], bad).content.decode()
    assert "文件不是有效的 Excel 工作簿" in body
    assert not ImportUpload.objects.exists()


def test_large_file_is_imported_by_the_background_task(client, world, monkeypatch):
    monkeypatch.setattr(roster_views, "SYNC_ROW_LIMIT", 1)
    cls, rows = world["class_a"], world["rows"]
    client.force_login(world["users"]["inst_a"])
    body = upload_file(
        client, cls, results_file(passed_rows(rows)), follow=True
    ).content.decode()
    assert "后台检查并导入" in body
    assert untouched(rows)
    upload = ImportUpload.objects.get()
    response = client.post(upload_url("courses_results_confirm", upload), follow=True)
    upload.refresh_from_db()
    assert upload.task_id
    assert upload.status == ImportStatus.DONE
    assert upload.progress == upload.row_count == 3
    assert upload.summary["updated"] == 3
    assert state(rows[0]) == (Decimal("80"), Decimal("90"), AssessmentResult.PASSED)
    body = response.content.decode()
    assert 'data-status="done"' in body
    assert 'http-equiv="refresh"' not in body


def test_background_errors_keep_the_file_for_the_error_rows(client, world, monkeypatch):
    monkeypatch.setattr(roster_views, "SYNC_ROW_LIMIT", 1)
    cls, rows = world["class_a"], world["rows"]
    lines = [*passed_rows(rows[:2]), line(rows[2], "", "abc", "")]
    client.force_login(world["users"]["inst_a"])
    upload_file(client, cls, results_file(lines))
    upload = ImportUpload.objects.get()
    body = client.post(
        upload_url("courses_results_confirm", upload), follow=True
    ).content.decode()
    upload.refresh_from_db()
    assert upload.status == ImportStatus.REFUSED
    assert "本次未写入任何数据" in body
    assert "不是数字" in body
    assert untouched(rows)
    values = sheet_values(client.get(upload_url("courses_results_errors", upload)))
    assert len(values) == 2


def test_an_uploader_who_lost_the_role_is_refused_by_the_task(world):
    from courses.tasks import run_upload

    cls = world["class_a"]
    upload = ImportUpload(
        training_class=cls,
        kind=UploadKind.RESULTS,
        uploaded_by=world["users"]["bureau_gy"],
        row_count=3,
        summary={"rows": 3, "errors": []},
    )
    upload.store_file(results_file(passed_rows(world["rows"])))
    upload.save()
    run_upload(upload)
    upload.refresh_from_db()
    assert upload.status == ImportStatus.REFUSED
    assert "只有本机构的工作人员" in upload.summary["message"]
    assert untouched(world["rows"])


# --- scoping --------------------------------------------------------------------------


def _uploaded(client, world):
    client.force_login(world["users"]["inst_a"])
    upload_file(client, world["class_a"], results_file(passed_rows(world["rows"])))
    return ImportUpload.objects.get()


STEPS = ("preview", "result", "errors")


@pytest.mark.parametrize("who", ["inst_b", "bureau_zy"])
def test_outside_the_scope_everything_is_404(client, world, who):
    cls = world["class_a"]
    upload = _uploaded(client, world)
    client.force_login(world["users"][who])
    for name in ("courses_class_results_template", "courses_class_results_upload"):
        assert client.get(class_url(name, cls)).status_code == 404
    post = client.post(
        class_url("courses_class_results_upload", cls),
        {"file": results_file(passed_rows(world["rows"]))},
    )
    assert post.status_code == 404
    for step in STEPS:
        response = client.get(upload_url(f"courses_results_{step}", upload))
        assert response.status_code == 404
    assert client.post(upload_url("courses_results_confirm", upload)).status_code == 404
    assert ImportUpload.objects.count() == 1
    assert ImportUpload.objects.get().status == ImportStatus.PREVIEWED
    assert untouched(world["rows"])


@pytest.mark.parametrize("who", ["bureau_gy", "bureau_gz", "auditor_gz", "evaluator_a"])
def test_roles_that_only_view_the_class_are_refused(client, world, who):
    cls = world["class_a"]
    upload = _uploaded(client, world)
    client.force_login(world["users"][who])
    # The template carries full ID numbers: the class's staff only.
    assert_forbidden(client.get(class_url("courses_class_results_template", cls)))
    upload_page = class_url("courses_class_results_upload", cls)
    assert_forbidden(client.get(upload_page))
    assert_forbidden(
        client.post(upload_page, {"file": results_file(passed_rows(world["rows"]))})
    )
    for step in STEPS:
        assert_forbidden(client.get(upload_url(f"courses_results_{step}", upload)))
    assert_forbidden(client.post(upload_url("courses_results_confirm", upload)))
    assert ImportUpload.objects.count() == 1
    assert ImportUpload.objects.get().status == ImportStatus.PREVIEWED
    assert untouched(world["rows"])
    assert not AuditEvent.objects.filter(action="results.template").exists()


def test_a_roster_upload_is_not_found_under_the_results_urls(client, world):
    upload = _uploaded(client, world)
    ImportUpload.objects.filter(pk=upload.pk).update(kind=UploadKind.ROSTER)
    for step in STEPS:
        response = client.get(upload_url(f"courses_results_{step}", upload))
        assert response.status_code == 404
    assert client.post(upload_url("courses_results_confirm", upload)).status_code == 404
    assert untouched(world["rows"])


# --- summary capping ------------------------------------------------------------------


def test_summary_keeps_the_first_errors_and_the_download_has_them_all(
    client, world, monkeypatch
):
    monkeypatch.setattr(import_models, "SUMMARY_ERRORS_KEPT", 2)
    monkeypatch.setattr(roster_views, "ERRORS_SHOWN", 1)
    cls = world["class_a"]
    strangers = [stranger(cls, f"某人{i}", i) for i in range(5)]
    client.force_login(world["users"]["inst_a"])
    body = upload_file(client, cls, results_file(strangers), follow=True)
    body = body.content.decode()
    upload = ImportUpload.objects.get()
    assert len(upload.summary["errors"]) == 2
    assert upload.summary["error_count"] == upload.error_count == 5
    assert "文件有 5 处错误" in body
    assert 'id="results-errors">5<' in body
    assert "仅列出前 1 条，共 5 条" in body
    values = sheet_values(client.get(upload_url("courses_results_errors", upload)))
    assert [v[1] for v in values[1:]] == [f"某人{i}" for i in range(5)]
    assert all(v[-1] == "报名编号：该学员未报名本培训班。" for v in values[1:])


# --- query counts ---------------------------------------------------------------------


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def _class_with(world, n):
    cls = TrainingClassFactory(
        course=world["course_a"], status=ClassStatus.RUNNING, capacity=100
    )
    return cls, [EnrolmentFactory(training_class=cls) for _ in range(n)]


def _flow_queries(client, cls, lines) -> dict:
    counts = {}
    file = results_file(lines)
    counts["upload"] = _queries(lambda: upload_file(client, cls, file))
    upload = ImportUpload.objects.filter(training_class=cls).latest("pk")
    for step in ("preview", "errors"):
        url = upload_url(f"courses_results_{step}", upload)
        counts[step] = _queries(lambda url=url: client.get(url))
    return counts


def test_query_counts_do_not_grow_with_the_rows(client, world):
    client.force_login(world["users"]["inst_a"])
    small, few = _class_with(world, 3)
    large, many = _class_with(world, 40)
    # One bad row each, so that the error rows can be downloaded.
    _flow_queries(client, small, [*passed_rows(few), stranger(small)])  # warm up
    assert _flow_queries(
        client, small, [*passed_rows(few), stranger(small)]
    ) == _flow_queries(client, large, [*passed_rows(many), stranger(large)])

    def confirm_and_result(cls, enrolments):
        upload_file(client, cls, results_file(passed_rows(enrolments)))
        upload = ImportUpload.objects.filter(training_class=cls).latest("pk")
        confirm = _queries(
            lambda: client.post(upload_url("courses_results_confirm", upload))
        )
        result = _queries(
            lambda: client.get(upload_url("courses_results_result", upload))
        )
        return confirm, result

    assert confirm_and_result(small, few) == confirm_and_result(large, many)


# --- no full ID number leaves in the sheet ----------------------------------------------


def test_the_sheet_carries_no_full_id_number_of_a_self_enrolled_trainee(client, world):
    """Issue 9 #6: staff without reveal permission download the sheet; someone who
    enrolled online never gave the institution their number, and the sheet must not
    either. Every cell of every sheet, and the file's raw XML, are searched."""
    import zipfile

    from courses import services

    cls = world["class_a"]
    set_class_status(cls, ClassStatus.OPEN)
    number = make_id_number("520102", seq=777)
    online = services.enrolment_create(
        trainee=TraineeFactory(name="网上报名学员", id_number=number),
        training_class=cls,
    )
    set_class_status(cls, ClassStatus.RUNNING)
    user = world["users"]["inst_a"]
    assert not user.has_perm("trainees.reveal_pii")
    client.force_login(user)
    response = client.get(class_url("courses_class_results_template", cls))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    everyone = [*world["rows"], online]
    for enrolment in everyone:
        full = enrolment.trainee.id_number
        assert not any(full in text or full[:17] in text for text in cells)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        raw = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    assert all(e.trainee.id_number[:17] not in raw for e in everyone)
    # The person is still on the sheet: by reference, name and masked number.
    row = next(v for v in sheet_values(response) if v[1] == "网上报名学员")
    assert row[0] == enrolment_ref(cls.pk, online.pk)
    assert row[2] == pii.mask_id_number(number) != number


def test_the_downloaded_sheet_filled_in_imports_by_reference(client, world):
    cls, rows = world["class_a"], world["rows"]
    client.force_login(world["users"]["inst_a"])
    response = client.get(class_url("courses_class_results_template", cls))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    for r in book.active.iter_rows(min_row=2):
        r[3].value, r[4].value, r[5].value = 80, 90, "合格"
    out = io.BytesIO()
    book.save(out)
    file = SimpleUploadedFile("结果.xlsx", out.getvalue())
    upload_file(client, cls, file, follow=True)
    upload = ImportUpload.objects.get()
    client.post(upload_url("courses_results_confirm", upload))
    assert all(
        state(e) == (Decimal("80"), Decimal("90"), AssessmentResult.PASSED)
        for e in rows
    )
