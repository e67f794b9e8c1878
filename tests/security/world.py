"""The fixture world of the security walk: two prefectures, each with its institution,
evaluation organisation, class, trainees, enrolments, certificates, claims, batches,
competition, import jobs, API token and reported figure — and the demo roles, all on
the "own" side (Guiyang, 贵阳), so that every object of the "foreign" side (Zunyi, 遵义)
belongs to another institution AND another region than the requesting user's.

The roles are the demo's (demo.services._seed_staff): the same groups and memberships,
granted through bases.services.membership_grant; the auditor here covers Guiyang only
(the demo's covers the province) so that its region scope is put to the test.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from bases.models import BaseKind, InstitutionChangeRequest, StaffMembership
from certificates.models import (
    Certificate,
    EvaluationUpload,
    IssueBatch,
    VerificationChannel,
    VerificationLog,
    VerificationOutcome,
)
from certificates.scan_models import SpotCheck, SpotCheckItem
from competitions.models import (
    Competition,
    CompetitionLevel,
    Entry,
    Event,
    ResultVersion,
    ScoreUpload,
    VersionStatus,
)
from courses.models import ImportUpload, TrainingClass, UploadKind
from subsidies.models import (
    ApprovalList,
    BankReturnUpload,
    Claim,
    DisbursementBatch,
    NoticeRound,
    Objection,
    Payment,
)
from tests.factories import (
    CertificateFactory,
    ClaimFactory,
    CompetitionFactory,
    CourseFactory,
    EventFactory,
    IndicatorFactory,
    InstitutionFactory,
    ReportedFigureFactory,
    StudioFactory,
    TraineeFactory,
    TrainingBaseFactory,
    TrainingClassFactory,
    UserFactory,
    api_token_for,
    competitor,
    evaluation_org,
    make_id_number,
    passed_enrolment,
    region,
    staff_user,
    training_filing,
)
from trainees.models import ActivationCode, Trainee
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role, group_name

# The demo roles the walk signs in as (and None: an anonymous visitor).
ROLES = (
    "province_bureau",
    "prefecture_bureau",
    "institution",
    "evaluator",
    "auditor",
    "editor",
    "trainee",
    "anonymous",
)
# Roles whose region covers the whole province: the foreign side is theirs to see
# (there is one province in the reference data), so for them the walk checks only that
# no page shows a full ID number and that nothing fails.
PROVINCE_WIDE = {"province_bureau"}


@dataclass
class Side:
    """One prefecture's objects, by model (what a URL's ``pk`` is filled with)."""

    label: str
    prefecture: str
    county: str
    objects: dict = field(default_factory=dict)  # model class -> instance
    id_numbers: list = field(default_factory=list)
    # Strings only someone in this side's scope may read: full names, phone numbers,
    # certificate numbers, account numbers, free text typed by its people.
    private: list = field(default_factory=list)
    api_token: str = ""
    institution: object = None
    evaluator_org: object = None
    bureau: object = None  # the side's prefecture bureau user (admin/users/ ids)
    certificate_token: str = ""
    public_on_token: list = field(default_factory=list)

    def add(self, *objs):
        for obj in objs:
            self.objects.setdefault(type(obj), obj)


def _side(label: str, prefecture: str, county: str, tag: str) -> Side:
    """``tag``: a one-character mark in every name of this side (names are unique)."""
    side = Side(label, prefecture, county)
    county_region = region(county)
    pref_region = region(prefecture)
    inst = InstitutionFactory(name=f"{tag}城职业培训学校", region=county_region)
    training_filing(inst)
    evaluator_org = evaluation_org(
        name=f"{tag}城技能评价中心", region=county_region, max_level=SkillLevel.LEVEL_3
    )
    course = CourseFactory(institution=inst, title=f"{tag}城电工培训")
    klass = TrainingClassFactory(course=course, code=f"SEC-{prefecture}-01")
    people = []
    for n, given in enumerate(("甲", "乙", "丙")):
        number = make_id_number(county, dt.date(1980 + n, 3, 4 + n), seq=100 + n)
        person = TraineeFactory(
            id_number=number,
            name=f"{tag}{given}秘",
            phone=f"139{prefecture[:4]}{n:04d}",
            household_region=county_region,
        )
        people.append(person)
        side.id_numbers.append(number)
        side.private += [person.name, person.phone]
    enrolment = passed_enrolment(trainee=people[0], training_class=klass)
    passed_enrolment(trainee=people[1], training_class=klass)
    certificate = CertificateFactory(
        trainee=people[0], issuer=inst, occupation=course.occupation
    )
    skill = CertificateFactory(
        trainee=people[1],
        issuer=evaluator_org,
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
    )
    side.certificate_token = certificate.token
    # What the verification page and API of that token show anyone (SPEC §6).
    side.public_on_token = [certificate.number]
    side.private += [certificate.number, skill.number]
    account = f"62220{prefecture}{'7' * 8}"
    claim = ClaimFactory(certificate=skill, payee_account=account)
    side.private.append(account)
    batch = IssueBatch.objects.create(
        training_class=klass, kind=CertificateKind.TRAINING
    )
    log = VerificationLog.objects.create(
        channel=VerificationChannel.values[0],
        asked=certificate.number,
        certificate=certificate,
        outcome=VerificationOutcome.values[0],
    )
    bureau = staff_user("bureau", region_code=prefecture)
    notice = NoticeRound.objects.create(
        title=f"{tag}城补贴公示",
        region=pref_region,
        starts_on=dt.date(2026, 1, 5),
        ends_on=dt.date(2026, 1, 9),
        created_by=bureau,
    )
    Claim.objects.filter(pk=claim.pk).update(notice_round=notice)
    objection_text = f"{tag}城异议内容保密"
    objection = Objection.objects.create(claim=claim, text=objection_text)
    side.private.append(objection_text)
    disbursement = DisbursementBatch.objects.create(
        code=f"PAY-{prefecture}-01",
        region=pref_region,
        declared_count=1,
        declared_amount=Decimal("1500.00"),
        created_by=bureau,
    )
    payment = Payment.objects.create(
        batch=disbursement,
        reference=f"REF-{prefecture}-01",
        payee_kind=claim.payee_kind,
        payee_name=claim.payee_name,
        account_kind=claim.account_kind,
        amount=Decimal("1500.00"),
        claim_count=1,
    )
    approval = ApprovalList.objects.create(prepared_by=bureau)
    approval.claims.add(claim)
    roster = ImportUpload.objects.create(
        training_class=klass,
        kind=UploadKind.values[0],
        uploaded_by=bureau,
        original_name=f"{tag}城花名册保密.xlsx",
    )
    side.private.append(roster.original_name)
    evaluation = EvaluationUpload.objects.create(
        organisation=evaluator_org, uploaded_by=bureau
    )
    bank_return = BankReturnUpload.objects.create(batch=disbursement)
    competition = CompetitionFactory(
        name=f"{tag}城职业技能大赛",
        level=CompetitionLevel.PREFECTURE,
        region=pref_region,
    )
    event = EventFactory(competition=competition)
    entry = competitor(event, people=[people[2]], delegation_region=pref_region)
    score_upload = ScoreUpload.objects.create(event=event, uploaded_by=bureau)
    version = ResultVersion.objects.create(
        competition=competition, number=1, status=VersionStatus.values[0]
    )
    figure = ReportedFigureFactory(
        region=pref_region,
        indicator=IndicatorFactory(),
        source=f"{tag}城统计报表保密",
        entered_by=bureau,
    )
    side.private.append(figure.source)
    token, plain = api_token_for(inst, name=f"{tag}城对接系统保密")
    side.api_token = plain
    side.private.append(token.name)
    change = InstitutionChangeRequest.objects.create(
        institution=inst,
        name=f"{tag}城职业培训学校（更名）",
        credit_code=inst.credit_code,
        kind=inst.kind,
        region=county_region,
    )
    # A 核查记录 of this side's certificate, saved by an auditor of this prefecture.
    checked_at = timezone.now()
    spot_check = SpotCheck.objects.create(
        checked_by=staff_user(
            Role.AUDITOR, region_code=prefecture, username=f"sec_auditor_{prefecture}"
        ),
        started_at=checked_at,
        ended_at=checked_at,
        place=f"{tag}城抽查现场",
    )
    SpotCheckItem.objects.create(
        spot_check=spot_check,
        certificate=certificate,
        number=certificate.number,
        verdict="genuine",
        status=certificate.display_status(),
        scanned_at=checked_at,
    )
    side.private.append(f"{tag}城抽查现场")
    activation = ActivationCode.objects.create(
        trainee=people[2],
        code_hash="x" * 64,
        expires_at=timezone.now() + dt.timedelta(days=3),
    )
    side.add(
        inst,
        evaluator_org,
        course,
        klass,
        *people,
        enrolment,
        certificate,
        claim,
        batch,
        log,
        notice,
        objection,
        disbursement,
        payment,
        approval,
        roster,
        evaluation,
        bank_return,
        competition,
        event,
        entry,
        score_upload,
        version,
        figure,
        figure.indicator,
        token,
        change,
        activation,
        spot_check,
        # Not a 公共实训基地: those are shared facilities every institution sees
        # (bases.policies.base_view); a high-skill base is its host's and its region's.
        TrainingBaseFactory(
            host=inst, name=f"{tag}城高技能人才培训基地", kind=BaseKind.HIGH_SKILL
        ),
        StudioFactory(host=inst, name=f"{tag}城技能大师工作室"),
        StaffMembership.objects.filter(institution=inst).first(),
    )
    side.institution, side.evaluator_org, side.bureau = inst, evaluator_org, bureau
    side.objects[type(bureau)] = bureau
    return side


@dataclass
class World:
    own: Side
    foreign: Side
    users: dict  # role -> user (None: anonymous)

    @property
    def all_id_numbers(self) -> list[str]:
        return self.own.id_numbers + self.foreign.id_numbers


def build_world() -> World:
    own = _side("own", "520100", "520102", "筑")
    foreign = _side("foreign", "520300", "520302", "遵")
    inst, evaluator_org = own.institution, own.evaluator_org
    editor = UserFactory(username="sec_editor")
    editor.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    trainee_user = UserFactory(username="sec_trainee")
    Trainee.objects.filter(pk=own.objects[Trainee].pk).update(user=trainee_user)
    users = {
        "province_bureau": staff_user(
            Role.BUREAU, region_code="520000", username="sec_bureau_gz"
        ),
        "prefecture_bureau": staff_user(
            Role.BUREAU, region_code="520100", username="sec_bureau_gy"
        ),
        "institution": staff_user(
            Role.INSTITUTION, institution=inst, username="sec_inst_a"
        ),
        "evaluator": staff_user(
            Role.EVALUATOR, institution=evaluator_org, username="sec_evaluator"
        ),
        "auditor": staff_user(
            Role.AUDITOR, region_code="520100", username="sec_auditor"
        ),
        "editor": editor,
        "trainee": trainee_user,
        "anonymous": None,
    }
    # Every object the walk uses exists (a typo in a factory call fails here, not as
    # a mysterious 404 in the walk).
    for side in (own, foreign):
        for model, obj in side.objects.items():
            assert model.objects.filter(pk=obj.pk).exists(), model
    assert Certificate.objects.count() >= 4 and Claim.objects.count() >= 2
    assert Competition.objects.count() >= 2 and Entry.objects.count() >= 2
    assert TrainingClass.objects.filter(code__startswith="SEC-").count() == 2
    assert Event.objects.count() >= 2
    return World(own=own, foreign=foreign, users=users)
