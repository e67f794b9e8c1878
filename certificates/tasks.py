"""Background work for certificates (Django Tasks API): issuing to a whole class, and
issuing a large file of evaluation decisions (``evaluation_import``).

The batch row is a job row (``training_platform.jobs``): claimed, given progress and
finished with conditional updates, as the import pipeline's uploads are.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django_tasks import task

from bases.models import TrainingInstitution
from certificates.evaluation_import import EVALUATION_IMPORT
from certificates.models import EvaluationUpload, IssueBatch, IssueBatchStatus
from certificates.services import certificate_issue_for_class
from training_platform.errors import error_text
from training_platform.imports import services as imports
from training_platform.jobs import job_claim, job_finish, job_progress

logger = logging.getLogger(__name__)


def run_batch(batch: IssueBatch, *, organisation=None) -> IssueBatch:
    """Issue the batch's certificates, writing progress to the row as chunks finish.

    The service is repeat-safe: running a batch again issues only what is missing.
    A refusal (rules, permissions) ends the batch ``failed`` with the reason in its
    summary; anything unexpected does too, and is raised for the task log.
    """

    def progress(done: int, total: int) -> None:
        job_progress(IssueBatch, batch.pk, done=done, total=total)

    try:
        summary = certificate_issue_for_class(
            actor=batch.requested_by,
            training_class=batch.training_class,
            kind=batch.kind,
            organisation=organisation,
            progress=progress,
        )
    except (ValidationError, PermissionDenied) as exc:
        job_finish(
            IssueBatch,
            batch.pk,
            status=IssueBatchStatus.FAILED,
            summary={"message": error_text(exc, default="没有权限为本班发证。")},
        )
    except Exception:
        job_finish(
            IssueBatch,
            batch.pk,
            status=IssueBatchStatus.FAILED,
            summary={"message": "发证失败，请稍后重试或联系管理员。"},
        )
        raise
    else:
        job_finish(
            IssueBatch,
            batch.pk,
            status=IssueBatchStatus.DONE,
            summary=summary.as_dict(),
            done=summary.eligible,
            total=summary.eligible,
        )
    batch.refresh_from_db()
    return batch


@task()
def issue_batch_task(batch_id: int, organisation_id: int | None = None) -> str:
    """批量发证 for one IssueBatch; the progress page polls the batch row."""
    if not job_claim(
        IssueBatch,
        batch_id,
        from_status=IssueBatchStatus.QUEUED,
        to_status=IssueBatchStatus.RUNNING,
    ):  # already run or gone: a second run is not wanted
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


@task()
def evaluation_import_task(upload_id: int) -> str:
    """Issue a large file of evaluation decisions in the background (认定结果导入)."""
    upload = imports.upload_claim(
        EvaluationUpload.objects.select_related("organisation", "uploaded_by"),
        upload_id,
    )
    if upload is None:  # already run, expired or gone: issuing again is not wanted
        return "skipped"
    return imports.upload_run(job=upload, kind=EVALUATION_IMPORT).status


def evaluation_upload_cleanup(*, days: int | None = None, limit: int | None = None):
    """Expire the files of decision uploads that never completed (``upload_cleanup``)."""
    kwargs = {"limit": limit}
    if days is not None:
        kwargs["days"] = days
    return imports.upload_cleanup(EvaluationUpload, **kwargs)
