"""公示 screens: the public /notice/ page and objection form, and the bureau's
back-office (rounds, a round with its claims and objections, answering an objection,
publishing approved claims as a new round) plus its home panel of open objections.

Views are thin: rows through ``training_platform.access`` (404 outside the scope), steps
through ``subsidies.notice`` (which checks who may take them), refusals shown in the
service's own words. Public pages are translated ({% translate %}, locale/en); names
and ID numbers are masked before they reach a template.
"""

import datetime as dt
from dataclasses import dataclass

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from subsidies import notice, policies, workflow
from subsidies.models import (
    Claim,
    ClaimStatus,
    NoticeRound,
    NoticeStatus,
    Objection,
    ObjectionStatus,
)
from training_platform import access, confirm, pii, ratelimit
from training_platform.clientip import client_ip
from training_platform.errors import error_text
from training_platform.filters import RegionFilter

PUBLIC_PER_PAGE = 20
ADMIN_PER_PAGE = 50


# --- public: /notice/ ------------------------------------------------------------------


@dataclass(frozen=True)
class PublicClaim:
    """What the public sees of a claim in notice: masked, nothing more."""

    pk: int
    name: str
    id_number: str
    institution: str
    occupation: str
    level: str
    kind: str
    amount: object
    region: str
    open: bool  # still in notice: objections may be sent


def public_claim(claim: Claim) -> PublicClaim:
    return PublicClaim(
        pk=claim.pk,
        name=pii.mask_name(claim.trainee.name),
        id_number=claim.trainee.masked_id_number,
        institution=claim.institution.name if claim.institution_id else "",
        occupation=claim.occupation.name if claim.occupation_id else "",
        level=claim.get_level_display() if claim.level else "",
        kind=claim.get_kind_display(),
        amount=claim.amount,
        region=claim.region.name,
        open=claim.status == ClaimStatus.IN_NOTICE,
    )


def public_rounds():
    """Open rounds, and closed ones whose period ended in the last 30 days."""
    since = timezone.localdate() - dt.timedelta(days=notice.RECENTLY_CLOSED_DAYS)
    return (
        NoticeRound.objects.filter(Q(status=NoticeStatus.OPEN) | Q(ends_on__gte=since))
        .select_related("region")
        .order_by("-starts_on", "-id")
    )


def public_claims(round_ids):
    return (
        Claim.objects.filter(
            notice_round_id__in=round_ids, status__in=notice.SHOWN_STATUSES
        )
        .select_related("trainee", "institution", "occupation", "region")
        .only(
            "pk",
            "status",
            "kind",
            "level",
            "amount",
            "notice_round_id",
            "trainee__name",
            "trainee__id_number",
            "institution__name",
            "occupation__name",
            "region__name",
        )
        .order_by("-notice_round__starts_on", "-notice_round_id", "pk")
    )


class NoticeFilterForm(forms.Form):
    region = forms.ChoiceField(label=gettext_lazy("地区"), required=False)
    round = forms.ChoiceField(label=gettext_lazy("公示批次"), required=False)

    def __init__(self, data, *, rounds):
        super().__init__(data)
        regions = {}
        for r in rounds:
            regions.setdefault(r.region.code, r.region.name)
        self.fields["region"].choices = [("", _("全部地区"))] + sorted(regions.items())
        self.fields["round"].choices = [("", _("全部批次"))] + [
            (str(r.pk), r.title) for r in rounds
        ]


@never_cache
@require_http_methods(["GET"])
def notice_index(request):
    """/notice/: the claims of the open and recent rounds, masked, by round."""
    rounds = list(public_rounds())
    form = NoticeFilterForm(request.GET, rounds=rounds)
    chosen = rounds
    if form.is_valid():
        if code := form.cleaned_data["region"]:
            chosen = [r for r in chosen if r.region.code == code]
        if pk := form.cleaned_data["round"]:
            chosen = [r for r in chosen if str(r.pk) == pk]
    by_id = {r.pk: r for r in chosen}
    paginator = Paginator(public_claims(list(by_id)), PUBLIC_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    groups: list[tuple[NoticeRound, list[PublicClaim]]] = []
    for claim in page_obj.object_list:
        notice_round = by_id[claim.notice_round_id]
        if not groups or groups[-1][0].pk != notice_round.pk:
            groups.append((notice_round, []))
        groups[-1][1].append(public_claim(claim))
    return render(
        request,
        "subsidies/notice/index.html",
        {
            "form": form,
            "rounds": chosen,
            "groups": groups,
            "page_obj": page_obj,
            "page_range": paginator.get_elided_page_range(page_obj.number),
            "today": timezone.localdate(),
        },
    )


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("异议内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "请写明您了解的情况，如未参加培训、冒名顶替、重复申领等。"
        ),
        error_messages={
            "required": gettext_lazy("请填写异议内容。"),
            "max_length": gettext_lazy("异议内容不能超过 2000 字。"),
        },
    )
    contact_name = forms.CharField(
        label=gettext_lazy("联系人（可不填）"), max_length=40, required=False
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("联系电话（可不填）"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("留下电话，人社部门核查后可以告知您结果。"),
    )

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError(_("请填写异议内容。"))
        return text

    def clean_contact_phone(self):
        phone = self.cleaned_data["contact_phone"].strip()
        phone = phone.replace(" ", "").replace("-", "")
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 20):
            raise ValidationError(_("联系电话应为 7 至 20 位数字。"))
        return phone


def _claim_in_notice_or_404(pk) -> Claim:
    claim = (
        Claim.objects.select_related(
            "trainee", "institution", "occupation", "region", "notice_round"
        )
        .filter(pk=pk, status=ClaimStatus.IN_NOTICE, notice_round__isnull=False)
        .first()
    )
    if claim is None:
        raise Http404
    return claim


def _too_many(request, retry_after: int):
    response = render(
        request,
        "subsidies/notice/too_many.html",
        {"minutes": max(1, (retry_after + 59) // 60)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def objection_view(request, pk):
    """The objection form for one claim in notice (no sign-in; rate-limited)."""
    claim = _claim_in_notice_or_404(pk)
    form = ObjectionForm(request.POST or None)
    if request.method == "POST":
        rate = settings.NOTICE_OBJECTION_RATE
        wait = ratelimit.check("notice-objection", client_ip(request) or "-", rate)
        if wait:
            return _too_many(request, wait)
        if form.is_valid():
            try:
                notice.objection_file(claim=claim, request=request, **form.cleaned_data)
            except ValidationError:
                form.add_error(None, _("该申领已不在公示期内，不能再提出异议。"))
            else:
                return redirect("notice_objection_thanks")
    return render(
        request,
        "subsidies/notice/objection.html",
        {
            "claim": public_claim(claim),
            "notice_round": claim.notice_round,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
def objection_thanks(request):
    return render(request, "subsidies/notice/thanks.html")


# --- back-office -----------------------------------------------------------------------


def rounds_url() -> str:
    return reverse("subsidies_notice_rounds")


def round_url(notice_round) -> str:
    return reverse("subsidies_notice_round", args=[notice_round.pk])


def answer_url(objection) -> str:
    return reverse("subsidies_notice_objection", args=[objection.pk])


def _require(request, perm: str):
    if not request.user.has_perm(perm):
        raise PermissionDenied


class RoundFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label="状态", choices=NoticeStatus.choices, empty_label="全部"
    )
    region = RegionFilter(empty_label="全部地区")

    class Meta:
        model = NoticeRound
        fields = ["status", "region"]


def _count(queryset, field="pk"):
    return Coalesce(
        Subquery(
            queryset.order_by().values(field).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def rounds_queryset(user):
    claims = Claim.objects.filter(
        notice_round=OuterRef("pk"), status__in=notice.SHOWN_STATUSES
    )
    in_notice = Claim.objects.filter(
        notice_round=OuterRef("pk"), status=ClaimStatus.IN_NOTICE
    )
    objections = Objection.objects.filter(
        claim__notice_round=OuterRef("pk"), status=ObjectionStatus.OPEN
    )
    return (
        access.visible(user, NoticeRound)
        .select_related("region")
        .annotate(
            claim_count=_count(claims, "notice_round"),
            in_notice_count=_count(in_notice, "notice_round"),
            open_objections=_count(objections, "claim__notice_round"),
        )
        .order_by("-starts_on", "-id")
    )


@never_cache
def rounds_index(request):
    """公示批次: the rounds of the user's regions, newest first."""
    _require(request, "subsidies.view_noticeround")
    filterset = RoundFilterSet(
        request.GET or None, queryset=rounds_queryset(request.user)
    )
    paginator = Paginator(filterset.qs, ADMIN_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "subsidies/notice/admin_rounds.html",
        {
            "filter": filterset,
            "page_obj": page_obj,
            "rounds": page_obj.object_list,
            "count": paginator.count,
            "can_publish": request.user.has_perm("subsidies.add_noticeround")
            and bool(policies.bureau_regions(request.user)),
            "today": timezone.localdate(),
        },
    )


@dataclass(frozen=True)
class RoundClaim:
    claim: Claim
    name: str
    id_number: str


@never_cache
def round_detail(request, pk):
    """A round: its period, its claims (masked) and the objections sent about them."""
    _require(request, "subsidies.view_noticeround")
    notice_round = access.get_visible_or_404(
        request.user, NoticeRound.objects.select_related("region", "created_by"), pk=pk
    )
    claims = [
        RoundClaim(c, pii.mask_name(c.trainee.name), c.trainee.masked_id_number)
        for c in Claim.objects.filter(notice_round=notice_round)
        .select_related("trainee", "institution", "occupation")
        .order_by("pk")
    ]
    objections = list(
        Objection.objects.filter(claim__notice_round=notice_round)
        .select_related("claim__trainee", "answered_by")
        .order_by("status", "-created_at", "-id")
    )
    is_bureau = policies.is_bureau_over(request.user, notice_round.region_id)
    rows = [
        {
            "objection": o,
            "name": pii.mask_name(o.claim.trainee.name),
            # The objector's phone: the reviewing bureau calls back; others see it masked.
            "phone": o.contact_phone if is_bureau else pii.mask_phone(o.contact_phone),
        }
        for o in objections
    ]
    return TemplateResponse(
        request,
        "subsidies/notice/admin_round.html",
        {
            "notice_round": notice_round,
            "claims": claims,
            "objections": rows,
            "open_count": sum(o.status == ObjectionStatus.OPEN for o in objections),
            "can_answer": is_bureau,
            "total": sum(
                (
                    rc.claim.amount
                    for rc in claims
                    if rc.claim.status in notice.SHOWN_STATUSES
                ),
                start=0,
            ),
            "rounds_url": rounds_url(),
        },
    )


class AnswerForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label="核查结论",
        choices=[("0", "异议不成立，继续公示"), ("1", "异议成立，该申领不予通过")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择核查结论。"},
    )
    answer = forms.CharField(
        label="答复意见",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="写明核查情况；异议成立时作为不予通过的理由记入申领。",
        error_messages={"required": "请填写答复意见。"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def objection_answer_view(request, pk):
    """Answer an objection (the reviewing bureau); upholding it rejects the claim."""
    _require(request, "subsidies.view_objection")
    objection = access.get_visible_or_404(
        request.user,
        Objection.objects.select_related(
            "claim__trainee", "claim__notice_round", "claim__region", "answered_by"
        ),
        pk=pk,
    )
    claim = objection.claim
    may_answer = (
        objection.status == ObjectionStatus.OPEN
        and request.user.has_perm("subsidies.change_objection")
        and workflow.is_reviewing_bureau(request.user, claim)
    )
    back = round_url(claim.notice_round) if claim.notice_round_id else rounds_url()
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if not may_answer:
            raise PermissionDenied
        if form.is_valid():
            upheld = form.cleaned_data["upheld"]
            answer = form.cleaned_data["answer"].strip()
            if confirm.needed(request):
                if upheld:
                    consequences = [
                        f"申领（{pii.mask_name(claim.trainee.name)}，{claim.amount:,.2f} 元）"
                        "将不予通过，退出公示，不再拨付。",
                        f"不予通过的理由：公示异议成立：{answer}",
                        "答复和结论记入操作日志，不能撤回。",
                    ]
                else:
                    consequences = [
                        "申领继续公示；公示期满且没有其他待答复异议时，转入待拨付。",
                        "答复和结论记入操作日志，不能撤回。",
                    ]
                return confirm.page(
                    request,
                    title=f"答复异议 #{objection.pk}",
                    question="确定异议成立吗？" if upheld else "确定异议不成立吗？",
                    consequences=consequences,
                    confirm_label="确认答复",
                    cancel_url=answer_url(objection),
                    danger=upheld,
                )
            try:
                notice.objection_answer(
                    objection=objection,
                    answer=answer,
                    upheld=upheld,
                    actor=request.user,
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(
                    request,
                    f"异议 #{objection.pk} 已答复"
                    + ("，该申领不予通过。" if upheld else "，申领继续公示。"),
                )
                return redirect(back)
    return TemplateResponse(
        request,
        "subsidies/notice/admin_objection.html",
        {
            "objection": objection,
            "claim": claim,
            "name": pii.mask_name(claim.trainee.name),
            "id_number": claim.trainee.masked_id_number,
            "phone": objection.contact_phone
            if may_answer or workflow.is_reviewing_bureau(request.user, claim)
            else pii.mask_phone(objection.contact_phone),
            "form": form,
            "may_answer": may_answer,
            "back": back,
        },
        status=400 if form.errors else 200,
    )


class PublishForm(forms.Form):
    region = forms.ChoiceField(label="公示地区")
    working_days = forms.IntegerField(
        label="公示期（工作日）",
        min_value=1,
        max_value=notice.MAX_WORKING_DAYS,
        initial=notice.DEFAULT_WORKING_DAYS,
        help_text="不含周末和法定节假日（基础数据 → 节假日）",
        error_messages={
            "required": "请填写公示期。",
            "min_value": "公示期至少 1 个工作日。",
            "max_value": f"公示期最多 {notice.MAX_WORKING_DAYS} 个工作日。",
            "invalid": "公示期应为整数。",
        },
    )
    title = forms.CharField(
        label="公示标题", max_length=120, required=False, help_text="留空自动生成"
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [(r.code, r.name) for r in regions]
        if len(regions) == 1:
            self.fields["region"].initial = regions[0].code


@never_cache
@require_http_methods(["GET", "POST"])
def round_publish(request):
    """发布公示: the approved claims of the bureau's region become a new round."""
    _require(request, "subsidies.add_noticeround")
    regions = policies.bureau_regions(request.user)
    if not regions:
        raise PermissionDenied
    counts = {
        r.code: notice.publishable_claims(r).count() for r in regions
    }  # one count per bureau region (a user has one or two)
    form = PublishForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        region = form.regions[form.cleaned_data["region"]]
        days = form.cleaned_data["working_days"]
        claims = list(notice.publishable_claims(region).order_by("pk"))
        if not claims:
            form.add_error(None, f"{region.name}没有审核通过、尚未公示的申领。")
        else:
            starts_on, ends_on = notice.notice_period(days)
            if confirm.needed(request):
                total = sum((c.amount for c in claims), start=0)
                return confirm.page(
                    request,
                    title=f"发布公示：{region.name}",
                    question=f"确定公示 {len(claims)} 条申领吗？",
                    consequences=[
                        f"{region.name}审核通过的 {len(claims)} 条申领，合计 {total:,.2f} 元，"
                        "将在公示网页（/notice/）上公示，姓名和身份证号码打码显示。",
                        f"公示期 {days} 个工作日：{starts_on:%Y-%m-%d} 至 {ends_on:%Y-%m-%d}。",
                        "公示期间任何人可以提出异议；有待答复异议的申领在答复前不会转入拨付。",
                    ],
                    confirm_label="确认发布",
                    cancel_url=rounds_url(),
                )
            try:
                notice_round = notice.notice_round_publish(
                    claims=claims,
                    region=region,
                    working_days=days,
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, error_text(exc))
            else:
                messages.success(
                    request,
                    f"已发布公示“{notice_round.title}”，共 {len(claims)} 条申领，"
                    f"公示至 {notice_round.ends_on:%Y-%m-%d}。",
                )
                return redirect(round_url(notice_round))
    return TemplateResponse(
        request,
        "subsidies/notice/admin_publish.html",
        {
            "form": form,
            "counts": [(r, counts[r.code]) for r in regions],
            "rounds_url": rounds_url(),
        },
        status=400 if form.errors else 200,
    )
