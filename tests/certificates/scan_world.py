"""Helpers of the scanner tests: QR texts of the certificates world, saved sessions."""

from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

from certificates import selectors
from certificates.scan_models import SpotCheck, SpotCheckItem
from certificates.signing import QR_PARAM

FOREIGN_QR = "https://zhengshu.example.org/chaxun?id=A1234567"


def qr(certificate) -> str:
    return selectors.certificate_qr_text(certificate)


def tampered(text: str) -> str:
    """The QR text with one character of its signature changed."""
    signed = parse_qs(urlsplit(text).query)[QR_PARAM][0]
    i = len(signed) - 10
    return text.replace(
        signed, signed[:i] + ("A" if signed[i] != "A" else "B") + signed[i + 1 :]
    )


def session(auditor, certificates, *, place="现场"):
    """A saved 核查记录 of ``auditor`` with one genuine item per certificate (None: a
    QR that matched nothing)."""
    now = timezone.now()
    spot_check = SpotCheck.objects.create(
        checked_by=auditor, started_at=now, ended_at=now, place=place
    )
    for certificate in certificates:
        SpotCheckItem.objects.create(
            spot_check=spot_check,
            certificate=certificate,
            number=certificate.number if certificate else "",
            verdict="genuine" if certificate else "foreign",
            status=certificate.display_status() if certificate else "",
            scanned_at=now,
        )
    return spot_check
