"""Imports in the back-office: upload → preview → confirm, for institution staff.

One set of views serves both imports of a class, each described by an ``ImportScreen``:
花名册 (``ROSTER_IMPORT``) and 出勤和考核结果 (``RESULTS_IMPORT``); ``import_urls`` gives
each its URLs. Storing, checking, confirming and importing are the pipeline's services
(``training_platform.imports.services``), for the kind in ``courses.tasks.KINDS``.

The class is found through ``access`` (404 outside the user's scope); only staff of the
class's institution may upload, confirm or download error rows (403 for everyone else
who can see the class). Files over ``SYNC_ROW_LIMIT`` data rows are imported by a
background task; the result page refreshes itself while it runs.

Personal data (PIPL): the stored file is deleted after a successful import, and after
``UPLOAD_KEEP_DAYS`` when it never got there. The preview lists who each row is and
what will happen to them (``imports.upload_people``: planned again from the stored
file, so the job row never holds a name): names as the class's staff see them on the
class and results pages (in full: only they reach these pages), ID numbers always
masked (``pii.mask_id_number``); the first ``PEOPLE_SHOWN`` on the page, all of them in
the xlsx download. The result page shows counts and messages only. The error-rows
download carries the rows as the user uploaded them, to that institution's staff only.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.admin_views import inspect_url
from courses.models import ImportUpload, TrainingClass
from courses.policies import is_class_staff
from courses.results_import import (
    RESULTS_CLASS_STATUSES,
    RESULTS_IMPORT,
    results_template,
)
from courses.roster import ROSTER_CLASS_STATUSES, ROSTER_IMPORT, roster_template
from courses.tasks import upload_import_task
from training_platform import access, xlsx
from training_platform.imports import services as imports
from training_platform.imports.forms import ImportFileForm
from training_platform.imports.kinds import ImportKind
from training_platform.imports.models import ImportStatus
from training_platform.imports.views import counts_context, people_context

# Files with more data rows than this are checked and imported in the background.
SYNC_ROW_LIMIT = imports.SYNC_ROW_LIMIT
# Errors listed on the preview and result pages (the download has them all).
ERRORS_SHOWN = 50
# People listed on the preview page (the download has them all).
PEOPLE_SHOWN = imports.PEOPLE_SHOWN
# Stale uploads expired, at most, each time a new one is stored (the command does all).
CLEANUP_BATCH = imports.CLEANUP_BATCH


@dataclass(frozen=True)
class ImportScreen:
    """What differs between the imports of a class; the views are the same."""

    kind: ImportKind
    prefix: str  # in URL paths and names, and in element ids
    class_statuses: frozenset
    closed_note: str
    template_label: str
    intro: str  # after the template link
    template_suffix: str
    template_staff_only: bool  # the template carries personal data
    template: Callable  # (training_class, user) → xlsx bytes
    counts: Callable  # (summary, done) → [(key, label, value)]

    @property
    def noun(self) -> str:
        return self.kind.noun

    def url(self, step: str, upload: ImportUpload) -> str:
        return reverse(
            f"courses_{self.prefix}_{step}", args=[upload.training_class_id, upload.pk]
        )

    def class_url(self, step: str, training_class) -> str:
        return reverse(f"courses_class_{self.prefix}_{step}", args=[training_class.pk])


def _roster_counts(summary, done):
    if "created_trainees" not in summary:  # a large file, not checked yet
        return []
    return [
        ("created", "新建学员", summary["created_trainees"]),
        ("matched", "已有学员", summary["matched_trainees"]),
        ("enrolled", "本次报名" if done else "将报名", summary["enrolled"]),
        ("already", "已在班中", summary["already_enrolled"]),
    ]


def _results_counts(summary, done):
    if "updated" not in summary:
        return []
    return [
        ("updated", "本次更新" if done else "将更新", summary["updated"]),
        ("unchanged", "无需修改", summary["unchanged"]),
    ]


ROSTER_IMPORT = ImportScreen(
    kind=ROSTER_IMPORT,
    prefix="roster",
    class_statuses=ROSTER_CLASS_STATUSES,
    closed_note="只有已批准、报名中或培训中的培训班可以导入花名册。",
    template_label="下载花名册模板",
    intro="，按表头逐行填写后上传。",
    template_suffix="花名册模板",
    template_staff_only=False,
    template=lambda training_class, user: roster_template(training_class),
    counts=_roster_counts,
)
RESULTS_IMPORT = ImportScreen(
    kind=RESULTS_IMPORT,
    prefix="results",
    class_statuses=RESULTS_CLASS_STATUSES,
    closed_note="培训班开班后才能导入出勤和考核结果。",
    template_label="下载本班的出勤和考核表",
    intro=(
        "（已列出在读学员和已录入的结果），填写出勤课时、考核成绩或考核结果后上传；"
        "留空的单元格不作修改。"
    ),
    template_suffix="出勤和考核表",
    template_staff_only=True,
    template=lambda training_class, user: results_template(training_class, actor=user),
    counts=_results_counts,
)


class UploadForm(ImportFileForm):
    def __init__(self, *args, screen: ImportScreen, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = f"{screen.noun}文件（.xlsx）"


# --- lookups -------------------------------------------------------------------------


def _class(request, pk) -> TrainingClass:
    return access.get_visible_or_404(
        request.user, TrainingClass.objects.select_related("course"), pk=pk
    )


def _staff_class(request, pk, screen: ImportScreen) -> TrainingClass:
    """The class, if visible (else 404), and only for its institution's staff (else 403)."""
    training_class = _class(request, pk)
    if not is_class_staff(request.user, training_class):
        raise PermissionDenied(f"只有本机构的工作人员可以导入{screen.noun}。")
    return training_class


def _upload(training_class, upload_id, screen: ImportScreen):
    queryset = ImportUpload.objects.filter(
        training_class=training_class, kind=screen.kind.key
    )
    upload = get_object_or_404(queryset, pk=upload_id)
    upload.training_class = training_class
    return upload


# --- views ---------------------------------------------------------------------------


@require_GET
def template_download(request, pk, *, screen: ImportScreen):
    """下载模板 (the roster's has no personal data: anyone who can see the class)."""
    if screen.template_staff_only:
        training_class = _staff_class(request, pk, screen)
    else:
        training_class = _class(request, pk)
    return xlsx.xlsx_response(
        screen.template(training_class, request.user),
        f"{training_class.code}-{screen.template_suffix}.xlsx",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def upload_view(request, pk, *, screen: ImportScreen):
    """导入: read and check the file, keep it, show the preview."""
    training_class = _staff_class(request, pk, screen)
    form = UploadForm(request.POST or None, request.FILES or None, screen=screen)
    if request.method == "POST" and form.is_valid():
        upload = _read_and_keep(request, training_class, form, screen)
        if upload is not None:
            return redirect(screen.url("preview", upload))
    return TemplateResponse(
        request,
        "courses/admin/import_upload.html",
        {
            "screen": screen,
            "training_class": training_class,
            "form": form,
            "accepts_upload": training_class.status in screen.class_statuses,
            "inspect_url": inspect_url(training_class),
            "template_url": screen.class_url("template", training_class),
            "sync_row_limit": SYNC_ROW_LIMIT,
        },
    )


def _read_and_keep(request, training_class, form, screen) -> ImportUpload | None:
    """The saved upload with its dry-run summary, or ``None`` with the form's error."""
    upload = ImportUpload(
        training_class=training_class,
        kind=screen.kind.key,
        uploaded_by=request.user,
    )
    try:
        imports.upload_store(
            job=upload,
            kind=screen.kind,
            file=form.cleaned_data["file"],
            sync_limit=SYNC_ROW_LIMIT,
        )
    except ValidationError as exc:
        form.add_error("file", exc.messages)
        return None
    imports.upload_cleanup_some(ImportUpload, limit=CLEANUP_BATCH)
    return upload


@never_cache
@require_GET
def preview_view(request, pk, upload_id, *, screen: ImportScreen):
    """预览: counts and the first errors; confirm only when there is no error."""
    training_class = _staff_class(request, pk, screen)
    upload = _upload(training_class, upload_id, screen)
    if upload.status != ImportStatus.PREVIEWED:
        return redirect(screen.url("result", upload))
    people = imports.upload_people(upload, kind=screen.kind, sync_limit=SYNC_ROW_LIMIT)
    return TemplateResponse(
        request,
        "courses/admin/import_preview.html",
        _page_context(upload, screen)
        | {"background": upload.row_count > SYNC_ROW_LIMIT}
        | _people_context(people, upload, screen),
    )


def _people_context(people, upload, screen: ImportScreen) -> dict:
    return people_context(
        people,
        kind=screen.kind,
        url=screen.url("people", upload),
        shown=PEOPLE_SHOWN,
    )


@never_cache
@require_GET
def people_view(request, pk, upload_id, *, screen: ImportScreen):
    """下载预览名单: every row of a previewed upload with what will happen to it."""
    training_class = _staff_class(request, pk, screen)
    upload = _upload(training_class, upload_id, screen)
    if upload.status != ImportStatus.PREVIEWED:
        raise Http404
    people = imports.upload_people(upload, kind=screen.kind, sync_limit=SYNC_ROW_LIMIT)
    if people is None:
        raise Http404
    return xlsx.xlsx_response(
        imports.upload_people_xlsx(people, kind=screen.kind),
        f"{training_class.code}-{screen.noun}预览名单.xlsx",
    )


@require_POST
def confirm_view(request, pk, upload_id, *, screen: ImportScreen):
    """确认导入: import now, or queue a large file; confirming again changes nothing."""
    training_class = _staff_class(request, pk, screen)
    upload = _upload(training_class, upload_id, screen)
    outcome = imports.upload_confirm(
        job=upload,
        kind=screen.kind,
        task=upload_import_task,
        request=request,
        sync_limit=SYNC_ROW_LIMIT,
    )
    if outcome == "errors":
        messages.error(request, "文件有错误，请改正后重新上传。")
        return redirect(screen.url("preview", upload))
    return redirect(screen.url("result", upload))


@never_cache
@require_GET
def result_view(request, pk, upload_id, *, screen: ImportScreen):
    """导入结果: a progress bar that refreshes while the task runs, then the counts."""
    training_class = _staff_class(request, pk, screen)
    upload = _upload(training_class, upload_id, screen)
    if upload.status == ImportStatus.PREVIEWED:
        return redirect(screen.url("preview", upload))
    return TemplateResponse(
        request, "courses/admin/import_result.html", _page_context(upload, screen)
    )


@require_GET
def error_rows_view(request, pk, upload_id, *, screen: ImportScreen):
    """下载错误行: every row with an error as uploaded, plus an 错误说明 column.

    The summary keeps only the first errors of a huge file; then the stored file is
    checked again here, so the download still has every bad row.
    """
    training_class = _staff_class(request, pk, screen)
    upload = _upload(training_class, upload_id, screen)
    content = imports.upload_error_rows(job=upload, kind=screen.kind)
    if content is None:
        raise Http404
    return xlsx.xlsx_response(
        content, f"{training_class.code}-{screen.noun}错误行.xlsx"
    )


def _page_context(upload, screen: ImportScreen) -> dict:
    page = imports.upload_preview(upload, errors_shown=ERRORS_SHOWN)
    cls = upload.training_class
    summary = page["summary"]
    counts = counts_context(
        screen.counts(summary, page["done"]), summary=summary, prefix=screen.prefix
    )
    if summary.get("warnings") and not page["done"]:
        counts.append(
            {
                "id": f"{screen.prefix}-warnings",
                "label": "成绩与考核结果不一致（请核对）",
                "value": summary["warnings"],
            }
        )
    return page | {
        "screen": screen,
        "training_class": cls,
        "counts": counts,
        "inspect_url": inspect_url(cls),
        "upload_url": screen.class_url("upload", cls),
        "confirm_url": screen.url("confirm", upload),
        "errors_url": screen.url("errors", upload)
        if page["error_count"] and upload.file
        else "",
    }


def import_urls(screen: ImportScreen) -> list:
    """The admin URLs of one import (registered by ``wagtail_hooks``)."""
    base = f"courses/class/<int:pk>/{screen.prefix}"
    kwargs = {"screen": screen}
    return [
        path(
            f"{base}/template/",
            template_download,
            kwargs,
            name=f"courses_class_{screen.prefix}_template",
        ),
        path(
            f"{base}/upload/",
            upload_view,
            kwargs,
            name=f"courses_class_{screen.prefix}_upload",
        ),
        path(
            f"{base}/<int:upload_id>/",
            preview_view,
            kwargs,
            name=f"courses_{screen.prefix}_preview",
        ),
        path(
            f"{base}/<int:upload_id>/confirm/",
            confirm_view,
            kwargs,
            name=f"courses_{screen.prefix}_confirm",
        ),
        path(
            f"{base}/<int:upload_id>/result/",
            result_view,
            kwargs,
            name=f"courses_{screen.prefix}_result",
        ),
        path(
            f"{base}/<int:upload_id>/people/",
            people_view,
            kwargs,
            name=f"courses_{screen.prefix}_people",
        ),
        path(
            f"{base}/<int:upload_id>/errors/",
            error_rows_view,
            kwargs,
            name=f"courses_{screen.prefix}_errors",
        ),
    ]
