"""成绩表导入 in the back-office: template → upload → preview → confirm → result, for
the bureau over the competition and its organisers (``policies.may_manage``).

The event is found among those the user may change (``access.changeable``: another
region's bureau, or the organiser of another competition, get 404). Storing, checking,
confirming and importing are the pipeline's services (``training_platform.imports``);
files over ``SYNC_ROW_LIMIT`` rows are imported by ``score_tasks.score_import_task``
while the result page refreshes itself.

Personal data (PIPL): the preview names people masked (``pii.mask_name``), the job row
holds counts and row-numbered messages only, the stored file is deleted once imported
(or after ``UPLOAD_KEEP_DAYS``).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from certificates.admin_views import denied
from competitions import policies
from competitions.models import Event, ScoreUpload
from competitions.score_import import SCORES, score_template
from competitions.score_tasks import score_import_task
from competitions.scoring import scores_editable
from training_platform import access, xlsx
from training_platform.errors import error_text
from training_platform.imports import services as imports
from training_platform.imports.forms import ImportFileForm
from training_platform.imports.models import ImportStatus
from training_platform.imports.views import counts_context, people_context

SYNC_ROW_LIMIT = imports.SYNC_ROW_LIMIT
ERRORS_SHOWN = 50
PREFIX = "scores"
DENIED = "只有本竞赛的组织人员和主管人社部门可以导入成绩。"


def _event(request, event_pk) -> Event:
    """The event, if the user may change it (else 404), and manages it (else 403)."""
    queryset = access.changeable(
        request.user, Event.objects.select_related("competition")
    )
    return get_object_or_404(queryset, pk=event_pk)


def _upload(event, upload_id) -> ScoreUpload:
    upload = get_object_or_404(ScoreUpload.objects.filter(event=event), pk=upload_id)
    upload.event = event
    return upload


def event_url(event) -> str:
    """The competition's hub page (``competitions:detail``), or the admin home."""
    try:
        return reverse("competitions:detail", args=[event.competition_id])
    except NoReverseMatch:
        return "/admin/"


def _url(step: str, upload: ScoreUpload) -> str:
    return reverse(
        f"competitions:score_import_{step}", args=[upload.event_id, upload.pk]
    )


def _common(event) -> dict:
    return {
        "event": event,
        "competition": event.competition,
        "back_url": event_url(event),
        "prefix": PREFIX,
        "noun": SCORES.noun,
        "upload_url": reverse("competitions:score_import", args=[event.pk]),
        "template_url": reverse("competitions:score_import_template", args=[event.pk]),
        "scores_url": reverse("competitions:scores", args=[event.pk]),
    }


def _manager_only(request, event):
    if not policies.may_manage(request.user, event.competition):
        return denied(request, DENIED, back_url=event_url(event))
    return None


@require_GET
def template_view(request, event_pk):
    """下载成绩表模板: the event's entry numbers and the marks typed so far."""
    event = _event(request, event_pk)
    if refused := _manager_only(request, event):
        return refused
    return xlsx.xlsx_response(
        score_template(event), f"{event.competition.name}-{event.name}-成绩表.xlsx"
    )


@never_cache
@require_http_methods(["GET", "POST"])
def upload_view(request, event_pk):
    """导入成绩表: read and check the file, keep it, show the preview."""
    event = _event(request, event_pk)
    if refused := _manager_only(request, event):
        return refused
    editable = scores_editable(event.competition)
    form = ImportFileForm(request.POST or None, request.FILES or None)
    form.fields["file"].label = "成绩表文件（.xlsx）"
    if request.method == "POST" and form.is_valid():
        upload = ScoreUpload(event=event, uploaded_by=request.user)
        try:
            imports.upload_store(
                job=upload,
                kind=SCORES,
                file=form.cleaned_data["file"],
                sync_limit=SYNC_ROW_LIMIT,
            )
        except ValidationError as exc:  # XlsxRefused included
            form.add_error("file", error_text(exc))
        else:
            imports.upload_cleanup_some(ScoreUpload)
            return redirect(_url("preview", upload))
    return TemplateResponse(
        request,
        "competitions/score_import/upload.html",
        _common(event)
        | {
            "form": form,
            "editable": editable,
            "sync_row_limit": SYNC_ROW_LIMIT,
        },
    )


def _counts(summary: dict, done: bool) -> list[tuple[str, str, int]]:
    if "updated" not in summary:  # a large file, not checked yet
        return []
    return [
        ("updated", "本次更新" if done else "将更新", summary["updated"]),
        ("unchanged", "无需修改", summary["unchanged"]),
    ]


def _page_context(upload: ScoreUpload) -> dict:
    page = imports.upload_preview(upload, errors_shown=ERRORS_SHOWN)
    return (
        page
        | _common(upload.event)
        | {
            "counts": counts_context(
                _counts(page["summary"], page["done"]),
                summary=page["summary"],
                prefix=PREFIX,
            ),
            "confirm_url": _url("confirm", upload),
            "errors_url": _url("errors", upload)
            if page["error_count"] and upload.file
            else "",
        }
    )


@never_cache
@require_GET
def preview_view(request, event_pk, upload_id):
    """预览: row errors with row numbers, who each row is and what changes."""
    event = _event(request, event_pk)
    if refused := _manager_only(request, event):
        return refused
    upload = _upload(event, upload_id)
    if upload.status != ImportStatus.PREVIEWED:
        return redirect(_url("result", upload))
    people = imports.upload_people(upload, kind=SCORES, sync_limit=SYNC_ROW_LIMIT)
    return TemplateResponse(
        request,
        "competitions/score_import/preview.html",
        _page_context(upload)
        | {"background": upload.row_count > SYNC_ROW_LIMIT}
        | people_context(people, kind=SCORES, url=_url("people", upload))
        | {"who_header": "选手（队）", "ident_header": "参赛编号"},
    )


@never_cache
@require_GET
def people_view(request, event_pk, upload_id):
    """下载预览名单: every row with what will happen to it (names masked)."""
    event = _event(request, event_pk)
    if refused := _manager_only(request, event):
        return refused
    upload = _upload(event, upload_id)
    if upload.status != ImportStatus.PREVIEWED:
        raise Http404
    people = imports.upload_people(upload, kind=SCORES, sync_limit=SYNC_ROW_LIMIT)
    if people is None:
        raise Http404
    return xlsx.xlsx_response(
        imports.upload_people_xlsx(people, kind=SCORES),
        f"{event.name}-成绩表预览名单.xlsx",
    )


@require_POST
def confirm_view(request, event_pk, upload_id):
    """确认导入: import now, or queue a large file; confirming again changes nothing."""
    event = _event(request, event_pk)
    if refused := _manager_only(request, event):
        return refused
    upload = _upload(event, upload_id)
    outcome = imports.upload_confirm(
        job=upload,
        kind=SCORES,
        task=score_import_task,
        request=request,
        sync_limit=SYNC_ROW_LIMIT,
    )
    if outcome == "errors":
        messages.error(request, "文件有错误，请改正后重新上传。")
        return redirect(_url("preview", upload))
    return redirect(_url("result", upload))


@never_cache
@require_GET
def result_view(request, event_pk, upload_id):
    """导入结果: progress while the task runs, then the counts and messages."""
    event = _event(request, event_pk)
    if refused := _manager_only(request, event):
        return refused
    upload = _upload(event, upload_id)
    if upload.status == ImportStatus.PREVIEWED:
        return redirect(_url("preview", upload))
    return TemplateResponse(
        request, "competitions/score_import/result.html", _page_context(upload)
    )


@require_GET
def error_rows_view(request, event_pk, upload_id):
    """下载错误行: every row with an error as uploaded, plus an 错误说明 column."""
    event = _event(request, event_pk)
    if refused := _manager_only(request, event):
        return refused
    upload = _upload(event, upload_id)
    content = imports.upload_error_rows(job=upload, kind=SCORES)
    if content is None:
        raise Http404
    return xlsx.xlsx_response(content, f"{event.name}-成绩表错误行.xlsx")


urlpatterns = [
    path("events/<int:event_pk>/scores/import/", upload_view, name="score_import"),
    path(
        "events/<int:event_pk>/scores/import/template/",
        template_view,
        name="score_import_template",
    ),
    path(
        "events/<int:event_pk>/scores/import/<int:upload_id>/",
        preview_view,
        name="score_import_preview",
    ),
    path(
        "events/<int:event_pk>/scores/import/<int:upload_id>/confirm/",
        confirm_view,
        name="score_import_confirm",
    ),
    path(
        "events/<int:event_pk>/scores/import/<int:upload_id>/result/",
        result_view,
        name="score_import_result",
    ),
    path(
        "events/<int:event_pk>/scores/import/<int:upload_id>/people/",
        people_view,
        name="score_import_people",
    ),
    path(
        "events/<int:event_pk>/scores/import/<int:upload_id>/errors/",
        error_rows_view,
        name="score_import_errors",
    ),
]
