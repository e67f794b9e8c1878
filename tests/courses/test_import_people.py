"""Issue 16 #4: import previews say who, not only how many.

Each row of a roster or results file is listed with the person (name as the class's
staff see it, ID number always masked) and what confirming will do to them; the
template's sample row is named as skipped; results rows whose score and result disagree
carry a warning (not an error); the full list downloads as xlsx; the page is bounded and
its query count does not grow with the rows."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import roster_views
from courses.models import ClassStatus, Enrolment, EnrolmentStatus, ImportUpload
from courses.results_import import (
    RESULT_COLUMNS,
    enrolment_ref,
    score_result_disagreement,
)
from courses.roster import SAMPLE_ROW, roster_template
from tests.courses.test_admin_courses import make_world
from tests.courses.test_roster_views import bad_rows, fill_template, good_rows
from tests.factories import (
    EnrolmentFactory,
    TraineeFactory,
    TrainingClassFactory,
    make_id_number,
)
from training_platform import pii
from training_platform.imports.kinds import PlannedRow, RowError, error_details
from training_platform.imports.models import ImportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.ATTENDANCE_THRESHOLD = 0.8  # 80 course hours → at least 64


@pytest.fixture
def world():
    w = make_world()
    cls = w["class_a"]
    cls.status = ClassStatus.OPEN
    cls.capacity = 500
    cls.save(update_fields=["status", "capacity"])
    return w


def upload_url(name, upload):
    return reverse(name, args=[upload.training_class_id, upload.pk])


def preview(client, cls, file, prefix="roster"):
    response = client.post(
        reverse(f"courses_class_{prefix}_upload", args=[cls.pk]),
        {"file": file},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode(), ImportUpload.objects.latest("pk")


def with_sample(rows):
    """The platform's template as downloaded, sample row kept, rows added below it."""
    book = openpyxl.load_workbook(io.BytesIO(roster_template()))
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("花名册.xlsx", out.getvalue())


def row_html(body, prefix, number):
    start = body.index(f'id="{prefix}-row-{number}"')
    return body[start : body.index("</tr>", start)]


# --- the pipeline's generic part ---------------------------------------------------------


def test_error_details_join_each_rows_errors():
    errors = [
        RowError(3, "姓名", "请填写姓名。"),
        RowError(3, "", "名额已满"),
        RowError(5, "", "x"),
    ]
    assert error_details(errors) == {3: "姓名：请填写姓名。；名额已满", 5: "x"}
    assert PlannedRow(2, "张三", "created").detail == ""


# --- roster ------------------------------------------------------------------------------


def test_roster_preview_names_each_person_and_what_happens(client, world):
    cls = world["class_a"]
    enrolled = world["enrol_a"].trainee  # already in the class
    known = TraineeFactory(name="已有学员丁", id_number=make_id_number("520102", seq=7))
    withdrawn = EnrolmentFactory(
        training_class=cls,
        trainee=TraineeFactory(name="退出学员戊", id_number=make_id_number(seq=8)),
        status=EnrolmentStatus.WITHDRAWN,
    ).trainee
    new_id = make_id_number("520102", seq=301)
    bad_id = make_id_number("520102", seq=302)
    rows = [
        ["新学员甲", new_id, "13900000001", "", "", ""],
        [enrolled.name, enrolled.id_number, "13900000002", "", "", ""],
        [known.name, known.id_number, "13900000003", "", "", ""],
        [withdrawn.name, withdrawn.id_number, "13900000004", "", "", ""],
        ["坏行学员", bad_id, "123", "", "", ""],  # bad phone
    ]
    client.force_login(world["users"]["inst_a"])
    body, upload = preview(client, cls, with_sample(rows))

    # The sample row (row 2) is named as skipped, neither imported nor an error.
    sample = row_html(body, "roster", 2)
    assert 'data-outcome="skipped"' in sample
    assert "示例行，已跳过" in sample and SAMPLE_ROW["name"] in sample
    assert 'id="roster-skipped">1<' in body
    assert 'id="roster-errors">1<' in body

    created = row_html(body, "roster", 3)
    assert 'data-outcome="created"' in created and "新学员甲" in created
    assert pii.mask_id_number(new_id) in created
    assert 'data-outcome="already"' in row_html(body, "roster", 4)
    assert 'data-outcome="matched"' in row_html(body, "roster", 5)
    assert "已有学员丁" in row_html(body, "roster", 5)
    assert "恢复报名" in row_html(body, "roster", 6)
    error = row_html(body, "roster", 7)
    assert 'data-outcome="error"' in error and "坏行学员" in error
    assert "手机号码：" in error
    assert pii.mask_id_number(bad_id) in error
    # No full ID number on the page, and none kept in the job row.
    for number in (new_id, bad_id, enrolled.id_number, known.id_number):
        assert number not in body
        assert number not in str(upload.summary)
    assert "新学员甲" not in str(upload.summary)
    assert 'id="roster-people-download"' in body
    # The sample row is never imported.
    assert not Enrolment.objects.filter(trainee__name=SAMPLE_ROW["name"]).exists()


def test_the_sample_row_alone_is_still_an_empty_file(client, world):
    client.force_login(world["users"]["inst_a"])
    response = client.post(
        reverse("courses_class_roster_upload", args=[world["class_a"].pk]),
        {"file": with_sample([])},
    )
    assert "文件中没有学员数据" in response.content.decode()
    assert not ImportUpload.objects.exists()


def test_a_long_list_is_cut_on_the_page_and_complete_in_the_download(
    client, world, monkeypatch
):
    monkeypatch.setattr(roster_views, "PEOPLE_SHOWN", 3)
    client.force_login(world["users"]["inst_a"])
    rows = good_rows(5) + bad_rows(2)
    body, upload = preview(client, world["class_a"], fill_template(rows))
    assert body.count('data-outcome="') == 3
    assert "共 7 行，仅列出前 3 行" in body
    assert "另有 4 行未在此列出" in body

    response = client.get(upload_url("courses_roster_people", upload))
    assert response.status_code == 200
    values = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert values[0] == ("行号", "姓名", "证件号码", "处理结果", "说明", "提示")
    assert len(values) == 8
    assert [v[3] for v in values[1:]].count("新建学员并报名") == 5
    assert [v[3] for v in values[1:]].count("有错误") == 2
    text = str(values)
    for row in rows:
        if len(str(row[1])) == 18:
            assert row[1] not in text  # ID numbers masked in the file too


def test_the_people_download_is_for_the_class_staff_only(client, world):
    client.force_login(world["users"]["inst_a"])
    _body, upload = preview(client, world["class_a"], fill_template(good_rows(2)))
    url = upload_url("courses_roster_people", upload)
    client.force_login(world["users"]["inst_b"])
    assert client.get(url).status_code == 404
    client.force_login(world["users"]["bureau_gy"])
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert not response.get("Content-Type", "").startswith("application/vnd")


def test_no_people_download_once_imported(client, world):
    client.force_login(world["users"]["inst_a"])
    _body, upload = preview(client, world["class_a"], fill_template(good_rows(2)))
    client.post(upload_url("courses_roster_confirm", upload))
    upload.refresh_from_db()
    assert upload.status == ImportStatus.DONE
    assert client.get(upload_url("courses_roster_people", upload)).status_code == 404


def test_roster_preview_queries_do_not_grow_with_the_people(client, world):
    cls = world["class_a"]
    client.force_login(world["users"]["inst_a"])

    def queries(rows):
        _body, upload = preview(client, cls, fill_template(rows))
        counts = []
        for name in ("courses_roster_preview", "courses_roster_people"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(upload_url(name, upload)).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    queries(good_rows(1))  # warm caches up
    assert queries(good_rows(1)) == queries(good_rows(80) + bad_rows(20))


# --- results -----------------------------------------------------------------------------


def test_disagreements_between_score_and_result():
    assert "低于 60 分" in score_result_disagreement(40, "passed")
    assert "不合格" in score_result_disagreement(60, "failed")
    assert "缺考" in score_result_disagreement(60, "absent")
    assert "缺考" in score_result_disagreement(0, "absent")
    assert score_result_disagreement(60, "passed") == ""
    assert score_result_disagreement(59.5, "failed") == ""
    assert score_result_disagreement(None, "absent") == ""
    assert score_result_disagreement(80, "") == ""


def results_file(rows):
    book = openpyxl.Workbook()
    book.active.append([c.header for c in RESULT_COLUMNS])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("出勤和考核结果.xlsx", out.getvalue())


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


@pytest.fixture
def running(world):
    cls = world["class_a"]
    cls.status = ClassStatus.RUNNING
    cls.save(update_fields=["status"])
    names = ("结果学员乙", "结果学员丙", "结果学员丁")
    return [world["enrol_a"]] + [
        EnrolmentFactory(training_class=cls, trainee=TraineeFactory(name=n))
        for n in names
    ]


def test_results_preview_says_what_changes_from_what_and_warns(client, world, running):
    a, b, c, d = running
    Enrolment.objects.filter(pk=c.pk).update(
        attendance_hours=70, score=88, result="passed"
    )
    lines = [
        line(a, "80", "90", "合格"),  # changes
        line(b, "80", "40", "合格"),  # changes, disagrees: a warning, not an error
        line(c, "70", "88", "合格"),  # as stored
        line(d, "80", "60", "缺考"),  # a score with 缺考: warned
        [enrolment_ref(world["class_a"].pk, 10**9), "某人", "", "10", "", ""],
    ]
    client.force_login(world["users"]["inst_a"])
    body, upload = preview(client, world["class_a"], results_file(lines), "results")
    assert 'id="results-errors">1<' in body
    assert 'id="results-warnings">2<' in body
    changed = row_html(body, "results", 2)
    assert 'data-outcome="changed"' in changed and a.trainee.name in changed
    assert "出勤课时 0 → 80" in changed and "考核成绩 — → 90" in changed
    assert "考核结果 — → 合格" in changed and "data-warning" not in changed
    warned = row_html(body, "results", 3)
    assert 'data-outcome="changed"' in warned and "data-warning" in warned
    assert "低于 60 分" in warned
    same = row_html(body, "results", 4)
    assert 'data-outcome="unchanged"' in same and "考核成绩 88" in same
    assert "缺考，却填了成绩 60 分" in row_html(body, "results", 5)
    error = row_html(body, "results", 6)
    assert 'data-outcome="error"' in error and "某人" in error
    assert a.trainee.id_number not in body
    assert a.trainee.masked_id_number in changed


def test_results_warnings_do_not_stop_the_import(client, world, running):
    a = running[0]
    client.force_login(world["users"]["inst_a"])
    _body, upload = preview(
        client, world["class_a"], results_file([line(a, "80", "40", "合格")]), "results"
    )
    body = client.post(
        upload_url("courses_results_confirm", upload), follow=True
    ).content.decode()
    assert "导入完成" in body and 'id="results-view-all"' in body
    a.refresh_from_db()
    assert (a.score, a.result) == (40, "passed")


def test_results_preview_queries_do_not_grow_with_the_people(client, world):
    client.force_login(world["users"]["inst_a"])

    def queries(n):
        cls = TrainingClassFactory(
            course=world["course_a"], status=ClassStatus.RUNNING, capacity=200
        )
        enrolments = [EnrolmentFactory(training_class=cls) for _ in range(n)]
        _body, upload = preview(
            client,
            cls,
            results_file([line(e, "80", "40", "合格") for e in enrolments]),
            "results",
        )
        counts = []
        for name in ("courses_results_preview", "courses_results_people"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(upload_url(name, upload)).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    queries(1)
    assert queries(1) == queries(40)
