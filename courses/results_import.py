"""Attendance and assessment results import (出勤和考核结果导入).

The same pipeline as the roster (``courses.roster``): ``read_table`` reads the xlsx into
``(excel row number, {column key: cell text})`` pairs, ``results_plan`` validates every
row set-based, ``results_import_apply`` writes a valid plan at once. The rules are those
of ``services.attendance_record`` and ``services.assessment_record``.

Personal data (PIPL): ID numbers stay in memory only; errors, summaries and the audit
trail carry row numbers and counts, never an ID number or a name on file.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from courses.models import (
    AssessmentResult,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    TrainingClass,
)
from courses.roster import (
    BATCH_SIZE,
    Column,
    RowError,
    bare_name,
    chunks,
    error_message,
    optional_text,
    read_table,
)
from courses.services import (
    RESULTS_SETTLED,
    attendance_threshold_hours,
    is_institution_staff,
    results_settled,
)
from trainees.models import id_number_hash
from training_platform import xlsx
from training_platform.audit.services import audit_record
from training_platform.validators import parse_id_number

RESULT_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("姓名*", "学员姓名"), required=True),
    Column(
        "id_number",
        "身份证号码",
        ("身份证号码*", "身份证号", "公民身份号码", "身份证"),
        required=True,
    ),
    Column("attendance_hours", "出勤课时", ("出勤学时", "实际课时")),
    Column("score", "考核成绩", ("成绩", "分数")),
    Column("result", "考核结果", ("结果",)),
)
HEADERS = {c.key: c.header for c in RESULT_COLUMNS}
VALUE_KEYS = ("attendance_hours", "score", "result")

# Attendance and results are recorded once a class has started.
RESULTS_CLASS_STATUSES = frozenset({ClassStatus.RUNNING, ClassStatus.FINISHED})

RESULT_LABELS = {
    **{label: value for value, label in AssessmentResult.choices},
    "通过": AssessmentResult.PASSED,
    "未通过": AssessmentResult.FAILED,
}
RESULT_CHOICES_TEXT = "、".join(AssessmentResult.labels)

NOT_ENROLLED = "该学员未报名本培训班。"
WITHDRAWN = "该学员已退出培训班。"
NAME_MISMATCH = "姓名与本培训班该身份证号码的报名学员姓名不一致。"
NOTHING_TO_IMPORT = "请至少填写出勤课时、考核成绩或考核结果中的一项。"
CONFLICT = (
    "导入时数据发生了变化（可能有人同时修改了出勤或考核结果），本次未写入任何数据，"
    "请重新上传。"
)
ONE_DECIMAL = Decimal("0.1")


@dataclass(slots=True)
class ResultRow:
    """One valid row: what the file sets (``None``: the cell was left empty)."""

    row: int
    name: str
    id_hash: str = field(repr=False)
    hours: Decimal | None
    score: Decimal | None
    result: str | None
    enrolment_id: int | None = None


@dataclass
class ResultsPlan:
    training_class: TrainingClass
    rows: int = 0
    # enrolment pk → the values to write (only rows that change something)
    changes: dict[int, dict] = field(default_factory=dict)
    valid: list[ResultRow] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> dict:
        return _summary(
            rows=self.rows,
            updated=len(self.changes),
            unchanged=self.unchanged,
            errors=self.errors,
        )


def _summary(*, rows, updated, unchanged, errors) -> dict:
    return {
        "rows": rows,
        "updated": updated,
        "unchanged": unchanged,
        "errors": [
            {"row": e.row, "column": e.column, "message": e.message} for e in errors
        ],
    }


def _class_closed_message(cls: TrainingClass) -> str:
    return (
        f"培训班当前状态为“{cls.get_status_display()}”，不能导入出勤和考核结果"
        "（培训班开班后才能录入）。"
    )


def _share_text() -> str:
    return f"{round(settings.ATTENDANCE_THRESHOLD * 100)}%"


def _require_staff(actor, cls: TrainingClass) -> None:
    if not is_institution_staff(actor, cls.course.institution_id):
        raise PermissionDenied("只有本机构的工作人员可以导入出勤和考核结果。")


def _load_class(training_class: TrainingClass, *, lock: bool = False):
    query = TrainingClass.objects.select_related("course")
    if lock:
        query = query.select_for_update(of=("self",))
    return query.get(pk=training_class.pk)


# --- plan ----------------------------------------------------------------------------------


def _number(text: str, *, maximum: int, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValueError(f"{what}“{text}”不是数字。")
    if value < 0 or value > maximum:
        raise ValueError(f"{what}应在 0 到 {maximum} 之间。")
    if value != value.quantize(ONE_DECIMAL):
        raise ValueError(f"{what}最多保留一位小数。")
    return value


def _check_row(number: int, cells: dict, *, course_hours: int):
    """One row, parsed, or every error found in it."""
    errors: list[RowError] = []

    def error(key: str, message: str) -> None:
        errors.append(RowError(number, HEADERS[key], message))

    name = bare_name(cells.get("name"))
    if not name:
        error("name", "请填写姓名。")

    id_hash = ""
    try:
        id_hash = id_number_hash(parse_id_number(cells.get("id_number")).number)
    except ValidationError as exc:
        error("id_number", error_message(exc))

    hours = score = result = None
    if text := optional_text(cells.get("attendance_hours")):
        try:
            hours = _number(text, maximum=course_hours, what="出勤课时")
        except ValueError as exc:
            error("attendance_hours", str(exc))
    if text := optional_text(cells.get("score")):
        try:
            score = _number(text, maximum=100, what="考核成绩")
        except ValueError as exc:
            error("score", str(exc))
    if text := optional_text(cells.get("result")):
        result = RESULT_LABELS.get(text)
        if result is None:
            error("result", f"考核结果“{text}”无法识别，可填：{RESULT_CHOICES_TEXT}。")
    if not errors and hours is None and score is None and result is None:
        errors.append(RowError(number, "", NOTHING_TO_IMPORT))

    if errors:
        return errors
    return ResultRow(
        row=number, name=name, id_hash=id_hash, hours=hours, score=score, result=result
    )


def _evaluate(row: ResultRow, current: dict, *, threshold: Decimal):
    """The row against the enrolment as stored: a ``RowError`` or the new values."""
    if current["status"] != EnrolmentStatus.ENROLLED:
        return RowError(row.row, HEADERS["id_number"], WITHDRAWN)
    hours = current["attendance_hours"] if row.hours is None else row.hours
    score = current["score"] if row.score is None else row.score
    result = current["result"] if row.result is None else row.result
    if row.result == AssessmentResult.PASSED and hours < threshold:
        return RowError(
            row.row,
            HEADERS["result"],
            f"出勤不足{_share_text()}（出勤课时 {hours.normalize():f}，"
            f"至少 {threshold.normalize():f}），不能评为合格。",
        )
    if (
        row.hours is not None
        and result == AssessmentResult.PASSED
        and hours < threshold
    ):
        return RowError(
            row.row,
            HEADERS["attendance_hours"],
            f"该学员已评为合格，出勤课时不能低于{threshold.normalize():f}；"
            "如需更正，请先修改考核结果。",
        )
    values = {"attendance_hours": hours, "score": score, "result": result}
    if all(current[k] == v for k, v in values.items()):
        return None
    if score != current["score"] or result != current["result"]:
        values["assessed_at"] = True  # stamped when applied
    return values


def _enrolments_by_hash(cls: TrainingClass, hashes: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for chunk in chunks(hashes):
        for values in Enrolment.objects.filter(
            training_class=cls, trainee__id_number_hash__in=chunk
        ).values(
            "pk",
            "status",
            "attendance_hours",
            "score",
            "result",
            "trainee__name",
            "trainee__id_number_hash",
        ):
            found[values["trainee__id_number_hash"]] = values
    return found


def results_plan(
    *, training_class: TrainingClass, rows: Iterable[tuple[int, dict[str, str]]]
) -> ResultsPlan:
    """Validate every row and plan the attendance and results an import would write."""
    cls = _load_class(training_class)
    plan = ResultsPlan(training_class=cls)
    rows = [
        (n, cells) for n, cells in rows if any(bare_name(v) for v in cells.values())
    ]
    plan.rows = len(rows)
    if cls.status not in RESULTS_CLASS_STATUSES:
        plan.errors.append(RowError(0, "", _class_closed_message(cls)))
        return plan

    parsed: list[ResultRow] = []
    first_row_of: dict[str, int] = {}
    for number, cells in rows:
        checked = _check_row(number, cells, course_hours=cls.course.hours)
        if isinstance(checked, list):
            plan.errors.extend(checked)
            continue
        first = first_row_of.setdefault(checked.id_hash, number)
        if first != number:
            plan.errors.append(
                RowError(
                    number,
                    HEADERS["id_number"],
                    f"身份证号码与第 {first} 行重复，同一人只能出现一次。",
                )
            )
        else:
            parsed.append(checked)

    enrolments = _enrolments_by_hash(cls, [r.id_hash for r in parsed])
    threshold = attendance_threshold_hours(cls)
    for row in parsed:
        current = enrolments.get(row.id_hash)
        if current is None:
            plan.errors.append(RowError(row.row, HEADERS["id_number"], NOT_ENROLLED))
            continue
        if bare_name(current["trainee__name"]) != row.name:
            # Never tell which name is on file.
            plan.errors.append(RowError(row.row, HEADERS["name"], NAME_MISMATCH))
            continue
        outcome = _evaluate(row, current, threshold=threshold)
        if isinstance(outcome, RowError):
            plan.errors.append(outcome)
            continue
        row.enrolment_id = current["pk"]
        plan.valid.append(row)
        if outcome is None:
            plan.unchanged += 1
        else:
            plan.changes[current["pk"]] = outcome
    # Results a valid certificate stands on are settled (one query per batch).
    settled = set().union(*(results_settled(c) for c in chunks(list(plan.changes))))
    if settled:
        for row in [r for r in plan.valid if r.enrolment_id in settled]:
            plan.errors.append(RowError(row.row, HEADERS["result"], RESULTS_SETTLED))
            plan.valid.remove(row)
            del plan.changes[row.enrolment_id]
    plan.errors.sort(key=lambda e: e.row)
    return plan


# --- apply ---------------------------------------------------------------------------------


def results_import_apply(*, plan: ResultsPlan, actor, request=None) -> dict:
    """Write a valid plan at once (the class's institution staff only); the summary."""
    _require_staff(actor, plan.training_class)
    if plan.errors:
        raise ValidationError(
            "文件有 %(n)d 处错误，请改正后重新上传；本次未导入任何数据。",
            code="results_invalid",
            params={"n": len(plan.errors)},
        )
    with transaction.atomic():
        return _apply(plan, actor=actor, request=request)


def _apply(plan: ResultsPlan, *, actor, request) -> dict:
    cls = _load_class(plan.training_class, lock=True)
    if cls.status not in RESULTS_CLASS_STATUSES:
        raise ValidationError(_class_closed_message(cls), code="closed")

    # The plan may be stale: read the enrolments again under lock and re-check.
    enrolments: dict[int, Enrolment] = {}
    for chunk in chunks([r.enrolment_id for r in plan.valid]):
        for enrolment in (
            Enrolment.objects.select_for_update()
            .filter(training_class=cls, pk__in=chunk)
            .only("pk", "status", "attendance_hours", "score", "result", "assessed_at")
        ):
            enrolments[enrolment.pk] = enrolment
    threshold = attendance_threshold_hours(cls)
    now = timezone.now()
    changed: list[Enrolment] = []
    for row in plan.valid:
        enrolment = enrolments.get(row.enrolment_id)
        if enrolment is None:
            raise ValidationError(CONFLICT, code="conflict")
        current = {
            "status": enrolment.status,
            "attendance_hours": enrolment.attendance_hours,
            "score": enrolment.score,
            "result": enrolment.result,
        }
        outcome = _evaluate(row, current, threshold=threshold)
        if isinstance(outcome, RowError):
            raise ValidationError(CONFLICT, code="conflict")
        if outcome is None:
            continue
        enrolment.attendance_hours = outcome["attendance_hours"]
        enrolment.score = outcome["score"]
        enrolment.result = outcome["result"]
        if outcome.get("assessed_at"):
            enrolment.assessed_at = now
        changed.append(enrolment)

    Enrolment.objects.bulk_update(
        changed,
        ["attendance_hours", "score", "result", "assessed_at"],
        batch_size=BATCH_SIZE,
    )
    summary = _summary(
        rows=plan.rows,
        updated=len(changed),
        unchanged=len(plan.valid) - len(changed),
        errors=[],
    )
    audit_record(
        actor=actor,
        action="results.import",
        obj=cls,
        after={k: v for k, v in summary.items() if k != "errors"},
        request=request,
    )
    return summary


def results_import(
    *,
    training_class: TrainingClass,
    rows: Iterable[tuple[int, dict[str, str]]],
    actor,
    request=None,
    dry_run: bool = False,
) -> dict:
    """Plan results and, unless it is a dry run or has errors, apply them; the summary.

    Staff of the class's institution only, dry runs included: a plan tells who is
    enrolled in the class.
    """
    _require_staff(actor, _load_class(training_class))
    plan = results_plan(training_class=training_class, rows=rows)
    if dry_run or plan.errors:
        return plan.summary()
    return results_import_apply(plan=plan, actor=actor, request=request)


# --- xlsx in and out -------------------------------------------------------------------


def read_results(fileobj, *, limits: xlsx.Limits = xlsx.DEFAULT_LIMITS):
    """The results rows of an xlsx file (see ``roster.read_table``)."""
    return read_table(fileobj, RESULT_COLUMNS, limits=limits)


def _number_cell(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def results_template(training_class: TrainingClass, *, actor) -> bytes:
    """The class's results sheet: every active enrolment, with what is recorded so far.

    It carries the full 身份证号码, not the masked one: rows are matched by ID number, and
    a masked number cannot be matched. That is why only the class's own institution
    staff may download it (``PermissionDenied`` for anyone else): they entered those
    numbers themselves with the roster, so the file hands back nothing they did not
    already hold. The download is audited with a count, never the numbers.
    """
    cls = _load_class(training_class)
    _require_staff(actor, cls)
    enrolments = list(
        Enrolment.objects.filter(training_class=cls, status=EnrolmentStatus.ENROLLED)
        .select_related("trainee")
        .only(
            "attendance_hours",
            "score",
            "result",
            "trainee__name",
            "trainee__id_number",
        )
        .order_by("trainee__name", "pk")
    )
    labels = dict(AssessmentResult.choices)
    rows = [
        [
            e.trainee.name,
            e.trainee.id_number,
            _number_cell(e.attendance_hours or None),
            _number_cell(e.score),
            labels.get(e.result, ""),
        ]
        for e in enrolments
    ]
    index = {c.key: i for i, c in enumerate(RESULT_COLUMNS)}
    content = xlsx.write_xlsx(
        [c.template_header for c in RESULT_COLUMNS],
        rows,
        sheet_title=cls.code,
        text_columns={index["id_number"]},
        validations={index["result"]: list(AssessmentResult.labels)},
    )
    audit_record(
        actor=actor,
        action="results.template",
        obj=cls,
        after={"rows": len(rows)},
    )
    return content
