"""Class workflow in the back-office: 备案, 批准/退回, 开放报名, 开班, 结业, 取消."""

import pytest
from django.test import Client
from django.urls import reverse

from bases.services import membership_grant
from courses.models import ClassStatus, TrainingClass
from tests.courses.test_admin_courses import make_world
from tests.factories import region
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ALL_ACTIONS = ("file", "approve", "reject", "open", "start", "finish", "cancel")


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


def post(client, cls, action, **data):
    """POST an action as confirmed on the confirmation page; return the class page
    the redirect leads back to."""
    response = client.post(action_url(cls, action), {"confirmed": "1", **data})
    assert response.status_code == 302
    assert response.headers["Location"] == inspect(cls)
    cls.refresh_from_db()
    return client.get(response.headers["Location"]).content.decode()


def test_institution_cannot_approve_its_own_class(client, world):
    cls = world["class_a"]
    client.force_login(world["users"]["inst_a"])
    page = post(client, cls, "approve")
    assert "只有培训地点所在地区（或上级）的人社部门可以审批" in page
    assert cls.status == ClassStatus.FILED
    assert not AuditEvent.objects.filter(action="class.approve").exists()


def test_bureau_of_another_prefecture_cannot_approve(client, world):
    cls = world["class_a"]  # held in 贵阳
    client.force_login(world["users"]["bureau_zy"])
    assert client.post(action_url(cls, "approve")).status_code == 404
    cls.refresh_from_db()
    assert cls.status == ClassStatus.FILED
    # Seeing the class (here as a province auditor) is not approving it.
    user = world["users"]["bureau_zy"]
    membership_grant(user=user, role=Role.AUDITOR, region=region("520000"))
    client.force_login(user)
    page = post(client, cls, "approve")
    assert "只有培训地点所在地区（或上级）的人社部门可以审批" in page
    assert cls.status == ClassStatus.FILED


def test_auditor_cannot_approve(client, world):
    cls = world["class_a"]
    client.force_login(world["users"]["auditor_gz"])
    page = post(client, cls, "approve")
    assert "人社部门可以审批" in page
    assert cls.status == ClassStatus.FILED


@pytest.mark.parametrize(
    ("who", "key", "approving_region"),
    [
        ("bureau_gy", "class_a", "520100"),
        ("bureau_zy", "class_b", "520300"),
        ("bureau_gz", "class_a", "520000"),
    ],
)
def test_bureau_of_the_region_or_the_province_approves(
    client, world, who, key, approving_region
):
    cls = world[key]
    user = world["users"][who]
    client.force_login(user)
    page = post(client, cls, "approve")
    assert f"培训班 {cls.code} 已批准" in page
    assert cls.status == ClassStatus.APPROVED
    assert cls.approved_by == user
    assert cls.approving_region_id == approving_region
    event = AuditEvent.objects.get(action="class.approve", object_id=str(cls.pk))
    assert event.actor == user


def test_reject_requires_a_reason(client, world):
    cls = world["class_a"]
    client.force_login(world["users"]["bureau_gy"])
    page = post(client, cls, "reject", reason="  ")
    assert "请填写退回原因" in page
    assert cls.status == ClassStatus.FILED
    page = post(client, cls, "reject", reason="开班时间与场地安排冲突")
    assert cls.status == ClassStatus.REJECTED
    assert cls.rejection_reason == "开班时间与场地安排冲突"
    assert "开班时间与场地安排冲突" in page  # the institution sees why, on the class
    event = AuditEvent.objects.get(action="class.reject")
    assert event.reason == "开班时间与场地安排冲突"


def test_institution_runs_its_class_through_the_workflow(client, world):
    cls = world["class_a"]
    set_status(cls, ClassStatus.DRAFT)
    inst, bureau = Client(), Client()
    inst.force_login(world["users"]["inst_a"])
    bureau.force_login(world["users"]["bureau_gy"])
    post(inst, cls, "file")
    assert cls.status == ClassStatus.FILED and cls.filed_at is not None
    post(bureau, cls, "approve")
    for action, status in [
        ("open", ClassStatus.OPEN),
        ("start", ClassStatus.RUNNING),
        ("finish", ClassStatus.FINISHED),
    ]:
        page = post(inst, cls, action)
        assert cls.status == status
        assert (
            "已" + {"open": "开放报名", "start": "开班", "finish": "结业"}[action]
            in page
        )
    actions = set(
        AuditEvent.objects.filter(object_id=str(cls.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"class.file", "class.approve", "class.open", "class.finish"} <= actions


def test_a_transition_the_status_does_not_allow_is_refused_with_a_message(
    client, world
):
    cls = world["class_a"]  # filed
    client.force_login(world["users"]["inst_a"])
    page = post(client, cls, "start")
    assert "不能开班" in page
    assert cls.status == ClassStatus.FILED


def test_another_institution_gets_404_and_nothing_changes(client, world):
    cls = world["class_a"]
    client.force_login(world["users"]["inst_b"])
    for action in ALL_ACTIONS:
        assert client.post(action_url(cls, action), {"reason": "x"}).status_code == 404
    cls.refresh_from_db()
    assert cls.status == ClassStatus.FILED


def test_actions_are_post_only_and_csrf_protected(world):
    cls = world["class_a"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["inst_a"])
    assert client.get(action_url(cls, "cancel")).status_code == 405
    assert client.post(action_url(cls, "cancel")).status_code == 403
    cls.refresh_from_db()
    assert cls.status == ClassStatus.FILED
    unknown = reverse("courses_class_transition", args=[cls.pk, "delete"])
    assert Client().post(unknown).status_code == 302  # to the login page
    plain = Client()
    plain.force_login(world["users"]["inst_a"])
    assert plain.post(unknown).status_code == 404


@pytest.mark.parametrize(
    ("who", "status", "offered"),
    [
        ("inst_a", ClassStatus.DRAFT, {"file", "cancel"}),
        ("inst_a", ClassStatus.FILED, {"cancel"}),
        ("inst_a", ClassStatus.REJECTED, {"file", "cancel"}),
        ("inst_a", ClassStatus.APPROVED, {"open", "start", "cancel"}),
        ("inst_a", ClassStatus.OPEN, {"start", "cancel"}),
        ("inst_a", ClassStatus.RUNNING, {"finish"}),
        ("inst_a", ClassStatus.FINISHED, set()),
        ("bureau_gy", ClassStatus.FILED, {"approve", "reject"}),
        ("bureau_gz", ClassStatus.FILED, {"approve", "reject"}),
        ("bureau_gy", ClassStatus.DRAFT, set()),
        ("bureau_gy", ClassStatus.APPROVED, set()),
        ("auditor_gz", ClassStatus.FILED, set()),
        ("evaluator_a", ClassStatus.FILED, set()),
        ("evaluator_a", ClassStatus.DRAFT, set()),
    ],
)
def test_inspect_offers_only_the_actions_the_user_may_take_now(
    client, world, who, status, offered
):
    cls = world["class_a"]
    set_status(cls, status)
    client.force_login(world["users"][who])
    page = client.get(inspect(cls)).content.decode()
    shown = {action for action in ALL_ACTIONS if action_url(cls, action) in page}
    assert shown == offered
    assert ('name="reason"' in page) == ("reject" in offered)
