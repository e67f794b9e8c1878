"""Self-service enrolment and withdrawal on the public site."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from courses.models import ClassStatus, Enrolment, EnrolmentSource, EnrolmentStatus
from courses.services import enrolment_create
from tests.factories import (
    EnrolmentFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainee(db):
    return TraineeFactory(
        id_number=make_id_number("520102", birth=dt.date(1995, 6, 1)),
        user=UserFactory(),
    )


@pytest.fixture
def signed_in(client, trainee):
    client.force_login(trainee.user)
    return client


def enrol_url(cls):
    return f"/classes/{cls.code}/enrol/"


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_urls_are_stable():
    assert reverse("class_enrol", args=["DEMO-001"]) == "/classes/DEMO-001/enrol/"
    assert reverse("enrolment_withdraw", args=[7]) == "/me/enrolments/7/withdraw/"


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client):
    cls = TrainingClassFactory()
    response = client.get(enrol_url(cls))
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/accounts/login/?next=/classes/{cls.code}/enrol/"
    )
    assert client.post(enrol_url(cls)).status_code == 302
    assert not Enrolment.objects.exists()


def test_get_shows_the_class_and_a_confirm_button(signed_in):
    cls = TrainingClassFactory(capacity=30)
    body = signed_in.get(enrol_url(cls)).content.decode()
    assert cls.code in body
    assert cls.course.title in body
    assert cls.course.institution.name in body
    assert "30 / 30" in body
    assert "确认报名" in body


def test_enrol_success_takes_a_seat_and_goes_to_me(signed_in, trainee):
    cls = TrainingClassFactory(capacity=30)
    response = signed_in.post(enrol_url(cls))
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/"
    cls.refresh_from_db()
    assert cls.seats_taken == 1
    enrolment = Enrolment.objects.get(trainee=trainee, training_class=cls)
    assert enrolment.source == EnrolmentSource.SELF
    page = signed_in.get("/me/").content.decode()
    assert "报名成功" in page
    assert cls.code in page


def test_full_class_says_so(signed_in):
    cls = TrainingClassFactory(capacity=1)
    EnrolmentFactory(training_class=cls)
    response = signed_in.post(enrol_url(cls))
    assert response.status_code == 200
    assert "该培训班名额已满" in response.content.decode()
    cls.refresh_from_db()
    assert cls.seats_taken == 1


def test_a_full_class_says_so_before_the_confirm_button(signed_in):
    cls = TrainingClassFactory(capacity=1)
    EnrolmentFactory(training_class=cls)
    body = signed_in.get(enrol_url(cls)).content.decode()
    assert "本班名额已满，不能再报名" in body
    assert "确认报名" not in body
    assert f"/courses/?occupation={cls.course.occupation.code}" in body


def test_the_enrol_page_names_the_trainee_and_the_price(signed_in, trainee):
    cls = TrainingClassFactory(
        course__fee=Decimal("1800"), course__subsidised=True, capacity=5
    )
    body = signed_in.get(enrol_url(cls)).content.decode()
    assert f"报名人：{trainee.name}（{trainee.masked_id_number}）" in body
    assert "学费 <strong>1,800.00 元</strong>" in body
    assert "补贴金额由人社部门核定" in body


def test_a_fee_course_without_subsidy_and_a_free_one_say_what_is_paid(signed_in):
    paid = TrainingClassFactory(course__fee=Decimal("900"), course__subsidised=False)
    body = signed_in.get(enrol_url(paid)).content.decode()
    assert "学费 <strong>900.00 元</strong>，由个人支付" in body
    free = TrainingClassFactory(course__fee=Decimal("0"))
    assert "免费：个人支付 0 元" in signed_in.get(enrol_url(free)).content.decode()


@pytest.mark.parametrize("status", [ClassStatus.RUNNING, ClassStatus.FINISHED])
def test_closed_class_says_so(signed_in, status):
    cls = TrainingClassFactory(status=status)
    page = signed_in.get(enrol_url(cls)).content.decode()
    assert "确认报名" not in page
    response = signed_in.post(enrol_url(cls))
    assert response.status_code == 200
    assert "该培训班当前不接受报名" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_already_enrolled_says_so(signed_in, trainee):
    cls = TrainingClassFactory()
    enrolment_create(trainee=trainee, training_class=cls)
    assert "您已报名该培训班" in signed_in.get(enrol_url(cls)).content.decode()
    response = signed_in.post(enrol_url(cls))
    assert response.status_code == 200
    assert "您已报名该培训班，无需重复报名" in response.content.decode()
    cls.refresh_from_db()
    assert cls.seats_taken == 1


def test_under_sixteen_at_the_start_is_not_eligible(client):
    cls = TrainingClassFactory()
    birth = cls.start_date.replace(year=cls.start_date.year - 15)
    young = TraineeFactory(
        id_number=make_id_number("520102", birth=birth), user=UserFactory()
    )
    client.force_login(young.user)
    response = client.post(enrol_url(cls))
    assert response.status_code == 200
    assert "报名者在开班时须年满16周岁" in response.content.decode()
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize(
    "status", [ClassStatus.DRAFT, ClassStatus.FILED, ClassStatus.REJECTED]
)
def test_classes_not_yet_approved_are_not_public(signed_in, status):
    cls = TrainingClassFactory(status=status)
    assert signed_in.get(enrol_url(cls)).status_code == 404
    assert signed_in.post(enrol_url(cls)).status_code == 404


def test_unknown_class_is_a_404(signed_in):
    assert signed_in.get("/classes/NO-SUCH/enrol/").status_code == 404


def test_account_without_a_record_is_asked_to_complete_real_name(client):
    client.force_login(UserFactory())
    cls = TrainingClassFactory()
    response = client.post(enrol_url(cls))
    assert response.status_code == 200
    body = response.content.decode()
    assert "报名前请先完成实名登记" in body
    assert f"/accounts/signup/?next=/classes/{cls.code}/enrol/" in body
    assert not Enrolment.objects.exists()


def test_withdraw_asks_for_confirmation_first(signed_in, trainee):
    cls = TrainingClassFactory(capacity=1, code="ASK-1")
    enrolment = enrolment_create(trainee=trainee, training_class=cls)
    url = reverse("enrolment_withdraw", args=[enrolment.pk])
    response = signed_in.post(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "确定退出培训班 ASK-1" in body
    assert "名额会释放给其他学员" in body
    assert 'name="confirmed" value="1"' in body
    assert f'action="{url}"' in body
    assert 'href="/me/#record-enrolments"' in body
    assert "确认退出" in body
    enrolment.refresh_from_db()
    cls.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert cls.seats_taken == 1


def test_withdraw_frees_the_seat(signed_in, trainee):
    cls = TrainingClassFactory(capacity=1)
    enrolment = enrolment_create(trainee=trainee, training_class=cls)
    response = signed_in.post(
        reverse("enrolment_withdraw", args=[enrolment.pk]), {"confirmed": "1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/"
    assert any("名额已释放" in m for m in _messages(response))
    enrolment.refresh_from_db()
    cls.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.WITHDRAWN
    assert cls.seats_taken == 0
    # The seat is free again: someone else can take it.
    other = TraineeFactory()
    enrolment_create(trainee=other, training_class=cls)


def test_withdraw_after_the_class_started_is_refused_with_a_message(signed_in, trainee):
    enrolment = EnrolmentFactory(
        trainee=trainee, training_class__status=ClassStatus.RUNNING
    )
    response = signed_in.post(reverse("enrolment_withdraw", args=[enrolment.pk]))
    assert response.status_code == 302
    assert any("不能在线退出" in m for m in _messages(response))
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED


def test_withdrawing_twice_is_answered_not_crashed(signed_in, trainee):
    enrolment = EnrolmentFactory(trainee=trainee)
    url = reverse("enrolment_withdraw", args=[enrolment.pk])
    signed_in.post(url, {"confirmed": "1"})
    response = signed_in.post(url, {"confirmed": "1"})
    assert response.status_code == 302
    assert any("您已退出该培训班" in m for m in _messages(response))


def test_another_persons_enrolment_is_a_404(signed_in):
    theirs = EnrolmentFactory()
    response = signed_in.post(reverse("enrolment_withdraw", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == EnrolmentStatus.ENROLLED
    assert theirs.training_class.seats_taken == 1


def test_withdraw_needs_post_and_a_record(client, signed_in, trainee):
    enrolment = EnrolmentFactory(trainee=trainee)
    url = reverse("enrolment_withdraw", args=[enrolment.pk])
    assert signed_in.get(url).status_code == 405
    client.force_login(UserFactory())
    assert client.post(url).status_code == 404
    client.logout()
    assert client.post(url).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED


def test_enrol_page_query_count_is_fixed(signed_in, django_assert_max_num_queries):
    cls = TrainingClassFactory()
    signed_in.get(enrol_url(cls))
    with django_assert_max_num_queries(6):
        assert signed_in.get(enrol_url(cls)).status_code == 200
