"""Who may see subsidy records (see training_platform/access.py).

A claim is seen by the person it is for, by staff of the institution that filed it or
trained the person for it, and by the bureaus and auditors over its region. Who may
take which step of a claim is ``subsidies.workflow.may_take`` (one table). Standards are
read by every bureau and auditor and changed only by the province bureau.
"""

from django.db.models import Q

from training_platform import access
from training_platform.roles import Role

PROVINCE_PREFIX = "52"


def claim_view(scope):
    own = Q(trainee_id=scope.trainee_id) if scope.trainee_id else access.NOTHING
    return access.any_of(
        [
            own,
            scope.institution_q("institution_id", role=Role.INSTITUTION),
            scope.region_q("region__code", role=Role.BUREAU),
            scope.region_q("region__code", role=Role.AUDITOR),
        ]
    )


def claim_change(scope):
    """Rows a role may act on at all; the step itself is checked by the workflow."""
    return access.any_of(
        [
            scope.institution_q("institution_id", role=Role.INSTITUTION),
            scope.region_q("region__code", role=Role.BUREAU),
        ]
    )


def _regional(scope, path: str) -> Q:
    return access.any_of(
        [
            scope.region_q(path, role=Role.BUREAU),
            scope.region_q(path, role=Role.AUDITOR),
        ]
    )


def batch_view(scope):
    return _regional(scope, "region__code")


def payment_view(scope):
    return _regional(scope, "batch__region__code")


def notice_view(scope):
    return _regional(scope, "region__code")


def objection_view(scope):
    return _regional(scope, "claim__region__code")


def is_province_bureau(user) -> bool:
    """Standards and holidays are the province bureau's to edit."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    prefixes = access.scope_for(user).region_prefixes(Role.BUREAU)
    return PROVINCE_PREFIX in prefixes


# --- standards (subsidies.standards, subsidies.viewsets) --------------------------------


def standard_view(scope):
    """Every bureau and auditor reads the standards (they hold for the whole province)."""
    if scope.is_superuser or scope.has(Role.BUREAU) or scope.has(Role.AUDITOR):
        return access.EVERYTHING
    return access.NOTHING


def standard_change(scope):
    """Only the province bureau (and administrators) edit standards."""
    if scope.is_superuser or PROVINCE_PREFIX in scope.region_prefixes(Role.BUREAU):
        return access.EVERYTHING
    return access.NOTHING


def is_bureau_over(actor, region_code: str) -> bool:
    """A bureau whose region covers ``region_code``, or a superuser: who reviews a
    claim, publishes its notice, answers objections and makes or checks its batch."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_superuser:
        return True
    return any(
        (region_code or "").startswith(prefix)
        for prefix in access.scope_for(actor).region_prefixes(Role.BUREAU)
    )


def is_regional_reader(user) -> bool:
    """Bureaus and auditors (over their regions) and administrators: the subsidy
    screens that are not one institution's (review, batches, anomalies, totals)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    scope = access.scope_for(user)
    return bool(
        scope.region_prefixes(Role.BUREAU) or scope.region_prefixes(Role.AUDITOR)
    )


def bureau_regions(user) -> list:
    """The regions the user is a bureau of (their outermost ones), by code: where they
    may publish a notice or make a batch."""
    from training_platform.reference.models import Region

    if user.is_superuser:
        return list(Region.objects.filter(code="520000"))
    prefixes = access.scope_for(user).region_prefixes(Role.BUREAU)
    codes = [p.ljust(6, "0") for p in prefixes]
    return list(Region.objects.filter(code__in=codes).order_by("code"))
