"""Attendance and assessment results import (出勤和考核结果导入).

The same pipeline as the roster (``training_platform.imports``): ``read_results`` reads
the xlsx into ``(excel row number, {column key: cell text})`` pairs, ``results_plan`` validates every
row set-based, ``results_import_apply`` writes a valid plan at once. The rules are those
of ``services.attendance_record`` and ``services.assessment_record``.

Rows are matched by the 报名编号 (``enrolment_ref``): the enrolment's id with a keyed
MAC over the class and the enrolment, so a sheet addresses only its own class's
enrolments and a reference cannot be made up. The sheet shows the masked ID number
only: institution staff without reveal permission never get a full ID number from it,
including those of people who enrolled themselves online.

Personal data (PIPL): errors, summaries and the audit trail carry row numbers and
counts, never an ID number or a name on file.
"""

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from courses.models import (
    AssessmentResult,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    TrainingClass,
)
from courses.policies import is_institution_staff
from courses.roster import (
    BATCH_SIZE,
    bare_name,
    chunks,
    is_sample,
    optional_text,
)
from courses.services import (
    RESULTS_SETTLED,
    attendance_threshold_hours,
    results_settled,
)
from training_platform import pii, xlsx
from training_platform.audit.services import audit_record
from training_platform.imports.kinds import (
    ERROR,
    Column,
    ImportKind,
    PlannedRow,
    RowError,
    error_details,
    errors_as_dicts,
)
from training_platform.validators import normalize

RESULT_COLUMNS: tuple[Column, ...] = (
    Column("ref", "报名编号", ("报名编号*",), required=True),
    Column("name", "姓名", ("姓名*", "学员姓名"), required=True),
    # Masked, to tell people apart; the import does not read it.
    Column("id_number", "身份证号码", ("身份证号", "公民身份号码", "身份证")),
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
NAME_MISMATCH = "姓名与本培训班该报名编号的学员姓名不一致。"
REF_MISSING = "请填写报名编号（下载的出勤和考核表中已列出，请勿修改）。"
REF_INVALID = (
    "报名编号无效：请使用从本培训班下载的出勤和考核表，不要修改或自行填写报名编号。"
)
REF_OTHER_CLASS = (
    "该报名编号属于其他培训班，不能导入本培训班；请使用从本培训班下载的出勤和考核表。"
)
NOTHING_TO_IMPORT = "请至少填写出勤课时、考核成绩或考核结果中的一项。"
CONFLICT = (
    "导入时数据发生了变化（可能有人同时修改了出勤或考核结果），本次未写入任何数据，"
    "请重新上传。"
)
ONE_DECIMAL = Decimal("0.1")
# What a row of the preview will do (``ResultsPlan.people``).
CHANGED, UNCHANGED = "changed", "unchanged"
OUTCOMES = ((CHANGED, "将更新"), (UNCHANGED, "无需修改"))


# --- a score and a result that disagree ------------------------------------------------

# The pass mark the disagreement check assumes (a warning only: the result recorded is
# the assessor's decision, which may weigh more than the written score).
PASS_SCORE = Decimal(60)


def _number_text(value) -> str:
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    return (
        f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"
    )


def score_result_disagreement(score, result) -> str:
    """Why a score and a result look contradictory (40 with 合格, 60 with 不合格, any
    score with 缺考), or ``""``. A warning, never a refusal."""
    if score is None or score == "" or not result:
        return ""
    score = Decimal(score)
    shown = _number_text(score)
    if result == AssessmentResult.PASSED and score < PASS_SCORE:
        return f"成绩 {shown} 分低于 {PASS_SCORE} 分，考核结果却是合格。"
    if result == AssessmentResult.FAILED and score >= PASS_SCORE:
        return f"成绩 {shown} 分已达 {PASS_SCORE} 分，考核结果却是不合格。"
    if result == AssessmentResult.ABSENT:
        return f"考核结果是缺考，却填了成绩 {shown} 分。"
    return ""


# --- the 报名编号 -----------------------------------------------------------------------

_REF_SALT = "courses.results_import.enrolment_ref"
_REF_MAC_LENGTH = 12  # hex digits: 48 bits, never guessed through an upload form
_REF_PATTERN = re.compile(rf"E(\d{{1,12}})-([0-9A-F]{{{_REF_MAC_LENGTH}}})")


def _ref_mac(class_id: int, enrolment_id: int, secret) -> str:
    mac = salted_hmac(
        _REF_SALT, f"{class_id}:{enrolment_id}", secret=secret, algorithm="sha256"
    )
    return mac.hexdigest()[:_REF_MAC_LENGTH].upper()


def enrolment_ref(class_id: int, enrolment_id: int) -> str:
    """The 报名编号 of an enrolment in its class's results sheet: ``E<id>-<MAC>``.

    The MAC (keyed by SECRET_KEY, with its own salt) binds the class, so a reference
    read from one class's sheet is refused by every other class.
    """
    return f"E{enrolment_id}-{_ref_mac(class_id, enrolment_id, settings.SECRET_KEY)}"


def _ref_valid(class_id: int, enrolment_id: int, mac: str) -> bool:
    # Sheets written before a key rotation stay readable (SECRET_KEY_FALLBACKS).
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    return any(
        hmac.compare_digest(_ref_mac(class_id, enrolment_id, secret), mac)
        for secret in secrets
    )


def _parse_ref(text) -> tuple[int, str] | None:
    """``(enrolment id, MAC)`` of a reference's shape, else ``None`` (not checked)."""
    found = _REF_PATTERN.fullmatch(normalize(text))
    if found is None:
        return None
    return int(found[1]), found[2]


@dataclass(slots=True)
class ResultRow:
    """One valid row: what the file sets (``None``: the cell was left empty)."""

    row: int
    name: str
    ref: tuple[int, str]  # (enrolment id, MAC), the MAC not checked yet
    hours: Decimal | None
    score: Decimal | None
    result: str | None
    enrolment_id: int | None = None
    ident: str = ""  # the masked ID number as the sheet shows it


@dataclass
class ResultsPlan:
    training_class: TrainingClass
    rows: int = 0
    # enrolment pk → the values to write (only rows that change something)
    changes: dict[int, dict] = field(default_factory=dict)
    valid: list[ResultRow] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # enrolment pk → the values stored now (valid rows), for ``people``
    current: dict[int, dict] = field(default_factory=dict, repr=False)
    # Rows with an error: (name as typed, masked ID number as typed)
    error_who: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)

    def people(self) -> list[PlannedRow]:
        """Every row read, in row order: what changes from what to what, and a warning
        where the score and the result disagree."""
        out = []
        for row in self.valid:
            current = self.current[row.enrolment_id]
            new = self.changes.get(row.enrolment_id)
            name = current["trainee__name"]
            if new is None:
                out.append(
                    PlannedRow(
                        row.row,
                        name,
                        UNCHANGED,
                        _values_text(current),
                        row.ident,
                        score_result_disagreement(current["score"], current["result"]),
                    )
                )
                continue
            out.append(
                PlannedRow(
                    row.row,
                    name,
                    CHANGED,
                    _changes_text(current, new),
                    row.ident,
                    score_result_disagreement(new["score"], new["result"]),
                )
            )
        for number, detail in error_details(self.errors).items():
            if number:  # 0: the whole file, shown with the errors
                name, ident = self.error_who.get(number, ("", ""))
                out.append(PlannedRow(number, name, ERROR, detail, ident))
        out.sort(key=lambda p: p.number)
        return out

    def warnings(self) -> int:
        """Rows to be written whose score and result disagree."""
        return sum(
            1
            for values in self.changes.values()
            if score_result_disagreement(values["score"], values["result"])
        )

    def summary(self) -> dict:
        summary = _summary(
            rows=self.rows,
            updated=len(self.changes),
            unchanged=self.unchanged,
            errors=self.errors,
        )
        if warnings := self.warnings():
            summary["warnings"] = warnings
        return summary


_RESULT_TEXT = dict(AssessmentResult.choices)


def _field_texts(values: dict) -> dict[str, str]:
    return {
        "attendance_hours": _number_text(values["attendance_hours"]),
        "score": _number_text(values["score"]),
        "result": _RESULT_TEXT.get(values["result"] or "", "—"),
    }


def _values_text(values: dict) -> str:
    texts = _field_texts(values)
    return "；".join(f"{HEADERS[k]} {texts[k]}" for k in VALUE_KEYS)


def _changes_text(current: dict, new: dict) -> str:
    """``出勤课时 20 → 32；考核结果 — → 合格``: only what changes."""
    before, after = _field_texts(current), _field_texts(new)
    return "；".join(
        f"{HEADERS[k]} {before[k]} → {after[k]}"
        for k in VALUE_KEYS
        if before[k] != after[k]
    )


def _summary(*, rows, updated, unchanged, errors) -> dict:
    return {
        "rows": rows,
        "updated": updated,
        "unchanged": unchanged,
        "errors": errors_as_dicts(errors),
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

    ref = None
    if not optional_text(cells.get("ref")):
        error("ref", REF_MISSING)
    elif (ref := _parse_ref(cells.get("ref"))) is None:
        error("ref", REF_INVALID)

    name = bare_name(cells.get("name"))
    if not name:
        error("name", "请填写姓名。")

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
        row=number,
        name=name,
        ref=ref,
        hours=hours,
        score=score,
        result=result,
        ident=_typed_ident(cells),
    )


def _typed_ident(cells: dict) -> str:
    """The ID number cell, masked again (the sheet has it masked already)."""
    return pii.mask_id_number(normalize(cells.get("id_number")))


def _typed_who(cells: dict) -> tuple[str, str]:
    return bare_name(cells.get("name"))[:50], _typed_ident(cells)


def _evaluate(row: ResultRow, current: dict, *, threshold: Decimal):
    """The row against the enrolment as stored: a ``RowError`` or the new values."""
    if current["status"] != EnrolmentStatus.ENROLLED:
        return RowError(row.row, HEADERS["ref"], WITHDRAWN)
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


def _enrolments(cls: TrainingClass, ids: list[int]) -> dict[int, dict]:
    found: dict[int, dict] = {}
    for chunk in chunks(ids):
        for values in Enrolment.objects.filter(training_class=cls, pk__in=chunk).values(
            "pk", "status", "attendance_hours", "score", "result", "trainee__name"
        ):
            found[values["pk"]] = values
    return found


def _other_class_refs(rows: list[ResultRow]) -> set[int]:
    """Rows whose reference is genuine for the enrolment's own, other class."""
    class_of: dict[int, int] = {}
    for chunk in chunks([r.ref[0] for r in rows]):
        class_of.update(
            Enrolment.objects.filter(pk__in=chunk).values_list("pk", "training_class")
        )
    return {
        r.row
        for r in rows
        if r.ref[0] in class_of and _ref_valid(class_of[r.ref[0]], *r.ref)
    }


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
    forged: list[ResultRow] = []
    first_row_of: dict[int, int] = {}
    for number, cells in rows:
        checked = _check_row(number, cells, course_hours=cls.course.hours)
        if isinstance(checked, list):
            plan.errors.extend(checked)
            plan.error_who[number] = _typed_who(cells)
            continue
        if not _ref_valid(cls.pk, *checked.ref):
            forged.append(checked)
            continue
        first = first_row_of.setdefault(checked.ref[0], number)
        if first != number:
            plan.errors.append(
                RowError(
                    number,
                    HEADERS["ref"],
                    f"报名编号与第 {first} 行重复，同一人只能出现一次。",
                )
            )
            plan.error_who[number] = (checked.name, checked.ident)
        else:
            parsed.append(checked)
    elsewhere = _other_class_refs(forged) if forged else set()
    plan.errors.extend(
        RowError(
            r.row,
            HEADERS["ref"],
            REF_OTHER_CLASS if r.row in elsewhere else REF_INVALID,
        )
        for r in forged
    )
    plan.error_who.update((r.row, (r.name, r.ident)) for r in forged)

    enrolments = _enrolments(cls, [r.ref[0] for r in parsed])
    threshold = attendance_threshold_hours(cls)
    for row in parsed:
        current = enrolments.get(row.ref[0])
        if current is None:
            plan.errors.append(RowError(row.row, HEADERS["ref"], NOT_ENROLLED))
            plan.error_who[row.row] = (row.name, row.ident)
            continue
        if bare_name(current["trainee__name"]) != row.name:
            # Never tell which name is on file.
            plan.errors.append(RowError(row.row, HEADERS["name"], NAME_MISMATCH))
            plan.error_who[row.row] = (row.name, row.ident)
            continue
        outcome = _evaluate(row, current, threshold=threshold)
        if isinstance(outcome, RowError):
            plan.errors.append(outcome)
            plan.error_who[row.row] = (row.name, row.ident)
            continue
        row.enrolment_id = current["pk"]
        plan.current[current["pk"]] = current
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
            plan.error_who[row.row] = (row.name, row.ident)
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


class ResultsImport(ImportKind):
    """出勤和考核结果: attendance and results of the class's enrolments, by 报名编号."""

    key = "results"
    noun = "出勤和考核结果"
    columns = RESULT_COLUMNS
    counts = ("updated", "unchanged")
    outcomes = OUTCOMES
    text_keys = frozenset({"ref", "id_number"})

    def skip_row(self, cells: dict) -> bool:
        # The roster template's sample row, as every import has always skipped it.
        return is_sample(cells)

    def authorize(self, *, actor, target) -> None:
        # Dry runs included: a plan tells who is enrolled in the class.
        _require_staff(actor, _load_class(target))

    def plan(self, *, target, rows) -> ResultsPlan:
        return results_plan(training_class=target, rows=rows)

    def apply(self, *, plan, actor=None, request=None) -> dict:
        return results_import_apply(plan=plan, actor=actor, request=request)


RESULTS_IMPORT = ResultsImport()


def results_import(
    *,
    training_class: TrainingClass,
    rows: Iterable[tuple[int, dict[str, str]]],
    actor,
    request=None,
    dry_run: bool = False,
) -> dict:
    """Plan results and, unless it is a dry run or has errors, apply them; the summary.

    Staff of the class's institution only, dry runs included.
    """
    return RESULTS_IMPORT.run(
        target=training_class, rows=rows, actor=actor, request=request, dry_run=dry_run
    )


# --- xlsx in and out -------------------------------------------------------------------


def read_results(fileobj, *, limits: xlsx.Limits = xlsx.DEFAULT_LIMITS):
    """The results rows of an xlsx file (``training_platform.imports.reading``)."""
    return RESULTS_IMPORT.read(fileobj, limits=limits)


def _number_cell(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def results_template(training_class: TrainingClass, *, actor) -> bytes:
    """The class's results sheet: every active enrolment, with what is recorded so far.

    Rows carry the 报名编号 the import matches them by, the name and the masked
    身份证号码 (never the full one: not every member of staff may see it, and people
    who enrolled online never gave it to the institution). Only the class's own
    institution staff may download it (``PermissionDenied`` for anyone else); the
    download is audited with a count.
    """
    cls = _load_class(training_class)
    _require_staff(actor, cls)
    enrolments = list(
        Enrolment.objects.filter(training_class=cls, status=EnrolmentStatus.ENROLLED)
        .select_related("trainee")
        .only(
            "training_class_id",
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
            enrolment_ref(cls.pk, e.pk),
            e.trainee.name,
            pii.mask_id_number(e.trainee.id_number),
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
        text_columns={index["ref"], index["id_number"]},
        validations={index["result"]: list(AssessmentResult.labels)},
    )
    audit_record(
        actor=actor,
        action="results.template",
        obj=cls,
        after={"rows": len(rows)},
    )
    return content
