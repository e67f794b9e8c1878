"""The results screen of a competition (成绩公布): the computed or published table of
every event with formulas and flags, the next step (公布成绩 / 提出更正 / 批准更正 /
退回更正) for whoever may take it, the version history with dates and reasons, and
the outcomes issued and revoked.

Who may not see the competition gets 404 (``access.get_visible_or_404``); each button
shows only for who may use it, each act asks first (``training_platform.confirm``) and
the services check again.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from competitions import policies, results
from competitions.models import (
    Competition,
    CompetitionStatus,
    OutcomeStatus,
    ResultVersion,
    VersionStatus,
)
from training_platform import access, confirm
from training_platform.display import person_name
from training_platform.errors import error_text


def _competition(request, pk) -> Competition:
    return access.get_visible_or_404(
        request.user, Competition.objects.select_related("region"), pk=pk
    )


def results_url(competition) -> str:
    return reverse("competitions:results", args=[competition.pk])


@require_GET
def results_view(request, pk):
    competition = _competition(request, pk)
    user = request.user
    history = results.version_history(competition)
    for version in history:
        version.proposer_name = (
            person_name(version.proposed_by) if version.proposed_by else "—"
        )
        version.approver_name = (
            person_name(version.approved_by) if version.approved_by else "—"
        )
    current = next((v for v in history if v.status == VersionStatus.PUBLISHED), None)
    proposed = next((v for v in history if v.status == VersionStatus.PROPOSED), None)
    if current is not None:
        tables = results.results_table(current)
    else:
        tables = results.computed_table(competition)
    proposed_tables = results.results_table(proposed) if proposed else []
    outcomes = list(results.outcomes_of(competition))
    scoring = competition.status == CompetitionStatus.SCORING
    published = competition.status == CompetitionStatus.PUBLISHED
    return TemplateResponse(
        request,
        "competitions/results.html",
        {
            "competition": competition,
            "current": current,
            "proposed": proposed,
            "tables": tables,
            "proposed_tables": proposed_tables,
            "history": history,
            "active_outcomes": [
                o for o in outcomes if o.status == OutcomeStatus.ACTIVE
            ],
            "revoked_outcomes": [
                o for o in outcomes if o.status == OutcomeStatus.REVOKED
            ],
            "may_publish": scoring and policies.may_publish(user, competition),
            "may_propose": published
            and proposed is None
            and policies.may_manage(user, competition),
            "may_review": proposed is not None
            and policies.may_approve_correction(user, proposed),
            "own_proposal": proposed is not None and proposed.proposed_by_id == user.pk,
        },
    )


def _refused(request, competition, exc):
    messages.error(request, error_text(exc))
    return redirect(results_url(competition))


@require_POST
def publish_view(request, pk):
    competition = _competition(request, pk)
    if not policies.may_publish(request.user, competition):
        return _refused(
            request,
            competition,
            PermissionDenied("公布成绩须由竞赛所在地人社部门办理。"),
        )
    if confirm.needed(request):
        return confirm.page(
            request,
            title="公布成绩",
            question=f"确定公布“{competition.name}”的成绩吗？",
            consequences=[
                "各赛项成绩、名次和奖项将按当前计算结果固定为第 1 版，并在门户网站公布。",
                "将按奖项、称号和晋级规则签发获奖证书、授予称号、记录技能等级晋升。",
                "公布后如需更正，须提出更正并由另一位人社部门工作人员复核批准。",
            ],
            confirm_label="确认公布",
            cancel_url=results_url(competition),
        )
    try:
        version = results.results_publish(
            actor=request.user, competition=competition, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, competition, exc)
    issued = version.issued_outcomes.count()
    messages.success(request, f"成绩已公布（第 1 版），已授予 {issued} 项竞赛成果。")
    return redirect(results_url(competition))


@require_POST
def propose_view(request, pk):
    competition = _competition(request, pk)
    if not policies.may_manage(request.user, competition):
        return _refused(
            request,
            competition,
            PermissionDenied("只有本竞赛的组织人员或人社部门可以提出更正。"),
        )
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        messages.error(request, "提出更正须填写更正原因。")
        return redirect(results_url(competition))
    if confirm.needed(request):
        return confirm.page(
            request,
            title="提出更正",
            question=f"确定按当前成绩提出“{competition.name}”的成绩更正吗？",
            consequences=[
                f"更正原因：{reason}",
                "当前录入的成绩将固定为待复核的新版本；复核批准前，公布的成绩不变。",
                "须由您以外的一位人社部门工作人员复核批准。",
            ],
            confirm_label="确认提出更正",
            cancel_url=results_url(competition),
        )
    try:
        version = results.correction_propose(
            actor=request.user, competition=competition, reason=reason, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, competition, exc)
    messages.success(request, f"已提出更正（第 {version.number} 版），等待复核。")
    return redirect(results_url(competition))


def _proposal(request, pk, version_pk):
    competition = _competition(request, pk)
    version = get_object_or_404(
        ResultVersion.objects.select_related("competition"),
        pk=version_pk,
        competition=competition,
    )
    return competition, version


@require_POST
def approve_view(request, pk, version_pk):
    competition, version = _proposal(request, pk, version_pk)
    if not policies.may_approve_correction(request.user, version):
        return _refused(
            request,
            competition,
            PermissionDenied("更正须由提出人以外的人社部门工作人员复核批准。"),
        )
    if confirm.needed(request):
        return confirm.page(
            request,
            title="批准更正",
            question=f"确定批准第 {version.number} 版成绩更正并公布吗？",
            consequences=[
                f"更正原因：{version.reason}",
                "原公布的版本保留为“已更正”，门户网站显示更正后的成绩和更正说明。",
                "不再符合条件的获奖证书、称号和晋级将被撤销，新符合条件的将签发。",
            ],
            confirm_label="确认批准",
            cancel_url=results_url(competition),
            danger=True,
        )
    try:
        results.correction_approve(actor=request.user, version=version, request=request)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, competition, exc)
    version.refresh_from_db()
    revoked = version.revoked_outcomes.count()
    issued = version.issued_outcomes.count()
    messages.success(
        request,
        f"第 {version.number} 版已公布：新授予 {issued} 项、撤销 {revoked} 项竞赛成果。",
    )
    return redirect(results_url(competition))


@require_POST
def reject_view(request, pk, version_pk):
    competition, version = _proposal(request, pk, version_pk)
    if not policies.may_approve_correction(request.user, version):
        return _refused(
            request,
            competition,
            PermissionDenied("更正须由提出人以外的人社部门工作人员复核。"),
        )
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        messages.error(request, "退回更正须填写原因。")
        return redirect(results_url(competition))
    if confirm.needed(request):
        return confirm.page(
            request,
            title="退回更正",
            question=f"确定退回第 {version.number} 版成绩更正吗？",
            consequences=[f"退回原因：{reason}", "公布的成绩不变。"],
            confirm_label="确认退回",
            cancel_url=results_url(competition),
        )
    try:
        results.correction_reject(
            actor=request.user, version=version, reason=reason, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, competition, exc)
    messages.success(request, f"已退回第 {version.number} 版更正。")
    return redirect(results_url(competition))
