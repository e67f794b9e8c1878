"""Who may see and change courses, classes and enrolments (see access.py).

Institution staff and evaluators: their own institution's. Bureau staff and auditors:
everything that takes place in their region. Trainees: their own enrolments. This app also
lets institution staff see the trainees enrolled in their classes.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from courses.models import ClassStatus, TrainingClass
from training_platform import access
from training_platform.reference.models import Region
from training_platform.roles import Role

# --- who may act (screens ask these; services check them again) ---------------------


def is_institution_staff(actor, institution_id: int) -> bool:
    """Whether ``actor`` works for the institution as its staff (or is a superuser)."""
    scope = access.scope_for(actor)
    return scope.is_superuser or institution_id in scope.institution_ids(
        Role.INSTITUTION
    )


def approving_region_for(actor, region_code: str) -> Region:
    """The bureau region under which ``actor`` may approve something in ``region_code``.

    A class is approved only by a bureau of its region or above (SPEC 2.3).
    """
    scope = access.scope_for(actor)
    prefixes = [
        p for p in scope.region_prefixes(Role.BUREAU) if region_code.startswith(p)
    ]
    if not prefixes:
        raise PermissionDenied("只有培训地点所在地区（或上级）的人社部门可以审批。")
    prefix = max(prefixes, key=len)  # the most local bureau the user serves in
    return Region.objects.get(code=prefix.ljust(6, "0"))


# action → (statuses it may start from, status it leads to)
TRANSITIONS = {
    "file": ({ClassStatus.DRAFT, ClassStatus.REJECTED}, ClassStatus.FILED),
    "approve": ({ClassStatus.FILED}, ClassStatus.APPROVED),
    "reject": ({ClassStatus.FILED}, ClassStatus.REJECTED),
    "open": ({ClassStatus.APPROVED}, ClassStatus.OPEN),
    "start": ({ClassStatus.APPROVED, ClassStatus.OPEN}, ClassStatus.RUNNING),
    "finish": ({ClassStatus.RUNNING}, ClassStatus.FINISHED),
    "cancel": (
        {
            ClassStatus.DRAFT,
            ClassStatus.FILED,
            ClassStatus.REJECTED,
            ClassStatus.APPROVED,
            ClassStatus.OPEN,
        },
        ClassStatus.CANCELLED,
    ),
}
INSTITUTION_ACTIONS = ("file", "open", "start", "finish", "cancel")
BUREAU_ACTIONS = ("approve", "reject")
# Details the institution may still change: before filing, or after a return.
EDITABLE_STATUSES = frozenset({ClassStatus.DRAFT, ClassStatus.REJECTED})


def may_review(actor, training_class: TrainingClass) -> bool:
    try:
        approving_region_for(actor, training_class.region_id)
    except PermissionDenied:
        return False
    return True


def class_actions_for(actor, training_class: TrainingClass) -> list[str]:
    """The transitions ``actor`` may take from the class's current status (screens offer
    these; each service still checks again when it runs)."""
    allowed = [
        a for a, (sources, _) in TRANSITIONS.items() if training_class.status in sources
    ]
    offered = []
    if is_institution_staff(actor, training_class.course.institution_id):
        offered += [a for a in allowed if a in INSTITUTION_ACTIONS]
    if any(a in BUREAU_ACTIONS for a in allowed) and may_review(actor, training_class):
        offered += [a for a in allowed if a in BUREAU_ACTIONS]
    return offered


def class_can_edit(actor, training_class: TrainingClass) -> bool:
    return training_class.status in EDITABLE_STATUSES and is_institution_staff(
        actor, training_class.course.institution_id
    )


def is_class_staff(user, training_class) -> bool:
    """Whether ``user`` works (as institution staff) for the class's institution."""
    return is_institution_staff(user, training_class.course.institution_id)


# --- access rules (rows each role may see and change) ---------------------------------


def course_view(scope):
    return access.any_of(
        [
            scope.institution_q("institution_id"),
            scope.region_q("institution__region__code"),
            # A course runs anywhere its classes run.
            scope.region_q("classes__region__code"),
        ]
    )


def course_change(scope):
    return scope.institution_q("institution_id", role=Role.INSTITUTION)


def class_view(scope):
    return access.any_of(
        [scope.institution_q("course__institution_id"), scope.region_q("region__code")]
    )


def class_change(scope):
    return access.any_of(
        [
            scope.institution_q("course__institution_id", role=Role.INSTITUTION),
            scope.region_q("region__code", role=Role.BUREAU),
        ]
    )


def enrolment_view(scope):
    own = Q(trainee_id=scope.trainee_id) if scope.trainee_id else access.NOTHING
    return access.any_of(
        [
            scope.institution_q("training_class__course__institution_id"),
            scope.region_q("training_class__region__code"),
            own,
        ]
    )


def enrolment_change(scope):
    return scope.institution_q(
        "training_class__course__institution_id", role=Role.INSTITUTION
    )


def trainee_of_my_classes(scope):
    return scope.institution_q("enrolments__training_class__course__institution_id")


def trainee_of_my_institution_classes(scope):
    # Institution staff (not evaluators) may hand their trainees an activation code.
    return scope.institution_q(
        "enrolments__training_class__course__institution_id", role=Role.INSTITUTION
    )
