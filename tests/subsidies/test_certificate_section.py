"""The claims behind a certificate on its back-office page: shown to the roles that may
see claims, only the claims they may see, in a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from subsidies.models import ClaimStatus
from subsidies.record_sections import HEADERS, TITLE, certificate_claims
from tests.factories import (
    CertificateFactory,
    ClaimFactory,
    InstitutionFactory,
    StandardFactory,
    UserFactory,
    evaluation_org,
    region,
    staff_user,
)
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    school = InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))
    certificate = CertificateFactory(
        issuer=school, kind=CertificateKind.SKILL_LEVEL, level=SkillLevel.LEVEL_4
    )
    paid = ClaimFactory(
        certificate=certificate,
        institution=school,
        standard=StandardFactory(amount=Decimal("1500.00")),
        status=ClaimStatus.PAID,
        paid_on=dt.date(2026, 3, 9),
        bank_reference="B-1",
        override_reason="出勤记录经核实为系统录入延迟，特批通过",
    )
    return {"school": school, "certificate": certificate, "paid": paid}


def _section(user, certificate):
    request = RequestFactory().get("/")
    request.user = user
    return certificate_claims(request, certificate)


def _cells(section):
    return [[str(cell) for cell in row] for row in section[1]]


@pytest.mark.parametrize(
    "role,region_code",
    [(Role.BUREAU, "520100"), (Role.AUDITOR, "520000"), (Role.BUREAU, "520000")],
)
def test_bureaus_and_auditors_over_the_region_see_the_claims(world, role, region_code):
    user = staff_user(role, region_code=region_code)
    title, rows, headers = _section(user, world["certificate"])
    assert title == TITLE and headers == HEADERS
    [row] = _cells((title, rows))
    assert f"申领 #{world['paid'].pk}" in row[0]
    assert row[1:] == [
        "技能提升补贴",
        "1,500.00 元",
        "已拨付",
        "2026-03-09",
        "出勤记录经核实为系统录入延迟，特批通过",
    ]


def test_the_filing_institution_sees_its_claim_and_another_sees_none(world):
    mine = staff_user(Role.INSTITUTION, institution=world["school"])
    assert len(_section(mine, world["certificate"])[1]) == 1
    other = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    assert _section(other, world["certificate"])[1] == []


def test_another_region_bureau_sees_no_claims(world):
    zunyi = staff_user(Role.BUREAU, region_code="520300")
    assert _section(zunyi, world["certificate"])[1] == []


def test_roles_that_may_not_see_claims_get_no_section(world):
    evaluator = staff_user(Role.EVALUATOR, institution=evaluation_org())
    assert _section(evaluator, world["certificate"]) is None
    nobody = UserFactory()
    assert _section(nobody, world["certificate"]) is None


def test_the_certificate_page_shows_the_claims_to_the_auditor(client, world):
    client.force_login(staff_user(Role.AUDITOR, region_code="520000"))
    response = client.get(
        reverse("certificate:inspect", args=[world["certificate"].pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "补贴申领" in body
    assert "出勤记录经核实为系统录入延迟，特批通过" in body
    assert "1,500.00 元" in body and "2026-03-09" in body


def test_a_claim_without_a_paid_date_or_override_shows_dashes(world):
    certificate = CertificateFactory(
        issuer=world["school"], kind=CertificateKind.SKILL_LEVEL, level="4"
    )
    ClaimFactory(certificate=certificate, status=ClaimStatus.SUBMITTED)
    bureau = staff_user(Role.BUREAU, region_code="520100")
    [row] = _cells(_section(bureau, certificate))
    assert row[3:] == ["已提交", "—", "—"]


def test_queries_do_not_grow_with_claims(world):
    bureau = staff_user(Role.BUREAU, region_code="520100")
    certificate = world["certificate"]
    _section(bureau, certificate)  # the scope, once per user
    with CaptureQueriesContext(connection) as one:
        assert len(_section(bureau, certificate)[1]) == 1
    for _ in range(29):
        ClaimFactory(certificate=certificate, status=ClaimStatus.REJECTED)
    with CaptureQueriesContext(connection) as many:
        assert len(_section(bureau, certificate)[1]) == 30
    assert len(many) == len(one)
