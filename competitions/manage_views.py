"""A competition's page in the back-office (``competitions:detail``) and the entries of
each event (``competitions:entries``): next steps first, then the events.

Who: anyone who may see the competition reads (auditors included, 404 for the rest);
the bureau over it and its organisers act (``policies.may_manage``), and the services
check again. Links to other screens (scores, score import, results) are built with
``optional_url`` so the page works whichever of them are installed.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from bases.models import TrainingInstitution
from competitions import policies, services
from competitions.models import (
    Competition,
    CompetitionStatus,
    Entry,
    Event,
    Registration,
)
from competitions.scoring import scores_editable
from training_platform import access, confirm, pii
from training_platform.errors import error_text
from training_platform.reference.models import Region, RegionLevel


def optional_url(name: str, *args) -> str | None:
    """The URL of a screen another part may provide, or None while it is absent."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def detail_url(competition) -> str:
    return reverse("competitions:detail", args=[competition.pk])


def entries_url(event) -> str:
    return reverse("competitions:entries", args=[event.pk])


def _competition(request, pk) -> Competition:
    return access.get_visible_or_404(
        request.user, Competition.objects.select_related("region", "host_base"), pk=pk
    )


def next_steps(user, competition) -> list[dict]:
    """What can be done now, each with a line saying what follows; an expected step
    that cannot be taken yet comes disabled with its reason."""
    if not policies.may_manage(user, competition):
        return []
    steps = []
    status = competition.status
    if status == CompetitionStatus.DRAFT:
        reasons = services.open_registration_blockers(competition)
        steps.append(
            {
                "key": "open-registration",
                "label": "开放报名",
                "explanation": "开放后可以为各赛项登记参赛选手（队）。",
                "post_url": reverse(
                    "competitions:open_registration", args=[competition.pk]
                ),
                "enabled": not reasons,
                "reason": "；".join(reasons),
            }
        )
    elif status == CompetitionStatus.REGISTRATION:
        reasons = services.start_scoring_blockers(competition)
        steps.append(
            {
                "key": "start-scoring",
                "label": "开始评分",
                "explanation": "报名随之截止，之后录入或导入各赛项成绩。",
                "post_url": reverse(
                    "competitions:start_scoring", args=[competition.pk]
                ),
                "enabled": not reasons,
                "reason": "；".join(reasons),
            }
        )
    if status in (CompetitionStatus.SCORING, CompetitionStatus.PUBLISHED):
        url = optional_url("competitions:results", competition.pk)
        if url:
            steps.append(
                {
                    "key": "results",
                    "label": "成绩与公布",
                    "explanation": "查看计算出的名次和奖项，公布结果或提出更正。",
                    "url": url,
                    "enabled": True,
                    "reason": "",
                }
            )
    if status != CompetitionStatus.PUBLISHED:
        steps.append(
            {
                "key": "edit",
                "label": "编辑竞赛",
                "explanation": "修改基本信息、赛项、奖项规则、称号规则和晋级规则。",
                "url": reverse("competition:edit", args=[competition.pk]),
                "enabled": True,
                "reason": "",
            }
        )
    return steps


def _event_links(event, scores_open: bool) -> list[dict]:
    links = [{"label": "报名名单", "url": entries_url(event)}]
    # While scoring, and after publication for a correction (until one is proposed).
    if scores_open:
        for label, name in (
            ("录入成绩", "competitions:scores"),
            ("导入成绩", "competitions:score_import"),
        ):
            url = optional_url(name, event.pk)
            if url:
                links.append({"label": label, "url": url})
    return links


@never_cache
def detail_view(request, pk):
    competition = _competition(request, pk)
    manage = policies.may_manage(request.user, competition)
    events = list(
        competition.events.select_related("occupation")
        .annotate(
            entry_total=Count("entries", filter=Q(entries__withdrawn=False)),
        )
        .order_by("sort_order", "pk")
    )
    scores_open = manage and scores_editable(competition)
    rows = [{"event": e, "links": _event_links(e, scores_open)} for e in events]
    return TemplateResponse(
        request,
        "competitions/admin/detail.html",
        {
            "competition": competition,
            "steps": next_steps(request.user, competition),
            "manage": manage,
            "rows": rows,
            "award_rules": list(competition.award_rules.all()),
            "title_rules": list(competition.title_rules.all()),
            "promotion_rules": list(competition.promotion_rules.all()),
            "organisers": [
                u.get_full_name() or u.get_username()
                for u in competition.organisers.all()
            ],
            "list_url": reverse("competition:index"),
        },
    )


STATUS_QUESTIONS = {
    "open": (
        "开放报名",
        "确定开放本竞赛的报名吗？",
        ["开放后即可为各赛项登记参赛选手（队）。", "开放后竞赛不能退回草稿。"],
    ),
    "score": (
        "开始评分",
        "确定结束报名、开始评分吗？",
        ["报名随之截止，不能再登记新的选手（队）。", "之后可录入或导入各赛项成绩。"],
    ),
}


def _status_move(request, pk, which, service):
    competition = _competition(request, pk)
    back = detail_url(competition)
    if not policies.may_manage(request.user, competition):
        raise PermissionDenied
    if confirm.needed(request):
        title, question, consequences = STATUS_QUESTIONS[which]
        return confirm.page(
            request,
            title=title,
            question=question,
            consequences=consequences,
            confirm_label=f"确认{title}",
            cancel_url=back,
        )
    try:
        service(actor=request.user, competition=competition, request=request)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
        return redirect(back)
    messages.success(request, f"已{STATUS_QUESTIONS[which][0]}。")
    return redirect(back)


@never_cache
@require_POST
def open_registration_view(request, pk):
    return _status_move(request, pk, "open", services.competition_open_registration)


@never_cache
@require_POST
def start_scoring_view(request, pk):
    return _status_move(request, pk, "score", services.competition_start_scoring)


# --- entries -----------------------------------------------------------------------


class RegistrationForm(forms.Form):
    id_numbers = forms.CharField(
        label="身份证号",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一个；团体赛项填写全队人员。选手须已在平台建立实名档案。",
    )
    delegation_region = forms.ModelChoiceField(
        label="代表队（地区）",
        queryset=Region.objects.none(),
        required=False,
    )
    delegation_institution = forms.ModelChoiceField(
        label="代表队（单位）",
        queryset=TrainingInstitution.objects.none(),
        required=False,
        help_text="地区和单位至少填写一项。",
    )
    team_name = forms.CharField(label="队名", max_length=60, required=False)
    number = forms.CharField(
        label="参赛编号",
        max_length=20,
        required=False,
        help_text="不填则按 001、002…… 顺序编号。",
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegation_region"].queryset = Region.objects.filter(
            level__in=(RegionLevel.PROVINCE, RegionLevel.PREFECTURE)
        ).order_by("code")
        self.fields[
            "delegation_institution"
        ].queryset = TrainingInstitution.objects.order_by("name")
        if not event.is_team:
            del self.fields["team_name"]
        else:
            self.fields[
                "id_numbers"
            ].help_text = (
                f"每行一个，全队 {event.team_size} 人。选手须已在平台建立实名档案。"
            )

    def clean(self):
        data = super().clean()
        if not data.get("delegation_region") and not data.get("delegation_institution"):
            self.add_error("delegation_region", "请填写代表队（地区或单位）。")
        return data

    def numbers(self) -> list[str]:
        text = self.cleaned_data.get("id_numbers", "")
        return [line.strip() for line in text.splitlines() if line.strip()]


def _add_errors(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def entry_rows(event) -> list[dict]:
    """The event's entries with their people masked (two queries, whatever the size)."""
    entries = (
        Entry.objects.filter(event=event)
        .select_related("delegation_region", "delegation_institution")
        .prefetch_related(
            Prefetch(
                "registrations",
                queryset=Registration.objects.select_related("trainee").order_by("pk"),
            )
        )
        .order_by("number", "pk")
    )
    rows = []
    for entry in entries:
        delegation = "、".join(
            name
            for name in (
                entry.delegation_region.name if entry.delegation_region_id else "",
                entry.delegation_institution.name
                if entry.delegation_institution_id
                else "",
            )
            if name
        )
        rows.append(
            {
                "entry": entry,
                "people": "、".join(
                    pii.mask_name(r.trainee.name) for r in entry.registrations.all()
                )
                or "—",
                "delegation": delegation or "—",
            }
        )
    return rows


@never_cache
@require_http_methods(["GET", "POST"])
def entries_view(request, event_pk):
    event = access.get_visible_or_404(
        request.user,
        Event.objects.select_related("competition", "occupation"),
        pk=event_pk,
    )
    competition = event.competition
    manage = policies.may_manage(request.user, competition)
    taking = competition.status == CompetitionStatus.REGISTRATION
    form = None
    if manage and taking:
        form = RegistrationForm(
            request.POST if request.method == "POST" else None, event=event
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                people = services.find_trainees(form.numbers())
                entry = services.entry_register(
                    actor=request.user,
                    event=event,
                    trainees=people,
                    delegation_region=form.cleaned_data["delegation_region"],
                    delegation_institution=form.cleaned_data["delegation_institution"],
                    team_name=form.cleaned_data.get("team_name", ""),
                    number=form.cleaned_data["number"],
                    request=request,
                )
            except ValidationError as error:
                _add_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, f"已报名，参赛编号 {entry.number}。")
                return redirect(entries_url(event))
    rows = entry_rows(event)
    withdrawable = manage and competition.status in (
        CompetitionStatus.REGISTRATION,
        CompetitionStatus.SCORING,
    )
    return TemplateResponse(
        request,
        "competitions/admin/entries.html",
        {
            "competition": competition,
            "event": event,
            "rows": rows,
            "count": sum(1 for r in rows if not r["entry"].withdrawn),
            "total": len(rows),
            "form": form,
            "manage": manage,
            "taking": taking,
            "withdrawable": withdrawable,
            "detail_url": detail_url(competition),
        },
    )


@never_cache
@require_POST
def withdraw_view(request, entry_pk):
    entry = access.get_visible_or_404(
        request.user,
        Entry.objects.select_related("event__competition"),
        pk=entry_pk,
    )
    back = entries_url(entry.event)
    if not policies.may_manage(request.user, entry.event.competition):
        raise PermissionDenied
    if confirm.needed(request):
        registering = entry.event.competition.status == CompetitionStatus.REGISTRATION
        return confirm.page(
            request,
            title="退赛",
            question=f"确定让参赛编号 {entry.number} 的选手（队）退赛吗？",
            consequences=[
                "报名记录将删除，本人可以重新报名本赛项。"
                if registering
                else "该选手（队）保留在名单中并标明退赛，不参加排名。"
            ],
            confirm_label="确认退赛",
            cancel_url=back,
            danger=True,
        )
    try:
        services.entry_withdraw(
            actor=request.user,
            entry=entry,
            reason=request.POST.get("reason", "").strip(),
            request=request,
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
        return redirect(back)
    messages.success(request, f"参赛编号 {entry.number} 已退赛。")
    return redirect(back)
