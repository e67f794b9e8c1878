"""Who may see and change certificates (see training_platform/access.py).

See: the issuing organisation, the institution whose class earned it, regional roles over
the place of issue or of the class, and the holder. Change (revoke, reissue): the issuing
organisation's staff and bureaus over the place of issue.
"""

from django.db.models import Q

from certificates.models import Certificate
from training_platform import access
from training_platform.roles import Role

PROVINCE_PREFIX = "52"


def may_manage(actor, certificate: Certificate) -> bool:
    """Revoke or reissue: the issuing organisation's staff, or a bureau over its region."""
    return access.can_change(actor, certificate)


def certificate_view(scope):
    own = Q(trainee_id=scope.trainee_id) if scope.trainee_id else access.NOTHING
    return access.any_of(
        [
            scope.institution_q("issuer_id"),
            scope.institution_q("enrolment__training_class__course__institution_id"),
            scope.region_q("region__code", "enrolment__training_class__region__code"),
            own,
        ]
    )


def certificate_change(scope):
    return access.any_of(
        [
            scope.institution_q("issuer_id", role=Role.INSTITUTION),
            scope.institution_q("issuer_id", role=Role.EVALUATOR),
            scope.region_q("region__code", role=Role.BUREAU),
        ]
    )


def verification_view(scope):
    rules = [
        scope.region_q("certificate__region__code", role=role)
        for role in (Role.AUDITOR, Role.BUREAU)
    ]
    # Look-ups that matched nothing (enumeration attempts) belong to no region: the
    # province's auditors and bureau see them.
    if any(
        prefix == PROVINCE_PREFIX
        for role in (Role.AUDITOR, Role.BUREAU)
        for prefix in scope.region_prefixes(role)
    ):
        rules.append(Q(certificate__isnull=True))
    return access.any_of(rules)


def batch_view(scope):
    mine = Q(requested_by_id=scope.user_id) if scope.user_id else access.NOTHING
    return access.any_of(
        [
            mine,
            scope.institution_q("training_class__course__institution_id"),
            scope.region_q("training_class__region__code"),
        ]
    )
