"""Institutions' API tokens: the services of bases.tokens (issue 13)."""

import datetime as dt

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
