"""Course, class and enrolment screens in the back-office: scoping per role, forms, lists."""

import datetime as dt

import pytest
from django.urls import reverse

from bases.services import membership_grant
from courses.models import ClassStatus, Course, TrainingClass
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    make_id_number,
    region,
    staff_user,
    training_filing,
)
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def make_world():
    """Institution A in 贵阳 南明区 and B in 遵义 红花岗区, each with a course, a filed class
    and an enrolment, plus a user for every role."""
    a = InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))
    b = InstitutionFactory(name="遵义乙技工学校", region=region("520302"))
    w = {"a": a, "b": b}
    for institution in (a, b):  # both filed to train 电工 (the courses' occupation)
        training_filing(institution)
    w["course_a"] = CourseFactory(institution=a, title="电工培训甲")
    w["course_b"] = CourseFactory(institution=b, title="焊工培训乙")
    w["class_a"] = TrainingClassFactory(
        course=w["course_a"], code="GY-0001", status=ClassStatus.FILED
    )
    w["class_b"] = TrainingClassFactory(
        course=w["course_b"], code="ZY-0001", status=ClassStatus.FILED
    )
    w["enrol_a"] = EnrolmentFactory(
        training_class=w["class_a"],
        trainee=TraineeFactory(name="贵阳学员甲", id_number=make_id_number("520102")),
    )
    w["enrol_b"] = EnrolmentFactory(
        training_class=w["class_b"],
        trainee=TraineeFactory(name="遵义学员乙", id_number=make_id_number("520302")),
    )
    w["users"] = {
        "inst_a": staff_user(Role.INSTITUTION, institution=a),
        "inst_b": staff_user(Role.INSTITUTION, institution=b),
        "bureau_gy": staff_user(Role.BUREAU, region_code="520100"),
        "bureau_zy": staff_user(Role.BUREAU, region_code="520300"),
        "bureau_gz": staff_user(Role.BUREAU, region_code="520000"),
        "auditor_gz": staff_user(Role.AUDITOR, region_code="520000"),
        "evaluator_a": staff_user(Role.EVALUATOR, institution=a),
    }
    return w


@pytest.fixture
def world():
    return make_world()


def assert_denied(response):
    """404 outside the scope; 403 or Wagtail's redirect to the dashboard for what the
    role may not do at all. Never the page itself."""
    if response.status_code == 302:
        assert response.headers["Location"] == "/admin/"
    else:
        assert response.status_code in (403, 404)


COURSE, CLASS, ENROLMENT = "course", "trainingclass", "enrolment"
# What each object looks like in a list.
SHOWN = {
    "course_a": "电工培训甲",
    "course_b": "焊工培训乙",
    "class_a": "GY-0001",
    "class_b": "ZY-0001",
    "enrol_a": "贵阳学员甲",
    "enrol_b": "遵义学员乙",
}


def url(viewset, action, obj=None):
    name = f"{viewset}:{action}"
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


OWN_AND_OTHER = [
    ("inst_a", "a", "b"),
    ("inst_b", "b", "a"),
    ("bureau_gy", "a", "b"),
    ("bureau_zy", "b", "a"),
    ("evaluator_a", "a", "b"),
]


@pytest.mark.parametrize(("who", "own", "other"), OWN_AND_OTHER)
@pytest.mark.parametrize(
    ("viewset", "kind"),
    [(COURSE, "course"), (CLASS, "class"), (ENROLMENT, "enrol")],
)
def test_lists_and_object_views_are_scoped(
    client, world, who, own, other, viewset, kind
):
    client.force_login(world["users"][who])
    own_key, other_key = f"{kind}_{own}", f"{kind}_{other}"
    body = client.get(url(viewset, "index")).content.decode()
    assert SHOWN[own_key] in body
    assert SHOWN[other_key] not in body
    own_obj, other_obj = world[own_key], world[other_key]
    assert client.get(url(viewset, "inspect", own_obj)).status_code == 200
    assert client.get(url(viewset, "inspect", other_obj)).status_code == 404
    assert_denied(client.get(url(viewset, "edit", other_obj)))
    assert_denied(client.post(url(viewset, "edit", other_obj), {"title": "x"}))
    assert_denied(client.post(url(viewset, "delete", other_obj)))
    assert type(other_obj).objects.filter(pk=other_obj.pk).exists()


@pytest.mark.parametrize("who", ["bureau_gz", "auditor_gz"])
@pytest.mark.parametrize(
    ("viewset", "kind"),
    [(COURSE, "course"), (CLASS, "class"), (ENROLMENT, "enrol")],
)
def test_province_staff_see_every_prefecture(client, world, who, viewset, kind):
    client.force_login(world["users"][who])
    body = client.get(url(viewset, "index")).content.decode()
    assert SHOWN[f"{kind}_a"] in body and SHOWN[f"{kind}_b"] in body
    for side in "ab":
        obj = world[f"{kind}_{side}"]
        assert client.get(url(viewset, "inspect", obj)).status_code == 200


def test_enrolments_show_masked_id_numbers_only(client, world):
    client.force_login(world["users"]["inst_a"])
    trainee = world["enrol_a"].trainee
    body = client.get(url(ENROLMENT, "index")).content.decode()
    assert trainee.masked_id_number in body
    assert trainee.id_number not in body
    body = client.get(url(ENROLMENT, "inspect", world["enrol_a"])).content.decode()
    assert trainee.masked_id_number in body
    assert trainee.id_number not in body


def test_enrolments_are_read_only_in_the_admin(client, world):
    """Attendance and results go through the results screen (and its services)."""
    client.force_login(world["users"]["inst_a"])
    enrolment = world["enrol_a"]
    assert_denied(client.get(url(ENROLMENT, "edit", enrolment)))
    assert_denied(
        client.post(url(ENROLMENT, "edit", enrolment), {"attendance_hours": "80"})
    )
    assert_denied(client.get(url(ENROLMENT, "add")))
    enrolment.refresh_from_db()
    assert enrolment.attendance_hours == 0


def test_enrolment_search_and_filters(client, world):
    other = TrainingClassFactory(course=world["course_a"], code="GY-0002")
    EnrolmentFactory(training_class=other, trainee=TraineeFactory(name="贵阳学员丙"))
    client.force_login(world["users"]["inst_a"])
    body = client.get(url(ENROLMENT, "index"), {"q": "学员丙"}).content.decode()
    assert "贵阳学员丙" in body and "贵阳学员甲" not in body
    body = client.get(url(ENROLMENT, "index"), {"q": "GY-0002"}).content.decode()
    assert "贵阳学员丙" in body and "贵阳学员甲" not in body
    body = client.get(
        url(ENROLMENT, "index"), {"class_status": ClassStatus.FILED}
    ).content.decode()
    assert "贵阳学员甲" in body and "贵阳学员丙" not in body
    body = client.get(url(ENROLMENT, "index"), {"class_code": "gy-0001"}).content
    assert "贵阳学员甲" in body.decode() and "贵阳学员丙" not in body.decode()


def test_class_filters_by_status_region_and_start_date(client, world):
    TrainingClassFactory(
        course=world["course_a"],
        code="GY-LATE",
        region=region("520111"),
        start_date=dt.date(2030, 3, 1),
        end_date=dt.date(2030, 3, 20),
    )
    client.force_login(world["users"]["bureau_gz"])
    index = url(CLASS, "index")
    body = client.get(index, {"status": "filed"}).content.decode()
    assert "GY-0001" in body and "ZY-0001" in body and "GY-LATE" not in body
    body = client.get(index, {"region": "520300"}).content.decode()
    assert "ZY-0001" in body and "GY-0001" not in body
    body = client.get(
        index, {"start_date_from": "2030-01-01", "start_date_to": "2030-12-31"}
    ).content.decode()
    assert "GY-LATE" in body and "GY-0001" not in body


def test_course_filters_and_search(client, world):
    client.force_login(world["users"]["bureau_gz"])
    index = url(COURSE, "index")
    body = client.get(index, {"region": "520300"}).content.decode()
    assert "焊工培训乙" in body and "电工培训甲" not in body
    body = client.get(index, {"q": "焊工"}).content.decode()
    assert "焊工培训乙" in body and "电工培训甲" not in body
    major = world["course_a"].occupation.major_id
    body = client.get(index, {"occupation_group": major}).content.decode()
    assert "电工培训甲" in body
    body = client.get(index, {"kind": "entrepreneurship"}).content.decode()
    assert "电工培训甲" not in body


# --- creating and editing -------------------------------------------------------------


def course_data(institution, **overrides):
    return {
        "institution": institution.pk,
        "title": "新电工培训",
        "occupation": "6-31-01-03",
        "target_level": "4",
        "kind": "employment",
        "hours": "80",
        "fee": "0",
        "subsidised": "on",
        "mode": "offline",
        "description": "",
        "is_active": "on",
        **overrides,
    }


def test_institution_staff_create_a_course_for_their_own_institution_only(
    client, world
):
    user = world["users"]["inst_a"]
    # Evaluating for B lets the user see B, not create B's courses.
    membership_grant(user=user, role=Role.EVALUATOR, institution=world["b"])
    client.force_login(user)
    form = client.get(url(COURSE, "add")).content.decode()
    assert "贵阳甲培训学校" in form
    assert "遵义乙技工学校" not in form
    response = client.post(url(COURSE, "add"), course_data(world["b"]))
    assert response.status_code == 200
    assert not Course.objects.filter(title="新电工培训").exists()
    response = client.post(url(COURSE, "add"), course_data(world["a"]))
    assert response.status_code == 302
    assert Course.objects.get(title="新电工培训").institution == world["a"]


def test_institution_staff_edit_their_course(client, world):
    client.force_login(world["users"]["inst_a"])
    course = world["course_a"]
    data = course_data(world["a"], title="电工培训甲（修订）", hours="96")
    assert client.post(url(COURSE, "edit", course), data).status_code == 302
    course.refresh_from_db()
    assert (course.title, course.hours) == ("电工培训甲（修订）", 96)
    # ...but cannot hand it to another institution.
    data = course_data(world["b"], title="转给乙")
    assert client.post(url(COURSE, "edit", course), data).status_code == 200
    course.refresh_from_db()
    assert course.institution == world["a"]


@pytest.mark.parametrize("who", ["bureau_gy", "auditor_gz", "evaluator_a"])
def test_other_roles_cannot_create_or_edit_courses(client, world, who):
    client.force_login(world["users"][who])
    assert_denied(client.get(url(COURSE, "add")))
    assert_denied(client.post(url(COURSE, "add"), course_data(world["a"])))
    assert_denied(client.get(url(COURSE, "edit", world["course_a"])))
    assert not Course.objects.filter(title="新电工培训").exists()


def class_data(course, **overrides):
    return {
        "code": "gy-new-01",
        "course": course.pk,
        "start_date": "2026-09-01",
        "end_date": "2026-09-20",
        "capacity": "40",
        "venue": "",
        "region": "",
        "address": "南明区某路 1 号",
        **overrides,
    }


def test_create_class_goes_through_the_service(client, world):
    user = world["users"]["inst_a"]
    client.force_login(user)
    form = client.get(url(CLASS, "add")).content.decode()
    assert "电工培训甲" in form and "焊工培训乙" not in form
    assert "红花岗区" in form  # a class may take place in any county
    response = client.post(url(CLASS, "add"), class_data(world["course_a"]))
    assert response.status_code == 302, response.content.decode()[:3000]
    cls = TrainingClass.objects.get(code="GY-NEW-01")  # normalised by the service
    assert cls.status == ClassStatus.DRAFT
    assert cls.region_id == "520102"  # the institution's county by default
    event = AuditEvent.objects.get(action="class.create", object_id=str(cls.pk))
    assert event.actor == user


def test_create_class_refuses_another_institutions_course(client, world):
    client.force_login(world["users"]["inst_a"])
    response = client.post(url(CLASS, "add"), class_data(world["course_b"]))
    assert response.status_code == 200
    assert not TrainingClass.objects.filter(code="GY-NEW-01").exists()
    assert not AuditEvent.objects.filter(action="class.create").exists()


def test_create_class_in_another_county_and_with_bad_dates(client, world):
    client.force_login(world["users"]["inst_a"])
    data = class_data(world["course_a"], region="520302")
    assert client.post(url(CLASS, "add"), data).status_code == 302
    assert TrainingClass.objects.get(code="GY-NEW-01").region_id == "520302"
    data = class_data(world["course_a"], code="GY-NEW-02", end_date="2026-08-01")
    response = client.post(url(CLASS, "add"), data)
    assert response.status_code == 200
    assert not TrainingClass.objects.filter(code="GY-NEW-02").exists()


@pytest.mark.parametrize("who", ["bureau_gy", "auditor_gz", "evaluator_a"])
def test_only_institution_staff_create_classes(client, world, who):
    client.force_login(world["users"][who])
    assert_denied(client.post(url(CLASS, "add"), class_data(world["course_a"])))
    assert not TrainingClass.objects.filter(code="GY-NEW-01").exists()


def test_class_is_editable_only_while_draft_or_returned(client, world):
    client.force_login(world["users"]["inst_a"])
    cls = world["class_a"]  # filed
    response = client.get(url(CLASS, "edit", cls))
    assert response.status_code == 403
    assert "只有草稿或已退回的培训班可以修改" in response.content.decode()
    response = client.post(url(CLASS, "edit", cls), class_data(cls.course))
    assert response.status_code == 403
    cls.refresh_from_db()
    assert cls.code == "GY-0001"
    inspect = client.get(url(CLASS, "inspect", cls)).content.decode()
    assert url(CLASS, "edit", cls) not in inspect

    TrainingClass.objects.filter(pk=cls.pk).update(status=ClassStatus.REJECTED)
    assert client.get(url(CLASS, "edit", cls)).status_code == 200
    inspect = client.get(url(CLASS, "inspect", cls)).content.decode()
    assert url(CLASS, "edit", cls) in inspect
    data = class_data(cls.course, code="GY-0001", capacity="25", region="520102")
    response = client.post(url(CLASS, "edit", cls), data)
    assert response.status_code == 302
    cls.refresh_from_db()
    assert cls.capacity == 25


def test_bureau_cannot_edit_a_class_it_reviews(client, world):
    cls = world["class_a"]
    TrainingClass.objects.filter(pk=cls.pk).update(status=ClassStatus.DRAFT)
    client.force_login(world["users"]["bureau_gy"])
    response = client.get(url(CLASS, "edit", cls))
    assert response.status_code == 403
    assert "只有开班的培训机构可以修改" in response.content.decode()
    client.force_login(world["users"]["auditor_gz"])
    assert_denied(client.get(url(CLASS, "edit", cls)))


def test_pending_menu_item_is_for_bureau_staff(client, world):
    pending = reverse("trainingclass:index") + "?status=filed"
    client.force_login(world["users"]["bureau_gy"])
    assert pending in client.get("/admin/").content.decode()
    client.force_login(world["users"]["inst_a"])
    body = client.get("/admin/").content.decode()
    assert pending not in body
    assert reverse("trainingclass:index") in body  # the group itself is there


# --- query counts ---------------------------------------------------------------------


def _add_rows(world, n):
    for _ in range(n):
        for side in "ab":
            course = CourseFactory(institution=world[side])
            cls = TrainingClassFactory(course=course)
            EnrolmentFactory(training_class=cls)


@pytest.mark.parametrize("viewset", [COURSE, CLASS, ENROLMENT])
@pytest.mark.parametrize("who", ["bureau_gz", "inst_a"])
def test_list_query_count_does_not_grow_with_rows(
    client, world, viewset, who, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _add_rows(world, 2)
    client.force_login(world["users"][who])
    index = url(viewset, "index")
    client.get(index)  # warm caches (content types, site, permissions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(index).status_code == 200
    _add_rows(world, 15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(index).status_code == 200


def test_the_course_form_offers_only_filed_occupations_and_explains_a_refusal(
    client, world
):
    client.force_login(world["users"]["inst_a"])
    form = client.get(url(COURSE, "add")).content.decode()
    assert "6-31-01-03 电工" in form  # filed
    assert "6-18-02-04 焊工" not in form  # not filed
    # Above the filed level (三级): refused on the form, in Chinese, nothing written.
    response = client.post(
        url(COURSE, "add"), course_data(world["a"], target_level="2")
    )
    assert response.status_code == 200
    assert "备案的“电工”培训等级最高为三级/高级工" in response.content.decode()
    assert not Course.objects.filter(title="新电工培训").exists()
    # Editing a course to a level above the filing is refused the same way.
    course = world["course_a"]
    data = course_data(world["a"], title="电工培训甲", target_level="1")
    response = client.post(url(COURSE, "edit", course), data)
    assert response.status_code == 200
    assert "不能开设一级/高级技师的培训" in response.content.decode()
    course.refresh_from_db()
    assert course.target_level == "4"


def test_the_class_form_offers_only_courses_still_filed(client, world):
    from bases.models import InstitutionOccupation

    client.force_login(world["users"]["inst_a"])
    InstitutionOccupation.objects.filter(institution=world["a"]).update(can_train=False)
    form = client.get(url(CLASS, "add")).content.decode()
    assert "电工培训甲" not in form
    response = client.post(url(CLASS, "add"), class_data(world["course_a"]))
    assert response.status_code == 200
    assert not TrainingClass.objects.filter(code="GY-NEW-01").exists()
