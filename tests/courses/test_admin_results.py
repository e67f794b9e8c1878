"""出勤与考核: the per-class attendance and assessment screen, saved all or nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from courses.models import AssessmentResult, ClassStatus, EnrolmentStatus
from tests.courses.test_admin_courses import make_world
from tests.factories import (
    EnrolmentFactory,
    TraineeFactory,
    TrainingClassFactory,
)
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


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


def results_url(cls):
    return reverse("courses_class_results", args=[cls.pk])


def form_data(rows, changes=None):
    """The form as the browser sends it: every row with its current values, plus
    ``changes`` keyed by enrolment: {pk: {"hours": ..., "score": ..., "result": ...}}."""
    data = {}
    for enrolment in rows:
        enrolment.refresh_from_db()
        values = {
            "hours": str(enrolment.attendance_hours),
            "score": "" if enrolment.score is None else str(enrolment.score),
            "result": enrolment.result,
            **(changes or {}).get(enrolment.pk, {}),
        }
        for name, value in values.items():
            data[f"e{enrolment.pk}-{name}"] = value
    return data


def test_lists_active_enrolments_with_masked_ids(client, world):
    gone = EnrolmentFactory(
        training_class=world["class_a"],
        trainee=TraineeFactory(name="已退出学员"),
        status=EnrolmentStatus.WITHDRAWN,
    )
    client.force_login(world["users"]["inst_a"])
    body = client.get(results_url(world["class_a"])).content.decode()
    for enrolment in world["rows"]:
        assert enrolment.trainee.name in body
        assert enrolment.trainee.masked_id_number in body
        assert enrolment.trainee.id_number not in body
        assert f'name="e{enrolment.pk}-hours"' in body
    assert "已退出学员" not in body
    assert f"e{gone.pk}-" not in body


def test_valid_rows_are_saved_through_the_services(client, world):
    first, second, third = world["rows"]
    client.force_login(world["users"]["inst_a"])
    data = form_data(
        world["rows"],
        {
            first.pk: {"hours": "80", "score": "91.5", "result": "passed"},
            second.pk: {"hours": "40", "score": "52", "result": "failed"},
        },
    )
    response = client.post(results_url(world["class_a"]), data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).content.decode()
    assert "已保存 2 名学员的出勤和考核结果" in page
    for enrolment in world["rows"]:
        enrolment.refresh_from_db()
    assert (first.attendance_hours, first.score, first.result) == (
        Decimal("80"),
        Decimal("91.5"),
        AssessmentResult.PASSED,
    )
    assert second.result == AssessmentResult.FAILED
    assert second.attendance_hours == Decimal("40")
    assert third.result == "" and third.attendance_hours == 0  # untouched
    actions = sorted(AuditEvent.objects.values_list("action", flat=True))
    assert actions == ["enrolment.assessment"] * 2 + ["enrolment.attendance"] * 2


def test_a_pass_without_enough_attendance_saves_nothing(client, world):
    first, second, third = world["rows"]
    client.force_login(world["users"]["inst_a"])
    data = form_data(
        world["rows"],
        {
            first.pk: {"hours": "80", "result": "passed"},
            second.pk: {"hours": "40", "result": "passed"},  # 50% < 80%
            third.pk: {"hours": "100"},  # more than the course's 80 hours
        },
    )
    response = client.post(results_url(world["class_a"]), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "出勤不足80%，不能评为合格" in body
    assert "出勤课时应在 0 到 80 之间" in body
    assert "本次修改均未保存" in body
    # The user's input is kept for correction.
    assert f'name="e{second.pk}-hours" value="40"' in body
    for enrolment in world["rows"]:
        enrolment.refresh_from_db()
        assert enrolment.attendance_hours == 0
        assert enrolment.result == ""
    assert not AuditEvent.objects.exists()


def test_malformed_input_is_refused_per_row(client, world):
    first = world["rows"][0]
    client.force_login(world["users"]["inst_a"])
    data = form_data(world["rows"], {first.pk: {"hours": "abc"}})
    response = client.post(results_url(world["class_a"]), data)
    assert response.status_code == 200
    assert "出勤课时" in response.content.decode()
    first.refresh_from_db()
    assert first.attendance_hours == 0


def test_nothing_changed_saves_nothing(client, world):
    client.force_login(world["users"]["inst_a"])
    response = client.post(results_url(world["class_a"]), form_data(world["rows"]))
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_another_institutions_class_is_not_found(client, world):
    client.force_login(world["users"]["inst_b"])
    url = results_url(world["class_a"])
    assert client.get(url).status_code == 404
    first = world["rows"][0]
    data = form_data(world["rows"], {first.pk: {"hours": "80"}})
    assert client.post(url, data).status_code == 404
    first.refresh_from_db()
    assert first.attendance_hours == 0


@pytest.mark.parametrize("who", ["bureau_gy", "auditor_gz", "evaluator_a"])
def test_reviewers_see_results_read_only(client, world, who):
    first = world["rows"][0]
    client.force_login(world["users"][who])
    url = results_url(world["class_a"])
    body = client.get(url).content.decode()
    assert first.trainee.name in body
    assert f'name="e{first.pk}-hours"' not in body
    response = client.post(url, form_data(world["rows"], {first.pk: {"hours": "8"}}))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    first.refresh_from_db()
    assert first.attendance_hours == 0


def test_results_wait_until_the_class_has_started(client, world):
    cls = world["class_b"]  # filed
    client.force_login(world["users"]["inst_b"])
    body = client.get(results_url(cls)).content.decode()
    assert "培训班开班后才能录入出勤和考核结果" in body
    assert 'name="e' not in body


def test_results_query_count_does_not_grow_with_enrolments(
    client, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cls = TrainingClassFactory(course=world["course_a"], status=ClassStatus.RUNNING)
    for _ in range(2):
        EnrolmentFactory(training_class=cls)
    client.force_login(world["users"]["inst_a"])
    url = results_url(cls)
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(15):
        EnrolmentFactory(training_class=cls)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url).content.decode()
    assert body.count('-hours" value=') == 17
