"""成绩表导入: an event's theory and practical scores (or each judge's practical mark)
loaded from xlsx through the import pipeline (``training_platform.imports``).

Columns: 参赛编号 (required), 姓名/队名 (optional: when given it must match the entry),
理论成绩, 实操成绩; for an event whose practical mark is computed from its judges, one
column per judge instead of 实操成绩 (headers ``裁判J1`` or ``J1``). An empty cell
changes nothing. A row is refused for an unknown or repeated number, a withdrawn
entry, a mark that is not a number from 0 to 100, or nothing filled in; the file is
refused as a whole while the competition's scores may not be changed.

``score_plan`` checks every row and writes nothing; ``score_import_apply`` writes a
valid plan at once with the event locked (bulk updates, judge marks upserted, one
audit event per changed entry). The same file again changes nothing.

Personal data (PIPL): the preview names people masked (``pii.mask_name``); errors,
summaries and audit events carry entry numbers, row numbers and marks only.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from competitions import policies
from competitions.models import (
    Competition,
    CompetitionStatus,
    Entry,
    Event,
    JudgeMark,
    Registration,
)
from competitions.scoring import scores_editable
from training_platform import pii, xlsx
from training_platform.audit.services import audit_record_many
from training_platform.imports.kinds import (
    ERROR,
    Column,
    ImportKind,
    PlannedRow,
    RowError,
    error_details,
    errors_as_dicts,
)
from training_platform.imports.reading import read_table
from training_platform.validators import normalize

COLUMNS: tuple[Column, ...] = (
    Column("number", "参赛编号", ("选手编号", "参赛证号"), required=True),
    Column("name", "姓名/队名", ("姓名", "队名", "选手姓名", "姓名或队名")),
    Column("theory", "理论成绩", ("理论", "理论知识成绩", "理论考试成绩")),
    Column("practical", "实操成绩", ("实操", "技能操作成绩", "操作技能成绩")),
)
HEADERS = {c.key: c.header for c in COLUMNS}
JUDGE_PREFIX = "judge:"

# 裁判J1, J1, 裁判1, J1评分 (after spaces and "*" are removed, NFKC, upper case).
_JUDGE_HEADER = re.compile(
    r"(?:裁判)?J(\d{1,3})(?:评分|成绩)?|裁判(\d{1,3})(?:评分|成绩)?"
)

SAMPLE_NUMBER = "示例"
SAMPLE_NAME = "（示例行，导入时跳过）"

NUMBER_MISSING = "请填写参赛编号。"
NAME_MISMATCH = "姓名/队名与该参赛编号的报名信息不一致。"
WITHDRAWN = "该选手已退赛，不能导入成绩。"
NOTHING = "没有填写任何成绩，请至少填写一项成绩。"
PRACTICAL_TYPED = (
    "本赛项的实操成绩按各裁判评分计算，不能直接填写；请填写在各裁判的评分列中。"
)
JUDGES_NOT_USED = "本赛项不按裁判分别评分，请把实操成绩填写在“实操成绩”列中。"
CONFLICT = (
    "导入时成绩发生了变化（可能有人同时修改了成绩），本次未写入任何数据，请重新上传。"
)
HUNDREDTH = Decimal("0.01")

# What a row of the preview will do (``ScorePlan.people``).
CHANGED, UNCHANGED = "changed", "unchanged"
OUTCOMES = ((CHANGED, "将更新"), (UNCHANGED, "无需修改"))


def judge_code(header) -> str | None:
    """``J1`` for a judge column's header (``裁判J1``, ``J1``, ``裁判1``), else ``None``."""
    text = unicodedata.normalize("NFKC", xlsx.cell_text(header))
    text = "".join(text.split()).strip("*").upper()
    found = _JUDGE_HEADER.fullmatch(text)
    if found is None:
        return None
    return f"J{int(found[1] or found[2])}"


def judge_columns(header: list) -> dict[str, int]:
    """``{"judge:J1": column index}`` for the judge columns of a header row."""
    out: dict[str, int] = {}
    for index, value in enumerate(header):
        code = judge_code(value)
        if code is not None:
            out.setdefault(f"{JUDGE_PREFIX}{code}", index)
    return out


def judge_header(code: str) -> str:
    return f"裁判{code}"


# --- who may, and when -------------------------------------------------------------


def not_editable_message(competition: Competition) -> str:
    if competition.status == CompetitionStatus.PUBLISHED:
        return "该竞赛有待复核的成绩更正，复核完成前不能导入成绩。"
    return (
        f"竞赛当前状态为“{competition.get_status_display()}”，不能导入成绩"
        "（进入评分阶段后才能导入）。"
    )


def require_manager(actor, event: Event) -> None:
    """Refuse anyone but the bureau over the competition and its organisers
    (``actor`` ``None``: an operator's command, allowed)."""
    if actor is None:
        return
    if not policies.may_manage(actor, event.competition):
        raise PermissionDenied("只有本竞赛的组织人员和主管人社部门可以导入成绩。")


# --- plan ----------------------------------------------------------------------------


@dataclass(slots=True)
class ScoreRow:
    row: int
    number: str
    name: str
    theory: Decimal | None
    practical: Decimal | None
    judges: dict[str, Decimal]
    entry_id: int | None = None


@dataclass
class ScorePlan:
    event: Event
    rows: int = 0
    valid: list[ScoreRow] = field(default_factory=list)
    # entry pk → what changes: {"theory": v, "practical": v, "judges": {code: v}}
    changes: dict[int, dict] = field(default_factory=dict)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # entry pk → the entry as stored (number, who, theory, practical, judges)
    current: dict[int, dict] = field(default_factory=dict, repr=False)
    # Rows with an error: (who, the entry number as typed)
    error_who: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)

    def people(self) -> list[PlannedRow]:
        """Every row read, in row order: each entry (masked) and what changes
        (old → new)."""
        out = []
        for row in self.valid:
            current = self.current[row.entry_id]
            new = self.changes.get(row.entry_id)
            if new is None:
                out.append(
                    PlannedRow(
                        row.row,
                        current["who"],
                        UNCHANGED,
                        _values_text(current),
                        row.number,
                    )
                )
            else:
                out.append(
                    PlannedRow(
                        row.row,
                        current["who"],
                        CHANGED,
                        _changes_text(current, new),
                        row.number,
                    )
                )
        for number, detail in error_details(self.errors).items():
            if number:
                who, ident = self.error_who.get(number, ("", ""))
                out.append(PlannedRow(number, who, ERROR, detail, ident))
        out.sort(key=lambda p: p.number)
        return out

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
        "errors": errors_as_dicts(errors),
    }


def _mark_text(value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1))}"
    return f"{value.normalize():f}"


def _values_text(current: dict) -> str:
    parts = [f"理论 {_mark_text(current['theory'])}"]
    if current["judges"] or not current["uses_judges"]:
        if current["uses_judges"]:
            parts += [
                f"{judge_header(code)} {_mark_text(mark)}"
                for code, mark in sorted(current["judges"].items(), key=_judge_order)
            ]
        else:
            parts.append(f"实操 {_mark_text(current['practical'])}")
    return "；".join(parts)


def _judge_order(item):
    return int(item[0][1:])


def _changes_text(current: dict, new: dict) -> str:
    """``理论 — → 85；裁判J1 80 → 82``: only what changes."""
    parts = []
    if "theory" in new:
        parts.append(
            f"理论 {_mark_text(current['theory'])} → {_mark_text(new['theory'])}"
        )
    if "practical" in new:
        parts.append(
            f"实操 {_mark_text(current['practical'])} → {_mark_text(new['practical'])}"
        )
    for code, mark in sorted(new.get("judges", {}).items(), key=_judge_order):
        old = current["judges"].get(code)
        parts.append(f"{judge_header(code)} {_mark_text(old)} → {_mark_text(mark)}")
    return "；".join(parts)


def _mark(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace("，", "").replace(",", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValueError(f"{what}“{text}”不是数字。")
    if value < 0 or value > 100:
        raise ValueError(f"{what}应在 0 到 100 之间。")
    if value != value.quantize(HUNDREDTH):
        raise ValueError(f"{what}最多保留两位小数。")
    return value.quantize(HUNDREDTH)


def _bare(text) -> str:
    return "".join(normalize(text).split())


def _check_row(number: int, cells: dict, *, uses_judges: bool):
    """One row, parsed, or every error found in it."""
    errors: list[RowError] = []

    def error(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    entry_number = normalize(cells.get("number"))
    if not entry_number:
        error(HEADERS["number"], NUMBER_MISSING)
    theory = practical = None
    judges: dict[str, Decimal] = {}
    if text := normalize(cells.get("theory")):
        try:
            theory = _mark(text, "理论成绩")
        except ValueError as exc:
            error(HEADERS["theory"], str(exc))
    if text := normalize(cells.get("practical")):
        if uses_judges:
            error(HEADERS["practical"], PRACTICAL_TYPED)
        else:
            try:
                practical = _mark(text, "实操成绩")
            except ValueError as exc:
                error(HEADERS["practical"], str(exc))
    for key, value in cells.items():
        if not key.startswith(JUDGE_PREFIX) or not (text := normalize(value)):
            continue
        code = key[len(JUDGE_PREFIX) :]
        if not uses_judges:
            error(judge_header(code), JUDGES_NOT_USED)
            continue
        try:
            judges[code] = _mark(text, f"{judge_header(code)}评分")
        except ValueError as exc:
            error(judge_header(code), str(exc))
    if not errors and theory is None and practical is None and not judges:
        error("", NOTHING)
    if errors:
        return errors
    return ScoreRow(
        row=number,
        number=entry_number,
        name=_bare(cells.get("name")),
        theory=theory,
        practical=practical,
        judges=judges,
    )


def _entries(event: Event, numbers: list[str]) -> dict[str, dict]:
    """The event's entries named in the file, by number, with their people's names
    and judge marks (three queries, whatever the number of rows)."""
    found: dict[str, dict] = {}
    by_pk: dict[int, dict] = {}
    for values in Entry.objects.filter(event=event, number__in=numbers).values(
        "pk", "number", "team_name", "withdrawn", "theory", "practical"
    ):
        values.update(names=[], judges={}, uses_judges=event.uses_judges)
        found[values["number"]] = by_pk[values["pk"]] = values
    if not by_pk:
        return found
    for entry_id, name in (
        Registration.objects.filter(event=event, entry_id__in=by_pk)
        .order_by("pk")
        .values_list("entry_id", "trainee__name")
    ):
        by_pk[entry_id]["names"].append(name)
    for entry_id, judge, mark in JudgeMark.objects.filter(
        entry_id__in=by_pk
    ).values_list("entry_id", "judge", "mark"):
        by_pk[entry_id]["judges"][judge] = mark
    for values in by_pk.values():
        masked = "、".join(pii.mask_name(n) for n in values["names"])
        if values["team_name"]:
            values["who"] = (
                f"{values['team_name']}（{masked}）" if masked else values["team_name"]
            )
        else:
            values["who"] = masked
    return found


def _name_matches(name: str, current: dict) -> bool:
    if not name:
        return True
    if current["team_name"] and name == _bare(current["team_name"]):
        return True
    return any(name == _bare(n) for n in current["names"])


def _evaluate(row: ScoreRow, current: dict) -> dict | None:
    """What the row changes on the entry as stored (``None``: nothing)."""
    new: dict = {}
    if row.theory is not None and row.theory != current["theory"]:
        new["theory"] = row.theory
    if row.practical is not None and row.practical != current["practical"]:
        new["practical"] = row.practical
    judges = {
        code: mark
        for code, mark in row.judges.items()
        if current["judges"].get(code) != mark
    }
    if judges:
        new["judges"] = judges
    return new or None


def score_plan(*, event: Event, rows: Iterable[tuple[int, dict]]) -> ScorePlan:
    """Check every row against the event's entries and plan what an import would
    write (nothing is written)."""
    event = Event.objects.select_related("competition").get(pk=event.pk)
    plan = ScorePlan(event=event)
    rows = [(n, cells) for n, cells in rows if any(_bare(v) for v in cells.values())]
    plan.rows = len(rows)
    if not scores_editable(event.competition):
        plan.errors.append(RowError(0, "", not_editable_message(event.competition)))
        return plan

    parsed: list[ScoreRow] = []
    first_row_of: dict[str, int] = {}
    for number, cells in rows:
        typed_number = normalize(cells.get("number"))[:20]
        checked = _check_row(number, cells, uses_judges=event.uses_judges)
        if isinstance(checked, list):
            plan.errors.extend(checked)
            plan.error_who[number] = ("", typed_number)
            continue
        first = first_row_of.setdefault(checked.number, number)
        if first != number:
            plan.errors.append(
                RowError(
                    number,
                    HEADERS["number"],
                    f"参赛编号“{checked.number}”与第 {first} 行重复，"
                    "同一选手只能出现一次。",
                )
            )
            plan.error_who[number] = ("", checked.number)
            continue
        parsed.append(checked)

    entries = _entries(event, [r.number for r in parsed])
    for row in parsed:
        current = entries.get(row.number)
        if current is None:
            plan.errors.append(
                RowError(
                    row.row,
                    HEADERS["number"],
                    f"本赛项没有参赛编号为“{row.number}”的选手。",
                )
            )
            plan.error_who[row.row] = ("", row.number)
            continue
        who = (current["who"], row.number)
        if not _name_matches(row.name, current):
            plan.errors.append(RowError(row.row, HEADERS["name"], NAME_MISMATCH))
            plan.error_who[row.row] = who
            continue
        if current["withdrawn"]:
            plan.errors.append(RowError(row.row, HEADERS["number"], WITHDRAWN))
            plan.error_who[row.row] = who
            continue
        row.entry_id = current["pk"]
        plan.current[current["pk"]] = current
        plan.valid.append(row)
        outcome = _evaluate(row, current)
        if outcome is None:
            plan.unchanged += 1
        else:
            plan.changes[current["pk"]] = outcome
    plan.errors.sort(key=lambda e: e.row)
    return plan


# --- apply ---------------------------------------------------------------------------


def _audit_values(values: dict) -> dict:
    out = {}
    for key in ("theory", "practical"):
        if key in values:
            out[key] = None if values[key] is None else str(values[key])
    if values.get("judges"):
        out["judges"] = {
            code: None if mark is None else str(mark)
            for code, mark in values["judges"].items()
        }
    return out


_ENTRY_UNTOUCHED = [
    f.name for f in Entry._meta.concrete_fields if f.name not in ("theory", "practical")
]
_MARK_UNTOUCHED = ["entry", "entered_by"]


@transaction.atomic
def score_import_apply(*, plan: ScorePlan, actor=None, request=None) -> dict:
    """Write a plan without errors at once, with the event locked; the summary.

    The entries are read again under lock: a change made since the preview is a
    conflict (nothing written), and what already has the file's values is left alone,
    so the same file again changes nothing.
    """
    require_manager(actor, plan.event)
    if plan.errors:
        raise ValidationError(
            "文件有 %(n)d 处错误，请改正后重新上传；本次未导入任何数据。",
            code="scores_invalid",
            params={"n": len(plan.errors)},
        )
    event = (
        Event.objects.select_for_update(of=("self",))
        .select_related("competition")
        .get(pk=plan.event.pk)
    )
    if not scores_editable(event.competition):
        raise ValidationError(not_editable_message(event.competition), code="closed")
    ids = [row.entry_id for row in plan.valid]
    entries = {
        e.pk: e
        for e in Entry.objects.select_for_update()
        .filter(event=event, pk__in=ids)
        .only("pk", "number", "withdrawn", "theory", "practical")
    }
    marks: dict[tuple[int, str], JudgeMark] = {
        (m.entry_id, m.judge): m
        for m in JudgeMark.objects.select_for_update().filter(entry_id__in=ids)
    }
    now = timezone.now()
    changed_entries: dict[int, Entry] = {}
    befores: dict[int, dict] = {}
    afters: dict[int, dict] = {}
    update_marks: list[JudgeMark] = []
    new_marks: list[JudgeMark] = []
    for row in plan.valid:
        entry = entries.get(row.entry_id)
        if entry is None or entry.withdrawn:
            raise ValidationError(CONFLICT, code="conflict")
        current = {
            "theory": entry.theory,
            "practical": entry.practical,
            "judges": {
                code: marks[(entry.pk, code)].mark
                for code in row.judges
                if (entry.pk, code) in marks
            },
        }
        change = _evaluate(row, current)
        if change is None:
            continue
        before = {k: current[k] for k in change if k != "judges"}
        if "judges" in change:
            before["judges"] = {c: current["judges"].get(c) for c in change["judges"]}
        befores[entry.pk] = _audit_values(before)
        afters[entry.pk] = _audit_values(change)
        if "theory" in change:
            entry.theory = change["theory"]
        if "practical" in change:
            entry.practical = change["practical"]
        if "theory" in change or "practical" in change:
            changed_entries[entry.pk] = entry
        for code, mark in change.get("judges", {}).items():
            existing = marks.get((entry.pk, code))
            if existing is None:
                new_marks.append(
                    JudgeMark(entry=entry, judge=code, mark=mark, entered_by=actor)
                )
            else:
                existing.mark = mark
                existing.entered_by = actor
                existing.entered_at = now
                update_marks.append(existing)
    # The fields written, checked as the models declare them (no query per row: the
    # foreign keys and the other fields were not touched).
    for entry in changed_entries.values():
        entry.clean_fields(exclude=_ENTRY_UNTOUCHED)
    for mark in [*update_marks, *new_marks]:
        mark.clean_fields(exclude=_MARK_UNTOUCHED)
    Entry.objects.bulk_update(
        list(changed_entries.values()), ["theory", "practical"], batch_size=500
    )
    if update_marks:
        JudgeMark.objects.bulk_update(
            update_marks, ["mark", "entered_by", "entered_at"], batch_size=500
        )
    JudgeMark.objects.bulk_create(new_marks, batch_size=500)
    audited = [entries[pk] for pk in afters]
    audit_record_many(
        actor=actor,
        action="competitions.entry.scores_imported",
        objects=audited,
        before=lambda e: befores[e.pk],
        after=lambda e: afters[e.pk],
        request=request,
    )
    return _summary(
        rows=plan.rows,
        updated=len(afters),
        unchanged=plan.rows - len(afters),
        errors=[],
    )


# --- the kind ------------------------------------------------------------------------


class ScoreImport(ImportKind):
    key = "scores"
    noun = "成绩表"
    columns = COLUMNS
    counts = ("updated", "unchanged")
    text_keys = frozenset({"number", "name"})
    empty_message = "文件中没有成绩数据，请在表头下方逐行填写后再上传。"
    outcomes = OUTCOMES
    skip_note = "示例行，已跳过"
    who_key = "name"
    ident_key = "number"

    def skip_row(self, cells: dict) -> bool:
        return normalize(cells.get("number")) == SAMPLE_NUMBER

    def skipped_row(self, number: int, cells: dict) -> PlannedRow:
        return PlannedRow(number, "", "skipped", self.skip_note, SAMPLE_NUMBER)

    def read(self, fileobj, *, limits=xlsx.DEFAULT_LIMITS, skipped=None):
        return read_table(
            fileobj,
            self.columns,
            limits=limits,
            skip=self.skip_row,
            skipped=skipped,
            extra=judge_columns,
        )

    def header_of(self, key: str) -> str:
        if key.startswith(JUDGE_PREFIX):
            return judge_header(key[len(JUDGE_PREFIX) :])
        return key

    def authorize(self, *, actor, target) -> None:
        require_manager(actor, target)

    def plan(self, *, target, rows) -> ScorePlan:
        return score_plan(event=target, rows=rows)

    def apply(self, *, plan, actor=None, request=None) -> dict:
        return score_import_apply(plan=plan, actor=actor, request=request)


SCORES = ScoreImport()


# --- the template --------------------------------------------------------------------


def event_judges(event: Event) -> list[str]:
    """The judges who marked the event so far, else J1–J3 (the template's columns)."""
    codes = set(
        JudgeMark.objects.filter(entry__event=event).values_list("judge", flat=True)
    )
    codes = {c for c in codes if judge_code(c) == c}
    return sorted(codes, key=lambda c: int(c[1:])) or ["J1", "J2", "J3"]


def score_template(event: Event) -> bytes:
    """The event's score sheet: every entry still competing by number (team names
    and the marks typed so far filled in), and a sample row the import skips."""
    judges = event_judges(event) if event.uses_judges else []
    headers = [COLUMNS[0].template_header, HEADERS["name"], HEADERS["theory"]]
    headers += [judge_header(c) for c in judges] or [HEADERS["practical"]]
    entries = list(
        Entry.objects.filter(event=event, withdrawn=False)
        .order_by("number")
        .only("pk", "number", "team_name", "theory", "practical")
    )
    marks: dict[tuple[int, str], Decimal] = {}
    if judges:
        marks = {
            (entry_id, judge): mark
            for entry_id, judge, mark in JudgeMark.objects.filter(
                entry__event=event
            ).values_list("entry_id", "judge", "mark")
        }

    def cell(value):
        return "" if value is None else value

    rows = []
    for e in entries:
        row = [e.number, e.team_name, cell(e.theory)]
        if judges:
            row += [cell(marks.get((e.pk, c))) for c in judges]
        else:
            row.append(cell(e.practical))
        rows.append(row)
    sample = [SAMPLE_NUMBER, SAMPLE_NAME, 85.5] + [88] * max(len(judges), 1)
    return xlsx.write_xlsx(
        headers,
        rows,
        sheet_title=event.name,
        text_columns={0, 1},
        sample_row=sample,
    )
