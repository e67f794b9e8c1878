"""The holder's own certificates: under /me/, the printable page, PDF and QR downloads."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.models import CertificateStatus
from tests.certificates.test_verify import ID_NUMBER, NAME, make_certificate
from tests.factories import TraineeFactory, UserFactory, make_id_number
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(db):
    return TraineeFactory(name=NAME, id_number=ID_NUMBER, user=UserFactory())


def test_me_lists_own_certificates_with_their_state(client, holder):
    valid = make_certificate(trainee=holder, n=1)
    revoked = make_certificate(
        trainee=holder,
        n=2,
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
        revoked_reason="材料不实",
    )
    other = make_certificate(
        trainee=TraineeFactory(id_number=make_id_number("520103")), n=3
    )
    client.force_login(holder.user)
    body = client.get("/me/").content.decode()
    assert "我的证书" in body
    assert valid.number in body and revoked.number in body
    assert other.number not in body
    assert body.count('data-status="revoked"') == 1
    assert f"/me/certificates/{valid.token}/" in body


def test_me_query_count_does_not_grow_with_certificates(
    client, holder, django_assert_max_num_queries
):
    for n in range(2):
        make_certificate(trainee=holder, n=n)
    client.force_login(holder.user)
    client.get("/me/")
    with CaptureQueriesContext(connection) as few:
        client.get("/me/")
    for n in range(2, 14):
        make_certificate(trainee=holder, n=n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get("/me/").content.decode()
    assert body.count("/me/certificates/") == 14


def test_certificate_page_shows_full_name_and_qr(client, holder):
    certificate = make_certificate(trainee=holder)
    client.force_login(holder.user)
    response = client.get(f"/me/certificates/{certificate.token}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert NAME in html  # the holder sees their own name in full
    assert ID_NUMBER not in html
    assert "<svg" in html and f"/verify/{certificate.token}/" in html


def test_pdf_download_is_audited(client, holder):
    certificate = make_certificate(trainee=holder)
    client.force_login(holder.user)
    response = client.get(f"/me/certificates/{certificate.token}/certificate.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"{certificate.number}.pdf" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(
        action="certificate.print", object_id=str(certificate.pk)
    ).exists()


def test_qr_png_download(client, holder):
    certificate = make_certificate(trainee=holder)
    client.force_login(holder.user)
    response = client.get(f"/me/certificates/{certificate.token}/qr.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_no_pdf_for_a_certificate_no_longer_valid(client, holder):
    expired = make_certificate(trainee=holder, n=1, expires_on=dt.date(2026, 3, 5))
    client.force_login(holder.user)
    assert (
        client.get(f"/me/certificates/{expired.token}/certificate.pdf").status_code
        == 404
    )


@pytest.mark.parametrize("suffix", ["", "certificate.pdf", "qr.png"])
def test_others_certificates_are_not_found(client, holder, suffix):
    other = make_certificate(trainee=TraineeFactory(id_number=make_id_number("520103")))
    client.force_login(holder.user)
    assert client.get(f"/me/certificates/{other.token}/{suffix}").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, holder):
    certificate = make_certificate(trainee=holder)
    response = client.get(f"/me/certificates/{certificate.token}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
