"""Filing screens: the trainee's /me/subsidies/ and an institution's class filing.

Thin: the rules live in ``subsidies.services``; a refusal comes back in its own words on
the form (never a 500). Accounts are shown masked once filed.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from certificates.admin_views import class_url, denied
from certificates.models import Certificate, CertificateStatus
from courses.models import TrainingClass
from courses.policies import is_class_staff
from courses.templatetags.money import yuan
from subsidies import services, workflow
from subsidies.filing_forms import ClassFilingForm, SelfClaimForm
from subsidies.models import (
    LIVE_STATUSES,
    CheckCode,
    Claim,
    ClaimCheck,
    ClaimStatus,
    PayeeKind,
    SubsidyKind,
)
from trainees.selectors import trainee_of
from training_platform import access, confirm, pii, xlsx

ME_URL = "me_subsidies"


# --- the trainee (public site) -----------------------------------------------------------


def _error_into(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _claimable(trainee, claims, bound_form):
    """The person's valid certificates: amount, why not, and a form for each."""
    today = timezone.localdate()
    certificates = [
        c
        for c in Certificate.objects.filter(
            trainee=trainee, status=CertificateStatus.VALID
        )
        .select_related("region", "enrolment__training_class__region")
        .order_by("-issued_on", "-id")
        if c.expires_on is None or c.expires_on >= today
    ]
    options = services.self_options(certificates)
    held = {
        (c.kind, c.occupation_id, c.level) for c in claims if c.status in LIVE_STATUSES
    }
    rows = []
    for certificate, option in zip(certificates, options, strict=True):
        row = {"certificate": certificate, "standard": None, "reason": "", "form": None}
        if option is None:
            row["reason"] = _("暂无适用的补贴标准。")
        else:
            kind, standard = option
            row["standard"] = standard
            row["kind_label"] = SubsidyKind(kind).label
            if (kind, certificate.occupation_id, certificate.level) in held:
                row["reason"] = _("已申领。")
            elif bound_form is not None and bound_form.data.get("certificate") == str(
                certificate.pk
            ):
                row["form"] = bound_form
            else:
                row["form"] = SelfClaimForm(
                    initial={"certificate": certificate.pk},
                    auto_id=f"id_c{certificate.pk}_%s",
                )
        rows.append(row)
    return rows


def _my_claims(trainee) -> list[Claim]:
    return list(
        Claim.objects.filter(trainee=trainee)
        .select_related("certificate")
        .prefetch_related(
            Prefetch(
                "checks",
                queryset=ClaimCheck.objects.filter(passed=False).order_by("id"),
                to_attr="failed_checks",
            )
        )
        .order_by("-created_at", "-id")
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def me_subsidies(request):
    """补贴申领: the person's claims, and their certificates that can be claimed."""
    trainee = trainee_of(request.user)
    if trainee is None:
        return redirect("me")
    form = None
    if request.method == "POST":
        form = SelfClaimForm(
            request.POST, auto_id=f"id_c{request.POST.get('certificate', '')}_%s"
        )
        if form.is_valid():
            certificate = Certificate.objects.filter(
                trainee=trainee, pk=form.cleaned_data["certificate"]
            ).first()
            if certificate is None:
                raise Http404
            try:
                claim = services.claim_file_self(
                    trainee=trainee,
                    certificate=certificate,
                    account_kind=form.cleaned_data["account_kind"],
                    account=form.cleaned_data["account"],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as error:
                _error_into(form, error)
            else:
                messages.success(
                    request,
                    _("补贴申领已提交：%(amount)s 元，拨入尾号 %(tail)s 的账户。")
                    % {"amount": yuan(claim.amount), "tail": claim.payee_account[-4:]},
                )
                return redirect(ME_URL)
    claims = _my_claims(trainee)
    for claim in claims:
        claim.can_withdraw = workflow.may_take(
            request.user, claim, ClaimStatus.WITHDRAWN
        )
    return render(
        request,
        "subsidies/me_subsidies.html",
        {
            "trainee": trainee,
            "claims": claims,
            "certificates": _claimable(trainee, claims, form),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def me_claim_withdraw(request, pk: int):
    """撤回 one's own claim (before the bureau takes it up), after a confirmation."""
    trainee = trainee_of(request.user)
    if trainee is None:
        raise Http404
    claim = get_object_or_404(Claim, pk=pk, trainee=trainee)
    if confirm.needed(request):
        return confirm.page(
            request,
            title=_("撤回补贴申领"),
            question=_("确定撤回这笔 %(amount)s 元的补贴申领吗？")
            % {"amount": yuan(claim.amount)},
            consequences=[_("撤回后可以重新申领。")],
            confirm_label=_("确认撤回"),
            cancel_url=reverse(ME_URL),
            danger=True,
            admin=False,
        )
    try:
        services.claim_withdraw(claim=claim, actor=request.user, request=request)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("补贴申领已撤回。"))
    return redirect(ME_URL)


# --- the institution (back-office) -------------------------------------------------------


def claims_list_url(training_class=None) -> str:
    url = reverse("filed_claims:index")
    if training_class is not None:
        url += "?" + urlencode({"class_code": training_class.code})
    return url


def _class(request, pk) -> TrainingClass:
    return access.get_visible_or_404(
        request.user,
        TrainingClass.objects.select_related(
            "course__institution", "course__occupation", "region"
        ),
        pk=pk,
    )


def _enrolment_ids(request):
    raw = request.POST.get("enrolment") or request.GET.get("enrolment")
    if raw and raw.isdigit():
        return [int(raw)]
    return None


#: The preview lists this many people on the page; the xlsx lists them all.
PREVIEW_SHOWN = 200

PLAN_HEADERS = ["学员", "身份证号码", "依据", "补贴对象", "金额（元）", "预审", "说明"]


def _plan_xlsx(plan, show_name: bool):
    """The whole plan as xlsx (names masked as on the page; IDs always masked)."""
    rows = []
    for row in plan.rows:
        name = row.trainee.name if show_name else pii.mask_name(row.trainee.name)
        claim = row.claim
        if claim is None:
            rows.append(
                [name, row.trainee.masked_id_number, "", "", "", "不申领", row.skipped]
            )
            continue
        basis = (
            f"{claim.certificate.get_kind_display()} {claim.certificate.number}"
            if claim.certificate
            else f"培训合格（结业 {claim.basis_date:%Y-%m-%d}）"
        )
        failed = [f"{CheckCode(c.code).label}：{c.message}" for c in row.failed_checks]
        rows.append(
            [
                name,
                row.trainee.masked_id_number,
                basis,
                claim.get_payee_kind_display(),
                claim.amount,
                f"{len(failed)} 项未通过" if failed else "全部通过",
                "；".join(failed),
            ]
        )
    content = xlsx.write_xlsx(
        PLAN_HEADERS, rows, sheet_title="申领预览", text_columns={1}
    )
    return xlsx.xlsx_response(content, f"{plan.training_class.code}-补贴申领预览.xlsx")


def _account_still_to_type(row, check, account: str) -> bool:
    """The institution's account is typed on this form: not a failure before it is."""
    return (
        not account
        and check.code == CheckCode.PAYEE_ACCOUNT
        and row.claim.payee_kind == PayeeKind.INSTITUTION
    )


@never_cache
@require_http_methods(["GET", "POST"])
def class_filing_view(request, pk):
    """申领培训补贴: the plan per person (checks, amounts), then confirm, then filed."""
    training_class = _class(request, pk)
    back = class_url(training_class)
    if not services.may_file_for_class(request.user, training_class):
        return denied(
            request,
            "只有本班所属培训机构的工作人员可以为本班申领补贴。",
            back_url=back,
        )
    reason = services.class_filing_readiness(training_class)
    if reason:
        return denied(request, reason, back_url=back)
    enrolment_ids = _enrolment_ids(request)
    if request.method == "POST":
        form = ClassFilingForm(request.POST)
    else:
        form = ClassFilingForm(
            initial={"kind": request.GET.get("kind") or SubsidyKind.TRAINING}
        )
    kind = (request.POST if request.method == "POST" else request.GET).get("kind")
    if kind not in SubsidyKind.values:
        kind = SubsidyKind.TRAINING
    valid = form.is_bound and form.is_valid()
    account = form.cleaned_data.get("account", "") if valid else ""
    plan = services.claim_preview_for_class(
        training_class=training_class,
        actor=request.user,
        enrolment_ids=enrolment_ids,
        kind=kind,
        account=account,
    )
    label = f"确认申领 {plan.count} 人 · 合计 {yuan(plan.total)} 元"
    if valid:
        if not plan.count:
            form.add_error(None, "没有可以申领的学员。")
        elif confirm.needed(request):
            return confirm.page(
                request,
                title="申领培训补贴",
                question=(
                    f"确定为培训班 {training_class.code} 的 {plan.count} 人申领"
                    f"{SubsidyKind(kind).label}，合计 {yuan(plan.total)} 元吗？"
                ),
                consequences=[
                    "申领提交后由所在地人社部门审核；预审未通过的项目会一并提交，由审核人员判断。",
                    "已有在办或已拨付同一补贴的学员不会重复申领。",
                ],
                confirm_label=label,
                cancel_url=request.get_full_path(),
            )
        else:
            try:
                result = services.claims_file_for_class(
                    training_class=training_class,
                    actor=request.user,
                    account=form.cleaned_data["account"],
                    enrolment_ids=enrolment_ids,
                    kind=kind,
                    request=request,
                )
            except ValidationError as error:
                _error_into(form, error)
            else:
                text = (
                    f"已为 {len(result.claims)} 人提交补贴申领，"
                    f"合计 {yuan(result.total)} 元。"
                )
                if result.skipped:
                    text += f"另有 {len(result.skipped)} 人未申领（原因见预览）。"
                messages.success(request, text)
                return redirect(claims_list_url(training_class))
    show_name = is_class_staff(request.user, training_class)
    if request.method == "GET" and request.GET.get("format") == "xlsx":
        return _plan_xlsx(plan, show_name)
    rows = [
        {
            "enrolment": row.enrolment,
            "name": row.trainee.name if show_name else pii.mask_name(row.trainee.name),
            "id_number": row.trainee.masked_id_number,
            "claim": row.claim,
            "skipped": row.skipped,
            "checks": row.checks,
            "failed": [
                (CheckCode(c.code).label, c.message)
                for c in row.failed_checks
                if not _account_still_to_type(row, c, account)
            ],
        }
        for row in plan.rows[:PREVIEW_SHOWN]
    ]
    return TemplateResponse(
        request,
        "subsidies/filing/class_preview.html",
        {
            "training_class": training_class,
            "form": form,
            "plan": plan,
            "rows": rows,
            "kind_label": SubsidyKind(kind).label,
            "kinds": SubsidyKind.choices,
            "confirm_label": label,
            "one": enrolment_ids is not None,
            "all_url": reverse("subsidies_class_filing", args=[training_class.pk])
            + "?"
            + urlencode({"kind": kind}),
            "back_url": back,
            "list_url": claims_list_url(training_class),
            "more": max(len(plan.rows) - PREVIEW_SHOWN, 0),
            "xlsx_url": request.path
            + "?"
            + urlencode(
                {
                    "kind": kind,
                    "format": "xlsx",
                    **({"enrolment": enrolment_ids[0]} if enrolment_ids else {}),
                }
            ),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
