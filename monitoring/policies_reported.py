"""Who may see and act on reported figures (统计报送) — a small set of functions the
monitoring app's ``policies.py`` can fold in.

Bureau staff read, enter and approve the figures of the regions they cover; auditors
read those of their regions; nobody else reaches the screens (404). Approving is
also refused to the person who entered the figure (the service and a database
constraint say so too); the screens show why.
"""

from django.db.models import Q

from monitoring.models import FigureStatus, ReportedFigure
from training_platform import access
from training_platform.reference.models import Region
from training_platform.roles import Role

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
    """Prefixes whose figures the user may read (bureau and auditor)."""
    if not _active(user):
        return ()
    if user.is_superuser:
        return ("",)
    scope = access.scope_for(user)
    return access._outermost(
        scope.region_prefixes(Role.BUREAU) + scope.region_prefixes(Role.AUDITOR)
    )


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
    if "" in prefixes:
        return ReportedFigure.objects.all()
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
