"""The certificates part of a person's lifetime record (registered in ``CertificatesConfig``)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate, DisplayStatus
from certificates.selectors import verify_url
from trainees.records import RecordEntry, RecordSource


def certificate_entries(trainee) -> list[RecordEntry]:
    """Every certificate the person holds or held (revoked and replaced ones too), one query.

    Each links to its public verification page; a valid one also gives the PDF a QR to it.
    """
    rows = Certificate.objects.filter(trainee=trainee).order_by("-issued_on", "-id")
    today = timezone.localdate()
    entries = []
    for certificate in rows:
        status = certificate.display_status(today)
        valid = status == DisplayStatus.VALID
        entries.append(
            RecordEntry(
                date=certificate.issued_on,
                title=f"{certificate.get_kind_display()} · {certificate.occupation_name}",
                detail=certificate.issuer_name,
                obj=certificate,
                extra={"status": status},
                kind=_("证书"),
                status=DisplayStatus(status).label,
                facts=(
                    (_("证书编号"), certificate.number),
                    (_("证书类型"), certificate.get_kind_display()),
                    (
                        _("职业（工种）"),
                        f"{certificate.occupation_id} {certificate.occupation_name}",
                    ),
                    (_("等级"), certificate.get_level_display() or "—"),
                    (_("发证机构"), certificate.issuer_name),
                    (_("发证日期"), f"{certificate.issued_on:%Y-%m-%d}"),
                    (_("证书状态"), DisplayStatus(status).label),
                ),
                url=reverse("certificate_verify", args=[certificate.token]),
                qr_url=verify_url(certificate.token) if valid else "",
            )
        )
    return entries


CERTIFICATES = RecordSource(
    "certificates",
    "我的证书",
    certificate_entries,
    template="certificates/record_certificates.html",
    order=20,
)
