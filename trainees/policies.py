"""Who may see and change trainee records (see access.py).

Bureau staff and auditors see trainees whose household or residence region is in their
region. A trainee sees their own record. Institution staff see the trainees of their own
classes: ``courses`` adds that rule, since enrolments live there.
"""

from django.db.models import Q

from trainees.extensions import activation_code_issuers
from trainees.models import Trainee
from training_platform import access
from training_platform.roles import Role


def is_back_office_user(user) -> bool:
    """Whether ``user`` works in the back office (staff, admin access or a staff role)."""
    return (
        user.is_staff
        or user.has_perm("wagtailadmin.access_admin")
        or access.scope_for(user).is_staff_scope
    )


def resolve_scope(user) -> dict:
    trainee_id = Trainee.objects.filter(user=user).values_list("pk", flat=True).first()
    if trainee_id is None:
        return {}
    return {"roles": {Role.TRAINEE}, "trainee_id": trainee_id}


def trainee_view(scope):
    own = Q(pk=scope.trainee_id) if scope.trainee_id else access.NOTHING
    return access.any_of(
        [scope.region_q("household_region__code", "residence_region__code"), own]
    )


def trainee_change(scope):
    return scope.region_q(
        "household_region__code", "residence_region__code", role=Role.BUREAU
    )


def membership_view(scope):
    own = Q(trainee_id=scope.trainee_id) if scope.trainee_id else access.NOTHING
    return access.any_of(
        [
            scope.region_q(
                "trainee__household_region__code", "trainee__residence_region__code"
            ),
            own,
        ]
    )


def membership_change(scope):
    return scope.region_q(
        "trainee__household_region__code",
        "trainee__residence_region__code",
        role=Role.BUREAU,
    )


# --- who may hand a person an activation code (to claim their record at sign-up) -------
#
# The bureau of the person's region; apps above add theirs (``courses``: the staff of an
# institution where the person is enrolled) on ``trainees.extensions``. Rules are OR-ed,
# as in ``access``.


def bureau_of_region(scope):
    return scope.region_q(
        "household_region__code", "residence_region__code", role=Role.BUREAU
    )


def activation_code_issuable(user):
    """The trainee records ``user`` may issue an activation code for."""
    scope = access.scope_for(user)
    if scope.is_superuser:
        return Trainee.objects.all()
    query = access.any_of(rule(scope) for rule in activation_code_issuers)
    if query == access.NOTHING:
        return Trainee.objects.none()
    return Trainee.objects.filter(pk__in=Trainee.objects.filter(query).values("pk"))
