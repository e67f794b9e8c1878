"""Set-based trainee writes (importers): the same records as one by one."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from tests.factories import KeyGroupMembershipFactory, TraineeFactory, make_id_number
from trainees.models import KeyGroupMembership, Trainee
from trainees.services import (
    NewTrainee,
    key_group_memberships_add_many,
    trainee_create,
    trainee_create_many,
)
from training_platform.reference.models import KeyGroup, Region
from training_platform.validators import parse_id_number

pytestmark = pytest.mark.django_db


def _columns(trainee: Trainee) -> dict:
    data = model_to_dict(trainee, exclude=["id", "key_groups"])
    return {**data, "id_number_hash": trainee.id_number_hash}


def test_many_writes_what_one_by_one_writes():
    home, work = Region.objects.get(code="520102"), Region.objects.get(code="520103")
    one, two = (make_id_number("520102", dt.date(1990, 5, 6), seq=s) for s in (1, 2))
    veteran = KeyGroup.objects.get(pk="veteran")
    ids = trainee_create_many(
        people=[
            NewTrainee(
                name="李四",
                id_number=parse_id_number(number),
                phone="13900000001",
                household_region=home,
                residence_region=work,
                education="senior",
                key_groups=(veteran,),
            )
            for number in (one, two)
        ],
        since=dt.date(2026, 1, 5),
    )
    first = Trainee.objects.get(pk=ids[0])
    assert first.id_number == one and Trainee.objects.get(pk=ids[1]).id_number == two
    Trainee.objects.filter(pk=first.pk).delete()
    single = trainee_create(
        name="李四",
        id_number=one,
        phone="13900000001",
        household_region=home,
        residence_region=work,
        education="senior",
    )
    assert _columns(first) == _columns(single)
    membership = KeyGroupMembership.objects.get(trainee_id=ids[1])
    assert (membership.group, membership.since, membership.until) == (
        veteran,
        dt.date(2026, 1, 5),
        None,
    )


def test_a_person_on_file_is_refused_whole():
    on_file = TraineeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        trainee_create_many(
            people=[
                NewTrainee(name="新人", id_number=parse_id_number(on_file.id_number))
            ]
        )
    assert Trainee.objects.count() == 1


def test_held_key_groups_stay_as_they_are():
    today = dt.date(2026, 3, 1)
    held = KeyGroupMembershipFactory(group_id="veteran", since=dt.date(2020, 1, 1))
    ended = KeyGroupMembershipFactory(
        group_id="veteran", since=dt.date(2020, 1, 1), until=dt.date(2025, 1, 1)
    )
    key_group_memberships_add_many(
        memberships=[
            (held.trainee_id, "veteran"),
            (held.trainee_id, "poverty_alleviated"),
            (ended.trainee_id, "veteran"),
            (ended.trainee_id, "veteran"),  # twice: once
        ],
        since=today,
    )
    assert set(
        KeyGroupMembership.objects.values_list("trainee", "group", "since", "until")
    ) == {
        (held.trainee_id, "veteran", dt.date(2020, 1, 1), None),
        (held.trainee_id, "poverty_alleviated", today, None),
        (ended.trainee_id, "veteran", dt.date(2020, 1, 1), dt.date(2025, 1, 1)),
        (ended.trainee_id, "veteran", today, None),
    }
