"""Custom back-office views for classes: workflow actions and the results screen.

Thin by design: they find the row through ``access`` (404 outside the user's scope),
call ``courses.services`` and show its refusal, in its own words, to the user.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from courses import services
from courses.forms import RejectForm, ResultRowForm
from courses.models import ClassStatus, Enrolment, EnrolmentStatus, TrainingClass
from courses.policies import is_class_staff
from courses.results_import import score_result_disagreement
from training_platform import access
from training_platform.errors import error_text

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


def inspect_url(training_class) -> str:
    return reverse("trainingclass:inspect", args=[training_class.pk])


@require_POST
def class_transition(request, pk, action):
    """Move a class on (备案, 批准, 退回, 开放报名, 开班, 结业, 取消) and go back to it."""
    run = INSTITUTION_ACTIONS.get(action) or BUREAU_ACTIONS.get(action)
    if run is None:
        raise Http404
    training_class = access.get_visible_or_404(request.user, TrainingClass, pk=pk)
    kwargs = {"actor": request.user, "training_class": training_class}
    if action == "reject":
        form = RejectForm(request.POST)
        kwargs["reason"] = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        run(request=request, **kwargs)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        label = services.ACTION_LABELS[action]
        messages.success(request, f"培训班 {training_class.code} 已{label}。")
    return redirect(inspect_url(training_class))


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
