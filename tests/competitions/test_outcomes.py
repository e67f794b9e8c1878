"""What published results give: award certificates, titles and promotions, once."""

import pytest
from django.utils import timezone

from certificates.models import Certificate, CertificateStatus
from competitions import outcomes, results
from competitions.models import (
    AwardRule,
    CompetitionStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    Result,
    ResultVersion,
    VersionStatus,
)
from tests.competitions.publishing import bureau, person, scored_competition
from tests.factories import (
    CertificateFactory,
    CompetitionFactory,
    EventFactory,
    PromotionRuleFactory,
    TitleRuleFactory,
    competitor,
    employee_award_rules,
)
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import CertificateKind, SkillLevel

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        sorted(
            Outcome.objects.values_list(
                "event_id", "trainee_id", "kind", "name", "status", "certificate_id"
            )
        ),
        Certificate.objects.count(),
    )


def test_outcomes_are_issued_exactly_once_however_often_reconciled():
    scored = scored_competition(people=12, teams=2)
    actor = bureau()
    version = results.results_publish(actor=actor, competition=scored.competition)
    before = _snapshot()
    audits = AuditEvent.objects.count()
    again = outcomes.outcomes_reconcile(actor=actor, version=version)
    assert (again.issued, again.revoked) == ([], [])
    assert again.kept == len(before[0])
    assert _snapshot() == before
    assert AuditEvent.objects.count() == audits
    # one live outcome of each kind per person and event
    assert Outcome.objects.filter(status=OutcomeStatus.ACTIVE).count() == len(
        set(Outcome.objects.values_list("event_id", "trainee_id", "kind"))
    )


def test_award_certificates_are_issued_through_certificates():
    scored = scored_competition(people=3, teams=2)
    version = results.results_publish(actor=bureau(), competition=scored.competition)
    first = person(scored.entries[0])
    outcome = Outcome.objects.get(
        trainee=first, event=scored.event, kind=OutcomeKind.CERTIFICATE
    )
    certificate = outcome.certificate
    assert certificate.kind == CertificateKind.COMPETITION
    assert certificate.status == CertificateStatus.VALID
    assert certificate.trainee == first
    assert certificate.level == scored.event.level
    assert certificate.issuer_name == scored.competition.organiser
    assert certificate.fact_key.startswith(f"award:{scored.competition.pk}:")
    assert f"{scored.event.name} 一等奖" in certificate.basis_note
    assert outcome.issued_on == timezone.localdate(version.published_at)
    assert outcome.issued_in == version
    # every member of a team gets their own certificate
    team = scored.teams[0]
    members = {r.trainee_id for r in team.registrations.all()}
    team_certificates = Outcome.objects.filter(
        event=scored.team_event, kind=OutcomeKind.CERTIFICATE, trainee__in=members
    )
    assert team_certificates.count() == 3
    assert len({o.certificate_id for o in team_certificates}) == 3


def test_an_award_without_certificate_gives_none():
    scored = scored_competition(people=3, teams=2)
    AwardRule.objects.filter(competition=scored.competition, name="一等奖").update(
        certificate=False
    )
    results.results_publish(actor=bureau(), competition=scored.competition)
    first = person(scored.entries[0])
    kinds = set(
        Outcome.objects.filter(trainee=first, event=scored.event).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {OutcomeKind.TITLE, OutcomeKind.PROMOTION}


def test_titles_go_to_the_top_three_and_to_teams_by_their_own_limit():
    scored = scored_competition(people=5, teams=3)
    results.results_publish(actor=bureau(), competition=scored.competition)
    titled = Outcome.objects.filter(kind=OutcomeKind.TITLE)
    individual = set(
        titled.filter(event=scored.event).values_list("trainee_id", flat=True)
    )
    assert individual == {person(e).pk for e in scored.entries[:3]}
    title = titled.filter(event=scored.event).first()
    assert (title.name, title.document_no) == ("贵州省技术能手", "黔人社函〔2026〕88号")
    # TitleRuleFactory: max_team_rank 2 → two teams of three
    assert titled.filter(event=scored.team_event).count() == 6


def test_no_team_titles_when_the_rule_gives_none():
    scored = scored_competition(people=3, teams=2)
    scored.competition.title_rules.update(max_team_rank=0)
    results.results_publish(actor=bureau(), competition=scored.competition)
    assert not Outcome.objects.filter(
        kind=OutcomeKind.TITLE, event=scored.team_event
    ).exists()


def _level_certificate(trainee, event, level, **fields):
    return CertificateFactory(
        trainee=trainee,
        occupation=event.occupation,
        kind=CertificateKind.SKILL_LEVEL,
        level=level,
        **fields,
    )


def test_promotions_start_from_the_level_held_and_step_up():
    scored = scored_competition(people=5, teams=2)
    people = [person(e) for e in scored.entries]
    _level_certificate(people[0], scored.event, SkillLevel.LEVEL_3)
    _level_certificate(people[1], scored.event, SkillLevel.LEVEL_2)
    _level_certificate(people[1], scored.event, SkillLevel.LEVEL_4)
    _level_certificate(people[2], scored.event, SkillLevel.LEVEL_1)
    # a revoked 技师 certificate does not count
    _level_certificate(
        people[3],
        scored.event,
        SkillLevel.LEVEL_2,
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
        revoked_reason="测试",
    )
    results.results_publish(actor=bureau(), competition=scored.competition)
    promotions = {
        o.trainee_id: (o.from_level, o.to_level, o.document_no)
        for o in Outcome.objects.filter(kind=OutcomeKind.PROMOTION, event=scored.event)
    }
    doc = "黔人社函〔2026〕89号"
    assert promotions[people[0].pk] == ("3", "2", doc)
    assert promotions[people[1].pk] == ("2", "1", doc)  # 技师 → 高级技师
    assert people[2].pk not in promotions  # already 高级技师: no promotion
    assert promotions[people[3].pk] == ("", "2", doc)
    assert Outcome.objects.get(trainee=people[1], kind=OutcomeKind.PROMOTION).name == (
        "晋升一级/高级技师"
    )


def test_without_step_up_those_already_there_stay():
    scored = scored_competition(people=3, teams=2)
    scored.competition.promotion_rules.update(step_up=False)
    first = person(scored.entries[0])
    _level_certificate(first, scored.event, SkillLevel.LEVEL_2)
    results.results_publish(actor=bureau(), competition=scored.competition)
    assert not Outcome.objects.filter(
        trainee=first, kind=OutcomeKind.PROMOTION
    ).exists()


def test_promotion_needs_an_award_at_least_as_good_as_the_rule():
    scored = scored_competition(people=12, teams=2)
    scored.competition.promotion_rules.update(min_award="二等奖")
    results.results_publish(actor=bureau(), competition=scored.competition)
    promoted = set(
        Outcome.objects.filter(
            kind=OutcomeKind.PROMOTION, event=scored.event
        ).values_list("trainee_id", flat=True)
    )
    assert promoted == {person(e).pk for e in scored.entries[:3]}


def test_next_level_up():
    assert outcomes.next_level_up(SkillLevel.LEVEL_3) == SkillLevel.LEVEL_2
    assert outcomes.next_level_up(SkillLevel.LEVEL_2) == SkillLevel.LEVEL_1
    assert outcomes.next_level_up(SkillLevel.LEVEL_1) == ""
    assert outcomes.next_level_up(SkillLevel.PRINCIPAL) == ""


def test_reconcile_reads_result_rows_made_directly():
    competition = CompetitionFactory(status=CompetitionStatus.PUBLISHED)
    employee_award_rules(competition)
    TitleRuleFactory(competition=competition)
    PromotionRuleFactory(competition=competition)
    event = EventFactory(competition=competition)
    entries = [competitor(event) for _ in range(3)]
    version = ResultVersion.objects.create(
        competition=competition,
        number=1,
        status=VersionStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    for rank, (entry, award) in enumerate(
        zip(entries, ["一等奖", "二等奖", ""], strict=True), start=1
    ):
        Result.objects.create(
            version=version, event=event, entry=entry, rank=rank, award=award
        )
    actor = bureau()
    done = outcomes.outcomes_reconcile(actor=actor, version=version)
    assert len(done.issued) == 2 * 3 + 1  # two awarded (certificate, title,
    # promotion) and a title for the third place
    assert outcomes.outcomes_reconcile(actor=actor, version=version).issued == []


def test_reconcile_refuses_a_version_not_published():
    scored = scored_competition(people=3, teams=2)
    version = ResultVersion.objects.create(
        competition=scored.competition, number=1, status=VersionStatus.PROPOSED
    )
    with pytest.raises(Exception) as error:
        outcomes.outcomes_reconcile(actor=bureau(), version=version)
    assert "已公布" in str(error.value)
    assert not Outcome.objects.exists()
