"""subsidies' part of the lifetime record (subsidies/records.py): the person's claims,
kind, amount, status and paid date, in one query."""

import datetime as dt
from decimal import Decimal

import pytest

from subsidies import records
from subsidies.models import ClaimStatus, SubsidyKind
from tests.factories import ClaimFactory, TraineeFactory
from trainees.extensions import record_sources
from trainees.records import record_for
from training_platform.reference.models import SkillLevel

pytestmark = pytest.mark.django_db


def test_registered_on_the_record_sources():
    assert records.SUBSIDIES in record_sources


def test_a_paid_claim_shows_kind_amount_status_and_paid_date():
    claim = ClaimFactory(
        status=ClaimStatus.PAID,
        paid_on=dt.date(2025, 6, 18),
        bank_reference="BANK-1",
        amount=Decimal("1500.00"),
    )
    [entry] = records.subsidy_entries(claim.trainee)
    assert entry.obj["pk"] == claim.pk
    assert entry.date == dt.date(2025, 6, 18)
    assert entry.kind == "补贴"
    assert entry.status == "已拨付"
    facts = {str(label): value for label, value in entry.facts}
    assert facts["补贴类型"] == "技能提升补贴"
    assert facts["补贴金额"] == "1,500.00 元"
    assert facts["状态"] == "已拨付"
    assert facts["拨付日期"] == "2025-06-18"
    assert "四级/中级工" in facts["职业（工种）"]
    # on the person's record, in its own section
    section = record_for(claim.trainee).section("subsidies")
    assert [e.obj["pk"] for e in section.entries] == [claim.pk]


def test_an_unpaid_claim_has_no_paid_date_and_is_dated_when_submitted():
    claim = ClaimFactory(
        status=ClaimStatus.UNDER_REVIEW,
        submitted_at=dt.datetime(2025, 4, 2, 3, 0, tzinfo=dt.UTC),
    )
    [entry] = records.subsidy_entries(claim.trainee)
    assert entry.status == "审核中"
    assert dict(entry.facts)["拨付日期"] == "—"
    assert entry.date == dt.date(2025, 4, 2)


def test_drafts_and_withdrawn_claims_are_left_out_others_kept():
    trainee = TraineeFactory()
    ClaimFactory(certificate__trainee=trainee, status=ClaimStatus.DRAFT)
    ClaimFactory(certificate__trainee=trainee, status=ClaimStatus.WITHDRAWN)
    rejected = ClaimFactory(certificate__trainee=trainee, status=ClaimStatus.REJECTED)
    assert [e.obj["pk"] for e in records.subsidy_entries(trainee)] == [rejected.pk]
    assert records.subsidy_entries(rejected.trainee)[0].status == "不予通过"


def test_only_the_persons_own_claims():
    mine = ClaimFactory()
    ClaimFactory()
    assert [e.obj["pk"] for e in records.subsidy_entries(mine.trainee)] == [mine.pk]


def test_one_query_however_many_claims(django_assert_num_queries):
    trainee = TraineeFactory()
    ClaimFactory(
        certificate__trainee=trainee,
        status=ClaimStatus.PAID,
        paid_on=dt.date(2025, 1, 2),
        bank_reference="R0",
    )
    with django_assert_num_queries(1):
        assert len(records.subsidy_entries(trainee)) == 1
    for n in range(20):
        ClaimFactory(
            certificate__trainee=trainee,
            certificate__level=SkillLevel.LEVEL_3,
            kind=SubsidyKind.EVALUATION,
            status=ClaimStatus.REJECTED,
            basis_date=dt.date(2025, 1, 1) + dt.timedelta(days=n),
        )
    with django_assert_num_queries(1):
        entries = records.subsidy_entries(trainee)
    assert len(entries) == 21


def test_the_account_number_is_never_read():
    claim = ClaimFactory()
    sql = str(records.claims_of_trainee(claim.trainee).query)
    assert "payee_account" not in sql
