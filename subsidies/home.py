"""What waits on the back-office home for subsidies (training_platform/home.py).

Bureau staff: claims waiting for their review in their region (submitted or under
review), overdue first (``subsidies.review.REVIEW_WORKING_DAYS`` working days).
Institution staff: their claims returned for correction (退回补正).
"""

from django.db.models import Case, IntegerField, Value, When

from subsidies import review
from subsidies.models import Claim, ClaimStatus
from subsidies.review_views import claim_url, queue_url
from training_platform import access, pii
from training_platform.home import (
    ORDER_CLAIMS,
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
