"""A correction after publication: a new version with a reason, approved by a second
bureau person; the old version is kept; outcomes that changed are revoked or reissued."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from certificates.models import CertificateStatus
from competitions import results
from competitions.models import (
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    Result,
    VersionStatus,
)
from tests.competitions.publishing import bureau, person, scored_competition, set_marks
from tests.factories import UserFactory
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

REASON = "复核发现 001 号选手实操成绩录入错误，应为 60 分。"


@pytest.fixture
def published():
    scored = scored_competition(people=12, teams=2)
    proposer, approver = bureau(), bureau()
    version = results.results_publish(actor=proposer, competition=scored.competition)
    return scored, proposer, approver, version


def _swap_first_two(scored):
    """The first place falls to second place, the second rises to first."""
    set_marks(scored.entries[0], 85, 84)
    set_marks(scored.entries[1], 90, 90)


def test_a_correction_needs_a_reason_and_a_change(published):
    scored, proposer, _, _ = published
    with pytest.raises(ValidationError) as error:
        results.correction_propose(
            actor=proposer, competition=scored.competition, reason="  "
        )
    assert error.value.code == "reason_required"
    with pytest.raises(ValidationError) as error:
        results.correction_propose(
            actor=proposer, competition=scored.competition, reason=REASON
        )
    assert error.value.code == "nothing_changed"
    _swap_first_two(scored)
    version = results.correction_propose(
        actor=proposer, competition=scored.competition, reason=REASON
    )
    assert (version.number, version.status) == (2, VersionStatus.PROPOSED)
    assert version.reason == REASON
    assert Result.objects.filter(version=version).count() == 14
    # nothing published changes while it waits
    assert results.published_version(scored.competition).number == 1
    with pytest.raises(ValidationError) as error:
        results.correction_propose(
            actor=proposer, competition=scored.competition, reason=REASON
        )
    assert error.value.code == "pending_correction"


def test_the_proposer_may_not_approve_their_own_correction(published):
    scored, proposer, _, _ = published
    _swap_first_two(scored)
    version = results.correction_propose(
        actor=proposer, competition=scored.competition, reason=REASON
    )
    with pytest.raises(PermissionDenied) as error:
        results.correction_approve(actor=proposer, version=version)
    assert "提出人以外" in str(error.value)
    organiser = UserFactory()
    scored.competition.organisers.add(organiser)
    with pytest.raises(PermissionDenied):
        results.correction_approve(actor=organiser, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.PROPOSED


def test_an_organiser_proposes_and_the_bureau_approves(published):
    scored, _, approver, _ = published
    organiser = UserFactory()
    scored.competition.organisers.add(organiser)
    _swap_first_two(scored)
    version = results.correction_propose(
        actor=organiser, competition=scored.competition, reason=REASON
    )
    results.correction_approve(actor=approver, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    assert version.approved_by == approver


def test_approval_supersedes_the_old_version_and_reconciles_outcomes(published):
    scored, proposer, approver, first_version = published
    fallen, risen = person(scored.entries[0]), person(scored.entries[1])
    old_certificate = Outcome.objects.get(
        trainee=fallen, kind=OutcomeKind.CERTIFICATE
    ).certificate
    title_before = Outcome.objects.get(trainee=fallen, kind=OutcomeKind.TITLE)
    promotion_before = Outcome.objects.get(trainee=fallen, kind=OutcomeKind.PROMOTION)
    # 第 8 名 drops out of the awards: their certificate and promotion go
    eighth = person(scored.entries[7])
    set_marks(scored.entries[7], 20, 20)
    _swap_first_two(scored)
    version = results.correction_propose(
        actor=proposer, competition=scored.competition, reason=REASON
    )
    results.correction_approve(actor=approver, version=version)

    first_version.refresh_from_db()
    version.refresh_from_db()
    assert first_version.status == VersionStatus.SUPERSEDED
    assert Result.objects.filter(version=first_version).count() == 14  # kept
    assert (version.status, version.approved_by) == (VersionStatus.PUBLISHED, approver)
    assert version.published_at is not None
    assert results.published_version(scored.competition) == version

    # the fallen first place: 一等奖 certificate revoked with the reason, 二等奖 issued
    old_certificate.refresh_from_db()
    assert old_certificate.status == CertificateStatus.REVOKED
    assert old_certificate.revoked_reason == REASON
    revoked = Outcome.objects.get(certificate=old_certificate)
    assert (revoked.status, revoked.revoked_in) == (OutcomeStatus.REVOKED, version)
    assert revoked.revoked_reason == REASON
    current = Outcome.objects.get(
        trainee=fallen, kind=OutcomeKind.CERTIFICATE, status=OutcomeStatus.ACTIVE
    )
    assert current.name == "二等奖" and current.issued_in == version
    assert current.certificate.status == CertificateStatus.VALID
    assert (
        Outcome.objects.get(
            trainee=risen, kind=OutcomeKind.CERTIFICATE, status=OutcomeStatus.ACTIVE
        ).name
        == "一等奖"
    )
    # still in the top three, still promoted: the same rows, exactly once
    assert Outcome.objects.get(trainee=fallen, kind=OutcomeKind.TITLE) == title_before
    assert (
        Outcome.objects.get(trainee=fallen, kind=OutcomeKind.PROMOTION)
        == promotion_before
    )
    assert Outcome.objects.get(trainee=fallen, kind=OutcomeKind.TITLE).rank == 2
    # the eighth place loses certificate and promotion
    gone = Outcome.objects.filter(trainee=eighth)
    assert set(gone.values_list("status", flat=True)) == {OutcomeStatus.REVOKED}
    assert gone.get(kind=OutcomeKind.CERTIFICATE).certificate.status == (
        CertificateStatus.REVOKED
    )
    assert (
        AuditEvent.objects.filter(
            action="competitions.outcome.revoke", reason=REASON
        ).count()
        == 4
    )  # two swapped certificates, the eighth's certificate and promotion


def test_a_correction_back_to_the_old_results_reissues_the_award(published):
    scored, proposer, approver, _ = published
    fallen = person(scored.entries[0])
    _swap_first_two(scored)
    second = results.correction_propose(
        actor=proposer, competition=scored.competition, reason=REASON
    )
    results.correction_approve(actor=approver, version=second)
    set_marks(scored.entries[0], 90, 90)
    set_marks(scored.entries[1], 85, 85)
    third = results.correction_propose(
        actor=approver, competition=scored.competition, reason="撤回上次更正。"
    )
    results.correction_approve(actor=proposer, version=third)
    certificate = Outcome.objects.get(
        trainee=fallen, kind=OutcomeKind.CERTIFICATE, status=OutcomeStatus.ACTIVE
    )
    assert certificate.name == "一等奖"
    assert certificate.certificate.status == CertificateStatus.VALID
    assert (
        Outcome.objects.filter(
            trainee=fallen, kind=OutcomeKind.CERTIFICATE, name="一等奖"
        ).count()
        == 2
    )


def test_a_rejected_correction_changes_nothing(published):
    scored, proposer, approver, first_version = published
    before = sorted(Outcome.objects.values_list("pk", "status"))
    _swap_first_two(scored)
    version = results.correction_propose(
        actor=proposer, competition=scored.competition, reason=REASON
    )
    with pytest.raises(ValidationError):
        results.correction_reject(actor=approver, version=version, reason="")
    with pytest.raises(PermissionDenied):
        results.correction_reject(actor=proposer, version=version, reason="不同意")
    results.correction_reject(
        actor=approver, version=version, reason="请附裁判签字的评分表。"
    )
    version.refresh_from_db()
    assert version.status == VersionStatus.REJECTED
    assert results.published_version(scored.competition) == first_version
    assert sorted(Outcome.objects.values_list("pk", "status")) == before
    history = results.version_history(scored.competition)
    assert [v.number for v in history] == [2, 1]
    assert history[0].returned_reason == "请附裁判签字的评分表。"
    with pytest.raises(ValidationError) as error:
        results.correction_approve(actor=approver, version=version)
    assert error.value.code == "not_proposed"
    # a new correction may be proposed after a rejection
    again = results.correction_propose(
        actor=proposer, competition=scored.competition, reason=REASON
    )
    assert again.number == 3


def test_a_prefecture_competition_is_published_and_corrected_by_its_own_bureau():
    """Award certificates stand in the competition's region, so the prefecture bureau
    that runs it also revokes them when a correction takes an award away."""
    scored = scored_competition(people=12, teams=2)
    competition = scored.competition
    competition.region_id = "520100"
    competition.save(update_fields=["region"])
    proposer, approver = bureau("520100"), bureau("520100")
    results.results_publish(actor=proposer, competition=competition)
    first = Outcome.objects.get(
        kind=OutcomeKind.CERTIFICATE, trainee=person(scored.entries[0])
    )
    assert first.certificate.region_id == "520100"
    _swap_first_two(scored)
    version = results.correction_propose(
        actor=proposer, competition=competition, reason=REASON
    )
    results.correction_approve(actor=approver, version=version)
    first.refresh_from_db()
    first.certificate.refresh_from_db()
    assert first.status == OutcomeStatus.REVOKED
    assert first.certificate.status == CertificateStatus.REVOKED
