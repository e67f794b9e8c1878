"""The bureau's review of claims: take up, approve (with the checks run again), reject,
return for correction, and bulk approval by two people (maker-checker).

Every step goes through :mod:`subsidies.workflow` (it locks, checks who, audits). At
approval the pre-checks run again (``subsidies.checks.claims_recheck``): a claim whose
certificate was revoked after filing fails then, and a claim with any failed check is
approved only with a written override reason (特批理由), kept on the claim and in the
audit event, where auditors see it.

Overdue: a claim waiting for review (submitted or under review) filed more than
``REVIEW_WORKING_DAYS`` working days ago. Working days are Monday to Friday here
(no ``training_platform.workdays`` yet: public holidays are not counted out).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from subsidies import checks, services, workflow
from subsidies.models import (
    ApprovalList,
    ApprovalListStatus,
    Claim,
    ClaimStatus,
)
from training_platform import access, workdays
from training_platform.audit.services import audit_record

S = ClaimStatus
REVIEW_WORKING_DAYS = 10
WAITING = (S.SUBMITTED, S.UNDER_REVIEW)


# --- overdue ---------------------------------------------------------------------------


def overdue_cutoff(today: dt.date | None = None) -> dt.datetime:
    """Claims submitted before this moment are overdue."""
    today = today or timezone.localdate()
    day = workdays.add_working_days(today, -REVIEW_WORKING_DAYS)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def overdue_q(today: dt.date | None = None) -> Q:
    return Q(status__in=WAITING, submitted_at__lt=overdue_cutoff(today))


# --- one claim -------------------------------------------------------------------------


def _failed(results) -> list:
    return [r for r in results if not r.passed]


def _refuse_unless(actor, claim: Claim, to: str) -> None:
    """Refuse before anything is written (the rechecks included)."""
    workflow.step(claim.status, to)
    if not workflow.may_take(actor, claim, to):
        raise PermissionDenied("您无权办理此申领的这一步。")


@transaction.atomic
def claim_take_up(*, claim: Claim, actor, request=None) -> Claim:
    """受理: submitted → under review."""
    return workflow.claim_move(
        claim=claim, to=S.UNDER_REVIEW, actor=actor, request=request
    )


def claim_approve(
    *, claim: Claim, actor, override_reason: str = "", request=None
) -> Claim:
    """审核通过, after running every check again.

    Any failed check: refused unless ``override_reason`` says why it is approved anyway;
    the reason is kept on the claim (``override_reason``) and in the audit event. A
    refusal keeps the fresh check results, for the reviewer to read on the claim page.
    """
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        _refuse_unless(actor, locked, S.APPROVED)
        failed = _failed(checks.claims_recheck([locked])[0])
        if not failed or override_reason:
            return _approve(
                claim=locked,
                actor=actor,
                failed=failed,
                override_reason=override_reason if failed else "",
                request=request,
            )
    raise ValidationError(
        "本申领有未通过的预审项（"
        + "；".join(r.message for r in failed)
        + "），须填写特批理由才能审核通过。"
    )


def _approve(*, claim, actor, failed, override_reason, request) -> Claim:
    return workflow.claim_move(
        claim=claim,
        to=S.APPROVED,
        actor=actor,
        reason=override_reason,
        changes={
            "decided_by": actor,
            "decided_at": timezone.now(),
            "decision_reason": override_reason,
            "override_reason": override_reason,
        },
        after={
            "checks_failed": len(failed),
            "failed_checks": [str(r.code) for r in failed],
            **({"override_reason": override_reason} if override_reason else {}),
        },
        request=request,
    )


def _decide(*, claim, to, actor, reason, request) -> Claim:
    reason = (reason or "").strip()
    return workflow.claim_move(
        claim=claim,
        to=to,
        actor=actor,
        reason=reason,
        changes={
            "decided_by": actor,
            "decided_at": timezone.now(),
            "decision_reason": reason,
        },
        request=request,
    )


@transaction.atomic
def claim_reject(*, claim: Claim, actor, reason: str, request=None) -> Claim:
    """不予通过 (a reason is required)."""
    return _decide(
        claim=claim, to=S.REJECTED, actor=actor, reason=reason, request=request
    )


@transaction.atomic
def claim_return(*, claim: Claim, actor, reason: str, request=None) -> Claim:
    """退回补正 (a reason is required); the filer corrects and resubmits."""
    return _decide(
        claim=claim, to=S.RETURNED, actor=actor, reason=reason, request=request
    )


@transaction.atomic
def claim_resubmit(*, claim: Claim, actor, request=None) -> Claim:
    """补正后重新提交 (the filer): the checks run again, then back to submitted."""
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    _refuse_unless(actor, locked, S.SUBMITTED)
    checks.claims_recheck([locked])
    return workflow.claim_move(
        claim=locked,
        to=S.SUBMITTED,
        actor=actor,
        changes={"submitted_at": timezone.now()},
        request=request,
    )


def claim_step(*, claim: Claim, to: str, actor, reason: str = "", request=None):
    """The step to ``to`` on a claim page, by the service that takes it."""
    if to == S.UNDER_REVIEW:
        return claim_take_up(claim=claim, actor=actor, request=request)
    if to == S.APPROVED:
        return claim_approve(
            claim=claim, actor=actor, override_reason=reason, request=request
        )
    if to == S.REJECTED and claim.status == S.UNDER_REVIEW:
        return claim_reject(claim=claim, actor=actor, reason=reason, request=request)
    if to == S.RETURNED:
        return claim_return(claim=claim, actor=actor, reason=reason, request=request)
    if to == S.SUBMITTED and claim.status == S.RETURNED:
        return claim_resubmit(claim=claim, actor=actor, request=request)
    if to == S.WITHDRAWN:
        return services.claim_withdraw(
            claim=claim, actor=actor, reason=reason, request=request
        )
    raise ValidationError("这一步不在审核页面办理。")


#: The steps a claim page offers (the others belong to the notice and batch screens).
PAGE_STEPS = {
    (S.SUBMITTED, S.UNDER_REVIEW),
    (S.UNDER_REVIEW, S.APPROVED),
    (S.UNDER_REVIEW, S.REJECTED),
    (S.UNDER_REVIEW, S.RETURNED),
    (S.RETURNED, S.SUBMITTED),
    (S.DRAFT, S.WITHDRAWN),
    (S.SUBMITTED, S.WITHDRAWN),
    (S.RETURNED, S.WITHDRAWN),
}


def claim_next_steps(actor, claim: Claim) -> list[tuple[str, workflow.Step]]:
    """The steps ``actor`` may take on ``claim`` now, from this page."""
    return [
        (to, s)
        for to, s in workflow.next_steps(claim.status)
        if (claim.status, to) in PAGE_STEPS and workflow.may_take(actor, claim, to)
    ]


def next_waiting(actor, *, after: Claim | None = None) -> Claim | None:
    """下一条待办: the oldest claim waiting for review that ``actor`` may take on."""
    rows = (
        access.changeable(actor, Claim)
        .filter(status__in=WAITING)
        .select_related("region")
        .order_by("submitted_at", "pk")
    )
    if after is not None:
        rows = rows.exclude(pk=after.pk)
    for claim in rows[:50]:
        to = S.UNDER_REVIEW if claim.status == S.SUBMITTED else S.APPROVED
        if workflow.may_take(actor, claim, to):
            return claim
    return None


# --- bulk approval (maker-checker) -----------------------------------------------------


@dataclass
class ListOutcome:
    approved: list[Claim] = field(default_factory=list)
    left: list[tuple[Claim, str]] = field(default_factory=list)  # (claim, why)


def _may_review_all(actor, claims) -> bool:
    return all(workflow.is_reviewing_bureau(actor, c) for c in claims)


@transaction.atomic
def approval_list_prepare(*, claims, actor, request=None) -> ApprovalList:
    """制单: a list of claims under review with no failed check, for another to confirm."""
    claims = list(claims)
    if not claims:
        raise ValidationError("请选择要批量审核通过的申领。")
    if not _may_review_all(actor, claims):
        raise PermissionDenied("您无权审核所选的部分申领。")
    bad = [c for c in claims if c.status != S.UNDER_REVIEW or c.checks_failed]
    if bad:
        raise ValidationError(
            f"所选申领中有 {len(bad)} 条不是“审核中”或有未通过的预审项，"
            "批量审核只收预审全部通过的审核中申领。"
        )
    approval_list = ApprovalList(prepared_by=actor)
    approval_list.full_clean()
    approval_list.save()
    approval_list.claims.set(claims)
    audit_record(
        actor=actor,
        action="subsidies.approvallist.prepare",
        obj=approval_list,
        after={"claims": sorted(c.pk for c in claims)},
        request=request,
    )
    return approval_list


@transaction.atomic
def approval_list_confirm(*, approval_list: ApprovalList, actor, request=None):
    """复核: recheck every claim of the list (set-based) and approve, in one move, those
    still under review with no failed check; the rest stay under review and are named."""
    locked = ApprovalList.objects.select_for_update().get(pk=approval_list.pk)
    if locked.status != ApprovalListStatus.PREPARED:
        raise ValidationError("该清单已复核，不能再次复核。")
    if actor is None or actor.pk == locked.prepared_by_id:
        raise PermissionDenied(
            "制单人不能复核自己制作的清单，请由本地区另一位审核人员复核。"
        )
    claims = list(
        Claim.objects.select_for_update()
        .filter(approval_lists=locked)
        .select_related("region")
        .order_by("pk")
    )
    if not claims or not _may_review_all(actor, claims):
        raise PermissionDenied("您无权复核该清单。")
    outcome = ListOutcome()
    waiting = [c for c in claims if c.status == S.UNDER_REVIEW]
    for c in claims:
        if c.status != S.UNDER_REVIEW:
            outcome.left.append((c, f"当前状态为“{c.get_status_display()}”"))
    results = checks.claims_recheck(waiting) if waiting else []
    for claim, result in zip(waiting, results, strict=True):
        failed = _failed(result)
        if failed:
            outcome.left.append(
                (claim, "预审未通过：" + "；".join(r.message for r in failed))
            )
        else:
            outcome.approved.append(claim)
    now = timezone.now()
    if outcome.approved:
        outcome.approved = workflow.claims_move(
            claims=outcome.approved,
            to=S.APPROVED,
            actor=actor,
            changes={
                "decided_by": actor,
                "decided_at": now,
                "decision_reason": f"批量审核通过（清单 {locked.pk}）",
            },
            after={
                "approval_list": locked.pk,
                "prepared_by": locked.prepared_by_id,
                "checks_failed": 0,
            },
            request=request,
        )
    locked.status = ApprovalListStatus.CONFIRMED
    locked.confirmed_by = actor
    locked.confirmed_at = now
    locked.outcome = {
        "approved": [c.pk for c in outcome.approved],
        "left": [[c.pk, why] for c, why in outcome.left],
    }
    locked.full_clean()
    locked.save()
    audit_record(
        actor=actor,
        action="subsidies.approvallist.confirm",
        obj=locked,
        before={"status": ApprovalListStatus.PREPARED},
        after={"status": ApprovalListStatus.CONFIRMED, **locked.outcome},
        request=request,
    )
    return outcome
