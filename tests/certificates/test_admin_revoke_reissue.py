"""Revoking and reissuing a certificate in the back office, by role."""

import pytest
from django.urls import reverse

from certificates.models import CertificateStatus
from tests.certificates.admin_world import inspect_url
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


MANAGERS = {  # role → the certificates it may revoke or reissue
    "inst_a": ["cert_a"],
    "evaluator_a": ["cert_eval"],
    "bureau_gy": ["cert_a", "cert_eval"],
}


@pytest.mark.parametrize(
    ("who", "key"), [(w, k) for w, ks in MANAGERS.items() for k in ks]
)
def test_revoke_by_post(client, world, who, key):
    cert = world[key]
    client.force_login(world["users"][who])
    assert "revoke-form" in client.get(inspect_url(cert)).content.decode()
    response = client.post(
        reverse("certificates_revoke", args=[cert.pk]), {"reason": "  弄虚作假  "}
    )
    assert response.status_code == 302 and response.headers["Location"] == inspect_url(
        cert
    )
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.REVOKED
    assert cert.revoked_reason == "弄虚作假"
    event = AuditEvent.objects.get(action="certificate.revoke", object_id=str(cert.pk))
    assert event.actor == world["users"][who] and event.reason == "弄虚作假"
    body = client.get(response.headers["Location"]).content.decode()
    assert "已撤销" in body and "revoke-form" not in body


@pytest.mark.parametrize(
    ("who", "key"), [(w, k) for w, ks in MANAGERS.items() for k in ks]
)
def test_reissue_by_post(client, world, who, key):
    old = world[key]
    client.force_login(world["users"][who])
    response = client.post(
        reverse("certificates_reissue", args=[old.pk]), {"reason": "姓名更正"}
    )
    old.refresh_from_db()
    assert old.status == CertificateStatus.SUPERSEDED
    new = old.superseded_by
    assert response.status_code == 302
    assert response.headers["Location"] == inspect_url(new)
    assert new.replaces_id == old.pk and new.number != old.number
    assert set(
        AuditEvent.objects.filter(reason="姓名更正").values_list("action", flat=True)
    ) == {"certificate.supersede", "certificate.issue"}
    assert "已换发新证书" in client.get(response.headers["Location"]).content.decode()


@pytest.mark.parametrize("name", ["certificates_revoke", "certificates_reissue"])
def test_a_reason_is_required(client, world, name):
    cert = world["cert_a"]
    client.force_login(world["users"]["inst_a"])
    response = client.post(
        reverse(name, args=[cert.pk]), {"reason": "   "}, follow=True
    )
    assert response.status_code == 200
    assert "请填写" in response.content.decode()
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.VALID
    assert not AuditEvent.objects.filter(
        action__in=["certificate.revoke", "certificate.supersede"]
    ).exists()


# Roles that see the certificate but may not change it: refused with a message.
VIEW_ONLY = [("auditor_gz", "cert_a"), ("auditor_gz", "cert_b")]


@pytest.mark.parametrize(("who", "key"), VIEW_ONLY)
@pytest.mark.parametrize("name", ["certificates_revoke", "certificates_reissue"])
def test_view_only_roles_are_refused(client, world, who, key, name):
    cert = world[key]
    client.force_login(world["users"][who])
    assert "revoke-form" not in client.get(inspect_url(cert)).content.decode()
    response = client.post(
        reverse(name, args=[cert.pk]), {"reason": "试图撤销"}, follow=True
    )
    assert response.status_code == 200
    assert "只有发证机构或所在地人社部门可以撤销或换发证书" in response.content.decode()
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.VALID
    assert not AuditEvent.objects.filter(reason="试图撤销").exists()


@pytest.mark.parametrize(
    ("who", "key"),
    [("inst_b", "cert_a"), ("bureau_zy", "cert_a"), ("evaluator_b", "cert_eval")],
)
@pytest.mark.parametrize("name", ["certificates_revoke", "certificates_reissue"])
def test_others_certificates_are_not_found(client, world, who, key, name):
    cert = world[key]
    client.force_login(world["users"][who])
    response = client.post(reverse(name, args=[cert.pk]), {"reason": "越权"})
    assert response.status_code == 404
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.VALID


def test_a_revoked_certificate_cannot_be_revoked_again(client, world):
    cert = world["cert_a"]
    client.force_login(world["users"]["inst_a"])
    url = reverse("certificates_revoke", args=[cert.pk])
    client.post(url, {"reason": "第一次"})
    response = client.post(url, {"reason": "第二次"}, follow=True)
    assert "不能再撤销或换发" in response.content.decode()
    assert AuditEvent.objects.filter(action="certificate.revoke").count() == 1


def test_get_is_not_allowed_for_changes(client, world):
    client.force_login(world["users"]["inst_a"])
    for name in ("certificates_revoke", "certificates_reissue"):
        assert client.get(reverse(name, args=[world["cert_a"].pk])).status_code == 405
