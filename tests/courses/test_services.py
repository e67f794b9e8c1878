"""Rules of classes and enrolments, enforced by the services and the database."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from bases.models import InstitutionOccupation
from courses import services
from courses.models import (
    AssessmentResult,
    ClassStatus,
    Course,
    Enrolment,
    EnrolmentStatus,
    TrainingClass,
)
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    InstitutionOccupationFactory,
    TraineeFactory,
    TrainingClassFactory,
    make_id_number,
    region,
    staff_user,
    training_filing,
)
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import Occupation
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def code_of(excinfo):
    return excinfo.value.code


@pytest.fixture
def gy_inst():
    institution = InstitutionFactory(region=region("520102"))
    training_filing(institution)  # 电工 up to 三级, what CourseFactory teaches
    return institution


@pytest.fixture
def gy_staff(gy_inst):
    return staff_user(Role.INSTITUTION, institution=gy_inst)


# --- class lifecycle ---------------------------------------------------------------------


def test_class_goes_from_draft_to_finished_with_an_audit_trail(gy_inst, gy_staff):
    course = CourseFactory(institution=gy_inst)
    today = dt.date.today()
    cls = services.class_create(
        actor=gy_staff,
        course=course,
        code=" gy-2026-01 ",
        capacity=20,
        start_date=today,
        end_date=today + dt.timedelta(days=10),
    )
    assert cls.code == "GY-2026-01"
    assert cls.status == ClassStatus.DRAFT
    assert cls.region_id == "520102"  # the institution's place by default
    services.class_file(actor=gy_staff, training_class=cls)
    bureau = staff_user(Role.BUREAU, region_code="520100")
    cls = services.class_approve(actor=bureau, training_class=cls)
    assert cls.status == ClassStatus.APPROVED
    assert cls.approved_by == bureau
    assert cls.approving_region_id == "520100"
    for action in (services.class_open, services.class_start, services.class_finish):
        cls = action(actor=gy_staff, training_class=cls)
    assert cls.status == ClassStatus.FINISHED
    actions = list(
        AuditEvent.objects.filter(
            object_id=str(cls.pk), object_type="courses.trainingclass"
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "class.create",
        "class.file",
        "class.approve",
        "class.open",
        "class.start",
        "class.finish",
    ]


def test_only_a_bureau_of_the_region_or_above_approves(gy_inst, gy_staff):
    cls = TrainingClassFactory(
        course=CourseFactory(institution=gy_inst), status=ClassStatus.FILED
    )
    for outsider in (
        staff_user(Role.BUREAU, region_code="520300"),  # 遵义
        staff_user(Role.BUREAU, region_code="520103"),  # a neighbouring county
        staff_user(Role.AUDITOR, region_code="520000"),  # read-only
        gy_staff,
    ):
        with pytest.raises(PermissionDenied):
            services.class_approve(actor=outsider, training_class=cls)
    cls.refresh_from_db()
    assert cls.status == ClassStatus.FILED
    county = staff_user(Role.BUREAU, region_code="520102")
    assert services.class_approve(
        actor=county, training_class=cls
    ).approving_region_id == ("520102")


def test_province_bureau_approves_anywhere():
    cls = TrainingClassFactory(
        course=CourseFactory(institution=InstitutionFactory(region=region("522601"))),
        status=ClassStatus.FILED,
    )
    province = staff_user(Role.BUREAU, region_code="520000")
    assert services.class_approve(
        actor=province, training_class=cls
    ).approving_region_id == ("520000")


def test_rejection_needs_a_reason_and_the_class_can_be_filed_again(gy_inst, gy_staff):
    cls = TrainingClassFactory(
        course=CourseFactory(institution=gy_inst), status=ClassStatus.FILED
    )
    bureau = staff_user(Role.BUREAU, region_code="520100")
    with pytest.raises(ValidationError) as excinfo:
        services.class_reject(actor=bureau, training_class=cls, reason="  ")
    assert code_of(excinfo) == "reason_required"
    cls = services.class_reject(actor=bureau, training_class=cls, reason="场地证明缺失")
    assert cls.status == ClassStatus.REJECTED
    assert cls.rejection_reason == "场地证明缺失"
    assert AuditEvent.objects.get(action="class.reject").reason == "场地证明缺失"
    cls = services.class_file(actor=gy_staff, training_class=cls)
    assert cls.status == ClassStatus.FILED
    assert cls.rejection_reason == ""


def test_transitions_out_of_order_are_refused_in_chinese(gy_inst, gy_staff):
    cls = TrainingClassFactory(
        course=CourseFactory(institution=gy_inst), status=ClassStatus.DRAFT
    )
    with pytest.raises(ValidationError) as excinfo:
        services.class_open(actor=gy_staff, training_class=cls)
    assert code_of(excinfo) == "invalid_transition"
    assert "草稿" in excinfo.value.messages[0]


def test_another_institution_cannot_move_the_class(gy_inst):
    cls = TrainingClassFactory(
        course=CourseFactory(institution=gy_inst), status=ClassStatus.APPROVED
    )
    other = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    with pytest.raises(PermissionDenied):
        services.class_open(actor=other, training_class=cls)


def test_class_dates_must_be_in_order(gy_inst, gy_staff):
    today = dt.date.today()
    with pytest.raises(ValidationError):
        services.class_create(
            actor=gy_staff,
            course=CourseFactory(institution=gy_inst),
            code="X-1",
            capacity=10,
            start_date=today,
            end_date=today - dt.timedelta(days=1),
        )


# --- enrolment ---------------------------------------------------------------------------


def test_enrol_takes_a_seat_and_withdraw_frees_it():
    cls = TrainingClassFactory(capacity=2)
    trainee = TraineeFactory()
    enrolment = services.enrolment_create(trainee=trainee, training_class=cls)
    cls.refresh_from_db()
    assert cls.seats_taken == 1
    assert cls.seats_left == 1
    services.enrolment_withdraw(enrolment=enrolment)
    cls.refresh_from_db()
    assert cls.seats_taken == 0
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.WITHDRAWN
    # Coming back reuses the same row.
    again = services.enrolment_create(trainee=trainee, training_class=cls)
    assert again.pk == enrolment.pk
    assert again.status == EnrolmentStatus.ENROLLED
    assert Enrolment.objects.count() == 1


@pytest.mark.parametrize(
    "status",
    [
        ClassStatus.DRAFT,
        ClassStatus.FILED,
        ClassStatus.APPROVED,
        ClassStatus.RUNNING,
        ClassStatus.FINISHED,
        ClassStatus.CANCELLED,
    ],
)
def test_enrol_only_into_an_open_class(status):
    cls = TrainingClassFactory(status=status)
    with pytest.raises(ValidationError) as excinfo:
        services.enrolment_create(trainee=TraineeFactory(), training_class=cls)
    assert code_of(excinfo) == "closed"
    assert "不接受报名" in excinfo.value.messages[0]


def test_no_double_enrolment():
    cls = TrainingClassFactory()
    trainee = TraineeFactory()
    services.enrolment_create(trainee=trainee, training_class=cls)
    with pytest.raises(ValidationError) as excinfo:
        services.enrolment_create(trainee=trainee, training_class=cls)
    assert code_of(excinfo) == "already_enrolled"
    cls.refresh_from_db()
    assert cls.seats_taken == 1
    # And the database itself refuses a second row.
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(trainee=trainee, training_class=cls, source="staff")


def test_full_class_refuses_and_the_database_refuses_overbooking():
    cls = TrainingClassFactory(capacity=1)
    services.enrolment_create(trainee=TraineeFactory(), training_class=cls)
    with pytest.raises(ValidationError) as excinfo:
        services.enrolment_create(trainee=TraineeFactory(), training_class=cls)
    assert code_of(excinfo) == "full"
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingClass.objects.filter(pk=cls.pk).update(seats_taken=2)


def test_under_sixteen_at_start_is_not_eligible():
    cls = TrainingClassFactory()
    young = TraineeFactory(
        id_number=make_id_number(
            birth=cls.start_date.replace(year=cls.start_date.year - 15)
        )
    )
    with pytest.raises(ValidationError) as excinfo:
        services.enrolment_create(trainee=young, training_class=cls)
    assert code_of(excinfo) == "not_eligible"


def test_withdraw_after_start_is_refused():
    enrolment = EnrolmentFactory()
    TrainingClass.objects.filter(pk=enrolment.training_class_id).update(
        status=ClassStatus.RUNNING
    )
    with pytest.raises(ValidationError) as excinfo:
        services.enrolment_withdraw(enrolment=enrolment)
    assert code_of(excinfo) == "closed"


# --- attendance and assessment -----------------------------------------------------------


@pytest.fixture
def running(gy_inst):
    cls = TrainingClassFactory(
        course=CourseFactory(institution=gy_inst, hours=80), status=ClassStatus.RUNNING
    )
    return EnrolmentFactory(training_class=cls)


def test_attendance_threshold_gates_a_pass(running, gy_staff, settings):
    settings.ATTENDANCE_THRESHOLD = 0.8
    services.attendance_record(actor=gy_staff, enrolment=running, hours=Decimal("63.5"))
    assert not services.meets_attendance(running)
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_record(
            actor=gy_staff, enrolment=running, result=AssessmentResult.PASSED, score=90
        )
    assert code_of(excinfo) == "attendance_too_low"
    assert "80%" in excinfo.value.messages[0]
    services.attendance_record(actor=gy_staff, enrolment=running, hours=64)
    assert services.meets_attendance(running)
    done = services.assessment_record(
        actor=gy_staff, enrolment=running, result=AssessmentResult.PASSED, score="88.5"
    )
    assert done.score == Decimal("88.5")
    assert AuditEvent.objects.filter(action="enrolment.assessment").count() == 1


def test_attendance_and_score_ranges(running, gy_staff):
    with pytest.raises(ValidationError):
        services.attendance_record(actor=gy_staff, enrolment=running, hours=81)
    with pytest.raises(ValidationError):
        services.attendance_record(actor=gy_staff, enrolment=running, hours=-1)
    with pytest.raises(ValidationError):
        services.assessment_record(
            actor=gy_staff, enrolment=running, result=AssessmentResult.FAILED, score=101
        )


def test_results_only_by_the_class_institution_and_once_running(running):
    other = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    with pytest.raises(PermissionDenied):
        services.attendance_record(actor=other, enrolment=running, hours=10)
    open_enrolment = EnrolmentFactory()
    staff = staff_user(
        Role.INSTITUTION, institution=open_enrolment.training_class.course.institution
    )
    with pytest.raises(ValidationError) as excinfo:
        services.attendance_record(actor=staff, enrolment=open_enrolment, hours=10)
    assert code_of(excinfo) == "not_running"


# --- concurrency (PostgreSQL row locks) --------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_enrolment_into_the_last_seat_never_overbooks(reference):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    cls = TrainingClassFactory(capacity=3)
    trainees = [TraineeFactory() for _ in range(12)]
    barrier = threading.Barrier(len(trainees))
    outcomes = []

    def enrol(trainee):
        try:
            barrier.wait()
            services.enrolment_create(trainee=trainee, training_class=cls)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol, args=(t,)) for t in trainees]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cls.refresh_from_db()
    assert outcomes.count("ok") == 3
    assert outcomes.count("full") == 9
    assert cls.seats_taken == 3
    assert Enrolment.objects.filter(training_class=cls).count() == 3


def test_attendance_cannot_drop_below_the_threshold_under_a_pass(running, gy_staff):
    services.attendance_record(actor=gy_staff, enrolment=running, hours=80)
    services.assessment_record(
        actor=gy_staff, enrolment=running, result=AssessmentResult.PASSED, score=90
    )
    with pytest.raises(ValidationError) as excinfo:
        services.attendance_record(actor=gy_staff, enrolment=running, hours=60)
    assert code_of(excinfo) == "attendance_below_pass"
    running.refresh_from_db()
    assert running.attendance_hours == 80
    # Above the threshold is still fine.
    services.attendance_record(actor=gy_staff, enrolment=running, hours=70)


def test_class_update_only_while_draft_or_returned_and_audited(gy_inst, gy_staff):
    cls = TrainingClassFactory(
        course=CourseFactory(institution=gy_inst), status=ClassStatus.DRAFT, capacity=20
    )
    cls = services.class_update(
        actor=gy_staff,
        training_class=cls,
        changes={"capacity": 25, "address": "花果园实训楼"},
    )
    assert cls.capacity == 25
    event = AuditEvent.objects.get(action="class.update")
    assert event.before == {"capacity": "20", "address": ""}
    assert event.after == {"capacity": "25", "address": "花果园实训楼"}
    other = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    with pytest.raises(PermissionDenied):
        services.class_update(actor=other, training_class=cls, changes={"capacity": 5})
    TrainingClass.objects.filter(pk=cls.pk).update(status=ClassStatus.FILED)
    with pytest.raises(ValidationError) as excinfo:
        services.class_update(
            actor=gy_staff, training_class=cls, changes={"capacity": 30}
        )
    assert code_of(excinfo) == "not_editable"


def test_class_capacity_cannot_drop_below_the_enrolled(gy_inst, gy_staff):
    enrolment = EnrolmentFactory(
        training_class=TrainingClassFactory(
            course=CourseFactory(institution=gy_inst),
            status=ClassStatus.DRAFT,
            capacity=5,
        )
    )
    with pytest.raises(ValidationError) as excinfo:
        services.class_update(
            actor=gy_staff,
            training_class=enrolment.training_class,
            changes={"capacity": 0},
        )
    assert code_of(excinfo) == "capacity_below_enrolled"


# --- what an institution is filed to train -----------------------------------------------


def course_fields(occupation="6-31-01-03", level="4", **overrides):
    return {
        "title": "新培训项目",
        "occupation": Occupation.objects.get(code=occupation),
        "target_level": level,
        "kind": "employment",
        "hours": 80,
        **overrides,
    }


def test_a_course_for_an_occupation_not_filed_to_train_is_refused(gy_inst, gy_staff):
    # gy_inst is filed for 电工 only; 焊工 is not filed, an evaluation filing is not one
    # to train.
    InstitutionOccupationFactory(
        institution=gy_inst,
        occupation=Occupation.objects.get(code="4-03-02-01"),
        can_train=False,
        can_evaluate=True,
    )
    for code in ("6-18-02-04", "4-03-02-01"):
        with pytest.raises(ValidationError) as excinfo:
            services.course_create(
                actor=gy_staff, institution=gy_inst, **course_fields(code)
            )
        message = excinfo.value.message_dict["occupation"][0]
        assert "未备案职业（工种）" in message and "培训资格" in message
    assert not Course.objects.filter(title="新培训项目").exists()


def test_a_course_above_the_filed_level_is_refused(gy_inst, gy_staff):
    with pytest.raises(ValidationError) as excinfo:
        services.course_create(
            actor=gy_staff, institution=gy_inst, **course_fields(level="2")
        )
    assert excinfo.value.message_dict["target_level"] == [
        f"培训机构“{gy_inst.name}”备案的“电工”培训等级最高为三级/高级工，"
        "不能开设二级/技师的培训。"
    ]
    for level in ("3", "4", "5", ""):  # up to the filed level; or no level at all
        course = services.course_create(
            actor=gy_staff,
            institution=gy_inst,
            **course_fields(level=level, title=f"电工{level}"),
        )
        assert course.pk


def test_changing_a_course_stays_within_the_filing(gy_inst, gy_staff):
    course = services.course_create(
        actor=gy_staff, institution=gy_inst, **course_fields()
    )
    for changes in (
        {"target_level": "1"},
        {"occupation": Occupation.objects.get(code="6-18-02-04")},
    ):
        with pytest.raises(ValidationError) as excinfo:
            services.course_update(actor=gy_staff, course=course, changes=changes)
        assert "备案" in " ".join(excinfo.value.messages)
    course.refresh_from_db()
    assert (course.occupation_id, course.target_level) == ("6-31-01-03", "4")
    services.course_update(actor=gy_staff, course=course, changes={"hours": 96})
    course.refresh_from_db()
    assert course.hours == 96
    assert AuditEvent.objects.filter(action="course.update").count() == 1


def test_a_class_of_a_course_the_institution_is_not_filed_for_is_refused(gy_staff):
    unfiled = InstitutionFactory(region=region("520102"))
    staff = staff_user(Role.INSTITUTION, institution=unfiled)
    course = CourseFactory(institution=unfiled)  # written before the rule existed
    today = dt.date.today()
    with pytest.raises(ValidationError) as excinfo:
        services.class_create(
            actor=staff,
            course=course,
            code="NF-01",
            capacity=20,
            start_date=today,
            end_date=today + dt.timedelta(days=10),
        )
    assert (
        "未备案职业（工种）“电工”的培训资格" in excinfo.value.message_dict["course"][0]
    )
    assert not TrainingClass.objects.filter(code="NF-01").exists()


def test_a_class_whose_filing_was_withdrawn_cannot_be_filed(gy_inst, gy_staff):
    cls = TrainingClassFactory(
        course=CourseFactory(institution=gy_inst), status=ClassStatus.DRAFT
    )
    InstitutionOccupation.objects.filter(institution=gy_inst).update(can_train=False)
    with pytest.raises(ValidationError):
        services.class_file(actor=gy_staff, training_class=cls)
    cls.refresh_from_db()
    assert cls.status == ClassStatus.DRAFT
