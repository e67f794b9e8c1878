"""Demo competition (issue 12): 贵州省第二届职业技能大赛, a provincial 一类 competition
with three events — 电工 (individual, practical marked by five judges, the highest and
lowest mark dropped), 焊工
(individual) and 中式烹调 (teams of 3) — of demo trainees from several prefectures,
award rules 一等奖 1 / 二等奖 2 / 三等奖 5 / 优胜奖 up to half of the field, 贵州省技术能手
for the top 3, and 优胜奖 or better → 技师 (already 技师 → 高级技师). The province
bureau (bureau_gz) publishes the results through the real services, so the winners'
records show award certificates, a title and promotions; the demo trainee is the 电工
winner.

Runs once: when the competition exists, it does nothing (what users did since stays).
A step the data no longer allows is skipped with a note, like the rest of the demo.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model

from competitions import results
from competitions.models import (
    AwardRule,
    Competition,
    CompetitionClass,
    CompetitionLevel,
    CompetitionStatus,
    Entry,
    Event,
    EventTrack,
    JudgeMark,
    JudgeMethod,
    PromotionRule,
    Registration,
    TitleRule,
)
from demo.skips import SeedNotes
from trainees.models import Trainee
from training_platform.reference.models import Occupation, Region, SkillLevel

NAME = "贵州省第二届职业技能大赛"
PROVINCE = "520000"
ELECTRICIAN, WELDER, CHEF = "6-31-01-03", "6-18-02-04", "4-03-02-01"
# (name, occupation, team size, level on the award certificate, entries)
EVENTS = (
    ("电工", ELECTRICIAN, 1, SkillLevel.LEVEL_3, 12),
    ("焊工", WELDER, 1, SkillLevel.LEVEL_3, 10),
    ("中式烹调（团体）", CHEF, 3, "", 4),
)
HALF = Decimal("0.5")
TITLE_DOCUMENT = "黔人社函〔2026〕112号"
PROMOTION_DOCUMENT = "黔人社函〔2026〕113号"


def seed_competitions(notes: SeedNotes | None = None) -> None:
    notes = notes or SeedNotes()
    if Competition.objects.filter(name=NAME).exists():
        return
    bureau = get_user_model().objects.filter(username="bureau_gz").first()
    occupations = Occupation.objects.in_bulk(
        [ELECTRICIAN, WELDER, CHEF], field_name="code"
    )
    needed = sum(size * count for _, _, size, _, count in EVENTS)
    people = _people(needed)
    if bureau is None or len(occupations) < 3 or len(people) < needed:
        notes.skip("技能大赛演示", "缺少 bureau_gz、职业或足够的演示学员")
        return
    with notes.attempt("技能大赛演示"):
        competition = _competition()
        _events(competition, occupations, people)
        results.results_publish(actor=bureau, competition=competition)


def _people(count: int) -> list[Trainee]:
    """The demo trainee first (the 电工 winner), then others living in every prefecture
    in turn (one light query over the people, one for those chosen)."""
    first = list(Trainee.objects.filter(user__username="trainee")[:1])
    rows = (
        Trainee.objects.exclude(pk__in=[t.pk for t in first])
        .exclude(residence_region__isnull=True)
        .order_by("pk")
        .values_list("pk", "residence_region_id")
    )
    by_prefecture: dict[str, list[int]] = {}
    for pk, code in rows:
        by_prefecture.setdefault(code[:4] + "00", []).append(pk)
    chosen: list[int] = []
    groups = [by_prefecture[code] for code in sorted(by_prefecture)]
    while len(chosen) < count and any(groups):
        for group in groups:
            if group and len(chosen) < count:
                chosen.append(group.pop(0))
    people = Trainee.objects.in_bulk(chosen)
    return (first + [people[pk] for pk in chosen])[:count]


def _prefecture(person: Trainee) -> str:
    """The delegation: the prefecture where the person lives (works)."""
    code = person.residence_region_id or person.household_region_id or PROVINCE
    return code[:4] + "00"


def _competition() -> Competition:
    competition = Competition(
        name=NAME,
        level=CompetitionLevel.PROVINCIAL,
        category=CompetitionClass.FIRST,
        year=2026,
        region=Region.objects.get(code=PROVINCE),
        organiser="贵州省人力资源和社会保障厅",
        venue="贵州省公共实训基地（贵阳市白云区）",
        registration_opens=dt.date(2026, 3, 1),
        registration_closes=dt.date(2026, 4, 30),
        starts_on=dt.date(2026, 6, 10),
        ends_on=dt.date(2026, 6, 12),
        description=(
            "全省一类职业技能竞赛，设电工、焊工、中式烹调（团体）三个赛项，"
            "各市（州）人社部门组织代表队参赛。"
        ),
    )
    competition.full_clean()
    competition.save()
    competition.status = CompetitionStatus.SCORING
    competition.save(update_fields=["status"])
    rules = [("一等奖", 1, None), ("二等奖", 2, None), ("三等奖", 5, None)]
    rules.append(("优胜奖", None, Decimal("50")))
    for order, (name, count, share) in enumerate(rules):
        rule = AwardRule(
            competition=competition,
            sort_order=order,
            name=name,
            count=count,
            share=share,
        )
        rule.full_clean()
        rule.save()
    TitleRule.objects.create(
        competition=competition,
        title="贵州省技术能手",
        max_rank=3,
        max_team_rank=1,
        document_no=TITLE_DOCUMENT,
    )
    PromotionRule.objects.create(
        competition=competition,
        min_award="优胜奖",
        to_level=SkillLevel.LEVEL_2,
        step_up=True,
        document_no=PROMOTION_DOCUMENT,
    )
    return competition


def _events(competition, occupations, people) -> None:
    queue = list(people)
    names = dict(
        Region.objects.filter(code__in={_prefecture(p) for p in people}).values_list(
            "code", "name"
        )
    )
    for order, (name, code, size, level, count) in enumerate(EVENTS, start=1):
        judged = code == ELECTRICIAN
        event = Event(
            competition=competition,
            name=name,
            occupation=occupations[code],
            level=level,
            is_team=size > 1,
            team_size=size,
            track=EventTrack.NATIONAL if judged else EventTrack.PROVINCIAL,
            uses_judges=judged,
            judge_method=JudgeMethod.TRIMMED,
            sort_order=order,
        )
        event.full_clean()
        event.save()
        for i in range(count):
            team = [queue.pop(0) for _ in range(size)]
            theory = Decimal(92 - i * 3)
            practical = Decimal(95 - i * 4) - Decimal(order)
            entry = Entry(
                event=event,
                number=f"{order}{i + 1:02d}",
                team_name=f"{names.get(_prefecture(team[0]), '')}代表队{i + 1}队"
                if size > 1
                else "",
                delegation_region_id=_prefecture(team[0]),
                theory=theory,
                practical=None if judged else practical,
            )
            entry.full_clean()
            entry.save()
            Registration.objects.bulk_create(
                [Registration(entry=entry, event=event, trainee=p) for p in team]
            )
            if judged:
                # five judges, the highest and lowest dropped; the 4th entry's marks
                # differ by more than allowed
                spread = Decimal(12) if i == 3 else Decimal(2)
                JudgeMark.objects.bulk_create(
                    [
                        JudgeMark(entry=entry, judge="J1", mark=practical),
                        JudgeMark(entry=entry, judge="J2", mark=practical + 1),
                        JudgeMark(entry=entry, judge="J3", mark=practical - spread),
                        JudgeMark(entry=entry, judge="J4", mark=practical + HALF),
                        JudgeMark(entry=entry, judge="J5", mark=practical - HALF),
                    ]
                )
