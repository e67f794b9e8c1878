"""Filing claims: a trainee for their own certificate, an institution for a class."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import AssessmentResult, ClassStatus
from subsidies import services
from subsidies.models import (
    AccountKind,
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
    InstitutionFactory,
    StandardFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    passed_enrolment,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2026, 3, 2)
ACCOUNT = "6222 0202 0011 2233 445"
INSTITUTION_ACCOUNT = "110060123456789012"


def trainee_with_user(**fields):
    return TraineeFactory(user=UserFactory(), **fields)


def skill_certificate(trainee, **fields):
    fields.setdefault("issued_on", ISSUED)
    fields.setdefault("level", SkillLevel.LEVEL_4)
    return CertificateFactory(
        trainee=trainee, kind=CertificateKind.SKILL_LEVEL, **fields
    )


# --- the trainee, for themself ----------------------------------------------------------


def test_a_trainee_files_for_their_own_certificate_and_the_claim_is_submitted():
    standard = StandardFactory()
    trainee = trainee_with_user()
    certificate = skill_certificate(trainee)
    claim = services.claim_file_self(
        trainee=trainee,
        certificate=certificate,
        account_kind=AccountKind.BANK,
        account=ACCOUNT,
        actor=trainee.user,
    )
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.submitted_at is not None
    assert (claim.kind, claim.standard, claim.amount) == (
        SubsidyKind.SKILL_UPGRADE,
        standard,
        Decimal("1500.00"),
    )
    assert claim.certificate == certificate and claim.enrolment is None
    assert (claim.payee_kind, claim.payee_name) == (PayeeKind.PERSON, trainee.name)
    assert claim.filed_by == FiledBy.TRAINEE
    assert claim.payee_account == "6222020200112233445"  # spaces gone, stored encrypted
    assert claim.masked_account.endswith("3445") and "0202" not in claim.masked_account
    assert (claim.use_year, claim.use_slot) == (2026, 1)
    assert claim.region == certificate.region
    assert ClaimCheck.objects.filter(claim=claim).exists()
    actions = set(
        AuditEvent.objects.filter(object_id=str(claim.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == {"subsidies.claim.create", "subsidies.claim.submitted"}
    # No account number in the audit trail.
    assert "2233445" not in str(list(AuditEvent.objects.values_list("before", "after")))


def test_the_region_of_a_certificate_from_a_class_is_the_class_region():
    StandardFactory()
    trainee = trainee_with_user()
    training_class = TrainingClassFactory(region=region("520300"))
    enrolment = passed_enrolment(trainee=trainee, training_class=training_class)
    certificate = skill_certificate(trainee, enrolment=enrolment)
    claim = services.claim_file_self(
        trainee=trainee,
        certificate=certificate,
        account_kind=AccountKind.SOCIAL_SECURITY,
        account="12345678901",
        actor=trainee.user,
    )
    assert claim.region_id == "520300"
    assert claim.enrolment == enrolment


def test_someone_elses_certificate_is_refused():
    StandardFactory()
    trainee = trainee_with_user()
    other_certificate = skill_certificate(TraineeFactory())
    with pytest.raises(PermissionDenied):
        services.claim_file_self(
            trainee=trainee,
            certificate=other_certificate,
            account_kind=AccountKind.BANK,
            account=ACCOUNT,
            actor=trainee.user,
        )
    # Nor may one user file as another trainee.
    mine = skill_certificate(trainee)
    with pytest.raises(PermissionDenied):
        services.claim_file_self(
            trainee=trainee,
            certificate=mine,
            account_kind=AccountKind.BANK,
            account=ACCOUNT,
            actor=UserFactory(),
        )
    assert not Claim.objects.exists()


def test_no_standard_is_said_in_chinese_and_nothing_is_written():
    StandardFactory(level=SkillLevel.LEVEL_3)  # another level only
    trainee = trainee_with_user()
    certificate = skill_certificate(trainee)
    with pytest.raises(ValidationError) as caught:
        services.claim_file_self(
            trainee=trainee,
            certificate=certificate,
            account_kind=AccountKind.BANK,
            account=ACCOUNT,
            actor=trainee.user,
        )
    assert "该证书没有适用的补贴标准" in str(caught.value)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("account_kind", "account", "message"),
    [
        (AccountKind.BANK, "", "请填写收款账号"),
        (AccountKind.BANK, "62AB", "8 至 32 位数字"),
        (AccountKind.INSTITUTION, ACCOUNT, "本人银行账户或社会保障卡"),
    ],
)
def test_a_bad_account_is_refused_in_words(account_kind, account, message):
    StandardFactory()
    trainee = trainee_with_user()
    with pytest.raises(ValidationError) as caught:
        services.claim_file_self(
            trainee=trainee,
            certificate=skill_certificate(trainee),
            account_kind=account_kind,
            account=account,
            actor=trainee.user,
        )
    assert message in str(caught.value)


def test_a_second_claim_on_the_same_entitlement_is_refused_and_a_withdrawn_one_frees_it():
    StandardFactory()
    trainee = trainee_with_user()
    certificate = skill_certificate(trainee)
    kwargs = {
        "trainee": trainee,
        "certificate": certificate,
        "account_kind": AccountKind.BANK,
        "account": ACCOUNT,
        "actor": trainee.user,
    }
    first = services.claim_file_self(**kwargs)
    with pytest.raises(ValidationError, match="不能重复申领"):
        services.claim_file_self(**kwargs)
    services.claim_withdraw(claim=first, actor=trainee.user)
    first.refresh_from_db()
    assert first.status == ClaimStatus.WITHDRAWN
    again = services.claim_file_self(**kwargs)
    assert again.status == ClaimStatus.SUBMITTED and again.use_slot == 1


def test_only_the_filer_withdraws():
    StandardFactory()
    trainee = trainee_with_user()
    claim = services.claim_file_self(
        trainee=trainee,
        certificate=skill_certificate(trainee),
        account_kind=AccountKind.BANK,
        account=ACCOUNT,
        actor=trainee.user,
    )
    with pytest.raises(PermissionDenied):
        services.claim_withdraw(claim=claim, actor=trainee_with_user().user)


def test_slots_are_the_lowest_free_ones_of_the_year():
    trainee = trainee_with_user()
    standard = StandardFactory()
    # Slot 1 held by an earlier claim of the same year; slot 2 free again (withdrawn).
    ClaimFactory(
        certificate=skill_certificate(trainee, level=SkillLevel.LEVEL_5),
        standard=standard,
    )
    withdrawn = ClaimFactory(
        certificate=skill_certificate(trainee, level=SkillLevel.LEVEL_2),
        standard=standard,
    )
    assert withdrawn.use_slot == 2
    services.claim_withdraw(claim=withdrawn, actor=trainee.user)
    StandardFactory(level=SkillLevel.LEVEL_3, amount=Decimal("2000.00"))
    claims = [
        services.claim_file_self(
            trainee=trainee,
            certificate=skill_certificate(trainee, level=level),
            account_kind=AccountKind.BANK,
            account=ACCOUNT,
            actor=trainee.user,
        )
        for level in (SkillLevel.LEVEL_4, SkillLevel.LEVEL_3)
    ]
    assert [c.use_slot for c in claims] == [2, 3]


def test_a_draft_holds_no_slot_until_submitted():
    StandardFactory()
    trainee = trainee_with_user()
    draft = services.claim_file_self(
        trainee=trainee,
        certificate=skill_certificate(trainee),
        account_kind=AccountKind.BANK,
        account=ACCOUNT,
        actor=trainee.user,
        submit=False,
    )
    assert (draft.status, draft.use_slot) == (ClaimStatus.DRAFT, None)
    (submitted,) = services.claims_submit(claims=[draft], actor=trainee.user)
    assert (submitted.status, submitted.use_slot) == (ClaimStatus.SUBMITTED, 1)


def test_no_slot_left_refuses_the_submission():
    trainee = trainee_with_user()
    standard = StandardFactory(level=SkillLevel.LEVEL_4, kind=SubsidyKind.TRAINING)
    for n, level in enumerate("12345"):
        ClaimFactory(
            certificate=skill_certificate(trainee, level=level),
            standard=standard,
            use_slot=n + 1,
        )
    certificate = CertificateFactory(
        trainee=trainee,
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
        issued_on=ISSUED,
        occupation_id=_other_occupation().pk,
    )
    with pytest.raises(ValidationError, match="补贴次数已用完"):
        services.claim_file_self(
            trainee=trainee,
            certificate=certificate,
            account_kind=AccountKind.BANK,
            account=ACCOUNT,
            actor=trainee.user,
        )
    assert Claim.objects.filter(trainee=trainee).count() == 5


def _other_occupation():
    from training_platform.reference.models import Occupation

    return Occupation.objects.exclude(code="6-31-01-03").order_by("code").first()


# --- the institution, for a class -------------------------------------------------------


def finished_class(size: int, **class_fields):
    training_class = TrainingClassFactory(
        status=ClassStatus.FINISHED,
        start_date=dt.date(2026, 2, 1),
        end_date=dt.date(2026, 2, 20),
        **class_fields,
    )
    enrolments = [
        passed_enrolment(
            training_class=training_class,
            trainee=TraineeFactory(bank_account=f"62220202{n:011d}"),
        )
        for n in range(size)
    ]
    staff = staff_user(Role.INSTITUTION, institution=training_class.course.institution)
    return training_class, enrolments, staff


def class_standard(**fields):
    fields.setdefault("name", "职业培训补贴（培训合格）")
    return StandardFactory(
        kind=SubsidyKind.TRAINING,
        payee=fields.pop("payee", PayeeKind.INSTITUTION),
        certificate_kind=fields.pop("certificate_kind", CertificateKind.TRAINING),
        level=fields.pop("level", SkillLevel.LEVEL_4),
        amount=fields.pop("amount", Decimal("800.00")),
        **fields,
    )


def test_an_institution_files_for_its_whole_class():
    class_standard()
    skill = class_standard(
        certificate_kind=CertificateKind.SKILL_LEVEL,
        payee=PayeeKind.PERSON,
        amount=Decimal("1200.00"),
    )
    training_class, enrolments, staff = finished_class(3)
    failed = passed_enrolment(
        training_class=training_class, result=AssessmentResult.FAILED
    )
    certified = enrolments[0]
    certificate = skill_certificate(
        certified.trainee, enrolment=certified, issued_on=dt.date(2026, 2, 25)
    )
    result = services.claims_file_for_class(
        training_class=training_class, actor=staff, account=INSTITUTION_ACCOUNT
    )
    claims = {c.enrolment_id: c for c in result.claims}
    assert set(claims) == {e.pk for e in enrolments}
    assert failed.pk not in claims
    assert all(c.status == ClaimStatus.SUBMITTED for c in result.claims)
    assert all(c.use_slot == 1 for c in result.claims)
    institution = training_class.course.institution
    for e in enrolments[1:]:
        claim = claims[e.pk]
        assert claim.certificate is None
        assert (claim.payee_kind, claim.payee_name, claim.account_kind) == (
            PayeeKind.INSTITUTION,
            institution.name,
            AccountKind.INSTITUTION,
        )
        assert claim.payee_account == INSTITUTION_ACCOUNT
        assert claim.amount == Decimal("800.00")
        assert claim.basis_date == training_class.end_date
    with_certificate = claims[certified.pk]
    assert with_certificate.certificate == certificate
    assert with_certificate.standard == skill
    assert (with_certificate.payee_kind, with_certificate.payee_name) == (
        PayeeKind.PERSON,
        certified.trainee.name,
    )
    assert with_certificate.payee_account == certified.trainee.bank_account
    assert with_certificate.basis_date == dt.date(2026, 2, 25)
    assert result.total == Decimal("2800.00")
    assert all(c.institution == institution for c in result.claims)
    assert all(c.region_id == training_class.region_id for c in result.claims)
    assert ClaimCheck.objects.filter(claim__in=result.claims).count() >= 3


def test_one_person_of_a_class_alone():
    class_standard()
    training_class, enrolments, staff = finished_class(3)
    result = services.claims_file_for_class(
        training_class=training_class,
        actor=staff,
        account=INSTITUTION_ACCOUNT,
        enrolment_ids=[enrolments[1].pk],
    )
    assert [c.enrolment_id for c in result.claims] == [enrolments[1].pk]


def test_people_already_claimed_are_skipped_and_reported():
    class_standard()
    training_class, enrolments, staff = finished_class(2)
    first = services.claims_file_for_class(
        training_class=training_class,
        actor=staff,
        account=INSTITUTION_ACCOUNT,
        enrolment_ids=[enrolments[0].pk],
    )
    assert len(first.claims) == 1
    again = services.claims_file_for_class(
        training_class=training_class, actor=staff, account=INSTITUTION_ACCOUNT
    )
    assert [c.enrolment_id for c in again.claims] == [enrolments[1].pk]
    assert [r.enrolment.pk for r in again.skipped] == [enrolments[0].pk]
    assert "不再重复申领" in again.skipped[0].skipped
    assert Claim.objects.filter(trainee=enrolments[0].trainee).count() == 1


def test_a_person_payee_without_a_bank_account_is_filed_with_the_account_check_failed():
    class_standard(payee=PayeeKind.PERSON)
    training_class, enrolments, staff = finished_class(1)
    enrolments[0].trainee.bank_account = ""
    enrolments[0].trainee.save()
    (claim,) = services.claims_file_for_class(
        training_class=training_class, actor=staff, account=INSTITUTION_ACCOUNT
    ).claims
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.checks_failed >= 1
    assert ClaimCheck.objects.get(claim=claim, code="payee_account").passed is False


def test_nobody_with_a_standard_files_nothing_and_says_why():
    training_class, enrolments, staff = finished_class(2)
    result = services.claims_file_for_class(
        training_class=training_class, actor=staff, account=INSTITUTION_ACCOUNT
    )
    assert result.claims == []
    assert {r.skipped for r in result.skipped} == {"没有适用的补贴标准。"}


def test_another_institution_cannot_file_or_preview_for_the_class():
    class_standard()
    training_class, _enrolments, _staff = finished_class(2)
    stranger = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    bureau = staff_user(Role.BUREAU, region_code="520000")
    for actor in (stranger, bureau):
        with pytest.raises(PermissionDenied):
            services.claims_file_for_class(
                training_class=training_class, actor=actor, account=INSTITUTION_ACCOUNT
            )
        with pytest.raises(PermissionDenied):
            services.claim_preview_for_class(training_class=training_class, actor=actor)
    assert not Claim.objects.exists()


def test_a_class_not_finished_cannot_be_filed_for():
    class_standard()
    training_class, _enrolments, staff = finished_class(1)
    training_class.status = ClassStatus.RUNNING
    training_class.save()
    with pytest.raises(ValidationError, match="结业后"):
        services.claims_file_for_class(
            training_class=training_class, actor=staff, account=INSTITUTION_ACCOUNT
        )


def test_the_institution_account_is_required():
    class_standard()
    training_class, _enrolments, staff = finished_class(1)
    with pytest.raises(ValidationError, match="机构基本账户账号"):
        services.claims_file_for_class(
            training_class=training_class, actor=staff, account=""
        )


def test_the_preview_plans_without_writing_and_counts_the_total():
    class_standard()
    training_class, enrolments, staff = finished_class(3)
    ClaimFactory(
        certificate=CertificateFactory(trainee=enrolments[2].trainee),
        enrolment=enrolments[2],
        kind=SubsidyKind.TRAINING,
        occupation=training_class.course.occupation,
        level=SkillLevel.LEVEL_4,
    )
    before = Claim.objects.count()
    plan = services.claim_preview_for_class(
        training_class=training_class, actor=staff, account=INSTITUTION_ACCOUNT
    )
    assert Claim.objects.count() == before
    assert plan.count == 2 and plan.total == Decimal("1600.00")
    assert [r.enrolment.pk for r in plan.skipped] == [enrolments[2].pk]
    assert all(r.checks for r in plan.planned)


def _filing_queries(size: int) -> int:
    class_standard()
    training_class, _enrolments, staff = finished_class(size)
    with CaptureQueriesContext(connection) as captured:
        result = services.claims_file_for_class(
            training_class=training_class, actor=staff, account=INSTITUTION_ACCOUNT
        )
    assert len(result.claims) == size
    assert sorted({c.use_slot for c in result.claims}) == [1]
    return len(captured)


def test_filing_for_a_class_takes_the_same_queries_for_3_and_30():
    assert _filing_queries(3) == _filing_queries(30)


def _preview_queries(size: int) -> int:
    class_standard()
    training_class, _enrolments, staff = finished_class(size)
    with CaptureQueriesContext(connection) as captured:
        plan = services.claim_preview_for_class(
            training_class=training_class, actor=staff, account=INSTITUTION_ACCOUNT
        )
    assert plan.count == size
    return len(captured)


def test_the_preview_takes_the_same_queries_for_3_and_30():
    assert _preview_queries(3) == _preview_queries(30)


def test_a_slot_taken_meanwhile_is_refused_by_the_database_in_words(monkeypatch):
    """The constraint behind the lock: a slot another filing took answers in Chinese."""
    trainee = trainee_with_user()
    standard = StandardFactory()
    ClaimFactory(
        certificate=skill_certificate(trainee, level=SkillLevel.LEVEL_5),
        standard=standard,
    )  # holds slot 1

    def stale(claims):  # as if slot 1 had looked free
        for claim in claims:
            claim.use_slot = 1
        Claim.objects.bulk_update(claims, ["use_slot"])
        return []

    monkeypatch.setattr(services, "_assign_slots", stale)
    with pytest.raises(ValidationError, match="请刷新后重试"):
        services.claim_file_self(
            trainee=trainee,
            certificate=skill_certificate(trainee),
            account_kind=AccountKind.BANK,
            account=ACCOUNT,
            actor=trainee.user,
        )
    assert Claim.objects.filter(trainee=trainee).count() == 1
