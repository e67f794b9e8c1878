"""The results screen: who sees it, which buttons for whom, confirmation, fixed queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competitions import results
from competitions.models import (
    CompetitionStatus,
    Outcome,
    ResultVersion,
    VersionStatus,
)
from tests.competitions.publishing import bureau, scored_competition, set_marks
from tests.factories import InstitutionFactory, staff_user
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def page(client, user, competition):
    client.force_login(user)
    response = client.get(reverse("competitions:results", args=[competition.pk]))
    return response, re.sub(r"\s+", " ", response.content.decode())


def test_the_bureau_sees_the_computed_table_and_publishes_after_confirming(client):
    scored = scored_competition(people=3, teams=2)
    actor = bureau()
    response, text = page(client, actor, scored.competition)
    assert response.status_code == 200
    assert "当前计算结果（未公布）" in text
    assert "公布成绩" in text and 'id="publish-form"' in text
    assert "× 30%" in text or "30%" in text  # the total's formula is shown
    url = reverse("competitions:results_publish", args=[scored.competition.pk])
    asked = client.post(url)
    assert asked.status_code == 200 and "确认公布" in asked.content.decode()
    assert not ResultVersion.objects.exists()
    done = client.post(url, {"confirmed": "1"})
    assert done.status_code == 302
    scored.competition.refresh_from_db()
    assert scored.competition.status == CompetitionStatus.PUBLISHED
    _, text = page(client, actor, scored.competition)
    assert "公布的成绩（第 1 版）" in text
    assert 'id="publish-form"' not in text and 'id="propose-form"' in text
    certificate = Outcome.objects.filter(certificate__isnull=False).first().certificate
    assert f"/verify/{certificate.token}/" in text
    assert "贵州省技术能手" in text


def test_the_auditor_reads_without_buttons_and_others_get_404(client):
    scored = scored_competition(people=3, teams=2)
    auditor = staff_user(Role.AUDITOR, region_code="520000")
    response, text = page(client, auditor, scored.competition)
    assert response.status_code == 200
    assert "成绩公布" in text  # the page title
    assert 'id="publish-form"' not in text
    assert "当前没有您可以办理的事项" in text
    for outsider in (
        staff_user(Role.BUREAU, region_code="520100"),
        staff_user(Role.AUDITOR, region_code="520300"),
    ):
        response, _ = page(client, outsider, scored.competition)
        assert response.status_code == 404
    # and a post from them changes nothing
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    url = reverse("competitions:results_publish", args=[scored.competition.pk])
    assert client.post(url, {"confirmed": "1"}).status_code == 404
    assert not ResultVersion.objects.exists()


def test_an_organiser_sees_the_screen_but_may_not_publish(client):
    scored = scored_competition(people=3, teams=2)
    organiser = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    response, _ = page(client, organiser, scored.competition)
    assert response.status_code == 404  # not yet named on the competition
    scored.competition.organisers.add(organiser)
    response, text = page(client, organiser, scored.competition)
    assert response.status_code == 200
    assert 'id="publish-form"' not in text
    url = reverse("competitions:results_publish", args=[scored.competition.pk])
    client.post(url, {"confirmed": "1"})
    assert not ResultVersion.objects.exists()


def test_correction_flow_on_the_screen(client):
    scored = scored_competition(people=4, teams=2)
    proposer, approver = bureau(), bureau()
    results.results_publish(actor=proposer, competition=scored.competition)
    set_marks(scored.entries[3], 99, 99)
    client.force_login(proposer)
    url = reverse("competitions:results_propose", args=[scored.competition.pk])
    missing = client.post(url, {"reason": " ", "confirmed": "1"}, follow=True)
    assert "须填写更正原因" in missing.content.decode()
    client.post(url, {"reason": "第4名成绩漏录", "confirmed": "1"})
    proposed = ResultVersion.objects.get(status=VersionStatus.PROPOSED)
    _, text = page(client, proposer, scored.competition)
    assert "待复核的更正（第 2 版）" in text and 'id="own-proposal"' in text
    assert 'id="approve-form"' not in text
    approve = reverse(
        "competitions:results_approve", args=[scored.competition.pk, proposed.pk]
    )
    client.post(approve, {"confirmed": "1"})
    proposed.refresh_from_db()
    assert proposed.status == VersionStatus.PROPOSED  # the proposer was refused
    _, text = page(client, approver, scored.competition)
    assert 'id="approve-form"' in text and 'id="reject-form"' in text
    asked = client.post(approve)
    assert "确认批准" in asked.content.decode()
    client.post(approve, {"confirmed": "1"})
    proposed.refresh_from_db()
    assert proposed.status == VersionStatus.PUBLISHED
    _, text = page(client, approver, scored.competition)
    assert "公布的成绩（第 2 版）" in text
    assert "已更正" in text and "第4名成绩漏录" in text  # the history
    assert "已撤销" in text  # the third place's title went


def test_reject_on_the_screen(client):
    scored = scored_competition(people=3, teams=2)
    proposer, approver = bureau(), bureau()
    results.results_publish(actor=proposer, competition=scored.competition)
    set_marks(scored.entries[2], 99, 99)
    version = results.correction_propose(
        actor=proposer, competition=scored.competition, reason="成绩录入错误"
    )
    client.force_login(approver)
    url = reverse(
        "competitions:results_reject", args=[scored.competition.pk, version.pk]
    )
    client.post(url, {"reason": "请附评分表", "confirmed": "1"})
    version.refresh_from_db()
    assert version.status == VersionStatus.REJECTED
    _, text = page(client, approver, scored.competition)
    assert "退回原因：请附评分表" in text


def test_a_version_of_another_competition_answers_404(client):
    scored = scored_competition(people=3, teams=2)
    other = scored_competition(people=3, teams=2)
    proposer, approver = bureau(), bureau()
    results.results_publish(actor=proposer, competition=other.competition)
    set_marks(other.entries[2], 99, 99)
    version = results.correction_propose(
        actor=proposer, competition=other.competition, reason="更正"
    )
    client.force_login(approver)
    url = reverse(
        "competitions:results_approve", args=[scored.competition.pk, version.pk]
    )
    assert client.post(url, {"confirmed": "1"}).status_code == 404


def test_the_screen_query_count_does_not_grow_with_entries(client):
    actor = bureau()
    client.force_login(actor)
    counts = []
    for people, teams in ((3, 2), (9, 6)):
        scored = scored_competition(people=people, teams=teams)
        results.results_publish(actor=actor, competition=scored.competition)
        set_marks(scored.entries[1], 99, 99)
        results.correction_propose(
            actor=actor, competition=scored.competition, reason="更正"
        )
        url = reverse("competitions:results", args=[scored.competition.pk])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # before publication too
    counts = []
    for people in (3, 9):
        scored = scored_competition(people=people, teams=2)
        url = reverse("competitions:results", args=[scored.competition.pk])
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts.append(len(queries))
    assert counts[0] == counts[1]
