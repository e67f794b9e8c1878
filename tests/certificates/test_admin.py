"""The certificates back-office: list, certificate page, revoke/reissue, downloads,
issuing for a class and by evaluation — every view for every role."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import format_html

from bases.models import InstitutionOccupation
from certificates import services
from certificates.extensions import record_sections
from certificates.models import (
    Certificate,
    CertificateStatus,
    IssueBatch,
    IssueBatchStatus,
    VerificationLog,
    VerificationOutcome,
)
from courses.extensions import class_page_links
from courses.models import AssessmentResult, ClassStatus
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    make_id_number,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import CertificateKind, Occupation
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ELECTRICIAN = "6-31-01-03"


def passed(cls, name, *, hours=80, score=90, **kw):
    """An enrolment that qualifies for a certificate (80 of 80 hours, passed)."""
    return EnrolmentFactory(
        training_class=cls,
        trainee=TraineeFactory(name=name, **kw),
        attendance_hours=Decimal(hours),
        score=Decimal(score),
        result=AssessmentResult.PASSED,
    )


def file_to_evaluate(institution, max_level="3"):
    return InstitutionOccupation.objects.create(
        institution=institution,
        occupation=Occupation.objects.get(code=ELECTRICIAN),
        max_level=max_level,
        can_evaluate=True,
    )


def make_world():
    """Institution A in 贵阳 (filed to evaluate electricians up to 三级) and B in 遵义
    (not filed), each with a running class, a passed enrolment and a training
    certificate; A's evaluator also issued a skill-level certificate. One user per role."""
    a = InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))
    b = InstitutionFactory(name="遵义乙技工学校", region=region("520302"))
    file_to_evaluate(a)
    w = {"a": a, "b": b}
    w["course_a"] = CourseFactory(institution=a, title="电工培训甲")
    w["course_b"] = CourseFactory(institution=b, title="电工培训乙")
    w["class_a"] = TrainingClassFactory(
        course=w["course_a"], code="GY-0001", status=ClassStatus.RUNNING
    )
    w["class_b"] = TrainingClassFactory(
        course=w["course_b"], code="ZY-0001", status=ClassStatus.RUNNING
    )
    w["enrol_a"] = passed(
        w["class_a"], "贵阳学员甲", id_number=make_id_number("520102")
    )
    w["enrol_b"] = passed(
        w["class_b"], "遵义学员乙", id_number=make_id_number("520302")
    )
    holder = UserFactory(username="holder_a")
    w["enrol_a"].trainee.user = holder
    w["enrol_a"].trainee.save()
    w["users"] = users = {
        "inst_a": staff_user(Role.INSTITUTION, institution=a),
        "inst_b": staff_user(Role.INSTITUTION, institution=b),
        "evaluator_a": staff_user(Role.EVALUATOR, institution=a),  # filed
        "evaluator_b": staff_user(Role.EVALUATOR, institution=b),  # not filed
        "bureau_gy": staff_user(Role.BUREAU, region_code="520100"),
        "bureau_zy": staff_user(Role.BUREAU, region_code="520300"),
        "auditor_gz": staff_user(Role.AUDITOR, region_code="520000"),
        "trainee": holder,
    }
    w["cert_a"] = services.certificate_issue_for_enrolment(
        actor=users["inst_a"], enrolment=w["enrol_a"]
    )
    w["cert_b"] = services.certificate_issue_for_enrolment(
        actor=users["inst_b"], enrolment=w["enrol_b"]
    )
    w["cert_eval"] = services.certificate_issue_by_evaluation(
        actor=users["evaluator_a"],
        trainee=w["enrol_a"].trainee,
        occupation=Occupation.objects.get(code=ELECTRICIAN),
        level="4",
        reason="2026年第3批社会化评价，理论 82 分，实操 88 分",
    )
    return w


@pytest.fixture
def world():
    return make_world()


def login(client, world, who):
    if who != "anonymous":
        client.force_login(world["users"][who])


def assert_denied(response):
    """404 outside the scope; 403, Wagtail's redirect to the dashboard, or the login
    page for those without back-office access. Never the page itself."""
    if response.status_code == 302:
        location = response.headers["Location"]
        assert location == "/admin/" or location.startswith("/admin/login/")
    else:
        assert response.status_code in (403, 404)


def inspect_url(cert):
    return reverse("certificate:inspect", args=[cert.pk])


def index_url(**params):
    from urllib.parse import urlencode

    url = reverse("certificate:index")
    return f"{url}?{urlencode(params)}" if params else url


# --- who sees what ---------------------------------------------------------------------

# role → (certificates it sees, certificates it may not see)
SCOPE = {
    "inst_a": (["cert_a", "cert_eval"], ["cert_b"]),
    "inst_b": (["cert_b"], ["cert_a", "cert_eval"]),
    "evaluator_a": (["cert_a", "cert_eval"], ["cert_b"]),
    "evaluator_b": (["cert_b"], ["cert_a", "cert_eval"]),
    "bureau_gy": (["cert_a", "cert_eval"], ["cert_b"]),
    "bureau_zy": (["cert_b"], ["cert_a", "cert_eval"]),
    "auditor_gz": (["cert_a", "cert_b", "cert_eval"], []),
}
NO_BACK_OFFICE = ["trainee", "anonymous"]


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


# --- the certificate page --------------------------------------------------------------


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


# --- revoke and reissue ----------------------------------------------------------------

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


# --- downloads -------------------------------------------------------------------------


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


# --- issuing for a class ---------------------------------------------------------------


def issue_url(cls):
    return reverse("certificates_class_issue", args=[cls.pk])


@pytest.fixture
def big_class(world):
    """Class A2: three qualify (one already certified), one failed, one short of hours."""
    cls = TrainingClassFactory(
        course=world["course_a"], code="GY-0002", status=ClassStatus.FINISHED
    )
    good = [passed(cls, f"合格学员{n}") for n in range(3)]
    passed(cls, "出勤不足学员", hours=40)
    EnrolmentFactory(
        training_class=cls,
        trainee=TraineeFactory(name="不合格学员"),
        attendance_hours=Decimal(80),
        result=AssessmentResult.FAILED,
    )
    services.certificate_issue_for_enrolment(
        actor=world["users"]["inst_a"], enrolment=good[0]
    )
    return cls


def test_issue_screen_counts(client, world, big_class):
    client.force_login(world["users"]["inst_a"])
    body = client.get(issue_url(big_class)).content.decode()
    assert 'id="issue-training"' in body
    assert '<td class="eligible">3</td>' in body
    assert '<td class="held">1</td>' in body
    assert '<td class="to-issue">2</td>' in body
    assert "skill_level" not in body  # institution staff issue training certificates


def test_batch_issue_end_to_end(client, world, big_class):
    user = world["users"]["inst_a"]
    client.force_login(user)
    response = client.post(issue_url(big_class), {"kind": "training"})
    assert response.status_code == 302
    batch = IssueBatch.objects.get(training_class=big_class)
    assert response.headers["Location"] == reverse(
        "certificates_batch", args=[batch.pk]
    )
    assert batch.status == IssueBatchStatus.DONE  # the test task backend runs at once
    assert batch.requested_by == user and batch.task_id
    assert batch.done == batch.total == 3
    assert batch.summary == {
        "eligible": 3,
        "issued": 2,
        "already_issued": 1,
        "not_qualified": 2,
    }
    certs = Certificate.objects.filter(enrolment__training_class=big_class)
    assert certs.count() == 3
    assert (
        AuditEvent.objects.filter(
            action="certificate.issue", object_id__in=[str(c.pk) for c in certs]
        ).count()
        == 3
    )
    page = client.get(response.headers["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-status="done"' in body and 'http-equiv="refresh"' not in body
    assert '<td id="batch-issued">2</td>' in body
    assert 'value="3"' in body and "已处理 3 / 3 人" in body
    # Nothing left to issue: confirming again is refused, no new batch.
    response = client.post(issue_url(big_class), {"kind": "training"})
    assert response.status_code == 200
    assert "本班没有待发证的学员" in response.content.decode()
    assert IssueBatch.objects.filter(training_class=big_class).count() == 1


def test_a_pending_batch_page_refreshes_itself(client, world, big_class):
    user = world["users"]["inst_a"]
    batch = IssueBatch.objects.create(
        training_class=big_class,
        kind=CertificateKind.TRAINING,
        requested_by=user,
        status=IssueBatchStatus.RUNNING,
        total=10,
        done=4,
    )
    client.force_login(user)
    body = client.get(reverse("certificates_batch", args=[batch.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert "已处理 4 / 10 人" in body
    # Another institution does not find it.
    client.force_login(world["users"]["inst_b"])
    assert client.get(reverse("certificates_batch", args=[batch.pk])).status_code == 404
    client.force_login(world["users"]["bureau_gy"])
    assert client.get(reverse("certificates_batch", args=[batch.pk])).status_code == 200


def test_a_running_batch_is_not_started_twice(client, world, big_class):
    user = world["users"]["inst_a"]
    running = IssueBatch.objects.create(
        training_class=big_class,
        kind=CertificateKind.TRAINING,
        requested_by=user,
        status=IssueBatchStatus.RUNNING,
    )
    client.force_login(user)
    response = client.post(issue_url(big_class), {"kind": "training"})
    assert response.headers["Location"] == reverse(
        "certificates_batch", args=[running.pk]
    )
    assert IssueBatch.objects.filter(training_class=big_class).count() == 1


def test_filed_evaluator_issues_skill_level_certificates_for_the_class(
    client, world, big_class
):
    user = world["users"]["evaluator_a"]
    client.force_login(user)
    body = client.get(issue_url(big_class)).content.decode()
    assert 'id="issue-skill_level"' in body and 'id="issue-training"' not in body
    response = client.post(issue_url(big_class), {"kind": "skill_level"})
    assert response.status_code == 302
    batch = IssueBatch.objects.get(training_class=big_class)
    assert batch.status == IssueBatchStatus.DONE, batch.summary
    assert batch.summary["issued"] == 3
    certs = Certificate.objects.filter(
        enrolment__training_class=big_class, kind=CertificateKind.SKILL_LEVEL
    )
    assert certs.count() == 3
    assert {c.issuer_id for c in certs} == {world["a"].pk}
    assert all(c.level == "4" and c.number.startswith("S") for c in certs)


def test_evaluator_with_several_organisations_chooses_one(client, world, big_class):
    user = world["users"]["evaluator_a"]
    other = InstitutionFactory(name="黔南评价中心", region=region("520102"))
    file_to_evaluate(other)
    from bases.services import membership_grant

    membership_grant(user=user, role=Role.EVALUATOR, institution=other)
    client.force_login(user)
    body = client.get(issue_url(big_class)).content.decode()
    assert "黔南评价中心" in body and 'name="organisation"' in body
    response = client.post(issue_url(big_class), {"kind": "skill_level"})
    assert response.status_code == 200
    assert "请选择以哪个评价机构的名义发证" in response.content.decode()
    response = client.post(
        issue_url(big_class), {"kind": "skill_level", "organisation": other.pk}
    )
    assert response.status_code == 302
    batch = IssueBatch.objects.get(training_class=big_class)
    assert batch.status == IssueBatchStatus.DONE, batch.summary
    assert set(
        Certificate.objects.filter(
            enrolment__training_class=big_class, kind="skill_level"
        ).values_list("issuer_id", flat=True)
    ) == {other.pk}


ISSUE_DENIED = [
    ("evaluator_b", "class_b", 403),  # not filed for the occupation
    ("bureau_gy", "class_a", 403),
    ("auditor_gz", "class_a", 403),
    ("inst_b", "class_a", 404),
    ("bureau_zy", "class_a", 404),
    ("evaluator_b", "class_a", 404),
    ("trainee", "class_a", 302),
    ("anonymous", "class_a", 302),
]


@pytest.mark.parametrize(("who", "key", "status"), ISSUE_DENIED)
def test_issue_screen_is_refused(client, world, who, key, status):
    cls = world[key]
    login(client, world, who)
    for response in (
        client.get(issue_url(cls)),
        client.post(issue_url(cls), {"kind": "training"}),
        client.post(issue_url(cls), {"kind": "skill_level"}),
    ):
        assert response.status_code == status
        if status == 302:
            assert response.headers["Location"].startswith("/admin/login/")
    assert not IssueBatch.objects.exists()


def test_a_kind_not_offered_is_refused(client, world, big_class):
    client.force_login(world["users"]["inst_a"])
    response = client.post(issue_url(big_class), {"kind": "skill_level"})
    assert response.status_code == 200
    assert not IssueBatch.objects.exists()


# --- issuing by evaluation ---------------------------------------------------------------


def evaluation_data(trainee, **changes):
    data = {
        "organisation": "",
        "kind": "skill_level",
        "id_number": trainee.id_number,
        "name": trainee.name,
        "occupation": ELECTRICIAN,
        "level": "3",
        "reason": "2026 年第 5 批评价，成绩合格",
    }
    data.update(changes)
    return data


def test_evaluator_issues_by_decision(client, world):
    user = world["users"]["evaluator_a"]
    person = TraineeFactory(name="社会考生甲")
    client.force_login(user)
    url = reverse("certificates_evaluate")
    body = client.get(url).content.decode()
    assert ELECTRICIAN in body  # the filed occupation is offered
    data = evaluation_data(person, organisation=world["a"].pk)
    response = client.post(url, data)
    cert = Certificate.objects.get(trainee=person)
    assert response.status_code == 302
    assert response.headers["Location"] == inspect_url(cert)
    assert cert.kind == "skill_level" and cert.level == "3"
    assert cert.basis == "evaluation" and cert.basis_note == data["reason"]
    assert cert.issuer == world["a"] and cert.issued_by == user
    assert AuditEvent.objects.filter(
        action="certificate.issue", object_id=str(cert.pk), reason=data["reason"]
    ).exists()
    # The same decision again returns the same certificate.
    client.post(url, data)
    assert Certificate.objects.filter(trainee=person).count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "别人"}, "未找到证件号码与姓名相符的学员"),
        ({"id_number": "520102199001011234"}, ""),  # a bad check digit or unknown
        ({"level": "2"}, "未备案该职业（工种）或等级"),  # filed up to 三级 only
        ({"reason": "  "}, "请填写认定理由"),
        ({"level": ""}, "须选择等级"),
    ],
)
def test_evaluation_refusals_are_shown(client, world, changes, message):
    person = TraineeFactory(name="社会考生乙")
    client.force_login(world["users"]["evaluator_a"])
    response = client.post(
        reverse("certificates_evaluate"),
        evaluation_data(person, organisation=world["a"].pk, **changes),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert person.id_number not in body
    assert not Certificate.objects.filter(trainee=person).exists()


@pytest.mark.parametrize(
    "who", ["inst_a", "bureau_gy", "auditor_gz", "trainee", "anonymous"]
)
def test_evaluation_form_is_for_evaluators_only(client, world, who):
    person = TraineeFactory(name="社会考生丙")
    login(client, world, who)
    url = reverse("certificates_evaluate")
    assert_denied(client.get(url))
    assert_denied(client.post(url, evaluation_data(person, organisation=world["a"].pk)))
    assert not Certificate.objects.filter(trainee=person).exists()


def test_unfiled_evaluator_cannot_issue_by_decision(client, world):
    person = TraineeFactory(name="社会考生丁")
    client.force_login(world["users"]["evaluator_b"])
    response = client.post(
        reverse("certificates_evaluate"),
        evaluation_data(person, organisation=world["b"].pk),
    )
    assert response.status_code == 200  # the occupation is not even offered
    assert not Certificate.objects.filter(trainee=person).exists()


def test_evaluator_cannot_issue_for_another_organisation(client, world):
    person = TraineeFactory(name="社会考生戊")
    client.force_login(world["users"]["evaluator_b"])
    client.post(
        reverse("certificates_evaluate"),
        evaluation_data(person, organisation=world["a"].pk),
    )
    assert not Certificate.objects.filter(trainee=person).exists()


# --- menu and class page links -----------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "menu", "evaluate"),
    [
        ("inst_a", True, False),
        ("evaluator_a", True, True),
        ("bureau_gy", True, False),
        ("auditor_gz", True, False),
    ],
)
def test_menu(client, world, who, menu, evaluate):
    client.force_login(world["users"][who])
    body = client.get("/admin/").content.decode()
    assert (reverse("certificate:index") in body) is menu
    assert (reverse("certificates_evaluate") in body) is evaluate


def class_links(world, who, key):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = world["users"][who]
    links = []
    for fn in class_page_links:
        links += fn(request, world[key])
    return dict(links)


def test_class_page_links(world):
    cls = world["class_a"]
    links = class_links(world, "inst_a", "class_a")
    assert links == {
        "为本班发证": issue_url(cls),
        "下载本班证书 PDF": reverse("certificates_class_pdf", args=[cls.pk]),
        "本班证书": index_url(class_code="GY-0001"),
    }
    assert set(class_links(world, "evaluator_a", "class_a")) == set(links)
    assert set(class_links(world, "auditor_gz", "class_a")) == {
        "下载本班证书 PDF",
        "本班证书",
    }
    # B is not filed: its evaluator gets no issuing link.
    assert "为本班发证" not in class_links(world, "evaluator_b", "class_b")
    fresh = TrainingClassFactory(course=world["course_a"], status=ClassStatus.RUNNING)
    world["fresh"] = fresh
    assert set(class_links(world, "inst_a", "fresh")) == {"为本班发证", "本班证书"}


def test_the_class_institution_sees_but_may_not_change_an_evaluators_certificate(
    client, world
):
    """A third-party evaluation organisation certified a trainee of A's class: A sees
    the certificate (its class) but only the issuer or the bureau may change it."""
    centre = InstitutionFactory(name="贵州电工评价中心", region=region("520102"))
    file_to_evaluate(centre)
    evaluator = staff_user(Role.EVALUATOR, institution=centre)
    cert = services.certificate_issue_for_enrolment(
        actor=evaluator, enrolment=world["enrol_a"], kind=CertificateKind.SKILL_LEVEL
    )
    client.force_login(world["users"]["inst_a"])
    body = client.get(inspect_url(cert)).content.decode()
    assert cert.number in body and "revoke-form" not in body
    response = client.post(
        reverse("certificates_revoke", args=[cert.pk]),
        {"reason": "越权撤销"},
        follow=True,
    )
    assert "只有发证机构或所在地人社部门可以撤销或换发证书" in response.content.decode()
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.VALID
    client.force_login(evaluator)
    body = client.get(inspect_url(cert)).content.decode()
    assert "revoke-form" in body
    client.post(reverse("certificates_revoke", args=[cert.pk]), {"reason": "评价作弊"})
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.REVOKED


BATCH_PAGE = {
    "inst_a": 200,  # requested it
    "evaluator_a": 200,  # same institution
    "bureau_gy": 200,
    "auditor_gz": 200,
    "inst_b": 404,
    "evaluator_b": 404,
    "bureau_zy": 404,
    "trainee": 302,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", list(BATCH_PAGE))
def test_batch_page_by_role(client, world, big_class, who):
    batch = IssueBatch.objects.create(
        training_class=big_class,
        kind=CertificateKind.TRAINING,
        requested_by=world["users"]["inst_a"],
        status=IssueBatchStatus.DONE,
        total=3,
        done=3,
        summary={"eligible": 3, "issued": 2, "already_issued": 1, "not_qualified": 2},
    )
    login(client, world, who)
    response = client.get(reverse("certificates_batch", args=[batch.pk]))
    assert response.status_code == BATCH_PAGE[who]
    if response.status_code == 200:
        assert '<td id="batch-issued">2</td>' in response.content.decode()
    elif response.status_code == 302:
        assert response.headers["Location"].startswith("/admin/login/")
