"""Publishing results: the bureau freezes the computed results into version 1, once."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competitions import results
from competitions.models import (
    CompetitionStatus,
    Outcome,
    OutcomeKind,
    Result,
    ResultVersion,
    VersionStatus,
)
from tests.competitions.publishing import bureau, scored_competition
from tests.factories import EventFactory, UserFactory
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_bureau_publishes_version_one_with_a_result_per_entry():
    scored = scored_competition(people=12, teams=2)
    actor = bureau()
    version = results.results_publish(actor=actor, competition=scored.competition)
    assert (version.number, version.status) == (1, VersionStatus.PUBLISHED)
    assert version.published_at is not None
    scored.competition.refresh_from_db()
    assert scored.competition.status == CompetitionStatus.PUBLISHED
    assert Result.objects.filter(version=version).count() == 14
    best = Result.objects.get(version=version, entry=scored.entries[0])
    assert (best.rank, best.award) == (1, "一等奖")
    assert best.total is not None and "total" in best.formulas
    # 一等奖 1 + 二等奖 2 + 三等奖 5: eight individual certificates; teams of 3 × 2
    certificates = Outcome.objects.filter(kind=OutcomeKind.CERTIFICATE)
    assert certificates.filter(event=scored.event).count() == 8
    assert certificates.filter(event=scored.team_event).count() == 6
    assert results.published_version(scored.competition) == version
    assert AuditEvent.objects.filter(
        action="competitions.results.publish", object_id=str(version.pk)
    ).exists()


def test_publishing_twice_is_refused_and_creates_nothing():
    scored = scored_competition(people=4, teams=2)
    actor = bureau()
    results.results_publish(actor=actor, competition=scored.competition)
    counts = (Result.objects.count(), Outcome.objects.count())
    with pytest.raises(ValidationError) as error:
        results.results_publish(actor=actor, competition=scored.competition)
    assert error.value.code == "already_published"
    assert ResultVersion.objects.count() == 1
    assert (Result.objects.count(), Outcome.objects.count()) == counts


def test_only_the_bureau_over_the_competition_publishes():
    scored = scored_competition(people=3, teams=2)
    organiser = UserFactory()
    scored.competition.organisers.add(organiser)
    for actor in (organiser, bureau("520100")):
        with pytest.raises(PermissionDenied):
            results.results_publish(actor=actor, competition=scored.competition)
    assert not ResultVersion.objects.exists()


def test_an_event_without_ranked_entries_stops_publication():
    scored = scored_competition(people=3, teams=2)
    EventFactory(competition=scored.competition, name="焊工")
    with pytest.raises(ValidationError) as error:
        results.results_publish(actor=bureau(), competition=scored.competition)
    assert error.value.code == "unranked"
    assert "焊工" in error.value.messages[0]
    assert not ResultVersion.objects.exists()


def test_only_a_competition_in_scoring_is_published():
    scored = scored_competition(people=3, teams=2)
    scored.competition.status = CompetitionStatus.REGISTRATION
    scored.competition.save()
    with pytest.raises(ValidationError) as error:
        results.results_publish(actor=bureau(), competition=scored.competition)
    assert error.value.code == "not_scoring"


def test_results_table_reads_in_fixed_queries():
    small = scored_competition(people=3, teams=2)
    large = scored_competition(people=9, teams=6)
    actor = bureau()
    tables = []
    counts = []
    for scored in (small, large):
        version = results.results_publish(actor=actor, competition=scored.competition)
        with CaptureQueriesContext(connection) as queries:
            tables.append(results.results_table(version))
            for table in tables[-1]:
                for row in table.rows:
                    [p.trainee.name for p in row.people]
                    [p.certificate.token for p in row.people if p.certificate]
        counts.append(len(queries))
    assert counts[0] == counts[1]
    rows = tables[1][0].rows
    assert len(rows) == 9 and rows[0].rank == 1
    assert rows[0].people[0].certificate is not None
