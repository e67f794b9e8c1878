"""The certificates menu by role, and the certificate links on a class page."""

import pytest
from django.urls import reverse

from certificates import services
from certificates.models import CertificateStatus
from courses.extensions import class_page_links
from courses.models import ClassStatus
from tests.certificates.admin_world import (
    file_to_evaluate,
    index_url,
    inspect_url,
    issue_url,
)
from tests.factories import InstitutionFactory, TrainingClassFactory, region, staff_user
from training_platform.reference.models import CertificateKind
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


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
    return {link.label: link for link in links}


def test_class_page_links(world):
    cls = world["class_a"]
    full = class_links(world, "inst_a", "class_a")
    links = {label: link.url for label, link in full.items()}
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
    fresh_links = class_links(world, "inst_a", "fresh")
    assert set(fresh_links) == {"为本班发证", "本班证书"}
    # Nobody has passed yet: the step is expected, so shown, but disabled with the reason.
    assert not fresh_links["为本班发证"].enabled
    assert "还没有考核合格" in fresh_links["为本班发证"].reason
    assert full["为本班发证"].next_step and full["为本班发证"].explanation


@pytest.mark.parametrize(
    "status",
    [
        ClassStatus.DRAFT,
        ClassStatus.FILED,
        ClassStatus.APPROVED,
        ClassStatus.OPEN,
        ClassStatus.CANCELLED,
    ],
)
def test_no_issuing_on_a_class_that_has_not_started(world, status):
    fresh = TrainingClassFactory(course=world["course_a"], status=status)
    world["fresh"] = fresh
    for who in ("inst_a", "evaluator_a"):
        assert "为本班发证" not in class_links(world, who, "fresh")


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


def test_confirm_issue_is_disabled_with_the_reason_when_nobody_is_left(client, world):
    fresh = TrainingClassFactory(course=world["course_a"], status=ClassStatus.RUNNING)
    client.force_login(world["users"]["inst_a"])
    body = client.get(issue_url(fresh)).content.decode()
    assert 'disabled aria-describedby="nothing-to-issue">确认发证' in body
    assert "本班还没有考核合格且出勤达标的学员" in body
    # class_a's one passed trainee already holds the training certificate.
    body = client.get(issue_url(world["class_a"])).content.decode()
    assert "考核合格的学员都已持有证书" in body


def test_confirm_issue_is_enabled_when_someone_qualifies(client, world, big_class):
    client.force_login(world["users"]["inst_a"])
    body = client.get(issue_url(big_class)).content.decode()
    assert '<button type="submit" class="button">确认发证</button>' in body
    assert 'id="nothing-to-issue"' not in body
