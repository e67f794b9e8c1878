"""State changes of courses, classes and enrolments, with their rules.

Every refusal is a ``ValidationError`` with a code and a plain Chinese message that a
screen can show as it is. Class transitions and enrolment changes are audited.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bases.models import InstitutionOccupation
from courses.extensions import result_locks
from courses.models import (
    AssessmentResult,
    ClassStatus,
    Course,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    TrainingClass,
)
from courses.policies import (
    EDITABLE_STATUSES,
    TRANSITIONS,
    approving_region_for,
    is_institution_staff,
)
from trainees.models import Trainee
from training_platform.audit.services import audit_record, status_change
from training_platform.reference.models import SKILL_LEVEL_RANK, Region, SkillLevel

MINIMUM_AGE = 16  # 劳动法: the minimum working age

RESULTS_SETTLED = (
    "已凭此成绩签发有效证书，出勤和考核结果不能再修改；如需更正，请先撤销证书。"
)


def results_settled(enrolment_ids: list[int]) -> set[int]:
    """The enrolments among ``enrolment_ids`` whose results may no longer change."""
    settled: set[int] = set()
    for fn in result_locks:  # filled by higher apps (a valid certificate)
        settled |= fn(list(enrolment_ids))
    return settled


# --- who may act ---------------------------------------------------------------------


def _require_institution_staff(actor, institution_id: int) -> None:
    if not is_institution_staff(actor, institution_id):
        raise PermissionDenied("只有本机构的工作人员可以操作。")


# --- what an institution is filed to train ---------------------------------------------


def training_filings(institution_id: int) -> dict[str, str]:
    """Occupation code → the highest level ``institution`` is filed (备案) to train."""
    return dict(
        InstitutionOccupation.objects.filter(
            institution_id=institution_id, can_train=True
        ).values_list("occupation_id", "max_level")
    )


def _require_training_filing(course: Course, *, field: str | None = None) -> None:
    """Refuse a course (or a class of it) its institution is not filed to train.

    The error is on ``field`` (a class's ``course``), or for a course on what is wrong:
    its occupation or its level.
    """
    top = training_filings(course.institution_id).get(course.occupation_id)
    institution = course.institution.name
    occupation = course.occupation.name
    if top is None:
        message = (
            f"培训机构“{institution}”未备案职业（工种）“{occupation}”的培训资格，"
            "不能开设该职业的培训项目或培训班。请先向人社部门办理备案。"
        )
        field = field or "occupation"
    elif course.target_level and (
        SKILL_LEVEL_RANK[course.target_level] > SKILL_LEVEL_RANK[top]
    ):
        message = (
            f"培训机构“{institution}”备案的“{occupation}”培训等级最高为"
            f"{SkillLevel(top).label}，不能开设"
            f"{SkillLevel(course.target_level).label}的培训。"
        )
        field = field or "target_level"
    else:
        return
    raise ValidationError({field: ValidationError(message, code="not_filed")})


# --- courses ---------------------------------------------------------------------------


@transaction.atomic
def course_create(*, actor, institution, **fields) -> Course:
    """Create a course of ``institution`` (its staff only, for what it is filed to train)."""
    _require_institution_staff(actor, institution.pk)
    course = Course(institution=institution, **fields)
    course.full_clean()
    _require_training_filing(course)
    course.save()
    return course


COURSE_EDITABLE_FIELDS = (
    "institution",
    "title",
    "occupation",
    "target_level",
    "kind",
    "hours",
    "fee",
    "subsidised",
    "mode",
    "description",
    "is_active",
)


@transaction.atomic
def course_update(*, actor, course: Course, changes: dict, request=None) -> Course:
    """Change a course (its institution's staff only; still within the filing)."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_institution_staff(actor, course.institution_id)
    unknown = set(changes) - set(COURSE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "institution" in changes:
        _require_institution_staff(actor, changes["institution"].pk)
    before, after = {}, {}
    for name, value in changes.items():
        old = getattr(course, name)
        if old != value:
            before[name], after[name] = str(old), str(value)
            setattr(course, name, value)
    course.full_clean()
    if {"institution", "occupation", "target_level"} & set(after):
        _require_training_filing(course)
    course.save()
    if after:
        audit_record(
            actor=actor,
            action="course.update",
            obj=course,
            before=before,
            after=after,
            request=request,
        )
    return course


# --- classes ---------------------------------------------------------------------------

ACTION_LABELS = {
    "file": "备案",
    "approve": "批准",
    "reject": "退回",
    "open": "开放报名",
    "start": "开班",
    "finish": "结业",
    "cancel": "取消",
}


def _locked(training_class: TrainingClass) -> TrainingClass:
    return (
        TrainingClass.objects.select_for_update()
        .select_related("course")
        .get(pk=training_class.pk)
    )


def _transition(
    cls: TrainingClass, action: str, *, actor, request=None, reason="", **changes
) -> TrainingClass:
    sources, target = TRANSITIONS[action]
    if cls.status not in sources:
        raise ValidationError(
            "培训班当前状态为“%(status)s”，不能%(action)s。",
            code="invalid_transition",
            params={
                "status": cls.get_status_display(),
                "action": ACTION_LABELS[action],
            },
        )
    return status_change(
        obj=cls,
        to=target,
        actor=actor,
        action=f"class.{action}",
        changes=changes,
        reason=reason,
        request=request,
        whole_row=True,
    )


@transaction.atomic
def class_create(
    *,
    actor,
    course: Course,
    code: str,
    start_date: dt.date,
    end_date: dt.date,
    capacity: int,
    region: Region | None = None,
    venue=None,
    address: str = "",
) -> TrainingClass:
    """Create a draft class of ``course`` (its institution's staff only)."""
    _require_institution_staff(actor, course.institution_id)
    _require_training_filing(course, field="course")
    if region is None:
        region = venue.region if venue is not None else course.institution.region
    cls = TrainingClass(
        code=code.strip().upper(),
        course=course,
        start_date=start_date,
        end_date=end_date,
        capacity=capacity,
        region=region,
        venue=venue,
        address=address,
    )
    cls.full_clean()
    cls.save()
    audit_record(
        actor=actor, action="class.create", obj=cls, after={"status": cls.status}
    )
    return cls


CLASS_EDITABLE_FIELDS = (
    "code",
    "course",
    "region",
    "venue",
    "address",
    "start_date",
    "end_date",
    "capacity",
)


@transaction.atomic
def class_update(
    *, actor, training_class: TrainingClass, changes: dict, request=None
) -> TrainingClass:
    """Change a draft or returned class's details (its institution's staff only)."""
    cls = _locked(training_class)
    _require_institution_staff(actor, cls.course.institution_id)
    if cls.status not in EDITABLE_STATUSES:
        raise ValidationError(
            "培训班当前状态为“%(status)s”，只有草稿或已退回的培训班可以修改。",
            code="not_editable",
            params={"status": cls.get_status_display()},
        )
    unknown = set(changes) - set(CLASS_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    changes = dict(changes)
    if "course" in changes:
        _require_institution_staff(actor, changes["course"].institution_id)
        if changes["course"].pk != cls.course_id:
            _require_training_filing(changes["course"], field="course")
    if "code" in changes:
        changes["code"] = changes["code"].strip().upper()
    if "region" in changes and changes["region"] is None:
        venue = changes.get("venue", cls.venue)
        course = changes.get("course", cls.course)
        changes["region"] = (
            venue.region if venue is not None else course.institution.region
        )
    before, after = {}, {}
    for name, value in changes.items():
        old = getattr(cls, name)
        if old != value:
            before[name], after[name] = str(old), str(value)
            setattr(cls, name, value)
    if cls.capacity < cls.seats_taken:
        raise ValidationError(
            "计划人数不能少于已报名人数（%(n)d）。",
            code="capacity_below_enrolled",
            params={"n": cls.seats_taken},
        )
    cls.full_clean()
    cls.save()
    if after:
        audit_record(
            actor=actor,
            action="class.update",
            obj=cls,
            before=before,
            after=after,
            request=request,
        )
    return cls


@transaction.atomic
def class_file(*, actor, training_class: TrainingClass, request=None) -> TrainingClass:
    """开班备案: submit a draft (or a returned) class for approval."""
    cls = _locked(training_class)
    _require_institution_staff(actor, cls.course.institution_id)
    # A filing withdrawn since the class was drafted stops it here.
    _require_training_filing(cls.course, field="course")
    return _transition(
        cls,
        "file",
        actor=actor,
        request=request,
        filed_at=timezone.now(),
        rejection_reason="",
    )


@transaction.atomic
def class_approve(
    *, actor, training_class: TrainingClass, request=None
) -> TrainingClass:
    """Approve a filed class; only a bureau of the class's region or above may."""
    cls = _locked(training_class)
    region = approving_region_for(actor, cls.region_id)
    return _transition(
        cls,
        "approve",
        actor=actor,
        request=request,
        approved_by=actor,
        approving_region=region,
        approved_at=timezone.now(),
    )


@transaction.atomic
def class_reject(
    *, actor, training_class: TrainingClass, reason: str, request=None
) -> TrainingClass:
    """Return a filed class to the institution with a reason."""
    if not reason or not reason.strip():
        raise ValidationError("请填写退回原因。", code="reason_required")
    cls = _locked(training_class)
    approving_region_for(actor, cls.region_id)
    return _transition(
        cls,
        "reject",
        actor=actor,
        request=request,
        reason=reason,
        rejection_reason=reason.strip(),
    )


def _institution_transition(action):
    @transaction.atomic
    def run(*, actor, training_class: TrainingClass, request=None, reason: str = ""):
        cls = _locked(training_class)
        _require_institution_staff(actor, cls.course.institution_id)
        return _transition(cls, action, actor=actor, request=request, reason=reason)

    run.__name__ = f"class_{action}"
    run.__doc__ = f"{ACTION_LABELS[action]}: institution staff move the class on."
    return run


class_open = _institution_transition("open")
class_start = _institution_transition("start")
class_finish = _institution_transition("finish")
class_cancel = _institution_transition("cancel")


# --- enrolment -------------------------------------------------------------------------


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class Refusal:
    """Why a person may not join a class: a code and a message shown as it is."""

    code: str
    message: str


TOO_YOUNG = Refusal("not_eligible", f"报名者在开班时须年满{MINIMUM_AGE}周岁。")


def enrolment_refusals(
    *, birth_date: dt.date, training_class: TrainingClass
) -> list[Refusal]:
    """The rules about the person every enrolment path applies (self-service, roster,
    staff, API): empty if ``birth_date``'s holder may join ``training_class``.

    Only what the person brings is checked here; the class's status, seats and a
    second enrolment are each path's own (a roster may fill a running class).
    """
    refusals = []
    if _age_on(birth_date, training_class.start_date) < MINIMUM_AGE:
        refusals.append(TOO_YOUNG)
    return refusals


@transaction.atomic
def enrolment_create(
    *,
    trainee: Trainee,
    training_class: TrainingClass,
    source: str = EnrolmentSource.SELF,
    actor=None,
    request=None,
) -> Enrolment:
    """Enrol ``trainee`` in an open class with a free seat; never twice, never overbooked.

    The class row is locked for the seat count, so concurrent requests for the last seat
    cannot both win (and the database's check constraint backs that up).
    """
    cls = _locked(training_class)
    if cls.status != ClassStatus.OPEN:
        raise ValidationError(
            "该培训班当前不接受报名（状态：%(status)s）。",
            code="closed",
            params={"status": cls.get_status_display()},
        )
    existing = Enrolment.objects.filter(trainee=trainee, training_class=cls).first()
    if existing is not None and existing.is_active:
        raise ValidationError(
            "您已报名该培训班，无需重复报名。", code="already_enrolled"
        )
    refusals = enrolment_refusals(birth_date=trainee.birth_date, training_class=cls)
    if refusals:
        raise ValidationError(refusals[0].message, code=refusals[0].code)
    if cls.seats_taken >= cls.capacity:
        raise ValidationError("该培训班名额已满，请选择其他班次。", code="full")
    TrainingClass.objects.filter(pk=cls.pk).update(seats_taken=F("seats_taken") + 1)
    if existing is None:
        enrolment = Enrolment(trainee=trainee, training_class=cls, source=source)
        # Both rows are in hand and the uniqueness was checked above (the database
        # constraint backs it); validating them again would cost three queries.
        enrolment.full_clean(
            exclude=["trainee", "training_class"],
            validate_unique=False,
            validate_constraints=False,
        )
        enrolment.save()
    else:
        enrolment = existing
        enrolment.status = EnrolmentStatus.ENROLLED
        enrolment.source = source
        enrolment.withdrawn_at = None
        enrolment.save(update_fields=["status", "source", "withdrawn_at"])
    audit_record(
        actor=actor,
        action="enrolment.create",
        obj=enrolment,
        after={"class": cls.code, "source": source},
        request=request,
    )
    return enrolment


WITHDRAWABLE_CLASS_STATUSES = frozenset({ClassStatus.OPEN, ClassStatus.APPROVED})


def enrolment_can_withdraw(enrolment: Enrolment) -> bool:
    """Whether the trainee may still leave the class online (before it starts)."""
    return (
        enrolment.is_active
        and enrolment.training_class.status in WITHDRAWABLE_CLASS_STATUSES
    )


@transaction.atomic
def enrolment_withdraw(*, enrolment: Enrolment, actor=None, request=None) -> Enrolment:
    """Withdraw from a class that has not started; the seat is freed."""
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    cls = _locked(enrolment.training_class)
    if not enrolment.is_active:
        raise ValidationError("您已退出该培训班。", code="not_enrolled")
    if cls.status not in (ClassStatus.OPEN, ClassStatus.APPROVED):
        raise ValidationError(
            "培训班已开班或结束，不能在线退出，请联系培训机构。", code="closed"
        )
    status_change(
        obj=enrolment,
        to=EnrolmentStatus.WITHDRAWN,
        actor=actor,
        action="enrolment.withdraw",
        changes={"withdrawn_at": timezone.now()},
        request=request,
    )
    TrainingClass.objects.filter(pk=cls.pk).update(seats_taken=F("seats_taken") - 1)
    return enrolment


# --- attendance and assessment ---------------------------------------------------------


def attendance_share(enrolment: Enrolment) -> Decimal:
    """Attended hours over the course's hours (0..1)."""
    hours = enrolment.training_class.course.hours
    return min(Decimal(enrolment.attendance_hours) / Decimal(hours), Decimal(1))


def meets_attendance(enrolment: Enrolment) -> bool:
    """Attendance at or above the configured share (default 80%) — needed for certificate
    and subsidy."""
    return attendance_share(enrolment) >= Decimal(str(settings.ATTENDANCE_THRESHOLD))


def attendance_threshold_hours(cls: TrainingClass) -> Decimal:
    """The hours a trainee must attend for a pass (the configured share of the course)."""
    return Decimal(str(settings.ATTENDANCE_THRESHOLD)) * cls.course.hours


def _recordable(actor, enrolment: Enrolment) -> TrainingClass:
    cls = enrolment.training_class
    _require_institution_staff(actor, cls.course.institution_id)
    if cls.status not in (ClassStatus.RUNNING, ClassStatus.FINISHED):
        raise ValidationError(
            "培训班开班后才能录入出勤和考核结果。", code="not_running"
        )
    if not enrolment.is_active:
        raise ValidationError("该学员已退出培训班。", code="not_enrolled")
    return cls


def _require_unsettled(enrolment: Enrolment, changed: bool) -> None:
    if changed and results_settled([enrolment.pk]):
        raise ValidationError(RESULTS_SETTLED, code="results_settled")


@transaction.atomic
def attendance_record(*, actor, enrolment: Enrolment, hours, request=None) -> Enrolment:
    """Record the hours a trainee attended (at most the course's hours)."""
    cls = _recordable(actor, enrolment)
    hours = Decimal(str(hours))
    if hours < 0 or hours > cls.course.hours:
        raise ValidationError(
            "出勤课时应在 0 到 %(max)d 之间。",
            code="attendance_range",
            params={"max": cls.course.hours},
        )
    if (
        enrolment.result == AssessmentResult.PASSED
        and hours < attendance_threshold_hours(cls)
    ):
        raise ValidationError(
            "该学员已评为合格，出勤课时不能低于%(min)s；如需更正，请先修改考核结果。",
            code="attendance_below_pass",
            params={"min": attendance_threshold_hours(cls).normalize()},
        )
    _require_unsettled(enrolment, hours != enrolment.attendance_hours)
    before = {"attendance_hours": str(enrolment.attendance_hours)}
    enrolment.attendance_hours = hours
    enrolment.save(update_fields=["attendance_hours"])
    audit_record(
        actor=actor,
        action="enrolment.attendance",
        obj=enrolment,
        before=before,
        after={"attendance_hours": str(hours)},
        request=request,
    )
    return enrolment


@transaction.atomic
def assessment_record(
    *, actor, enrolment: Enrolment, result: str, score=None, request=None
) -> Enrolment:
    """Record an assessment result (and score); a pass needs attendance at the threshold."""
    _recordable(actor, enrolment)
    if result not in AssessmentResult.values:
        raise ValidationError("考核结果应为合格、不合格或缺考。", code="result_invalid")
    score = None if score in (None, "") else Decimal(str(score))
    if score is not None and not (0 <= score <= 100):
        raise ValidationError("考核成绩应在 0 到 100 之间。", code="score_range")
    if result == AssessmentResult.PASSED and not meets_attendance(enrolment):
        raise ValidationError(
            "出勤不足%(share)d%%，不能评为合格。",
            code="attendance_too_low",
            params={"share": round(settings.ATTENDANCE_THRESHOLD * 100)},
        )
    _require_unsettled(
        enrolment, result != enrolment.result or score != enrolment.score
    )
    before = {"result": enrolment.result, "score": str(enrolment.score)}
    enrolment.result = result
    enrolment.score = score
    enrolment.assessed_at = timezone.now()
    enrolment.save(update_fields=["result", "score", "assessed_at"])
    audit_record(
        actor=actor,
        action="enrolment.assessment",
        obj=enrolment,
        before=before,
        after={"result": result, "score": str(score)},
        request=request,
    )
    return enrolment
