"""The one transition table of a claim, who may take each step, and the step itself.

Every change of a claim's status goes through :func:`claim_move` (one claim, row
locked) or :func:`claims_move` (many, set-based); both audit each step as
``subsidies.claim.<to>`` with who, when, from, to and why. Services add what a step
needs (re-running checks at approval, the notice round, the batch) and call these.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from subsidies import policies
from subsidies.models import Claim, ClaimStatus
from training_platform import access
from training_platform.audit.services import audit_record_many, status_change
from training_platform.roles import Role

S = ClaimStatus

# Who takes a step.
FILER = "filer"  # the trainee for their own claim, or the filing institution's staff
BUREAU = "bureau"  # a bureau over the claim's region (or a superuser)
SYSTEM = "system"  # the platform itself (notice period over, bank return applied)


@dataclass(frozen=True)
class Step:
    label: str  # the verb a button shows
    by: str
    reason_required: bool = False


TRANSITIONS: dict[tuple[str, str], Step] = {
    (S.DRAFT, S.SUBMITTED): Step("提交", FILER),
    (S.RETURNED, S.SUBMITTED): Step("补正后重新提交", FILER),
    (S.DRAFT, S.WITHDRAWN): Step("撤回", FILER),
    (S.SUBMITTED, S.WITHDRAWN): Step("撤回", FILER),
    (S.RETURNED, S.WITHDRAWN): Step("撤回", FILER),
    (S.SUBMITTED, S.UNDER_REVIEW): Step("受理", BUREAU),
    (S.UNDER_REVIEW, S.APPROVED): Step("审核通过", BUREAU),
    (S.UNDER_REVIEW, S.REJECTED): Step("不予通过", BUREAU, reason_required=True),
    (S.UNDER_REVIEW, S.RETURNED): Step("退回补正", BUREAU, reason_required=True),
    (S.APPROVED, S.IN_NOTICE): Step("公示", BUREAU),
    # An upheld objection ends the claim; the period over with none open moves it on.
    (S.IN_NOTICE, S.REJECTED): Step("异议成立，不予通过", BUREAU, reason_required=True),
    (S.IN_NOTICE, S.NOTICED): Step("公示期满", SYSTEM),
    (S.NOTICED, S.IN_BATCH): Step("编入拨付批次", BUREAU),
    (S.PAYMENT_FAILED, S.IN_BATCH): Step("重新编入拨付批次", BUREAU),
    (S.IN_BATCH, S.NOTICED): Step("移出拨付批次", BUREAU, reason_required=True),
    (S.IN_BATCH, S.PAID): Step("拨付到账", SYSTEM),
    (S.IN_BATCH, S.PAYMENT_FAILED): Step("拨付失败", SYSTEM, reason_required=True),
}


def step(from_status: str, to: str) -> Step:
    """The step from ``from_status`` to ``to``; ValidationError if there is none."""
    try:
        return TRANSITIONS[(from_status, to)]
    except KeyError:
        raise ValidationError(
            f"申领状态为“{S(from_status).label}”，不能改为“{S(to).label}”。"
        ) from None


def next_steps(status: str) -> list[tuple[str, Step]]:
    """The statuses a claim in ``status`` can move to, with their steps."""
    return [(to, s) for (frm, to), s in TRANSITIONS.items() if frm == status]


def is_filer(actor, claim: Claim) -> bool:
    """The trainee the claim is for (their own filing), or staff of its institution."""
    if actor is None or not actor.is_authenticated:
        return False
    scope = access.scope_for(actor)
    if claim.institution_id and claim.institution_id in scope.institution_ids(
        Role.INSTITUTION
    ):
        return True
    return bool(scope.trainee_id) and scope.trainee_id == claim.trainee_id


def is_reviewing_bureau(actor, claim: Claim) -> bool:
    """A bureau over the claim's region, or a superuser."""
    return policies.is_bureau_over(actor, claim.region_id)


def may_take(actor, claim: Claim, to: str) -> bool:
    """Whether ``actor`` may move ``claim`` to ``to`` now (the status included)."""
    s = TRANSITIONS.get((claim.status, to))
    if s is None:
        return False
    if s.by == FILER:
        return is_filer(actor, claim)
    if s.by == BUREAU:
        return is_reviewing_bureau(actor, claim)
    return actor is None  # SYSTEM steps are taken by the platform, not a person


def _check(actor, claim: Claim, to: str, reason: str) -> Step:
    s = step(claim.status, to)
    if not may_take(actor, claim, to):
        raise PermissionDenied("您无权办理此申领的这一步。")
    if s.reason_required and not reason.strip():
        raise ValidationError(f"“{s.label}”须填写原因。")
    return s


@transaction.atomic
def claim_move(
    *,
    claim: Claim,
    to: str,
    actor=None,
    reason: str = "",
    changes: dict | None = None,
    after: dict | None = None,
    request=None,
) -> Claim:
    """Lock the claim, check the step and who takes it, move it, audit it."""
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    _check(actor, locked, to, reason)
    status_change(
        obj=locked,
        to=to,
        actor=actor,
        action=f"subsidies.claim.{to}",
        changes={"updated_at": timezone.now(), **(changes or {})},
        after=after,
        reason=reason,
        request=request,
    )
    return locked


@transaction.atomic
def claims_move(
    *,
    claims: Iterable[Claim],
    to: str,
    actor=None,
    reason: str = "",
    changes: dict | None = None,
    after=None,
    request=None,
) -> list[Claim]:
    """Move many claims in one UPDATE (each row locked and checked first), audited each.

    All or nothing: one claim that may not move refuses the whole set.
    """
    ids = [c.pk for c in claims]
    locked = list(Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(locked) != len(set(ids)):
        raise ValidationError("部分申领已不存在，请刷新后重试。")
    for claim in locked:
        _check(actor, claim, to, reason)
    froms = {c.pk: c.status for c in locked}
    fields = {"status": to, "updated_at": timezone.now(), **(changes or {})}
    Claim.objects.filter(pk__in=ids).update(**fields)
    for claim in locked:
        for name, value in fields.items():
            setattr(claim, name, value)
    audit_record_many(
        actor=actor,
        action=f"subsidies.claim.{to}",
        objects=locked,
        before=lambda c: {"status": froms[c.pk]},
        after=lambda c: {
            "status": to,
            **(after(c) if callable(after) else after or {}),
        },
        reason=reason,
        request=request,
    )
    return locked
