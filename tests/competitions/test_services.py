"""Managing competitions: creating, status moves and registration (competitions.services)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from competitions import services
from competitions.models import (
    Competition,
    CompetitionStatus,
    Entry,
    Registration,
)
from tests.factories import (
    CompetitionFactory,
    EventFactory,
    TraineeFactory,
    competitor,
    employee_award_rules,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

FIELDS = {
    "name": "遵义市职业技能大赛",
    "level": "prefecture",
    "category": "2",
    "year": 2026,
    "organiser": "遵义市人力资源和社会保障局",
}


def province():
    return staff_user(Role.BUREAU, region_code="520000")


def test_bureau_creates_a_draft_in_its_region_and_it_is_audited():
    zunyi = staff_user(Role.BUREAU, region_code="520300")
    competition = services.competition_create(
        actor=zunyi, region=region("520300"), **FIELDS
    )
    assert competition.status == CompetitionStatus.DRAFT
    assert AuditEvent.objects.filter(
        action="competition.create", object_id=str(competition.pk)
    ).exists()


def test_create_refused_outside_the_bureau_region_and_for_other_roles():
    zunyi = staff_user(Role.BUREAU, region_code="520300")
    with pytest.raises(ValidationError) as error:
        services.competition_create(actor=zunyi, region=region("520100"), **FIELDS)
    assert "region" in error.value.message_dict
    auditor = staff_user(Role.AUDITOR, region_code="520000")
    with pytest.raises(PermissionDenied):
        services.competition_create(actor=auditor, region=region("520000"), **FIELDS)
    assert not Competition.objects.exists()


def test_organiser_updates_but_may_not_move_the_region():
    competition = CompetitionFactory(status=CompetitionStatus.DRAFT)
    organiser = staff_user(Role.BUREAU, region_code="520100")  # 贵阳市, named
    competition.organisers.add(organiser)
    services.competition_update(actor=organiser, competition=competition, venue="贵阳")
    competition.refresh_from_db()
    assert competition.venue == "贵阳"
    with pytest.raises(PermissionDenied):
        services.competition_update(
            actor=organiser, competition=competition, region=region("520300")
        )
    stranger = staff_user(Role.BUREAU, region_code="520300")
    with pytest.raises(PermissionDenied):
        services.competition_update(actor=stranger, competition=competition, venue="x")


def test_open_registration_needs_events_and_award_rules():
    competition = CompetitionFactory(status=CompetitionStatus.DRAFT)
    bureau = province()
    with pytest.raises(ValidationError) as error:
        services.competition_open_registration(actor=bureau, competition=competition)
    assert "还没有设置赛项。" in error.value.messages
    assert "还没有设置奖项规则。" in error.value.messages
    EventFactory(competition=competition)
    with pytest.raises(ValidationError) as error:
        services.competition_open_registration(actor=bureau, competition=competition)
    assert error.value.messages == ["还没有设置奖项规则。"]
    employee_award_rules(competition)
    services.competition_open_registration(actor=bureau, competition=competition)
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.REGISTRATION
    event = AuditEvent.objects.get(action="competition.open_registration")
    assert event.before == {"status": "draft"}
    # not twice
    with pytest.raises(ValidationError):
        services.competition_open_registration(actor=bureau, competition=competition)


def test_start_scoring_needs_an_entry_and_the_right_people():
    competition = CompetitionFactory()
    event = EventFactory(competition=competition)
    bureau = province()
    with pytest.raises(ValidationError) as error:
        services.competition_start_scoring(actor=bureau, competition=competition)
    assert error.value.messages == ["还没有选手报名。"]
    competitor(event, delegation_region=region("520100"))
    auditor = staff_user(Role.AUDITOR, region_code="520000")
    with pytest.raises(PermissionDenied):
        services.competition_start_scoring(actor=auditor, competition=competition)
    services.competition_start_scoring(actor=bureau, competition=competition)
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.SCORING


def test_register_numbers_entries_in_order_and_audits():
    event = EventFactory()
    bureau = province()
    first = services.entry_register(
        actor=bureau,
        event=event,
        trainees=[TraineeFactory()],
        delegation_region=region("520100"),
    )
    second = services.entry_register(
        actor=bureau,
        event=event,
        trainees=[TraineeFactory()],
        delegation_region=region("520300"),
    )
    assert (first.number, second.number) == ("001", "002")
    assert AuditEvent.objects.filter(action="competition.entry_register").count() == 2


def test_one_person_once_per_event_names_the_masked_person():
    event = EventFactory()
    person = TraineeFactory(name="张三丰")
    bureau = province()
    services.entry_register(
        actor=bureau, event=event, trainees=[person], delegation_region=region("520100")
    )
    with pytest.raises(ValidationError) as error:
        services.entry_register(
            actor=bureau,
            event=event,
            trainees=[person],
            delegation_region=region("520100"),
        )
    message = error.value.message_dict["id_numbers"][0]
    assert "张**" in message
    assert "张三丰" not in message
    assert "只能报名一次" in message
    assert Registration.objects.filter(trainee=person).count() == 1


def test_team_size_and_individual_size_are_enforced():
    bureau = province()
    team = EventFactory(is_team=True, team_size=3)
    with pytest.raises(ValidationError) as error:
        services.entry_register(
            actor=bureau,
            event=team,
            trainees=TraineeFactory.create_batch(2),
            delegation_region=region("520100"),
            team_name="贵阳队",
        )
    assert "每队 3 人" in error.value.message_dict["id_numbers"][0]
    entry = services.entry_register(
        actor=bureau,
        event=team,
        trainees=TraineeFactory.create_batch(3),
        delegation_region=region("520100"),
        team_name="贵阳队",
    )
    assert entry.registrations.count() == 3
    single = EventFactory(competition=team.competition)
    with pytest.raises(ValidationError):
        services.entry_register(
            actor=bureau,
            event=single,
            trainees=TraineeFactory.create_batch(2),
            delegation_region=region("520100"),
        )


def test_no_registration_outside_the_registration_status():
    bureau = province()
    for status in (CompetitionStatus.DRAFT, CompetitionStatus.SCORING):
        event = EventFactory(competition=CompetitionFactory(status=status))
        with pytest.raises(ValidationError) as error:
            services.entry_register(
                actor=bureau,
                event=event,
                trainees=[TraineeFactory()],
                delegation_region=region("520100"),
            )
        assert "只有报名中的竞赛可以报名" in error.value.messages[0]
    assert not Entry.objects.exists()


def test_register_needs_a_delegation_and_a_manager():
    event = EventFactory()
    with pytest.raises(ValidationError):
        services.entry_register(
            actor=province(), event=event, trainees=[TraineeFactory()]
        )
    other = staff_user(Role.BUREAU, region_code="520300")
    with pytest.raises(PermissionDenied):
        services.entry_register(
            actor=other,
            event=event,
            trainees=[TraineeFactory()],
            delegation_region=region("520300"),
        )


def test_find_trainees_by_id_number_masks_unknown_numbers():
    person = TraineeFactory()
    assert services.find_trainees([person.id_number]) == [person]
    with pytest.raises(ValidationError) as error:
        services.find_trainees(["110101199003077777"])
    message = error.value.message_dict["id_numbers"][0]
    assert "110101199003077777" not in message


def test_withdraw_frees_the_person_while_registration_is_open():
    event = EventFactory()
    bureau = province()
    person = TraineeFactory()
    entry = services.entry_register(
        actor=bureau, event=event, trainees=[person], delegation_region=region("520100")
    )
    services.entry_withdraw(actor=bureau, entry=entry)
    assert not Entry.objects.filter(pk=entry.pk).exists()
    services.entry_register(
        actor=bureau, event=event, trainees=[person], delegation_region=region("520100")
    )


def test_withdraw_during_scoring_keeps_the_entry_marked():
    event = EventFactory()
    entry = competitor(event, delegation_region=region("520100"))
    Competition.objects.filter(pk=event.competition_id).update(
        status=CompetitionStatus.SCORING
    )
    services.entry_withdraw(actor=province(), entry=entry)
    entry.refresh_from_db()
    assert entry.withdrawn
    assert entry.registrations.count() == 1
    with pytest.raises(ValidationError):
        services.entry_withdraw(actor=province(), entry=entry)
