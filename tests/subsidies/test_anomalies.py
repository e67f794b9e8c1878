"""补贴异常: each anomaly found, its near miss not found, scoped by region, exported,
and found in a constant number of queries."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from subsidies import anomalies
from subsidies.models import ClaimStatus, PayeeKind, SubsidyKind
from tests.factories import (
    CertificateFactory,
    ClaimFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    region,
    staff_user,
)
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

_accounts = iter(range(10**6))


def claim(**fields):
    """A live claim with its own account unless told otherwise."""
    fields.setdefault("payee_account", f"62220202{next(_accounts):011d}")
    return ClaimFactory(**fields)


def claim_for(trainee, **fields):
    """A claim of ``trainee`` on a certificate of their own."""
    certificate = CertificateFactory(
        trainee=trainee, kind=CertificateKind.SKILL_LEVEL, level=SkillLevel.LEVEL_4
    )
    return claim(certificate=certificate, **fields)


def second_claim(trainee, **fields):
    """Another claim of the same person (another kind: another entitlement)."""
    fields.setdefault("kind", SubsidyKind.TRAINING)
    return claim_for(trainee, **fields)


@pytest.fixture
def province():
    return staff_user(Role.BUREAU, region_code="520000")


# --- (a) several institutions ---------------------------------------------------------


def test_a_person_claimed_by_two_institutions_in_one_year_is_found(province):
    first = claim(institution=InstitutionFactory(name="甲职业培训学校"))
    other = second_claim(
        first.trainee, institution=InstitutionFactory(name="乙职业培训学校")
    )
    [row] = anomalies.multi_institution(province)
    assert {c.id for c in row.claims} == {first.id, other.id}
    assert "2 家培训机构" in row.sentence
    assert "甲职业培训学校、乙职业培训学校" in row.sentence
    assert first.trainee.name not in row.sentence  # masked
    assert row.amount == Decimal("3000.00")


def test_two_claims_of_one_institution_or_of_two_years_are_not(province):
    school = InstitutionFactory()
    first = claim(institution=school)
    second_claim(first.trainee, institution=school)
    later = claim(institution=InstitutionFactory())
    second_claim(
        later.trainee,
        institution=InstitutionFactory(),
        use_year=later.use_year + 1,
    )
    # A rejected claim holds nothing: not counted either.
    third = claim(institution=InstitutionFactory())
    second_claim(
        third.trainee, institution=InstitutionFactory(), status=ClaimStatus.REJECTED
    )
    assert anomalies.multi_institution(province) == []


# --- (b) one phone, one account --------------------------------------------------------


def test_three_people_on_one_phone_are_found_and_two_are_not(province):
    for _ in range(3):
        claim_for(TraineeFactory(phone="13900001111"))
    for _ in range(2):
        claim_for(TraineeFactory(phone="13900002222"))
    [row] = anomalies.shared_phone(province)
    assert "139****1111" in row.sentence and "3 名学员" in row.sentence
    assert "13900001111" not in row.sentence
    assert row.claim_count == 3


def test_three_people_on_one_account_are_found_and_two_are_not(province):
    found = [claim(payee_account="6222020200118888001") for _ in range(3)]
    for _ in range(2):
        claim(payee_account="6222020200119999002")
    # An institution's own account receives many people's claims by design.
    for _ in range(3):
        claim(
            payee_account="6222020200117777003",
            payee_kind=PayeeKind.INSTITUTION,
        )
    [row] = anomalies.shared_account(province)
    assert {c.id for c in row.claims} == {c.id for c in found}
    assert "8001" in row.sentence
    assert "6222020200118888001" not in row.sentence  # masked: last four only
    assert row.cells["收款账号"].endswith("8001")


def test_one_person_with_three_claims_on_one_account_is_not_many_people(province):
    first = claim(payee_account="6222020200116666001")
    second_claim(first.trainee, payee_account="6222020200116666001")
    second_claim(
        first.trainee,
        payee_account="6222020200116666001",
        kind=SubsidyKind.EVALUATION,
    )
    assert anomalies.shared_account(province) == []


# --- (c) uniform attendance ----------------------------------------------------------------


def _class_with(hours: list):
    training_class = TrainingClassFactory()
    enrolments = [
        EnrolmentFactory(training_class=training_class, attendance_hours=Decimal(h))
        for h in hours
    ]
    return training_class, enrolments


def _claim_on_enrolment(enrolment):
    certificate = CertificateFactory(
        trainee=enrolment.trainee,
        enrolment=enrolment,
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
    )
    return claim(certificate=certificate)


def test_a_class_with_identical_attendance_is_found(province):
    training_class, enrolments = _class_with(["80"] * 12)
    found = _claim_on_enrolment(enrolments[0])
    # A claim on the enrolment itself (no certificate) counts for its class as well.
    direct = claim(
        certificate=None,
        enrolment=enrolments[1],
        trainee=enrolments[1].trainee,
        occupation=None,
        level="",
        kind=SubsidyKind.TRAINING,
        basis_date=training_class.end_date,
        region=training_class.region,
        payee_name=enrolments[1].trainee.name,
    )
    [row] = anomalies.uniform_attendance(province)
    assert {c.id for c in row.claims} == {found.id, direct.id}
    assert training_class.code in row.sentence
    assert "12 名学员的出勤课时均为 80 课时" in row.sentence


def test_varied_attendance_or_a_small_class_is_not(province):
    _, varied = _class_with(["80"] * 9 + ["72", "80", "64"])
    _claim_on_enrolment(varied[0])
    _, small = _class_with(["80"] * 9)
    _claim_on_enrolment(small[0])
    # Uniform, but no claim rests on the class.
    _class_with(["80"] * 12)
    assert anomalies.uniform_attendance(province) == []


def test_attendance_within_half_an_hour_counts_as_uniform(province):
    _, enrolments = _class_with(["79.5"] * 5 + ["80"] * 5)
    _claim_on_enrolment(enrolments[0])
    [row] = anomalies.uniform_attendance(province)
    assert "都在 79.5–80 课时之间" in row.sentence


# --- scope --------------------------------------------------------------------------------


def test_a_prefecture_bureau_sees_only_its_own_region_claims():
    for _ in range(3):
        claim(payee_account="6222020200115555001", region=region("520302"))
    guiyang = staff_user(Role.BUREAU, region_code="520100")
    zunyi = staff_user(Role.BUREAU, region_code="520300")
    auditor = staff_user(Role.AUDITOR, region_code="520300")
    assert anomalies.shared_account(guiyang) == []
    assert len(anomalies.shared_account(zunyi)) == 1
    assert len(anomalies.shared_account(auditor)) == 1


# --- the screen and its export ------------------------------------------------------------


def test_the_page_lists_each_anomaly_with_its_count(client, province):
    for _ in range(3):
        claim(payee_account="6222020200114444001")
    client.force_login(province)
    response = client.get(reverse("subsidies_anomalies"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "共 1 条" in body and "共 0 条" in body
    assert "6222020200114444001" not in body
    assert "4001" in body


def test_the_export_holds_the_rows_and_masks_the_account(client, province):
    rows = [claim(payee_account="6222020200113333001") for _ in range(3)]
    client.force_login(province)
    response = client.get(
        reverse("subsidies_anomalies_export", args=["shared-account"])
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0] == (
        "异常说明",
        "收款账号",
        "学员人数",
        "申领笔数",
        "涉及金额（元）",
        "申领编号",
    )
    assert values[1][2:5] == (3, 3, 4500)
    assert values[1][1].endswith("3001") and "62220202" not in values[1][1]
    assert values[1][5] == "、".join(
        f"#{c.id}" for c in sorted(rows, key=lambda c: c.id)
    )
    assert len(values) == 2


def test_an_unknown_list_is_404(client, province):
    client.force_login(province)
    response = client.get(reverse("subsidies_anomalies_export", args=["nothing"]))
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["institution", "plain"])
def test_institution_staff_and_trainees_are_refused(client, who):
    if who == "institution":
        user = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    else:
        user = UserFactory()
    client.force_login(user)
    for url in (
        reverse("subsidies_anomalies"),
        reverse("subsidies_anomalies_export", args=["shared-phone"]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/admin/login/")


def _world(n: int):
    """``n`` claims in each list's anomaly."""
    school_a, school_b = InstitutionFactory(), InstitutionFactory()
    for _ in range(n):
        first = claim(institution=school_a, payee_account="6222020200112222001")
        first.trainee.phone = "13900003333"
        first.trainee.save()
        second_claim(
            first.trainee, institution=school_b, payee_account="6222020200112222001"
        )
    _, enrolments = _class_with(["80"] * 10)
    for enrolment in enrolments[: min(n, 10)]:
        _claim_on_enrolment(enrolment)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_claims(client, province):
    client.force_login(province)
    url = reverse("subsidies_anomalies")
    _world(3)
    few = _count_queries(client, url)
    _world(15)  # 30 more claims in each list
    many = _count_queries(client, url)
    assert few == many
    for slug in anomalies.LISTS_BY_SLUG:
        assert len(anomalies.LISTS_BY_SLUG[slug].find(province)) >= 1
