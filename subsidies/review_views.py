"""Back-office screens of the bureau's review: the queue, the claim page, the steps,
bulk approval (prepare, confirm).

Thin: rows through ``training_platform.access`` (404 outside the user's scope), steps
through ``subsidies.review`` (which goes through ``subsidies.workflow``); a refusal is
shown in its own words, never a 500. Names, ID numbers and accounts are masked.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bases.models import TrainingInstitution
from subsidies import review, workflow
from subsidies.filters import ReviewQueueFilter
from subsidies.models import ApprovalList, ApprovalListStatus, Claim, ClaimStatus
from training_platform import access, confirm, pii, xlsx
from training_platform.audit.models import AuditEvent
from training_platform.display import EMPTY, person_name
from training_platform.errors import error_text

S = ClaimStatus
PER_PAGE = 50


def claim_url(claim) -> str:
    return reverse("subsidies_claim_review", args=[claim.pk])


def queue_url(**params) -> str:
    url = reverse("subsidies_review_queue")
    return url + ("?" + urlencode(params) if params else "")


def may_use_queue(user) -> bool:
    """The menu item: roles that see claims (the rows are scoped by ``access``)."""
    return bool(user.is_authenticated and user.has_perm("subsidies.view_claim"))


def _queue(request):
    rows = (
        access.visible(request.user, Claim)
        .select_related("region", "institution", "trainee", "occupation")
        .annotate(
            overdue_first=Case(
                When(review.overdue_q(), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("overdue_first", "submitted_at", "pk")
    )
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = "waiting"
    institutions = TrainingInstitution.objects.filter(
        pk__in=access.visible(request.user, Claim)
        .exclude(institution=None)
        .values("institution")
    ).order_by("name")
    return ReviewQueueFilter(data, queryset=rows, institutions=institutions)


def _row(claim, cutoff) -> dict:
    return {
        "claim": claim,
        "name": pii.mask_name(claim.trainee.name),
        "overdue": claim.status in review.WAITING
        and claim.submitted_at is not None
        and claim.submitted_at < cutoff,
        "url": claim_url(claim),
    }


@never_cache
@require_GET
def queue_view(request):
    """补贴审核: the claims the user may see, waiting ones first (overdue first)."""
    filterset = _queue(request)
    rows = filterset.qs
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
    cutoff = review.overdue_cutoff()
    params = request.GET.copy()
    params.pop("p", None)
    return TemplateResponse(
        request,
        "subsidies/review/queue.html",
        {
            "filterset": filterset,
            "page": page,
            "rows": [_row(c, cutoff) for c in page.object_list],
            "total": page.paginator.count,
            "export_url": reverse("subsidies_review_export") + "?" + params.urlencode(),
            "query": params.urlencode(),
            "may_bulk": request.user.has_perm("subsidies.approve_claim"),
            "lists_url": reverse("subsidies_approval_lists"),
        },
    )


EXPORT_HEADERS = [
    "申领编号",
    "状态",
    "补贴类型",
    "学员",
    "证件号码",
    "培训机构",
    "地区",
    "职业（工种）",
    "等级",
    "金额（元）",
    "收款账号",
    "未通过的预审项",
    "提交时间",
    "是否超期",
]


@never_cache
@require_GET
def export_view(request):
    """The filtered queue as xlsx (names, ID numbers and accounts masked)."""
    filterset = _queue(request)
    cutoff = review.overdue_cutoff()
    rows = (
        [
            c.pk,
            c.get_status_display(),
            c.get_kind_display(),
            pii.mask_name(c.trainee.name),
            pii.mask_id_number(c.trainee.id_number),
            c.institution.name if c.institution else EMPTY,
            c.region.name,
            c.occupation.name if c.occupation else EMPTY,
            c.get_level_display() or EMPTY,
            c.amount,
            c.masked_account or EMPTY,
            c.checks_failed,
            c.submitted_at and f"{c.submitted_at.astimezone():%Y-%m-%d %H:%M}",
            "是" if _row(c, cutoff)["overdue"] else "否",
        ]
        for c in filterset.qs.iterator(chunk_size=2000)
    )
    content = xlsx.write_xlsx(
        EXPORT_HEADERS, rows, sheet_title="补贴审核", text_columns={4, 10}
    )
    return xlsx.xlsx_response(content, "补贴审核.xlsx")


# --- the claim page ----------------------------------------------------------------------


def _claim(request, pk) -> Claim:
    return access.get_visible_or_404(
        request.user,
        Claim.objects.select_related(
            "trainee",
            "region",
            "institution",
            "occupation",
            "standard",
            "certificate",
            "enrolment__training_class__course",
            "decided_by",
        ),
        pk=pk,
    )


def _history(claim) -> list[dict]:
    events = (
        AuditEvent.objects.filter(
            object_type="subsidies.claim", object_id=str(claim.pk)
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    lines = []
    for event in events:
        before = (event.before or {}).get("status")
        after = (event.after or {}).get("status")
        lines.append(
            {
                "at": event.at,
                "who": person_name(event.actor) if event.actor_id else "系统",
                "from": S(before).label if before in S.values else "",
                "to": S(after).label if after in S.values else "",
                "action": event.action,
                "reason": event.reason,
                "override": (event.after or {}).get("override_reason", ""),
            }
        )
    return lines


def _steps(user, claim) -> list[dict]:
    return [
        {
            "to": to,
            "label": s.label,
            "reason_required": s.reason_required,
            # 审核通过 takes a written reason when a check failed (the override).
            "override": to == S.APPROVED and claim.checks_failed > 0,
            "danger": to in (S.REJECTED, S.WITHDRAWN),
        }
        for to, s in review.claim_next_steps(user, claim)
    ]


def _is_auditor(user) -> bool:
    from training_platform.roles import Role

    return bool(access.scope_for(user).region_prefixes(Role.AUDITOR))


@never_cache
@require_GET
def claim_view(request, pk):
    claim = _claim(request, pk)
    checks = sorted(claim.checks.all(), key=lambda c: (c.passed, c.pk))
    own = access.scope_for(request.user).trainee_id == claim.trainee_id
    return TemplateResponse(
        request,
        "subsidies/review/claim.html",
        {
            "claim": claim,
            "name": claim.trainee.name if own else pii.mask_name(claim.trainee.name),
            "id_number": pii.mask_id_number(claim.trainee.id_number),
            "checks": checks,
            "history": _history(claim),
            "steps": _steps(request.user, claim),
            "auditor": _is_auditor(request.user),
            "certificate_url": (
                reverse("certificate:inspect", args=[claim.certificate_id])
                if claim.certificate_id
                else ""
            ),
            "queue_url": queue_url(),
            "next_claim": (
                review.next_waiting(request.user, after=claim)
                if request.GET.get("decided")
                else None
            ),
        },
    )


STEP_QUESTIONS = {
    S.UNDER_REVIEW: (
        "受理申领",
        "确定受理这条申领吗？",
        ["受理后由您所在的人社部门审核。"],
    ),
    S.APPROVED: (
        "审核通过",
        "确定审核通过这条申领吗？",
        ["通过前将重新运行全部预审项；通过后进入公示。"],
    ),
    S.REJECTED: (
        "不予通过",
        "确定不予通过这条申领吗？",
        ["不予通过后申领结束，学员可另行申领。"],
    ),
    S.RETURNED: ("退回补正", "确定退回这条申领补正吗？", ["申领人补正后可重新提交。"]),
    S.SUBMITTED: (
        "重新提交",
        "确定重新提交这条申领吗？",
        ["提交后将重新预审，再由人社部门审核。"],
    ),
    S.WITHDRAWN: ("撤回申领", "确定撤回这条申领吗？", ["撤回后申领结束。"]),
}


@never_cache
@require_POST
def claim_step_view(request, pk, to):
    claim = _claim(request, pk)
    back = claim_url(claim)
    if to not in S.values or not workflow.may_take(request.user, claim, to):
        messages.error(request, "您无权办理此申领的这一步，或申领状态已变化。")
        return redirect(back)
    s = workflow.step(claim.status, to)
    reason = request.POST.get("reason", "").strip()
    if s.reason_required and not reason:
        messages.error(request, f"“{s.label}”须填写原因。")
        return redirect(back)
    if to == S.APPROVED and claim.checks_failed and not reason:
        messages.error(request, "本申领有未通过的预审项，须填写特批理由才能审核通过。")
        return redirect(back)
    if confirm.needed(request):
        title, question, consequences = STEP_QUESTIONS[to]
        if to == S.APPROVED and reason:
            consequences = [*consequences, f"特批理由：{reason}（审计人员可见）"]
        return confirm.page(
            request,
            title=title,
            question=question,
            consequences=consequences,
            confirm_label=f"确认{s.label}",
            cancel_url=back,
            danger=to in (S.REJECTED, S.WITHDRAWN),
        )
    try:
        review.claim_step(
            claim=claim, to=to, actor=request.user, reason=reason, request=request
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
        return redirect(back)
    messages.success(request, f"已{s.label}。")
    if to in (S.APPROVED, S.REJECTED, S.RETURNED):
        return redirect(back + "?decided=1")
    return redirect(back)


# --- bulk approval -------------------------------------------------------------------


@never_cache
@require_POST
def approval_prepare_view(request):
    """制作批量审核通过清单 from the queue's ticked claims."""
    ids = [int(i) for i in request.POST.getlist("claim") if i.isdigit()]
    claims = list(
        access.changeable(request.user, Claim)
        .filter(pk__in=ids)
        .select_related("region")
    )
    back = queue_url()
    if len(claims) != len(set(ids)) or not claims:
        messages.error(request, "请选择您可审核的申领。")
        return redirect(back)
    if confirm.needed(request):
        return confirm.page(
            request,
            title="批量审核通过",
            question=f"确定将这 {len(claims)} 条申领列入批量审核通过清单吗？",
            consequences=[
                "清单须由本地区另一位审核人员复核；复核时重新预审，仍全部通过的才审核通过。"
            ],
            confirm_label=f"确认制作清单（{len(claims)} 条）",
            cancel_url=back,
        )
    try:
        approval_list = review.approval_list_prepare(
            claims=claims, actor=request.user, request=request
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
        return redirect(back)
    messages.success(request, f"已制作清单 {approval_list.pk}，请另一位审核人员复核。")
    return redirect(reverse("subsidies_approval_list", args=[approval_list.pk]))


def _lists(user):
    return (
        ApprovalList.objects.filter(claims__in=access.visible(user, Claim).values("pk"))
        .distinct()
        .select_related("prepared_by", "confirmed_by")
    )


@never_cache
@require_GET
def approval_lists_view(request):
    lists = list(_lists(request.user).order_by("status", "-prepared_at")[:200])
    return TemplateResponse(
        request,
        "subsidies/review/lists.html",
        {"lists": lists, "queue_url": queue_url()},
    )


@never_cache
def approval_list_view(request, pk):
    approval_list = _lists(request.user).filter(pk=pk).first()
    if approval_list is None:
        from django.http import Http404

        raise Http404
    back = reverse("subsidies_approval_list", args=[pk])
    if request.method == "POST":
        if approval_list.prepared_by_id == request.user.pk:
            messages.error(
                request, "制单人不能复核自己制作的清单，请由本地区另一位审核人员复核。"
            )
            return redirect(back)
        if confirm.needed(request):
            return confirm.page(
                request,
                title="复核批量审核清单",
                question=f"确定复核清单 {approval_list.pk} 吗？",
                consequences=[
                    "复核时重新运行全部预审项；仍全部通过的申领审核通过，其余留在审核中。"
                ],
                confirm_label="确认复核",
                cancel_url=back,
            )
        try:
            outcome = review.approval_list_confirm(
                approval_list=approval_list, actor=request.user, request=request
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
            return redirect(back)
        messages.success(
            request,
            f"已审核通过 {len(outcome.approved)} 条；"
            f"{len(outcome.left)} 条未通过复核，留在审核中。",
        )
        return redirect(back)
    claims = list(
        approval_list.claims.select_related(
            "trainee", "region", "institution"
        ).order_by("pk")
    )
    left = {int(pk_): why for pk_, why in approval_list.outcome.get("left", [])}
    return TemplateResponse(
        request,
        "subsidies/review/list.html",
        {
            "approval_list": approval_list,
            "rows": [
                {
                    "claim": c,
                    "name": pii.mask_name(c.trainee.name),
                    "url": claim_url(c),
                    "left": left.get(c.pk, ""),
                }
                for c in claims
            ],
            "may_confirm": approval_list.status == ApprovalListStatus.PREPARED
            and approval_list.prepared_by_id != request.user.pk
            and all(workflow.is_reviewing_bureau(request.user, c) for c in claims),
            "lists_url": reverse("subsidies_approval_lists"),
        },
    )
