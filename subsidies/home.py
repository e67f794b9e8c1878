"""What waits on the back-office home for subsidies (training_platform/home.py).

Bureau staff: claims waiting for their review in their region (submitted or under
review), overdue first (``subsidies.review.REVIEW_WORKING_DAYS`` working days).
Institution staff: their claims returned for correction (退回补正). The reviewing bureau:
objections to claims in public notice waiting for an answer.
"""

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from subsidies import review
from subsidies.models import Claim, ClaimStatus, Objection, ObjectionStatus
from subsidies.notice_views import answer_url, rounds_url
from subsidies.review_views import claim_url, queue_url
from training_platform import access, pii
from training_platform.home import (
    ORDER_CLAIMS,
    ORDER_DECISIONS,
    ORDER_WORK,
    ROWS_SHOWN,
    HomePanel,
    HomeRow,
    HomeSection,
)
from training_platform.roles import Role


def _detail(claim) -> str:
    institution = claim.institution.name if claim.institution_id else "本人申领"
    return f"{claim.get_kind_display()} · {institution} · {claim.region.name}"


def bureau_claims_panel(request) -> list[HomePanel]:
    user = request.user
    if not access.scope_for(user).region_prefixes(Role.BUREAU):
        return []
    waiting = access.changeable(user, Claim).filter(status__in=review.WAITING)
    overdue_q = review.overdue_q()
    count = waiting.count()
    overdue = waiting.filter(overdue_q).count() if count else 0
    shown = (
        waiting.select_related("trainee", "institution", "region")
        .annotate(
            late=Case(
                When(overdue_q, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("late", "submitted_at", "pk")[:ROWS_SHOWN]
        if count
        else []
    )
    rows = [
        HomeRow(
            label=f"{pii.mask_name(c.trainee.name)} {c.amount:,.2f} 元",
            url=claim_url(c),
            detail=_detail(c),
            action="受理" if c.status == ClaimStatus.SUBMITTED else "审核",
            flag="已超期" if c.late == 0 else "",
        )
        for c in shown
    ]
    return [
        HomePanel(
            key="subsidy-claims-review",
            heading="待审核的补贴申领",
            sections=[
                HomeSection("待审核", count, rows, more_url=queue_url(status="waiting"))
            ],
            empty="没有等待您审核的补贴申领。",
            order=ORDER_CLAIMS,
            overdue=overdue,
            links=[("补贴审核", queue_url())],
        )
    ]


def institution_returned_panel(request) -> list[HomePanel]:
    user = request.user
    if not access.scope_for(user).institution_ids(Role.INSTITUTION):
        return []
    returned = access.changeable(user, Claim).filter(status=ClaimStatus.RETURNED)
    count = returned.count()
    shown = (
        returned.select_related("trainee", "institution", "region").order_by(
            "decided_at", "pk"
        )[:ROWS_SHOWN]
        if count
        else []
    )
    rows = [
        HomeRow(
            label=f"{pii.mask_name(c.trainee.name)} {c.get_kind_display()}",
            url=claim_url(c),
            detail=f"退回原因：{c.decision_reason or '—'}",
            action="补正后重新提交",
        )
        for c in shown
    ]
    return [
        HomePanel(
            key="subsidy-claims-returned",
            heading="退回补正的补贴申领",
            sections=[
                HomeSection(
                    "退回补正", count, rows, more_url=queue_url(status="returned")
                )
            ],
            empty="没有退回补正的补贴申领。",
            order=ORDER_WORK,
        )
    ]


ORDER_OBJECTIONS = ORDER_DECISIONS + 15  # after the claims to review (ORDER_CLAIMS)


def objections_panel(request) -> list[HomePanel]:
    """待答复的公示异议, for the reviewing bureau (its regions' claims)."""
    user = request.user
    scope = access.scope_for(user)
    if not (scope.is_superuser or scope.has(Role.BUREAU)):
        return []
    waiting = Objection.objects.filter(status=ObjectionStatus.OPEN)
    if not scope.is_superuser:
        waiting = waiting.filter(
            scope.region_q("claim__region__code", role=Role.BUREAU)
        )
    count = waiting.count()
    today = timezone.localdate()
    shown = (
        list(
            waiting.select_related("claim__trainee", "claim__notice_round").order_by(
                "created_at", "pk"
            )[:ROWS_SHOWN]
        )
        if count
        else []
    )
    overdue = (
        waiting.filter(claim__notice_round__ends_on__lt=today).count() if count else 0
    )
    rows = [
        HomeRow(
            label=f"异议 #{o.pk}：{pii.mask_name(o.claim.trainee.name)} "
            f"{o.claim.get_kind_display()} {o.claim.amount:,.2f} 元",
            url=answer_url(o),
            detail=f"{o.claim.notice_round.title} · 提出于 "
            f"{timezone.localtime(o.created_at):%Y-%m-%d}",
            action="答复",
            flag="公示期已满"
            if o.claim.notice_round and o.claim.notice_round.ends_on < today
            else "",
        )
        for o in shown
    ]
    return [
        HomePanel(
            key="bureau-notice-objections",
            heading="待答复的公示异议",
            sections=[
                HomeSection(
                    "待答复",
                    count,
                    rows,
                    next_step="核查后答复；答复前该申领不会转入拨付",
                    more_url=rounds_url(),
                )
            ],
            empty="没有待答复的公示异议。",
            order=ORDER_OBJECTIONS,
            overdue=overdue,
        )
    ]
