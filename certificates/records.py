"""The certificates part of a person's lifetime record (registered in ``CertificatesConfig``)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate, DisplayStatus, display_status_of
from trainees.records import RecordEntry, RecordSource
from training_platform.reference.models import CertificateKind, SkillLevel

KIND = _("证书")
FACT_LABELS = (
    _("证书编号"),
    _("证书类型"),
    _("职业（工种）"),
    _("等级"),
    _("发证机构"),
    _("发证日期"),
    _("证书状态"),
)
# Plain rows, not model instances: a long record must cost little per entry.
FIELDS = (
    "pk",
    "number",
    "token",
    "kind",
    "occupation_id",
    "occupation_name",
    "level",
    "issuer_name",
    "issued_on",
    "expires_on",
    "status",
)


def certificate_entries(trainee) -> list[RecordEntry]:
    """Every certificate the person holds or held (revoked and replaced ones too), one query.

    Each links to its public verification page; a valid one also gives the PDF a QR to it.
    ``obj`` is the row as a dict (FIELDS) with ``kind_label``, ``level_label`` and
    ``display_status`` added.
    """
    rows = (
        Certificate.objects.filter(trainee=trainee)
        .order_by("-issued_on", "-id")
        .values_list(*FIELDS)
    )
    today = timezone.localdate()
    kind, labels = str(KIND), [str(label) for label in FACT_LABELS]  # once, not per row
    base = settings.PUBLIC_BASE_URL.rstrip("/")  # as selectors.verify_url() makes it
    entries = []
    for values in rows:
        row = dict(zip(FIELDS, values, strict=True))
        status = display_status_of(row["status"], row["expires_on"], today)
        status_label = DisplayStatus(status).label
        row["kind_label"] = kind_label = CertificateKind(row["kind"]).label
        row["level_label"] = SkillLevel(row["level"]).label if row["level"] else ""
        row["display_status"] = status
        facts = (
            row["number"],
            kind_label,
            f"{row['occupation_id']} {row['occupation_name']}",
            row["level_label"] or "—",
            row["issuer_name"],
            f"{row['issued_on']:%Y-%m-%d}",
            status_label,
        )
        path = reverse("certificate_verify", args=[row["token"]])
        entries.append(
            RecordEntry(
                date=row["issued_on"],
                title=f"{kind_label} · {row['occupation_name']}",
                detail=row["issuer_name"],
                obj=row,
                extra={"status": status},
                kind=kind,
                status=status_label,
                facts=tuple(zip(labels, facts, strict=True)),
                url=path,
                qr_url=base + path if status == DisplayStatus.VALID else "",
            )
        )
    return entries


CERTIFICATES = RecordSource(
    "certificates",
    "我的证书",
    certificate_entries,
    template="certificates/record_certificates.html",
    order=20,
    model=Certificate,
)
