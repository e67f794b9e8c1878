"""公示: approved claims shown on /notice/ for a number of working days, objections (异议)
from the public, and the close of the period.

- ``notice_round_publish``: the bureau puts approved claims of its region in a new round
  (approved → in notice); the period starts today (or the next working day) and lasts
  ``working_days`` working days (``training_platform.workdays``: weekends and the
  bureau's holidays skipped).
- ``objection_file``: anyone, without signing in, questions a claim in notice. An open
  objection holds the claim: it stays in notice past the end of the period.
- ``objection_answer``: the reviewing bureau answers. Upheld: the claim is rejected
  (the answer is the reason). Not upheld: the claim stays in notice, and leaves at the
  next close if the period is over and nothing else is open.
- ``notice_rounds_close``: for rounds whose period is over, claims with no open
  objection move on (in notice → noticed, a step the platform takes); a round with no
  claim left in notice is closed. Idempotent: run it daily (``close_notice_rounds``,
  or the ``notice_rounds_close_task`` task).

Every status change of a claim goes through ``subsidies.workflow``.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from subsidies import policies, workflow
from subsidies.models import (
    Claim,
    ClaimStatus,
    NoticeRound,
    NoticeStatus,
    Objection,
    ObjectionStatus,
)
from training_platform import workdays
from training_platform.audit.services import audit_record, audit_record_many
from training_platform.reference.models import Region

DEFAULT_WORKING_DAYS = 5
MAX_WORKING_DAYS = 30
# Closed rounds stay on /notice/ this many days after their period ended.
RECENTLY_CLOSED_DAYS = 30
# Claims of a round shown on /notice/: in notice, and those that went on from it.
SHOWN_STATUSES = (
    ClaimStatus.IN_NOTICE,
    ClaimStatus.NOTICED,
    ClaimStatus.IN_BATCH,
    ClaimStatus.PAID,
    ClaimStatus.PAYMENT_FAILED,
)
OPEN_OBJECTION = Exists(
    Objection.objects.filter(claim=OuterRef("pk"), status=ObjectionStatus.OPEN)
)


def today() -> dt.date:
    return timezone.localdate()


def notice_period(
    working_days: int, *, on: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """(first day, last day) of a notice of ``working_days`` published on ``on``."""
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise ValidationError(f"公示期应为 1 至 {MAX_WORKING_DAYS} 个工作日。")
    on = on or today()
    calendar = workdays.Calendar(on, on + dt.timedelta(days=3 * MAX_WORKING_DAYS + 31))
    starts_on = workdays.next_working_day(on, calendar=calendar)
    return starts_on, workdays.period_end(starts_on, working_days, calendar=calendar)


def publishable_claims(region: Region):
    """Approved claims of ``region`` (and below it), not yet in a round."""
    return Claim.objects.filter(
        status=ClaimStatus.APPROVED,
        notice_round__isnull=True,
        region__code__startswith=region.prefix,
    )


def default_title(region: Region, starts_on: dt.date) -> str:
    return f"{region.name}职业技能培训补贴公示（{starts_on:%Y年%m月%d日}）"


@transaction.atomic
def notice_round_publish(
    *,
    claims,
    region: Region,
    working_days: int = DEFAULT_WORKING_DAYS,
    actor,
    title: str = "",
    on: dt.date | None = None,
    request=None,
) -> NoticeRound:
    """Put approved ``claims`` of ``region`` in a new round, in notice from today."""
    if not policies.is_bureau_over(actor, region.code):
        raise PermissionDenied("只有本地区的人社部门可以发布公示。")
    claims = list(claims)
    if not claims:
        raise ValidationError("没有可以公示的申领（须为审核通过、尚未公示的申领）。")
    outside = [c for c in claims if not c.region_id.startswith(region.prefix)]
    if outside:
        raise ValidationError(
            f"有 {len(outside)} 条申领不属于{region.name}，不能一起公示。"
        )
    starts_on, ends_on = notice_period(working_days, on=on)
    notice_round = NoticeRound(
        title=(title or "").strip() or default_title(region, starts_on),
        region=region,
        starts_on=starts_on,
        working_days=working_days,
        ends_on=ends_on,
        created_by=actor if actor.is_authenticated else None,
    )
    notice_round.full_clean()
    notice_round.save()
    # The workflow locks each claim and refuses the whole set if one is not approved.
    moved = workflow.claims_move(
        claims=claims,
        to=ClaimStatus.IN_NOTICE,
        actor=actor,
        changes={"notice_round": notice_round},
        after={"notice_round": notice_round.pk},
        request=request,
    )
    audit_record(
        actor=actor,
        action="subsidies.notice_round.publish",
        obj=notice_round,
        after={
            "claims": len(moved),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "working_days": working_days,
        },
        request=request,
    )
    return notice_round


def _clean_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 20):
        raise ValidationError("联系电话应为 7 至 20 位数字。")
    return phone


@transaction.atomic
def objection_file(
    *,
    claim: Claim,
    text: str,
    contact_name: str = "",
    contact_phone: str = "",
    request=None,
) -> Objection:
    """A public objection to a claim in notice (no sign-in); it holds the claim."""
    locked = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("notice_round")
        .get(pk=claim.pk)
    )
    if locked.status != ClaimStatus.IN_NOTICE or locked.notice_round is None:
        raise ValidationError("该申领已不在公示期内，不能再提出异议。")
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写异议内容。")
    objection = Objection(
        claim=locked,
        text=text,
        contact_name=(contact_name or "").strip(),
        contact_phone=_clean_phone(contact_phone),
    )
    objection.full_clean()
    objection.save()
    # The objector's name and phone stay on the row (the bureau sees them), not in the log.
    audit_record(
        actor=getattr(request, "user", None),
        action="subsidies.objection.file",
        obj=objection,
        after={"claim": locked.pk, "notice_round": locked.notice_round_id},
        request=request,
    )
    return objection


@transaction.atomic
def objection_answer(
    *, objection: Objection, answer: str, upheld: bool, actor, request=None
) -> Objection:
    """The reviewing bureau answers; upheld rejects the claim, the answer its reason."""
    locked = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("claim")
        .get(pk=objection.pk)
    )
    if not workflow.is_reviewing_bureau(actor, locked.claim):
        raise PermissionDenied("只有审核该申领的人社部门可以答复异议。")
    if locked.status != ObjectionStatus.OPEN:
        raise ValidationError("该异议已答复，不能再次答复。")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("请填写答复意见。")
    if upheld and locked.claim.status == ClaimStatus.IN_NOTICE:
        workflow.claim_move(
            claim=locked.claim,
            to=ClaimStatus.REJECTED,
            actor=actor,
            reason=f"公示异议成立：{answer}",
            changes={"decision_reason": f"公示异议成立：{answer}"},
            request=request,
        )
    locked.status = ObjectionStatus.ANSWERED
    locked.answer = answer
    locked.upheld = bool(upheld)
    locked.answered_by = actor
    locked.answered_at = timezone.now()
    locked.full_clean()
    locked.save()
    audit_record(
        actor=actor,
        action="subsidies.objection.answer",
        obj=locked,
        before={"status": ObjectionStatus.OPEN},
        after={"status": ObjectionStatus.ANSWERED, "upheld": bool(upheld)},
        reason=answer,
        request=request,
    )
    return locked


@transaction.atomic
def notice_rounds_close(*, today: dt.date | None = None) -> dict:
    """Move on the claims of rounds whose period is over; close rounds left empty.

    Returns ``{"noticed": n, "held": n, "closed": n}``: claims moved on, claims held by
    an open objection, rounds closed. Running it again changes nothing.
    """
    today = today or timezone.localdate()
    over = NoticeRound.objects.filter(status=NoticeStatus.OPEN, ends_on__lt=today)
    in_notice = Claim.objects.filter(
        notice_round__in=over, status=ClaimStatus.IN_NOTICE
    )
    # Lock first; then read the open objections afresh: one filed while we waited for
    # the lock is seen, and one filed after finds the claim no longer in notice.
    candidates = list(
        in_notice.select_for_update(of=("self",)).order_by("pk").only("pk", "status")
    )
    held = set(
        Objection.objects.filter(
            claim__in=[c.pk for c in candidates], status=ObjectionStatus.OPEN
        ).values_list("claim_id", flat=True)
    )
    free = [c for c in candidates if c.pk not in held]
    if free:
        workflow.claims_move(claims=free, to=ClaimStatus.NOTICED, actor=None)
    closing = list(
        over.annotate(
            left=Count("claims", filter=Q(claims__status=ClaimStatus.IN_NOTICE))
        ).filter(left=0)
    )
    if closing:
        now = timezone.now()
        NoticeRound.objects.filter(pk__in=[r.pk for r in closing]).update(
            status=NoticeStatus.CLOSED, closed_at=now
        )
        audit_record_many(
            actor=None,
            action="subsidies.notice_round.close",
            objects=closing,
            before={"status": NoticeStatus.OPEN},
            after={"status": NoticeStatus.CLOSED},
        )
    return {"noticed": len(free), "held": len(held), "closed": len(closing)}
