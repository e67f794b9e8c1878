"""The bureau's review: each step, who may take it and who may not, the override, the
recheck at approval, and bulk approval by two people (maker-checker)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from subsidies import review
from subsidies.models import ApprovalList, ApprovalListStatus, Claim, ClaimStatus
from tests.factories import InstitutionFactory, staff_user
from tests.subsidies.review_support import (
    revoke,
    waiting_claim,
)
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db
S = ClaimStatus


@pytest.fixture
def bureau():
    return staff_user(Role.BUREAU, region_code="520100")


def _refused(fn, **kw):
    with pytest.raises(PermissionDenied):
        fn(**kw)


def test_the_bureau_of_the_region_takes_up_a_claim_and_others_may_not(bureau):
    claim = waiting_claim(S.SUBMITTED)
    for stranger in (
        staff_user(Role.BUREAU, region_code="520300"),
        staff_user(Role.AUDITOR, region_code="520000"),
        staff_user(Role.INSTITUTION, institution=InstitutionFactory()),
    ):
        _refused(review.claim_take_up, claim=claim, actor=stranger)
    review.claim_take_up(claim=claim, actor=bureau)
    claim.refresh_from_db()
    assert claim.status == S.UNDER_REVIEW
    assert AuditEvent.objects.get(action="subsidies.claim.under_review").actor == bureau


def test_a_clean_claim_is_approved_and_the_decision_recorded(bureau):
    claim = waiting_claim()
    review.claim_approve(claim=claim, actor=bureau)
    claim.refresh_from_db()
    assert claim.status == S.APPROVED
    assert claim.decided_by == bureau and claim.decided_at is not None
    assert claim.override_reason == ""
    event = AuditEvent.objects.get(action="subsidies.claim.approved")
    assert event.after["checks_failed"] == 0


def test_approval_refused_to_another_region_the_auditor_and_an_institution(bureau):
    mine = InstitutionFactory()
    claim = waiting_claim(institution=mine)
    for stranger in (
        staff_user(Role.BUREAU, region_code="520300"),
        staff_user(Role.AUDITOR, region_code="520100"),
        staff_user(Role.INSTITUTION, institution=mine),
    ):
        _refused(review.claim_approve, claim=claim, actor=stranger)
        _refused(review.claim_reject, claim=claim, actor=stranger, reason="不符")
        _refused(review.claim_return, claim=claim, actor=stranger, reason="补材料")
    claim.refresh_from_db()
    assert claim.status == S.UNDER_REVIEW
    assert not AuditEvent.objects.filter(action__startswith="subsidies.claim.").exists()


def test_a_failed_check_needs_a_written_override_kept_on_the_claim_and_audited(bureau):
    claim = waiting_claim(payee_account="")
    assert claim.checks_failed == 1
    with pytest.raises(ValidationError) as refused:
        review.claim_approve(claim=claim, actor=bureau, override_reason="  ")
    assert "特批理由" in str(refused.value)
    claim.refresh_from_db()
    assert claim.status == S.UNDER_REVIEW
    review.claim_approve(
        claim=claim, actor=bureau, override_reason="社保卡已核实，系统未同步"
    )
    claim.refresh_from_db()
    assert claim.status == S.APPROVED
    assert claim.override_reason == "社保卡已核实，系统未同步"
    event = AuditEvent.objects.get(action="subsidies.claim.approved")
    assert event.reason == "社保卡已核实，系统未同步"
    assert event.after["override_reason"] == "社保卡已核实，系统未同步"
    assert event.after["failed_checks"] == ["payee_account"]


def test_the_recheck_at_approval_catches_a_certificate_revoked_after_filing(bureau):
    claim = waiting_claim()
    assert claim.checks_failed == 0
    revoke(claim.certificate)
    with pytest.raises(ValidationError):
        review.claim_approve(claim=claim, actor=bureau)
    claim.refresh_from_db()
    assert claim.status == S.UNDER_REVIEW
    # The fresh result is kept for the reviewer to read.
    assert claim.checks_failed >= 1
    assert claim.checks.get(code="certificate_valid").passed is False


def test_reject_and_return_need_a_reason(bureau):
    rejected, returned = waiting_claim(), waiting_claim()
    with pytest.raises(ValidationError):
        review.claim_reject(claim=rejected, actor=bureau, reason=" ")
    with pytest.raises(ValidationError):
        review.claim_return(claim=returned, actor=bureau, reason="")
    review.claim_reject(claim=rejected, actor=bureau, reason="证书系伪造")
    review.claim_return(claim=returned, actor=bureau, reason="请补充银行卡")
    rejected.refresh_from_db()
    returned.refresh_from_db()
    assert (rejected.status, rejected.decision_reason) == (S.REJECTED, "证书系伪造")
    assert (returned.status, returned.decision_reason) == (S.RETURNED, "请补充银行卡")
    assert AuditEvent.objects.get(action="subsidies.claim.returned").reason == (
        "请补充银行卡"
    )


def test_the_filing_institution_resubmits_a_returned_claim_and_another_may_not():
    mine = InstitutionFactory()
    claim = waiting_claim(S.RETURNED, institution=mine)
    other = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    _refused(review.claim_resubmit, claim=claim, actor=other)
    staff = staff_user(Role.INSTITUTION, institution=mine)
    review.claim_resubmit(claim=claim, actor=staff)
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


def test_a_step_not_in_the_table_is_refused(bureau):
    claim = waiting_claim(S.SUBMITTED)
    with pytest.raises(ValidationError):
        review.claim_approve(claim=claim, actor=bureau)


# --- bulk approval -------------------------------------------------------------------


def test_bulk_approval_is_confirmed_by_another_person_of_the_region(bureau):
    clean = [waiting_claim() for _ in range(3)]
    approval_list = review.approval_list_prepare(claims=clean, actor=bureau)
    assert approval_list.status == ApprovalListStatus.PREPARED
    # One of them loses its certificate before the list is confirmed.
    revoke(clean[0].certificate)
    with pytest.raises(PermissionDenied):
        review.approval_list_confirm(approval_list=approval_list, actor=bureau)
    with pytest.raises(PermissionDenied):
        review.approval_list_confirm(
            approval_list=approval_list,
            actor=staff_user(Role.BUREAU, region_code="520300"),
        )
    with pytest.raises(PermissionDenied):
        review.approval_list_confirm(
            approval_list=approval_list,
            actor=staff_user(Role.AUDITOR, region_code="520100"),
        )
    checker = staff_user(Role.BUREAU, region_code="520000")
    outcome = review.approval_list_confirm(approval_list=approval_list, actor=checker)
    assert sorted(c.pk for c in outcome.approved) == sorted(c.pk for c in clean[1:])
    assert [c.pk for c, _ in outcome.left] == [clean[0].pk]
    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert statuses[clean[0].pk] == S.UNDER_REVIEW
    assert {statuses[c.pk] for c in clean[1:]} == {S.APPROVED}
    assert AuditEvent.objects.filter(action="subsidies.claim.approved").count() == 2
    approval_list.refresh_from_db()
    assert approval_list.confirmed_by == checker
    with pytest.raises(ValidationError):
        review.approval_list_confirm(
            approval_list=approval_list,
            actor=staff_user(Role.BUREAU, region_code="520100"),
        )


def test_bulk_approval_takes_only_claims_with_no_failed_check(bureau):
    failing = waiting_claim(payee_account="")
    with pytest.raises(ValidationError):
        review.approval_list_prepare(claims=[waiting_claim(), failing], actor=bureau)
    assert not ApprovalList.objects.exists()
    with pytest.raises(PermissionDenied):
        review.approval_list_prepare(
            claims=[waiting_claim()],
            actor=staff_user(Role.BUREAU, region_code="520300"),
        )


def test_the_database_refuses_a_list_confirmed_by_its_maker(bureau):
    approval_list = review.approval_list_prepare(claims=[waiting_claim()], actor=bureau)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalList.objects.filter(pk=approval_list.pk).update(confirmed_by=bureau)


def test_overdue_counts_working_days_only():
    import datetime as dt

    # Ten working days before Friday 2026-10-16 skip the weekends and the National Day
    # holiday (1-7 October, seeded), and count Saturday 10 October (a make-up day).
    cutoff = review.overdue_cutoff(dt.date(2026, 10, 16))
    assert cutoff.date() == dt.date(2026, 9, 28)
