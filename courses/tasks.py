"""Background work on uploaded import files (Django Tasks API): importing a stored
upload (花名册 or 出勤和考核结果, by ``RosterUpload.kind``) and deleting the files of
uploads that were never imported."""

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from courses.models import RosterUpload, RosterUploadStatus, UploadKind
from courses.results_import import read_results, results_import, results_plan
from courses.roster import read_roster, roster_import, roster_plan
from training_platform.xlsx import XlsxRefused

logger = logging.getLogger(__name__)

# Rows read between two progress updates.
PROGRESS_EVERY = 500
# Uploads that never completed lose their file (personal data) after this many days.
UPLOAD_KEEP_DAYS = 7
# Everything but ``done`` (imported, file already deleted) and ``expired``.
UNFINISHED = frozenset(
    {
        RosterUploadStatus.PREVIEWED,
        RosterUploadStatus.QUEUED,
        RosterUploadStatus.RUNNING,
        RosterUploadStatus.REFUSED,
        RosterUploadStatus.FAILED,
    }
)

Rows = Iterable[tuple[int, dict[str, str]]]


@dataclass(frozen=True)
class Pipeline:
    """How one kind of upload is read, checked (writing nothing) and imported."""

    read: Callable[..., Rows]
    check: Callable[..., dict]  # (training_class=, rows=) → the dry-run summary
    run: Callable[..., dict]  # (training_class=, rows=, actor=, request=) → summary


PIPELINES: dict[str, Pipeline] = {
    UploadKind.ROSTER: Pipeline(
        read=read_roster,
        check=lambda *, training_class, rows: roster_plan(
            training_class=training_class, rows=rows
        ).summary(),
        run=roster_import,
    ),
    UploadKind.RESULTS: Pipeline(
        read=read_results,
        check=lambda *, training_class, rows: results_plan(
            training_class=training_class, rows=rows
        ).summary(),
        run=results_import,
    ),
}


def _counted(rows, upload: RosterUpload):
    """Pass ``rows`` on, writing how many were read to ``upload.progress`` now and then."""
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007
        if count % PROGRESS_EVERY == 0:
            RosterUpload.objects.filter(pk=upload.pk).update(progress=count)
        yield row
    RosterUpload.objects.filter(pk=upload.pk).update(progress=count)


def run_upload(upload: RosterUpload, *, request=None) -> RosterUpload:
    """Import an upload's stored file (atomic, idempotent) and record the outcome.

    ``done`` deletes the file (personal data); ``refused`` keeps it so the error rows
    can be downloaded (until the cleanup expires it).
    """
    pipeline = PIPELINES[upload.kind]
    status = RosterUploadStatus.FAILED
    try:
        # Streamed to the import. Not closed with ``with``: the copy is in memory,
        # and an import refused before reading leaves a generator that rewinds the
        # file when it is collected.
        fileobj = upload.open_file()
        summary = pipeline.run(
            training_class=upload.training_class,
            rows=_counted(pipeline.read(fileobj), upload),
            actor=upload.uploaded_by,
            request=request,
        )
        status = (
            RosterUploadStatus.REFUSED if summary["errors"] else RosterUploadStatus.DONE
        )
    except (XlsxRefused, ValidationError) as exc:
        summary = {**upload.summary, "message": "；".join(exc.messages)}
        status = RosterUploadStatus.REFUSED
    except PermissionDenied as exc:  # e.g. no longer staff of the institution
        summary = {**upload.summary, "message": str(exc) or "没有权限导入。"}
        status = RosterUploadStatus.REFUSED
    except Exception:
        RosterUpload.objects.filter(pk=upload.pk).update(
            status=RosterUploadStatus.FAILED, finished_at=timezone.now()
        )
        raise
    upload.set_summary(summary)
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
def upload_import_task(upload_id: int) -> str:
    """Import a large upload in the background; the result page polls the upload."""
    claimed = RosterUpload.objects.filter(
        pk=upload_id, status=RosterUploadStatus.QUEUED
    ).update(status=RosterUploadStatus.RUNNING)
    if not claimed:  # already run, expired or gone: importing again is not wanted
        return "skipped"
    upload = RosterUpload.objects.select_related(
        "training_class__course", "uploaded_by"
    ).get(pk=upload_id)
    return run_upload(upload).status


def upload_cleanup(
    *, days: int = UPLOAD_KEEP_DAYS, limit: int | None = None, now=None
) -> int:
    """Delete the files of uploads older than ``days`` that never completed and mark
    them ``expired``; the number expired (at most ``limit``, oldest first)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    stale = (
        RosterUpload.objects.filter(created_at__lt=cutoff, status__in=UNFINISHED)
        .order_by("created_at", "pk")
        .values_list("pk", "status", "file")
    )
    if limit is not None:
        stale = stale[:limit]
    storage = RosterUpload._meta.get_field("file").storage
    expired = 0
    for pk, status, name in list(stale):
        with transaction.atomic():
            # Claim the row as it was read: a confirm that locked it first wins, and
            # a failed delete rolls the claim back, to be retried next time.
            claimed = RosterUpload.objects.filter(pk=pk, status=status).update(
                status=RosterUploadStatus.EXPIRED, file="", finished_at=now
            )
            if not claimed:
                continue
            if name:
                storage.delete(name)
        expired += 1
    if expired:
        logger.info("Expired %d unfinished uploads older than %d days", expired, days)
    return expired
