"""A valid certificate settles the results it was issued on (courses asks through a hook)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from certificates import services as certificate_services
from certificates.models import CertificateStatus
from courses import results_import as ri
from courses import services
from courses.models import AssessmentResult, ClassStatus
from tests.factories import (
    CertificateFactory,
    TrainingClassFactory,
    passed_enrolment,
    staff_user,
)
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def certified():
    cls = TrainingClassFactory(status=ClassStatus.FINISHED)
    staff = staff_user(Role.INSTITUTION, institution=cls.course.institution)
    enrolment = passed_enrolment(training_class=cls)
    certificate = certificate_services.certificate_issue_for_enrolment(
        actor=staff, enrolment=enrolment
    )
    enrolment.refresh_from_db()
    return staff, enrolment, certificate


def test_results_behind_a_valid_certificate_cannot_change(certified):
    staff, enrolment, _ = certified
    with pytest.raises(ValidationError) as refused:
        services.assessment_record(
            actor=staff, enrolment=enrolment, result=AssessmentResult.FAILED, score=40
        )
    assert refused.value.code == "results_settled"
    with pytest.raises(ValidationError):
        services.attendance_record(actor=staff, enrolment=enrolment, hours=70)
    enrolment.refresh_from_db()
    assert enrolment.result == AssessmentResult.PASSED


def test_saving_the_same_values_again_is_fine(certified):
    staff, enrolment, _ = certified
    services.assessment_record(
        actor=staff,
        enrolment=enrolment,
        result=enrolment.result,
        score=enrolment.score,
    )
    services.attendance_record(
        actor=staff, enrolment=enrolment, hours=enrolment.attendance_hours
    )


def test_once_revoked_the_results_can_be_corrected(certified):
    staff, enrolment, certificate = certified
    certificate_services.certificate_revoke(
        actor=staff, certificate=certificate, reason="成绩录入错误"
    )
    services.assessment_record(
        actor=staff, enrolment=enrolment, result=AssessmentResult.FAILED, score=40
    )
    enrolment.refresh_from_db()
    assert enrolment.result == AssessmentResult.FAILED


def test_results_import_refuses_settled_rows_and_keeps_the_others(certified):
    staff, enrolment, _ = certified
    other = passed_enrolment(training_class=enrolment.training_class)
    rows = [
        (
            2,
            {
                "ref": ri.enrolment_ref(enrolment.training_class_id, enrolment.pk),
                "name": enrolment.trainee.name,
                "result": "不合格",
                "score": "30",
            },
        ),
        (
            3,
            {
                "ref": ri.enrolment_ref(other.training_class_id, other.pk),
                "name": other.trainee.name,
                "score": "77",
            },
        ),
    ]
    plan = ri.results_plan(training_class=enrolment.training_class, rows=rows)
    assert [(e.row, e.message) for e in plan.errors] == [(2, services.RESULTS_SETTLED)]
    assert list(plan.changes) == [other.pk]


def test_a_revoked_or_superseded_certificate_does_not_settle(db):
    enrolment = passed_enrolment()
    CertificateFactory(
        enrolment=enrolment,
        trainee=enrolment.trainee,
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
    )
    assert services.results_settled([enrolment.pk]) == set()
    CertificateFactory(enrolment=enrolment, trainee=enrolment.trainee)
    assert services.results_settled([enrolment.pk]) == {enrolment.pk}
