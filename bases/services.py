"""State changes of institutions and staff memberships."""

from django.contrib.auth.models import Group
from django.db import transaction

from bases.models import StaffMembership, TrainingInstitution
from training_platform.access import forget_scope
from training_platform.reference.models import Region
from training_platform.roles import group_name


@transaction.atomic
def membership_grant(
    *,
    user,
    role: str,
    institution: TrainingInstitution | None = None,
    region: Region | None = None,
) -> StaffMembership:
    """Give ``user`` a staff role with its scope, and the role's group (repeat-safe)."""
    membership, created = StaffMembership.objects.get_or_create(
        user=user,
        role=role,
        institution=institution,
        region=region,
        defaults={"is_active": True},
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    if not created:
        membership.full_clean()
    user.groups.add(Group.objects.get(name=group_name(role)))
    forget_scope(user)
    return membership
