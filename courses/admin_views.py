"""Custom back-office views for classes: workflow actions and the results screen.

Thin by design: they find the row through ``access`` (404 outside the user's scope),
call ``courses.services`` and show its refusal, in its own words, to the user.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bases.models import InstitutionOccupation, QualificationStatus
from courses import services
from courses.forms import RejectForm, ResultRowForm
from courses.models import ClassStatus, Enrolment, EnrolmentStatus, TrainingClass
from courses.policies import class_actions_for, is_class_staff
from courses.results_import import score_result_disagreement
from training_platform import access, confirm
from training_platform.errors import error_text
from training_platform.reference.models import SKILL_LEVEL_RANK
from training_platform.roles import Role

INSTITUTION_ACTIONS = {
    "file": services.class_file,
    "open": services.class_open,
    "start": services.class_start,
    "finish": services.class_finish,
    "cancel": services.class_cancel,
}
BUREAU_ACTIONS = {"approve": services.class_approve, "reject": services.class_reject}
# Attendance and results are recorded once the class has started (see services).
RECORDING_STATUSES = frozenset({ClassStatus.RUNNING, ClassStatus.FINISHED})
# The box ticked to save scores and results that disagree (40 with 合格, 60 with 缺考).
SAVE_ANYWAY = "save_anyway"


@dataclass(frozen=True)
class ActionScreen:
    """How the class page offers an action and how its confirmation page words it."""

    button: str  # names the act and its object
    explanation: str  # one line beside the button: what it does
    question: str
    consequences: tuple[str, ...]
    danger: bool = False


ACTION_SCREENS = {
    "file": ActionScreen(
        "提交备案",
        "提交给人社部门审批，审批前不能招生。",
        "确定提交本班备案吗？",
        (
            "培训班将交给培训地点所在地区的人社部门审批。",
            "审批期间不能修改培训班信息；被退回后可以修改再提交。",
        ),
    ),
    "approve": ActionScreen(
        "批准开班",
        "同意本班按备案的项目、时间和地点举办，机构随后可以招生、开班。",
        "确定批准本班吗？",
        (
            "培训班变为“已批准”，机构可以开放报名、导入花名册和开班。",
            "批准人和批准时间记入本班信息和操作日志，批准后不能撤回。",
        ),
    ),
    "reject": ActionScreen(
        "退回",
        "退回机构修改，须写明原因；机构改正后可以重新提交。",
        "确定退回本班吗？",
        (
            "培训班变为“已退回”，机构看到退回原因，可以修改后重新提交备案。",
            "退回原因记入操作日志。",
        ),
        danger=True,
    ),
    "open": ActionScreen(
        "开放报名",
        "本班出现在网上培训目录，学员可以自助报名。",
        "确定开放本班报名吗？",
        ("学员可以在网上看到并报名本班，直到开班。",),
    ),
    "start": ActionScreen(
        "开班",
        "培训开始：报名截止，开始录入出勤和考核结果。",
        "确定开班吗？",
        (
            "报名截止，学员不能再报名或自行退出。",
            "开班后可以录入出勤和考核结果，开班不能撤回。",
        ),
    ),
    "finish": ActionScreen(
        "结业",
        "培训结束：不再报名或修改名单，合格学员可以发证。",
        "确定让本班结业吗？",
        (
            "结业后不能再报名或修改名单，结业不能撤回。",
            "出勤和考核结果仍可补录；考核合格、出勤达标的学员可以发证。",
        ),
    ),
    "cancel": ActionScreen(
        "取消培训班",
        "本班不再举办；取消后不能恢复。",
        "确定取消本班吗？",
        (
            "培训班变为“已取消”，不能再报名、开班或恢复。",
            "已报名的学员请另行通知。",
        ),
        danger=True,
    ),
}


def inspect_url(training_class) -> str:
    return reverse("trainingclass:inspect", args=[training_class.pk])


@require_POST
def class_transition(request, pk, action):
    """Move a class on (备案, 批准, 退回, 开放报名, 开班, 结业, 取消) and go back to it.

    Every action asks first (``training_platform.confirm``): a POST without
    ``confirmed=1`` answers with the confirmation page and changes nothing. An action the
    user is not offered now is refused at once, in the service's words.
    """
    run = INSTITUTION_ACTIONS.get(action) or BUREAU_ACTIONS.get(action)
    if run is None:
        raise Http404
    training_class = access.get_visible_or_404(
        request.user, TrainingClass.objects.select_related("course"), pk=pk
    )
    kwargs = {"actor": request.user, "training_class": training_class}
    if action == "reject":
        form = RejectForm(request.POST)
        kwargs["reason"] = form.cleaned_data["reason"] if form.is_valid() else ""
    offered = action in class_actions_for(request.user, training_class)
    reason_missing = action == "reject" and not kwargs["reason"].strip()
    if offered and not reason_missing and confirm.needed(request):
        screen = ACTION_SCREENS[action]
        consequences = list(screen.consequences)
        if action == "reject":
            consequences.insert(0, f"退回原因：{kwargs['reason'].strip()}")
        return confirm.page(
            request,
            title=f"{screen.button} {training_class.code}",
            question=screen.question,
            consequences=consequences,
            confirm_label=f"确认{screen.button}",
            cancel_url=inspect_url(training_class),
            danger=screen.danger,
        )
    try:
        run(request=request, **kwargs)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        label = services.ACTION_LABELS[action]
        messages.success(request, f"培训班 {training_class.code} 已{label}。")
    return redirect(inspect_url(training_class))


def next_waiting_class(user, *, after: TrainingClass | None = None):
    """(the next class waiting for ``user``'s approval, how many wait): oldest filing
    first, ``after`` left out. Bureau staff only; ``(None, 0)`` for everyone else."""
    scope = access.scope_for(user)
    if not scope.region_prefixes(Role.BUREAU):
        return None, 0
    waiting = TrainingClass.objects.filter(
        scope.region_q("region__code", role=Role.BUREAU), status=ClassStatus.FILED
    )
    if after is not None:
        waiting = waiting.exclude(pk=after.pk)
    waiting = waiting.order_by(F("filed_at").asc(nulls_last=True), "pk")
    count = waiting.count()
    return (waiting.only("pk", "code").first() if count else None), count


# --- the class page: next steps first --------------------------------------------------

STATUS_NOTES = {
    ClassStatus.DRAFT: "信息确认无误后提交备案，审批通过前不能招生。",
    ClassStatus.FILED: "等待人社部门审批；审批前不能招生。",
    ClassStatus.REJECTED: "按退回原因修改后可以重新提交备案。",
    ClassStatus.APPROVED: "可以开放报名、导入花名册，或直接开班。",
    ClassStatus.OPEN: "学员可以网上报名；开班后报名截止。",
    ClassStatus.RUNNING: "录入出勤和考核结果，培训结束后结业。",
    ClassStatus.FINISHED: "考核合格、出勤达标的学员可以发证。",
    ClassStatus.CANCELLED: "本班不再举办。",
}
ROSTER_STATUSES = frozenset(
    {ClassStatus.APPROVED, ClassStatus.OPEN, ClassStatus.RUNNING}
)


def class_next_steps(user, training_class, links=()) -> list[dict]:
    """What ``user`` can do with the class now, in the order to do it: the workflow
    actions its status allows this user, the staff's own next work (results, roster)
    and the next steps higher apps contribute (``links``); 取消 last."""
    cls, staff = training_class, is_class_staff(user, training_class)
    steps = []

    def link(label, url, explanation, enabled=True, reason=""):
        steps.append(
            {
                "kind": "link",
                "label": label,
                "url": url,
                "explanation": explanation,
                "enabled": enabled,
                "reason": reason,
            }
        )

    if staff and cls.status == ClassStatus.RUNNING:
        link(
            "录入出勤和考核",
            reverse("courses_class_results", args=[cls.pk]),
            "结业和发证前，为每名学员录入出勤学时和考核结果。",
        )
    actions = class_actions_for(user, cls)
    for action in actions:
        if action == "cancel":
            continue
        screen = ACTION_SCREENS[action]
        steps.append(
            {
                "kind": "reject" if action == "reject" else "action",
                "action": action,
                "label": screen.button,
                "url": reverse("courses_class_transition", args=[cls.pk, action]),
                "explanation": screen.explanation,
                "danger": screen.danger,
                "enabled": True,
            }
        )
    for item in links:
        if item.next_step:
            link(item.label, item.url, item.explanation, item.enabled, item.reason)
    if staff and cls.status in (ClassStatus.APPROVED, ClassStatus.OPEN):
        link(
            "导入花名册",
            reverse("courses_class_roster_upload", args=[cls.pk]),
            "把线下报名的学员成批加入本班（先下载模板）。",
        )
    if "cancel" in actions:
        screen = ACTION_SCREENS["cancel"]
        steps.append(
            {
                "kind": "action",
                "action": "cancel",
                "label": screen.button,
                "url": reverse("courses_class_transition", args=[cls.pk, "cancel"]),
                "explanation": screen.explanation,
                "danger": True,
                "enabled": True,
            }
        )
    return steps


def review_facts(training_class) -> dict:
    """What an approver weighs (SPEC 2.3): hours against the schedule, fee and subsidy,
    the institution's qualification, its filing for the occupation and level, and its
    classes of the last year. A fixed number of queries."""
    cls, course = training_class, training_class.course
    institution = course.institution
    days = (cls.end_date - cls.start_date).days + 1
    filings = list(
        InstitutionOccupation.objects.filter(institution=institution, can_train=True)
        .select_related("occupation")
        .order_by("occupation_id")
    )
    filing = next((f for f in filings if f.occupation_id == course.occupation_id), None)
    level_ok = filing is not None and (
        not course.target_level
        or SKILL_LEVEL_RANK[course.target_level] <= SKILL_LEVEL_RANK[filing.max_level]
    )
    since = timezone.now() - timedelta(days=365)
    history = dict(
        TrainingClass.objects.filter(
            course__institution=institution, filed_at__gte=since
        )
        .exclude(pk=cls.pk)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "course": course,
        "occupation": course.occupation,
        "days": days,
        "hours_per_day": (Decimal(course.hours) / days).quantize(Decimal("0.1"))
        if days > 0
        else None,
        "fee": f"{course.fee:,.2f} 元",
        "institution": institution,
        "qualified": institution.status == QualificationStatus.APPROVED,
        "filing": filing,
        "level_ok": level_ok,
        "other_filings": [f for f in filings if f is not filing],
        "history": [
            (ClassStatus(status).label, n)
            for status, n in sorted(history.items(), key=lambda kv: -kv[1])
        ],
        "history_total": sum(history.values()),
    }


def _disagreements(rows, *, posted: bool) -> int:
    """Mark each row whose score and result disagree (``row.disagreement``); the number
    of rows whose score or result was changed that do. Posted rows are judged by what was typed, others by what
    is stored."""
    blocking = 0
    for row in rows:
        if posted and row.is_valid():
            score, result = row.cleaned_data["score"], row.cleaned_data["result"]
        else:
            score, result = row.enrolment.score, row.enrolment.result
        row.disagreement = score_result_disagreement(score, result)
        if row.disagreement and posted and {"score", "result"} & set(row.changed_data):
            blocking += 1
    return blocking


@never_cache
def class_results(request, pk):
    """出勤与考核: one form for every active enrolment of a class, saved all or nothing.

    A score and a result that disagree (40 with 合格, 60 with 不合格, a score with 缺考)
    are a warning, not an error: a first save of such changed rows saves nothing and
    shows each warning beside its row, with a 「仍然保存」 box to tick. A box on the
    page rather than ``training_platform.confirm``: the person stays on the rows to
    correct them, and what they typed stays in the form.
    """
    training_class = access.get_visible_or_404(
        request.user, TrainingClass.objects.select_related("course"), pk=pk
    )
    enrolments = list(
        Enrolment.objects.filter(
            training_class=training_class, status=EnrolmentStatus.ENROLLED
        )
        .select_related("trainee")
        .order_by("trainee__name", "pk")
    )
    for enrolment in enrolments:  # the services read the class and course from here
        enrolment.training_class = training_class
    can_record = (
        is_class_staff(request.user, training_class)
        and training_class.status in RECORDING_STATUSES
    )
    data = request.POST if request.method == "POST" else None
    rows = [ResultRowForm(data, enrolment=e) for e in enrolments]
    posted = request.method == "POST"
    if posted and not can_record:
        raise PermissionDenied
    disagreeing = _disagreements(rows, posted=posted)
    ask_anyway = False
    if posted:
        valid = [row.is_valid() for row in rows]  # every row, to show every error
        if all(valid) and disagreeing and not request.POST.get(SAVE_ANYWAY):
            ask_anyway = True
            messages.warning(
                request,
                f"有 {disagreeing} 名学员的考核成绩与考核结果不一致，本次修改尚未保存。"
                "请核对标出的行；确认无误请勾选「仍然保存」后再次保存。",
            )
        elif all(valid):
            saved = _save_rows(request, rows)
            if saved is not None:
                if saved:
                    messages.success(
                        request, f"已保存 {saved} 名学员的出勤和考核结果。"
                    )
                else:
                    messages.info(request, "没有需要保存的修改。")
                return redirect(request.path)
        if not ask_anyway:
            failed = sum(1 for row in rows if row.errors)
            messages.error(
                request,
                f"有 {failed} 名学员的记录有误，本次修改均未保存，请改正后重新提交。",
            )
    return TemplateResponse(
        request,
        "courses/admin/class_results.html",
        {
            "training_class": training_class,
            "rows": rows,
            "can_record": can_record,
            "ask_anyway": ask_anyway,
            "save_anyway": SAVE_ANYWAY,
            "recording_open": training_class.status in RECORDING_STATUSES,
            "inspect_url": inspect_url(training_class),
        },
    )


def _save_rows(request, rows) -> int | None:
    """Record every changed row through the services; on any refusal keep nothing and
    put the refusal next to its row. Returns the rows saved, or ``None`` on failure."""
    saved = 0
    with transaction.atomic():
        for row in rows:
            changed = set(row.changed_data)
            if not changed:
                continue
            data, enrolment = row.cleaned_data, row.enrolment
            try:
                if "hours" in changed:
                    services.attendance_record(
                        actor=request.user,
                        enrolment=enrolment,
                        hours=data["hours"],
                        request=request,
                    )
                if changed & {"score", "result"}:
                    services.assessment_record(
                        actor=request.user,
                        enrolment=enrolment,
                        result=data["result"],
                        score=data["score"],
                        request=request,
                    )
            except (ValidationError, PermissionDenied) as exc:
                row.add_error(None, error_text(exc))
            else:
                saved += 1
        if any(row.errors for row in rows):
            transaction.set_rollback(True)
            return None
    return saved
