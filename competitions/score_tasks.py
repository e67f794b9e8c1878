"""Background work on uploaded score sheets (Django Tasks API): importing a large
stored upload, and deleting the files of uploads that were never imported. The
pipeline is ``training_platform.imports``."""

from django_tasks import task

from competitions.models import ScoreUpload
from competitions.score_import import SCORES
from training_platform.imports import services as imports
from training_platform.imports.services import UPLOAD_KEEP_DAYS


@task()
def score_import_task(upload_id: int) -> str:
    """Import a large score sheet in the background; the result page polls it."""
    upload = imports.upload_claim(
        ScoreUpload.objects.select_related("event__competition", "uploaded_by"),
        upload_id,
    )
    if upload is None:  # already run, expired or gone: importing again is not wanted
        return "skipped"
    return imports.upload_run(job=upload, kind=SCORES).status


def score_upload_cleanup(
    *, days: int = UPLOAD_KEEP_DAYS, limit: int | None = None, now=None
) -> int:
    """Expire the files of score uploads that never completed (``upload_cleanup``)."""
    return imports.upload_cleanup(ScoreUpload, days=days, limit=limit, now=now)
