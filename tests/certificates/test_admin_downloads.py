"""Certificate downloads in the back office: one certificate's PDF and a class's batch
PDF, scoped and audited."""

import io

import pytest
from django.urls import reverse

from certificates import services
from courses.models import ClassStatus
from tests.certificates.admin_world import SCOPE, login, passed
from tests.factories import TrainingClassFactory
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", list(SCOPE))
def test_downloads_are_scoped(client, world, who):
    login(client, world, who)
    seen, unseen = SCOPE[who]
    for key in seen:
        cert = world[key]
        response = client.get(reverse("certificates_pdf", args=[cert.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert "attachment" in response["Content-Disposition"]
        assert f"{cert.number}.pdf" in response["Content-Disposition"]
        qr = client.get(reverse("certificates_qr", args=[cert.pk]))
        assert qr.status_code == 200 and qr["Content-Type"] == "image/png"
        assert qr.content.startswith(b"\x89PNG")
        assert f"{cert.number}.png" in qr["Content-Disposition"]
    for key in unseen:
        cert = world[key]
        assert (
            client.get(reverse("certificates_pdf", args=[cert.pk])).status_code == 404
        )
        assert client.get(reverse("certificates_qr", args=[cert.pk])).status_code == 404
    printed = AuditEvent.objects.filter(action="certificate.print")
    assert sorted(printed.values_list("object_id", flat=True)) == sorted(
        str(world[k].pk) for k in seen
    )
    assert set(printed.values_list("actor", flat=True)) == {world["users"][who].pk}


def test_pdf_download_is_audited_and_readable(client, world):
    cert = world["cert_a"]
    client.force_login(world["users"]["inst_a"])
    response = client.get(reverse("certificates_pdf", args=[cert.pk]))
    assert response["Content-Type"] == "application/pdf"
    event = AuditEvent.objects.get(action="certificate.print")
    assert event.object_id == str(cert.pk)
    assert event.actor == world["users"]["inst_a"]
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert cert.number in text and "贵阳学员甲" in text


def test_an_invalid_certificate_is_not_printed(client, world):
    cert = world["cert_a"]
    services.certificate_revoke(
        actor=world["users"]["inst_a"], certificate=cert, reason="作废"
    )
    client.force_login(world["users"]["inst_a"])
    response = client.get(reverse("certificates_pdf", args=[cert.pk]), follow=True)
    assert response.status_code == 200
    assert "不能打印" in response.content.decode()
    assert not AuditEvent.objects.filter(action="certificate.print").exists()


CLASS_PDF = {  # role → (classes whose batch PDF it gets, classes not found)
    "inst_a": (["class_a"], ["class_b"]),
    "inst_b": (["class_b"], ["class_a"]),
    "bureau_gy": (["class_a"], ["class_b"]),
    "bureau_zy": (["class_b"], ["class_a"]),
    "auditor_gz": (["class_a", "class_b"], []),
    "evaluator_a": (["class_a"], ["class_b"]),
}


@pytest.mark.parametrize("who", list(CLASS_PDF))
def test_class_pdf_is_scoped_and_audited(client, world, who):
    client.force_login(world["users"][who])
    allowed, refused = CLASS_PDF[who]
    for key in allowed:
        cls = world[key]
        response = client.get(reverse("certificates_class_pdf", args=[cls.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
    for key in refused:
        cls = world[key]
        assert (
            client.get(reverse("certificates_class_pdf", args=[cls.pk])).status_code
            == 404
        )
    assert AuditEvent.objects.filter(action="certificate.print").count() == len(allowed)


def test_class_pdf_has_one_page_per_valid_certificate(client, world):
    from pypdf import PdfReader

    user = world["users"]["inst_a"]
    cls = world["class_a"]
    extra = services.certificate_issue_for_enrolment(
        actor=user, enrolment=passed(cls, "贵阳学员丁")
    )
    revoked = services.certificate_issue_for_enrolment(
        actor=user, enrolment=passed(cls, "贵阳学员戊")
    )
    services.certificate_revoke(actor=user, certificate=revoked, reason="作废")
    client.force_login(user)
    response = client.get(reverse("certificates_class_pdf", args=[cls.pk]))
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2
    text = "".join(page.extract_text() for page in reader.pages)
    assert world["cert_a"].number in text and extra.number in text
    assert revoked.number not in text
    assert set(
        AuditEvent.objects.filter(action="certificate.print").values_list(
            "object_id", flat=True
        )
    ) == {str(world["cert_a"].pk), str(extra.pk)}


def test_class_pdf_without_certificates_goes_back_with_a_message(client, world):
    cls = TrainingClassFactory(course=world["course_a"], status=ClassStatus.RUNNING)
    client.force_login(world["users"]["inst_a"])
    response = client.get(reverse("certificates_class_pdf", args=[cls.pk]), follow=True)
    assert "暂无有效证书可下载" in response.content.decode()
