"""Typing scores: the services and the score entry screen (competitions:scores)."""

import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competitions import score_services
from competitions.models import (
    CompetitionStatus,
    JudgeMark,
    ResultVersion,
    VersionStatus,
)
from tests.factories import (
    CompetitionFactory,
    EventFactory,
    InstitutionFactory,
    JudgeMarkFactory,
    competitor,
    employee_award_rules,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def scoring_event(**fields):
    competition = CompetitionFactory(status=CompetitionStatus.SCORING)
    return EventFactory(competition=competition, **fields)


def bureau():
    return staff_user(Role.BUREAU, region_code="520000")


# --- services ---------------------------------------------------------------------------


def test_entry_scores_set_saves_and_audits():
    event = scoring_event()
    entry = competitor(event)
    actor = bureau()
    score_services.entry_scores_set(
        actor=actor, entry=entry, theory="80", practical=D("88.5")
    )
    entry.refresh_from_db()
    assert (entry.theory, entry.practical) == (D("80"), D("88.5"))
    audit = AuditEvent.objects.get(action="competitions.entry.scores_set")
    assert audit.before == {"theory": None, "practical": None}
    assert audit.after == {"theory": "80", "practical": "88.5"}
    # the same marks again write nothing
    score_services.entry_scores_set(
        actor=actor, entry=entry, theory="80", practical="88.50"
    )
    assert (
        AuditEvent.objects.filter(action="competitions.entry.scores_set").count() == 1
    )


def test_entry_scores_set_refusals():
    event = scoring_event()
    entry = competitor(event)
    actor = bureau()
    with pytest.raises(ValidationError) as error:
        score_services.entry_scores_set(
            actor=actor, entry=entry, theory="101", practical="abc"
        )
    assert error.value.message_dict == {
        "theory": ["理论成绩应在 0 到 100 之间。"],
        "practical": ["实操成绩应为数字。"],
    }
    outsider = staff_user(Role.BUREAU, region_code="520300")
    competition = event.competition
    competition.region_id = "520100"
    competition.save()
    with pytest.raises(PermissionDenied):
        score_services.entry_scores_set(
            actor=outsider, entry=entry, theory="1", practical="1"
        )
    judged = EventFactory(competition=competition, uses_judges=True)
    judged_entry = competitor(judged)
    with pytest.raises(ValidationError) as error:
        score_services.entry_scores_set(
            actor=actor, entry=judged_entry, theory="80", practical="80"
        )
    assert "practical" in error.value.message_dict
    entry.refresh_from_db()
    assert entry.theory is None


def test_scores_are_frozen_outside_scoring_and_while_a_correction_waits():
    event = scoring_event()
    entry = competitor(event)
    competition = event.competition
    actor = bureau()
    for status in (CompetitionStatus.REGISTRATION, CompetitionStatus.DRAFT):
        competition.status = status
        competition.save()
        with pytest.raises(ValidationError):
            score_services.entry_scores_set(
                actor=actor, entry=entry, theory="1", practical="1"
            )
    competition.status = CompetitionStatus.PUBLISHED
    competition.save()
    ResultVersion.objects.create(
        competition=competition, number=1, status=VersionStatus.PUBLISHED
    )
    score_services.entry_scores_set(actor=actor, entry=entry, theory="1", practical="1")
    ResultVersion.objects.create(
        competition=competition, number=2, status=VersionStatus.PROPOSED
    )
    with pytest.raises(ValidationError):
        score_services.entry_scores_set(
            actor=actor, entry=entry, theory="2", practical="2"
        )


def test_judge_marks_set_adds_changes_and_deletes():
    event = scoring_event(uses_judges=True)
    entry = competitor(event)
    organiser = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    event.competition.organisers.add(organiser)
    score_services.judge_marks_set(
        actor=organiser, entry=entry, marks={"J1": D("86"), "J2": "88", "J3": ""}
    )
    assert dict(JudgeMark.objects.values_list("judge", "mark")) == {
        "J1": D("86"),
        "J2": D("88"),
    }
    score_services.judge_marks_set(
        actor=organiser, entry=entry, marks={"J1": None, "J2": "90"}
    )
    assert dict(JudgeMark.objects.values_list("judge", "mark")) == {"J2": D("90")}
    audits = AuditEvent.objects.filter(action="competitions.entry.judge_marks_set")
    assert audits.count() == 2
    last = audits.order_by("-pk").first()
    assert last.before == {"J1": "86.00", "J2": "88.00"}
    assert last.after == {"J2": "90.00"}
    with pytest.raises(ValidationError) as error:
        score_services.judge_marks_set(actor=organiser, entry=entry, marks={"J2": "-1"})
    assert error.value.message_dict == {"J2": ["裁判 J2 评分应在 0 到 100 之间。"]}
    typed = EventFactory(competition=event.competition)
    with pytest.raises(ValidationError):
        score_services.judge_marks_set(
            actor=organiser, entry=competitor(typed), marks={"J1": "80"}
        )


# --- the screen -------------------------------------------------------------------------


def url(event):
    return reverse("competitions:scores", kwargs={"event_pk": event.pk})


def test_screen_shows_entries_with_masked_names_formulas_and_flags(client):
    event = scoring_event(uses_judges=True, judge_spread=D("5"))
    employee_award_rules(event.competition)
    entry = competitor(event, theory=D("80"))
    JudgeMarkFactory(entry=entry, judge="J1", mark=D("86"))
    JudgeMarkFactory(entry=entry, judge="J2", mark=D("92"))
    person = entry.registrations.get().trainee
    client.force_login(bureau())
    response = client.get(url(event))
    assert response.status_code == 200
    html = response.content.decode()
    assert person.name not in html
    assert person.name[0] + "*" in html
    assert f'name="judge-{entry.pk}-J3"' in html  # the empty column to add a judge
    assert "(86 + 92) ÷ 2 = 89.00" in html
    assert 'title="80.00 × 30% + 89.00 × 70% = 86.30"' in html
    assert "裁判 J1 与 J2 评分相差 6.00，超过允许差 5.00" in html
    assert "一等奖" in html
    assert 'id="scores-back"' in html


def test_screen_saves_all_rows_in_one_post(client):
    event = scoring_event()
    employee_award_rules(event.competition)
    first, second = competitor(event), competitor(event)
    client.force_login(bureau())
    response = client.post(
        url(event),
        {
            f"theory-{first.pk}": "90",
            f"practical-{first.pk}": "90",
            f"theory-{second.pk}": "70",
            f"practical-{second.pk}": "",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.theory, first.practical) == (D("90"), D("90"))
    assert (second.theory, second.practical) == (D("70"), None)
    html = client.get(url(event)).content.decode()
    assert "缺少实操成绩" in html


def test_screen_shows_a_zero_total_as_a_number(client):
    event = scoring_event()
    competitor(event, theory=D("0"), practical=D("0"))
    client.force_login(bureau())
    html = client.get(url(event)).content.decode()
    total_cell = re.search(
        r'title="0.00 × 30% \+ 0.00 × 70% = 0.00">\s*(\S+)\s*<br>', html
    )
    assert total_cell.group(1) == "0.00"


def test_screen_errors_at_their_field_keep_values_and_save_nothing(client):
    event = scoring_event(uses_judges=True)
    good, bad = competitor(event), competitor(event)
    client.force_login(bureau())
    response = client.post(
        url(event),
        {
            f"theory-{good.pk}": "88",
            f"judge-{good.pk}-J1": "80",
            f"theory-{bad.pk}": "77",
            f"judge-{bad.pk}-J1": "120",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "裁判 J1 评分应在 0 到 100 之间。" in html
    assert f'name="judge-{bad.pk}-J1" id="judge-{bad.pk}-J1" value="120"' in html
    assert f'name="theory-{good.pk}" id="theory-{good.pk}" value="88"' in html
    good.refresh_from_db()
    assert good.theory is None
    assert not JudgeMark.objects.exists()


def test_screen_is_404_for_those_who_do_not_manage(client):
    event = scoring_event()
    event.competition.region_id = "520100"
    event.competition.save()
    for user in (
        staff_user(Role.BUREAU, region_code="520300"),
        staff_user(Role.AUDITOR, region_code="520100"),
        staff_user(Role.INSTITUTION, institution=InstitutionFactory()),
    ):
        client.force_login(user)
        assert client.get(url(event)).status_code == 404
        assert client.post(url(event), {}).status_code == 404
    organiser = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    event.competition.organisers.add(organiser)
    client.force_login(organiser)
    assert client.get(url(event)).status_code == 200
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    assert client.get(url(event)).status_code == 200


def test_screen_is_read_only_when_scores_are_not_editable(client):
    event = scoring_event()
    entry = competitor(event, theory=D("80"), practical=D("80"))
    event.competition.status = CompetitionStatus.REGISTRATION
    event.competition.save()
    client.force_login(bureau())
    html = client.get(url(event)).content.decode()
    assert 'id="scores-readonly"' in html
    assert f'name="theory-{entry.pk}"' not in html
    assert 'id="scores-save"' not in html
    response = client.post(url(event), {f"theory-{entry.pk}": "10"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.theory == D("80")


@pytest.mark.parametrize("uses_judges", [False, True])
def test_screen_query_count_does_not_grow_with_entries(client, uses_judges):
    event = scoring_event(uses_judges=uses_judges)
    employee_award_rules(event.competition)
    client.force_login(bureau())

    def add(n):
        for i in range(n):
            entry = competitor(event, theory=D(60 + i), practical=D(70))
            JudgeMarkFactory(entry=entry, judge="J1", mark=D(70 + i))
            JudgeMarkFactory(entry=entry, judge="J2", mark=D(75))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(event)).status_code == 200
        return len(queries)

    add(3)
    few = count()
    add(9)
    assert count() == few
