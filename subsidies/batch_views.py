"""拨付批次 in the back-office: list → new batch from the queue → batch page (复核, 银行文件,
回盘文件, 异常, 冲正).

Bureaus and auditors see the batches of their region (``access.visible``; another
region's batch answers 404); only a bureau acts (the services check it again). Each
consequential step asks first (``training_platform.confirm``). Names show masked
(张*), accounts masked; the bank file carries full accounts only for a role holding
``subsidies.reveal_account`` (audited, ``batches.batch_bank_file``).
"""

from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from certificates.admin_views import denied
from subsidies import bank_return, batches, policies
from subsidies.models import (
    BankReturnUpload,
    BatchStatus,
    Claim,
    DisbursementBatch,
    FailureCode,
    Payment,
    PaymentStatus,
)
from training_platform import access, confirm, xlsx
from training_platform.errors import error_text
from training_platform.imports import services as imports
from training_platform.imports.forms import ImportFileForm
from training_platform.imports.models import ImportStatus

# Bank returns are one line per payee: checked and applied at once, never queued.
RETURN_SYNC_LIMIT = 100_000
ERRORS_SHOWN = 50
QUEUE_SHOWN = 500
DENIED = "只有本地区人社部门的工作人员可以办理拨付批次。"


def _batch(request, pk) -> DisbursementBatch:
    return access.get_visible_or_404(
        request.user,
        DisbursementBatch.objects.select_related("region", "created_by", "approved_by"),
        pk=pk,
    )


def _payment(request, pk) -> Payment:
    payment = get_object_or_404(Payment.objects.select_related("batch"), pk=pk)
    _batch(request, payment.batch_id)  # 404 outside the region
    return payment


def batch_url(batch) -> str:
    return reverse("subsidies_batch", args=[batch.pk])


def _person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


# --- list ------------------------------------------------------------------------------


class BatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label="状态", choices=BatchStatus.choices, empty_label="全部"
    )
    code = django_filters.CharFilter(
        label="批次编号", lookup_expr="istartswith", field_name="code"
    )

    class Meta:
        model = DisbursementBatch
        fields = ["status", "code"]


@never_cache
@require_GET
def batch_list_view(request):
    """拨付批次: every batch of the user's region, newest first, with its totals."""
    if not policies.is_regional_reader(request.user):
        return denied(request, "只有人社部门和审计人员可以查看拨付批次。")
    filtered = BatchFilter(
        request.GET or None, queryset=batches.batches_for(request.user)
    )
    rows = list(filtered.qs[:200])
    total = filtered.qs.count()
    return TemplateResponse(
        request,
        "subsidies/batches/list.html",
        {
            "filter": filtered,
            "rows": rows,
            "total": total,
            "can_create": bool(policies.bureau_regions(request.user)),
            "create_url": reverse("subsidies_batch_new"),
        },
    )


# --- new batch -------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def batch_new_view(request):
    """新建拨付批次: the region's queue (公示期满待拨付 and 拨付失败), chosen, confirmed."""
    regions = policies.bureau_regions(request.user)
    if not regions:
        return denied(request, DENIED, back_url=reverse("subsidies_batches"))
    chosen = request.POST.get("region") or request.GET.get("region")
    region = next((r for r in regions if r.code == chosen), regions[0])
    queue = batches.queue_for(region)
    totals = queue.aggregate(n=Count("pk"), s=Sum("amount"))
    claims = list(queue[:QUEUE_SHOWN])
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("claim") if i.isdigit()]
        picked = list(queue.filter(pk__in=ids))
        if not picked:
            messages.error(request, "请至少选择一笔待拨付的申领。")
        else:
            amount = sum((c.amount for c in picked), Decimal("0.00"))
            if confirm.needed(request):
                return confirm.page(
                    request,
                    title="新建拨付批次",
                    question=(
                        f"确定将 {len(picked)} 笔申领（合计 {amount:,.2f} 元）编入"
                        f"{region.name}的拨付批次吗？"
                    ),
                    consequences=[
                        "申领将改为“拨付中”，按收款人合并为银行明细，并记下控制总数。",
                        "批次须由本地区另一位工作人员复核后才能导出银行文件。",
                    ],
                    confirm_label=f"确认编入 {len(picked)} 笔申领",
                    cancel_url=reverse("subsidies_batch_new"),
                )
            try:
                batch = batches.batch_create(
                    claims=picked, region=region, actor=request.user, request=request
                )
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(
                    request, f"已新建拨付批次 {batch.code}，请交另一位工作人员复核。"
                )
                return redirect(batch_url(batch))
    return TemplateResponse(
        request,
        "subsidies/batches/new.html",
        {
            "regions": regions,
            "region": region,
            "claims": [(c, c.payee_shown) for c in claims],
            "count": totals["n"] or 0,
            "amount": totals["s"] or Decimal("0.00"),
            "more": (totals["n"] or 0) > len(claims),
            "list_url": reverse("subsidies_batches"),
        },
    )


# --- the batch page --------------------------------------------------------------------


def _steps(batch, user, *, exceptions: int) -> list[dict]:
    """What can be done now, each with its explanation or why not."""
    bureau = policies.is_bureau_over(user, batch.region_id)
    steps = []
    if batch.status == BatchStatus.DRAFT:
        refusal = batches.approve_refusal(batch, user)
        steps.append(
            {
                "id": "approve",
                "label": "复核通过",
                "help": "核对控制总数与明细后复核；复核后才能导出银行文件。",
                "url": reverse("subsidies_batch_approve", args=[batch.pk]),
                "post": True,
                "reason": refusal,
            }
        )
    if batch.status in (BatchStatus.APPROVED, BatchStatus.RECONCILED):
        steps.append(
            {
                "id": "bank-file",
                "label": "导出银行文件",
                "help": (
                    "含完整收款账号，导出记入审计。"
                    if batches.may_reveal_account(user)
                    else "收款账号已脱敏。"
                ),
                "url": reverse("subsidies_batch_bank_file", args=[batch.pk]),
                "post": False,
                "reason": ""
                if batch.status == BatchStatus.APPROVED
                else "批次已对账完毕，不再导出。",
            }
        )
    if batch.status == BatchStatus.APPROVED:
        steps.append(
            {
                "id": "upload-return",
                "label": "上传回盘文件",
                "help": "上传银行返回的处理结果，预览每笔的处理后再确认对账。",
                "url": reverse("subsidies_return_upload", args=[batch.pk]),
                "post": False,
                "reason": "" if bureau else DENIED,
            }
        )
        if exceptions:
            steps.append(
                {
                    "id": "exceptions",
                    "label": f"处理 {exceptions} 笔异常",
                    "help": "回盘文件未包含的明细，须按银行核实的结果逐笔处理。",
                    "url": "#batch-lines",
                    "post": False,
                    "reason": "" if bureau else DENIED,
                }
            )
    return steps


@never_cache
@require_GET
def batch_view(request, pk):
    batch = _batch(request, pk)
    lines = list(batches.batch_lines(batch))
    claims = list(
        Claim.objects.filter(payment__batch=batch)
        .select_related("payment")
        .order_by("payment_id", "pk")
    )
    line_amount = sum((p.amount for p in lines), Decimal("0.00"))
    line_claims = sum(p.claim_count for p in lines)
    claim_amount = sum((c.amount for c in claims), Decimal("0.00"))
    exceptions = sum(1 for p in lines if p.status == PaymentStatus.EXCEPTION)
    bureau = policies.is_bureau_over(request.user, batch.region_id)
    return TemplateResponse(
        request,
        "subsidies/batches/batch.html",
        {
            "batch": batch,
            "maker": _person(batch.created_by),
            "checker": _person(batch.approved_by),
            "steps": _steps(batch, request.user, exceptions=exceptions),
            "lines": [
                {
                    "payment": p,
                    "name": p.payee_shown,
                    "open": p.status in batches.OPEN_LINES
                    and batch.status == BatchStatus.APPROVED,
                    "reversible": p.status == PaymentStatus.PAID,
                }
                for p in lines
            ],
            "claims": [(c, c.payee_shown) for c in claims],
            "line_amount": line_amount,
            "line_claims": line_claims,
            "claim_amount": claim_amount,
            "claim_count": len(claims),
            "mismatches": batches.totals_mismatches(batch)
            if batch.status == BatchStatus.DRAFT
            else [],
            "bureau": bureau,
            "draft": batch.status == BatchStatus.DRAFT,
            "returns": list(batch.returns.order_by("-created_at")[:10]),
            "list_url": reverse("subsidies_batches"),
        },
    )


@require_POST
def batch_approve_view(request, pk):
    batch = _batch(request, pk)
    refusal = batches.approve_refusal(batch, request.user)
    if refusal:
        messages.error(request, refusal)
        return redirect(batch_url(batch))
    if confirm.needed(request):
        return confirm.page(
            request,
            title="复核拨付批次",
            question=(
                f"确定复核通过批次 {batch.code}（{batch.declared_count} 笔，"
                f"{batch.declared_amount:,.2f} 元）吗？"
            ),
            consequences=[
                "复核时将再次核对控制总数与明细、申领，不符则不予复核。",
                "复核通过后可导出银行文件，批次不能再修改。",
            ],
            confirm_label="确认复核通过",
            cancel_url=batch_url(batch),
        )
    try:
        batches.batch_approve(batch=batch, actor=request.user, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"批次 {batch.code} 已复核通过，可以导出银行文件。")
    return redirect(batch_url(batch))


def _reason_or_back(request, batch, what: str):
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        messages.error(request, f"{what}须填写原因。")
    return reason


@require_POST
def batch_cancel_view(request, pk):
    batch = _batch(request, pk)
    reason = _reason_or_back(request, batch, "作废批次")
    if not reason:
        return redirect(batch_url(batch))
    if confirm.needed(request):
        return confirm.page(
            request,
            title="作废拨付批次",
            question=f"确定作废批次 {batch.code} 吗？",
            consequences=[f"{batch.declared_count} 笔申领将退回“公示期满待拨付”。"],
            confirm_label="确认作废",
            cancel_url=batch_url(batch),
            danger=True,
        )
    try:
        batches.batch_cancel(
            batch=batch, reason=reason, actor=request.user, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"批次 {batch.code} 已作废，申领已退回待拨付。")
    return redirect(batch_url(batch))


@require_POST
def batch_remove_claim_view(request, pk, claim_id):
    batch = _batch(request, pk)
    claim = get_object_or_404(Claim, pk=claim_id, payment__batch=batch)
    reason = _reason_or_back(request, batch, "移出批次")
    if not reason:
        return redirect(batch_url(batch))
    if confirm.needed(request):
        return confirm.page(
            request,
            title="移出拨付批次",
            question=f"确定将 {claim.payee_shown} 的申领（{claim.amount:,.2f} 元）移出本批次吗？",
            consequences=["申领退回“公示期满待拨付”，批次的控制总数相应减少。"],
            confirm_label="确认移出",
            cancel_url=batch_url(batch),
        )
    try:
        batches.batch_remove_claim(
            batch=batch, claim=claim, reason=reason, actor=request.user, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "已移出本批次。")
    return redirect(batch_url(batch))


@require_GET
def bank_file_view(request, pk):
    batch = _batch(request, pk)
    try:
        content = batches.batch_bank_file(
            batch=batch, actor=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(batch_url(batch))
    return xlsx.xlsx_response(content, f"{batch.code} 银行文件.xlsx")


# --- bank return -----------------------------------------------------------------------


def _upload(request, upload_id) -> BankReturnUpload:
    upload = get_object_or_404(
        BankReturnUpload.objects.select_related("batch"), pk=upload_id
    )
    _batch(request, upload.batch_id)
    return upload


def return_url(step: str, upload) -> str:
    return reverse(f"subsidies_return_{step}", args=[upload.pk])


@never_cache
@require_http_methods(["GET", "POST"])
def return_upload_view(request, pk):
    """上传回盘文件: read and check it against the batch, keep it, show the preview."""
    batch = _batch(request, pk)
    if not policies.is_bureau_over(request.user, batch.region_id):
        return denied(request, DENIED, back_url=batch_url(batch))
    form = ImportFileForm(request.POST or None, request.FILES or None)
    form.fields["file"].label = "回盘文件（.xlsx）"
    form.fields[
        "file"
    ].help_text = (
        "列：支付参考号、金额、处理结果（成功/失败）、银行流水号、失败原因、处理日期。"
    )
    if batch.status != BatchStatus.APPROVED:
        messages.error(request, "只有已复核、尚未对账完毕的批次可以上传回盘文件。")
        return redirect(batch_url(batch))
    if request.method == "POST" and form.is_valid():
        upload = BankReturnUpload(batch=batch, uploaded_by=request.user)
        try:
            imports.upload_store(
                job=upload,
                kind=bank_return.BANK_RETURN,
                file=form.cleaned_data["file"],
                sync_limit=RETURN_SYNC_LIMIT,
            )
        except (ValidationError, xlsx.XlsxRefused) as exc:
            form.add_error("file", error_text(exc))
        else:
            return redirect(return_url("preview", upload))
    return TemplateResponse(
        request,
        "subsidies/batches/return_upload.html",
        {
            "batch": batch,
            "form": form,
            "template_url": reverse("subsidies_return_template", args=[batch.pk]),
            "batch_url": batch_url(batch),
        },
    )


@require_GET
def return_template_view(request, pk):
    """回盘模板: the batch's references and amounts (no account numbers)."""
    batch = _batch(request, pk)
    return xlsx.xlsx_response(
        bank_return.return_template(batch), f"{batch.code} 回盘模板.xlsx"
    )


def _return_context(upload) -> dict:
    page = imports.upload_preview(upload, errors_shown=ERRORS_SHOWN)
    summary = page["summary"]
    return page | {
        "batch": upload.batch,
        "batch_url": batch_url(upload.batch),
        "paid": summary.get("paid", 0),
        "failed": summary.get("failed", 0),
        "exceptions": summary.get("exceptions", 0),
        "already": summary.get("already", 0),
        "confirm_url": return_url("confirm", upload),
        "upload_url": reverse("subsidies_return_upload", args=[upload.batch_id]),
    }


@never_cache
@require_GET
def return_preview_view(request, upload_id):
    """回盘预览: each line and what will happen to it, or the file's errors."""
    upload = _upload(request, upload_id)
    if upload.status != ImportStatus.PREVIEWED:
        return redirect(return_url("result", upload))
    kind = bank_return.BANK_RETURN
    people, missing = [], []
    if upload.file:
        try:
            plan = kind.plan(target=upload.batch, rows=kind.read(upload.open_file()))
        except ValidationError:  # XlsxRefused included: the summary says why
            plan = None
        if plan is not None:
            people = plan.people()
            missing = [
                {
                    "reference": p.reference,
                    "who": p.payee_shown,
                    "amount": p.amount,
                }
                for p in plan.missing
            ]
    entries = [
        {
            "row": p.number,
            "who": p.who,
            "account": p.ident,
            "outcome": kind.outcome_label(p.outcome),
            "error": p.outcome == "error",
            "detail": p.detail,
        }
        for p in people
    ]
    return TemplateResponse(
        request,
        "subsidies/batches/return_preview.html",
        _return_context(upload) | {"entries": entries, "missing": missing},
    )


@require_POST
def return_confirm_view(request, upload_id):
    """确认对账: apply now (all or nothing); confirming again changes nothing."""
    upload = _upload(request, upload_id)
    if not policies.is_bureau_over(request.user, upload.batch.region_id):
        return denied(request, DENIED, back_url=batch_url(upload.batch))
    outcome = imports.upload_confirm(
        job=upload,
        kind=bank_return.BANK_RETURN,
        task=None,
        request=request,
        sync_limit=RETURN_SYNC_LIMIT,
    )
    if outcome == "errors":
        messages.error(request, "回盘文件有错误，未做任何处理；请核实后重新上传。")
        return redirect(return_url("preview", upload))
    return redirect(return_url("result", upload))


@never_cache
@require_GET
def return_result_view(request, upload_id):
    upload = _upload(request, upload_id)
    if upload.status == ImportStatus.PREVIEWED:
        return redirect(return_url("preview", upload))
    return TemplateResponse(
        request, "subsidies/batches/return_result.html", _return_context(upload)
    )


# --- exceptions, reversals -------------------------------------------------------------


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="核实结果",
        choices=[("paid", "已到账"), ("failed", "拨付失败")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择核实结果。"},
    )
    bank_reference = forms.CharField(label="银行流水号", max_length=64, required=False)
    failure_code = forms.ChoiceField(
        label="失败原因",
        choices=[("", "—")] + list(FailureCode.choices),
        required=False,
    )
    note = forms.CharField(label="说明", max_length=200, required=False)
    on = forms.DateField(
        label="银行处理日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "日期格式应为 2026-12-01。"},
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "paid" and not data.get("bank_reference"):
            self.add_error("bank_reference", "已到账须填写银行流水号。")
        if data.get("outcome") == "failed" and not data.get("failure_code"):
            self.add_error("failure_code", "请选择失败原因。")
        return data


@never_cache
@require_http_methods(["GET", "POST"])
def payment_resolve_view(request, pk):
    """处理异常: a line the bank return left open, settled by hand."""
    payment = _payment(request, pk)
    batch = payment.batch
    if not policies.is_bureau_over(request.user, batch.region_id):
        return denied(request, DENIED, back_url=batch_url(batch))
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        paid = data["outcome"] == "paid"
        if confirm.needed(request):
            return confirm.page(
                request,
                title="处理异常明细",
                question=f"确定将明细 {payment.reference} 处理为“{'已到账' if paid else '拨付失败'}”吗？",
                consequences=[
                    f"{payment.claim_count} 笔申领将"
                    + ("标记为已拨付，之后不能再更改。" if paid else "退回待拨付队列。")
                ],
                confirm_label="确认处理",
                cancel_url=batch_url(batch),
            )
        try:
            batches.payment_resolve(
                payment=payment,
                paid=paid,
                bank_reference=data["bank_reference"],
                failure_code=data["failure_code"],
                note=data["note"],
                on=data["on"],
                actor=request.user,
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, f"明细 {payment.reference} 已处理。")
            return redirect(batch_url(batch))
    return TemplateResponse(
        request,
        "subsidies/batches/payment_form.html",
        {
            "title": "处理异常明细",
            "payment": payment,
            "name": payment.payee_shown,
            "form": form,
            "submit": "处理",
            "batch_url": batch_url(batch),
        },
    )


class ReverseForm(forms.Form):
    amount = forms.DecimalField(
        label="冲正金额（元）",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={
            "required": "请填写冲正金额。",
            "invalid": "请填写金额，如 1500.00。",
            "min_value": "冲正金额须大于 0。",
            "max_decimal_places": "金额最多两位小数。",
        },
    )
    reason = forms.CharField(
        label="冲正原因",
        max_length=200,
        error_messages={"required": "请填写冲正原因。"},
    )
    bank_reference = forms.CharField(
        label="银行流水号",
        max_length=64,
        error_messages={"required": "请填写银行流水号。"},
    )
    on = forms.DateField(
        label="冲正日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "请填写冲正日期。",
            "invalid": "日期格式应为 2026-12-01。",
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def payment_reverse_view(request, pk):
    """登记冲正: money the bank took back after paying; the paid claims stay paid."""
    payment = _payment(request, pk)
    batch = payment.batch
    if not policies.is_bureau_over(request.user, batch.region_id):
        return denied(request, DENIED, back_url=batch_url(batch))
    form = ReverseForm(
        request.POST or None,
        initial={"on": timezone.localdate(), "amount": payment.amount},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if confirm.needed(request):
            return confirm.page(
                request,
                title="登记冲正",
                question=f"确定为明细 {payment.reference} 登记冲正 {data['amount']:,.2f} 元吗？",
                consequences=["冲正记录写入审计，已拨付的申领保持不变。"],
                confirm_label="确认登记冲正",
                cancel_url=batch_url(batch),
            )
        try:
            batches.payment_reverse(
                payment=payment, actor=request.user, request=request, **data
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, f"已为明细 {payment.reference} 登记冲正。")
            return redirect(batch_url(batch))
    return TemplateResponse(
        request,
        "subsidies/batches/payment_form.html",
        {
            "title": "登记冲正",
            "payment": payment,
            "name": payment.payee_shown,
            "form": form,
            "submit": "登记冲正",
            "batch_url": batch_url(batch),
        },
    )


def batch_urls() -> list:
    """The admin URLs of the disbursement batches (registered by ``wagtail_hooks``)."""
    base = "subsidies/batches"
    return [
        path(f"{base}/", batch_list_view, name="subsidies_batches"),
        path(f"{base}/new/", batch_new_view, name="subsidies_batch_new"),
        path(f"{base}/<int:pk>/", batch_view, name="subsidies_batch"),
        path(
            f"{base}/<int:pk>/approve/",
            batch_approve_view,
            name="subsidies_batch_approve",
        ),
        path(
            f"{base}/<int:pk>/cancel/", batch_cancel_view, name="subsidies_batch_cancel"
        ),
        path(
            f"{base}/<int:pk>/claims/<int:claim_id>/remove/",
            batch_remove_claim_view,
            name="subsidies_batch_remove_claim",
        ),
        path(
            f"{base}/<int:pk>/bank-file/",
            bank_file_view,
            name="subsidies_batch_bank_file",
        ),
        path(
            f"{base}/<int:pk>/return/",
            return_upload_view,
            name="subsidies_return_upload",
        ),
        path(
            f"{base}/<int:pk>/return/template/",
            return_template_view,
            name="subsidies_return_template",
        ),
        path(
            f"{base}/returns/<int:upload_id>/",
            return_preview_view,
            name="subsidies_return_preview",
        ),
        path(
            f"{base}/returns/<int:upload_id>/confirm/",
            return_confirm_view,
            name="subsidies_return_confirm",
        ),
        path(
            f"{base}/returns/<int:upload_id>/result/",
            return_result_view,
            name="subsidies_return_result",
        ),
        path(
            "subsidies/payments/<int:pk>/resolve/",
            payment_resolve_view,
            name="subsidies_payment_resolve",
        ),
        path(
            "subsidies/payments/<int:pk>/reverse/",
            payment_reverse_view,
            name="subsidies_payment_reverse",
        ),
    ]
