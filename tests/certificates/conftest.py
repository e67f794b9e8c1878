"""Fixtures of the certificates back-office tests (tests/certificates/test_admin_*.py)."""

from decimal import Decimal

import pytest

from certificates import services
from courses.models import AssessmentResult, ClassStatus
from tests.certificates.admin_world import make_world, passed
from tests.factories import EnrolmentFactory, TraineeFactory, TrainingClassFactory


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def big_class(world):
    """Class A2: three qualify (one already certified), one failed, one short of hours."""
    cls = TrainingClassFactory(
        course=world["course_a"], code="GY-0002", status=ClassStatus.FINISHED
    )
    good = [passed(cls, f"合格学员{n}") for n in range(3)]
    passed(cls, "出勤不足学员", hours=40)
    EnrolmentFactory(
        training_class=cls,
        trainee=TraineeFactory(name="不合格学员"),
        attendance_hours=Decimal(80),
        result=AssessmentResult.FAILED,
    )
    services.certificate_issue_for_enrolment(
        actor=world["users"]["inst_a"], enrolment=good[0]
    )
    return cls
