"""A scored competition to publish, shared by the publishing tests."""

from dataclasses import dataclass
from decimal import Decimal

from competitions.models import Competition, CompetitionStatus, Entry, Event
from tests.factories import (
    CompetitionFactory,
    EventFactory,
    PromotionRuleFactory,
    TitleRuleFactory,
    competitor,
    employee_award_rules,
    staff_user,
)
from training_platform.roles import Role


@dataclass
class Scored:
    competition: Competition
    event: Event
    team_event: Event
    entries: list  # individual entries, best first
    teams: list  # team entries, best first


def bureau(region_code="520000"):
    return staff_user(Role.BUREAU, region_code=region_code)


def scored_competition(*, people: int = 6, teams: int = 2) -> Scored:
    """A provincial 一类 competition in scoring: an individual 电工 event of ``people``
    entries with falling totals, and a team event of ``teams`` teams of 3; awards
    一等奖 1 / 二等奖 2 / 三等奖 5 / 优胜奖 50 %, 贵州省技术能手 top 3 (teams top 2),
    优胜奖 or better → 技师 (step up)."""
    competition = CompetitionFactory(status=CompetitionStatus.SCORING)
    employee_award_rules(competition)
    TitleRuleFactory(competition=competition)
    PromotionRuleFactory(competition=competition)
    event = EventFactory(competition=competition, sort_order=1)
    entries = [
        competitor(
            event,
            theory=Decimal(90 - i * 5),
            practical=Decimal(90 - i * 5),
        )
        for i in range(people)
    ]
    team_event = EventFactory(
        competition=competition,
        name="中式烹调（团体）",
        is_team=True,
        team_size=3,
        sort_order=2,
    )
    team_entries = [
        competitor(
            team_event, theory=Decimal(88 - i * 6), practical=Decimal(85 - i * 6)
        )
        for i in range(teams)
    ]
    return Scored(competition, event, team_event, entries, team_entries)


def set_marks(entry: Entry, theory, practical) -> None:
    Entry.objects.filter(pk=entry.pk).update(
        theory=Decimal(theory), practical=Decimal(practical)
    )


def person(entry: Entry):
    return entry.registrations.get().trainee
