"""competitions' part of the lifetime record: published results with the award
certificate, titles with their document, promotions from-level → to-level; and the
titles as earned honours for the bases registry."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bases.honours import earned_honours_of
from competitions import records, results
from competitions.models import Outcome, OutcomeKind
from tests.competitions.publishing import bureau, person, scored_competition, set_marks
from tests.factories import (
    CertificateFactory,
    EventFactory,
    TraineeFactory,
    competitor,
    staff_user,
)
from trainees.extensions import record_sources
from trainees.records import record_for
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def test_registered_on_the_record_sources():
    assert records.COMPETITIONS in record_sources


def test_the_winner_record_shows_result_title_and_promotion():
    scored = scored_competition(people=4, teams=2)
    winner = person(scored.entries[0])
    CertificateFactory(
        trainee=winner,
        occupation=scored.event.occupation,
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_3,
    )
    results.results_publish(actor=bureau(), competition=scored.competition)
    section = record_for(winner).section("competitions")
    kinds = [e.kind for e in section.entries]
    assert kinds == ["竞赛成绩", "荣誉称号", "技能等级晋升"]
    result, title, promotion = section.entries
    facts = dict(result.facts)
    assert facts["竞赛"] == scored.competition.name
    assert facts["赛项"] == scored.event.name
    assert facts["名次"] == "第 1 名"
    assert facts["奖项"] == "一等奖"
    certificate = Outcome.objects.get(
        trainee=winner, kind=OutcomeKind.CERTIFICATE
    ).certificate
    assert facts["获奖证书"] == certificate.number
    assert result.url == f"/verify/{certificate.token}/"
    assert dict(title.facts)["称号"] == "贵州省技术能手"
    assert dict(title.facts)["批准文号"] == "黔人社函〔2026〕88号"
    promotion_facts = dict(promotion.facts)
    assert promotion_facts["原等级"] == "三级/高级工"
    assert promotion_facts["晋升等级"] == "二级/技师"
    assert promotion_facts["批准文号"] == "黔人社函〔2026〕89号"
    # the certificate itself is in the certificates section, once
    numbers = [
        e.obj["number"] for e in record_for(winner).section("certificates").entries
    ]
    assert certificate.number in numbers


def test_a_revoked_outcome_leaves_the_record():
    scored = scored_competition(people=4, teams=2)
    proposer, approver = bureau(), bureau()
    results.results_publish(actor=proposer, competition=scored.competition)
    fourth = person(scored.entries[3])
    third = person(scored.entries[2])
    set_marks(scored.entries[3], 99, 99)
    version = results.correction_propose(
        actor=proposer, competition=scored.competition, reason="第4名成绩漏录"
    )
    results.correction_approve(actor=approver, version=version)
    kinds = [e.kind for e in record_for(fourth).section("competitions").entries]
    assert "荣誉称号" in kinds
    entries = record_for(third).section("competitions").entries
    assert [e.kind for e in entries].count("荣誉称号") == 0
    assert dict(entries[0].facts)["名次"] == "第 4 名"


def test_nothing_before_publication():
    event = EventFactory()
    entry = competitor(event)
    assert record_for(person(entry)).section("competitions").entries == []


def test_staff_see_the_entries_only_of_competitions_they_see():
    scored = scored_competition(people=3, teams=2)
    results.results_publish(actor=bureau(), competition=scored.competition)
    winner = person(scored.entries[0])
    assert record_for(winner, viewer=bureau()).section("competitions").entries
    other_bureau = staff_user(Role.BUREAU, region_code="520100")
    assert not record_for(winner, viewer=other_bureau).section("competitions").entries


def test_fixed_queries_however_many_competitions():
    trainee = TraineeFactory()
    counts = []
    for _ in range(2):
        scored = scored_competition(people=3, teams=2)
        entry = competitor(scored.event, people=[trainee], theory=99, practical=99)
        assert entry
        results.results_publish(actor=bureau(), competition=scored.competition)
        with CaptureQueriesContext(connection) as queries:
            entries = records.competition_entries(trainee)
        counts.append((len(queries), len(entries)))
    assert counts[0][0] == counts[1][0] == 3
    assert counts[1][1] == 2 * counts[0][1]


def test_titles_are_earned_honours():
    scored = scored_competition(people=4, teams=2)
    results.results_publish(actor=bureau(), competition=scored.competition)
    winner, fourth = person(scored.entries[0]), person(scored.entries[3])
    honours = earned_honours_of([winner.pk, fourth.pk])
    [honour] = honours[winner.pk]
    assert honour.name == "贵州省技术能手"
    assert honour.document_no == "黔人社函〔2026〕88号"
    assert honour.source == scored.competition.name
    assert honour.year == Outcome.objects.filter(trainee=winner).first().issued_on.year
    assert honours[fourth.pk] == []


def test_the_record_reads_in_english():
    from django.utils import translation

    scored = scored_competition(people=3, teams=2)
    results.results_publish(actor=bureau(), competition=scored.competition)
    with translation.override("en"):
        entries = records.competition_entries(person(scored.entries[0]))
    assert [e.kind for e in entries] == [
        "Competition results",
        "Title",
        "Skill level promotion",
    ]
    facts = dict(entries[0].facts)
    assert facts["Place"] == "Place 1"
    assert dict(entries[2].facts)["Promoted to"] == "二级/技师"
