"""The shared helpers: a refusal as user text (errors.error_text) and an audited status
change (audit.services.status_change)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from courses.models import EnrolmentStatus
from tests.factories import EnrolmentFactory, UserFactory
from training_platform.audit.models import AuditEvent
from training_platform.audit.services import status_change
from training_platform.errors import NO_PERMISSION, error_text


def test_error_text_joins_messages_and_falls_back_for_a_bare_refusal():
    exc = ValidationError(["一", "二"])
    assert error_text(exc) == "一；二"
    assert error_text(exc, sep=" ") == "一 二"
    assert error_text(PermissionDenied("不可以。")) == "不可以。"
    assert error_text(PermissionDenied()) == NO_PERMISSION
    assert error_text(PermissionDenied(), default="没有权限。") == "没有权限。"


@pytest.mark.django_db
def test_status_change_saves_only_what_changed_and_audits_the_move():
    enrolment = EnrolmentFactory()
    actor = UserFactory()
    status_change(
        obj=enrolment,
        to=EnrolmentStatus.WITHDRAWN,
        actor=actor,
        action="enrolment.withdraw",
        after={"note": "x"},
        reason="why",
    )
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.WITHDRAWN
    event = AuditEvent.objects.get(action="enrolment.withdraw")
    assert event.object_id == str(enrolment.pk)
    assert event.before == {"status": "enrolled"}
    assert event.after == {"status": "withdrawn", "note": "x"}
    assert event.reason == "why"
    assert event.actor == actor
