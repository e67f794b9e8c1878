"""Background work on uploaded import files (Django Tasks API): importing a stored
upload (花名册 or 出勤和考核结果, by ``ImportUpload.kind``) and deleting the files of
uploads that were never imported. The pipeline is ``training_platform.imports``."""

from django_tasks import task

from courses.models import ImportUpload, UploadKind
from courses.results_import import RESULTS_IMPORT
from courses.roster import ROSTER_IMPORT
from training_platform.imports import services as imports
from training_platform.imports.kinds import ImportKind
from training_platform.imports.services import UNFINISHED, UPLOAD_KEEP_DAYS

__all__ = ["KINDS", "UNFINISHED", "UPLOAD_KEEP_DAYS"]

# The kinds of import a class takes, by ``ImportUpload.kind``.
KINDS: dict[str, ImportKind] = {
    UploadKind.ROSTER: ROSTER_IMPORT,
    UploadKind.RESULTS: RESULTS_IMPORT,
}


def run_upload(upload: ImportUpload, *, request=None) -> ImportUpload:
    """Import an upload's stored file and record the outcome (``upload_run``)."""
    return imports.upload_run(job=upload, kind=KINDS[upload.kind], request=request)


@task()
def upload_import_task(upload_id: int) -> str:
    """Import a large upload in the background; the result page polls the upload."""
    upload = imports.upload_claim(
        ImportUpload.objects.select_related("training_class__course", "uploaded_by"),
        upload_id,
    )
    if upload is None:  # already run, expired or gone: importing again is not wanted
        return "skipped"
    return run_upload(upload).status


def upload_cleanup(
    *, days: int = UPLOAD_KEEP_DAYS, limit: int | None = None, now=None
) -> int:
    """Expire the files of the class uploads that never completed (``upload_cleanup``)."""
    return imports.upload_cleanup(ImportUpload, days=days, limit=limit, now=now)
