"""Typing scores: the theory and practical marks of an entry, and each judge's mark.

Only those who manage the competition (``policies.may_manage``) type scores, and only
while scores are editable (``scoring.scores_editable``: during scoring, or after
publication to draft a correction). Marks are 0–100; an event whose practical mark is
computed from judges refuses a typed practical mark. Every change is audited with the
marks before and after; saving the same marks again writes nothing.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from training_platform.audit.services import audit_record

from . import policies
from .models import Entry, JudgeMark
from .scoring import judge_key, scores_editable

MIN_MARK, MAX_MARK = Decimal("0"), Decimal("100")


def mark_value(value, *, label: str) -> Decimal | None:
    """A mark as typed (``None`` or ``""`` for none), checked to be 0–100 with at most
    two decimals; a ValidationError names ``label`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        mark = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{label}应为数字。") from None
    if not mark.is_finite():
        raise ValidationError(f"{label}应为数字。")
    if mark < MIN_MARK or mark > MAX_MARK:
        raise ValidationError(f"{label}应在 0 到 100 之间。")
    if mark.as_tuple().exponent < -2:
        raise ValidationError(f"{label}最多保留两位小数。")
    return mark


def _locked_entry(entry: Entry, actor) -> Entry:
    locked = (
        Entry.objects.select_for_update(of=("self",))
        .select_related("event__competition")
        .get(pk=entry.pk)
    )
    competition = locked.event.competition
    if not policies.may_manage(actor, competition):
        raise PermissionDenied("您不能管理本竞赛的成绩。")
    if not scores_editable(competition):
        raise ValidationError(
            "本竞赛现在不能录入成绩（不在评分阶段，或有待复核的更正）。"
        )
    return locked


def _text(value) -> str | None:
    return None if value is None else str(value)


@transaction.atomic
def entry_scores_set(*, actor, entry: Entry, theory, practical, request=None) -> Entry:
    """Set the typed theory and practical marks of ``entry`` (None clears one)."""
    locked = _locked_entry(entry, actor)
    errors = {}
    values = {}
    for field, label, value in (
        ("theory", "理论成绩", theory),
        ("practical", "实操成绩", practical),
    ):
        try:
            values[field] = mark_value(value, label=label)
        except ValidationError as error:
            errors[field] = error.messages
    if locked.event.uses_judges and values.get("practical") is not None:
        errors["practical"] = ["本赛项实操成绩按裁判评分计算，不能直接填写。"]
    if errors:
        raise ValidationError(errors)
    before = {"theory": _text(locked.theory), "practical": _text(locked.practical)}
    after = {"theory": _text(values["theory"]), "practical": _text(values["practical"])}
    unchanged = locked.theory == values["theory"] and (
        locked.practical == values["practical"]
    )
    if unchanged:
        return locked
    locked.theory, locked.practical = values["theory"], values["practical"]
    locked.full_clean()
    locked.save(update_fields=["theory", "practical"])
    audit_record(
        actor=actor,
        action="competitions.entry.scores_set",
        obj=locked,
        before=before,
        after=after,
        request=request,
    )
    return locked


@transaction.atomic
def judge_marks_set(*, actor, entry: Entry, marks: dict, request=None) -> Entry:
    """Set judges' practical marks of ``entry``: ``{"J1": Decimal("86"), "J2": None}``
    (None removes that judge's mark; judges not named are left as they are)."""
    locked = _locked_entry(entry, actor)
    if not locked.event.uses_judges:
        raise ValidationError("本赛项实操成绩直接填写，不按裁判评分计算。")
    errors, wanted = {}, {}
    for judge, value in marks.items():
        name = (judge or "").strip()
        if not name or len(name) > 20:
            errors[judge or "judge"] = ["裁判编号应为 1 到 20 个字符，如 J1。"]
            continue
        try:
            wanted[name] = mark_value(value, label=f"裁判 {name} 评分")
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    existing = {m.judge: m for m in JudgeMark.objects.filter(entry=locked)}
    before = {judge: str(m.mark) for judge, m in existing.items()}
    changed = False
    for judge in sorted(wanted, key=judge_key):
        mark, row = wanted[judge], existing.get(judge)
        if mark is None:
            if row is not None:
                row.delete()
                changed = True
            continue
        if row is not None and row.mark == mark:
            continue
        row = row or JudgeMark(entry=locked, judge=judge)
        row.mark, row.entered_by = mark, actor
        row.full_clean()
        row.save()
        changed = True
    if changed:
        after = {m.judge: str(m.mark) for m in JudgeMark.objects.filter(entry=locked)}
        audit_record(
            actor=actor,
            action="competitions.entry.judge_marks_set",
            obj=locked,
            before=before,
            after=after,
            request=request,
        )
    return locked
