"""Issue 16 #4: the results form warns when a score and a result disagree (40 with 合格,
60 with 不合格, a score with 缺考) before saving, and has a save button at the top and at
the bottom."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import AssessmentResult, ClassStatus, Enrolment
from tests.courses.test_admin_courses import make_world
from tests.courses.test_admin_results import form_data, results_url
from tests.factories import EnrolmentFactory, TraineeFactory
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


def test_two_save_buttons_top_and_bottom(client, world):
    client.force_login(world["users"]["inst_a"])
    body = client.get(results_url(world["class_a"])).content.decode()
    assert body.count("保存出勤和考核结果</button>") == 2
    top, bottom = (
        body.index('id="results-save-top"'),
        body.index('id="results-save-bottom"'),
    )
    table = body.index('<table class="listing"')
    assert top < table < bottom
    assert 'name="save_anyway"' not in body  # asked only after a disagreement


def test_no_save_buttons_for_viewers(client, world):
    client.force_login(world["users"]["bureau_gy"])
    body = client.get(results_url(world["class_a"])).content.decode()
    assert "保存出勤和考核结果</button>" not in body


@pytest.mark.parametrize(
    ("score", "result", "words"),
    [
        ("40", "passed", "低于 60 分，考核结果却是合格"),
        ("60", "failed", "已达 60 分，考核结果却是不合格"),
        ("60", "absent", "考核结果是缺考，却填了成绩 60 分"),
    ],
)
def test_a_disagreement_is_shown_before_anything_is_saved(
    client, world, score, result, words
):
    first, second, _third = world["rows"]
    client.force_login(world["users"]["inst_a"])
    data = form_data(
        world["rows"],
        {
            first.pk: {"hours": "80", "score": score, "result": result},
            second.pk: {"hours": "80", "score": "90", "result": "passed"},
        },
    )
    response = client.post(results_url(world["class_a"]), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "有 1 名学员的考核成绩与考核结果不一致，本次修改尚未保存" in body
    row = body[body.index(f'id="row-{first.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-warning="1"' in row and words in row
    assert 'data-warning="1"' not in body[body.index(f'id="row-{second.pk}"') :][:200]
    assert body.count('name="save_anyway"') == 2  # beside both buttons
    assert f'name="e{first.pk}-score" value="{score}"' in body  # the input is kept
    assert "本次修改均未保存" not in body  # not an error
    for enrolment in world["rows"]:
        enrolment.refresh_from_db()
        assert enrolment.result == "" and enrolment.attendance_hours == 0
    assert not AuditEvent.objects.exists()

    # Ticked: saved as typed.
    response = client.post(results_url(world["class_a"]), {**data, "save_anyway": "1"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.score, first.result) == (Decimal(score), result)
    second.refresh_from_db()
    assert second.result == AssessmentResult.PASSED


def test_agreeing_rows_save_at_once(client, world):
    first = world["rows"][0]
    client.force_login(world["users"]["inst_a"])
    data = form_data(
        world["rows"], {first.pk: {"hours": "80", "score": "60", "result": "passed"}}
    )
    assert client.post(results_url(world["class_a"]), data).status_code == 302
    first.refresh_from_db()
    assert first.result == AssessmentResult.PASSED


def test_a_stored_disagreement_is_shown_but_does_not_block_other_changes(client, world):
    first, second, _third = world["rows"]
    Enrolment.objects.filter(pk=first.pk).update(
        attendance_hours=80, score=40, result=AssessmentResult.PASSED
    )
    client.force_login(world["users"]["inst_a"])
    body = client.get(results_url(world["class_a"])).content.decode()
    assert "低于 60 分，考核结果却是合格" in body
    data = form_data(world["rows"], {second.pk: {"hours": "70"}})
    assert client.post(results_url(world["class_a"]), data).status_code == 302
    second.refresh_from_db()
    assert second.attendance_hours == Decimal("70")


def test_the_results_page_queries_do_not_grow_with_warnings(client, world):
    client.force_login(world["users"]["inst_a"])
    url = results_url(world["class_a"])
    rows = world["rows"]

    def queries(disagreeing):
        Enrolment.objects.filter(pk__in=[e.pk for e in rows[:disagreeing]]).update(
            attendance_hours=80, score=40, result=AssessmentResult.PASSED
        )
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        return len(ctx.captured_queries)

    queries(0)
    assert queries(1) == queries(3)
