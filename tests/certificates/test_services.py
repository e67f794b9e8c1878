"""Issuing, revoking and reissuing certificates: the rules of certificates.services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from bases.models import InstitutionKind
from certificates import policies, services
from certificates.models import (
    Certificate,
    CertificateStatus,
    DisplayStatus,
    IssueBasis,
)
from certificates.numbering import OTHER_NUMBER, SKILL_LEVEL_NUMBER
from courses import services as course_services
from courses.models import AssessmentResult, ClassStatus, EnrolmentStatus
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    InstitutionOccupationFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    evaluation_org,
    passed_enrolment,
    region,
    staff_user,
)
from training_platform import pii
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import (
    CertificateKind,
    Occupation,
    Region,
    SkillLevel,
)
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ELECTRICIAN = "6-31-01-03"
WELDER = "6-18-02-04"


def occupation(code=ELECTRICIAN):
    return Occupation.objects.get(code=code)


def events(action, obj=None):
    qs = AuditEvent.objects.filter(action=action)
    if obj is not None:
        qs = qs.filter(object_type="certificates.certificate", object_id=str(obj.pk))
    return qs


@pytest.fixture
def gy_inst():
    return InstitutionFactory(region=region("520102"))


@pytest.fixture
def gy_staff(gy_inst):
    return staff_user(Role.INSTITUTION, institution=gy_inst)


@pytest.fixture
def gy_class(gy_inst):
    # 电工 四级 course of 80 hours: the pass threshold is 64 hours (80%).
    return TrainingClassFactory(
        course=CourseFactory(institution=gy_inst, hours=80), status=ClassStatus.RUNNING
    )


@pytest.fixture
def org():
    """An evaluation organisation in 遵义 filed for 电工 up to 三级."""
    return evaluation_org(max_level=SkillLevel.LEVEL_3, region=region("520302"))


@pytest.fixture
def evaluator(org):
    return staff_user(Role.EVALUATOR, institution=org)


@pytest.fixture
def bureau():
    return staff_user(Role.BUREAU, region_code="520100")


def issue_training(actor, enrolment, **kw):
    return services.certificate_issue_for_enrolment(
        actor=actor, enrolment=enrolment, kind=CertificateKind.TRAINING, **kw
    )


def evaluate(actor, trainee, level=SkillLevel.LEVEL_4, **kw):
    kw.setdefault("occupation", occupation())
    kw.setdefault("reason", "理论和实操考核均合格")
    return services.certificate_issue_by_evaluation(
        actor=actor, trainee=trainee, level=level, **kw
    )


# --- issuing from a passed assessment --------------------------------------------------


def test_a_pass_recorded_the_real_way_earns_a_training_certificate(
    gy_inst, gy_staff, gy_class
):
    enrolment = EnrolmentFactory(training_class=gy_class)
    course_services.attendance_record(actor=gy_staff, enrolment=enrolment, hours=64)
    course_services.assessment_record(
        actor=gy_staff, enrolment=enrolment, result=AssessmentResult.PASSED, score=75
    )
    certificate = issue_training(gy_staff, enrolment)

    certificate.refresh_from_db()
    assert certificate.kind == CertificateKind.TRAINING
    assert certificate.basis == IssueBasis.ASSESSMENT
    assert certificate.enrolment_id == enrolment.pk
    assert certificate.trainee_id == enrolment.trainee_id
    assert certificate.occupation_id == ELECTRICIAN
    assert certificate.level == ""
    assert certificate.issuer_id == gy_inst.pk
    assert certificate.issuer_name == gy_inst.name
    assert certificate.region_id == "520102"
    assert certificate.issued_on == timezone.localdate()
    assert certificate.issued_by_id == gy_staff.pk
    assert certificate.status == CertificateStatus.VALID
    assert certificate.fact_key == f"enrolment:{enrolment.pk}:training"
    assert OTHER_NUMBER.match(certificate.number)
    assert certificate.number.startswith("PX52")
    assert len(certificate.token) >= 22
    event = events("certificate.issue", certificate).get()
    assert event.actor_id == gy_staff.pk
    assert event.after["number"] == certificate.number
    assert event.after["basis"] == IssueBasis.ASSESSMENT


def _withdrawn(**kw):
    enrolment = passed_enrolment(**kw)
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.save(update_fields=["status"])
    return enrolment


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        (
            lambda cls: passed_enrolment(
                training_class=cls, result=AssessmentResult.FAILED, score=40
            ),
            "not_passed",
            "考核合格后才能发证。",
        ),
        (
            lambda cls: passed_enrolment(
                training_class=cls, result=AssessmentResult.ABSENT, score=None
            ),
            "not_passed",
            "考核合格后才能发证。",
        ),
        (
            lambda cls: passed_enrolment(training_class=cls, result="", score=None),
            "not_passed",
            "考核合格后才能发证。",
        ),
        (
            # A pass on the books with attendance just under 80% (63.9 of 80 hours).
            lambda cls: passed_enrolment(
                training_class=cls, attendance_hours=Decimal("63.9")
            ),
            "attendance_too_low",
            "出勤不足，不能发证。",
        ),
        (
            lambda cls: _withdrawn(training_class=cls),
            "not_enrolled",
            "该学员已退出培训班，不能发证。",
        ),
    ],
    ids=["failed", "absent", "not_assessed", "low_attendance", "withdrawn"],
)
def test_no_certificate_without_a_qualifying_fact(
    gy_staff, gy_class, make, code, message
):
    enrolment = make(gy_class)
    with pytest.raises(ValidationError) as excinfo:
        issue_training(gy_staff, enrolment)
    assert excinfo.value.code == code
    assert excinfo.value.messages == [message]
    assert not Certificate.objects.exists()
    assert not events("certificate.issue").exists()


def test_attendance_exactly_at_the_threshold_qualifies(gy_staff, gy_class):
    enrolment = passed_enrolment(training_class=gy_class, attendance_hours=64)
    assert issue_training(gy_staff, enrolment).status == CertificateStatus.VALID


@pytest.mark.parametrize(
    "who",
    ["other_institution", "evaluator", "bureau", "auditor", "trainee", "nobody"],
)
def test_only_the_class_institution_issues_training_certificates(gy_class, org, who):
    enrolment = passed_enrolment(training_class=gy_class)
    actor = {
        "other_institution": lambda: staff_user(
            Role.INSTITUTION, institution=InstitutionFactory()
        ),
        "evaluator": lambda: staff_user(Role.EVALUATOR, institution=org),
        "bureau": lambda: staff_user(Role.BUREAU, region_code="520100"),
        "auditor": lambda: staff_user(Role.AUDITOR, region_code="520100"),
        # The holder cannot issue their own certificate.
        "trainee": lambda: _holder_user(enrolment),
        "nobody": UserFactory,
    }[who]()
    with pytest.raises(PermissionDenied):
        issue_training(actor, enrolment)
    assert not Certificate.objects.exists()


def _holder_user(enrolment):
    user = UserFactory()
    enrolment.trainee.user = user
    enrolment.trainee.save()
    return user


def test_a_superuser_may_issue_a_training_certificate(gy_class):
    admin = UserFactory(is_superuser=True, is_staff=True)
    enrolment = passed_enrolment(training_class=gy_class)
    assert issue_training(admin, enrolment).issuer_id == gy_class.course.institution_id


def test_expiry_before_the_issue_date_is_refused(gy_staff, gy_class):
    enrolment = passed_enrolment(training_class=gy_class)
    with pytest.raises(ValidationError) as excinfo:
        issue_training(
            gy_staff,
            enrolment,
            expires_on=timezone.localdate() - dt.timedelta(days=1),
        )
    assert excinfo.value.code == "expiry_before_issue"
    assert not Certificate.objects.exists()


# --- evaluators --------------------------------------------------------------------------


def test_an_evaluator_issues_the_skill_level_certificate_a_class_pass_earns(
    gy_staff, gy_class, org, evaluator
):
    enrolment = passed_enrolment(training_class=gy_class)  # course target level 4
    certificate = services.certificate_issue_for_enrolment(
        actor=evaluator, enrolment=enrolment, kind=CertificateKind.SKILL_LEVEL
    )
    assert certificate.kind == CertificateKind.SKILL_LEVEL
    assert certificate.level == SkillLevel.LEVEL_4
    assert certificate.issuer_id == org.pk
    assert certificate.region_id == "520302"
    assert certificate.fact_key == f"enrolment:{enrolment.pk}:skill_level"
    assert SKILL_LEVEL_NUMBER.match(certificate.number)
    # The same pass may also earn the institution's training certificate: another fact.
    training = issue_training(gy_staff, enrolment)
    assert training.pk != certificate.pk
    # The class's institution is no evaluator and cannot issue skill-level certificates.
    other = passed_enrolment(training_class=gy_class)
    with pytest.raises(PermissionDenied):
        services.certificate_issue_for_enrolment(
            actor=gy_staff, enrolment=other, kind=CertificateKind.SKILL_LEVEL
        )


def test_an_evaluator_is_refused_a_class_above_its_filed_level(gy_inst, evaluator):
    cls = TrainingClassFactory(
        course=CourseFactory(institution=gy_inst, target_level=SkillLevel.LEVEL_2),
        status=ClassStatus.RUNNING,
    )
    enrolment = passed_enrolment(training_class=cls)
    with pytest.raises(PermissionDenied):
        services.certificate_issue_for_enrolment(
            actor=evaluator, enrolment=enrolment, kind=CertificateKind.SKILL_LEVEL
        )
    assert not Certificate.objects.exists()


def test_an_evaluator_decision_with_a_reason_issues_a_skill_level_certificate(
    org, evaluator
):
    trainee = TraineeFactory()
    certificate = evaluate(evaluator, trainee, reason="  实操考核优秀  ")
    assert certificate.basis == IssueBasis.EVALUATION
    assert certificate.basis_note == "实操考核优秀"
    assert certificate.enrolment_id is None
    assert certificate.issuer_id == org.pk
    assert certificate.level == SkillLevel.LEVEL_4
    assert certificate.trainee_id == trainee.pk
    assert SKILL_LEVEL_NUMBER.match(certificate.number)
    assert events("certificate.issue", certificate).get().reason == "实操考核优秀"


@pytest.mark.parametrize("level", [SkillLevel.LEVEL_3, SkillLevel.LEVEL_5])
def test_an_evaluator_may_issue_at_or_below_its_filed_level(evaluator, level):
    assert evaluate(evaluator, TraineeFactory(), level=level).level == level


@pytest.mark.parametrize("level", [SkillLevel.LEVEL_2, SkillLevel.LEVEL_1])
def test_an_evaluator_is_refused_a_level_above_its_filing(evaluator, level):
    with pytest.raises(PermissionDenied):
        evaluate(evaluator, TraineeFactory(), level=level)
    assert not Certificate.objects.exists()


def test_an_evaluator_is_refused_an_occupation_it_is_not_filed_for(org, evaluator):
    with pytest.raises(PermissionDenied):
        evaluate(evaluator, TraineeFactory(), occupation=occupation(WELDER))
    # Filed for training only (can_evaluate=False) is no filing to evaluate.
    InstitutionOccupationFactory(
        institution=org,
        occupation=occupation(WELDER),
        max_level=SkillLevel.LEVEL_1,
        can_train=True,
        can_evaluate=False,
    )
    with pytest.raises(PermissionDenied):
        evaluate(evaluator, TraineeFactory(), occupation=occupation(WELDER))
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_evaluator_decision_needs_a_reason(evaluator, reason):
    with pytest.raises(ValidationError) as excinfo:
        evaluate(evaluator, TraineeFactory(), reason=reason)
    assert excinfo.value.code == "reason_required"
    assert not Certificate.objects.exists()


def test_an_evaluator_acts_only_for_its_own_organisation(org, evaluator):
    other_org = evaluation_org(max_level=SkillLevel.LEVEL_1)
    with pytest.raises(PermissionDenied):
        evaluate(evaluator, TraineeFactory(), organisation=other_org)
    # Institution staff (not evaluators) cannot decide at all, even naming a filed org.
    staff = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    with pytest.raises(PermissionDenied):
        evaluate(staff, TraineeFactory())
    with pytest.raises(PermissionDenied):
        evaluate(staff, TraineeFactory(), organisation=org)
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    ("level", "code"),
    [
        ("", "level_required"),
        (SkillLevel.PRINCIPAL, "level_not_allowed"),  # its own certificate format
        (SkillLevel.CHIEF, "level_not_allowed"),
    ],
)
def test_a_skill_level_decision_needs_a_level_from_five_to_one(evaluator, level, code):
    with pytest.raises(ValidationError) as excinfo:
        evaluate(evaluator, TraineeFactory(), level=level)
    assert excinfo.value.code == code
    assert not Certificate.objects.exists()


def test_level_choices_follow_the_kind_and_the_filing():
    skill, special = CertificateKind.SKILL_LEVEL, CertificateKind.SPECIAL_ABILITY
    assert services.evaluation_levels(skill) == ("5", "4", "3", "2", "1")
    assert services.evaluation_levels(skill, SkillLevel.LEVEL_3) == ("5", "4", "3")
    assert services.evaluation_levels(special) == ()
    assert services.evaluation_levels(CertificateKind.TRAINING) == ()


def test_an_evaluator_issues_only_evaluated_kinds(evaluator):
    with pytest.raises(ValidationError) as excinfo:
        evaluate(evaluator, TraineeFactory(), kind=CertificateKind.TRAINING)
    assert excinfo.value.code == "kind"


def test_a_special_ability_certificate_carries_no_level(org, evaluator):
    # A level with this kind is refused (it used to be dropped silently).
    with pytest.raises(ValidationError) as excinfo:
        evaluate(
            evaluator,
            TraineeFactory(),
            level=SkillLevel.LEVEL_1,
            kind=CertificateKind.SPECIAL_ABILITY,
        )
    assert excinfo.value.code == "level_not_allowed"
    assert "不分等级" in excinfo.value.messages[0]
    assert not Certificate.objects.exists()
    certificate = evaluate(
        evaluator, TraineeFactory(), level="", kind=CertificateKind.SPECIAL_ABILITY
    )
    assert certificate.level == ""
    assert certificate.number.startswith("ZX52")
    assert OTHER_NUMBER.match(certificate.number)


def test_filed_to_evaluate_reads_the_filings(org):
    assert services.filed_to_evaluate(org, occupation(), SkillLevel.LEVEL_3)
    assert services.filed_to_evaluate(org, occupation(), SkillLevel.LEVEL_5)
    assert services.filed_to_evaluate(org, occupation(), "")
    assert not services.filed_to_evaluate(org, occupation(), SkillLevel.LEVEL_2)
    assert not services.filed_to_evaluate(org, occupation(WELDER), "")
    assert not services.filed_to_evaluate(InstitutionFactory(), occupation(), "")


# --- competition awards -----------------------------------------------------------------


def test_the_bureau_issues_award_certificates(bureau):
    trainee = TraineeFactory()
    certificate = services.certificate_issue_for_award(
        actor=bureau,
        trainee=trainee,
        award_key="competition:7:event:3:place:1",
        occupation=occupation(),
        issuer_name="贵阳市人力资源和社会保障局",
        title="2026年贵阳市电工职业技能大赛 一等奖",
        region=Region.objects.get(code="520100"),
    )
    assert certificate.kind == CertificateKind.COMPETITION
    assert certificate.basis == IssueBasis.AWARD
    assert certificate.issuer_id is None
    assert certificate.issuer_name == "贵阳市人力资源和社会保障局"
    # in the competition's region: the bureau over it revokes and reissues it
    assert certificate.region_id == "520100"
    assert policies.may_manage(bureau, certificate)
    assert certificate.fact_key == "award:competition:7:event:3:place:1"
    assert certificate.number.startswith(f"JS52{timezone.localdate():%y}000000")
    assert OTHER_NUMBER.match(certificate.number)
    again = services.certificate_issue_for_award(
        actor=bureau,
        trainee=trainee,
        award_key="competition:7:event:3:place:1",
        occupation=occupation(),
        issuer_name="贵阳市人力资源和社会保障局",
        title="2026年贵阳市电工职业技能大赛 一等奖",
        region=Region.objects.get(code="520100"),
    )
    assert again.pk == certificate.pk
    assert events("certificate.issue").count() == 1


def test_a_prefecture_bureau_issues_no_award_of_a_provincial_competition(bureau):
    with pytest.raises(PermissionDenied):
        services.certificate_issue_for_award(
            actor=bureau,  # 贵阳市; no region given: the province's competition
            trainee=TraineeFactory(),
            award_key="competition:8:event:1:place:1",
            occupation=occupation(),
            issuer_name="贵州省人力资源和社会保障厅",
            title="一等奖",
        )
    province = staff_user(Role.BUREAU, region_code="520000")
    certificate = services.certificate_issue_for_award(
        actor=province,
        trainee=TraineeFactory(),
        award_key="competition:8:event:1:place:1",
        occupation=occupation(),
        issuer_name="贵州省人力资源和社会保障厅",
        title="一等奖",
    )
    assert certificate.region_id == "520000"


@pytest.mark.parametrize("who", ["institution", "evaluator", "auditor", "nobody"])
def test_award_certificates_only_by_the_bureau_or_a_superuser(org, who):
    actor = {
        "institution": lambda: staff_user(
            Role.INSTITUTION, institution=InstitutionFactory()
        ),
        "evaluator": lambda: staff_user(Role.EVALUATOR, institution=org),
        "auditor": lambda: staff_user(Role.AUDITOR, region_code="520000"),
        "nobody": UserFactory,
    }[who]()
    with pytest.raises(PermissionDenied):
        services.certificate_issue_for_award(
            actor=actor,
            trainee=TraineeFactory(),
            award_key="a:1",
            occupation=occupation(),
            issuer_name="贵州省人力资源和社会保障厅",
            title="一等奖",
        )
    assert not Certificate.objects.exists()
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert services.certificate_issue_for_award(
        actor=admin,
        trainee=TraineeFactory(),
        award_key="a:1",
        occupation=occupation(),
        issuer_name="贵州省人力资源和社会保障厅",
        title="一等奖",
    ).pk


def test_an_award_needs_its_award_record(bureau):
    with pytest.raises(ValidationError) as excinfo:
        services.certificate_issue_for_award(
            actor=bureau,
            region=Region.objects.get(code="520100"),
            trainee=TraineeFactory(),
            award_key="",
            occupation=occupation(),
            issuer_name="贵州省人力资源和社会保障厅",
            title="一等奖",
        )
    assert excinfo.value.code == "award_required"


# --- never twice for the same fact -------------------------------------------------------


def test_issuing_again_for_the_same_pass_returns_the_same_certificate(
    gy_staff, gy_class
):
    enrolment = passed_enrolment(training_class=gy_class)
    first = issue_training(gy_staff, enrolment)
    second = issue_training(gy_staff, enrolment)
    assert second.pk == first.pk
    assert second.number == first.number
    assert Certificate.objects.count() == 1
    assert events("certificate.issue").count() == 1


def test_the_same_evaluator_decision_twice_is_one_certificate(evaluator):
    trainee = TraineeFactory()
    first = evaluate(evaluator, trainee)
    second = evaluate(evaluator, trainee, reason="另一次提交")
    assert second.pk == first.pk
    assert Certificate.objects.count() == 1
    assert events("certificate.issue").count() == 1
    # Another level for the same person is another fact.
    assert evaluate(evaluator, trainee, level=SkillLevel.LEVEL_3).pk != first.pk


def test_the_database_refuses_a_second_original_for_the_same_fact():
    first = CertificateFactory(fact_key="enrolment:1:training")
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateFactory(fact_key="enrolment:1:training", trainee=first.trainee)
    # A replacement (replaces set) carries its original's fact: allowed.
    CertificateFactory(fact_key="enrolment:1:training", replaces=first)
    assert Certificate.objects.filter(fact_key="enrolment:1:training").count() == 2


def test_issuing_again_after_a_reissue_returns_the_current_certificate(
    gy_staff, gy_class
):
    enrolment = passed_enrolment(training_class=gy_class)
    first = issue_training(gy_staff, enrolment)
    new = services.certificate_reissue(
        actor=gy_staff, certificate=first, reason="证书污损"
    )
    again = issue_training(gy_staff, enrolment)
    assert Certificate.objects.count() == 2
    # Asking for the fact's certificate must not hand back the superseded one.
    assert again.pk == new.pk
    assert again.status == CertificateStatus.VALID


def test_issued_for_tells_which_enrolments_hold_a_certificate(gy_staff, gy_class):
    holder = passed_enrolment(training_class=gy_class)
    without = passed_enrolment(training_class=gy_class)
    issue_training(gy_staff, holder)
    assert services.issued_for([holder, without], CertificateKind.TRAINING) == {
        holder.pk
    }
    assert services.issued_for([holder, without], CertificateKind.SKILL_LEVEL) == set()


# --- batch issuance for a class ----------------------------------------------------------


def test_class_issuance_counts_and_is_repeat_safe(gy_staff, gy_class):
    passed = [passed_enrolment(training_class=gy_class) for _ in range(3)]
    passed_enrolment(training_class=gy_class, result=AssessmentResult.FAILED)
    passed_enrolment(training_class=gy_class, attendance_hours=Decimal("40"))
    _withdrawn(training_class=gy_class)
    issue_training(gy_staff, passed[0])  # one already holds a certificate
    calls = []

    summary = services.certificate_issue_for_class(
        actor=gy_staff,
        training_class=gy_class,
        chunk=1,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert summary.as_dict() == {
        "eligible": 3,
        "issued": 2,
        "already_issued": 1,
        "not_qualified": 2,
    }
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert set(Certificate.objects.values_list("enrolment_id", flat=True)) == {
        e.pk for e in passed
    }
    assert len(set(Certificate.objects.values_list("number", flat=True))) == 3
    assert events("certificate.issue").count() == 3

    again = services.certificate_issue_for_class(
        actor=gy_staff, training_class=gy_class
    )
    assert (again.issued, again.already_issued, again.not_qualified) == (0, 3, 2)
    assert Certificate.objects.count() == 3
    assert events("certificate.issue").count() == 3


def test_class_issuance_only_by_the_class_institution(gy_class):
    passed_enrolment(training_class=gy_class)
    other = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    with pytest.raises(PermissionDenied):
        services.certificate_issue_for_class(actor=other, training_class=gy_class)
    assert not Certificate.objects.exists()


def test_class_issuance_of_skill_level_certificates_by_an_evaluator(
    gy_class, org, evaluator
):
    passed = [passed_enrolment(training_class=gy_class) for _ in range(2)]
    summary = services.certificate_issue_for_class(
        actor=evaluator, training_class=gy_class, kind=CertificateKind.SKILL_LEVEL
    )
    assert summary.issued == 2
    rows = Certificate.objects.filter(enrolment__in=passed)
    assert {c.issuer_id for c in rows} == {org.pk}
    assert all(SKILL_LEVEL_NUMBER.match(c.number) for c in rows)


# --- the holder is frozen at issue -------------------------------------------------------


def test_the_holder_is_frozen_at_issue_and_re_read_on_reissue(gy_staff, gy_class):
    enrolment = passed_enrolment(training_class=gy_class)
    trainee = enrolment.trainee
    trainee.refresh_from_db()
    full_id = trainee.id_number
    certificate = issue_training(gy_staff, enrolment)
    original_name = trainee.name

    trainee.name = "改名后"
    trainee.save()
    certificate.refresh_from_db()
    assert certificate.holder_name == original_name
    assert certificate.masked_holder_name == pii.mask_name(original_name)

    assert certificate.holder_id_masked == pii.mask_id_number(full_id)
    assert certificate.holder_id_masked != full_id
    assert certificate.holder_id_masked[:2] == full_id[:2]
    assert certificate.holder_id_masked[-2:] == full_id[-2:]
    assert set(certificate.holder_id_masked[2:-2]) == {"*"}
    assert certificate.holder_id_hash == trainee.id_number_hash
    stored = Certificate.objects.filter(pk=certificate.pk).values().get()
    assert not any(full_id in str(value) for value in stored.values())

    new = services.certificate_reissue(
        actor=gy_staff, certificate=certificate, reason="姓名变更"
    )
    assert new.holder_name == "改名后"
    assert new.holder_id_hash == trainee.id_number_hash
    certificate.refresh_from_db()
    assert certificate.holder_name == original_name


# --- revocation ---------------------------------------------------------------------------


@pytest.fixture
def issued(gy_staff, gy_class):
    return issue_training(gy_staff, passed_enrolment(training_class=gy_class))


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_revocation_needs_a_reason(gy_staff, issued, reason):
    with pytest.raises(ValidationError) as excinfo:
        services.certificate_revoke(actor=gy_staff, certificate=issued, reason=reason)
    assert excinfo.value.code == "reason_required"
    issued.refresh_from_db()
    assert issued.status == CertificateStatus.VALID
    assert not events("certificate.revoke").exists()


def test_revocation_is_recorded_and_final(gy_staff, issued):
    revoked = services.certificate_revoke(
        actor=gy_staff, certificate=issued, reason=" 考核材料造假 "
    )
    revoked.refresh_from_db()
    assert revoked.status == CertificateStatus.REVOKED
    assert revoked.revoked_reason == "考核材料造假"
    assert revoked.revoked_at is not None
    assert revoked.display_status() == DisplayStatus.REVOKED
    event = events("certificate.revoke", issued).get()
    assert event.reason == "考核材料造假"
    assert event.actor_id == gy_staff.pk
    assert event.before == {"status": "valid"}
    assert event.after == {"status": "revoked"}

    with pytest.raises(ValidationError) as excinfo:
        services.certificate_revoke(actor=gy_staff, certificate=issued, reason="再次")
    assert excinfo.value.code == "not_valid"
    with pytest.raises(ValidationError) as excinfo:
        services.certificate_reissue(actor=gy_staff, certificate=issued, reason="换发")
    assert excinfo.value.code == "not_valid"
    assert Certificate.objects.count() == 1
    assert events("certificate.revoke").count() == 1


# --- reissue ------------------------------------------------------------------------------


def test_reissue_supersedes_the_old_certificate_with_history(gy_staff, issued):
    old_number, old_token = issued.number, issued.token
    new = services.certificate_reissue(
        actor=gy_staff, certificate=issued, reason="证书遗失"
    )
    old = Certificate.objects.get(pk=issued.pk)
    new.refresh_from_db()

    assert old.status == CertificateStatus.SUPERSEDED
    assert old.superseded_by_id == new.pk
    assert old.superseded_at is not None
    assert old.reissue_reason == "证书遗失"
    assert old.display_status() == DisplayStatus.SUPERSEDED
    assert old.number == old_number  # the old number stays on record

    assert new.replaces_id == old.pk
    assert old.replaced_by == new
    assert new.status == CertificateStatus.VALID
    assert new.basis == IssueBasis.REISSUE
    assert new.fact_key == old.fact_key
    assert new.enrolment_id == old.enrolment_id
    assert (new.kind, new.occupation_id, new.level) == (
        old.kind,
        old.occupation_id,
        old.level,
    )
    assert new.issuer_id == old.issuer_id
    assert new.number != old_number
    assert new.token != old_token
    assert OTHER_NUMBER.match(new.number)

    supersede = events("certificate.supersede", old).get()
    assert supersede.reason == "证书遗失"
    assert supersede.after["superseded_by"] == new.number
    issue = events("certificate.issue", new).get()
    assert issue.reason == "证书遗失"
    assert issue.after["replaces"] == old_number

    # The superseded certificate can be neither reissued nor revoked again...
    for change in (services.certificate_reissue, services.certificate_revoke):
        with pytest.raises(ValidationError) as excinfo:
            change(actor=gy_staff, certificate=old, reason="再来")
        assert excinfo.value.code == "not_valid"
    # ...but its replacement can be reissued in turn.
    newer = services.certificate_reissue(
        actor=gy_staff, certificate=new, reason="再次遗失"
    )
    assert newer.replaces_id == new.pk
    assert newer.fact_key == old.fact_key
    assert Certificate.objects.filter(status=CertificateStatus.VALID).get() == newer


@pytest.mark.parametrize("reason", ["", "   "])
def test_reissue_needs_a_reason(gy_staff, issued, reason):
    with pytest.raises(ValidationError) as excinfo:
        services.certificate_reissue(actor=gy_staff, certificate=issued, reason=reason)
    assert excinfo.value.code == "reason_required"
    assert Certificate.objects.count() == 1


def test_a_reissued_skill_level_certificate_keeps_the_national_format(evaluator):
    old = evaluate(evaluator, TraineeFactory())
    new = services.certificate_reissue(actor=evaluator, certificate=old, reason="遗失")
    assert SKILL_LEVEL_NUMBER.match(new.number)
    assert new.number[:16] == old.number[:16]
    assert new.number != old.number
    assert new.basis_note == "遗失"


# --- who may revoke and reissue -----------------------------------------------------------


MANAGERS = {
    "issuer_staff": (
        lambda c: staff_user(Role.INSTITUTION, institution=c.issuer),
        True,
    ),
    "other_institution": (
        lambda c: staff_user(Role.INSTITUTION, institution=InstitutionFactory()),
        False,
    ),
    "bureau_of_the_prefecture": (
        lambda c: staff_user(Role.BUREAU, region_code="520100"),
        True,
    ),
    "bureau_of_the_district": (
        lambda c: staff_user(Role.BUREAU, region_code="520102"),
        True,
    ),
    "bureau_of_the_province": (
        lambda c: staff_user(Role.BUREAU, region_code="520000"),
        True,
    ),
    "bureau_of_another_prefecture": (
        lambda c: staff_user(Role.BUREAU, region_code="520300"),
        False,
    ),
    "auditor_of_the_prefecture": (
        lambda c: staff_user(Role.AUDITOR, region_code="520100"),
        False,
    ),
    "evaluator_elsewhere": (
        lambda c: staff_user(Role.EVALUATOR, institution=evaluation_org()),
        False,
    ),
    "holder": (lambda c: _holder_of(c), False),
    "superuser": (lambda c: UserFactory(is_superuser=True, is_staff=True), True),
}


def _holder_of(certificate):
    user = UserFactory()
    certificate.trainee.user = user
    certificate.trainee.save()
    return user


@pytest.mark.parametrize("who", list(MANAGERS))
def test_who_may_revoke(issued, who):
    make, allowed = MANAGERS[who]
    actor = make(issued)
    assert policies.may_manage(actor, issued) is allowed
    if allowed:
        services.certificate_revoke(actor=actor, certificate=issued, reason="撤销")
        issued.refresh_from_db()
        assert issued.status == CertificateStatus.REVOKED
    else:
        with pytest.raises(PermissionDenied):
            services.certificate_revoke(actor=actor, certificate=issued, reason="撤销")
        issued.refresh_from_db()
        assert issued.status == CertificateStatus.VALID
        assert not events("certificate.revoke").exists()


@pytest.mark.parametrize("who", list(MANAGERS))
def test_who_may_reissue(issued, who):
    make, allowed = MANAGERS[who]
    actor = make(issued)
    if allowed:
        new = services.certificate_reissue(actor=actor, certificate=issued, reason="换")
        assert new.replaces_id == issued.pk
    else:
        with pytest.raises(PermissionDenied):
            services.certificate_reissue(actor=actor, certificate=issued, reason="换")
        assert Certificate.objects.count() == 1


def test_the_evaluator_not_the_class_institution_manages_a_skill_level_certificate(
    gy_staff, gy_class, evaluator
):
    certificate = services.certificate_issue_for_enrolment(
        actor=evaluator,
        enrolment=passed_enrolment(training_class=gy_class),
        kind=CertificateKind.SKILL_LEVEL,
    )
    assert policies.may_manage(evaluator, certificate)
    assert not policies.may_manage(gy_staff, certificate)
    # The bureau over the place of issue (遵义), not over the class (贵阳).
    assert policies.may_manage(
        staff_user(Role.BUREAU, region_code="520300"), certificate
    )
    assert not policies.may_manage(
        staff_user(Role.BUREAU, region_code="520100"), certificate
    )


# --- status shown to verifiers ------------------------------------------------------------


def test_display_status_for_each_state():
    today = dt.date(2026, 11, 26)
    valid = CertificateFactory(
        issued_on=dt.date(2024, 1, 1), expires_on=dt.date(2026, 11, 26)
    )
    assert valid.display_status(today) == DisplayStatus.VALID
    assert CertificateFactory(expires_on=None).display_status(today) == "valid"
    expired = CertificateFactory(
        issued_on=dt.date(2024, 1, 1), expires_on=dt.date(2026, 11, 25)
    )
    assert expired.display_status(today) == DisplayStatus.EXPIRED
    # Without a date it reads today's.
    past = CertificateFactory(
        issued_on=dt.date(2020, 1, 1), expires_on=dt.date(2021, 1, 1)
    )
    assert past.display_status() == DisplayStatus.EXPIRED
    revoked = CertificateFactory(
        issued_on=dt.date(2020, 1, 1),
        expires_on=dt.date(2021, 1, 1),
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
    )
    assert revoked.display_status(today) == DisplayStatus.REVOKED
    successor = CertificateFactory()
    superseded = CertificateFactory(
        status=CertificateStatus.SUPERSEDED, superseded_by=successor
    )
    assert superseded.display_status(today) == DisplayStatus.SUPERSEDED


def test_the_database_keeps_statuses_consistent():
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateFactory(status=CertificateStatus.REVOKED, revoked_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateFactory(status=CertificateStatus.SUPERSEDED, superseded_by=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateFactory(
            issued_on=dt.date(2026, 1, 2), expires_on=dt.date(2026, 1, 1)
        )


def test_an_enterprise_evaluator_numbers_with_y(gy_inst):
    enterprise = evaluation_org(kind=InstitutionKind.ENTERPRISE)
    actor = staff_user(Role.EVALUATOR, institution=enterprise)
    assert evaluate(actor, TraineeFactory()).number.startswith("Y0000")


def test_reissue_never_makes_an_expired_certificate_valid_again():
    inst = InstitutionFactory()
    staff = staff_user(Role.INSTITUTION, institution=inst)
    expired = CertificateFactory(
        issuer=inst, issued_on=dt.date(2020, 1, 1), expires_on=dt.date(2023, 1, 1)
    )
    assert expired.display_status() == DisplayStatus.EXPIRED
    try:
        new = services.certificate_reissue(
            actor=staff, certificate=expired, reason="遗失"
        )
    except ValidationError:
        return  # refusing is right
    assert new.display_status() != DisplayStatus.VALID, new.expires_on


@pytest.mark.parametrize(
    "kind", [CertificateKind.COMPETITION, CertificateKind.QUALIFICATION]
)
def test_a_pass_earns_no_award_or_qualification_certificate(gy_staff, gy_class, kind):
    enrolment = passed_enrolment(training_class=gy_class)
    with pytest.raises(ValidationError) as excinfo:
        services.certificate_issue_for_enrolment(
            actor=gy_staff, enrolment=enrolment, kind=kind
        )
    assert excinfo.value.code == "kind"


def test_an_evaluator_of_two_organisations_must_name_one(org, evaluator):
    second = evaluation_org(max_level=SkillLevel.LEVEL_1)
    staff_user(Role.EVALUATOR, institution=second, username=evaluator.username)
    with pytest.raises(PermissionDenied):
        evaluate(evaluator, TraineeFactory())
    certificate = evaluate(
        evaluator, TraineeFactory(), level=SkillLevel.LEVEL_2, organisation=second
    )
    assert certificate.issuer_id == second.pk


def test_tokens_are_random_and_long(gy_staff, gy_class):
    tokens = [
        issue_training(gy_staff, passed_enrolment(training_class=gy_class)).token
        for _ in range(5)
    ]
    assert len(set(tokens)) == 5
    for token in tokens:
        assert len(token) >= 22  # 128 bits in URL-safe base64
        assert set(token) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )


@pytest.mark.parametrize(
    ("total", "done", "percent"), [(0, 0, 100), (3, 1, 33), (3, 3, 100), (2, 5, 100)]
)
def test_issue_batch_progress(gy_class, total, done, percent):
    from certificates.models import IssueBatch

    batch = IssueBatch(training_class=gy_class, kind="training", total=total, done=done)
    assert batch.percent == percent
