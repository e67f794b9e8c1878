"""The pre-checks: each one passing and failing with its sentence, rechecks that never
meet the claim itself, duplicates within one call, the stored run, and a query count
that does not grow with the number of claims."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.models import CertificateStatus
from subsidies.checks import add_months, checks_store, claims_check, claims_recheck
from subsidies.models import (
    AccountKind,
    CheckCode,
    Claim,
    ClaimCheck,
    ClaimStatus,
    FiledBy,
    PayeeKind,
    SubsidyKind,
)
from tests.factories import (
    CertificateFactory,
    ClaimFactory,
    EnrolmentFactory,
    InstitutionFactory,
    KeyGroupMembershipFactory,
    StandardFactory,
    TraineeFactory,
    TrainingClassFactory,
)
from training_platform.reference.models import (
    CertificateKind,
    KeyGroup,
    Occupation,
    SkillLevel,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
C = CheckCode


def certificate(**fields):
    fields.setdefault("kind", CertificateKind.SKILL_LEVEL)
    fields.setdefault("level", SkillLevel.LEVEL_4)
    return CertificateFactory(**fields)


def draft(*, standard=None, **fields):
    """An unsaved claim on a valid certificate (a preview before filing)."""
    if "certificate" not in fields and "enrolment" not in fields:
        fields["certificate"] = certificate(
            **({"trainee": fields.pop("trainee")} if "trainee" in fields else {})
        )
    return ClaimFactory.build(
        standard=standard or StandardFactory(), status=ClaimStatus.DRAFT, **fields
    )


def on_enrolment(*, attendance, hours=80, start=None, standard=None):
    """An unsaved claim resting only on an enrolment (an institution's class claim)."""
    training_class = TrainingClassFactory(
        course__hours=hours, start_date=start or TODAY - dt.timedelta(days=40)
    )
    enrolment = EnrolmentFactory(
        training_class=training_class, attendance_hours=Decimal(attendance)
    )
    course = training_class.course
    return ClaimFactory.build(
        certificate=None,
        enrolment=enrolment,
        trainee=enrolment.trainee,
        kind=SubsidyKind.TRAINING,
        standard=standard or StandardFactory(kind=SubsidyKind.TRAINING),
        occupation=course.occupation,
        level=course.target_level,
        basis_date=training_class.end_date,
        region=training_class.region,
        institution=course.institution,
        filed_by=FiledBy.INSTITUTION,
        payee_kind=PayeeKind.INSTITUTION,
        payee_name=course.institution.name,
        account_kind=AccountKind.INSTITUTION,
        status=ClaimStatus.DRAFT,
    )


def check(claim, code, **kw):
    (results,) = claims_check([claim], **kw)
    assert [r.code for r in results] == list(CheckCode)  # every check, in order
    return next(r for r in results if r.code == code)


def test_a_sound_claim_passes_every_check_with_a_sentence_for_each():
    (results,) = claims_check([draft()])
    assert all(r.passed for r in results), results
    assert all(r.message for r in results)


# --- 证书有效 -------------------------------------------------------------------------------


def test_a_valid_certificate_passes():
    claim = draft()
    result = check(claim, C.CERTIFICATE_VALID)
    assert result.passed
    assert result.message == f"证书 {claim.certificate.number} 有效"


def test_a_revoked_or_expired_certificate_fails():
    revoked = certificate(status=CertificateStatus.REVOKED, revoked_at=timezone.now())
    result = check(draft(certificate=revoked), C.CERTIFICATE_VALID)
    assert not result.passed
    assert result.message == f"证书 {revoked.number} 已撤销"

    old = TODAY - dt.timedelta(days=400)
    expired = certificate(issued_on=old, expires_on=old + dt.timedelta(days=30))
    result = check(draft(certificate=expired), C.CERTIFICATE_VALID)
    assert not result.passed
    assert "已过期（有效期至" in result.message


def test_a_certificate_of_someone_else_fails():
    claim = draft()
    claim.trainee = TraineeFactory()
    result = check(claim, C.CERTIFICATE_VALID)
    assert not result.passed and "不是申领人" in result.message


def test_a_claim_on_an_enrolment_only_needs_no_certificate():
    result = check(on_enrolment(attendance=80), C.CERTIFICATE_VALID)
    assert result.passed and "不涉及证书" in result.message


# --- 出勤达标 -------------------------------------------------------------------------------


def test_attendance_at_the_threshold_passes():
    result = check(on_enrolment(attendance=64), C.ATTENDANCE)
    assert result.passed
    assert result.message == "出勤 64 学时，要求不少于 64 学时（课程 80 学时的 80%）"


def test_attendance_below_the_threshold_fails():
    result = check(on_enrolment(attendance="63.5"), C.ATTENDANCE)
    assert not result.passed
    assert result.message.startswith("出勤 63.5 学时，要求不少于 64 学时")


def test_a_certificate_claim_involves_no_attendance():
    result = check(draft(), C.ATTENDANCE)
    assert result.passed and result.message == "证书直补，不涉及培训出勤"


# --- 属于补贴群体 ---------------------------------------------------------------------------


def group_standard(**fields):
    standard = StandardFactory(**fields)
    standard.key_groups.set([KeyGroup.objects.get(code="rural_migrant")])
    return standard


def test_a_standard_without_groups_takes_anyone():
    result = check(draft(), C.KEY_GROUP)
    assert result.passed and "不限群体" in result.message


def test_a_member_of_the_group_on_the_certificate_date_passes():
    member = KeyGroupMembershipFactory(since=TODAY - dt.timedelta(days=10))
    claim = draft(standard=group_standard(), trainee=member.trainee)
    result = check(claim, C.KEY_GROUP)
    assert result.passed
    assert result.message == f"发证日期 {TODAY:%Y-%m-%d} 属于 农村转移劳动力"


def test_someone_outside_the_group_on_the_date_fails():
    ended = KeyGroupMembershipFactory(
        since=TODAY - dt.timedelta(days=300), until=TODAY - dt.timedelta(days=1)
    )
    claim = draft(standard=group_standard(), trainee=ended.trainee)
    result = check(claim, C.KEY_GROUP)
    assert not result.passed
    assert "不属于该标准适用的群体（农村转移劳动力）" in result.message
    # Another group does not count either.
    KeyGroupMembershipFactory(
        trainee=ended.trainee, group=KeyGroup.objects.get(code="veteran")
    )
    assert not check(claim, C.KEY_GROUP).passed


def test_the_training_date_is_the_class_start():
    standard = group_standard(kind=SubsidyKind.TRAINING)
    start = TODAY - dt.timedelta(days=60)
    claim = on_enrolment(attendance=80, start=start, standard=standard)
    KeyGroupMembershipFactory(
        trainee=claim.trainee, since=start, until=start + dt.timedelta(days=1)
    )
    result = check(claim, C.KEY_GROUP)
    assert result.passed and f"开班日期 {start:%Y-%m-%d}" in result.message


# --- 同一职业同一等级仅补贴一次 -----------------------------------------------------------


def test_the_same_occupation_and_level_paid_before_fails():
    paid = ClaimFactory(
        status=ClaimStatus.PAID, paid_on=dt.date(2025, 6, 3), bank_reference="B1"
    )
    claim = draft(trainee=paid.trainee)
    result = check(claim, C.ONCE_PER_LEVEL)
    assert not result.passed
    name = Occupation.objects.get(pk=paid.occupation_id).name
    assert result.message == (
        f"已于 2025-06-03 获得 {name} 四级/中级工 技能提升补贴（申领 #{paid.pk}）"
    )


def test_a_rejected_claim_or_another_level_is_no_earlier_subsidy():
    rejected = ClaimFactory(status=ClaimStatus.REJECTED)
    ClaimFactory(
        certificate=certificate(trainee=rejected.trainee, level=SkillLevel.LEVEL_5),
        level=SkillLevel.LEVEL_5,
        status=ClaimStatus.APPROVED,
    )
    result = check(draft(trainee=rejected.trainee), C.ONCE_PER_LEVEL)
    assert result.passed and result.message.startswith("此前未获得")


# --- 不低于已补贴等级 -----------------------------------------------------------------------


def test_a_lower_level_after_a_higher_one_fails():
    higher = ClaimFactory(
        certificate=certificate(level=SkillLevel.LEVEL_3), level=SkillLevel.LEVEL_3
    )
    result = check(draft(trainee=higher.trainee), C.NO_LOWER_LEVEL)
    assert not result.passed
    assert f"三级/高级工 技能提升补贴（申领 #{higher.pk}）" in result.message
    assert result.message.endswith("不再补贴较低的四级/中级工")


def test_a_higher_level_after_a_lower_one_passes():
    lower = ClaimFactory(
        certificate=certificate(level=SkillLevel.LEVEL_5), level=SkillLevel.LEVEL_5
    )
    assert check(draft(trainee=lower.trainee), C.NO_LOWER_LEVEL).passed


# --- 年度次数未超 ---------------------------------------------------------------------------


def three_claims_this_year():
    trainee = TraineeFactory()
    for kind in (SubsidyKind.TRAINING, SubsidyKind.EVALUATION, SubsidyKind.LIVING):
        ClaimFactory(certificate__trainee=trainee, kind=kind)
    return trainee


def test_a_fourth_claim_in_a_year_fails():
    trainee = three_claims_this_year()
    result = check(draft(trainee=trainee), C.YEARLY_USES)
    assert not result.passed
    assert result.message == f"{TODAY.year} 年已申领各类培训补贴 3 次，已达上限 3 次"


def test_a_kind_used_up_for_the_year_fails_though_other_kinds_would_not():
    trainee = TraineeFactory()
    ClaimFactory(certificate__trainee=trainee, kind=SubsidyKind.SKILL_UPGRADE)
    once = StandardFactory(uses_per_year=1)
    result = check(draft(trainee=trainee, standard=once), C.YEARLY_USES)
    assert not result.passed
    assert result.message == (
        f"{TODAY.year} 年已申领技能提升补贴 1 次，已达该类上限 1 次"
    )
    # Another kind in the year does not use up this kind's single use.
    other = TraineeFactory()
    ClaimFactory(certificate__trainee=other, kind=SubsidyKind.TRAINING)
    assert check(draft(trainee=other, standard=once), C.YEARLY_USES).passed


def test_a_listed_occupation_has_extra_uses_and_other_years_do_not_count():
    trainee = three_claims_this_year()
    standard = StandardFactory(extra_uses_per_year=2)
    claim = draft(standard=standard, trainee=trainee)
    standard.occupations.set([claim.occupation])
    result = check(claim, C.YEARLY_USES)
    assert result.passed
    assert result.message == (
        f"{TODAY.year} 年此前已申领 3 次（技能提升补贴 0 次），"
        "上限合计 5 次、技能提升补贴 5 次（含目录内职业另加 2 次）"
    )
    claim = draft(trainee=trainee, use_year=TODAY.year + 1)
    assert check(claim, C.YEARLY_USES).passed


# --- 在申领期限内 ---------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 6, 3), 12) == dt.date(2026, 6, 3)
    assert add_months(dt.date(2025, 12, 15), 1) == dt.date(2026, 1, 15)


def test_a_claim_on_the_last_day_of_the_window_passes_and_a_day_later_fails():
    issued = dt.date(2025, 1, 31)
    claim = draft(certificate=certificate(issued_on=issued))
    result = check(claim, C.CLAIM_WINDOW, today=dt.date(2026, 1, 31))
    assert result.passed
    assert result.message == (
        "发证日期 2025-01-31，申领期限 12 个月，至 2026-01-31；今天是 2026-01-31"
    )
    result = check(claim, C.CLAIM_WINDOW, today=dt.date(2026, 2, 1))
    assert not result.passed and result.message.endswith("已超过申领期限")


def test_a_claim_submitted_in_time_stays_in_time_when_rechecked_later():
    claim = ClaimFactory(
        certificate=certificate(issued_on=dt.date(2025, 1, 31)),
        submitted_at=dt.datetime(2025, 12, 1, 10, tzinfo=dt.UTC),
    )
    result = check(claim, C.CLAIM_WINDOW, today=dt.date(2026, 3, 1))
    assert result.passed and "提交于 2025-12-01" in result.message


# --- 无重复申领 -----------------------------------------------------------------------------


def test_an_open_claim_for_the_same_entitlement_is_a_duplicate():
    open_claim = ClaimFactory(status=ClaimStatus.UNDER_REVIEW)
    (results,) = claims_check([draft(trainee=open_claim.trainee)])
    result = next(r for r in results if r.code == C.NO_DUPLICATE)
    assert not result.passed
    assert f"已有同一补贴的审核中申领（申领 #{open_claim.pk}" in result.message
    # Not yet granted: the once-per-level rule has nothing against it.
    assert next(r for r in results if r.code == C.ONCE_PER_LEVEL).passed


def test_a_withdrawn_claim_is_no_duplicate():
    withdrawn = ClaimFactory(status=ClaimStatus.WITHDRAWN)
    assert check(draft(trainee=withdrawn.trainee), C.NO_DUPLICATE).passed


def test_two_claims_for_one_entitlement_in_one_call_the_second_is_a_duplicate():
    first = draft()
    second = draft(certificate=first.certificate)
    one, two = claims_check([first, second])
    assert all(r.passed for r in one)
    failed = [r for r in two if not r.passed]
    assert [r.code for r in failed] == [C.NO_DUPLICATE]
    assert "本次第 1 条申领" in failed[0].message


def test_earlier_claims_of_the_call_count_against_the_yearly_uses():
    trainee = TraineeFactory()
    ClaimFactory(certificate__trainee=trainee, kind=SubsidyKind.TRAINING)
    ClaimFactory(certificate__trainee=trainee, kind=SubsidyKind.EVALUATION)
    third = draft(trainee=trainee)
    fourth = draft(trainee=trainee, kind=SubsidyKind.LIVING)
    one, two = claims_check([third, fourth])
    uses = [next(r for r in rs if r.code == C.YEARLY_USES) for rs in (one, two)]
    assert uses[0].passed and not uses[1].passed


# --- 收款账户齐全 ---------------------------------------------------------------------------


def test_a_person_with_an_account_passes_and_the_account_is_masked():
    result = check(draft(), C.PAYEE_ACCOUNT)
    assert result.passed
    assert "银行账户 ***************3445" in result.message
    assert "6222020200112233445" not in result.message


def test_a_missing_account_fails_for_a_person_and_for_an_institution():
    result = check(draft(payee_account=""), C.PAYEE_ACCOUNT)
    assert not result.passed and result.message == "未填写收款账号"
    claim = on_enrolment(attendance=80)
    claim.payee_account = "  "
    result = check(claim, C.PAYEE_ACCOUNT)
    assert not result.passed and result.message == "未填写机构基本账户"
    claim.payee_account = "52001234567890"
    assert check(claim, C.PAYEE_ACCOUNT).passed


# --- rechecks and the stored run --------------------------------------------------------------


def test_a_recheck_never_meets_the_claim_itself_and_is_stored():
    claim = ClaimFactory(status=ClaimStatus.UNDER_REVIEW)
    (results,) = claims_recheck([claim])
    assert all(r.passed for r in results), results
    rows = ClaimCheck.objects.filter(claim=claim)
    assert rows.count() == len(CheckCode) and all(r.passed for r in rows)
    claim.refresh_from_db()
    assert claim.checks_failed == 0


def test_a_second_run_replaces_the_first_and_counts_the_failures():
    claim = ClaimFactory(payee_account="")
    claims_recheck([claim], today=TODAY)
    claims_recheck([claim], today=TODAY + dt.timedelta(days=800))
    claim.refresh_from_db()
    assert claim.checks_failed == 2  # the account, the window
    failed = ClaimCheck.objects.filter(claim=claim, passed=False)
    assert ClaimCheck.objects.filter(claim=claim).count() == len(CheckCode)
    assert set(failed.values_list("code", flat=True)) == {
        C.PAYEE_ACCOUNT,
        C.CLAIM_WINDOW,
    }


def test_a_paid_claim_can_be_rechecked_without_touching_what_is_frozen():
    claim = ClaimFactory(
        status=ClaimStatus.PAID, paid_on=dt.date(2026, 3, 1), bank_reference="B1"
    )
    claims_recheck([claim])
    assert Claim.objects.get(pk=claim.pk).checks_failed == 0


def test_unsaved_claims_are_not_stored():
    checks_store([draft()], claims_check([draft()]))
    assert not ClaimCheck.objects.exists()


# --- queries -------------------------------------------------------------------------------


def many(n):
    """``n`` saved claims of different people: on certificates, on enrolments, some in
    key groups, with their other claims, so that every read has rows to find."""
    standard = group_standard()
    standard.occupations.set(Occupation.objects.filter(code="6-31-01-03"))
    institution = InstitutionFactory()
    training_class = TrainingClassFactory(course__institution=institution, capacity=n)
    claims = []
    for i in range(n):
        trainee = TraineeFactory()
        KeyGroupMembershipFactory(trainee=trainee)
        if i % 2:
            claims.append(ClaimFactory(certificate__trainee=trainee, standard=standard))
        else:
            enrolment = EnrolmentFactory(
                trainee=trainee, training_class=training_class, attendance_hours=70
            )
            claims.append(
                ClaimFactory(
                    certificate__trainee=trainee,
                    enrolment=enrolment,
                    standard=standard,
                    kind=SubsidyKind.TRAINING,
                )
            )
    return claims


def queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_claims():
    claims = many(200)
    one = Claim.objects.filter(pk=claims[0].pk)
    every = Claim.objects.filter(pk__in=[c.pk for c in claims])
    one, every = list(one), list(every)
    assert queries(lambda: claims_check(one)) == queries(lambda: claims_check(every))
    assert queries(lambda: claims_recheck(one)) == queries(
        lambda: claims_recheck(every)
    )
    assert ClaimCheck.objects.count() == 200 * len(CheckCode)
    # Enrolment claims: 70 of 80 hours attended (threshold 64).
    (results,) = claims_check([one[0]])
    assert all(r.passed for r in results), results
