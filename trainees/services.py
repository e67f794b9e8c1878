"""State changes of trainee records."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from trainees.models import (
    KeyGroupMembership,
    Trainee,
    id_number_fields,
    id_number_hash,
)
from training_platform import access
from training_platform.audit.services import audit_record
from training_platform.reference.models import KeyGroup, Region
from training_platform.validators import normalize_mobile, parse_id_number


@transaction.atomic
def trainee_create(
    *,
    name: str,
    id_number: str,
    phone: str = "",
    household_region: Region | None = None,
    residence_region: Region | None = None,
    education: str = "",
    user=None,
) -> Trainee:
    """Create a real-name record; one person, one record (refuses a known ID number)."""
    info = parse_id_number(id_number)
    if Trainee.objects.filter(id_number_hash=id_number_hash(info.number)).exists():
        raise ValidationError(
            {
                "id_number": ValidationError(
                    "该身份证号码已有学员档案。", code="duplicate"
                )
            }
        )
    trainee = Trainee(
        name=name.strip(),
        phone=normalize_mobile(phone) if phone else "",
        household_region=household_region,
        residence_region=residence_region,
        education=education,
        user=user,
        **id_number_fields(info),
    )
    trainee.full_clean(exclude=["id_number_hash"])
    trainee.save()
    return trainee


@transaction.atomic
def key_group_membership_add(
    *,
    trainee: Trainee,
    group: KeyGroup,
    since: dt.date,
    until: dt.date | None = None,
    evidence: str = "",
) -> KeyGroupMembership:
    """Record that a trainee belongs to a key group from ``since`` (repeat-safe)."""
    membership, _created = KeyGroupMembership.objects.get_or_create(
        trainee=trainee,
        group=group,
        since=since,
        defaults={"until": until, "evidence": evidence},
    )
    return membership


REVEALABLE_FIELDS = {"id_number": "身份证号码", "bank_account": "银行账号"}


def trainee_reveal_pii(*, actor, trainee: Trainee, field: str, request=None) -> str:
    """Return the full value of a personal-data field, after checking and logging it."""
    if field not in REVEALABLE_FIELDS:
        raise ValueError(field)
    if not actor.has_perm("trainees.reveal_pii") or not access.can_view(actor, trainee):
        raise PermissionDenied("没有查看完整个人信息的权限。")
    audit_record(
        actor=actor,
        action="pii.reveal",
        obj=trainee,
        after={"field": field},
        request=request,
    )
    return getattr(trainee, field)
