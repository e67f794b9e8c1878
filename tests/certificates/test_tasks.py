"""批量发证 in the background: the task, its progress and its outcomes."""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse

from bases.models import StaffMembership
from bases.services import membership_grant
from certificates import services, tasks
from certificates.models import Certificate, IssueBatch, IssueBatchStatus
from courses.models import AssessmentResult, ClassStatus
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    region,
    staff_user,
)
from training_platform import access
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import CertificateKind
from training_platform.roles import Role


def qualified(cls, n):
    return [
        EnrolmentFactory(
            training_class=cls,
            trainee=TraineeFactory(name=f"批量学员{i}"),
            attendance_hours=Decimal(80),
            score=Decimal(88),
            result=AssessmentResult.PASSED,
        )
        for i in range(n)
    ]


@pytest.fixture
def setting(db):
    institution = InstitutionFactory(name="贵阳批量培训学校", region=region("520102"))
    cls = TrainingClassFactory(
        course=CourseFactory(institution=institution),
        code="GY-BATCH",
        status=ClassStatus.FINISHED,
    )
    user = staff_user(Role.INSTITUTION, institution=institution)
    return {"institution": institution, "class": cls, "user": user}


def queued(setting, kind=CertificateKind.TRAINING):
    return IssueBatch.objects.create(
        training_class=setting["class"], kind=kind, requested_by=setting["user"]
    )


def with_chunk(monkeypatch, size, seen):
    """Issue in chunks of ``size`` and record the batch row after each progress call."""
    real = services.certificate_issue_for_class

    def issue(**kwargs):
        report = kwargs.pop("progress")

        def progress(done, total):
            report(done, total)
            row = IssueBatch.objects.values("status", "done", "total").get()
            seen.append((row["status"], row["done"], row["total"]))

        return real(chunk=size, progress=progress, **kwargs)

    monkeypatch.setattr(tasks, "certificate_issue_for_class", issue)


@pytest.mark.django_db
def test_the_task_reports_progress_chunk_by_chunk(setting, monkeypatch):
    qualified(setting["class"], 5)
    batch = queued(setting)
    seen = []
    with_chunk(monkeypatch, 2, seen)
    result = tasks.issue_batch_task.enqueue(batch.pk)
    assert result.return_value == IssueBatchStatus.DONE
    assert seen == [("running", 2, 5), ("running", 4, 5), ("running", 5, 5)]
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.total, batch.percent) == ("done", 5, 5, 100)
    assert batch.summary == {
        "eligible": 5,
        "issued": 5,
        "already_issued": 0,
        "not_qualified": 0,
    }
    assert batch.finished_at is not None
    assert Certificate.objects.filter(issued_by=setting["user"]).count() == 5
    assert AuditEvent.objects.filter(action="certificate.issue").count() == 5


@pytest.mark.django_db
def test_running_a_batch_again_issues_nothing_twice(setting):
    qualified(setting["class"], 3)
    first = queued(setting)
    tasks.issue_batch_task.enqueue(first.pk)
    # The same batch is not run a second time…
    assert tasks.issue_batch_task.enqueue(first.pk).return_value == "skipped"
    # …and a new batch for the same class finds every certificate already issued.
    second = queued(setting)
    tasks.issue_batch_task.enqueue(second.pk)
    second.refresh_from_db()
    assert second.status == IssueBatchStatus.DONE
    assert second.summary["issued"] == 0 and second.summary["already_issued"] == 3
    assert Certificate.objects.count() == 3


@pytest.mark.django_db
def test_a_refusal_ends_the_batch_failed_with_the_reason(setting):
    qualified(setting["class"], 2)
    batch = queued(setting)
    # The requester left the institution before the task ran.
    StaffMembership.objects.filter(user=setting["user"]).delete()
    access.forget_scope(setting["user"])
    tasks.issue_batch_task.enqueue(batch.pk)
    batch.refresh_from_db()
    assert batch.status == IssueBatchStatus.FAILED
    assert "只有本机构的工作人员" in batch.summary["message"]
    assert batch.finished_at is not None
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_batch_and_is_raised(setting, monkeypatch):
    batch = queued(setting)

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks, "certificate_issue_for_class", boom)
    with pytest.raises(RuntimeError):
        tasks.issue_batch_task.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == IssueBatchStatus.FAILED
    assert batch.summary["message"]


@pytest.mark.django_db
def test_an_evaluator_batch_uses_the_chosen_organisation(setting):
    from bases.models import InstitutionOccupation
    from training_platform.reference.models import Occupation

    centre = InstitutionFactory(name="评价中心乙", region=region("520102"))
    InstitutionOccupation.objects.create(
        institution=centre,
        occupation=Occupation.objects.get(code="6-31-01-03"),
        max_level="3",
        can_evaluate=True,
    )
    other = InstitutionFactory(name="评价中心丙", region=region("520102"))
    evaluator = staff_user(Role.EVALUATOR, institution=centre)
    membership_grant(user=evaluator, role=Role.EVALUATOR, institution=other)
    qualified(setting["class"], 2)
    batch = IssueBatch.objects.create(
        training_class=setting["class"],
        kind=CertificateKind.SKILL_LEVEL,
        requested_by=evaluator,
    )
    tasks.issue_batch_task.enqueue(batch.pk, centre.pk)
    batch.refresh_from_db()
    assert batch.status == IssueBatchStatus.DONE, batch.summary
    assert set(Certificate.objects.values_list("issuer_id", flat=True)) == {centre.pk}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_progress_is_visible_to_other_connections_while_the_task_runs(
    reference, client, monkeypatch
):
    """Each chunk commits on its own: the progress page (another request, another
    connection) sees the count grow while the task is still running."""
    institution = InstitutionFactory(region=region("520102"))
    cls = TrainingClassFactory(
        course=CourseFactory(institution=institution), status=ClassStatus.FINISHED
    )
    user = staff_user(Role.INSTITUTION, institution=institution)
    qualified(cls, 4)
    observed = []
    real = services.certificate_issue_for_class

    def read_elsewhere():
        def look():
            try:
                observed.append(
                    IssueBatch.objects.values_list("done", "total", "status").get()
                )
            finally:
                connections.close_all()

        thread = threading.Thread(target=look)
        thread.start()
        thread.join()

    def issue(**kwargs):
        report = kwargs.pop("progress")

        def progress(done, total):
            report(done, total)
            read_elsewhere()

        return real(chunk=2, progress=progress, **kwargs)

    monkeypatch.setattr(tasks, "certificate_issue_for_class", issue)
    client.force_login(user)
    response = client.post(
        reverse("certificates_class_issue", args=[cls.pk]), {"kind": "training"}
    )
    assert response.status_code == 302
    assert observed == [(2, 4, "running"), (4, 4, "running")]
    batch = IssueBatch.objects.get()
    assert (batch.status, batch.done, batch.total) == ("done", 4, 4)
    assert Certificate.objects.count() == 4
    body = client.get(response.headers["Location"]).content.decode()
    assert 'data-status="done"' in body
