"""Who may see 核查记录 and who may save them.

The same answer as the verification log (``policies.verification_view``): auditors and
bureaus see the items about certificates of their region, and the province's see the
items that matched no certificate. A session is seen by whoever may see one of its
items, and always by the auditor who made it (with all of its items).
"""

from django.db.models import Q

from certificates.policies import verification_view
from certificates.scan_models import SpotCheckItem
from training_platform import access
from training_platform.roles import Role


def may_save(user) -> bool:
    """Only auditors (审计核查) save spot-check sessions."""
    return access.scope_for(user).has(Role.AUDITOR)


def spot_check_item_view(scope):
    own = (
        Q(spot_check__checked_by_id=scope.user_id) if scope.user_id else access.NOTHING
    )
    return access.any_of([verification_view(scope), own])


def spot_check_view(scope):
    own = Q(checked_by_id=scope.user_id) if scope.user_id else access.NOTHING
    items = verification_view(scope)
    if items == access.NOTHING:
        return own
    if items == access.EVERYTHING:
        return access.EVERYTHING
    seen = SpotCheckItem.objects.filter(items).values("spot_check_id")
    return access.any_of([own, Q(pk__in=seen)])
