"""Rows that track background work (an import, a certificate batch): claim, progress,
finish.

Every step is one conditional ``UPDATE`` on the job's row, so a page polling the row sees
it at once and two workers never run the same job: ``job_claim`` moves the row from one
status to the next only if it is still in the first, and says whether it did.
"""

from django.db.models import Model
from django.utils import timezone


def job_claim(model: type[Model], pk, *, from_status: str, to_status: str) -> bool:
    """Move job ``pk`` from ``from_status`` to ``to_status``; whether this call did."""
    return bool(
        model._default_manager.filter(pk=pk, status=from_status).update(
            status=to_status
        )
    )


def job_progress(model: type[Model], pk, **counts) -> None:
    """Write progress counters (e.g. ``progress=``, ``done=``, ``total=``) to the row."""
    model._default_manager.filter(pk=pk).update(**counts)


def job_finish(model: type[Model], pk, *, status: str, **fields) -> None:
    """End the job with ``status`` (and e.g. its ``summary``), stamped ``finished_at``."""
    model._default_manager.filter(pk=pk).update(
        status=status, finished_at=timezone.now(), **fields
    )


def job_enqueue(model: type[Model], pk, task, *args) -> None:
    """Queue ``task(pk, *args)`` for job ``pk`` and note the task's id on the row.

    Call it once the row is committed as queued: the task claims it with ``job_claim``.
    """
    result = task.enqueue(pk, *args)
    model._default_manager.filter(pk=pk).update(task_id=str(result.id))


def job_percent(done: int, total: int) -> int:
    """Progress as a whole percentage for a progress bar (100 when there is nothing)."""
    return 100 if not total else min(100, done * 100 // total)
