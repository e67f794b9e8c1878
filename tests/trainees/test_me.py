"""/me/: the signed-in trainee's own area, built from record sources."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import ClassStatus
from tests.factories import (
    EnrolmentFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    make_id_number,
    staff_user,
)
from trainees import records
from trainees.extensions import record_sources
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

URL = "/me/"


@pytest.fixture
def trainee(db):
    return TraineeFactory(
        name="张三丰",
        id_number=make_id_number("520102", birth=dt.date(1990, 5, 1)),
        phone="13812345678",
        user=UserFactory(),
    )


def test_me_url_is_stable():
    assert reverse("me") == URL


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=/me/"


def test_shows_the_person_their_own_name_and_the_numbers_masked(client, trainee):
    # Their own page: the name in full (issue 16); the ID number and phone stay masked.
    client.force_login(trainee.user)
    body = client.get(URL).content.decode()
    assert "张三丰" in body
    assert "张**" not in body
    assert trainee.masked_id_number in body
    assert trainee.id_number not in body
    assert "138****5678" in body
    assert "13812345678" not in body


def test_lists_only_own_enrolments(client, trainee):
    mine = EnrolmentFactory(trainee=trainee, training_class__code="MINE-001")
    EnrolmentFactory(training_class__code="OTHER-001")
    EnrolmentFactory(
        training_class=TrainingClassFactory(code="OTHER-002"),
        trainee=TraineeFactory(),
    )
    client.force_login(trainee.user)
    body = client.get(URL).content.decode()
    assert "我的培训班" in body
    assert "MINE-001" in body
    assert mine.training_class.course.title in body
    assert mine.training_class.course.institution.name in body
    assert "OTHER-001" not in body
    assert "OTHER-002" not in body


def test_withdraw_button_only_while_the_class_has_not_started(client, trainee):
    open_one = EnrolmentFactory(trainee=trainee, training_class__code="OPEN-1")
    running = EnrolmentFactory(
        trainee=trainee,
        training_class__code="RUN-1",
        training_class__status=ClassStatus.RUNNING,
    )
    client.force_login(trainee.user)
    body = client.get(URL).content.decode()
    assert reverse("enrolment_withdraw", args=[open_one.pk]) in body
    assert reverse("enrolment_withdraw", args=[running.pk]) not in body


def test_empty_record_invites_to_the_catalogue(client, trainee):
    client.force_login(trainee.user)
    body = client.get(URL).content.decode()
    assert "您还没有报名任何培训班" in body


def test_query_count_does_not_grow_with_enrolments(
    client, trainee, django_assert_max_num_queries
):
    EnrolmentFactory.create_batch(2, trainee=trainee)
    client.force_login(trainee.user)
    client.get(URL)  # warm caches (content types, site)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    EnrolmentFactory.create_batch(15, trainee=trainee)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.content.decode().count('class="record-card"') == 17


def test_staff_without_a_record_are_pointed_to_the_back_office(client):
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "工作人员账号" in body
    assert 'href="/admin/"' in body


def test_account_without_a_record_is_asked_to_complete_real_name(client):
    client.force_login(UserFactory())
    body = client.get(URL).content.decode()
    assert "请先完成实名登记" in body
    assert 'href="/accounts/signup/"' in body


def test_record_for_collects_every_registered_source(trainee):
    seen = []

    def provider(person):
        seen.append(person)
        return [records.RecordEntry(date=dt.date(2025, 3, 1), title="世赛选拔")]

    awards = records.RecordSource("test_awards", "竞赛成绩", provider, order=50)
    with record_sources.register_temporarily(awards):
        record = records.record_for(trainee)
    assert seen == [trainee]
    names = [section.name for section in record.sections]
    assert names.index("enrolments") < names.index("test_awards")
    section = record.section("test_awards")
    assert section.title == "竞赛成绩"
    assert section.template == records.GENERIC_SECTION_TEMPLATE
    assert [entry.title for _s, entry in record.timeline()] == ["世赛选拔"]


def test_generic_sections_render_on_me(client, trainee):
    awards = records.RecordSource(
        "test_awards",
        "竞赛成绩",
        lambda person: [
            records.RecordEntry(date=dt.date(2025, 3, 1), title="电工赛项 一等奖")
        ],
    )
    client.force_login(trainee.user)
    with record_sources.register_temporarily(awards):
        body = client.get(URL).content.decode()
    assert "竞赛成绩" in body
    assert "电工赛项 一等奖" in body
    assert "2025-03-01" in body
