"""The competition tables' own rules and who sees which rows."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from competitions import policies
from competitions.models import Competition, Entry, Event, Registration
from tests.factories import (
    CompetitionFactory,
    EventFactory,
    TraineeFactory,
    competitor,
    staff_user,
)
from training_platform import access
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def test_one_person_once_per_event_even_in_another_entry():
    event = EventFactory()
    person = TraineeFactory()
    competitor(event, people=[person])
    with pytest.raises(IntegrityError), transaction.atomic():
        competitor(event, people=[person])
    # the same person may enter another event of the competition
    other = EventFactory(competition=event.competition)
    competitor(other, people=[person])
    assert Registration.objects.filter(trainee=person).count() == 2


def test_a_team_entry_holds_its_team():
    event = EventFactory(is_team=True, team_size=3)
    entry = competitor(event)
    assert entry.registrations.count() == 3
    assert entry.team_name


def test_event_weights_add_up_and_team_size_fits():
    event = EventFactory.build(
        competition=CompetitionFactory(),
        theory_weight=Decimal("40"),
        practical_weight=Decimal("50"),
    )
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "practical_weight" in error.value.message_dict
    team = EventFactory.build(competition=event.competition, is_team=True, team_size=1)
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    assert "team_size" in error.value.message_dict


def test_worldskills_scale_only_on_selection_events():
    event = EventFactory.build(competition=CompetitionFactory(), worldskills_scale=True)
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "worldskills_scale" in error.value.message_dict


def test_an_entry_names_its_delegation():
    event = EventFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(event=event, number="X1")


def test_bureau_and_organisers_see_and_change_others_only_see_their_own():
    provincial = CompetitionFactory()
    event = EventFactory(competition=provincial)
    entry = competitor(event)
    local = CompetitionFactory(region_id="520300")  # 遵义市
    province = staff_user(Role.BUREAU, region_code="520000")
    zunyi = staff_user(Role.BUREAU, region_code="520300")
    auditor = staff_user(Role.AUDITOR, region_code="520000")
    organiser = staff_user(Role.BUREAU, region_code="520100")
    provincial.organisers.add(organiser)
    access.forget_scope(organiser)

    assert set(access.visible(province, Competition)) == {provincial, local}
    assert set(access.visible(zunyi, Competition)) == {local}
    assert set(access.visible(organiser, Competition)) == {provincial}
    assert set(access.changeable(auditor, Competition)) == set()
    assert set(access.visible(auditor, Entry)) == {entry}
    assert set(access.changeable(zunyi, Event)) == set()
    assert set(access.changeable(organiser, Entry)) == {entry}

    assert policies.may_manage(organiser, provincial)
    assert not policies.may_publish(organiser, provincial)
    assert policies.may_publish(province, provincial)
    assert not policies.may_manage(zunyi, provincial)
