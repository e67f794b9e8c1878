"""拨付批次: totals, maker-checker, the bank file, the bank return, exceptions, reversals."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook, load_workbook

from subsidies import bank_return, batches
from subsidies.models import (
    BatchStatus,
    Claim,
    ClaimStatus,
    DisbursementBatch,
    FailureCode,
    Payment,
    PaymentStatus,
    Reversal,
)
from tests.factories import ClaimFactory, region, staff_user
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ACCOUNT = "6222020200112233445"


def noticed(n=1, **kw):
    kw.setdefault("region", region("520102"))
    kw.setdefault("status", ClaimStatus.NOTICED)
    return [ClaimFactory(**kw) for _ in range(n)]


@pytest.fixture
def maker():
    return staff_user(Role.BUREAU, region_code="520100")


@pytest.fixture
def checker():
    return staff_user(Role.BUREAU, region_code="520100")


def make_batch(maker, claims=None):
    claims = claims if claims is not None else noticed(3)
    return batches.batch_create(claims=claims, region=region("520100"), actor=maker)


def approved(maker, checker, claims=None):
    batch = make_batch(maker, claims)
    return batches.batch_approve(batch=batch, actor=checker)


def return_file(rows, headers=None):
    book = Workbook()
    sheet = book.active
    sheet.append(
        headers
        or ["支付参考号", "金额", "处理结果", "银行流水号", "失败原因", "处理日期"]
    )
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "回盘.xlsx"
    return out


def run_return(batch, rows, actor):
    return bank_return.BANK_RETURN.run(
        target=batch,
        rows=bank_return.BANK_RETURN.read(return_file(rows)),
        actor=actor,
    )


# --- create ----------------------------------------------------------------------------


def test_batch_groups_claims_by_payee_and_declares_totals_to_the_cent(maker):
    a = noticed(1, amount=Decimal("1500.10"))[0]
    # The same person's second entitlement: same payee and account, one line.
    b = ClaimFactory(
        trainee=a.trainee,
        certificate__trainee=a.trainee,
        payee_name=a.payee_name,
        status=ClaimStatus.NOTICED,
        region=region("520102"),
        amount=Decimal("800.25"),
        level="3",
        certificate__level="3",
    )
    c = noticed(1, payee_account="6222000011112222")[0]
    batch = make_batch(maker, [a, b, c])
    assert batch.code.startswith("PF-520100-") and batch.code.endswith("-001")
    assert batch.declared_count == 3
    assert batch.declared_amount == Decimal("1500.10") + Decimal("800.25") + c.amount
    lines = list(batch.payments.order_by("pk"))
    assert [line.claim_count for line in lines] == [2, 1]
    assert lines[0].amount == Decimal("2300.35")
    assert lines[0].reference == f"{batch.code}-0001"
    assert sum(line.amount for line in lines) == batch.declared_amount
    for claim in (a, b, c):
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.IN_BATCH
        assert claim.payment.batch == batch
    assert batches.totals_mismatches(batch) == []
    second = make_batch(maker, noticed(1))
    assert second.code.endswith("-002")


def test_a_claim_already_batched_or_of_another_region_is_refused(maker):
    claims = noticed(2)
    make_batch(maker, claims[:1])
    with pytest.raises(ValidationError, match="不能编入拨付批次"):
        make_batch(maker, claims)
    assert Claim.objects.get(pk=claims[1].pk).status == ClaimStatus.NOTICED
    far = noticed(1, region=region("520300"))
    with pytest.raises(ValidationError, match="不属于"):
        make_batch(maker, far)
    with pytest.raises(PermissionDenied):
        batches.batch_create(
            claims=noticed(1),
            region=region("520100"),
            actor=staff_user(Role.AUDITOR, region_code="520100"),
        )


def test_payment_failed_claims_go_back_into_a_new_batch(maker, checker):
    claim = noticed(1, status=ClaimStatus.PAYMENT_FAILED)[0]
    batch = make_batch(maker, [claim])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_BATCH and claim.payment.batch == batch


# --- approve ---------------------------------------------------------------------------


def test_the_maker_cannot_approve_and_another_bureau_user_can(maker, checker):
    batch = make_batch(maker)
    with pytest.raises(ValidationError, match="制单人不能复核"):
        batches.batch_approve(batch=batch, actor=maker)
    with pytest.raises(PermissionDenied):
        batches.batch_approve(
            batch=batch, actor=staff_user(Role.BUREAU, region_code="520300")
        )
    batch = batches.batch_approve(batch=batch, actor=checker)
    assert batch.status == BatchStatus.APPROVED and batch.approved_by == checker
    assert AuditEvent.objects.filter(action="subsidies.batch.approve").count() == 1


def test_totals_that_do_not_match_refuse_the_approval(maker, checker):
    batch = make_batch(maker)
    DisbursementBatch.objects.filter(pk=batch.pk).update(
        declared_amount=batch.declared_amount - Decimal("0.01")
    )
    batch.refresh_from_db()
    with pytest.raises(ValidationError, match="控制总数核对不符"):
        batches.batch_approve(batch=batch, actor=checker)
    DisbursementBatch.objects.filter(pk=batch.pk).update(
        declared_amount=batch.declared_amount + Decimal("0.01"), declared_count=4
    )
    with pytest.raises(ValidationError, match="笔数"):
        batches.batch_approve(batch=batch, actor=checker)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT


def test_a_line_that_disagrees_with_its_claims_refuses_the_approval(maker, checker):
    batch = make_batch(maker)
    a, b = batch.payments.order_by("pk")[:2]
    Payment.objects.filter(pk=a.pk).update(amount=a.amount + 1)
    Payment.objects.filter(pk=b.pk).update(amount=b.amount - 1)
    with pytest.raises(ValidationError, match="明细的金额或笔数"):
        batches.batch_approve(batch=batch, actor=checker)


# --- remove, cancel --------------------------------------------------------------------


def test_removing_a_claim_needs_a_reason_and_shrinks_the_totals(maker, checker):
    claims = noticed(3)
    batch = make_batch(maker, claims)
    with pytest.raises(ValidationError, match="原因"):
        batches.batch_remove_claim(batch=batch, claim=claims[0], reason="", actor=maker)
    batch = batches.batch_remove_claim(
        batch=batch, claim=claims[0], reason="账号待核实", actor=maker
    )
    claims[0].refresh_from_db()
    assert claims[0].status == ClaimStatus.NOTICED and claims[0].payment is None
    assert batch.declared_count == 2
    assert batches.totals_mismatches(batch) == []
    assert batch.payments.count() == 2
    batches.batch_approve(batch=batch, actor=checker)
    with pytest.raises(ValidationError, match="待复核"):
        batches.batch_remove_claim(
            batch=batch, claim=claims[1], reason="晚了", actor=maker
        )


def test_cancelling_a_draft_batch_puts_its_claims_back(maker):
    claims = noticed(2)
    batch = make_batch(maker, claims)
    with pytest.raises(ValidationError):
        batches.batch_cancel(batch=batch, reason=" ", actor=maker)
    batch = batches.batch_cancel(batch=batch, reason="重新编排", actor=maker)
    assert batch.status == BatchStatus.CANCELLED
    assert not Payment.objects.filter(batch=batch).exists()
    assert set(
        Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list(
            "status", flat=True
        )
    ) == {ClaimStatus.NOTICED}
    make_batch(maker, claims)  # batchable again


# --- bank file -------------------------------------------------------------------------


def _sheet(content):
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_only_an_approved_batch_is_exported(maker, checker):
    batch = make_batch(maker)
    with pytest.raises(ValidationError, match="已复核"):
        batches.batch_bank_file(batch=batch, actor=maker)


def test_the_bank_file_has_the_totals_and_reveals_accounts_only_to_the_bureau_audited(
    maker, checker
):
    batch = approved(maker, checker, noticed(2))
    rows = _sheet(batches.batch_bank_file(batch=batch, actor=checker))
    assert rows[0][:2] == ("批次编号", batch.code)
    assert rows[2][:2] == ("申领笔数", 2)
    assert Decimal(str(rows[3][1])) == batch.declared_amount
    assert rows[6] == batches.BANK_FILE_HEADERS
    lines = rows[7:]
    assert len(lines) == 2
    assert lines[0][1] == f"{batch.code}-0001"
    assert lines[0][4] == ACCOUNT
    assert AuditEvent.objects.filter(
        action="subsidies.batch.reveal_account", actor=checker
    ).exists()

    auditor = staff_user(Role.AUDITOR, region_code="520100")
    rows = _sheet(batches.batch_bank_file(batch=batch, actor=auditor))
    assert rows[7][4] == "*" * 15 + ACCOUNT[-4:]
    assert ACCOUNT not in str(rows)
    assert AuditEvent.objects.filter(
        action="subsidies.batch.export", actor=auditor
    ).exists()
    with pytest.raises(PermissionDenied):
        batches.batch_bank_file(
            batch=batch, actor=staff_user(Role.AUDITOR, region_code="520300")
        )


# --- bank return -----------------------------------------------------------------------


def _lines(batch):
    return list(batch.payments.order_by("pk"))


def test_the_return_pays_fails_and_leaves_exceptions(maker, checker):
    claims = noticed(3)
    batch = approved(maker, checker, claims)
    a, b, c = _lines(batch)
    summary = run_return(
        batch,
        [
            [a.reference, str(a.amount), "成功", "B0001", "", "2026-12-03"],
            [b.reference, float(b.amount), "失败", "", "户名不符", "2026-12-03"],
        ],
        maker,
    )
    assert summary["errors"] == []
    assert (summary["paid"], summary["failed"], summary["exceptions"]) == (1, 1, 1)
    by_payment = {
        cl.payment_id: cl for cl in Claim.objects.filter(pk__in=[x.pk for x in claims])
    }
    paid = by_payment[a.pk]
    assert paid.status == ClaimStatus.PAID
    assert (paid.paid_on, paid.bank_reference) == (dt.date(2026, 12, 3), "B0001")
    assert by_payment[b.pk].status == ClaimStatus.PAYMENT_FAILED
    assert by_payment[c.pk].status == ClaimStatus.IN_BATCH
    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    assert a.status == PaymentStatus.PAID and a.bank_reference == "B0001"
    assert b.status == PaymentStatus.FAILED
    assert b.failure_code == FailureCode.NAME_MISMATCH
    assert c.status == PaymentStatus.EXCEPTION
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED
    # The paid step is the platform's; the uploader is named in the trail.
    event = AuditEvent.objects.get(
        action="subsidies.claim.paid", object_id=str(paid.pk)
    )
    assert event.actor is None and event.after["uploaded_by"] == maker.pk
    # The failed claim is back in the queue.
    assert by_payment[b.pk] in batches.queue_for(region("520100"))

    # The exception resolved by hand: the batch is reconciled.
    with pytest.raises(ValidationError, match="流水号"):
        batches.payment_resolve(payment=c, paid=True, actor=checker)
    batches.payment_resolve(payment=c, paid=True, bank_reference="B0003", actor=checker)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RECONCILED and batch.reconciled_at
    assert (
        by_payment[c.pk].__class__.objects.get(pk=by_payment[c.pk].pk).status
        == ClaimStatus.PAID
    )


def test_an_exception_resolved_as_failed_goes_back_to_the_queue(maker, checker):
    batch = approved(maker, checker, noticed(1))
    (line,) = _lines(batch)
    Payment.objects.filter(pk=line.pk).update(status=PaymentStatus.EXCEPTION)
    with pytest.raises(ValidationError, match="失败原因"):
        batches.payment_resolve(payment=line, paid=False, actor=checker)
    batches.payment_resolve(
        payment=line,
        paid=False,
        failure_code=FailureCode.ACCOUNT_FROZEN,
        note="银行电话告知",
        actor=checker,
    )
    claim = Claim.objects.get(payment=line)
    assert claim.status == ClaimStatus.PAYMENT_FAILED
    assert DisbursementBatch.objects.get(pk=batch.pk).status == BatchStatus.RECONCILED


def _nothing_applied(batch):
    assert set(batch.payments.values_list("status", flat=True)) == {
        PaymentStatus.PENDING
    }
    assert set(
        Claim.objects.filter(payment__batch=batch).values_list("status", flat=True)
    ) == {ClaimStatus.IN_BATCH}
    assert DisbursementBatch.objects.get(pk=batch.pk).status == BatchStatus.APPROVED


@pytest.mark.parametrize(
    "case,message",
    [
        ("repeat", "重复"),
        ("unknown", "不属于批次"),
        ("amount", "不符"),
        ("over", "超过批次申报"),
    ],
)
def test_a_file_that_contradicts_itself_or_the_batch_applies_nothing(
    maker, checker, case, message
):
    batch = approved(maker, checker, noticed(2))
    a, b = _lines(batch)
    rows = [
        [a.reference, str(a.amount), "成功", "B1", "", ""],
        [b.reference, str(b.amount), "成功", "B2", "", ""],
    ]
    if case == "repeat":
        rows.append([a.reference, str(a.amount), "失败", "", "其他", ""])
    elif case == "unknown":
        rows.append(["PF-520100-20990101-001-0001", "10", "成功", "B3", "", ""])
    elif case == "amount":
        rows[1][1] = str(b.amount + Decimal("0.01"))
    elif case == "over":
        DisbursementBatch.objects.filter(pk=batch.pk).update(
            declared_amount=batch.declared_amount - 1
        )
    summary = run_return(batch, rows, maker)
    assert any(message in e["message"] for e in summary["errors"]), summary
    _nothing_applied(batch)


def test_a_return_needs_an_approved_batch_and_a_bureau_uploader(maker, checker):
    batch = make_batch(maker, noticed(1))
    (line,) = _lines(batch)
    summary = run_return(
        batch, [[line.reference, str(line.amount), "成功", "B"]], maker
    )
    assert "已复核" in summary["errors"][0]["message"]
    batches.batch_approve(batch=batch, actor=checker)
    with pytest.raises(PermissionDenied):
        run_return(
            batch,
            [[line.reference, str(line.amount), "成功", "B"]],
            staff_user(Role.AUDITOR, region_code="520100"),
        )
    _nothing_applied(batch)


def test_a_second_return_does_not_settle_a_line_twice(maker, checker):
    batch = approved(maker, checker, noticed(2))
    a, b = _lines(batch)
    run_return(batch, [[a.reference, str(a.amount), "成功", "B1", "", ""]], maker)
    again = run_return(
        batch,
        [
            [a.reference, str(a.amount), "成功", "B1", "", ""],
            [b.reference, str(b.amount), "成功", "B2", "", ""],
        ],
        maker,
    )
    assert again["errors"] == [] and again["already"] == 1 and again["paid"] == 1
    assert DisbursementBatch.objects.get(pk=batch.pk).status == BatchStatus.RECONCILED
    contradicting = run_return(
        batch, [[a.reference, str(a.amount), "失败", "", "其他", ""]], maker
    )
    assert "此前已对账" in contradicting["errors"][0]["message"]
    assert Claim.objects.get(payment=a).status == ClaimStatus.PAID


# --- reversal, frozen paid claim -------------------------------------------------------


def _paid_batch(maker, checker, n=1):
    batch = approved(maker, checker, noticed(n))
    run_return(
        batch,
        [
            [p.reference, str(p.amount), "成功", f"B{p.pk}", "", ""]
            for p in _lines(batch)
        ],
        maker,
    )
    return batch


def test_a_reversal_is_recorded_and_the_paid_claim_stays_paid(maker, checker):
    batch = _paid_batch(maker, checker)
    (line,) = _lines(batch)
    with pytest.raises(ValidationError, match="不超过"):
        batches.payment_reverse(
            payment=line,
            amount=line.amount + 1,
            reason="账户异常退回",
            bank_reference="R1",
            on=dt.date(2026, 12, 9),
            actor=checker,
        )
    batches.payment_reverse(
        payment=line,
        amount=Decimal("100.00"),
        reason="账户异常退回",
        bank_reference="R1",
        on=dt.date(2026, 12, 9),
        actor=checker,
    )
    reversal = Reversal.objects.get()
    assert reversal.amount == Decimal("100.00") and reversal.recorded_by == checker
    line.refresh_from_db()
    assert line.status == PaymentStatus.PAID
    batches.payment_reverse(
        payment=line,
        amount=line.amount - 100,
        reason="余额退回",
        bank_reference="R2",
        on=dt.date(2026, 12, 9),
        actor=checker,
    )
    line.refresh_from_db()
    assert line.status == PaymentStatus.REVERSED
    claim = Claim.objects.get(payment=line)
    assert claim.status == ClaimStatus.PAID and claim.bank_reference == f"B{line.pk}"
    assert AuditEvent.objects.filter(action="subsidies.payment.reverse").count() == 2


def test_a_paid_claim_refuses_every_service(maker, checker):
    batch = _paid_batch(maker, checker)
    claim = Claim.objects.get(payment__batch=batch)
    with pytest.raises(ValidationError):
        batches.batch_create(claims=[claim], region=region("520100"), actor=maker)
    with pytest.raises(ValidationError):
        batches.batch_remove_claim(batch=batch, claim=claim, reason="x", actor=maker)
    with pytest.raises(ValidationError):
        batches.batch_cancel(batch=batch, reason="x", actor=maker)
    (line,) = _lines(batch)
    with pytest.raises(ValidationError):
        batches.payment_resolve(
            payment=line, paid=False, failure_code="other", actor=checker
        )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_the_batch_list_query_count_does_not_grow(maker, django_assert_max_num_queries):
    make_batch(maker, noticed(1))
    with django_assert_max_num_queries(6) as few:
        list(batches.batches_for(maker))
    for _ in range(4):
        make_batch(maker, noticed(2))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(list(batches.batches_for(maker))) == 5
