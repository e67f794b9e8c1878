"""补贴统计: totals by prefecture and kind equal the sum of the claims, to the cent."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from subsidies.analytics_views import TOTALS_HEADERS, totals_rows
from subsidies.models import Claim, ClaimStatus, SubsidyKind
from subsidies.totals import totals
from tests.factories import (
    CertificateFactory,
    ClaimFactory,
    InstitutionFactory,
    StandardFactory,
    region,
    staff_user,
)
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def claim(status=ClaimStatus.SUBMITTED, region_code="520102", amount="1500.00", **kw):
    standard = StandardFactory(amount=Decimal(amount))
    certificate = CertificateFactory(
        kind=CertificateKind.SKILL_LEVEL, level=SkillLevel.LEVEL_4
    )
    if status == ClaimStatus.PAID:
        kw.update(paid_on=dt.date(2026, 3, 1), bank_reference=f"B{certificate.pk}")
    return ClaimFactory(
        certificate=certificate,
        standard=standard,
        status=status,
        region=region(region_code),
        **kw,
    )


@pytest.fixture
def province():
    return staff_user(Role.BUREAU, region_code="520000")


def test_totals_equal_the_sum_of_the_claims_to_the_cent(province):
    claim(ClaimStatus.PAID, amount="1500.10")
    claim(ClaimStatus.PAID, amount="0.20", region_code="520103")
    claim(ClaimStatus.IN_NOTICE, amount="1000.01")
    claim(ClaimStatus.PAYMENT_FAILED, amount="999.99")
    claim(ClaimStatus.UNDER_REVIEW, amount="333.33", region_code="520302")
    claim(ClaimStatus.UNDER_REVIEW, amount="0.01", kind=SubsidyKind.EVALUATION)
    # Not counted: drafts, rejected and withdrawn claims.
    claim(ClaimStatus.DRAFT, amount="7777.77")
    claim(ClaimStatus.REJECTED, amount="8888.88")

    table = totals(province)
    guiyang = table.line("520100", SubsidyKind.SKILL_UPGRADE)
    assert guiyang.stages["paid"].count == 2
    assert guiyang.stages["paid"].amount == Decimal("1500.30")
    assert guiyang.stages["approved"].count == 2
    assert guiyang.stages["approved"].amount == Decimal("2000.00")
    assert guiyang.stages["in_process"].count == 0
    evaluation = table.line("520100", SubsidyKind.EVALUATION)
    assert evaluation.stages["in_process"].amount == Decimal("0.01")
    zunyi = table.row_total("520300")
    assert zunyi.total.count == 1 and zunyi.total.amount == Decimal("333.33")

    counted = Claim.objects.exclude(
        status__in=[ClaimStatus.DRAFT, ClaimStatus.REJECTED]
    )
    grand = table.grand_total.total
    assert grand.count == counted.count() == 6
    assert grand.amount == sum(c.amount for c in counted) == Decimal("3833.64")
    assert isinstance(grand.amount, Decimal)
    column = table.column_total(SubsidyKind.SKILL_UPGRADE).total
    assert column.amount == Decimal("3833.63")
    # All nine prefectures of Guizhou, by their names.
    names = [name for _, name in table.prefectures]
    assert len(names) == 9 and names[0] == "贵阳市" and "遵义市" in names


def test_a_province_claim_counts_under_the_province_itself(province):
    claim(ClaimStatus.APPROVED, region_code="520000", amount="10.00")
    table = totals(province)
    assert ("520000", "省本级") in table.prefectures
    assert table.row_total("520000").stages["approved"].amount == Decimal("10.00")


def test_a_prefecture_bureau_counts_only_its_own_claims():
    claim(ClaimStatus.PAID, amount="100.00")
    claim(ClaimStatus.PAID, amount="200.00", region_code="520302")
    zunyi = staff_user(Role.BUREAU, region_code="520300")
    table = totals(zunyi)
    assert [name for _, name in table.prefectures] == ["遵义市"]
    assert table.grand_total.total.amount == Decimal("200.00")
    auditor = staff_user(Role.AUDITOR, region_code="520100")
    assert totals(auditor).grand_total.total.amount == Decimal("100.00")


def test_the_export_holds_each_line_the_subtotals_and_the_totals(client, province):
    claim(ClaimStatus.PAID, amount="1500.10")
    claim(ClaimStatus.SUBMITTED, amount="0.05", region_code="520302")
    client.force_login(province)
    response = client.get(reverse("subsidies_totals_export"))
    assert response.status_code == 200
    values = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert list(values[0]) == TOTALS_HEADERS
    by_key = {(row[0], row[1]): row for row in values[1:]}
    assert by_key[("贵阳市", "技能提升补贴")][6:10] == (1, 1500.1, 1, 1500.1)
    assert by_key[("遵义市", "小计")][2:4] == (1, 0.05)
    assert by_key[("合计", "全部")][8:10] == (2, 1500.15)
    # 9 prefectures × (5 kinds + 小计) + 5 kinds + 全部, under the header.
    assert len(values) == 1 + 9 * 6 + 6
    assert len(totals_rows(totals(province))) == 9 * 6 + 6


def test_the_page_shows_the_table_with_totals(client, province):
    claim(ClaimStatus.PAID, amount="1234.56")
    client.force_login(province)
    response = client.get(reverse("subsidies_totals"), {"stage": "paid"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "贵阳市" in body and "黔东南苗族侗族自治州" in body
    assert "1,234.56 元" in body
    assert "已拨付申领共 1 笔" in body
    response = client.get(reverse("subsidies_totals"), {"stage": "in_process"})
    assert "在审申领共 0 笔" in response.content.decode()


def test_institution_staff_are_refused(client):
    user = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    client.force_login(user)
    assert client.get(reverse("subsidies_totals")).status_code == 403
    assert client.get(reverse("subsidies_totals_export")).status_code == 403


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_claims(client, province):
    client.force_login(province)
    claim(ClaimStatus.PAID)
    page = _count_queries(client, reverse("subsidies_totals"))
    export = _count_queries(client, reverse("subsidies_totals_export"))
    for index in range(29):
        claim(
            [ClaimStatus.PAID, ClaimStatus.APPROVED, ClaimStatus.SUBMITTED][index % 3],
            region_code=["520102", "520302", "522601"][index % 3],
        )
    assert _count_queries(client, reverse("subsidies_totals")) == page
    assert _count_queries(client, reverse("subsidies_totals_export")) == export
    with CaptureQueriesContext(connection) as queries:
        totals(province)
    assert len(queries) <= 4  # the scope (memberships), the GROUP BY, the prefectures
