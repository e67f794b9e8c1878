"""Who may see the plan dashboard (统计监测), and over which regions.

Bureaus and auditors, over the regions of those roles (a province bureau the nine
prefectures, 贵阳市's bureau its counties), and administrators over the province. Every
other role is refused and sees no menu item. A region asked for outside the scope is
answered 404 by the views (``region_in_scope``).

Reported figures (统计报送): bureau staff read, enter and approve the figures of the
regions they cover; auditors read those of their regions; nobody else reaches the
screens (404). Approving is also refused to the person who entered the figure (the
service and a database constraint say so too); the screens show why.
"""

from django.db.models import Q

from monitoring.models import FigureStatus, ReportedFigure
from training_platform import access
from training_platform.reference.models import Region
from training_platform.roles import Role

PROVINCE_PREFIX = "52"


def dashboard_prefixes(user) -> tuple:
    """The region code prefixes the user may read figures for (outermost only)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    if user.is_superuser:
        return (PROVINCE_PREFIX,)
    scope = access.scope_for(user)
    return access._outermost(
        scope.region_prefixes(Role.BUREAU) + scope.region_prefixes(Role.AUDITOR)
    )


def may_view_dashboard(user) -> bool:
    return bool(dashboard_prefixes(user))


def region_in_scope(user, prefix: str) -> bool:
    """Whether the region with code prefix ``prefix`` lies within the user's scope."""
    return any(prefix.startswith(p) for p in dashboard_prefixes(user))


# --- reported figures (统计报送) ---

SELF_APPROVAL = "不能批准自己报送的数据"
SELF_REJECTION = "不能退回自己报送的数据"
NOT_DRAFT = "该数据已审核"
NOT_BUREAU = "只有该地区人社部门的工作人员可以审核"


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def bureau_prefixes(user) -> tuple:
    """Region code prefixes the user is a bureau of ("" for a superuser: everywhere)."""
    if not _active(user):
        return ()
    if user.is_superuser:
        return ("",)
    return access.scope_for(user).region_prefixes(Role.BUREAU)


def reader_prefixes(user) -> tuple:
    """Prefixes whose reported figures the user may read: the dashboard's."""
    return dashboard_prefixes(user)


def may_read(user) -> bool:
    return bool(reader_prefixes(user))


def may_enter(user) -> bool:
    return bool(bureau_prefixes(user))


def is_bureau_over(user, region_code: str) -> bool:
    return any((region_code or "").startswith(p) for p in bureau_prefixes(user))


def visible_figures(user):
    """The reported figures of the user's regions (none for other roles)."""
    prefixes = reader_prefixes(user)
    if not prefixes:
        return ReportedFigure.objects.none()
    query = Q()
    for prefix in prefixes:
        query |= Q(region__code__startswith=prefix)
    return ReportedFigure.objects.filter(query)


def enterable_regions(user):
    """Regions the user may enter figures for: their bureau regions and below."""
    prefixes = bureau_prefixes(user)
    if not prefixes:
        return Region.objects.none()
    if "" in prefixes:
        return Region.objects.order_by("code")
    query = Q()
    for prefix in prefixes:
        query |= Q(code__startswith=prefix)
    return Region.objects.filter(query).order_by("code")


def approve_refusal(user, figure: ReportedFigure) -> str:
    """Why ``user`` may not approve ``figure`` ("" when they may)."""
    if figure.status != FigureStatus.DRAFT:
        return NOT_DRAFT
    if not is_bureau_over(user, figure.region.code):
        return NOT_BUREAU
    if user.pk == figure.entered_by_id:
        return SELF_APPROVAL
    return ""


def reject_refusal(user, figure: ReportedFigure) -> str:
    """Why ``user`` may not send ``figure`` back ("" when they may)."""
    if figure.status != FigureStatus.DRAFT:
        return NOT_DRAFT
    if not is_bureau_over(user, figure.region.code):
        return NOT_BUREAU
    if user.pk == figure.entered_by_id:
        return SELF_REJECTION
    return ""
