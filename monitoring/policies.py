"""Who may see the plan dashboard (统计监测), and over which regions.

Bureaus and auditors, over the regions of those roles (a province bureau the nine
prefectures, 贵阳市's bureau its counties), and administrators over the province. Every
other role is refused and sees no menu item. A region asked for outside the scope is
answered 404 by the views (``region_in_scope``).
"""

from training_platform import access
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
