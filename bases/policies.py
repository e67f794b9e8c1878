"""Who may see and change institutions, bases, studios and memberships (see access.py)."""

from django.db.models import Q

from bases.models import (
    BaseKind,
    StaffMembership,
    TrainingInstitution,
)
from training_platform import access
from training_platform.reference.models import prefix_for
from training_platform.roles import REGION_ROLES, Role

APPROVE_PERMISSION = "bases.approve_traininginstitution"


# --- who may do what --------------------------------------------------------------------


def may_review_region(actor, region_code: str | None) -> bool:
    """Whether ``actor`` oversees institutions in ``region_code``: the bureau of that
    region or of a region above it (the province), or an administrator."""
    scope = access.scope_for(actor)
    if scope.is_superuser:
        return True
    if not region_code or not actor.has_perm(APPROVE_PERMISSION):
        return False
    return any(
        region_code.startswith(prefix) for prefix in scope.region_prefixes(Role.BUREAU)
    )


def may_review(actor, institution: TrainingInstitution) -> bool:
    """Whether ``actor`` may change ``institution``'s identity and qualification."""
    return may_review_region(actor, institution.region_id)


def is_institution_staff(actor, institution: TrainingInstitution) -> bool:
    scope = access.scope_for(actor)
    return institution.pk in scope.institution_ids(Role.INSTITUTION)


def may_edit_contacts(actor, institution: TrainingInstitution) -> bool:
    return is_institution_staff(actor, institution) or may_review(actor, institution)


# --- access rules (rows each role may see and change) ---------------------------------


def resolve_scope(user) -> dict:
    memberships = list(
        StaffMembership.objects.filter(user=user, is_active=True)
        .select_related("region")
        .only("role", "institution_id", "region__code", "region__level")
    )
    return {
        "roles": {m.role for m in memberships},
        "role_institutions": {
            (m.role, m.institution_id) for m in memberships if m.institution_id
        },
        "role_regions": {
            (m.role, prefix_for(m.region.code, m.region.level))
            for m in memberships
            if m.role in REGION_ROLES and m.region_id
        },
    }


def _regional(scope):
    # Bureau staff and auditors: everything in their region and below.
    return scope.region_q("region__code")


def institution_view(scope):
    return access.any_of([_regional(scope), scope.institution_q("pk")])


def institution_change(scope):
    # Institution staff keep their own record up to date; the bureau approves it.
    return access.any_of(
        [
            scope.institution_q("pk", role=Role.INSTITUTION),
            _bureau_only(scope, "region__code"),
        ]
    )


def hosted_view(scope):
    return access.any_of([_regional(scope), scope.institution_q("host_id")])


def base_view(scope):
    # 公共实训基地 are shared facilities: every institution may hold classes there.
    public = (
        Q(kind=BaseKind.PUBLIC_TRAINING) if scope.role_institutions else access.NOTHING
    )
    return access.any_of([hosted_view(scope), public])


def hosted_change(scope):
    return _bureau_only(scope, "region__code")


def _bureau_only(scope, path):
    return scope.region_q(path, role=Role.BUREAU)


def change_request_view(scope):
    return access.any_of(
        [
            scope.region_q("institution__region__code"),
            scope.institution_q("institution_id"),
        ]
    )


def change_request_review(scope):
    # The bureau of the institution's region (or the province) decides; the services
    # check the same rule (may_review above).
    return _bureau_only(scope, "institution__region__code")


def membership_view(scope):
    return scope.region_q("region__code", "institution__region__code")


def membership_change(scope):
    # Nobody changes a membership row through the scoped admin views.
    return access.NOTHING
