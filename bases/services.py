"""State changes of institutions, staff memberships and the registry of training bases
and skill-master studios (see the registry section at the end).

An institution's row holds its *approved* facts. Who may change which of them:

- contact details (address, contact person, phone): the institution's own staff and
  the bureau that oversees it;
- identity (name, credit code, kind, region) and filed occupations: the bureau of the
  institution's region (or the province); the institution's staff ask for such a change
  with a change request, which the bureau approves or rejects;
- qualification (status, date of approval): only that bureau, through
  :func:`institution_qualification_set`.

Certificates read the institution's row, so they always carry the last approved name.
"""

import datetime as dt

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from bases.models import (
    ApprovalLevel,
    ChangeRequestFiling,
    ChangeRequestStatus,
    InstitutionChangeRequest,
    InstitutionOccupation,
    LevelChange,
    QualificationStatus,
    SkillMasterStudio,
    StaffMembership,
    TrainingBase,
    TrainingInstitution,
    check_master_level,
)
from bases.policies import (
    is_institution_staff,
    may_edit_contacts,
    may_review,
    may_review_region,
)
from training_platform.access import forget_scope
from training_platform.audit.services import audit_record
from training_platform.reference.models import Region
from training_platform.roles import group_name

CONTACT_FIELDS = ("address", "contact_name", "contact_phone")
IDENTITY_FIELDS = ("name", "credit_code", "kind", "region")
QUALIFICATION_FIELDS = ("status", "approved_at")
FILING_FIELDS = ("occupation", "max_level", "can_train", "can_evaluate", "filing_no")


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


# --- snapshots (what audits and change requests compare) ---------------------------------


def _value(obj, name):
    if name in ("region", "occupation"):
        return getattr(obj, f"{name}_id")
    value = getattr(obj, name)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def filings_snapshot(filings) -> list[dict]:
    """Filings (model rows or dicts) as a sorted list of plain dicts."""
    rows = []
    for filing in filings:
        if isinstance(filing, dict):
            row = {name: filing.get(name) for name in FILING_FIELDS}
            occupation = row["occupation"]
            row["occupation"] = getattr(occupation, "pk", occupation)
            row["filing_no"] = row["filing_no"] or ""
            row["can_train"] = bool(row["can_train"])
            row["can_evaluate"] = bool(row["can_evaluate"])
        else:
            row = {name: _value(filing, name) for name in FILING_FIELDS}
        rows.append(row)
    return sorted(rows, key=lambda r: r["occupation"] or "")


def identity_snapshot(institution: TrainingInstitution) -> dict:
    """The approved identity of ``institution``: fields and filings."""
    snapshot = {name: _value(institution, name) for name in IDENTITY_FIELDS}
    snapshot["filings"] = filings_snapshot(institution.filings.all())
    return snapshot


def _check_filings(filings: list[dict]) -> None:
    seen = set()
    for row in filings:
        if row["occupation"] in seen:
            raise ValidationError(
                {"filings": "同一职业只能备案一次，请合并重复的备案职业。"},
                code="duplicate_filing",
            )
        seen.add(row["occupation"])


def _apply_filings(institution: TrainingInstitution, filings: list[dict]) -> None:
    """Make ``institution``'s filings exactly ``filings`` (a snapshot list)."""
    _check_filings(filings)
    existing = {f.occupation_id: f for f in institution.filings.all()}
    wanted = {row["occupation"]: row for row in filings}
    InstitutionOccupation.objects.filter(
        institution=institution, occupation_id__in=set(existing) - set(wanted)
    ).delete()
    for code, row in wanted.items():
        filing = existing.get(code) or InstitutionOccupation(
            institution=institution, occupation_id=code
        )
        for name in FILING_FIELDS[1:]:
            setattr(filing, name, row[name])
        filing.full_clean(exclude=["institution"])
        filing.save()


def _set_fields(institution, changes: dict) -> dict:
    """Write ``changes`` onto the row; returns {field: (before, after)} of real changes."""
    changed = {}
    for name, value in changes.items():
        attr = f"{name}_id" if name == "region" else name
        if name == "region":
            value = getattr(value, "pk", value)
        before = getattr(institution, attr)
        if before != value:
            changed[name] = (before, value)
            setattr(institution, attr, value)
    return changed


def _jsonable(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _lock(institution: TrainingInstitution) -> TrainingInstitution:
    return TrainingInstitution.objects.select_for_update().get(pk=institution.pk)


# --- institutions ------------------------------------------------------------------------


@transaction.atomic
def institution_create(
    *,
    actor,
    fields: dict,
    filings: list[dict] | None = None,
    reason: str = "",
    request=None,
) -> TrainingInstitution:
    """Register an institution (the bureau of its region, or the province)."""
    region = fields.get("region")
    if not may_review_region(actor, getattr(region, "pk", region)):
        raise PermissionDenied("只有机构所在地的人社部门可以登记培训机构。")
    allowed = {*CONTACT_FIELDS, *IDENTITY_FIELDS, *QUALIFICATION_FIELDS}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"不能设置字段：{'、'.join(sorted(unknown))}")
    institution = TrainingInstitution(**fields)
    if (
        institution.status == QualificationStatus.APPROVED
        and not institution.approved_at
    ):
        institution.approved_at = timezone.localdate()
    institution.full_clean()
    institution.save()
    if filings:
        _apply_filings(institution, filings_snapshot(filings))
    after = identity_snapshot(institution)
    after.update({name: _value(institution, name) for name in QUALIFICATION_FIELDS})
    audit_record(
        actor=actor,
        action="bases.institution.create",
        obj=institution,
        after=after,
        reason=reason,
        request=request,
    )
    return institution


@transaction.atomic
def institution_update(
    *,
    actor,
    institution: TrainingInstitution,
    changes: dict,
    filings: list[dict] | None = None,
    request=None,
) -> TrainingInstitution:
    """Change an institution's contact details (its staff or its bureau), or its
    identity and filings (its bureau only). Qualification has its own service."""
    institution = _lock(institution)
    if not may_edit_contacts(actor, institution):
        raise PermissionDenied("您不能修改该机构的信息。")
    reviewer = may_review(actor, institution)
    allowed = set(CONTACT_FIELDS) | (set(IDENTITY_FIELDS) if reviewer else set())
    before_filings = filings_snapshot(institution.filings.all())
    changed = _set_fields(institution, changes)
    refused = set(changed) - allowed
    if refused & set(QUALIFICATION_FIELDS):
        raise PermissionDenied("资质状态和认定日期由人社部门认定，不能在此修改。")
    if refused:
        raise PermissionDenied(
            "机构名称、信用代码、类型、所在地的变更须提交变更申请，经人社部门审核。"
        )
    if "region" in changed and not may_review_region(actor, institution.region_id):
        raise PermissionDenied("只能把机构登记在本部门辖区内。")
    new_filings = None
    if filings is not None:
        new_filings = filings_snapshot(filings)
        if new_filings == before_filings:
            new_filings = None
        elif not reviewer:
            raise PermissionDenied("备案职业的变更须提交变更申请，经人社部门审核。")
    if not changed and new_filings is None:
        return institution
    institution.full_clean()
    institution.save()
    before = {name: _jsonable(old) for name, (old, _new) in changed.items()}
    after = {name: _jsonable(new) for name, (_old, new) in changed.items()}
    if new_filings is not None:
        _apply_filings(institution, new_filings)
        before["filings"], after["filings"] = before_filings, new_filings
    audit_record(
        actor=actor,
        action="bases.institution.update",
        obj=institution,
        before=before,
        after=after,
        request=request,
    )
    return institution


@transaction.atomic
def institution_qualification_set(
    *,
    actor,
    institution: TrainingInstitution,
    status: str,
    approved_at: dt.date | None = None,
    reason: str = "",
    request=None,
) -> TrainingInstitution:
    """Set an institution's qualification (认定/暂停/撤销), by the bureau of its region
    or the province, audited. Certificates are issued only while it is approved."""
    institution = _lock(institution)
    if not may_review(actor, institution):
        raise PermissionDenied("只有机构所在地的人社部门可以认定或变更机构资质。")
    if status not in QualificationStatus.values:
        raise ValidationError({"status": "资质状态无效。"}, code="status")
    if status == QualificationStatus.APPROVED and approved_at is None:
        approved_at = institution.approved_at or timezone.localdate()
    changed = _set_fields(institution, {"status": status, "approved_at": approved_at})
    if not changed:
        return institution
    institution.full_clean()
    institution.save(update_fields=list(changed))
    audit_record(
        actor=actor,
        action="bases.institution.qualification",
        obj=institution,
        before={name: _jsonable(old) for name, (old, _new) in changed.items()},
        after={name: _jsonable(new) for name, (_old, new) in changed.items()},
        reason=reason,
        request=request,
    )
    return institution


# --- change requests ---------------------------------------------------------------------


def _requested_identity(change_request: InstitutionChangeRequest) -> dict:
    snapshot = {name: _value(change_request, name) for name in IDENTITY_FIELDS}
    snapshot["filings"] = filings_snapshot(change_request.filings.all())
    return snapshot


def change_request_differences(change_request: InstitutionChangeRequest) -> list:
    """[(field, before, asked)] for what the request changes."""
    asked = _requested_identity(change_request)
    before = change_request.before
    return [
        (name, before.get(name), asked[name])
        for name in (*IDENTITY_FIELDS, "filings")
        if before.get(name) != asked[name]
    ]


@transaction.atomic
def institution_change_request_file(
    *,
    actor,
    institution: TrainingInstitution,
    name: str,
    credit_code: str,
    kind: str,
    region,
    filings: list[dict],
    note: str = "",
    request=None,
) -> InstitutionChangeRequest:
    """Institution staff ask the bureau to change their institution's identity."""
    institution = _lock(institution)
    if not is_institution_staff(actor, institution):
        raise PermissionDenied("只有本机构的工作人员可以提交机构信息变更申请。")
    if institution.change_requests.filter(status=ChangeRequestStatus.PENDING).exists():
        raise ValidationError(
            "本机构已有一份待审核的变更申请，请等待人社部门审核后再提交。",
            code="pending_exists",
        )
    asked_filings = filings_snapshot(filings)
    _check_filings(asked_filings)
    change_request = InstitutionChangeRequest(
        institution=institution,
        name=name,
        credit_code=credit_code,
        kind=kind,
        region_id=getattr(region, "pk", region),
        note=note,
        before=identity_snapshot(institution),
        requested_by=actor if actor.is_authenticated else None,
    )
    change_request.full_clean()
    clash = TrainingInstitution.objects.filter(
        credit_code=change_request.credit_code
    ).exclude(pk=institution.pk)
    if clash.exists():
        raise ValidationError(
            {"credit_code": "该统一社会信用代码已被其他机构使用。"}, code="credit_code"
        )
    asked = {name: _value(change_request, name) for name in IDENTITY_FIELDS}
    asked["filings"] = asked_filings
    if asked == change_request.before:
        raise ValidationError(
            "申请内容与现有信息相同，没有需要审核的变更。", code="same"
        )
    change_request.save()
    for row in asked_filings:
        filing = ChangeRequestFiling(request=change_request, **_filing_kwargs(row))
        filing.full_clean(exclude=["request"])
        filing.save()
    audit_record(
        actor=actor,
        action="bases.institution.change_request.file",
        obj=institution,
        before=change_request.before,
        after=asked,
        reason=note,
        request=request,
    )
    return change_request


def _filing_kwargs(row: dict) -> dict:
    return {
        "occupation_id": row["occupation"],
        **{name: row[name] for name in FILING_FIELDS[1:]},
    }


def _lock_pending(change_request, actor) -> InstitutionChangeRequest:
    change_request = (
        InstitutionChangeRequest.objects.select_for_update()
        .select_related("institution")
        .get(pk=change_request.pk)
    )
    if not may_review(actor, change_request.institution):
        raise PermissionDenied("只有机构所在地的人社部门可以审核机构变更申请。")
    if change_request.status != ChangeRequestStatus.PENDING:
        raise ValidationError(
            f"该申请已{change_request.get_status_display()}，不能再次审核。",
            code="not_pending",
        )
    return change_request


@transaction.atomic
def institution_change_request_approve(
    *, actor, change_request: InstitutionChangeRequest, note: str = "", request=None
) -> InstitutionChangeRequest:
    """Apply what the request changes to the institution (the bureau), audited."""
    change_request = _lock_pending(change_request, actor)
    institution = _lock(change_request.institution)
    differences = change_request_differences(change_request)
    changes = {name: asked for name, _old, asked in differences if name != "filings"}
    before = identity_snapshot(institution)
    changed = _set_fields(institution, changes)
    if changed:
        institution.full_clean()
        institution.save()
    if any(name == "filings" for name, _old, _asked in differences):
        _apply_filings(institution, _requested_identity(change_request)["filings"])
    _mark_reviewed(change_request, actor, ChangeRequestStatus.APPROVED, note)
    audit_record(
        actor=actor,
        action="bases.institution.change_request.approve",
        obj=institution,
        before=before,
        after=identity_snapshot(institution),
        reason=note or f"变更申请 #{change_request.pk}",
        request=request,
    )
    return change_request


def _mark_reviewed(change_request, actor, status, note: str) -> None:
    change_request.status = status
    change_request.reviewed_by = actor
    change_request.reviewed_at = timezone.now()
    change_request.review_note = note
    change_request.save(
        update_fields=["status", "reviewed_by", "reviewed_at", "review_note"]
    )


@transaction.atomic
def institution_change_request_reject(
    *, actor, change_request: InstitutionChangeRequest, reason: str, request=None
) -> InstitutionChangeRequest:
    """Turn a change request down with a reason; the institution stays as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因。"}, code="reason")
    change_request = _lock_pending(change_request, actor)
    _mark_reviewed(change_request, actor, ChangeRequestStatus.REJECTED, reason)
    audit_record(
        actor=actor,
        action="bases.institution.change_request.reject",
        obj=change_request.institution,
        after={"request": change_request.pk},
        reason=reason,
        request=request,
    )
    return change_request


# --- the registry of bases and studios ---------------------------------------------------
#
# Registry facts (kind, level, host, funding, the studio's master and its rows) are the
# bureau's: the bureau of the row's region or of the province, as for institutions. The
# level is never edited on the form: it changes through base_level_change /
# studio_level_change, which keep the history (LevelChange) and the audit trail.


def _registry_lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


def _check_registry_actor(actor, *region_codes) -> None:
    for code in region_codes:
        if not may_review_region(actor, code):
            raise PermissionDenied(
                "只有基地（工作室）所在地的人社部门可以登记或变更其信息。"
            )


def _registry_save(*, actor, obj, model, what: str, request=None):
    old = _registry_lock(model, obj) if obj.pk else None
    _check_registry_actor(
        actor, obj.region_id, *([old.region_id] if old is not None else [])
    )
    if old is not None and old.level != obj.level:
        raise ValidationError(
            {"level": "级别须通过“级别变更”登记（须填写文号），不能在此直接修改。"}
        )
    obj.full_clean()
    obj.save()
    audit_record(
        actor=actor,
        action=f"bases.{what}.{'update' if old is not None else 'create'}",
        obj=obj,
        after={"name": obj.name, "level": obj.level, "region": obj.region_id},
        request=request,
    )
    return obj


@transaction.atomic
def base_save(*, actor, base: TrainingBase, request=None) -> TrainingBase:
    """Register a training base or save the bureau's changes to it (the inline rows of
    a ClusterableModel form are saved with it), audited."""
    return _registry_save(
        actor=actor, obj=base, model=TrainingBase, what="base", request=request
    )


@transaction.atomic
def studio_save(*, actor, studio: SkillMasterStudio, request=None) -> SkillMasterStudio:
    """Register a studio or save the bureau's changes to it, audited. A leading master
    below 技师 is refused (``check_master_level``)."""
    check_master_level(studio.master_level)
    return _registry_save(
        actor=actor, obj=studio, model=SkillMasterStudio, what="studio", request=request
    )


def _level_change(
    *, actor, obj, model, what, to_level, changed_on, document_no, request
) -> LevelChange:
    obj = _registry_lock(model, obj)
    _check_registry_actor(actor, obj.region_id)
    errors = {}
    if to_level not in ApprovalLevel.values:
        errors["to_level"] = "请选择新级别。"
    elif to_level == obj.level:
        errors["to_level"] = f"新级别与现级别（{obj.get_level_display()}）相同。"
    document_no = (document_no or "").strip()
    if not document_no:
        errors["document_no"] = "请填写级别变更的文号。"
    if changed_on is None:
        errors["changed_on"] = "请填写变更日期。"
    elif changed_on > timezone.localdate():
        errors["changed_on"] = "变更日期不能晚于今天。"
    if errors:
        raise ValidationError(errors)
    change = LevelChange(
        **{what: obj},
        from_level=obj.level,
        to_level=to_level,
        changed_on=changed_on,
        document_no=document_no,
        changed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    change.full_clean()
    change.save()
    before = obj.level
    obj.level = to_level
    obj.save(update_fields=["level"])
    audit_record(
        actor=actor,
        action=f"bases.{what}.level",
        obj=obj,
        before={"level": before},
        after={"level": to_level, "document_no": document_no},
        reason=document_no,
        request=request,
    )
    return change


@transaction.atomic
def base_level_change(
    *,
    actor,
    base: TrainingBase,
    to_level: str,
    changed_on: dt.date,
    document_no: str,
    request=None,
) -> LevelChange:
    """Change a base's level (认定为省级、晋升国家级 …) with its document, by the bureau of
    its region or the province; the row is locked, the history row written, audited."""
    return _level_change(
        actor=actor,
        obj=base,
        model=TrainingBase,
        what="base",
        to_level=to_level,
        changed_on=changed_on,
        document_no=document_no,
        request=request,
    )


@transaction.atomic
def studio_level_change(
    *,
    actor,
    studio: SkillMasterStudio,
    to_level: str,
    changed_on: dt.date,
    document_no: str,
    request=None,
) -> LevelChange:
    """As :func:`base_level_change`, for a skill-master studio."""
    return _level_change(
        actor=actor,
        obj=studio,
        model=SkillMasterStudio,
        what="studio",
        to_level=to_level,
        changed_on=changed_on,
        document_no=document_no,
        request=request,
    )
