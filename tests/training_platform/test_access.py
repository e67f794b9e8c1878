"""The access registry: scopes, rule combination, and per-role visibility."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db.models import Q
from django.http import Http404

from bases.models import TrainingInstitution
from tests.factories import (
    InstitutionFactory,
    TraineeFactory,
    UserFactory,
    region,
    staff_user,
)
from trainees.models import Trainee
from training_platform import access
from training_platform.access import EVERYTHING, NOTHING, Scope, any_of
from training_platform.roles import ROLE_PERMISSIONS, Role, group_name

pytestmark = pytest.mark.django_db


def test_any_of_combines_rules():
    assert any_of([]) == NOTHING
    assert any_of([NOTHING, NOTHING]) == NOTHING
    assert any_of([NOTHING, Q(a=1)]) == Q(a=1)
    assert any_of([Q(a=1), EVERYTHING]) == EVERYTHING
    assert any_of([Q(a=1), Q(b=2)]) == Q(a=1) | Q(b=2)


def test_region_prefixes_keep_the_outermost_per_role():
    scope = Scope(
        user_id=1,
        roles=frozenset({Role.BUREAU, Role.AUDITOR}),
        role_regions=(
            (Role.BUREAU, "5201"),
            (Role.BUREAU, "520102"),
            (Role.AUDITOR, "52"),
        ),
    )
    assert scope.region_prefixes(Role.BUREAU) == ("5201",)
    assert scope.region_prefixes() == ("52",)
    assert scope.region_q("region__code", role=Role.BUREAU) == Q(
        region__code__startswith="5201"
    )


def test_scope_of_a_user_with_two_roles_keeps_each_role_apart():
    gy = InstitutionFactory(region=region("520102"))
    zy = InstitutionFactory(region=region("520302"))
    user = staff_user(Role.INSTITUTION, institution=gy)
    from bases.services import membership_grant

    membership_grant(user=user, role=Role.EVALUATOR, institution=zy)
    scope = access.scope_for(user)
    assert scope.roles == {Role.INSTITUTION, Role.EVALUATOR}
    assert scope.institution_ids() == sorted([gy.pk, zy.pk])
    assert scope.institution_ids(Role.INSTITUTION) == [gy.pk]
    # Sees both organisations; may change only the one where they are institution staff.
    assert set(access.visible(user, TrainingInstitution)) == {gy, zy}
    assert list(access.changeable(user, TrainingInstitution)) == [gy]


def test_scope_is_computed_once_per_user_object(django_assert_num_queries):
    user = staff_user(Role.BUREAU, region_code="520100")
    access.forget_scope(user)
    with django_assert_num_queries(2):  # memberships, trainee link
        access.scope_for(user)
    with django_assert_num_queries(0):
        access.scope_for(user)


def test_anonymous_and_roleless_users_see_nothing():
    InstitutionFactory()
    TraineeFactory()
    for user in (AnonymousUser(), UserFactory()):
        assert not access.visible(user, TrainingInstitution).exists()
        assert not access.visible(user, Trainee).exists()


def test_superuser_sees_and_changes_everything():
    InstitutionFactory(region=region("520102"))
    InstitutionFactory(region=region("522601"))
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert access.visible(admin, TrainingInstitution).count() == 2
    assert access.changeable(admin, TrainingInstitution).count() == 2


def test_trainee_sees_only_their_own_record():
    user = UserFactory()
    mine = TraineeFactory(user=user)
    TraineeFactory()
    assert list(access.visible(user, Trainee)) == [mine]
    assert not access.changeable(user, Trainee).exists()
    assert Role.TRAINEE in access.scope_for(user).roles


def test_county_bureau_sees_only_its_county():
    nanming = TraineeFactory(household_region=region("520102"))
    yunyan = TraineeFactory(household_region=region("520103"))
    # Someone registered elsewhere but living in 南明区 is in scope through residence.
    moved_in = TraineeFactory(
        household_region=region("522601"), residence_region=region("520102")
    )
    user = staff_user(Role.BUREAU, region_code="520102")
    assert set(access.visible(user, Trainee)) == {nanming, moved_in}
    assert yunyan not in access.visible(user, Trainee)


def test_get_visible_or_404_hides_rows_outside_scope():
    zy = InstitutionFactory(region=region("520302"))
    user = staff_user(Role.BUREAU, region_code="520100")
    with pytest.raises(Http404):
        access.get_visible_or_404(user, TrainingInstitution, pk=zy.pk)
    with pytest.raises(Http404):
        access.get_visible_or_404(user, TrainingInstitution, pk=999999)


def test_inactive_membership_grants_nothing():
    gy = InstitutionFactory(region=region("520102"))
    user = staff_user(Role.INSTITUTION, institution=gy)
    user.memberships.update(is_active=False)
    access.forget_scope(user)
    assert not access.visible(user, TrainingInstitution).exists()


def test_role_groups_carry_exactly_the_listed_permissions():
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=group_name(role))
        have = set(group.permissions.values_list("content_type__app_label", "codename"))
        assert have == set(perms), role


def test_membership_needs_the_scope_its_role_requires():
    from django.db import IntegrityError, transaction

    from bases.models import StaffMembership

    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffMembership.objects.create(user=user, role=Role.INSTITUTION)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffMembership.objects.create(
            user=user, role=Role.BUREAU, institution=InstitutionFactory()
        )
