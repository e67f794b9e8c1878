"""What waits on the back-office home for bases' work (training_platform/home.py).

Bureau staff: institution change requests waiting for their review, oldest first,
scoped as the review itself (``policies.change_request_review``).
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from bases.models import ChangeRequestStatus, InstitutionChangeRequest
from training_platform import access
from training_platform.home import (
    ORDER_DECISIONS,
    ROWS_SHOWN,
    HomePanel,
    HomeRow,
    HomeSection,
)
from training_platform.roles import Role


def change_requests_panel(request) -> list[HomePanel]:
    scope = access.scope_for(request.user)
    if not (scope.is_superuser or scope.has(Role.BUREAU)):
        return []
    waiting = access.changeable(request.user, InstitutionChangeRequest).filter(
        status=ChangeRequestStatus.PENDING
    )
    count = waiting.count()
    shown = (
        waiting.select_related("institution", "requested_by").order_by(
            "requested_at", "pk"
        )[:ROWS_SHOWN]
        if count
        else []
    )
    rows = [
        HomeRow(
            label=f"{change.institution.name} 的变更申请",
            url=reverse("institutionchangerequest:inspect", args=[change.pk]),
            detail=(
                f"申请于 {timezone.localtime(change.requested_at):%Y-%m-%d}"
                + (f" · {change.note}" if change.note else "")
            ),
            action="审核",
        )
        for change in shown
    ]
    more_url = (
        reverse("institutionchangerequest:index")
        + "?"
        + urlencode({"status": ChangeRequestStatus.PENDING})
    )
    return [
        HomePanel(
            key="bureau-change-requests",
            heading="待审核的机构变更",
            sections=[HomeSection("待审核", count, rows, more_url=more_url)],
            empty="没有等待您审核的机构变更申请。",
            order=ORDER_DECISIONS + 20,
        )
    ]
