"""认定结果导入 in the back-office: template → upload → preview → confirm → result.

For staff of an evaluation organisation filed to evaluate at least one occupation
(403 for everyone else); an upload is found only among the user's own organisations'
uploads (404 otherwise). Storing, checking, confirming and issuing are the pipeline's
services (``training_platform.imports.services``) for ``EVALUATION_IMPORT``.

Personal data (PIPL): the preview lists each person by the name the evaluator typed
and the masked ID number, read again from the encrypted file; the file is deleted once
the certificates are issued, and after 7 days when it never got there.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bases.models import TrainingInstitution
from certificates import services
from certificates.admin_views import denied
from certificates.evaluation_import import EVALUATION_IMPORT, evaluation_template
from certificates.models import EvaluationUpload
from certificates.tasks import evaluation_import_task
from training_platform import xlsx
from training_platform.imports import services as imports
from training_platform.imports.forms import ImportFileForm
from training_platform.imports.models import ImportStatus

# Files up to this many rows are checked (and previewed person by person) at upload.
CHECK_ROW_LIMIT = imports.SYNC_ROW_LIMIT
# Each row is one call of the issuing service: larger files are issued in the background.
ISSUE_SYNC_LIMIT = 200
ERRORS_SHOWN = 50
DENIED = "只有已备案评价资格的评价机构的工作人员可以导入认定结果。"


def filed_organisations(user) -> list[TrainingInstitution]:
    """The user's evaluation organisations filed to evaluate something (one query)."""
    ids = services.evaluator_organisations(user)
    if not ids:
        return []
    return list(
        TrainingInstitution.objects.filter(pk__in=ids, filings__can_evaluate=True)
        .distinct()
        .order_by("name")
    )


class EvaluationUploadForm(ImportFileForm):
    field_order = ["organisation", "file"]

    organisation = forms.ModelChoiceField(
        label="评价机构",
        queryset=TrainingInstitution.objects.none(),
        empty_label=None,
        error_messages={
            "required": "请选择评价机构。",
            "invalid_choice": "请从列表中选择评价机构。",
        },
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = "认定结果文件（.xlsx）"
        field = self.fields["organisation"]
        field.queryset = TrainingInstitution.objects.filter(
            pk__in=[o.pk for o in organisations]
        ).order_by("name")
        self.only = organisations[0] if len(organisations) == 1 else None
        if self.only is not None:  # nothing to choose
            field.initial = self.only.pk
            field.required = False
            field.widget = forms.HiddenInput()

    def clean_organisation(self):
        return self.cleaned_data.get("organisation") or self.only


def _upload(request, upload_id) -> EvaluationUpload:
    """The upload, among the user's own organisations' (404 otherwise)."""
    ids = services.evaluator_organisations(request.user)
    return get_object_or_404(
        EvaluationUpload.objects.select_related("organisation"),
        pk=upload_id,
        organisation_id__in=ids,
    )


def url(step: str, upload: EvaluationUpload) -> str:
    return reverse(f"certificates_evaluation_{step}", args=[upload.pk])


@require_GET
def template_view(request):
    """下载认定结果模板 (no personal data; the sample row is skipped on import)."""
    organisations = filed_organisations(request.user)
    if not organisations:
        return denied(request, DENIED)
    return xlsx.xlsx_response(
        evaluation_template(organisations[0]), "认定结果导入模板.xlsx"
    )


@never_cache
@require_http_methods(["GET", "POST"])
def upload_view(request):
    """导入认定结果: read and check the file, keep it, show the preview."""
    organisations = filed_organisations(request.user)
    if not organisations:
        return denied(request, DENIED, back_url=reverse("certificates_evaluate"))
    form = EvaluationUploadForm(
        request.POST or None, request.FILES or None, organisations=organisations
    )
    if request.method == "POST" and form.is_valid():
        upload = EvaluationUpload(
            organisation=form.cleaned_data["organisation"], uploaded_by=request.user
        )
        try:
            imports.upload_store(
                job=upload,
                kind=EVALUATION_IMPORT,
                file=form.cleaned_data["file"],
                sync_limit=CHECK_ROW_LIMIT,
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            imports.upload_cleanup_some(EvaluationUpload)
            return redirect(url("preview", upload))
    return TemplateResponse(
        request,
        "certificates/admin/evaluation_import_upload.html",
        {
            "form": form,
            "organisations": organisations,
            "template_url": reverse("certificates_evaluation_template"),
            "evaluate_url": reverse("certificates_evaluate"),
            "check_row_limit": CHECK_ROW_LIMIT,
            "issue_sync_limit": ISSUE_SYNC_LIMIT,
        },
    )


def _entries(upload: EvaluationUpload):
    """Each person of the stored file with what will happen (re-checked, no writes)."""
    if not upload.file or upload.row_count > CHECK_ROW_LIMIT:
        return None
    try:
        rows = EVALUATION_IMPORT.read(upload.open_file())
        plan = EVALUATION_IMPORT.plan(target=upload.organisation, rows=rows)
    except (xlsx.XlsxRefused, ValidationError):
        return None
    return plan.entries


def _page_context(upload: EvaluationUpload) -> dict:
    page = imports.upload_preview(upload, errors_shown=ERRORS_SHOWN)
    summary = page["summary"]
    return page | {
        "organisation": upload.organisation,
        "checked": "issued" in summary,
        "to_issue": summary.get("issued", 0),
        "already": summary.get("already_issued", 0),
        "upload_url": reverse("certificates_evaluation_upload"),
        "confirm_url": url("confirm", upload),
        "errors_url": url("errors", upload)
        if page["error_count"] and upload.file
        else "",
        "certificates_url": reverse("certificate:index"),
        "background": upload.row_count > ISSUE_SYNC_LIMIT,
    }


@never_cache
@require_GET
def preview_view(request, upload_id):
    """预览: each person and the certificate they will get, or the row's error."""
    upload = _upload(request, upload_id)
    if upload.status != ImportStatus.PREVIEWED:
        return redirect(url("result", upload))
    return TemplateResponse(
        request,
        "certificates/admin/evaluation_import_preview.html",
        _page_context(upload) | {"entries": _entries(upload)},
    )


@require_POST
def confirm_view(request, upload_id):
    """确认签发: issue now, or queue a large file; confirming again changes nothing."""
    upload = _upload(request, upload_id)
    outcome = imports.upload_confirm(
        job=upload,
        kind=EVALUATION_IMPORT,
        task=evaluation_import_task,
        request=request,
        sync_limit=ISSUE_SYNC_LIMIT,
    )
    if outcome == "errors":
        messages.error(request, "文件有错误，请改正后重新上传；本次未签发任何证书。")
        return redirect(url("preview", upload))
    return redirect(url("result", upload))


@never_cache
@require_GET
def result_view(request, upload_id):
    """导入结果: progress while the task runs, then the counts (or the errors)."""
    upload = _upload(request, upload_id)
    if upload.status == ImportStatus.PREVIEWED:
        return redirect(url("preview", upload))
    return TemplateResponse(
        request,
        "certificates/admin/evaluation_import_result.html",
        _page_context(upload),
    )


@require_GET
def error_rows_view(request, upload_id):
    """下载错误行: every row with an error as uploaded, plus an 错误说明 column."""
    upload = _upload(request, upload_id)
    content = imports.upload_error_rows(job=upload, kind=EVALUATION_IMPORT)
    if content is None:
        raise Http404
    return xlsx.xlsx_response(content, "认定结果错误行.xlsx")


def evaluation_import_urls() -> list:
    """The admin URLs of the decisions import (registered by ``wagtail_hooks``)."""
    base = "certificates/evaluate/import"
    return [
        path(
            f"{base}/template/", template_view, name="certificates_evaluation_template"
        ),
        path(f"{base}/", upload_view, name="certificates_evaluation_upload"),
        path(
            f"{base}/<int:upload_id>/",
            preview_view,
            name="certificates_evaluation_preview",
        ),
        path(
            f"{base}/<int:upload_id>/confirm/",
            confirm_view,
            name="certificates_evaluation_confirm",
        ),
        path(
            f"{base}/<int:upload_id>/result/",
            result_view,
            name="certificates_evaluation_result",
        ),
        path(
            f"{base}/<int:upload_id>/errors/",
            error_rows_view,
            name="certificates_evaluation_errors",
        ),
    ]
