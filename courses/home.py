"""What waits on the back-office home for courses' work (training_platform/home.py).

Institution staff: their classes by state with the next step for each, and imports
uploaded and previewed but not yet confirmed. Bureau staff: classes waiting for their
approval, overdue first.

Overdue (待审批): filed more than ``APPROVAL_WORKING_DAYS`` working days ago (weekends and
the bureau's holidays not counted, ``training_platform.workdays``), or starting within ``START_SOON_DAYS``
days (or already past its start date) while still waiting — the institution cannot
open enrolment before the bureau decides.
"""

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from courses.models import ClassStatus, ImportUpload, TrainingClass, UploadKind
from training_platform import access, workdays
from training_platform.home import (
    ORDER_DECISIONS,
    ORDER_WORK,
    ROWS_SHOWN,
    HomePanel,
    HomeRow,
    HomeSection,
)
from training_platform.imports.models import ImportStatus
from training_platform.roles import Role

APPROVAL_WORKING_DAYS = 5
START_SOON_DAYS = 7

# The states an institution's classes go through, each with the step that waits for
# the institution (or for nobody: 已备案待审批 waits for the bureau).
NEXT_STEPS = (
    (ClassStatus.DRAFT, "提交备案"),
    (ClassStatus.REJECTED, "按退回原因修改后重新提交备案"),
    (ClassStatus.FILED, ""),
    (ClassStatus.APPROVED, "开放报名"),
    (ClassStatus.OPEN, "导入花名册，开班"),
    (ClassStatus.RUNNING, "录入考核结果"),
    (ClassStatus.FINISHED, "为合格学员发证"),
)
FILED_NOTE = "等待人社部门审批"


def class_url(training_class) -> str:
    return reverse("trainingclass:inspect", args=[training_class.pk])


def class_list_url(**params) -> str:
    return reverse("trainingclass:index") + "?" + urlencode(params)


def working_days_before(day: dt.date, count: int) -> dt.date:
    """The date ``count`` working days before ``day`` (weekends and the bureau's
    holidays skipped, make-up working days counted: ``training_platform.workdays``)."""
    return workdays.add_working_days(day, -count)


def _class_label(training_class) -> str:
    return f"{training_class.code} {training_class.course.title}"


def _dates(training_class) -> str:
    return f"{training_class.start_date:%Y-%m-%d} 至 {training_class.end_date:%Y-%m-%d}"


# --- institution staff -----------------------------------------------------------------


def _institution_row(training_class, status) -> HomeRow:
    seats = f"已报名 {training_class.seats_taken}/{training_class.capacity} 人"
    detail = f"{_dates(training_class)} · {training_class.region.name} · {seats}"
    if status == ClassStatus.REJECTED and training_class.rejection_reason:
        detail += f" · 退回原因：{training_class.rejection_reason}"
    if status == ClassStatus.RUNNING:
        action, action_url = (
            "录入考核结果",
            reverse("courses_class_results", args=[training_class.pk]),
        )
    elif status == ClassStatus.FILED:
        action, action_url = "", ""
    elif status == ClassStatus.FINISHED:
        # Whether anyone still waits for a certificate is told by certificates' own
        # panel (可发证的培训班); the class page offers 为本班发证.
        action, action_url = "查看", ""
    else:
        action, action_url = dict(NEXT_STEPS)[status], ""
    return HomeRow(
        label=_class_label(training_class),
        url=class_url(training_class),
        detail=detail,
        action=action,
        action_url=action_url,
    )


def institution_classes_panel(request) -> list[HomePanel]:
    scope = access.scope_for(request.user)
    ids = scope.institution_ids(Role.INSTITUTION)
    if not ids:
        return []
    classes = access.visible(request.user, TrainingClass).filter(
        course__institution_id__in=ids
    )
    counts = dict(
        classes.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    sections = []
    for status, step in NEXT_STEPS:
        count = counts.get(status, 0)
        rows = []
        if count:
            # Soonest first; finished ones most recent first.
            order = "-end_date" if status == ClassStatus.FINISHED else "start_date"
            shown = (
                classes.filter(status=status)
                .select_related("course", "region")
                .order_by(order, "code")[:ROWS_SHOWN]
            )
            rows = [_institution_row(c, status) for c in shown]
        sections.append(
            HomeSection(
                heading=ClassStatus(status).label,
                count=count,
                rows=rows,
                measure="个培训班",
                next_step=step or FILED_NOTE,
                more_url=class_list_url(status=status),
            )
        )
    return [
        HomePanel(
            key="institution-classes",
            heading="本机构的培训班",
            sections=sections,
            measure="个培训班",
            empty="本机构还没有进行中的培训班。新建培训班后，这里会列出每个班的下一步。",
            order=ORDER_WORK,
            links=[("新建培训班", reverse("trainingclass:add"))],
        ),
        _imports_panel(request, ids),
    ]


def _imports_panel(request, institution_ids) -> HomePanel:
    uploads = ImportUpload.objects.filter(
        status=ImportStatus.PREVIEWED,
        training_class__in=access.visible(request.user, TrainingClass).filter(
            course__institution_id__in=institution_ids
        ),
    )
    count = uploads.count()
    shown = (
        uploads.select_related("training_class", "uploaded_by").order_by(
            "-created_at", "-id"
        )[:ROWS_SHOWN]
        if count
        else []
    )
    rows = []
    for upload in shown:
        who = upload.uploaded_by
        name = (who.last_name + who.first_name) or who.get_username() if who else "—"
        rows.append(
            HomeRow(
                label=(
                    f"{upload.training_class.code} · {UploadKind(upload.kind).label}"
                    f" · {upload.original_name or '—'}"
                ),
                url=reverse(
                    f"courses_{upload.kind}_preview",
                    args=[upload.training_class_id, upload.pk],
                ),
                detail=(
                    f"{name} 于 {timezone.localtime(upload.created_at):%Y-%m-%d %H:%M}"
                    f" 上传，{upload.row_count} 行"
                ),
                action="查看预览并确认",
            )
        )
    return HomePanel(
        key="institution-imports",
        heading="待确认的导入",
        sections=[HomeSection("已预览待确认", count, rows)],
        empty="没有等待确认的导入。",
        description="花名册和考核结果上传后须在预览页确认才会导入；未确认的文件 7 天后删除。",
        order=ORDER_WORK + 10,
    )


# --- bureau staff ----------------------------------------------------------------------


def bureau_approvals_panel(request) -> list[HomePanel]:
    scope = access.scope_for(request.user)
    if not (scope.is_superuser or scope.has(Role.BUREAU)):
        return []
    today = timezone.localdate()
    filed_before = working_days_before(today, APPROVAL_WORKING_DAYS)
    overdue = Q(filed_at__date__lt=filed_before) | Q(
        start_date__lte=today + dt.timedelta(days=START_SOON_DAYS)
    )
    waiting = TrainingClass.objects.filter(status=ClassStatus.FILED)
    if not scope.is_superuser:
        waiting = waiting.filter(scope.region_q("region__code", role=Role.BUREAU))
    totals = waiting.aggregate(n=Count("pk"), late=Count("pk", filter=overdue))
    rows = []
    if totals["n"]:
        shown = (
            waiting.annotate(
                late=Case(
                    When(overdue, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .select_related("course__institution", "region")
            .order_by("late", "filed_at", "start_date", "code")[:ROWS_SHOWN]
        )
        for c in shown:
            filed = timezone.localtime(c.filed_at).date() if c.filed_at else None
            if filed and filed < filed_before:
                flag = "已超期"
            elif c.start_date <= today + dt.timedelta(days=START_SOON_DAYS):
                flag = "临近开班"
            else:
                flag = ""
            rows.append(
                HomeRow(
                    label=_class_label(c),
                    url=class_url(c),
                    detail=(
                        f"{c.course.institution.name} · {c.region.name} · "
                        f"开班 {c.start_date:%Y-%m-%d} · "
                        f"备案 {filed:%Y-%m-%d}"
                        if filed
                        else f"{c.course.institution.name} · {c.region.name}"
                    ),
                    action="审批",
                    flag=flag,
                )
            )
    return [
        HomePanel(
            key="bureau-classes",
            heading="待审批的培训班",
            sections=[
                HomeSection(
                    "已备案待审批",
                    totals["n"],
                    rows,
                    measure="个培训班",
                    more_url=class_list_url(status=ClassStatus.FILED),
                )
            ],
            measure="个培训班",
            empty="没有等待您审批的培训班。",
            description=(
                f"超期：备案超过 {APPROVAL_WORKING_DAYS} 个工作日仍未审批，"
                f"或 {START_SOON_DAYS} 天内开班。超期的排在前面。"
            ),
            overdue=totals["late"],
            order=ORDER_DECISIONS,
        )
    ]
