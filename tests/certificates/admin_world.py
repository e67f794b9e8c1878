"""The certificates back-office tests' shared world: two institutions, their classes,
passed enrolments and certificates, one user per role, and helpers to visit the screens.
The fixtures that build it (``world``, ``big_class``) are in conftest.py."""

from decimal import Decimal

from django.urls import reverse

from bases.models import InstitutionOccupation
from certificates import services
from courses.models import AssessmentResult, ClassStatus
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    make_id_number,
    region,
    staff_user,
)
from training_platform.reference.models import Occupation
from training_platform.roles import Role

ELECTRICIAN = "6-31-01-03"


def passed(cls, name, *, hours=80, score=90, **kw):
    """An enrolment that qualifies for a certificate (80 of 80 hours, passed)."""
    return EnrolmentFactory(
        training_class=cls,
        trainee=TraineeFactory(name=name, **kw),
        attendance_hours=Decimal(hours),
        score=Decimal(score),
        result=AssessmentResult.PASSED,
    )


def file_to_evaluate(institution, max_level="3"):
    return InstitutionOccupation.objects.create(
        institution=institution,
        occupation=Occupation.objects.get(code=ELECTRICIAN),
        max_level=max_level,
        can_evaluate=True,
    )


def make_world():
    """Institution A in 贵阳 (filed to evaluate electricians up to 三级) and B in 遵义
    (not filed), each with a running class, a passed enrolment and a training
    certificate; A's evaluator also issued a skill-level certificate. One user per role."""
    a = InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))
    b = InstitutionFactory(name="遵义乙技工学校", region=region("520302"))
    file_to_evaluate(a)
    w = {"a": a, "b": b}
    w["course_a"] = CourseFactory(institution=a, title="电工培训甲")
    w["course_b"] = CourseFactory(institution=b, title="电工培训乙")
    w["class_a"] = TrainingClassFactory(
        course=w["course_a"], code="GY-0001", status=ClassStatus.RUNNING
    )
    w["class_b"] = TrainingClassFactory(
        course=w["course_b"], code="ZY-0001", status=ClassStatus.RUNNING
    )
    w["enrol_a"] = passed(
        w["class_a"], "贵阳学员甲", id_number=make_id_number("520102")
    )
    w["enrol_b"] = passed(
        w["class_b"], "遵义学员乙", id_number=make_id_number("520302")
    )
    holder = UserFactory(username="holder_a")
    w["enrol_a"].trainee.user = holder
    w["enrol_a"].trainee.save()
    w["users"] = users = {
        "inst_a": staff_user(Role.INSTITUTION, institution=a),
        "inst_b": staff_user(Role.INSTITUTION, institution=b),
        "evaluator_a": staff_user(Role.EVALUATOR, institution=a),  # filed
        "evaluator_b": staff_user(Role.EVALUATOR, institution=b),  # not filed
        "bureau_gy": staff_user(Role.BUREAU, region_code="520100"),
        "bureau_zy": staff_user(Role.BUREAU, region_code="520300"),
        "auditor_gz": staff_user(Role.AUDITOR, region_code="520000"),
        "trainee": holder,
    }
    w["cert_a"] = services.certificate_issue_for_enrolment(
        actor=users["inst_a"], enrolment=w["enrol_a"]
    )
    w["cert_b"] = services.certificate_issue_for_enrolment(
        actor=users["inst_b"], enrolment=w["enrol_b"]
    )
    w["cert_eval"] = services.certificate_issue_by_evaluation(
        actor=users["evaluator_a"],
        trainee=w["enrol_a"].trainee,
        occupation=Occupation.objects.get(code=ELECTRICIAN),
        level="4",
        reason="2026年第3批社会化评价，理论 82 分，实操 88 分",
    )
    return w


def login(client, world, who):
    if who != "anonymous":
        client.force_login(world["users"][who])


def assert_denied(response):
    """404 outside the scope; 403, Wagtail's redirect to the dashboard, or the login
    page for those without back-office access. Never the page itself."""
    if response.status_code == 302:
        location = response.headers["Location"]
        assert location == "/admin/" or location.startswith("/admin/login/")
    else:
        assert response.status_code in (403, 404)


def inspect_url(cert):
    return reverse("certificate:inspect", args=[cert.pk])


def index_url(**params):
    from urllib.parse import urlencode

    url = reverse("certificate:index")
    return f"{url}?{urlencode(params)}" if params else url


# role → (certificates it sees, certificates it may not see)
SCOPE = {
    "inst_a": (["cert_a", "cert_eval"], ["cert_b"]),
    "inst_b": (["cert_b"], ["cert_a", "cert_eval"]),
    "evaluator_a": (["cert_a", "cert_eval"], ["cert_b"]),
    "evaluator_b": (["cert_b"], ["cert_a", "cert_eval"]),
    "bureau_gy": (["cert_a", "cert_eval"], ["cert_b"]),
    "bureau_zy": (["cert_b"], ["cert_a", "cert_eval"]),
    "auditor_gz": (["cert_a", "cert_b", "cert_eval"], []),
}
NO_BACK_OFFICE = ["trainee", "anonymous"]


def issue_url(cls):
    return reverse("certificates_class_issue", args=[cls.pk])
