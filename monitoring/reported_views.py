"""统计报送 screens: the reported figures (indicators the records cannot give, such as
技工院校招生), entered by one bureau person and approved — or sent back — by another.

Views are thin: rows through ``monitoring.policies`` (404 outside the user's
regions, and for roles that do not report or read), steps through
``monitoring.services`` (which check who may take them again), refusals shown in the
service's own words. Reported figures are shown as reported (统计报送), with their source
and date, never beside or added to computed ones.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from monitoring import policies, services
from monitoring.models import FigureStatus, Indicator, Measure, ReportedFigure
from training_platform import confirm
from training_platform.errors import error_text
from training_platform.filters import RegionFilter

PER_PAGE = 50


def list_url() -> str:
    return reverse("monitoring_reported:list")


def detail_url(figure) -> str:
    return reverse("monitoring_reported:detail", args=[figure.pk])


def _reader_or_404(request):
    if not policies.may_read(request.user):
        raise Http404


def _figure_or_404(request, pk) -> ReportedFigure:
    _reader_or_404(request)
    figure = (
        policies.visible_figures(request.user)
        .select_related("indicator", "region", "entered_by", "approved_by")
        .filter(pk=pk)
        .first()
    )
    if figure is None:
        raise Http404
    return figure


def person(user) -> str:
    """A person by their full name (刘芳); "—" where there is none."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def reported_indicators():
    return Indicator.objects.filter(measure=Measure.REPORTED).order_by(
        "sort_order", "code"
    )


# --- list ------------------------------------------------------------------------------


class FigureFilterSet(django_filters.FilterSet):
    indicator = django_filters.ModelChoiceFilter(
        label="指标", queryset=reported_indicators(), empty_label="全部指标"
    )
    region = RegionFilter(empty_label="全部地区")
    status = django_filters.ChoiceFilter(
        label="状态", choices=FigureStatus.choices, empty_label="全部"
    )

    class Meta:
        model = ReportedFigure
        fields = ["indicator", "region", "status"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["indicator"].queryset = reported_indicators()
        region_field = self.form.fields["region"]
        prefixes = policies.reader_prefixes(user)
        if "" not in prefixes:
            from django.db.models import Q

            query = Q(pk__in=[])
            for prefix in prefixes:
                query |= Q(code__startswith=prefix)
            region_field.queryset = region_field.queryset.filter(query)


def figures_queryset(user):
    return (
        policies.visible_figures(user)
        .select_related("indicator", "region", "entered_by", "approved_by")
        .order_by("indicator__sort_order", "indicator__code", "-year", "region_id")
    )


@never_cache
@require_http_methods(["GET"])
def figure_list(request):
    """报送数据: the reported figures of the user's regions, filtered."""
    _reader_or_404(request)
    filterset = FigureFilterSet(
        request.GET or None, queryset=figures_queryset(request.user), user=request.user
    )
    paginator = Paginator(filterset.qs, PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("p"))
    rows = [
        {
            "figure": f,
            "entered_by": person(f.entered_by),
            "approved_by": person(f.approved_by) if f.approved_by_id else "",
            "url": detail_url(f),
        }
        for f in page_obj.object_list
    ]
    return TemplateResponse(
        request,
        "monitoring/reported/list.html",
        {
            "filter": filterset,
            "page_obj": page_obj,
            "rows": rows,
            "count": paginator.count,
            "filtered": filterset.is_bound
            and any(request.GET.get(k) for k in ("indicator", "region", "status")),
            "can_enter": policies.may_enter(request.user),
            "new_url": reverse("monitoring_reported:new"),
        },
    )


# --- one figure ------------------------------------------------------------------------


def _detail_context(request, figure, reject_form=None) -> dict:
    is_bureau = policies.is_bureau_over(request.user, figure.region.code)
    is_draft = figure.status == FigureStatus.DRAFT
    return {
        "figure": figure,
        "entered_by": person(figure.entered_by),
        "approved_by": person(figure.approved_by) if figure.approved_by_id else "",
        "is_draft": is_draft,
        # A reader (auditor) sees no action; a bureau of the region sees 批准 and 退回,
        # disabled with the reason where they may not take them.
        "show_actions": is_bureau and is_draft,
        "approve_refusal": policies.approve_refusal(request.user, figure),
        "reject_refusal": policies.reject_refusal(request.user, figure),
        "may_correct": is_bureau and is_draft,
        "reject_form": reject_form or RejectForm(),
        "list_url": list_url(),
        "edit_url": reverse("monitoring_reported:new")
        + f"?indicator={figure.indicator_id}&region={figure.region_id}"
        f"&year={figure.year}",
    }


@never_cache
@require_http_methods(["GET"])
def figure_detail(request, pk):
    """A reported figure: what it says, where it comes from, who entered and approved it,
    and what can be done now."""
    figure = _figure_or_404(request, pk)
    return TemplateResponse(
        request, "monitoring/reported/detail.html", _detail_context(request, figure)
    )


@never_cache
@require_POST
def figure_approve(request, pk):
    """批准: a second bureau person approves the draft; asked first."""
    figure = _figure_or_404(request, pk)
    refusal = policies.approve_refusal(request.user, figure)
    if refusal == policies.NOT_BUREAU:
        raise Http404  # an auditor or another bureau: not theirs to act on
    if refusal:
        messages.error(request, f"不能批准：{refusal}。")
        return redirect(detail_url(figure))
    if confirm.needed(request):
        return confirm.page(
            request,
            title=f"批准报送数据：{figure.indicator.name}",
            question=(
                f"确定批准 {figure.region.name} {figure.year} 年"
                f"{figure.indicator.name} {figure.value:,} {figure.indicator.unit} 吗？"
            ),
            consequences=[
                f"数据来源：{figure.source}（{figure.source_date:%Y-%m-%d}），"
                f"填报人：{person(figure.entered_by)}。",
                "批准后该数据计入规划监测（显示为统计报送，不与平台统计数相加），不能再修改。",
                "批准记入操作日志。",
            ],
            confirm_label="确认批准",
            cancel_url=detail_url(figure),
        )
    try:
        services.approve_reported_figure(
            actor=request.user, figure=figure, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            f"已批准 {figure.region.name} {figure.year} 年{figure.indicator.name}。",
        )
    return redirect(detail_url(figure))


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="退回原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明哪里不对，填报人据此重新报送。",
        error_messages={
            "required": "请填写退回原因。",
            "max_length": "退回原因不能超过 500 字。",
        },
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("请填写退回原因。")
        return reason


@never_cache
@require_POST
def figure_reject(request, pk):
    """退回: a second bureau person sends the draft back with a reason; asked first."""
    figure = _figure_or_404(request, pk)
    refusal = policies.reject_refusal(request.user, figure)
    if refusal == policies.NOT_BUREAU:
        raise Http404
    if refusal:
        messages.error(request, f"不能退回：{refusal}。")
        return redirect(detail_url(figure))
    form = RejectForm(request.POST)
    if not form.is_valid():
        # The reason is checked before the confirmation page, not after.
        return TemplateResponse(
            request,
            "monitoring/reported/detail.html",
            _detail_context(request, figure, reject_form=form),
            status=400,
        )
    if confirm.needed(request):
        return confirm.page(
            request,
            title=f"退回报送数据：{figure.indicator.name}",
            question=(
                f"确定退回 {figure.region.name} {figure.year} 年"
                f"{figure.indicator.name}（{person(figure.entered_by)}填报）吗？"
            ),
            consequences=[
                f"退回原因：{form.cleaned_data['reason']}",
                "退回后这条草稿删除，填报人需要重新报送；原数据和退回原因记入操作日志。",
            ],
            confirm_label="确认退回",
            cancel_url=detail_url(figure),
            danger=True,
        )
    try:
        services.reject_reported_figure(
            actor=request.user,
            figure=figure,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect(detail_url(figure))
    messages.success(
        request,
        f"已退回 {figure.region.name} {figure.year} 年{figure.indicator.name}，"
        "填报人需要重新报送。",
    )
    return redirect(list_url())


# --- 新建报送 ----------------------------------------------------------------------------


class FigureForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label="指标",
        queryset=Indicator.objects.none(),
        empty_label="请选择指标",
        error_messages={
            "required": "请选择指标。",
            "invalid_choice": "请选择统计报送的指标。",
        },
    )
    region = forms.ModelChoiceField(
        label="地区",
        queryset=None,
        empty_label="请选择地区",
        error_messages={
            "required": "请选择地区。",
            "invalid_choice": "只能报送本人负责地区的数据。",
        },
    )
    year = forms.IntegerField(
        label="年度",
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "请填写年度。",
            "invalid": "年度应为四位数字，如 2024。",
            "min_value": "年度应为四位数字，如 2024。",
            "max_value": "年度应为四位数字，如 2024。",
        },
    )
    value = forms.DecimalField(
        label="数值",
        min_value=0,
        max_digits=16,
        decimal_places=2,
        help_text="按指标的单位填写，最多两位小数。",
        error_messages={
            "required": "请填写数值。",
            "invalid": "数值应为数字，如 31250 或 12.5。",
            "min_value": "数值不能为负数。",
            "max_digits": "数值过大。",
            "max_decimal_places": "数值最多两位小数。",
            "max_whole_digits": "数值过大。",
        },
    )
    source = forms.CharField(
        label="数据来源",
        max_length=200,
        help_text="如：省人社厅技工院校招生统计报表。",
        error_messages={
            "required": "请填写数据来源。",
            "max_length": "数据来源不能超过 200 字。",
        },
    )
    source_date = forms.DateField(
        label="数据日期",
        help_text="来源资料的日期，格式如 2026-12-01。",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "请填写数据日期。",
            "invalid": "数据日期格式应如 2026-12-01。",
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = reported_indicators()
        self.fields["region"].queryset = policies.enterable_regions(user)
        self.fields["region"].label_from_instance = lambda r: f"{r.code} {r.name}"

    def clean_source(self):
        source = self.cleaned_data["source"].strip()
        if not source:
            raise ValidationError("请填写数据来源。")
        return source


def _draft_to_correct(user, initial):
    """The draft named by ?indicator=&region=&year= (修改), if the user may see it."""
    if len(initial) != 3 or not all(str(v).isdigit() for v in initial.values()):
        return None
    return (
        policies.visible_figures(user)
        .filter(
            indicator_id=initial["indicator"],
            region_id=initial["region"],
            year=initial["year"],
            status=FigureStatus.DRAFT,
        )
        .first()
    )


@never_cache
@require_http_methods(["GET", "POST"])
def figure_new(request):
    """新建报送: enter (or, while a draft, correct) a reported figure."""
    _reader_or_404(request)
    if not policies.may_enter(request.user):
        raise Http404  # auditors read only
    if request.method == "POST":
        form = FigureForm(request.POST, user=request.user)
    else:
        initial = {
            k: request.GET[k]
            for k in ("indicator", "region", "year")
            if request.GET.get(k)
        }
        draft = _draft_to_correct(request.user, initial)
        if draft is not None:
            initial.update(
                value=draft.value, source=draft.source, source_date=draft.source_date
            )
        form = FigureForm(initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            figure = services.enter_reported_figure(
                actor=request.user,
                indicator=data["indicator"],
                region=data["region"],
                year=data["year"],
                value=data["value"],
                source=data["source"],
                source_date=data["source_date"],
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error_text(exc))
        except PermissionDenied as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(
                request,
                f"已报送 {figure.region.name} {figure.year} 年{figure.indicator.name}，"
                "待另一位工作人员批准。",
            )
            return redirect(detail_url(figure))
    return TemplateResponse(
        request,
        "monitoring/reported/new.html",
        {"form": form, "list_url": list_url()},
        status=400 if form.errors else 200,
    )
