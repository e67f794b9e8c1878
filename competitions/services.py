"""Managing competitions: creating and editing them, moving their status, and
registering who competes (docs/competitions.md says it for people).

Who may: a competition is created by the bureau (in one of its regions); it is run by
the bureau over its region and the organisers named on it (``policies.may_manage``).
Status moves one way, each checked and audited:

    草稿 → 报名中 (开放报名: at least one event and award rules)
         → 评分中 (开始评分: at least one entry)
         → 结果已公布 (publishing, ``competitions.results``)

Entries are taken only while registration is open. People are found by their ID
number through the trainees app's blind index (the number itself is never stored here).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import IntegerField
from django.db.models.functions import Cast

from competitions import policies
from competitions.models import (
    Competition,
    CompetitionStatus,
    Entry,
    Event,
    Registration,
)
from trainees.models import Trainee
from trainees.selectors import trainee_find_by_id_number
from training_platform import access, pii
from training_platform.audit.services import audit_record, status_change
from training_platform.roles import Role

EDITABLE_FIELDS = (
    "name",
    "level",
    "category",
    "year",
    "region",
    "organiser",
    "host_base",
    "venue",
    "registration_opens",
    "registration_closes",
    "starts_on",
    "ends_on",
    "description",
)


def _facts(competition) -> dict:
    return {
        "name": competition.name,
        "region": competition.region_id,
        "status": competition.status,
        "year": competition.year,
    }


def may_create(actor) -> bool:
    """Creating a competition is the bureau's (or an administrator's)."""
    if actor is None or not actor.is_authenticated:
        return False
    scope = access.scope_for(actor)
    return scope.is_superuser or bool(scope.region_prefixes(Role.BUREAU))


def check_region(actor, region_code: str | None) -> None:
    """The region must be within the actor's bureau regions (superusers: any)."""
    if actor.is_superuser:
        return
    prefixes = access.scope_for(actor).region_prefixes(Role.BUREAU)
    if not region_code or not any(region_code.startswith(p) for p in prefixes):
        raise ValidationError({"region": "只能在本部门管辖的地区内举办竞赛。"})


def check_editable(competition) -> None:
    if competition.status == CompetitionStatus.PUBLISHED:
        raise ValidationError("竞赛结果已公布，不能再修改；如需更正成绩，请提出更正。")


@transaction.atomic
def competition_create(*, actor, organisers=(), request=None, **fields) -> Competition:
    """A new competition in 草稿 (draft). Bureau only, in one of its regions."""
    if not may_create(actor):
        raise PermissionDenied("只有人社部门可以新建竞赛。")
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"region_id"}
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    competition = Competition(**fields)
    check_region(actor, competition.region_id)
    competition.status = CompetitionStatus.DRAFT
    competition.full_clean()
    competition.save()
    if organisers:
        competition.organisers.set(organisers)
    audit_record(
        actor=actor,
        action="competition.create",
        obj=competition,
        after=_facts(competition),
        request=request,
    )
    return competition


@transaction.atomic
def competition_update(
    *, actor, competition, organisers=None, request=None, **fields
) -> Competition:
    """Change a competition's particulars. The bureau over it and its organisers;
    moving it to another region or naming its organisers is the bureau's."""
    competition = Competition.objects.select_for_update().get(pk=competition.pk)
    if not policies.may_manage(actor, competition):
        raise PermissionDenied("您不能修改这项竞赛。")
    check_editable(competition)
    before = _facts(competition)
    bureau = policies.is_bureau_over(actor, competition)
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS and name != "region_id":
            raise ValueError(f"unknown field: {name}")
        setattr(competition, name, value)
    if competition.region_id != before["region"]:
        if not bureau:
            raise PermissionDenied("只有人社部门可以变更竞赛的主管地区。")
        check_region(actor, competition.region_id)
    if organisers is not None:
        if not bureau:
            raise PermissionDenied("只有人社部门可以指定组织人员。")
        competition.organisers.set(organisers)
    competition.full_clean()
    competition.save()
    audit_record(
        actor=actor,
        action="competition.update",
        obj=competition,
        before=before,
        after=_facts(competition),
        request=request,
    )
    return competition


def check_deleted_events(form) -> None:
    """An event that has entries is not deleted from the form (its entries, scores
    and results would go with it)."""
    formset = getattr(form, "formsets", {}).get("events")
    if formset is None:
        return
    gone = [f.instance for f in formset.deleted_forms if f.instance.pk]
    held = sorted(
        Event.objects.filter(pk__in=[e.pk for e in gone], entries__isnull=False)
        .distinct()
        .values_list("name", flat=True)
    )
    if held:
        raise ValidationError(
            f"赛项“{'、'.join(held)}”已有报名，不能删除；可为选手办理退赛。"
        )


def form_saved(*, actor, form, request=None) -> Competition:
    """Save the back-office form of a competition (with its events and rules inline):
    the same checks as ``competition_create`` / ``competition_update``."""
    instance = form.instance
    with transaction.atomic():
        if instance.pk is None:
            if not may_create(actor):
                raise PermissionDenied("只有人社部门可以新建竞赛。")
            check_region(actor, instance.region_id)
            instance.status = CompetitionStatus.DRAFT
            competition = form.save()
            action, before = "competition.create", None
        else:
            stored = Competition.objects.select_for_update().get(pk=instance.pk)
            if not policies.may_manage(actor, stored):
                raise PermissionDenied("您不能修改这项竞赛。")
            check_editable(stored)
            bureau = policies.is_bureau_over(actor, stored)
            if instance.region_id != stored.region_id:
                if not bureau:
                    raise PermissionDenied("只有人社部门可以变更竞赛的主管地区。")
                check_region(actor, instance.region_id)
            check_deleted_events(form)
            instance.status = stored.status
            before = _facts(stored)
            competition = form.save()
            action = "competition.update"
        audit_record(
            actor=actor,
            action=action,
            obj=competition,
            before=before,
            after=_facts(competition),
            request=request,
        )
    return competition


# --- status ---------------------------------------------------------------------------


def _locked(competition) -> Competition:
    return Competition.objects.select_for_update().get(pk=competition.pk)


def open_registration_blockers(competition) -> list[str]:
    """Why 开放报名 cannot be done yet (empty when it can)."""
    reasons = []
    if competition.status != CompetitionStatus.DRAFT:
        reasons.append("只有草稿状态的竞赛可以开放报名。")
        return reasons
    if not competition.events.exists():
        reasons.append("还没有设置赛项。")
    if not competition.award_rules.exists():
        reasons.append("还没有设置奖项规则。")
    return reasons


def start_scoring_blockers(competition) -> list[str]:
    """Why 开始评分 cannot be done yet (empty when it can)."""
    if competition.status != CompetitionStatus.REGISTRATION:
        return ["只有报名中的竞赛可以开始评分。"]
    if not Entry.objects.filter(
        event__competition=competition, withdrawn=False
    ).exists():
        return ["还没有选手报名。"]
    return []


@transaction.atomic
def competition_open_registration(*, actor, competition, request=None) -> Competition:
    """草稿 → 报名中: needs at least one event and the award rules."""
    competition = _locked(competition)
    if not policies.may_manage(actor, competition):
        raise PermissionDenied("您不能管理这项竞赛。")
    reasons = open_registration_blockers(competition)
    if reasons:
        raise ValidationError(reasons)
    return status_change(
        obj=competition,
        to=CompetitionStatus.REGISTRATION,
        actor=actor,
        action="competition.open_registration",
        request=request,
    )


@transaction.atomic
def competition_start_scoring(*, actor, competition, request=None) -> Competition:
    """报名中 → 评分中: registration closes; needs at least one entry."""
    competition = _locked(competition)
    if not policies.may_manage(actor, competition):
        raise PermissionDenied("您不能管理这项竞赛。")
    reasons = start_scoring_blockers(competition)
    if reasons:
        raise ValidationError(reasons)
    return status_change(
        obj=competition,
        to=CompetitionStatus.SCORING,
        actor=actor,
        action="competition.start_scoring",
        request=request,
    )


# --- entries ----------------------------------------------------------------------------


def next_number(event) -> str:
    """001, 002, … : one more than the largest all-digit number of the event."""
    numbers = (
        Entry.objects.filter(event=event, number__regex=r"^[0-9]+$")
        .annotate(value=Cast("number", IntegerField()))
        .order_by("-value")
        .values_list("value", flat=True)[:1]
    )
    top = numbers[0] if numbers else 0
    return f"{top + 1:03d}"


def find_trainees(id_numbers) -> list[Trainee]:
    """The trainees holding these ID numbers, in order; an unknown number is refused
    with its masked form (the number itself is never stored)."""
    people, missing = [], []
    for number in id_numbers:
        number = (number or "").strip()
        if not number:
            continue
        person = trainee_find_by_id_number(number)
        if person is None:
            missing.append(pii.mask_id_number(number))
        else:
            people.append(person)
    if missing:
        raise ValidationError(
            {
                "id_numbers": "平台上没有这些身份证号的人员，请先建立实名档案："
                + "、".join(missing)
            }
        )
    return people


@transaction.atomic
def entry_register(
    *,
    actor,
    event,
    trainees: list,
    delegation_region=None,
    delegation_institution=None,
    team_name: str = "",
    number: str = "",
    request=None,
) -> Entry:
    """Register one person (an individual event) or a team of ``team_size`` people.

    Refused outside registration, with the wrong number of people, with a person twice
    (in this entry or in another entry of the event), or without a delegation. The
    event's group (职工/学生) is for information: nothing here checks it.
    """
    event = Event.objects.select_related("competition").get(pk=event.pk)
    competition = _locked(event.competition)
    if not policies.may_manage(actor, competition):
        raise PermissionDenied("您不能管理这项竞赛的报名。")
    if competition.status != CompetitionStatus.REGISTRATION:
        raise ValidationError("只有报名中的竞赛可以报名。")
    people = list(trainees)
    wanted = event.team_size if event.is_team else 1
    if len(people) != wanted:
        if event.is_team:
            message = f"团体赛项每队 {wanted} 人，本次填写了 {len(people)} 人。"
        else:
            message = f"个人赛项每次报名 1 人，本次填写了 {len(people)} 人。"
        raise ValidationError({"id_numbers": message})
    if len({p.pk for p in people}) != len(people):
        raise ValidationError({"id_numbers": "同一人在名单中出现了两次。"})
    taken = list(
        Registration.objects.filter(
            event=event, trainee__in=[p.pk for p in people]
        ).select_related("trainee", "entry")
    )
    if taken:
        named = "、".join(
            f"{pii.mask_name(r.trainee.name)}（参赛编号 {r.entry.number}）"
            for r in taken
        )
        raise ValidationError(
            {"id_numbers": f"{named}已报名本赛项，同一人每个赛项只能报名一次。"}
        )
    if delegation_region is None and delegation_institution is None:
        raise ValidationError({"delegation_region": "请填写代表队（地区或单位）。"})
    team_name = (team_name or "").strip()
    if event.is_team and not team_name:
        raise ValidationError({"team_name": "团体赛项请填写队名。"})
    number = (number or "").strip() or next_number(event)
    if Entry.objects.filter(event=event, number=number).exists():
        raise ValidationError({"number": f"参赛编号 {number} 已被使用。"})
    entry = Entry(
        event=event,
        number=number,
        team_name=team_name if event.is_team else "",
        delegation_region=delegation_region,
        delegation_institution=delegation_institution,
    )
    entry.full_clean()
    entry.save()
    Registration.objects.bulk_create(
        [Registration(entry=entry, event=event, trainee=p) for p in people]
    )
    audit_record(
        actor=actor,
        action="competition.entry_register",
        obj=entry,
        after={
            "event": event.pk,
            "number": entry.number,
            "trainees": [p.pk for p in people],
        },
        request=request,
    )
    return entry


@transaction.atomic
def entry_withdraw(*, actor, entry, reason: str = "", request=None) -> Entry:
    """Withdraw an entry (退赛). While registration is open the entry goes and its
    people are free to register again; once scoring started it stays, marked 退赛."""
    entry = Entry.objects.select_for_update().select_related("event").get(pk=entry.pk)
    competition = _locked(Competition(pk=entry.event.competition_id))
    if not policies.may_manage(actor, competition):
        raise PermissionDenied("您不能管理这项竞赛的报名。")
    if entry.withdrawn:
        raise ValidationError("该选手（队）已退赛。")
    if competition.status not in (
        CompetitionStatus.REGISTRATION,
        CompetitionStatus.SCORING,
    ):
        raise ValidationError("只有报名中或评分中的竞赛可以办理退赛。")
    people = list(entry.registrations.values_list("trainee_id", flat=True))
    if competition.status == CompetitionStatus.REGISTRATION:
        # Before scoring nothing rests on the entry: it goes, and its people are free.
        audit_record(
            actor=actor,
            action="competition.entry_withdraw",
            obj=entry,
            before={"number": entry.number, "trainees": people},
            after={"deleted": True},
            reason=reason,
            request=request,
        )
        entry.delete()
        return entry
    status_change(
        obj=entry,
        field="withdrawn",
        to=True,
        actor=actor,
        action="competition.entry_withdraw",
        after={"trainees": people},
        reason=reason,
        request=request,
    )
    return entry
