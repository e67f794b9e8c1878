"""Background tasks of the courses app (Django Tasks API)."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

from courses.models import RosterUpload, RosterUploadStatus
from courses.roster import read_roster, roster_import
from training_platform.xlsx import XlsxRefused

# Rows read between two progress updates.
PROGRESS_EVERY = 500


def _counted(rows, upload: RosterUpload):
    """Pass ``rows`` on, writing how many were read to ``upload.progress`` now and then."""
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007
        if count % PROGRESS_EVERY == 0:
            RosterUpload.objects.filter(pk=upload.pk).update(progress=count)
        yield row
    RosterUpload.objects.filter(pk=upload.pk).update(progress=count)


def run_roster_upload(upload: RosterUpload, *, request=None) -> RosterUpload:
    """Import an upload's stored file (atomic, idempotent) and record the outcome.

    ``done`` deletes the file (personal data); ``refused`` keeps it so the error rows
    can be downloaded.
    """
    status = RosterUploadStatus.FAILED
    try:
        with upload.open_file() as fileobj:
            summary = roster_import(
                training_class=upload.training_class,
                rows=_counted(read_roster(fileobj), upload),
                actor=upload.uploaded_by,
                request=request,
            )
        status = (
            RosterUploadStatus.REFUSED if summary["errors"] else RosterUploadStatus.DONE
        )
    except (XlsxRefused, ValidationError) as exc:
        summary = {**upload.summary, "message": "；".join(exc.messages)}
        status = RosterUploadStatus.REFUSED
    except Exception:
        RosterUpload.objects.filter(pk=upload.pk).update(
            status=RosterUploadStatus.FAILED, finished_at=timezone.now()
        )
        raise
    upload.summary = summary
    upload.status = status
    upload.finished_at = timezone.now()
    upload.progress = summary.get("rows", upload.row_count)
    fields = ["summary", "status", "finished_at", "progress"]
    if status == RosterUploadStatus.DONE and upload.file:
        upload.file.delete(save=False)
        fields.append("file")
    upload.save(update_fields=fields)
    return upload


@task()
def roster_import_task(upload_id: int) -> str:
    """Import a large roster in the background; the result page polls the upload."""
    claimed = RosterUpload.objects.filter(
        pk=upload_id, status=RosterUploadStatus.QUEUED
    ).update(status=RosterUploadStatus.RUNNING)
    if not claimed:  # already run (or gone): importing again is not wanted
        return "skipped"
    upload = RosterUpload.objects.select_related("training_class", "uploaded_by").get(
        pk=upload_id
    )
    return run_roster_upload(upload).status
