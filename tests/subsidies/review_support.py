"""Shared by the review tests: a stand-in for the pre-checks until subsidies.checks is
filled in (branch s11-checks), and the claims they start from."""

import datetime as dt

import pytest
from django.utils import timezone

from certificates.models import CertificateStatus
from subsidies import checks
from subsidies.models import CheckCode, ClaimCheck, ClaimStatus
from tests.factories import ClaimFactory, region


def _stand_in_check(claims, *, today=None):
    results = []
    for claim in claims:
        cert = claim.certificate
        valid = cert is None or cert.status == CertificateStatus.VALID
        results.append(
            [
                checks.CheckResult(
                    CheckCode.CERTIFICATE_VALID,
                    valid,
                    "证书有效。" if valid else "证书已撤销。",
                ),
                checks.CheckResult(
                    CheckCode.PAYEE_ACCOUNT,
                    bool(claim.payee_account),
                    "收款账户已填写。" if claim.payee_account else "未填写收款账号。",
                ),
            ]
        )
    return results


def _stand_in_store(claims, results, *, at=None):
    at = at or timezone.now()
    for claim, result in zip(claims, results, strict=True):
        ClaimCheck.objects.filter(claim=claim).delete()
        ClaimCheck.objects.bulk_create(
            ClaimCheck(
                claim=claim,
                code=r.code,
                passed=r.passed,
                message=r.message,
                checked_at=at,
            )
            for r in result
        )
        failed = sum(not r.passed for r in result)
        type(claim).objects.filter(pk=claim.pk).update(checks_failed=failed)
        claim.checks_failed = failed


@pytest.fixture(autouse=True)
def checks_ready(monkeypatch):
    """The real checks when they exist; else a stand-in with two of them."""
    try:
        checks.claims_check([])
    except NotImplementedError:
        monkeypatch.setattr(checks, "claims_check", _stand_in_check)
        monkeypatch.setattr(checks, "checks_store", _stand_in_store)


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
