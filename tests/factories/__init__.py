"""factory_boy factories, one per model. Reference data comes from the loaded tables."""

import datetime as dt
import random
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.db import models

from bases.models import (
    ApprovalLevel,
    BaseKind,
    InstitutionKind,
    QualificationStatus,
    SkillMasterStudio,
    StaffMembership,
    TrainingBase,
    TrainingInstitution,
)
from bases.services import membership_grant
from competitions.models import (
    AwardRule,
    Competition,
    CompetitionClass,
    CompetitionLevel,
    CompetitionStatus,
    Entry,
    Event,
    JudgeMark,
    PromotionRule,
    Registration,
    TitleRule,
)
from trainees.models import KeyGroupMembership, Trainee, id_number_fields
from training_platform.reference.models import KeyGroup, Occupation, Region, SkillLevel
from training_platform.validators import (
    complete_credit_code,
    complete_id_number,
    org_code_check_char,
    parse_id_number,
)

PASSWORD = "test-pass-2026"
_rng = random.Random(20261126)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def make_id_number(
    county: str = "520102", birth: dt.date | None = None, seq=None
) -> str:
    birth = birth or dt.date(1965, 1, 1) + dt.timedelta(days=_rng.randrange(0, 14000))
    seq = _rng.randrange(0, 1000) if seq is None else seq
    return complete_id_number(f"{county}{birth:%Y%m%d}{seq:03d}")


def make_credit_code(county: str = "520102", authority: str = "52") -> str:
    body = f"{_rng.randrange(0, 10**8):08d}"
    org = body + org_code_check_char(body)
    return complete_credit_code(f"{authority}{county}{org}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingInstitution

    name = factory.Sequence(lambda n: f"测试职业培训学校{n}")
    credit_code = factory.LazyFunction(make_credit_code)
    kind = InstitutionKind.PRIVATE_SCHOOL
    region = factory.LazyFunction(lambda: region("520102"))
    status = QualificationStatus.APPROVED


class TrainingBaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingBase

    name = factory.Sequence(lambda n: f"公共实训基地{n}")
    kind = BaseKind.PUBLIC_TRAINING
    level = ApprovalLevel.PREFECTURE
    host = factory.SubFactory(InstitutionFactory)
    region = factory.SelfAttribute("host.region")
    stations = 120


class StudioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SkillMasterStudio

    name = factory.Sequence(lambda n: f"技能大师工作室{n}")
    level = ApprovalLevel.PROVINCIAL
    host = factory.SubFactory(InstitutionFactory)
    region = factory.SelfAttribute("host.region")
    occupation = factory.LazyFunction(lambda: Occupation.objects.get(code="6-31-01-03"))
    master_name = "王师傅"
    master_level = SkillLevel.LEVEL_2


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory)
    role = "institution"
    institution = factory.SubFactory(InstitutionFactory)
    region = None


class TraineeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trainee

    id_number = factory.LazyFunction(make_id_number)
    name = factory.Sequence(lambda n: f"学员{n}")
    phone = factory.Sequence(lambda n: f"138{n % 10**8:08d}")
    household_region = factory.LazyFunction(lambda: region("520102"))
    residence_region = factory.SelfAttribute("household_region")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.update(id_number_fields(parse_id_number(kwargs.pop("id_number"))))
        return super()._create(model_class, *args, **kwargs)


class KeyGroupMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyGroupMembership

    trainee = factory.SubFactory(TraineeFactory)
    group = factory.LazyFunction(lambda: KeyGroup.objects.get(code="rural_migrant"))
    since = dt.date(2024, 1, 1)


def staff_user(role: str, *, institution=None, region_code: str | None = None, **kw):
    """A user holding one staff role, scoped to an institution or a region."""
    user = UserFactory(**kw)
    membership_grant(
        user=user,
        role=role,
        institution=institution,
        region=region(region_code) if region_code else None,
    )
    return user


# --- courses ---------------------------------------------------------------------------

from courses.models import (  # noqa: E402
    ClassStatus,
    Course,
    CourseKind,
    Enrolment,
    EnrolmentSource,
    TrainingClass,
)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    institution = factory.SubFactory(InstitutionFactory)
    occupation = factory.LazyFunction(lambda: Occupation.objects.get(code="6-31-01-03"))
    title = factory.Sequence(lambda n: f"电工（四级）培训项目{n}")
    target_level = SkillLevel.LEVEL_4
    kind = CourseKind.EMPLOYMENT
    hours = 80
    subsidised = True


class TrainingClassFactory(factory.django.DjangoModelFactory):
    """A class; open for enrolment unless told otherwise."""

    class Meta:
        model = TrainingClass

    code = factory.Sequence(lambda n: f"T-2026-{n:04d}")
    course = factory.SubFactory(CourseFactory)
    region = factory.SelfAttribute("course.institution.region")
    start_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=14))
    end_date = factory.LazyAttribute(lambda o: o.start_date + dt.timedelta(days=20))
    capacity = 30
    status = ClassStatus.OPEN


class EnrolmentFactory(factory.django.DjangoModelFactory):
    """An enrolment made directly (tests that need the seat counter use the service)."""

    class Meta:
        model = Enrolment

    trainee = factory.SubFactory(TraineeFactory)
    training_class = factory.SubFactory(TrainingClassFactory)
    source = EnrolmentSource.ROSTER

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        enrolment = super()._create(model_class, *args, **kwargs)
        TrainingClass.objects.filter(pk=enrolment.training_class_id).update(
            seats_taken=models.F("seats_taken") + 1
        )
        enrolment.training_class.refresh_from_db(fields=["seats_taken"])
        return enrolment


# --- certificates ----------------------------------------------------------------------

from bases.models import InstitutionOccupation  # noqa: E402
from certificates.models import Certificate, IssueBasis  # noqa: E402
from courses.models import AssessmentResult  # noqa: E402
from training_platform.reference.models import CertificateKind  # noqa: E402


class InstitutionOccupationFactory(factory.django.DjangoModelFactory):
    """A filing (备案): by default, to evaluate 电工 up to 三级/高级工."""

    class Meta:
        model = InstitutionOccupation

    institution = factory.SubFactory(
        InstitutionFactory, kind=InstitutionKind.EVALUATION_ORG
    )
    occupation = factory.LazyFunction(lambda: Occupation.objects.get(code="6-31-01-03"))
    max_level = SkillLevel.LEVEL_3
    can_train = False
    can_evaluate = True


def evaluation_org(
    *,
    occupation: str = "6-31-01-03",
    max_level: str = SkillLevel.LEVEL_3,
    **institution_fields,
) -> TrainingInstitution:
    """An evaluation organisation filed to evaluate ``occupation`` up to ``max_level``."""
    institution_fields.setdefault("kind", InstitutionKind.EVALUATION_ORG)
    organisation = InstitutionFactory(**institution_fields)
    InstitutionOccupationFactory(
        institution=organisation,
        occupation=Occupation.objects.get(code=occupation),
        max_level=max_level,
    )
    return organisation


def passed_enrolment(**fields) -> Enrolment:
    """An enrolment with a pass and full attendance (fields set directly, not audited)."""
    fields.setdefault("result", AssessmentResult.PASSED)
    fields.setdefault("score", 90)
    enrolment = EnrolmentFactory(**fields)
    if "attendance_hours" not in fields:
        hours = enrolment.training_class.course.hours
        Enrolment.objects.filter(pk=enrolment.pk).update(attendance_hours=hours)
        enrolment.attendance_hours = hours
    return enrolment


class CertificateFactory(factory.django.DjangoModelFactory):
    """A certificate written directly (tests of issuance use the services).

    Numbers use the issuer part 999999 so that they never meet a number the services
    give out in the same test.
    """

    class Meta:
        model = Certificate

    number = factory.Sequence(
        lambda n: f"PX52{dt.date.today():%y}999999{n % 10**6:06d}"
    )
    kind = CertificateKind.TRAINING
    occupation = factory.LazyFunction(lambda: Occupation.objects.get(code="6-31-01-03"))
    occupation_name = factory.SelfAttribute("occupation.name")
    level = ""
    trainee = factory.SubFactory(TraineeFactory)
    holder_name = factory.SelfAttribute("trainee.name")
    holder_id_masked = factory.LazyAttribute(lambda o: o.trainee.masked_id_number)
    holder_id_hash = factory.LazyAttribute(lambda o: o.trainee.id_number_hash)
    issuer = factory.SubFactory(InstitutionFactory)
    issuer_name = factory.LazyAttribute(lambda o: o.issuer.name if o.issuer else "")
    region = factory.LazyAttribute(
        lambda o: o.issuer.region if o.issuer else region("520000")
    )
    issued_on = factory.LazyFunction(dt.date.today)
    basis = IssueBasis.ASSESSMENT
    fact_key = factory.Sequence(lambda n: f"test:{n}")


def training_filing(
    institution: TrainingInstitution,
    occupation: str = "6-31-01-03",
    max_level: str = SkillLevel.LEVEL_3,
) -> InstitutionOccupation:
    """File ``institution`` to train ``occupation`` up to ``max_level`` (培训备案)."""
    return InstitutionOccupationFactory(
        institution=institution,
        occupation=Occupation.objects.get(code=occupation),
        max_level=max_level,
        can_train=True,
        can_evaluate=False,
    )


# --- subsidies -------------------------------------------------------------------------


from subsidies.models import (  # noqa: E402
    LIVE_STATUSES,
    AccountKind,
    Claim,
    ClaimStatus,
    FiledBy,
    PayeeKind,
    SubsidyKind,
    SubsidyStandard,
)


class StandardFactory(factory.django.DjangoModelFactory):
    """技能提升补贴, 职业技能等级证书 四级/中级工, 1,500 元, province-wide, from 2025."""

    class Meta:
        model = SubsidyStandard

    name = factory.Sequence(lambda n: f"技能提升补贴（中级）{n}")
    kind = SubsidyKind.SKILL_UPGRADE
    payee = PayeeKind.PERSON
    certificate_kind = CertificateKind.SKILL_LEVEL
    level = SkillLevel.LEVEL_4
    amount = Decimal("1500.00")
    valid_from = dt.date(2025, 1, 1)
    region = factory.LazyFunction(lambda: region("520000"))


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim written directly, in ``status`` (default submitted), on a certificate.

    Live claims take the next free use slot of the person's year, as the services do.
    Tests of filing and of the workflow use the services.
    """

    class Meta:
        model = Claim

    certificate = factory.SubFactory(
        CertificateFactory,
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
    )
    trainee = factory.SelfAttribute("certificate.trainee")
    kind = SubsidyKind.SKILL_UPGRADE
    standard = factory.SubFactory(StandardFactory)
    amount = factory.SelfAttribute("standard.amount")
    occupation = factory.SelfAttribute("certificate.occupation")
    level = factory.SelfAttribute("certificate.level")
    basis_date = factory.SelfAttribute("certificate.issued_on")
    use_year = factory.LazyAttribute(lambda o: o.basis_date.year)
    region = factory.SelfAttribute("certificate.region")
    filed_by = FiledBy.TRAINEE
    payee_kind = PayeeKind.PERSON
    payee_name = factory.SelfAttribute("trainee.name")
    account_kind = AccountKind.BANK
    payee_account = "6222020200112233445"
    status = ClaimStatus.SUBMITTED

    @factory.lazy_attribute
    def use_slot(self):
        if self.status not in LIVE_STATUSES:
            return None
        taken = set(
            Claim.objects.filter(
                trainee=self.trainee, use_year=self.use_year, status__in=LIVE_STATUSES
            ).values_list("use_slot", flat=True)
        )
        return min(set(range(1, 6)) - taken)


# --- competitions ------------------------------------------------------------------------


class CompetitionFactory(factory.django.DjangoModelFactory):
    """A provincial 一类 competition in registration, with no events or rules."""

    class Meta:
        model = Competition
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"贵州省职业技能大赛{n}")
    level = CompetitionLevel.PROVINCIAL
    category = CompetitionClass.FIRST
    year = 2026
    region = factory.LazyFunction(lambda: region("520000"))
    organiser = "贵州省人力资源和社会保障厅"
    registration_opens = dt.date(2026, 3, 1)
    registration_closes = dt.date(2026, 4, 30)
    starts_on = dt.date(2026, 6, 10)
    ends_on = dt.date(2026, 6, 12)
    status = CompetitionStatus.REGISTRATION


class EventFactory(factory.django.DjangoModelFactory):
    """An individual event, 电工, theory 30 % and practical 70 %."""

    class Meta:
        model = Event

    competition = factory.SubFactory(CompetitionFactory)
    name = factory.Sequence(lambda n: f"电工{n}")
    occupation = factory.LazyFunction(lambda: Occupation.objects.get(code="6-31-01-03"))
    level = SkillLevel.LEVEL_3
    theory_weight = Decimal("30")
    practical_weight = Decimal("70")


class EntryFactory(factory.django.DjangoModelFactory):
    """An entry with no people; ``competitor`` makes one with its registrations."""

    class Meta:
        model = Entry

    event = factory.SubFactory(EventFactory)
    number = factory.Sequence(lambda n: f"{n + 1:03d}")
    delegation_region = factory.LazyFunction(lambda: region("520100"))


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    entry = factory.SubFactory(EntryFactory)
    event = factory.SelfAttribute("entry.event")
    trainee = factory.SubFactory(TraineeFactory)


def competitor(event, *, people=None, theory=None, practical=None, **fields) -> Entry:
    """An entry of ``event`` with its people (new trainees unless given; a team event
    gets ``team_size`` of them) and typed marks, written directly."""
    size = event.team_size if event.is_team else 1
    people = list(people) if people is not None else TraineeFactory.create_batch(size)
    if event.is_team:
        fields.setdefault("team_name", f"代表队{Entry.objects.count() + 1}")
    entry = EntryFactory(event=event, theory=theory, practical=practical, **fields)
    for person in people:
        RegistrationFactory(entry=entry, event=event, trainee=person)
    return entry


class JudgeMarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JudgeMark

    entry = factory.SubFactory(EntryFactory)
    judge = factory.Sequence(lambda n: f"J{n % 5 + 1}")
    mark = Decimal("80")


class AwardRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AwardRule

    competition = factory.SubFactory(CompetitionFactory)
    name = "一等奖"
    count = 1


def employee_award_rules(competition) -> list[AwardRule]:
    """一等奖 1 / 二等奖 2 / 三等奖 5 / 优胜奖 up to half of the field (职工 competitions)."""
    rules = [("一等奖", 1, None), ("二等奖", 2, None), ("三等奖", 5, None)]
    rules.append(("优胜奖", None, Decimal("50")))
    return [
        AwardRule.objects.create(
            competition=competition, sort_order=i, name=name, count=count, share=share
        )
        for i, (name, count, share) in enumerate(rules)
    ]


class TitleRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TitleRule

    competition = factory.SubFactory(CompetitionFactory)
    title = "贵州省技术能手"
    max_rank = 3
    max_team_rank = 2
    document_no = "黔人社函〔2026〕88号"


class PromotionRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromotionRule

    competition = factory.SubFactory(CompetitionFactory)
    min_award = "优胜奖"
    to_level = SkillLevel.LEVEL_2
    step_up = True
    document_no = "黔人社函〔2026〕89号"


# --- c13-ind ---
# --- monitoring ----------------------------------------------------------------------------

from monitoring.models import (  # noqa: E402
    FigureStatus,
    Indicator,
    Measure,
    ReportedFigure,
)


class IndicatorFactory(factory.django.DjangoModelFactory):
    """A plan indicator; reported (统计报送) unless told otherwise."""

    class Meta:
        model = Indicator

    code = factory.Sequence(lambda n: f"test_indicator_{n}")
    name = factory.Sequence(lambda n: f"测试指标{n}")
    unit = "人"
    period_start = 2021
    period_end = 2025
    target = Decimal("1000")
    measure = Measure.REPORTED


class ReportedFigureFactory(factory.django.DjangoModelFactory):
    """A draft reported figure written directly (tests of the workflow use the services)."""

    class Meta:
        model = ReportedFigure

    indicator = factory.SubFactory(IndicatorFactory)
    region = factory.LazyFunction(lambda: region("520000"))
    year = 2022
    value = Decimal("100")
    source = "测试统计报表"
    source_date = dt.date(2022, 12, 31)
    status = FigureStatus.DRAFT
    entered_by = factory.SubFactory(UserFactory)


# --- end c13-ind ---


# --- c13-tok ---
# --- API tokens ----------------------------------------------------------------------------

import secrets  # noqa: E402

from django.utils import timezone  # noqa: E402

from bases.models import ApiToken  # noqa: E402
from bases.tokens import api_token_create, token_digest  # noqa: E402


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A live token written directly (no audit), made by a staff user of its institution.
    Pass ``plain="qjt_…"`` (44 characters) to know the token it answers to."""

    class Meta:
        model = ApiToken

    class Params:
        plain = factory.LazyFunction(lambda: "qjt_" + secrets.token_urlsafe(30))

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"对接系统{n}")
    prefix = factory.LazyAttribute(lambda o: o.plain[:8])
    key_hash = factory.LazyAttribute(lambda o: token_digest(o.plain))
    created_by = factory.LazyAttribute(
        lambda o: staff_user("institution", institution=o.institution)
    )
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=90))


def api_token_for(institution, user=None, **kw) -> tuple[ApiToken, str]:
    """A live token of ``institution`` made through the service (audited) by ``user``
    (a new staff user of the institution when None); returns it and the plain token."""
    if user is None:
        user = staff_user("institution", institution=institution)
    kw.setdefault("name", f"对接系统{ApiToken.objects.count() + 1}")
    kw.setdefault("expires_at", timezone.now() + dt.timedelta(days=90))
    return api_token_create(institution=institution, actor=user, **kw)


# --- end c13-tok ---
