"""Reads of certificates: verification lookups, the public view, QR and print data."""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from certificates.models import (
    Certificate,
    CertificateStatus,
    DisplayStatus,
    VerificationLog,
    display_status_of,
)
from certificates.rendering import PrintedCertificate
from certificates.signing import QRPayload, qr_text, safe_field
from trainees.models import id_number_hash
from training_platform import access, pii, sql
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import (
    SKILL_LEVEL_RANK,
    CertificateKind,
    SkillLevel,
)
from training_platform.validators import normalize

# new_token() makes 22 URL-safe characters; anything else is answered without a query.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")
NUMBER_SHAPE = re.compile(r"[A-Z]{1,2}[0-9]{14,21}")

# The public verification reads these columns in one statement (the reissue's number
# and token by a join). The occupation is the code and the name frozen at issue. The SQL is built once per database vendor from
# the models' metadata: building it through the ORM on every request cost ten times
# the query itself.
VERIFY_COLUMNS = (
    "id",
    "number",
    "token",
    "kind",
    "level",
    "holder_name",
    "holder_id_masked",
    "issuer_name",
    "issued_on",
    "expires_on",
    "status",
    "revoked_at",
    "revoked_reason",
)


@dataclass(frozen=True, slots=True)
class Verified:
    """A certificate as the public verification sees it (no model instance)."""

    id: int
    number: str
    token: str
    kind: str
    level: str
    holder_name: str
    holder_id_masked: str
    issuer_name: str
    issued_on: dt.date
    expires_on: dt.date | None
    status: str
    revoked_at: dt.datetime | None
    revoked_reason: str
    occupation_code: str
    occupation_name: str
    successor_number: str | None
    successor_token: str | None

    @property
    def pk(self) -> int:
        return self.id

    def display_status(self, today: dt.date | None = None) -> str:
        return display_status_of(self.status, self.expires_on, today)


@sql.per_vendor
def _verify_sql(where: tuple[str, ...]) -> str:
    def col(alias, name):
        return sql.column(Certificate, name, alias=alias)

    columns = [col("c", name) for name in VERIFY_COLUMNS] + [
        col("c", "occupation"),  # the code (the occupation's key)
        col("c", "occupation_name"),
        col("s", "number"),
        col("s", "token"),
    ]
    certificates = sql.table(Certificate)
    # Identifiers only, from the models' metadata; values are always parameters.
    return "SELECT {} FROM {} c {} WHERE {}".format(  # noqa: S608
        ", ".join(columns),
        certificates,
        f"LEFT OUTER JOIN {certificates} s"
        f" ON {col('s', Certificate._meta.pk.name)} = {col('c', 'superseded_by')}",
        " AND ".join(f"{col('c', name)} = %s" for name in where),
    )


def _aware(value):
    # SQLite hands back naive UTC datetimes from a raw cursor; PostgreSQL aware ones.
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, dt.UTC)
    return value


def _verified(where: tuple[str, ...], params: list) -> Verified | None:
    with connection.cursor() as cursor:
        cursor.execute(_verify_sql(where), params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    values[11] = _aware(values[11])  # revoked_at
    return Verified(*values)


def certificate_by_token(token: str) -> Verified | None:
    """The certificate a verification token names (one query; none for a bad shape)."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    return _verified(("token",), [token])


def certificate_by_number(number: str) -> Verified | None:
    """The certificate of this number, for a page that embeds its public status box
    (an editor's choice, not a visitor's query: no name or ID number asked)."""
    number = normalize(number or "").upper()
    if not NUMBER_SHAPE.fullmatch(number):
        return None
    return _verified(("number",), [number])


def certificate_by_query(*, number: str, name: str, id_number: str) -> Verified | None:
    """Number + full name + ID number, all three matching (like the national query)."""
    number = normalize(number or "").upper()
    name = "".join(unicodedata.normalize("NFKC", name or "").split())
    id_number = normalize(id_number or "").upper()
    if not (NUMBER_SHAPE.fullmatch(number) and name and id_number):
        return None
    return _verified(
        ("number", "holder_name", "holder_id_hash"),
        [number, name, id_number_hash(id_number)],
    )


@dataclass(frozen=True)
class PublicView:
    """Everything the public may learn about a certificate — and nothing more."""

    status: str
    status_label: str
    number: str
    kind: str
    kind_label: str
    occupation_code: str
    occupation_name: str
    level: str
    level_label: str
    issuer: str
    issued_on: str
    expires_on: str | None
    holder_name: str
    holder_id: str
    revoked_on: str | None = None
    revoked_reason: str | None = None
    superseded_by_number: str | None = None
    superseded_by_url: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def public_view(certificate: Verified) -> PublicView:
    status = certificate.display_status()
    revoked = status == DisplayStatus.REVOKED
    successor = certificate.successor_token
    return PublicView(
        status=status,
        status_label=DisplayStatus(status).label,
        number=certificate.number,
        kind=certificate.kind,
        kind_label=CertificateKind(certificate.kind).label,
        occupation_code=certificate.occupation_code,
        occupation_name=certificate.occupation_name,
        level=certificate.level,
        level_label=SkillLevel(certificate.level).label if certificate.level else "",
        issuer=certificate.issuer_name,
        issued_on=certificate.issued_on.isoformat(),
        expires_on=certificate.expires_on.isoformat()
        if certificate.expires_on
        else None,
        holder_name=pii.mask_name(certificate.holder_name),
        holder_id=certificate.holder_id_masked,
        revoked_on=(
            timezone.localtime(certificate.revoked_at).date().isoformat()
            if revoked
            else None
        ),
        revoked_reason=certificate.revoked_reason if revoked else None,
        superseded_by_number=certificate.successor_number if successor else None,
        superseded_by_url=verify_url(successor) if successor else None,
    )


def verify_url(token: str) -> str:
    """The absolute public verification URL of a token (printed and in the QR)."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{reverse('certificate_verify', args=[token])}"


def qr_payload(certificate: Certificate) -> QRPayload:
    return QRPayload(
        token=certificate.token,
        number=certificate.number,
        kind=certificate.kind,
        occupation_code=certificate.occupation_id,
        level=certificate.level,
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        holder=certificate.masked_holder_name,
        issuer=safe_field(certificate.issuer_name),
        # The slot in the signed revocation list (certificates.status_list).
        status_index=certificate.pk,
    )


def certificate_qr_text(certificate: Certificate) -> str:
    """The text of the certificate's QR: its verification URL and the signed payload."""
    return qr_text(qr_payload(certificate), verify_url=verify_url(certificate.token))


def printed(certificate: Certificate) -> PrintedCertificate:
    """What a printed certificate shows (the occupation as frozen at issue)."""
    return PrintedCertificate(
        number=certificate.number,
        kind_label=certificate.get_kind_display(),
        holder_name=certificate.holder_name,
        holder_id_masked=certificate.holder_id_masked,
        occupation_code=certificate.occupation_id,
        occupation_name=certificate.occupation_name,
        level_label=certificate.get_level_display() if certificate.level else "",
        issuer_name=certificate.issuer_name,
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        status_label=DisplayStatus(certificate.display_status()).label,
        qr_text=certificate_qr_text(certificate),
        verify_url=verify_url(certificate.token),
    )


def enrolments_with_valid_certificate(enrolment_ids: list[int]) -> set[int]:
    """The enrolments among these that a valid certificate stands on (one query)."""
    return set(
        Certificate.objects.filter(
            enrolment_id__in=enrolment_ids, status=CertificateStatus.VALID
        ).values_list("enrolment_id", flat=True)
    )


def certificates_of_class(user, training_class) -> QuerySet:
    """The current certificates of a class that ``user`` may see, for a batch PDF."""
    return (
        access.visible(user, Certificate.objects.all())
        .filter(
            enrolment__training_class=training_class, status=CertificateStatus.VALID
        )
        .order_by("number")
    )


def certificate_for_staff(user, pk: int) -> Certificate:
    """One certificate with everything behind it, scoped (404 outside scope)."""
    return access.get_visible_or_404(
        user,
        Certificate.objects.select_related(
            "occupation",
            "issuer",
            "region",
            "issued_by",
            "replaces",
            "superseded_by",
            "trainee",
            "enrolment__training_class__course__institution",
            "enrolment__training_class__region",
        ),
        pk=pk,
    )


def certificate_history(certificate: Certificate) -> QuerySet:
    """The audit trail of a certificate and of the ones it replaced or was replaced by."""
    chain = {certificate.pk}
    if certificate.replaces_id:
        chain.add(certificate.replaces_id)
    if certificate.superseded_by_id:
        chain.add(certificate.superseded_by_id)
    return AuditEvent.objects.filter(
        object_type=Certificate._meta.label_lower,
        object_id__in=[str(pk) for pk in chain],
    ).select_related("actor")


def verifications_of(certificate: Certificate, limit: int = 50) -> QuerySet:
    return VerificationLog.objects.filter(certificate=certificate)[:limit]


LEVEL_KINDS = (CertificateKind.SKILL_LEVEL, CertificateKind.QUALIFICATION)


def highest_levels(trainee_ids, occupation) -> dict[int, str]:
    """Each person's highest level held in ``occupation`` by a valid, unexpired skill
    level or qualification certificate: ``{trainee_id: level}``, one query; people
    holding none are left out."""
    today = timezone.localdate()
    rows = (
        Certificate.objects.filter(
            trainee_id__in=list(trainee_ids),
            occupation=occupation,
            kind__in=LEVEL_KINDS,
            status=CertificateStatus.VALID,
        )
        .exclude(level="")
        .exclude(expires_on__lt=today)
        .values_list("trainee_id", "level")
    )
    best: dict[int, str] = {}
    for trainee_id, level in rows:
        current = best.get(trainee_id)
        if current is None or SKILL_LEVEL_RANK[level] > SKILL_LEVEL_RANK[current]:
            best[trainee_id] = level
    return best
