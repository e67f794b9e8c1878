"""Background work for certificates (Django Tasks API): issuing to a whole class."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tasks import task

from bases.models import TrainingInstitution
from certificates.models import IssueBatch, IssueBatchStatus
from certificates.services import certificate_issue_for_class
from training_platform.errors import error_text

logger = logging.getLogger(__name__)


def run_batch(batch: IssueBatch, *, organisation=None) -> IssueBatch:
    """Issue the batch's certificates, writing progress to the row as chunks finish.

    The service is repeat-safe: running a batch again issues only what is missing.
    A refusal (rules, permissions) ends the batch ``failed`` with the reason in its
    summary; anything unexpected does too, and is raised for the task log.
    """

    def progress(done: int, total: int) -> None:
        IssueBatch.objects.filter(pk=batch.pk).update(done=done, total=total)

    try:
        summary = certificate_issue_for_class(
            actor=batch.requested_by,
            training_class=batch.training_class,
            kind=batch.kind,
            organisation=organisation,
            progress=progress,
        )
    except (ValidationError, PermissionDenied) as exc:
        IssueBatch.objects.filter(pk=batch.pk).update(
            status=IssueBatchStatus.FAILED,
            summary={"message": error_text(exc, default="没有权限为本班发证。")},
            finished_at=timezone.now(),
        )
    except Exception:
        IssueBatch.objects.filter(pk=batch.pk).update(
            status=IssueBatchStatus.FAILED,
            summary={"message": "发证失败，请稍后重试或联系管理员。"},
            finished_at=timezone.now(),
        )
        raise
    else:
        IssueBatch.objects.filter(pk=batch.pk).update(
            status=IssueBatchStatus.DONE,
            summary=summary.as_dict(),
            done=summary.eligible,
            total=summary.eligible,
            finished_at=timezone.now(),
        )
    batch.refresh_from_db()
    return batch


@task()
def issue_batch_task(batch_id: int, organisation_id: int | None = None) -> str:
    """批量发证 for one IssueBatch; the progress page polls the batch row."""
    claimed = IssueBatch.objects.filter(
        pk=batch_id, status=IssueBatchStatus.QUEUED
    ).update(status=IssueBatchStatus.RUNNING)
    if not claimed:  # already run or gone: a second run is not wanted
        return "skipped"
    batch = IssueBatch.objects.select_related("training_class", "requested_by").get(
        pk=batch_id
    )
    organisation = (
        TrainingInstitution.objects.get(pk=organisation_id)
        if organisation_id is not None
        else None
    )
    return run_batch(batch, organisation=organisation).status
