"""Who sees and who may change certificates (certificates.policies, roles.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.http import Http404

from certificates import policies, services
from certificates.models import (
    Certificate,
    IssueBatch,
    VerificationLog,
    VerificationOutcome,
)
from courses.models import ClassStatus
from tests.factories import (
    CourseFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    evaluation_org,
    passed_enrolment,
    region,
    staff_user,
)
from training_platform import access
from training_platform.reference.models import CertificateKind, Occupation
from training_platform.roles import Role, group_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Three certificates of one holder, from a class of a 贵阳 (南明区) institution:

    - ``training``: issued by the institution itself (region 520102);
    - ``skill``: issued by an evaluation organisation in 遵义 (region 520302) for the
      same pass;
    - ``award``: a competition award issued by the province (region 520000).
    """
    inst = InstitutionFactory(region=region("520102"))
    inst_staff = staff_user(Role.INSTITUTION, institution=inst)
    cls = TrainingClassFactory(
        course=CourseFactory(institution=inst), status=ClassStatus.RUNNING
    )
    holder = TraineeFactory(user=UserFactory())
    enrolment = passed_enrolment(training_class=cls, trainee=holder)
    org = evaluation_org(region=region("520302"))
    evaluator = staff_user(Role.EVALUATOR, institution=org)
    training = services.certificate_issue_for_enrolment(
        actor=inst_staff, enrolment=enrolment
    )
    skill = services.certificate_issue_for_enrolment(
        actor=evaluator, enrolment=enrolment, kind=CertificateKind.SKILL_LEVEL
    )
    award = services.certificate_issue_for_award(
        actor=staff_user(Role.BUREAU, region_code="520000"),
        trainee=holder,
        award_key="competition:1:place:2",
        occupation=Occupation.objects.get(code="6-31-01-03"),
        issuer_name="贵州省人力资源和社会保障厅",
        title="二等奖",
    )
    return {
        "certificates": {"training": training, "skill": skill, "award": award},
        "users": {
            "institution": inst_staff,
            "evaluator": evaluator,
            "holder": holder.user,
        },
    }


def _editor():
    # Editors hold a group, not a scoped membership.
    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    return user


def user_for(world, who):
    users = world["users"]
    if who in users:
        return users[who]
    return {
        "other_institution": lambda: staff_user(
            Role.INSTITUTION, institution=InstitutionFactory(region=region("520102"))
        ),
        "other_evaluator": lambda: staff_user(
            Role.EVALUATOR, institution=evaluation_org(region=region("520302"))
        ),
        "other_trainee": lambda: TraineeFactory(user=UserFactory()).user,
        "bureau_guiyang": lambda: staff_user(Role.BUREAU, region_code="520100"),
        "bureau_nanming": lambda: staff_user(Role.BUREAU, region_code="520102"),
        "auditor_guiyang": lambda: staff_user(Role.AUDITOR, region_code="520100"),
        "bureau_zunyi": lambda: staff_user(Role.BUREAU, region_code="520300"),
        "auditor_zunyi": lambda: staff_user(Role.AUDITOR, region_code="520300"),
        "bureau_anshun": lambda: staff_user(Role.BUREAU, region_code="520400"),
        "auditor_anshun": lambda: staff_user(Role.AUDITOR, region_code="520400"),
        "bureau_province": lambda: staff_user(Role.BUREAU, region_code="520000"),
        "auditor_province": lambda: staff_user(Role.AUDITOR, region_code="520000"),
        "editor": _editor,
        "superuser": lambda: UserFactory(is_superuser=True, is_staff=True),
        "plain_user": UserFactory,
        "anonymous": AnonymousUser,
    }[who]()


def names(world, queryset):
    by_pk = {c.pk: name for name, c in world["certificates"].items()}
    return {by_pk[pk] for pk in queryset.values_list("pk", flat=True)}


ALL = {"training", "skill", "award"}

SEES = {
    "institution": {"training", "skill"},  # its own, and the evaluation of its class
    "evaluator": {"skill"},
    "holder": ALL,
    "other_institution": set(),
    "other_evaluator": set(),
    "other_trainee": set(),
    "bureau_guiyang": {"training", "skill"},  # issued in, or earned in, 贵阳
    "bureau_nanming": {"training", "skill"},
    "auditor_guiyang": {"training", "skill"},
    "bureau_zunyi": {"skill"},  # issued in 遵义
    "auditor_zunyi": {"skill"},
    "bureau_anshun": set(),
    "auditor_anshun": set(),
    "bureau_province": ALL,
    "auditor_province": ALL,
    "editor": set(),
    "superuser": ALL,
    "plain_user": set(),
    "anonymous": set(),
}


@pytest.mark.parametrize("who", list(SEES))
def test_who_sees_which_certificate(world, who):
    user = user_for(world, who)
    visible = access.visible(user, Certificate.objects.all())
    assert names(world, visible) == SEES[who]
    # No duplicates from the to-many paths.
    assert visible.count() == len(SEES[who])


CHANGES = {
    "institution": {"training"},
    "evaluator": {"skill"},
    "holder": set(),
    "other_institution": set(),
    "other_evaluator": set(),
    "bureau_guiyang": {"training"},  # the place of issue, not of the class
    "bureau_nanming": {"training"},
    "auditor_guiyang": set(),
    "bureau_zunyi": {"skill"},
    "auditor_zunyi": set(),
    "bureau_anshun": set(),
    "bureau_province": ALL,
    "auditor_province": set(),
    "editor": set(),
    "superuser": ALL,
    "anonymous": set(),
}


@pytest.mark.parametrize("who", list(CHANGES))
def test_who_may_change_which_certificate(world, who):
    user = user_for(world, who)
    changeable = access.changeable(user, Certificate)
    assert names(world, changeable) == CHANGES[who]
    for name, certificate in world["certificates"].items():
        assert policies.may_manage(user, certificate) is (name in CHANGES[who])


def test_get_visible_or_404_hides_another_institutions_certificate(world):
    other = user_for(world, "other_institution")
    training = world["certificates"]["training"]
    with pytest.raises(Http404):
        access.get_visible_or_404(other, Certificate, pk=training.pk)
    own = world["users"]["institution"]
    assert access.get_visible_or_404(own, Certificate, pk=training.pk) == training


# --- verification log and batches --------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("auditor_guiyang", True),
        ("bureau_guiyang", True),
        ("auditor_province", True),
        ("auditor_zunyi", False),
        ("institution", False),
        ("holder", False),
        ("anonymous", False),
    ],
)
def test_verification_log_is_for_the_regional_roles(world, who, sees):
    log = VerificationLog.objects.create(
        channel="page",
        asked=world["certificates"]["training"].token,
        certificate=world["certificates"]["training"],
        outcome=VerificationOutcome.VALID,
    )
    user = user_for(world, who)
    assert access.visible(user, VerificationLog).filter(pk=log.pk).exists() is sees


def test_an_evaluator_sees_the_batch_it_requested(world):
    """An evaluator may issue skill-level certificates for a whole class: it must be
    able to follow the progress of the batch it started."""
    evaluator = world["users"]["evaluator"]
    cls = world["certificates"]["skill"].enrolment.training_class
    batch = IssueBatch.objects.create(
        training_class=cls, kind=CertificateKind.SKILL_LEVEL, requested_by=evaluator
    )
    assert (
        access.visible(world["users"]["institution"], IssueBatch)
        .filter(pk=batch.pk)
        .exists()
    )
    assert access.visible(evaluator, IssueBatch).filter(pk=batch.pk).exists()
    other = user_for(world, "other_institution")
    assert not access.visible(other, IssueBatch).filter(pk=batch.pk).exists()


# --- model permissions per role (roles.py) -----------------------------------------------


@pytest.mark.parametrize(
    ("role", "scope", "granted", "withheld"),
    [
        (
            Role.INSTITUTION,
            "institution",
            {"view_certificate", "add_certificate", "change_certificate"},
            {"delete_certificate", "view_verificationlog"},
        ),
        (
            Role.EVALUATOR,
            "institution",
            {"view_certificate", "add_certificate", "change_certificate"},
            {"delete_certificate", "view_verificationlog"},
        ),
        (
            Role.BUREAU,
            "region",
            {"view_certificate", "change_certificate", "view_verificationlog"},
            {"delete_certificate"},
        ),
        (
            Role.AUDITOR,
            "region",
            {"view_certificate", "view_verificationlog", "view_issuebatch"},
            {"add_certificate", "change_certificate", "delete_certificate"},
        ),
    ],
)
def test_role_model_permissions(role, scope, granted, withheld):
    if scope == "institution":
        user = staff_user(role, institution=InstitutionFactory())
    else:
        user = staff_user(role, region_code="520100")
    for codename in granted:
        assert user.has_perm(f"certificates.{codename}"), codename
    for codename in withheld:
        assert not user.has_perm(f"certificates.{codename}"), codename


def test_a_trainee_has_no_back_office_certificate_permissions():
    user = TraineeFactory(user=UserFactory()).user
    assert not user.has_perm("certificates.view_certificate")
    assert not user.has_perm("certificates.change_certificate")


def test_auditors_see_verifications_of_unknown_tokens():
    """Failed look-ups (enumeration attempts) are what auditors most need to see."""
    log = VerificationLog.objects.create(
        channel="page",
        asked="no-such-token",
        certificate=None,
        outcome=VerificationOutcome.NOT_FOUND,
    )
    auditor = staff_user(Role.AUDITOR, region_code="520000")
    assert access.visible(auditor, VerificationLog).filter(pk=log.pk).exists()
    institution = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    assert not access.visible(institution, VerificationLog).filter(pk=log.pk).exists()
