"""The certificates part of a person's lifetime record (registered in ``CertificatesConfig``)."""

from certificates.models import Certificate
from trainees.records import RecordEntry, RecordSource


def certificate_entries(trainee) -> list[RecordEntry]:
    """Every certificate the person holds or held (revoked and replaced ones too), one query."""
    rows = Certificate.objects.filter(trainee=trainee).order_by("-issued_on", "-id")
    return [
        RecordEntry(
            date=certificate.issued_on,
            title=f"{certificate.get_kind_display()} · {certificate.occupation_name}",
            detail=certificate.issuer_name,
            obj=certificate,
            extra={"status": certificate.display_status()},
        )
        for certificate in rows
    ]


CERTIFICATES = RecordSource(
    "certificates",
    "我的证书",
    certificate_entries,
    template="certificates/record_certificates.html",
    order=20,
)
