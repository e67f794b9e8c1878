"""The certificates back-office list and its export: who sees what, filters, masked
IDs, no generic add/edit/delete, queries that do not grow with the list."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates import services
from certificates.models import (
    Certificate,
    CertificateStatus,
)
from tests.certificates.admin_world import (
    ELECTRICIAN,
    NO_BACK_OFFICE,
    SCOPE,
    assert_denied,
    index_url,
    inspect_url,
    login,
    passed,
)
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", list(SCOPE))
def test_list_and_certificate_page_are_scoped(client, world, who):
    login(client, world, who)
    seen, unseen = SCOPE[who]
    body = client.get(index_url()).content.decode()
    for key in seen:
        assert world[key].number in body
        assert inspect_url(world[key]) in body  # the number leads to the page
        assert client.get(inspect_url(world[key])).status_code == 200
    for key in unseen:
        assert world[key].number not in body
        assert client.get(inspect_url(world[key])).status_code == 404


@pytest.mark.parametrize("who", NO_BACK_OFFICE)
def test_no_back_office_without_a_staff_role(client, world, who):
    login(client, world, who)
    cert, cls = world["cert_a"], world["class_a"]
    urls = [
        index_url(),
        inspect_url(cert),
        reverse("certificates_pdf", args=[cert.pk]),
        reverse("certificates_qr", args=[cert.pk]),
        reverse("certificates_class_issue", args=[cls.pk]),
        reverse("certificates_class_pdf", args=[cls.pk]),
        reverse("certificates_evaluate"),
    ]
    for url in urls:
        response = client.get(url)
        assert_denied(response)
        assert cert.number not in response.content.decode()
    for name in ("certificates_revoke", "certificates_reissue"):
        assert_denied(client.post(reverse(name, args=[cert.pk]), {"reason": "x"}))
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.VALID
    assert not AuditEvent.objects.filter(action="certificate.print").exists()


def test_no_generic_add_edit_or_delete(client, world):
    client.force_login(world["users"]["bureau_gy"])  # may revoke, never edit
    cert = world["cert_a"]
    assert_denied(client.get(reverse("certificate:add")))
    assert_denied(client.get(reverse("certificate:edit", args=[cert.pk])))
    assert_denied(
        client.post(reverse("certificate:edit", args=[cert.pk]), {"number": "X"})
    )
    assert_denied(client.post(reverse("certificate:delete", args=[cert.pk])))
    assert Certificate.objects.filter(pk=cert.pk, number=cert.number).exists()
    body = client.get(index_url()).content.decode()
    assert reverse("certificate:edit", args=[cert.pk]) not in body
    assert reverse("certificate:add") not in body


def test_list_shows_masked_ids_only(client, world):
    client.force_login(world["users"]["inst_a"])
    trainee = world["enrol_a"].trainee
    body = client.get(index_url()).content.decode()
    assert world["cert_a"].holder_id_masked in body
    assert trainee.id_number not in body


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"kind": "skill_level"}, ["cert_eval"], ["cert_a", "cert_b"]),
        ({"kind": "training"}, ["cert_a", "cert_b"], ["cert_eval"]),
        ({"class_code": "gy-0001"}, ["cert_a"], ["cert_b", "cert_eval"]),
        ({"occupation": ELECTRICIAN}, ["cert_a", "cert_b", "cert_eval"], []),
        ({"occupation": "焊工"}, [], ["cert_a", "cert_b", "cert_eval"]),
        ({"status": "revoked"}, ["cert_b"], ["cert_a", "cert_eval"]),
        ({"status": "valid"}, ["cert_a", "cert_eval"], ["cert_b"]),
        ({"issued_on_from": "2000-01-01"}, ["cert_a", "cert_b"], []),
        ({"issued_on_to": "2000-01-01"}, [], ["cert_a", "cert_b"]),
    ],
)
def test_list_filters(client, world, params, shown, hidden):
    services.certificate_revoke(
        actor=world["users"]["inst_b"], certificate=world["cert_b"], reason="冒名顶替"
    )
    client.force_login(world["users"]["auditor_gz"])
    body = client.get(index_url(**params)).content.decode()
    for key in shown:
        assert world[key].number in body
    for key in hidden:
        assert world[key].number not in body


def test_list_filter_by_number_prefix(client, world):
    client.force_login(world["users"]["auditor_gz"])
    number = world["cert_eval"].number
    body = client.get(index_url(number=number[:-3].lower())).content.decode()
    assert number in body
    assert world["cert_a"].number not in body


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_is_scoped_and_masked(client, world, fmt):
    client.force_login(world["users"]["inst_a"])
    response = client.get(index_url(export=fmt))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        flat = "\n".join(",".join(r) for r in rows)
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content)).active
        flat = "\n".join(
            ",".join("" if v is None else str(v) for v in row)
            for row in sheet.iter_rows(values_only=True)
        )
    assert world["cert_a"].number in flat
    assert world["cert_eval"].number in flat
    assert world["cert_b"].number not in flat
    assert world["enrol_a"].trainee.id_number not in flat
    assert world["cert_a"].holder_id_masked in flat
    assert "有效" in flat and "培训合格证书" in flat and "GY-0001" in flat


def test_list_query_count_does_not_grow_with_certificates(
    client, world, django_assert_max_num_queries
):
    user = world["users"]["inst_a"]
    client.force_login(user)
    client.get(index_url())
    with CaptureQueriesContext(connection) as few:
        assert client.get(index_url()).status_code == 200
    baseline = len(few.captured_queries)
    cls = world["class_a"]
    for n in range(12):
        services.certificate_issue_for_enrolment(
            actor=user, enrolment=passed(cls, f"新学员{n}")
        )
    with django_assert_max_num_queries(baseline):
        body = client.get(index_url()).content.decode()
    assert body.count("PX52") >= 13
