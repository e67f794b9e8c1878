"""The claim's schema guards: the entitlement and use-slot constraints, the frozen paid
claim, and the one transition table with who may take each step."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from subsidies import workflow
from subsidies.models import Claim, ClaimStatus
from tests.factories import ClaimFactory, InstitutionFactory, region, staff_user
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def test_a_second_live_claim_on_the_same_entitlement_is_refused_by_the_database():
    claim = ClaimFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(certificate=claim.certificate, standard=claim.standard, use_slot=2)


def test_a_rejected_claim_frees_its_entitlement():
    claim = ClaimFactory(status=ClaimStatus.REJECTED)
    again = ClaimFactory(certificate=claim.certificate, standard=claim.standard)
    assert again.use_slot == 1


def test_a_live_claim_beyond_the_highest_use_slot_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(use_slot=6)


def test_a_paid_claim_cannot_change_even_by_a_direct_update():
    claim = ClaimFactory(
        status=ClaimStatus.PAID, paid_on=dt.date(2026, 3, 1), bank_reference="B1"
    )
    for change in ({"amount": 1}, {"status": ClaimStatus.APPROVED}):
        with pytest.raises(Exception) as caught, transaction.atomic():
            Claim.objects.filter(pk=claim.pk).update(**change)
        assert "cannot change" in str(caught.value)
    with (
        pytest.raises(Exception),  # noqa: B017
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM subsidies_claim WHERE id = %s", [claim.pk])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.amount == 1500
    # What is not money or state may still be touched (the row's updated_at).
    Claim.objects.filter(pk=claim.pk).update(decision_reason="已核")


def test_only_the_reviewing_bureau_takes_up_a_claim_and_the_step_is_audited():
    claim = ClaimFactory(region=region("520102"))
    other = staff_user(Role.BUREAU, region_code="520300")
    with pytest.raises(PermissionDenied):
        workflow.claim_move(claim=claim, to=ClaimStatus.UNDER_REVIEW, actor=other)
    bureau = staff_user(Role.BUREAU, region_code="520100")
    workflow.claim_move(claim=claim, to=ClaimStatus.UNDER_REVIEW, actor=bureau)
    event = AuditEvent.objects.get(action="subsidies.claim.under_review")
    assert event.actor == bureau
    assert event.before == {"status": "submitted"}
    assert event.after == {"status": "under_review"}


def test_rejection_needs_a_reason_and_a_step_not_in_the_table_is_refused():
    claim = ClaimFactory(status=ClaimStatus.UNDER_REVIEW, region=region("520102"))
    bureau = staff_user(Role.BUREAU, region_code="520000")
    with pytest.raises(ValidationError):
        workflow.claim_move(claim=claim, to=ClaimStatus.REJECTED, actor=bureau)
    with pytest.raises(ValidationError):
        workflow.claim_move(claim=claim, to=ClaimStatus.PAID, actor=bureau)


def test_the_filing_institution_submits_and_another_institution_may_not():
    mine = InstitutionFactory()
    claim = ClaimFactory(status=ClaimStatus.DRAFT, institution=mine)
    stranger = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    assert not workflow.may_take(stranger, claim, ClaimStatus.SUBMITTED)
    staff = staff_user(Role.INSTITUTION, institution=mine)
    moved = workflow.claims_move(claims=[claim], to=ClaimStatus.SUBMITTED, actor=staff)
    assert moved[0].status == ClaimStatus.SUBMITTED
    assert AuditEvent.objects.get(action="subsidies.claim.submitted").before == {
        "status": "draft"
    }
