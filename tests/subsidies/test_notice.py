"""公示 services: publishing a round over working days, objections holding a claim, the
reviewing bureau's answer, and the daily close."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from subsidies import notice
from subsidies.models import (
    ClaimStatus,
    NoticeStatus,
    Objection,
    ObjectionStatus,
)
from tests.factories import ClaimFactory, region, staff_user
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import Holiday
from training_platform.roles import Role

pytestmark = pytest.mark.django_db
D = dt.date
MONDAY = D(2031, 3, 3)


@pytest.fixture
def bureau():
    return staff_user(Role.BUREAU, region_code="520100")


def approved(n=1, **kw):
    return [
        ClaimFactory(status=ClaimStatus.APPROVED, region=region("520102"), **kw)
        for _ in range(n)
    ]


def publish(bureau, claims=None, on=MONDAY, days=5):
    return notice.notice_round_publish(
        claims=claims or approved(),
        region=region("520100"),
        working_days=days,
        actor=bureau,
        on=on,
    )


def test_publishing_puts_approved_claims_in_notice_for_working_days(bureau):
    claims = approved(2)
    notice_round = publish(bureau, claims)
    assert (notice_round.starts_on, notice_round.ends_on) == (MONDAY, D(2031, 3, 7))
    assert notice_round.title.startswith("贵阳市")
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.IN_NOTICE
        assert claim.notice_round == notice_round
    assert AuditEvent.objects.filter(action="subsidies.claim.in_notice").count() == 2
    assert AuditEvent.objects.filter(action="subsidies.notice_round.publish").exists()


def test_the_end_date_skips_a_holiday_and_a_weekend_start_waits(bureau):
    Holiday.objects.create(date=D(2031, 3, 5), name="测试节")
    notice_round = publish(bureau, on=D(2031, 3, 1))  # a Saturday: starts Monday
    assert notice_round.starts_on == MONDAY
    # Mon 3, Tue 4, (Wed 5 off), Thu 6, Fri 7, (weekend), Mon 10
    assert notice_round.ends_on == D(2031, 3, 10)


def test_only_approved_claims_of_the_region_and_only_its_bureau(bureau):
    submitted = ClaimFactory(region=region("520102"))
    with pytest.raises(ValidationError):
        publish(bureau, [submitted])
    elsewhere = approved()[0]
    other = staff_user(Role.BUREAU, region_code="520300")
    with pytest.raises(PermissionDenied):
        publish(other, [elsewhere])
    auditor = staff_user(Role.AUDITOR, region_code="520000")
    with pytest.raises(PermissionDenied):
        publish(auditor, [elsewhere])
    with pytest.raises(ValidationError):
        publish(bureau, [elsewhere], days=0)
    elsewhere.refresh_from_db()
    assert elsewhere.status == ClaimStatus.APPROVED


def test_an_objection_needs_text_and_a_claim_in_notice(bureau):
    claim = approved()[0]
    with pytest.raises(ValidationError):
        notice.objection_file(claim=claim, text="不属实")  # not yet in notice
    publish(bureau, [claim])
    with pytest.raises(ValidationError):
        notice.objection_file(claim=claim, text="  ")
    with pytest.raises(ValidationError):
        notice.objection_file(claim=claim, text="不属实", contact_phone="abc")
    objection = notice.objection_file(
        claim=claim, text="此人未参加培训", contact_phone="138 0000 1111"
    )
    assert objection.contact_phone == "13800001111"
    event = AuditEvent.objects.get(action="subsidies.objection.file")
    assert "13800001111" not in str(event.after)


def test_an_open_objection_holds_the_claim_past_the_end(bureau):
    held, free = approved(2)
    notice_round = publish(bureau, [held, free])
    notice.objection_file(claim=held, text="此人未参加培训")
    # On the last day nothing moves; the day after, the free claim moves on.
    assert notice.notice_rounds_close(today=notice_round.ends_on)["noticed"] == 0
    result = notice.notice_rounds_close(today=notice_round.ends_on + dt.timedelta(1))
    assert result == {"noticed": 1, "held": 1, "closed": 0}
    held.refresh_from_db()
    free.refresh_from_db()
    notice_round.refresh_from_db()
    assert held.status == ClaimStatus.IN_NOTICE
    assert free.status == ClaimStatus.NOTICED
    assert notice_round.status == NoticeStatus.OPEN
    step = AuditEvent.objects.get(action="subsidies.claim.noticed")
    assert step.actor is None and step.object_id == str(free.pk)


def test_not_upheld_releases_the_claim_at_the_next_close(bureau):
    claim = approved()[0]
    notice_round = publish(bureau, [claim])
    objection = notice.objection_file(claim=claim, text="怀疑代考")
    notice.objection_answer(
        objection=objection,
        answer="经核查，本人参加了考核。",
        upheld=False,
        actor=bureau,
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_NOTICE
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.ANSWERED and objection.upheld is False
    after = notice_round.ends_on + dt.timedelta(days=3)
    assert notice.notice_rounds_close(today=after) == {
        "noticed": 1,
        "held": 0,
        "closed": 1,
    }
    claim.refresh_from_db()
    notice_round.refresh_from_db()
    assert claim.status == ClaimStatus.NOTICED
    assert notice_round.status == NoticeStatus.CLOSED and notice_round.closed_at
    # Idempotent.
    assert notice.notice_rounds_close(today=after) == {
        "noticed": 0,
        "held": 0,
        "closed": 0,
    }


def test_upheld_rejects_the_claim_with_the_answer_as_reason(bureau):
    claim, other = approved(2)
    notice_round = publish(bureau, [claim, other])
    objection = notice.objection_file(claim=claim, text="证书系伪造")
    with pytest.raises(ValidationError):
        notice.objection_answer(
            objection=objection, answer=" ", upheld=True, actor=bureau
        )
    notice.objection_answer(
        objection=objection, answer="证书编号不存在", upheld=True, actor=bureau
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert "证书编号不存在" in claim.decision_reason
    event = AuditEvent.objects.get(action="subsidies.claim.rejected")
    assert "证书编号不存在" in event.reason and event.actor == bureau
    with pytest.raises(ValidationError):
        notice.objection_answer(
            objection=objection, answer="again", upheld=False, actor=bureau
        )
    with pytest.raises(ValidationError):
        notice.objection_file(claim=claim, text="再提一次")
    notice.notice_rounds_close(today=notice_round.ends_on + dt.timedelta(1))
    notice_round.refresh_from_db()
    assert notice_round.status == NoticeStatus.CLOSED


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: staff_user(Role.BUREAU, region_code="520300"),
        lambda: staff_user(Role.AUDITOR, region_code="520000"),
        lambda: None,
    ],
)
def test_only_the_reviewing_bureau_answers(bureau, make_user):
    claim = approved()[0]
    publish(bureau, [claim])
    objection = notice.objection_file(claim=claim, text="不属实")
    with pytest.raises(PermissionDenied):
        notice.objection_answer(
            objection=objection, answer="不成立", upheld=True, actor=make_user()
        )
    objection.refresh_from_db()
    claim.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN
    assert claim.status == ClaimStatus.IN_NOTICE


def test_the_command_closes_rounds(bureau, capsys):
    claim = approved()[0]
    notice_round = publish(bureau, [claim], on=D(2020, 1, 6))
    call_command("close_notice_rounds")
    assert '"noticed": 1' in capsys.readouterr().out
    claim.refresh_from_db()
    notice_round.refresh_from_db()
    assert claim.status == ClaimStatus.NOTICED
    assert notice_round.status == NoticeStatus.CLOSED


def test_the_task_closes_rounds(bureau):
    from subsidies.tasks import notice_rounds_close_task

    claim = approved()[0]
    publish(bureau, [claim], on=D(2020, 1, 6))
    notice_rounds_close_task.enqueue()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NOTICED
    assert not Objection.objects.exists()
