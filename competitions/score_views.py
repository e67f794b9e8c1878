"""The score entry screen of an event (成绩录入): one table, one form, all rows saved
in one POST.

Those who manage the competition (``policies.may_manage``) see it; anyone else gets a
404. Each row is an entry: its number, the masked names (or the team name), the
delegation, the typed marks (theory and practical, or one input per judge: the judges
already used plus an empty column to add one), what ``competitions.scoring`` computes
(practical, total, rank, award, each with its formula) and its flags. Saving is all or
nothing: when a row is refused nothing is saved and every value typed is shown again
with the error at its field. When scores are not editable the table is read-only.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache

from training_platform import pii
from training_platform.errors import error_text

from . import policies, score_services, scoring
from .models import AwardRule, Entry, Event, JudgeMark


def back_url(competition) -> str:
    """The competition's hub page (``competitions:detail``), or the admin home."""
    try:
        return reverse("competitions:detail", args=[competition.pk])
    except NoReverseMatch:
        return reverse("wagtailadmin_home")


def _judges(marks) -> list[str]:
    used = {m.judge for m in marks}
    number = 1
    while f"J{number}" in used:
        number += 1
    return sorted(used | {f"J{number}"}, key=scoring.judge_key)


def _names(entry) -> str:
    if entry.team_name:
        return entry.team_name
    return "、".join(pii.mask_name(r.trainee.name) for r in entry.registrations.all())


def _delegation(entry) -> str:
    place = entry.delegation_institution or entry.delegation_region
    return place.name if place else "—"


def _load(event):
    entries = list(
        Entry.objects.filter(event=event)
        .select_related("delegation_region", "delegation_institution")
        .prefetch_related("registrations__trainee")
        .order_by("number")
    )
    marks = list(JudgeMark.objects.filter(entry__event=event))
    rules = list(
        AwardRule.objects.filter(competition_id=event.competition_id).order_by(
            "sort_order", "pk"
        )
    )
    return entries, marks, rules


def _typed(value) -> str:
    return "" if value is None else format(value, "f")


def _rows(event, entries, marks, rules, judges, posted=None, errors=None):
    posted, errors = posted or {}, errors or {}
    computed = {
        r.entry_id: r for r in scoring.compute_event(event, entries, marks, rules)
    }
    by_entry = {}
    for mark in marks:
        by_entry.setdefault(mark.entry_id, {})[mark.judge] = mark.mark
    rows = []
    for entry in entries:
        own = by_entry.get(entry.pk, {})
        row_errors = errors.get(entry.pk, {})

        def value(key, stored):
            return posted[key] if key in posted else _typed(stored)

        judge_cells = [
            {
                "judge": judge,
                "name": f"judge-{entry.pk}-{judge}",
                "value": value(f"judge-{entry.pk}-{judge}", own.get(judge)),
                "errors": row_errors.get(judge, []),
            }
            for judge in judges
        ]
        rows.append(
            {
                "entry": entry,
                "names": _names(entry),
                "delegation": _delegation(entry),
                "theory": value(f"theory-{entry.pk}", entry.theory),
                "practical": value(f"practical-{entry.pk}", entry.practical),
                "theory_errors": row_errors.get("theory", []),
                "practical_errors": row_errors.get("practical", []),
                "other_errors": row_errors.get("__all__", []),
                "judge_cells": judge_cells,
                "result": computed[entry.pk],
            }
        )
    return rows


def _save(request, event, entries, judges) -> dict:
    """Save every row; {entry pk: {field: [messages]}} of the refusals."""
    errors = {}
    for entry in entries:
        try:
            if event.uses_judges:
                score_services.entry_scores_set(
                    actor=request.user,
                    entry=entry,
                    theory=request.POST.get(f"theory-{entry.pk}", ""),
                    practical=None,
                    request=request,
                )
                marks = {
                    judge: request.POST.get(f"judge-{entry.pk}-{judge}", "")
                    for judge in judges
                }
                score_services.judge_marks_set(
                    actor=request.user, entry=entry, marks=marks, request=request
                )
            else:
                score_services.entry_scores_set(
                    actor=request.user,
                    entry=entry,
                    theory=request.POST.get(f"theory-{entry.pk}", ""),
                    practical=request.POST.get(f"practical-{entry.pk}", ""),
                    request=request,
                )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                errors[entry.pk] = error.message_dict
            else:
                errors[entry.pk] = {"__all__": error.messages}
    return errors


@never_cache
def scores(request, event_pk: int):
    event = get_object_or_404(Event.objects.select_related("competition"), pk=event_pk)
    competition = event.competition
    if not policies.may_manage(request.user, competition):
        raise Http404
    editable = scoring.scores_editable(competition)
    entries, marks, rules = _load(event)
    judges = _judges(marks) if event.uses_judges else []
    posted, errors = None, None
    if request.method == "POST":
        if not editable:
            messages.error(request, "本竞赛现在不能录入成绩。")
            return redirect("competitions:scores", event_pk=event.pk)
        posted = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            with transaction.atomic():
                errors = _save(request, event, entries, judges)
                if errors:
                    transaction.set_rollback(True)
        except PermissionDenied as error:
            messages.error(request, error_text(error))
            return redirect("competitions:scores", event_pk=event.pk)
        if not errors:
            messages.success(request, f"已保存 {len(entries)} 名选手的成绩。")
            return redirect("competitions:scores", event_pk=event.pk)
        messages.error(
            request,
            f"有 {len(errors)} 行成绩未通过检查，全部未保存；请按提示修改后再保存。",
        )
    rows = _rows(event, entries, marks, rules, judges, posted, errors)
    return TemplateResponse(
        request,
        "competitions/scores.html",
        {
            "event": event,
            "competition": competition,
            "editable": editable,
            "judges": judges,
            "rows": rows,
            "back_url": back_url(competition),
            "flagged": sum(1 for row in rows if row["result"].flags),
        },
    )
