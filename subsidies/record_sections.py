"""The claims behind a certificate, on the certificate's back-office page.

Registered on ``certificates.extensions.record_sections`` (subsidies/apps.py). Shown to
roles that may see claims at all (the ``subsidies.view_claim`` permission: bureaus,
auditors, institutions), and only the claims ``access.visible`` lets them see; other
roles get no section. One query, whatever the number of claims.
"""

from __future__ import annotations

from django.utils.html import format_html

from courses.templatetags.money import yuan
from subsidies.anomalies import claim_url
from subsidies.models import Claim
from training_platform import access
from training_platform.display import EMPTY

TITLE = "补贴申领"
HEADERS = ["申领", "补贴类型", "金额", "状态", "拨付日期", "特批理由"]


def _claim_cell(claim):
    return format_html('<a href="{}">申领 #{}</a>', claim_url(claim.pk), claim.pk)


def certificate_claims(request, certificate):
    """``(title, rows, headers)`` for the certificate page, or ``None`` for other roles."""
    user = request.user
    if not user.has_perm("subsidies.view_claim"):
        return None
    claims = (
        access.visible(user, Claim.objects.filter(certificate=certificate))
        .only(
            "id",
            "kind",
            "amount",
            "status",
            "paid_on",
            "override_reason",
            "created_at",
        )
        .order_by("created_at", "id")
    )
    rows = [
        [
            _claim_cell(claim),
            claim.get_kind_display(),
            f"{yuan(claim.amount)} 元",
            claim.get_status_display(),
            f"{claim.paid_on:%Y-%m-%d}" if claim.paid_on else EMPTY,
            claim.override_reason or EMPTY,
        ]
        for claim in claims
    ]
    return TITLE, rows, HEADERS
