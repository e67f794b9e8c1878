"""Issue 16 #4: a certificate batch says who was left out and why (the issuing rules:
passed, enough attendance, one certificate per fact), on the issue page before and on
the batch page after, and offers the class's certificates PDF once done."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates.models import IssueBatch, IssueBatchStatus
from courses.models import AssessmentResult
from tests.certificates.admin_world import issue_url, passed
from tests.factories import EnrolmentFactory, TraineeFactory, TrainingClassFactory

pytestmark = pytest.mark.django_db


def batch_page(client, user, cls, kind="training"):
    client.force_login(user)
    response = client.post(issue_url(cls), {"kind": kind})
    assert response.status_code == 302
    batch = IssueBatch.objects.filter(training_class=cls).latest("pk")
    assert batch.status == IssueBatchStatus.DONE, batch.summary
    return client.get(response.headers["Location"]).content.decode(), batch


def left_out_table(body, table_id):
    start = body.index(f'id="{table_id}"')
    return body[start : body.index("</table>", start)]


def test_the_batch_page_lists_who_was_left_out_and_why(client, world, big_class):
    body, batch = batch_page(client, world["users"]["inst_a"], big_class)
    assert "未发证的学员（共 3 人）" in body
    table = left_out_table(body, "batch-left-out")
    assert "不合格学员</td>" in table and "考核不合格" in table
    assert "出勤不足学员</td>" in table and "出勤不足（40 课时，至少 64 课时）" in table
    assert "合格学员0</td>" in table and "已有证书（此前已签发）" in table
    # Those the batch issued to are not left out.
    assert "合格学员1" not in table and "合格学员2" not in table
    assert table.count("<tr>") == 4  # the header and three people
    pdf = reverse("certificates_class_pdf", args=[big_class.pk])
    assert f'href="{pdf}"' in body and "下载本班证书 PDF" in body
    # ID numbers masked.
    for enrolment in big_class.enrolments.select_related("trainee"):
        assert enrolment.trainee.id_number not in body
        if enrolment.trainee.name == "不合格学员":
            assert enrolment.trainee.masked_id_number in table


def test_the_pdf_link_downloads_the_class_certificates(client, world, big_class):
    body, _batch = batch_page(client, world["users"]["inst_a"], big_class)
    response = client.get(reverse("certificates_class_pdf", args=[big_class.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_unassessed_and_absent_have_their_own_reasons(client, world):
    cls = TrainingClassFactory(course=world["course_a"], code="GY-0009")
    passed(cls, "合格学员")
    EnrolmentFactory(training_class=cls, trainee=TraineeFactory(name="未考学员"))
    EnrolmentFactory(
        training_class=cls,
        trainee=TraineeFactory(name="缺考学员"),
        attendance_hours=Decimal(80),
        result=AssessmentResult.ABSENT,
    )
    client.force_login(world["users"]["inst_a"])
    body = client.get(issue_url(cls)).content.decode()
    table = left_out_table(body, "left-out-training")
    assert "未考学员</td>" in table and "未录入考核结果" in table
    assert "缺考学员</td>" in table and "缺考" in table
    assert "合格学员" not in table.replace("不合格", "")


def test_the_issue_page_lists_who_will_not_get_a_certificate(client, world, big_class):
    client.force_login(world["users"]["inst_a"])
    body = client.get(issue_url(big_class)).content.decode()
    assert "不发培训合格证书的学员（共 3 人）" in body
    table = left_out_table(body, "left-out-training")
    assert "已持有该证书" in table and "考核不合格" in table and "出勤不足" in table


def test_names_are_masked_for_an_evaluator(client, world, big_class):
    body, _batch = batch_page(
        client, world["users"]["evaluator_a"], big_class, kind="skill_level"
    )
    table = left_out_table(body, "batch-left-out")
    assert "不合格学员" not in table and "不****" in table
    assert "考核不合格" in table


def test_nobody_left_out(client, world):
    cls = TrainingClassFactory(course=world["course_a"], code="GY-0010")
    passed(cls, "合格学员")
    body, _batch = batch_page(client, world["users"]["inst_a"], cls)
    assert "未发证的学员（共 0 人）" in body
    assert 'id="batch-left-out-none"' in body


def test_the_batch_page_queries_do_not_grow_with_the_people(client, world):
    user = world["users"]["inst_a"]

    def queries(n, code):
        cls = TrainingClassFactory(course=world["course_a"], code=code, capacity=200)
        passed(cls, "合格学员")
        for i in range(n):
            passed(cls, f"出勤不足{i}", hours=10)
            EnrolmentFactory(
                training_class=cls, trainee=TraineeFactory(name=f"未考{i}")
            )
        _body, batch = batch_page(client, user, cls)
        counts = []
        for url in (reverse("certificates_batch", args=[batch.pk]), issue_url(cls)):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    queries(1, "GY-0011")
    assert queries(1, "GY-0012") == queries(25, "GY-0013")
