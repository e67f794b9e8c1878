"""Back-office list exports (``?export=xlsx`` / ``?export=csv``): scoped like the list,
formula-like text neutralised, ID numbers masked, queries constant in the row count."""

import csv
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from courses.models import AssessmentResult
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    StudioFactory,
    TraineeFactory,
    TrainingBaseFactory,
    TrainingClassFactory,
    make_id_number,
    region,
    staff_user,
)
from training_platform.roles import Role
from training_platform.viewsets import ScopedIndexView

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-2+3", "\t=1", "\r=1"]


@pytest.fixture
def world():
    a = InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))
    b = InstitutionFactory(name="遵义乙技工学校", region=region("520302"))
    class_a = TrainingClassFactory(
        course=CourseFactory(institution=a, title="电工培训甲"), code="GY-0001"
    )
    class_b = TrainingClassFactory(
        course=CourseFactory(institution=b, title="焊工培训乙"), code="ZY-0001"
    )
    trainees_a = [
        TraineeFactory(name=name, id_number=make_id_number("520102"))
        for name in ["贵阳学员甲", *HOSTILE]
    ]
    for trainee in trainees_a:
        EnrolmentFactory(training_class=class_a, trainee=trainee)
    trainee_b = TraineeFactory(
        name="遵义学员乙",
        id_number=make_id_number("520302"),
        household_region=region("520302"),
    )
    EnrolmentFactory(training_class=class_b, trainee=trainee_b)
    return {
        "a": a,
        "b": b,
        "class_a": class_a,
        "class_b": class_b,
        "trainees_a": trainees_a,
        "trainee_b": trainee_b,
        "inst_a": staff_user(Role.INSTITUTION, institution=a),
        "bureau_gy": staff_user(Role.BUREAU, region_code="520100"),
        "bureau_gz": staff_user(Role.BUREAU, region_code="520000"),
    }


def content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def export(client, user, url_name, fmt, **params):
    client.force_login(user)
    response = client.get(reverse(url_name), {**params, "export": fmt})
    assert response.status_code == 200, response
    return response


def xlsx_rows(response):
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(content(response))).active
    return [list(row) for row in sheet.iter_rows()]


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    text = content(response).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def column(rows, heading):
    index = [cell.value for cell in rows[0]].index(heading)
    return [row[index].value for row in rows[1:]]


def unzipped_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(
            archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
        )


# --- scoping -----------------------------------------------------------------------


@pytest.mark.parametrize("user", ["inst_a", "bureau_gy"])
def test_enrolment_export_holds_only_the_users_rows(client, world, user):
    rows = xlsx_rows(export(client, world[user], "enrolment:index", "xlsx"))
    assert [cell.value for cell in rows[0]] == [
        "姓名",
        "身份证号码",
        "班级编号",
        "培训项目",
        "报名状态",
        "来源",
        "出勤课时",
        "考核成绩",
        "考核结果",
    ]
    assert set(column(rows, "班级编号")) == {"GY-0001"}
    assert len(rows) == 1 + len(world["trainees_a"])
    body = unzipped_text(
        content(export(client, world[user], "enrolment:index", "xlsx"))
    )
    assert "遵义学员乙" not in body
    assert "ZY-0001" not in body


def test_province_bureau_exports_both_and_csv_matches_the_list(client, world):
    rows = csv_rows(export(client, world["bureau_gz"], "enrolment:index", "csv"))
    codes = {row[2] for row in rows[1:]}
    assert codes == {"GY-0001", "ZY-0001"}


def test_trainees_of_a_class_is_the_filtered_enrolment_export(client, world):
    rows = xlsx_rows(
        export(
            client,
            world["bureau_gz"],
            "enrolment:index",
            "xlsx",
            class_code="zy-0001",
        )
    )
    assert column(rows, "姓名") == ["遵义学员乙"]
    assert column(rows, "培训项目") == ["焊工培训乙"]


def test_institution_cannot_export_another_institutions_class(client, world):
    for fmt in ("xlsx", "csv"):
        response = export(
            client, world["inst_a"], "enrolment:index", fmt, class_code="ZY-0001"
        )
        data = content(response)
        if fmt == "xlsx":
            sheet = load_workbook(io.BytesIO(data)).active
            assert sheet.max_row == 1  # the heading only
            data = unzipped_text(data).encode()
        assert "遵义学员乙".encode() not in data
        assert b"ZY-0001" not in data
    rows = xlsx_rows(export(client, world["inst_a"], "trainingclass:index", "xlsx"))
    assert column(rows, "班级编号") == ["GY-0001"]


def test_export_requires_the_list_permission(client, world):
    client.force_login(staff_user(Role.INSTITUTION, institution=world["b"]))
    response = client.get(reverse("enrolment:index"), {"export": "csv"})
    assert response.status_code == 200
    assert "贵阳学员甲" not in content(response).decode()
    client.logout()
    response = client.get(reverse("enrolment:index"), {"export": "csv"})
    assert response.status_code == 302


# --- neutralising ------------------------------------------------------------------


def test_xlsx_neutralises_formula_like_text(client, world):
    rows = xlsx_rows(export(client, world["inst_a"], "enrolment:index", "xlsx"))
    index = [cell.value for cell in rows[0]].index("姓名")
    # XML turns a stored "\r" into "\n" on reading.
    names = {row[index].value.replace("\n", "\r"): row[index] for row in rows[1:]}
    for hostile in HOSTILE:
        cell = names["'" + hostile]
        assert cell.data_type != "f"
    assert "贵阳学员甲" in names
    for row in rows:
        for cell in row:
            assert cell.data_type != "f"


def test_csv_neutralises_formula_like_text(client, world):
    rows = csv_rows(export(client, world["inst_a"], "enrolment:index", "csv"))
    names = [row[0] for row in rows[1:]]
    assert sorted(names) == sorted(["贵阳学员甲", *("'" + h for h in HOSTILE)])
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_choices_and_booleans_export_their_labels(client, world):
    enrolment = world["trainee_b"].enrolments.get()
    enrolment.result = AssessmentResult.choices[0][0]
    enrolment.save(update_fields=["result"])
    rows = xlsx_rows(
        export(
            client, world["bureau_gz"], "enrolment:index", "xlsx", class_code="ZY-0001"
        )
    )
    assert column(rows, "来源") == ["机构花名册导入"]
    assert column(rows, "报名状态") == ["已报名"]
    assert column(rows, "考核结果") == [AssessmentResult.choices[0][1]]
    rows = xlsx_rows(export(client, world["bureau_gz"], "course:index", "xlsx"))
    assert set(column(rows, "补贴性培训")) == {"是"}


# --- personal data -----------------------------------------------------------------


def test_plain_id_numbers_and_phones_never_leave(client, world):
    trainees = [*world["trainees_a"], world["trainee_b"]]
    for url_name in ("enrolment:index", "trainees:index"):
        for fmt in ("xlsx", "csv"):
            response = export(client, world["bureau_gz"], url_name, fmt)
            data = content(response)
            text = unzipped_text(data) if fmt == "xlsx" else data.decode("utf-8")
            for trainee in trainees:
                assert trainee.id_number not in text
                assert trainee.masked_id_number in text
                if url_name == "trainees:index":
                    assert trainee.phone not in text
                    assert trainee.masked_phone in text


# --- every list --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "heading", "own", "other"),
    [
        ("traininginstitution:index", "机构名称", "贵阳甲培训学校", "遵义乙技工学校"),
        ("trainingbase:index", "基地名称", "基地甲", "基地乙"),
        ("skillmasterstudio:index", "工作室名称", "工作室甲", "工作室乙"),
        ("course:index", "项目名称", "电工培训甲", "焊工培训乙"),
        ("trainingclass:index", "班级编号", "GY-0001", "ZY-0001"),
        ("trainees:index", "姓名", "贵阳学员甲", "遵义学员乙"),
    ],
)
def test_every_list_exports_scoped_xlsx_with_chinese_headings(
    client, world, url_name, heading, own, other
):
    TrainingBaseFactory(name="基地甲", host=world["a"])
    TrainingBaseFactory(name="基地乙", host=world["b"])
    StudioFactory(name="工作室甲", host=world["a"])
    StudioFactory(name="工作室乙", host=world["b"])
    rows = xlsx_rows(export(client, world["bureau_gy"], url_name, "xlsx"))
    headings = [cell.value for cell in rows[0]]
    assert all(any("\u4e00" <= c <= "\u9fff" for c in h) for h in headings), headings
    values = column(rows, heading)
    assert own in values
    assert other not in values


# --- queries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "enrolment:index",
        "trainees:index",
        "trainingclass:index",
        "course:index",
        "traininginstitution:index",
        "trainingbase:index",
        "skillmasterstudio:index",
    ],
)
def test_export_queries_do_not_grow_with_rows(
    client, world, url_name, django_assert_max_num_queries
):
    user = world["bureau_gz"]
    client.force_login(user)
    url = reverse(url_name)
    for fmt in ("xlsx", "csv"):
        with CaptureQueriesContext(connection) as few:
            content(client.get(url, {"export": fmt}))
        baseline = len(few)
        for n in range(15):
            institution = InstitutionFactory(region=region("520102"))
            TrainingBaseFactory(host=institution)
            StudioFactory(host=institution)
            EnrolmentFactory(
                training_class=TrainingClassFactory(
                    course=CourseFactory(institution=institution)
                ),
                trainee=TraineeFactory(
                    id_number=make_id_number("520102"), name=f"批量学员{fmt}{n}"
                ),
            )
        with django_assert_max_num_queries(baseline):
            data = content(client.get(url, {"export": fmt}))
        assert data


def test_large_export_reads_in_chunks(client, world, monkeypatch):
    monkeypatch.setattr("training_platform.viewsets._ExportRows.chunk_size", 2)
    rows = xlsx_rows(export(client, world["inst_a"], "enrolment:index", "xlsx"))
    assert len(rows) == 1 + len(world["trainees_a"])
    rows = csv_rows(export(client, world["inst_a"], "enrolment:index", "csv"))
    assert len(rows) == 1 + len(world["trainees_a"])


def test_export_hooks_live_on_the_scoped_index_view():
    from bases.viewsets import InstitutionViewSet
    from courses.viewsets import EnrolmentViewSet, TrainingClassViewSet
    from trainees.viewsets import TraineeViewSet

    for viewset in (
        InstitutionViewSet,
        EnrolmentViewSet,
        TrainingClassViewSet,
        TraineeViewSet,
    ):
        assert issubclass(viewset.index_view_class, ScopedIndexView)
        assert viewset.list_export
