"""Who may see and change courses, classes and enrolments (see access.py).

Institution staff and evaluators: their own institution's. Bureau staff and auditors:
everything that takes place in their region. Trainees: their own enrolments. This app also
lets institution staff see the trainees enrolled in their classes.
"""

from django.db.models import Q

from training_platform import access
from training_platform.roles import Role


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
