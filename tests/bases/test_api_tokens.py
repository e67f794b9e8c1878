"""Institutions' API tokens: the services of bases.tokens (issue 13)."""

import datetime as dt
from unittest.mock import patch

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone

from bases.models import ApiToken, StaffMembership
from bases.tokens import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    latest_expiry,
    token_digest,
)
from tests.factories import (
    ApiTokenFactory,
    InstitutionFactory,
    UserFactory,
    api_token_for,
    region,
    staff_user,
)
from training_platform.access import forget_scope
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def in_days(n):
    return timezone.now() + dt.timedelta(days=n)


def test_create_returns_the_plain_token_once_and_stores_only_its_hmac():
    institution = InstitutionFactory()
    user = staff_user("institution", institution=institution)
    token, plain = api_token_create(
        institution=institution, name="教务系统", expires_at=in_days(30), actor=user
    )
    assert plain.startswith("qjt_") and len(plain) == 44
    token.refresh_from_db()
    assert token.prefix == plain[:8]
    assert token.key_hash == token_digest(plain) != plain
    assert plain not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    event = AuditEvent.objects.get(action="api.token.create")
    assert event.actor == user and event.object_id == str(token.pk)
    assert event.after["prefix"] == plain[:8]
    assert plain not in str(event.after)


def test_only_the_institutions_staff_may_create():
    institution = InstitutionFactory()
    other = InstitutionFactory()
    outsiders = [
        staff_user("institution", institution=other),
        staff_user("bureau", region_code="520000"),
        UserFactory(is_superuser=True, is_staff=True),
        UserFactory(),
    ]
    for actor in outsiders:
        with pytest.raises(PermissionDenied):
            api_token_create(
                institution=institution, name="x", expires_at=in_days(5), actor=actor
            )
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api.token.create").exists()


@pytest.mark.parametrize(
    ("name", "expires", "field"),
    [
        ("", 30, "name"),
        ("   ", 30, "name"),
        ("x" * 61, 30, "name"),
        ("教务系统", None, "expires_at"),
        ("教务系统", -1, "expires_at"),
        ("教务系统", 367, "expires_at"),
    ],
)
def test_name_and_expiry_are_checked(name, expires, field):
    institution = InstitutionFactory()
    user = staff_user("institution", institution=institution)
    with pytest.raises(ValidationError) as caught:
        api_token_create(
            institution=institution,
            name=name,
            expires_at=None if expires is None else in_days(expires),
            actor=user,
        )
    assert field in caught.value.message_dict
    assert not ApiToken.objects.exists()


def test_expiry_may_be_the_end_of_the_day_one_year_ahead_not_later():
    institution = InstitutionFactory()
    user = staff_user("institution", institution=institution)
    latest = latest_expiry()
    assert latest - timezone.now() > dt.timedelta(days=365)
    assert latest - timezone.now() <= dt.timedelta(days=366)
    api_token_create(institution=institution, name="a", expires_at=latest, actor=user)
    with pytest.raises(ValidationError):
        api_token_create(
            institution=institution,
            name="b",
            expires_at=latest + dt.timedelta(seconds=1),
            actor=user,
        )


def test_name_is_unique_among_the_institutions_live_tokens():
    institution = InstitutionFactory()
    user = staff_user("institution", institution=institution)
    token, _ = api_token_for(institution, user, name="教务系统")
    with pytest.raises(ValidationError) as caught:
        api_token_for(institution, user, name=" 教务系统 ")
    assert "教务系统" in caught.value.message_dict["name"][0]
    # another institution may use the name
    api_token_for(InstitutionFactory(), name="教务系统")
    # an expired or revoked token frees it
    ApiTokenFactory(
        institution=institution,
        name="旧系统",
        created_by=user,
        expires_at=in_days(-1),
    )
    api_token_for(institution, user, name="旧系统")
    api_token_revoke(token=token, actor=user)
    api_token_for(institution, user, name="教务系统")
    assert ApiToken.objects.filter(institution=institution).count() == 4


def test_revoke_by_institution_staff_or_the_bureau_over_its_region():
    institution = InstitutionFactory(region=region("520102"))
    staff = staff_user("institution", institution=institution)
    refused = [
        staff_user("institution", institution=InstitutionFactory()),
        staff_user("bureau", region_code="520300"),  # 遵义: another prefecture
        staff_user("auditor", region_code="520000"),
        UserFactory(),
    ]
    allowed = [
        staff,
        staff_user("institution", institution=institution),  # a colleague
        staff_user("bureau", region_code="520100"),  # 贵阳
        staff_user("bureau", region_code="520000"),  # the province
    ]
    for actor in refused:
        token, _ = api_token_for(institution, staff)
        with pytest.raises(PermissionDenied):
            api_token_revoke(token=token, actor=actor)
        token.refresh_from_db()
        assert token.revoked_at is None
    for actor in allowed:
        token, plain = api_token_for(institution, staff)
        api_token_revoke(token=token, actor=actor)
        token.refresh_from_db()
        assert token.revoked_at is not None and token.revoked_by == actor
        assert api_token_authenticate(plain) is None
        event = AuditEvent.objects.filter(action="api.token.revoke").latest("id")
        assert event.actor == actor and event.object_id == str(token.pk)
    with pytest.raises(ValidationError):
        api_token_revoke(token=token, actor=staff)


def test_authenticate_a_live_token_audits_every_use():
    institution = InstitutionFactory()
    token, plain = api_token_for(institution)
    request = RequestFactory().get("/api/v1/institution/classes?page=2")
    assert api_token_authenticate(plain, request=request) == token
    assert api_token_authenticate(plain, request=request) == token
    uses = AuditEvent.objects.filter(action="api.token.use", object_id=str(token.pk))
    assert uses.count() == 2
    event = uses.first()
    assert event.actor == token.created_by
    assert event.after == {
        "prefix": plain[:8],
        "method": "GET",
        "path": "/api/v1/institution/classes",
    }
    assert plain not in str(event.after)


@pytest.mark.parametrize(
    "plain", ["", "qjt_", "Bearer x", None, "qjt_" + "A" * 40, "xyz_" + "A" * 40]
)
def test_unknown_or_malformed_tokens_authenticate_nothing(plain):
    api_token_for(InstitutionFactory())
    assert api_token_authenticate(plain) is None
    assert not AuditEvent.objects.filter(action="api.token.use").exists()


def test_expired_and_revoked_tokens_authenticate_nothing():
    expired_plain = "qjt_" + "e" * 40
    ApiTokenFactory(plain=expired_plain, expires_at=in_days(-1) + dt.timedelta(hours=1))
    ApiTokenFactory(plain=expired_plain.replace("e", "f"), expires_at=timezone.now())
    revoked_plain = "qjt_" + "r" * 40
    ApiTokenFactory(plain=revoked_plain, revoked_at=timezone.now())
    live_plain = "qjt_" + "l" * 40
    ApiTokenFactory(plain=live_plain)
    assert api_token_authenticate(live_plain) is not None
    for plain in [expired_plain, expired_plain.replace("e", "f"), revoked_plain]:
        assert api_token_authenticate(plain) is None


def test_a_token_whose_maker_left_the_institution_authenticates_nothing():
    institution = InstitutionFactory()
    token, plain = api_token_for(institution)
    assert api_token_authenticate(plain) == token
    StaffMembership.objects.filter(user=token.created_by).update(is_active=False)
    forget_scope(token.created_by)
    assert api_token_authenticate(plain) is None
    # staff of another institution only is not enough either
    StaffMembership.objects.filter(user=token.created_by).delete()
    StaffMembership.objects.create(
        user=token.created_by, role="institution", institution=InstitutionFactory()
    )
    assert api_token_authenticate(plain) is None
    # back on the staff: it works again; a deactivated account does not
    StaffMembership.objects.create(
        user=token.created_by, role="institution", institution=institution
    )
    assert api_token_authenticate(plain) == token
    type(token.created_by).objects.filter(pk=token.created_by_id).update(
        is_active=False
    )
    assert api_token_authenticate(plain) is None


def test_last_used_is_written_at_most_once_a_minute(django_assert_num_queries):
    token, plain = api_token_for(InstitutionFactory())
    start = timezone.now()

    def use_at(seconds):
        with patch(
            "django.utils.timezone.now",
            return_value=start + dt.timedelta(seconds=seconds),
        ):
            assert api_token_authenticate(plain) is not None
        token.refresh_from_db()
        return token.last_used_at

    assert token.last_used_at is None
    assert use_at(0) == start
    # within the minute: one SELECT and the audit INSERT, no UPDATE
    with (
        django_assert_num_queries(2),
        patch(
            "django.utils.timezone.now",
            return_value=start + dt.timedelta(seconds=30),
        ),
    ):
        api_token_authenticate(plain)
    assert use_at(59) == start
    assert use_at(60) == start + dt.timedelta(seconds=60)
    assert use_at(61) == start + dt.timedelta(seconds=60)
    assert use_at(125) == start + dt.timedelta(seconds=125)
    assert AuditEvent.objects.filter(action="api.token.use").count() == 6


def test_the_apis_bearer_auth_gets_the_principal_of_a_live_token():
    from bases.tokens import principal_for
    from training_platform.api import ApiPrincipal, TokenAuth
    from training_platform.extensions import api_token_authenticators

    assert principal_for in api_token_authenticators.items()
    institution = InstitutionFactory()
    token, plain = api_token_for(institution, name="教务系统")
    auth = TokenAuth()
    request = RequestFactory().post(
        "/api/v1/institution/classes", HTTP_AUTHORIZATION=f"Bearer {plain}"
    )
    assert auth(request) == ApiPrincipal(
        token_id=token.pk,
        institution_id=institution.pk,
        user=token.created_by,
        name="教务系统",
    )
    use = AuditEvent.objects.get(action="api.token.use")
    assert use.after["method"] == "POST" and use.after["path"].endswith("/classes")
    api_token_revoke(token=token, actor=token.created_by)
    assert auth(request) is None
    other = "x" if plain[-1] != "x" else "y"
    wrong = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {plain[:-1]}{other}")
    assert auth(wrong) is None


def test_deleting_the_makers_account_keeps_the_token_dead():
    token, plain = api_token_for(InstitutionFactory())
    token.created_by.delete()
    token.refresh_from_db()
    assert token.created_by is None
    assert api_token_authenticate(plain) is None
