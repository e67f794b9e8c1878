"""花名册导入 in the back-office: upload → preview → confirm, for institution staff.

The class is found through ``access`` (404 outside the user's scope); only staff of the
class's institution may upload, confirm or download error rows (403 for everyone else
who can see the class). Files over ``SYNC_ROW_LIMIT`` data rows are imported by a
background task; the result page refreshes itself while it runs.

Personal data (PIPL): the stored file is deleted after a successful import; pages show
row numbers, counts and messages only. The error-rows download carries the rows as the
user uploaded them, to that institution's staff only.
"""

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.admin_views import inspect_url, is_class_staff
from courses.models import RosterUpload, RosterUploadStatus, TrainingClass
from courses.roster import (
    COLUMNS,
    ROSTER_CLASS_STATUSES,
    read_roster,
    roster_plan,
    roster_template,
)
from courses.tasks import roster_import_task, run_roster_upload
from training_platform import access, xlsx

# Files with more data rows than this are checked and imported in the background.
SYNC_ROW_LIMIT = 2000
# Errors listed on the preview and result pages (the download has them all).
ERRORS_SHOWN = 50
ERROR_COLUMN = "错误说明"
PENDING = frozenset({RosterUploadStatus.QUEUED, RosterUploadStatus.RUNNING})


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="花名册文件（.xlsx）",
        help_text="请使用下载的花名册模板填写。",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = xlsx.DEFAULT_LIMITS.max_bytes
        if upload.size > limit:
            raise forms.ValidationError(
                f"文件太大，上限为 {limit // 1024 // 1024} MB。请拆分后分批上传。"
            )
        return upload


# --- lookups -------------------------------------------------------------------------


def _class(request, pk) -> TrainingClass:
    return access.get_visible_or_404(
        request.user, TrainingClass.objects.select_related("course"), pk=pk
    )


def _staff_class(request, pk) -> TrainingClass:
    """The class, if visible (else 404), and only for its institution's staff (else 403)."""
    training_class = _class(request, pk)
    if not is_class_staff(request.user, training_class):
        raise PermissionDenied("只有本机构的工作人员可以导入花名册。")
    return training_class


def _upload(training_class, upload_id, *, lock=False) -> RosterUpload:
    queryset = RosterUpload.objects.filter(training_class=training_class)
    if lock:
        queryset = queryset.select_for_update()
    upload = get_object_or_404(queryset, pk=upload_id)
    upload.training_class = training_class
    return upload


def _url(name, upload) -> str:
    return reverse(name, args=[upload.training_class_id, upload.pk])


def _nonblank(rows):
    return [(n, cells) for n, cells in rows if any(cells.values())]


# --- views ---------------------------------------------------------------------------


@require_GET
def roster_template_download(request, pk):
    """下载花名册模板 (no personal data: anyone who can see the class)."""
    training_class = _class(request, pk)
    return xlsx.xlsx_response(
        roster_template(training_class), f"{training_class.code}-花名册模板.xlsx"
    )


@never_cache
@require_http_methods(["GET", "POST"])
def roster_upload(request, pk):
    """导入花名册: read and check the file, keep it, show the preview."""
    training_class = _staff_class(request, pk)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = _read_and_keep(request, training_class, form)
        if upload is not None:
            return redirect(_url("courses_roster_preview", upload))
    return TemplateResponse(
        request,
        "courses/admin/roster_upload.html",
        {
            "training_class": training_class,
            "form": form,
            "accepts_roster": training_class.status in ROSTER_CLASS_STATUSES,
            "inspect_url": inspect_url(training_class),
            "template_url": reverse(
                "courses_class_roster_template", args=[training_class.pk]
            ),
            "sync_row_limit": SYNC_ROW_LIMIT,
        },
    )


def _read_and_keep(request, training_class, form) -> RosterUpload | None:
    """The saved upload with its dry-run summary, or ``None`` with the form's error."""
    file = form.cleaned_data["file"]
    try:
        rows = _nonblank(read_roster(file))
    except xlsx.XlsxRefused as exc:
        form.add_error("file", exc.messages)
        return None
    if not rows:
        form.add_error("file", "花名册中没有学员数据，请在表头下方逐行填写后再上传。")
        return None
    if len(rows) <= SYNC_ROW_LIMIT:
        summary = roster_plan(training_class=training_class, rows=rows).summary()
    else:  # checked by the background task on confirm
        summary = {"rows": len(rows), "errors": []}
    upload = RosterUpload(
        training_class=training_class,
        uploaded_by=request.user,
        original_name=(file.name or "")[:255],
        row_count=len(rows),
        summary=summary,
    )
    file.seek(0)
    # Stored under a random name: the original one may carry a person's name.
    upload.store_file(file)
    upload.save()
    return upload


@never_cache
@require_GET
def roster_preview(request, pk, upload_id):
    """预览: counts and the first errors; confirm only when there is no error."""
    training_class = _staff_class(request, pk)
    upload = _upload(training_class, upload_id)
    if upload.status != RosterUploadStatus.PREVIEWED:
        return redirect(_url("courses_roster_result", upload))
    return TemplateResponse(
        request,
        "courses/admin/roster_preview.html",
        _page_context(upload) | {"background": upload.row_count > SYNC_ROW_LIMIT},
    )


@require_POST
def roster_confirm(request, pk, upload_id):
    """确认导入: import now, or queue a large file; confirming again changes nothing."""
    training_class = _staff_class(request, pk)
    enqueue = False
    with transaction.atomic():
        upload = _upload(training_class, upload_id, lock=True)
        if upload.status != RosterUploadStatus.PREVIEWED:
            return redirect(_url("courses_roster_result", upload))
        if upload.summary.get("errors"):
            messages.error(request, "花名册有错误，请改正后重新上传。")
            return redirect(_url("courses_roster_preview", upload))
        if upload.row_count > SYNC_ROW_LIMIT:
            upload.status = RosterUploadStatus.QUEUED
            upload.save(update_fields=["status"])
            enqueue = True
        else:
            upload.status = RosterUploadStatus.RUNNING
            run_roster_upload(upload, request=request)
    if enqueue:
        result = roster_import_task.enqueue(upload.pk)
        RosterUpload.objects.filter(pk=upload.pk).update(task_id=str(result.id))
    return redirect(_url("courses_roster_result", upload))


@never_cache
@require_GET
def roster_result(request, pk, upload_id):
    """导入结果: a progress bar that refreshes while the task runs, then the counts."""
    training_class = _staff_class(request, pk)
    upload = _upload(training_class, upload_id)
    if upload.status == RosterUploadStatus.PREVIEWED:
        return redirect(_url("courses_roster_preview", upload))
    return TemplateResponse(
        request,
        "courses/admin/roster_result.html",
        _page_context(upload) | {"pending": upload.status in PENDING},
    )


@require_GET
def roster_error_rows(request, pk, upload_id):
    """下载错误行: the rows with errors as uploaded, plus an 错误说明 column."""
    training_class = _staff_class(request, pk)
    upload = _upload(training_class, upload_id)
    errors = upload.summary.get("errors") or []
    if not errors or not upload.file:
        raise Http404
    by_row: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        text = error["message"]
        if error.get("column"):
            text = f"{error['column']}：{text}"
        by_row[error["row"]].append(text)
    whole_file = by_row.pop(0, [])  # e.g. the class no longer takes a roster
    try:
        with upload.open_file() as fileobj:
            rows = _nonblank(read_roster(fileobj))
    except xlsx.XlsxRefused:
        raise Http404 from None
    out = [
        [cells.get(c.key, "") for c in COLUMNS]
        + ["；".join([*whole_file, *by_row.get(number, [])])]
        for number, cells in rows
        if whole_file or number in by_row
    ]
    index = {c.key: i for i, c in enumerate(COLUMNS)}
    content = xlsx.write_xlsx(
        [c.header for c in COLUMNS] + [ERROR_COLUMN],
        out,
        sheet_title="错误行",
        text_columns={index["id_number"], index["phone"]},
    )
    return xlsx.xlsx_response(content, f"{training_class.code}-花名册错误行.xlsx")


def _page_context(upload) -> dict:
    summary = upload.summary or {}
    errors = summary.get("errors") or []
    cls = upload.training_class
    return {
        "training_class": cls,
        "upload": upload,
        "summary": summary,
        "errors": errors[:ERRORS_SHOWN],
        "error_count": len(errors),
        "more_errors": len(errors) > ERRORS_SHOWN,
        "inspect_url": inspect_url(cls),
        "upload_url": reverse("courses_class_roster_upload", args=[cls.pk]),
        "confirm_url": _url("courses_roster_confirm", upload),
        "errors_url": _url("courses_roster_errors", upload)
        if errors and upload.file
        else "",
    }
