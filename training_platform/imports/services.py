"""The import pipeline's state changes, for any ``ImportKind`` and any concrete
``ImportJob``:

``upload_store`` (read, check, keep the file encrypted) → ``upload_preview`` (what the
preview page shows) → ``upload_confirm`` (run now, or queue for the background task)
→ ``upload_run`` (apply, record the summary, drop the file) → ``upload_error_rows``
(the bad rows as uploaded) → ``upload_cleanup`` (expire what never completed);
``upload_discard`` expires one upload at once (the uploader gave it up).
"""

import datetime as dt
import logging
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from training_platform import xlsx
from training_platform.imports.kinds import ImportKind, PlannedRow
from training_platform.imports.models import ImportJob, ImportStatus
from training_platform.imports.reading import nonblank
from training_platform.jobs import job_claim, job_enqueue, job_finish, job_progress
from training_platform.redact import scrub

logger = logging.getLogger(__name__)

# Files with more data rows than this are checked and imported in the background.
SYNC_ROW_LIMIT = 2000
# Rows read between two progress updates.
PROGRESS_EVERY = 500
# Uploads that never completed lose their file (personal data) after this many days.
UPLOAD_KEEP_DAYS = 7
# Everything but ``done`` (imported, file already deleted) and ``expired``.
UNFINISHED = frozenset(
    {
        ImportStatus.PREVIEWED,
        ImportStatus.QUEUED,
        ImportStatus.RUNNING,
        ImportStatus.REFUSED,
        ImportStatus.FAILED,
    }
)
PENDING = frozenset({ImportStatus.QUEUED, ImportStatus.RUNNING})
ERROR_COLUMN = "错误说明"


def upload_store(
    *, job: ImportJob, kind: ImportKind, file, sync_limit: int = SYNC_ROW_LIMIT
) -> ImportJob:
    """Read and check ``file`` (writing nothing), keep it encrypted in ``job``, save.

    ``job`` comes unsaved with its target, kind and uploader set. A file that cannot be
    read, or has no data row, raises ``ValidationError`` (nothing is saved). Files over
    ``sync_limit`` rows are checked by the background run instead.
    """
    skipped: list = []
    rows = nonblank(kind.read(file, skipped=skipped))
    if not rows:
        raise ValidationError(kind.empty_message, code="empty")
    if len(rows) <= sync_limit:
        summary = kind.check(target=job.target, rows=rows)
    else:  # checked by the background task on confirm
        summary = {"rows": len(rows), "errors": []}
    if skipped:  # e.g. the template's sample row, named on the preview
        summary["skipped"] = len(skipped)
    # The name shows which upload this was; an ID or phone number in it is masked.
    job.original_name = scrub(file.name or "")[:255]
    job.row_count = len(rows)
    job.set_summary(summary)
    file.seek(0)
    # Stored under a random name: the original one may carry a person's name.
    job.store_file(file)
    job.save()
    return job


def upload_preview(job: ImportJob, *, errors_shown: int) -> dict:
    """What the preview and result pages show: the summary, its first errors, counts."""
    summary = job.summary or {}
    errors = summary.get("errors") or []
    error_count = job.error_count
    return {
        "upload": job,
        "summary": summary,
        "errors": errors[:errors_shown],
        "error_count": error_count,
        "more_errors": error_count > errors_shown,
        "keep_days": UPLOAD_KEEP_DAYS,
        "done": job.status == ImportStatus.DONE,
        "pending": job.status in PENDING,
    }


# People listed on a preview page (the download has them all).
PEOPLE_SHOWN = 200
PEOPLE_HEADERS = ("行号", "姓名", "证件号码", "处理结果", "说明", "提示")


def upload_people(
    job: ImportJob, *, kind: ImportKind, sync_limit: int = SYNC_ROW_LIMIT
) -> list[PlannedRow] | None:
    """Who each row of a previewed upload is and what confirming would do to them,
    skipped rows (the template's sample row) included, in row order.

    Planned again from the stored file, writing nothing: the job row's summary never
    holds a name. ``None`` when there is nothing to list: the kind's plans do not say,
    the file is gone or unreadable, or it is checked only in the background.
    """
    if not job.file or job.row_count > sync_limit:
        return None
    skipped: list = []
    try:
        with job.open_file() as fileobj:
            rows = nonblank(kind.read(fileobj, skipped=skipped))
    except xlsx.XlsxRefused:
        return None
    people = kind.people(kind.plan(target=job.target, rows=rows))
    if people is None:
        return None
    people.extend(kind.skipped_row(number, cells) for number, cells in skipped)
    people.sort(key=lambda p: p.number)
    return people


def upload_people_xlsx(
    people: list[PlannedRow], *, kind: ImportKind, mask_who=None
) -> bytes:
    """The whole list of ``upload_people`` as xlsx (``mask_who``: the role's name mask)."""
    return xlsx.write_xlsx(
        list(PEOPLE_HEADERS),
        [
            [
                p.number,
                mask_who(p.who) if mask_who else p.who,
                p.ident,
                kind.outcome_label(p.outcome),
                p.detail,
                p.warning,
            ]
            for p in people
        ],
        sheet_title=f"{kind.noun}预览",
        text_columns={1, 2},
    )


def upload_confirm(
    *,
    job: ImportJob,
    kind: ImportKind,
    task,
    request=None,
    sync_limit: int = SYNC_ROW_LIMIT,
) -> str:
    """Import a previewed upload now, or queue it for ``task`` (``task.enqueue(pk)``).

    The row is re-read under its lock, so confirming twice imports once. The outcome:
    ``"done"`` (imported now, whatever the summary says), ``"queued"``, ``"errors"``
    (the preview found errors: nothing done) or ``"not_previewed"`` (already
    confirmed, or expired: nothing done).
    """
    with transaction.atomic():
        job.refresh_from_db(
            from_queryset=type(job)._default_manager.select_for_update()
        )
        if job.status != ImportStatus.PREVIEWED:
            return "not_previewed"
        if job.error_count:
            return "errors"
        if job.row_count <= sync_limit:
            job.status = ImportStatus.RUNNING
            upload_run(job=job, kind=kind, request=request)
            return "done"
        job.status = ImportStatus.QUEUED
        job.save(update_fields=["status"])
    # After the commit: the task claims the row only once it is queued.
    job_enqueue(type(job), job.pk, task)
    return "queued"


def upload_claim(queryset, pk) -> ImportJob | None:
    """The queued upload ``pk`` of ``queryset``, now ``running``, for the background
    run (``None``: already run, expired or gone: importing again is not wanted)."""
    if not job_claim(
        queryset.model,
        pk,
        from_status=ImportStatus.QUEUED,
        to_status=ImportStatus.RUNNING,
    ):
        return None
    return queryset.get(pk=pk)


def _counted(rows, job: ImportJob):
    """Pass ``rows`` on, writing how many were read to ``job.progress`` now and then."""
    model = type(job)
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007
        if count % PROGRESS_EVERY == 0:
            job_progress(model, job.pk, progress=count)
        yield row
    job_progress(model, job.pk, progress=count)


def upload_run(*, job: ImportJob, kind: ImportKind, request=None) -> ImportJob:
    """Import an upload's stored file (atomic, idempotent) and record the outcome.

    ``done`` deletes the file (personal data); ``refused`` keeps it so the error rows
    can be downloaded (until the cleanup expires it).
    """
    status = ImportStatus.FAILED
    try:
        # Streamed to the import. Not closed with ``with``: the copy is in memory,
        # and an import refused before reading leaves a generator that rewinds the
        # file when it is collected.
        fileobj = job.open_file()
        summary = kind.run(
            target=job.target,
            rows=_counted(kind.read(fileobj), job),
            actor=job.uploaded_by,
            request=request,
        )
        status = ImportStatus.REFUSED if summary["errors"] else ImportStatus.DONE
    except (xlsx.XlsxRefused, ValidationError) as exc:
        summary = {**job.summary, "message": "；".join(exc.messages)}
        status = ImportStatus.REFUSED
    except PermissionDenied as exc:  # e.g. no longer staff of the institution
        summary = {**job.summary, "message": str(exc) or "没有权限导入。"}
        status = ImportStatus.REFUSED
    except Exception:
        job_finish(type(job), job.pk, status=ImportStatus.FAILED)
        raise
    job.set_summary(summary)
    job.status = status
    job.finished_at = timezone.now()
    job.progress = summary.get("rows", job.row_count)
    fields = ["summary", "status", "finished_at", "progress"]
    if status == ImportStatus.DONE and job.file:
        job.file.delete(save=False)
        fields.append("file")
    job.save(update_fields=fields)
    return job


def upload_error_rows(*, job: ImportJob, kind: ImportKind) -> bytes | None:
    """Every row with an error as uploaded, plus an 错误说明 column (``None``: none,
    or the file is gone or unreadable).

    The summary keeps only the first errors of a huge file; then the stored file is
    checked again here, so the download still has every bad row.
    """
    if not job.error_count or not job.file:
        return None
    try:
        with job.open_file() as fileobj:
            rows = nonblank(kind.read(fileobj))
    except xlsx.XlsxRefused:
        return None
    errors = job.summary.get("errors") or []
    if job.errors_truncated:
        errors = kind.check(target=job.target, rows=rows)["errors"]
    by_row: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        text = error["message"]
        if error.get("column"):
            text = f"{error['column']}：{text}"
        by_row[error["row"]].append(text)
    whole_file = by_row.pop(0, [])  # e.g. the class no longer takes this import
    columns = kind.columns
    bad = [(n, cells) for n, cells in rows if whole_file or n in by_row]
    # Columns the file named itself (e.g. one per judge), in the file's order.
    fixed = {c.key for c in columns}
    extra = [k for k in dict.fromkeys(k for _n, c in bad for k in c) if k not in fixed]
    out = [
        [cells.get(c.key, "") for c in columns]
        + [cells.get(k, "") for k in extra]
        + ["；".join([*whole_file, *by_row.get(number, [])])]
        for number, cells in bad
    ]
    return xlsx.write_xlsx(
        [c.header for c in columns]
        + [kind.header_of(k) for k in extra]
        + [ERROR_COLUMN],
        out,
        sheet_title="错误行",
        text_columns={i for i, c in enumerate(columns) if c.key in kind.text_keys},
    )


def upload_discard(job: ImportJob) -> str:
    """Drop an upload that will not be imported: its file deleted (personal data),
    the job ``expired``. The row is re-read under its lock, so a confirm that got there
    first wins. The outcome: ``"discarded"``, ``"pending"`` (queued or running:
    nothing done) or ``"finished"`` (imported or expired already: nothing done).
    """
    with transaction.atomic():
        job.refresh_from_db(
            from_queryset=type(job)._default_manager.select_for_update()
        )
        if job.status in PENDING:
            return "pending"
        if job.status not in UNFINISHED:
            return "finished"
        name = job.file.name if job.file else ""
        job.status = ImportStatus.EXPIRED
        job.file = ""
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "file", "finished_at"])
        if name:  # a failed delete rolls the discard back
            type(job)._meta.get_field("file").storage.delete(name)
    return "discarded"


# Stale uploads expired, at most, each time a new one is stored (the commands do all).
CLEANUP_BATCH = 20


def upload_cleanup_some(model: type[ImportJob], *, limit: int = CLEANUP_BATCH) -> None:
    """Expire a few stale uploads of ``model`` as a new one is stored (screens and API);
    never let that get in the way of the new one."""
    try:
        upload_cleanup(model, limit=limit)
    except Exception:
        logger.exception("Expiring stale %s uploads failed", model._meta.model_name)


def upload_cleanup(
    model: type[ImportJob],
    *,
    days: int = UPLOAD_KEEP_DAYS,
    limit: int | None = None,
    now=None,
) -> int:
    """Delete the files of uploads older than ``days`` that never completed and mark
    them ``expired``; the number expired (at most ``limit``, oldest first)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    manager = model._default_manager
    stale = (
        manager.filter(created_at__lt=cutoff, status__in=UNFINISHED)
        .order_by("created_at", "pk")
        .values_list("pk", "status", "file")
    )
    if limit is not None:
        stale = stale[:limit]
    storage = model._meta.get_field("file").storage
    expired = 0
    for pk, status, name in list(stale):
        with transaction.atomic():
            # Claim the row as it was read: a confirm that locked it first wins, and
            # a failed delete rolls the claim back, to be retried next time.
            claimed = manager.filter(pk=pk, status=status).update(
                status=ImportStatus.EXPIRED, file="", finished_at=now
            )
            if not claimed:
                continue
            if name:
                storage.delete(name)
        expired += 1
    if expired:
        logger.info("Expired %d unfinished uploads older than %d days", expired, days)
    return expired
