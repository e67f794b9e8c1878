"""The certificates back-office certificate page: the record behind it, its sections
from the extension point, verifications for auditors, links between a replaced
certificate and its replacement, queries that do not grow with history."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import format_html

from certificates import services
from certificates.extensions import record_sections
from certificates.models import VerificationLog, VerificationOutcome
from tests.certificates.admin_world import inspect_url

pytestmark = pytest.mark.django_db


def test_certificate_page_shows_the_record_behind_it(client, world):
    cert, enrolment = world["cert_a"], world["enrol_a"]
    client.force_login(world["users"]["auditor_gz"])
    body = client.get(inspect_url(cert)).content.decode()
    assert cert.number in body
    assert 'data-status="valid"' in body
    assert cert.masked_holder_name in body and cert.holder_id_masked in body
    assert enrolment.trainee.id_number not in body
    assert "GY-0001" in body and "电工培训甲" in body and "贵阳甲培训学校" in body
    assert "/ 80 课时（合格线 64 课时，达标）" in body
    assert "合格，成绩 90" in body
    assert "培训考核合格" in body  # basis
    assert "补贴申领" in body and "暂无" in body
    assert "审计记录" in body and "签发" in body
    assert "最近核验" in body
    # The auditor may not change the certificate: no forms.
    assert "revoke-form" not in body and "reissue-form" not in body


def test_certificate_page_of_an_evaluation_shows_the_reason(client, world):
    client.force_login(world["users"]["evaluator_a"])
    body = client.get(inspect_url(world["cert_eval"])).content.decode()
    assert "评价机构认定" in body
    assert "2026年第3批社会化评价" in body
    assert "本证书不是由培训考核取得" in body


def test_certificate_page_lists_verifications_for_auditors_only(client, world):
    cert = world["cert_a"]
    VerificationLog.objects.create(
        channel="page",
        asked=cert.token,
        certificate=cert,
        outcome=VerificationOutcome.VALID,
        signature=True,
        client_ip="203.0.113.7",
    )
    client.force_login(world["users"]["auditor_gz"])
    assert "203.0.113.7" in client.get(inspect_url(cert)).content.decode()
    client.force_login(world["users"]["inst_a"])
    body = client.get(inspect_url(cert)).content.decode()
    assert "203.0.113.7" not in body and "最近核验" not in body


def test_record_sections_come_from_the_extension_point(client, world):
    cert = world["cert_a"]

    def claims(request, certificate):
        assert certificate.pk == cert.pk
        return (
            "补贴申领",
            [("2026-001", "<b>已拨付</b>", "1200.00")],
            ["申领编号", "状态", "金额"],
        )

    def notes(request, certificate):
        return ("备注", format_html("<em>{}</em>", "人工核查"))

    def silent(request, certificate):
        return None

    client.force_login(world["users"]["auditor_gz"])
    with (
        record_sections.register_temporarily(claims),
        record_sections.register_temporarily(notes),
        record_sections.register_temporarily(silent),
    ):
        body = client.get(inspect_url(cert)).content.decode()
    assert "<th>申领编号</th>" in body and "<td>2026-001</td>" in body
    assert "&lt;b&gt;已拨付&lt;/b&gt;" in body  # cells are escaped
    assert "<em>人工核查</em>" in body  # rendered HTML is kept


def test_replaced_and_replacement_link_each_other(client, world):
    old = world["cert_a"]
    new = services.certificate_reissue(
        actor=world["users"]["inst_a"], certificate=old, reason="证书污损"
    )
    client.force_login(world["users"]["inst_a"])
    body = client.get(inspect_url(old)).content.decode()
    assert 'data-status="superseded"' in body
    assert inspect_url(new) in body and new.number in body
    assert "证书污损" in body
    body = client.get(inspect_url(new)).content.decode()
    assert inspect_url(old) in body and old.number in body
    assert "换发（本证作废）" in body  # the old one's history shows with the new one


def test_certificate_page_query_count_does_not_grow_with_history(
    client, world, django_assert_max_num_queries
):
    cert = world["cert_a"]
    user = world["users"]["auditor_gz"]
    client.force_login(user)
    url = inspect_url(cert)
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    baseline = len(few.captured_queries)  # read now: the next requests reset the log
    for _ in range(15):
        client.get(reverse("certificates_pdf", args=[cert.pk]))  # audited prints
        VerificationLog.objects.create(
            channel="page", asked=cert.token, certificate=cert, outcome="valid"
        )
    with django_assert_max_num_queries(baseline):
        body = client.get(url).content.decode()
    assert body.count("打印/下载") == 15
