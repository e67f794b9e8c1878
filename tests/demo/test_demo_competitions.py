"""The demo competition: published by the province bureau through the services, its
outcomes on the winners' records, and seeded once."""

import pytest

from certificates.models import CertificateStatus
from competitions.models import (
    Competition,
    CompetitionStatus,
    JudgeMark,
    Outcome,
    OutcomeKind,
    Registration,
    VersionStatus,
)
from demo.competitions import NAME, seed_competitions
from demo.services import demo_seed
from trainees.models import Trainee
from trainees.records import record_for
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            demo_seed()
            yield
            transaction.set_rollback(True)


def test_a_published_provincial_competition_with_three_events(seeded):
    competition = Competition.objects.get(name=NAME)
    assert competition.status == CompetitionStatus.PUBLISHED
    assert competition.get_level_display() == "省级"
    assert competition.get_category_display() == "一类"
    events = list(competition.events.all())
    assert [e.name for e in events] == ["电工", "焊工", "中式烹调（团体）"]
    assert [e.is_team for e in events] == [False, False, True]
    assert JudgeMark.objects.filter(entry__event=events[0]).count() == 12 * 5
    team = events[2].entries.first()
    assert team.registrations.count() == 3
    prefectures = set(
        competition.events.values_list("entries__delegation_region", flat=True)
    )
    assert len(prefectures) >= 2  # the demo people live in 贵阳 and 遵义
    [version] = competition.result_versions.all()
    assert version.status == VersionStatus.PUBLISHED
    assert version.proposed_by.username == "bureau_gz"
    assert AuditEvent.objects.filter(action="competitions.results.publish").exists()


def test_winners_hold_certificates_a_title_and_promotions(seeded):
    competition = Competition.objects.get(name=NAME)
    outcomes = Outcome.objects.filter(competition=competition)
    kinds = set(outcomes.values_list("kind", flat=True))
    assert kinds == {OutcomeKind.CERTIFICATE, OutcomeKind.TITLE, OutcomeKind.PROMOTION}
    certificates = outcomes.filter(kind=OutcomeKind.CERTIFICATE)
    assert all(o.certificate.status == CertificateStatus.VALID for o in certificates)
    # 电工 12: 8 awarded; 焊工 10: 8 awarded; 中式烹调 4 teams of 3: all awarded
    assert certificates.count() == 8 + 8 + 12
    titles = outcomes.filter(kind=OutcomeKind.TITLE)
    assert titles.count() == 3 + 3 + 3
    assert set(titles.values_list("name", flat=True)) == {"贵州省技术能手"}


def test_the_demo_trainee_won_and_it_shows_on_their_record(seeded):
    trainee = Trainee.objects.get(user__username="trainee")
    registration = Registration.objects.get(trainee=trainee)
    assert registration.event.name == "电工"
    section = record_for(trainee).section("competitions")
    kinds = [e.kind for e in section.entries]
    assert kinds == ["竞赛成绩", "荣誉称号", "技能等级晋升"]
    assert dict(section.entries[0].facts)["奖项"] == "一等奖"
    assert section.entries[0].url.startswith("/verify/")
    assert dict(section.entries[2].facts)["晋升等级"] == "二级/技师"


def test_seeding_again_creates_nothing(seeded):
    before = (Outcome.objects.count(), Registration.objects.count())
    seed_competitions()
    assert (Outcome.objects.count(), Registration.objects.count()) == before
    assert Competition.objects.filter(name=NAME).count() == 1
