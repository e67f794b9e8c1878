"""The class page puts the next step first; consequential steps ask first (confirm.py);
the approver sees what to weigh and the next class waiting."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import ClassStatus, TrainingClass
from tests.courses.test_admin_courses import make_world
from tests.factories import EnrolmentFactory, passed_enrolment
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

# (who, status the class is in, action it offers them)
OFFERED = [
    ("inst_a", ClassStatus.DRAFT, "file"),
    ("bureau_gy", ClassStatus.FILED, "approve"),
    ("bureau_gy", ClassStatus.FILED, "reject"),
    ("inst_a", ClassStatus.APPROVED, "open"),
    ("inst_a", ClassStatus.OPEN, "start"),
    ("inst_a", ClassStatus.RUNNING, "finish"),
    ("inst_a", ClassStatus.OPEN, "cancel"),
]


@pytest.fixture
def world():
    return make_world()


def action_url(cls, action):
    return reverse("courses_class_transition", args=[cls.pk, action])


def inspect(cls):
    return reverse("trainingclass:inspect", args=[cls.pk])


def set_status(cls, status):
    TrainingClass.objects.filter(pk=cls.pk).update(status=status)
    cls.refresh_from_db()


@pytest.mark.parametrize(("who", "status", "action"), OFFERED)
def test_an_unconfirmed_post_asks_first_and_changes_nothing(
    client, world, who, status, action
):
    cls = world["class_a"]
    set_status(cls, status)
    client.force_login(world["users"][who])
    response = client.post(action_url(cls, action), {"reason": "场地证明缺失"})
    assert response.status_code == 200
    page = response.content.decode()
    # The confirmation page re-posts the same form with confirmed=1, to the same URL.
    assert f'action="{action_url(cls, action)}"' in page
    assert 'name="confirmed" value="1"' in page
    assert "确认" in page and inspect(cls) in page  # 确认… and 取消 back to the class
    cls.refresh_from_db()
    assert cls.status == status
    assert not AuditEvent.objects.filter(action=f"class.{action}").exists()


def test_the_confirmation_says_what_follows_and_confirming_does_it(client, world):
    cls = world["class_a"]
    set_status(cls, ClassStatus.RUNNING)
    client.force_login(world["users"]["inst_a"])
    page = client.post(action_url(cls, "finish")).content.decode()
    assert "确定让本班结业吗" in page
    assert "结业后不能再报名或修改名单" in page
    assert "确认结业" in page
    response = client.post(action_url(cls, "finish"), {"confirmed": "1"})
    assert response.headers["Location"] == inspect(cls)
    cls.refresh_from_db()
    assert cls.status == ClassStatus.FINISHED


def test_a_return_carries_its_reason_through_the_confirmation(client, world):
    cls = world["class_a"]
    client.force_login(world["users"]["bureau_gy"])
    page = client.post(
        action_url(cls, "reject"), {"reason": "开班时间与场地冲突"}
    ).content.decode()
    assert "退回原因：开班时间与场地冲突" in page
    assert 'name="reason" value="开班时间与场地冲突"' in page
    # Without a reason there is nothing to confirm: the refusal comes at once.
    response = client.post(action_url(cls, "reject"), {"reason": " "})
    assert response.status_code == 302
    assert "请填写退回原因" in client.get(inspect(cls)).content.decode()
    cls.refresh_from_db()
    assert cls.status == ClassStatus.FILED


def test_an_action_not_offered_is_refused_without_a_confirmation(client, world):
    cls = world["class_a"]  # filed: the institution may not start it
    client.force_login(world["users"]["inst_a"])
    response = client.post(action_url(cls, "start"))
    assert response.status_code == 302
    assert "不能开班" in client.get(inspect(cls)).content.decode()


def section(page, start, end):
    return page[page.index(start) : page.index(end, page.index(start))]


@pytest.mark.parametrize(
    ("who", "status", "first", "explained"),
    [
        ("inst_a", ClassStatus.DRAFT, "提交备案", "提交给人社部门审批，审批前不能招生"),
        ("inst_a", ClassStatus.APPROVED, "开放报名", "网上培训目录"),
        ("inst_a", ClassStatus.RUNNING, "录入出勤和考核", "出勤学时和考核结果"),
        ("bureau_gy", ClassStatus.FILED, "批准开班", "机构随后可以招生"),
    ],
)
def test_the_next_step_comes_first_with_its_explanation(
    client, world, who, status, first, explained
):
    cls = world["class_a"]
    set_status(cls, status)
    client.force_login(world["users"][who])
    page = client.get(inspect(cls)).content.decode()
    steps = section(page, 'id="next-steps"', "</section>")
    assert page.index('id="next-steps"') < page.index("培训班信息")
    assert first in steps and explained in steps
    labels = ["提交备案", "批准开班", "开放报名", "录入出勤和考核", "开班", "结业"]
    shown = [label for label in labels if f">{label}<" in steps]
    assert shown[0] == first
    if status == ClassStatus.RUNNING:
        assert "取消培训班" not in steps  # a running class is not cancelled


def test_a_class_taking_enrolments_offers_no_certificates(client, world):
    cls = world["class_a"]
    set_status(cls, ClassStatus.OPEN)
    passed_enrolment(training_class=cls)
    client.force_login(world["users"]["inst_a"])
    page = client.get(inspect(cls)).content.decode()
    assert "为本班发证" not in page
    assert reverse("certificates_class_issue", args=[cls.pk]) not in page


def test_issuing_is_shown_disabled_with_the_reason_until_someone_passed(client, world):
    cls = world["class_a"]
    set_status(cls, ClassStatus.FINISHED)
    client.force_login(world["users"]["inst_a"])
    steps = section(
        client.get(inspect(cls)).content.decode(), 'id="next-steps"', "</section>"
    )
    assert "为本班发证" in steps and "disabled" in steps
    assert "本班还没有考核合格且出勤达标的学员" in steps
    assert reverse("certificates_class_issue", args=[cls.pk]) not in steps
    passed_enrolment(training_class=cls)
    steps = section(
        client.get(inspect(cls)).content.decode(), 'id="next-steps"', "</section>"
    )
    assert reverse("certificates_class_issue", args=[cls.pk]) in steps
    assert "disabled" not in steps


def test_the_approver_sees_what_to_weigh(client, world):
    cls = world["class_a"]
    course = cls.course
    client.force_login(world["users"]["bureau_gy"])
    page = client.get(inspect(cls)).content.decode()
    review = section(page, 'id="review"', "</section>")
    days = (cls.end_date - cls.start_date).days + 1
    assert f"{course.hours} 学时" in review
    assert f"共 {days} 天" in review
    assert f"{course.fee:,.2f} 元" in review
    assert "补贴性培训" in review
    assert world["a"].get_status_display() in review
    assert "最高可培训" in review  # A is filed to train 电工
    assert "近一年办班" in review
    # The institution does not approve: no review panel for it.
    client.force_login(world["users"]["inst_a"])
    assert 'id="review"' not in client.get(inspect(cls)).content.decode()


def test_an_unfiled_occupation_is_flagged_to_the_approver(client, world):
    cls = world["class_a"]
    world["a"].filings.all().delete()
    client.force_login(world["users"]["bureau_gy"])
    review = section(
        client.get(inspect(cls)).content.decode(), 'id="review"', "</section>"
    )
    assert "未备案职业（工种）" in review


def test_after_a_decision_the_next_waiting_class_is_offered(client, world):
    first = world["class_a"]
    TrainingClass.objects.filter(pk=first.pk).update(
        filed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    later = TrainingClass.objects.create(
        course=first.course,
        code="GY-0002",
        region=first.region,
        start_date=first.start_date,
        end_date=first.end_date,
        capacity=10,
        status=ClassStatus.FILED,
        filed_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    older = TrainingClass.objects.create(
        course=first.course,
        code="GY-0003",
        region=first.region,
        start_date=first.start_date,
        end_date=first.end_date,
        capacity=10,
        status=ClassStatus.FILED,
        filed_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    )
    client.force_login(world["users"]["bureau_gy"])
    response = client.post(action_url(first, "approve"), {"confirmed": "1"})
    page = client.get(response.headers["Location"]).content.decode()
    assert "已批准" in page
    waiting = section(page, 'id="next-waiting"', "</p>")
    assert "下一条待办：GY-0003" in waiting  # the oldest filing first
    assert inspect(older) in waiting and "还有 2 个培训班" in waiting
    assert later.code not in waiting
    # 遵义's bureau waits on its own classes only (ZY-0001), not 贵阳's.
    client.force_login(world["users"]["bureau_zy"])
    page = client.get(inspect(world["class_b"])).content.decode()
    assert 'id="next-waiting"' not in page
    # The institution has no queue.
    client.force_login(world["users"]["inst_a"])
    assert 'id="next-waiting"' not in client.get(inspect(later)).content.decode()


@pytest.mark.parametrize("who", ["inst_a", "bureau_gy"])
def test_class_page_queries_do_not_grow_with_enrolments(client, world, who):
    cls = world["class_a"]
    set_status(cls, ClassStatus.FINISHED if who == "inst_a" else ClassStatus.FILED)
    passed_enrolment(training_class=cls)
    client.force_login(world["users"][who])
    client.get(inspect(cls))  # warm caches (content types, site)
    with CaptureQueriesContext(connection) as few:
        assert client.get(inspect(cls)).status_code == 200
    for _ in range(12):
        passed_enrolment(training_class=cls)
        EnrolmentFactory(training_class=cls)
    with CaptureQueriesContext(connection) as many:
        assert client.get(inspect(cls)).status_code == 200
    assert len(many) == len(few)
