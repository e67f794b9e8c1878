"""Shared by the review tests: the claims they start from, checked by the real
pre-checks."""

import datetime as dt

from django.utils import timezone

from certificates.models import CertificateStatus
from subsidies import checks
from subsidies.models import ClaimStatus
from tests.factories import ClaimFactory, region


def waiting_claim(status=ClaimStatus.UNDER_REVIEW, *, days_ago=1, **kw):
    """A claim in 南明区 (贵阳市), checked clean, submitted ``days_ago`` days ago."""
    kw.setdefault("region", region("520102"))
    claim = ClaimFactory(
        status=status,
        submitted_at=timezone.now() - dt.timedelta(days=days_ago),
        **kw,
    )
    checks.claims_recheck([claim])
    return claim


def revoke(certificate):
    """The certificate revoked after the claim was filed (written directly)."""
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = "证书信息有误"
    certificate.save(update_fields=["status", "revoked_at", "revoked_reason"])
