"""What waits on the back-office home for competitions (training_platform/home.py).

Organisers and the bureau: the competitions they manage that are taking entries
(报名中) or being scored (评分中), each linking to its page, where the next step is.
"""

from django.urls import reverse

from competitions.models import Competition, CompetitionStatus
from training_platform import access
from training_platform.home import (
    ORDER_WORK,
    ROWS_SHOWN,
    HomePanel,
    HomeRow,
    HomeSection,
)
from training_platform.roles import Role

ACTIONS = {
    CompetitionStatus.REGISTRATION: "登记报名，报名结束后开始评分",
    CompetitionStatus.SCORING: "录入或导入成绩，核对后公布",
}


def _section(queryset, status, heading) -> HomeSection:
    waiting = queryset.filter(status=status)
    count = waiting.count()
    shown = (
        list(
            waiting.select_related("region").order_by("-year", "name", "pk")[
                :ROWS_SHOWN
            ]
        )
        if count
        else []
    )
    rows = [
        HomeRow(
            label=c.name,
            url=reverse("competitions:detail", args=[c.pk]),
            detail=f"{c.year} 年 · {c.get_level_display()} · {c.region.name}",
            action="报名" if status == CompetitionStatus.REGISTRATION else "评分",
        )
        for c in shown
    ]
    return HomeSection(
        heading,
        count,
        rows,
        measure="项竞赛",
        next_step=ACTIONS[status],
        more_url=reverse("competition:index") + f"?status={status}",
    )


def managed_competitions_panel(request) -> list[HomePanel]:
    user = request.user
    if not user.is_authenticated:
        return []
    scope = access.scope_for(user)
    if not (scope.is_superuser or scope.has(Role.BUREAU)) and not (
        user.organised_competitions.exists()
    ):
        return []
    managed = access.changeable(user, Competition)
    sections = [
        _section(managed, CompetitionStatus.REGISTRATION, "报名中"),
        _section(managed, CompetitionStatus.SCORING, "评分中"),
    ]
    return [
        HomePanel(
            key="competitions-managed",
            heading="我管理的职业技能竞赛",
            sections=sections,
            empty="没有正在报名或评分的竞赛。",
            measure="项竞赛",
            order=ORDER_WORK,
            links=[("职业技能竞赛", reverse("competition:index"))],
        )
    ]
