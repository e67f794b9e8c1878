"""拨付批次: noticed claims → one bank line per payee → maker-checker → bank file →
reconciliation (``subsidies.bank_return``) → paid, failed or an exception resolved by hand.

Control totals (笔数 and 合计金额) are declared when a batch is made; approving re-checks
them against the lines and the claims to the cent, and a bank return may never exceed
them. Every claim move goes through ``subsidies.workflow`` (rows locked, audited).

No entitlement is paid twice: a claim is in at most one live batch (its row is locked
and must be 公示期满待拨付 or 拨付失败 to be batched), a paid claim is frozen by the
database, and a payment line is settled once (its row locked, status checked).
"""

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from subsidies import policies, workflow
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
from training_platform import access, xlsx
from training_platform.audit.services import audit_record, status_change
from training_platform.reference.models import Region

QUEUE_STATUSES = (ClaimStatus.NOTICED, ClaimStatus.PAYMENT_FAILED)
SETTLED = frozenset({PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.REVERSED})
OPEN_LINES = (PaymentStatus.PENDING, PaymentStatus.EXCEPTION)
REVEAL_PERMISSION = "subsidies.reveal_account"
CENT = Decimal("0.01")


def cents(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


# --- who -------------------------------------------------------------------------------


def _require_bureau(actor, region_code: str) -> None:
    if not policies.is_bureau_over(actor, region_code):
        raise PermissionDenied("只有本地区人社部门的工作人员可以办理拨付批次。")


def may_reveal_account(actor) -> bool:
    return bool(actor and actor.is_authenticated and actor.has_perm(REVEAL_PERMISSION))


# --- selectors -------------------------------------------------------------------------


def region_q_prefix(region: Region) -> str:
    return region.prefix


def queue_for(region: Region) -> QuerySet:
    """Claims of ``region`` (and below) waiting to be batched, oldest first."""
    return (
        Claim.objects.filter(
            status__in=QUEUE_STATUSES, region__code__startswith=region.prefix
        )
        .select_related("region", "trainee")
        .order_by("pk")
    )


def batches_for(user) -> QuerySet:
    """The batches the user may see, with their line counts (one query)."""
    return (
        access.visible(user, DisbursementBatch.objects.all())
        .select_related("region", "created_by", "approved_by")
        .annotate(line_count=Count("payments"))
        .order_by("-created_at", "-id")
    )


def batch_lines(batch: DisbursementBatch) -> QuerySet:
    return batch.payments.annotate(reversed_amount=Sum("reversals__amount")).order_by(
        "pk"
    )


# --- control totals --------------------------------------------------------------------


def totals_mismatches(batch: DisbursementBatch) -> list[str]:
    """Where the lines or the claims disagree with the declared totals (none: [])."""
    problems = []
    lines = list(
        Payment.objects.filter(batch=batch).values_list("pk", "amount", "claim_count")
    )
    claims = list(
        Claim.objects.filter(payment__batch=batch, status=ClaimStatus.IN_BATCH)
        .order_by()
        .values_list("payment_id", "amount")
    )
    declared_amount = cents(batch.declared_amount)
    line_amount = cents(sum(a for _p, a, _c in lines))
    line_count = sum(c for _p, _a, c in lines)
    claim_amount = cents(sum(a for _p, a in claims))
    if line_amount != declared_amount:
        problems.append(
            f"明细合计 {line_amount:,} 元与申报合计 {declared_amount:,} 元不符。"
        )
    if line_count != batch.declared_count:
        problems.append(
            f"明细申领笔数 {line_count} 与申报笔数 {batch.declared_count} 不符。"
        )
    if len(claims) != batch.declared_count:
        problems.append(
            f"批次内申领 {len(claims)} 笔，与申报笔数 {batch.declared_count} 不符。"
        )
    if claim_amount != declared_amount:
        problems.append(
            f"批次内申领合计 {claim_amount:,} 元与申报合计 {declared_amount:,} 元不符。"
        )
    by_line: dict[int, list[Decimal]] = defaultdict(list)
    for payment_id, amount in claims:
        by_line[payment_id].append(amount)
    bad = [
        pk
        for pk, amount, count in lines
        if cents(sum(by_line[pk])) != cents(amount) or len(by_line[pk]) != count
    ]
    if bad:
        problems.append(f"有 {len(bad)} 条明细的金额或笔数与其申领不符。")
    return problems


# --- create ----------------------------------------------------------------------------


def _next_code(region: Region, day: dt.date) -> str:
    """PF-<region>-<yyyymmdd>-<nnn>; the caller holds the region's row lock."""
    prefix = f"PF-{region.code}-{day:%Y%m%d}-"
    taken = DisbursementBatch.objects.filter(code__startswith=prefix).count()
    return f"{prefix}{taken + 1:03d}"


@transaction.atomic
def batch_create(*, claims, region: Region, actor, request=None) -> DisbursementBatch:
    """A draft batch of ``claims`` (公示期满待拨付 or 拨付失败, of ``region``): one
    payment line per payee (kind + name + account), control totals declared, the
    claims moved to 拨付中. All or nothing."""
    _require_bureau(actor, region.code)
    ids = sorted({c.pk if isinstance(c, Claim) else int(c) for c in claims})
    if not ids:
        raise ValidationError("请至少选择一笔待拨付的申领。")
    # One batch number at a time per region (the code counts the day's batches).
    region = Region.objects.select_for_update().get(pk=region.pk)
    locked = list(Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(locked) != len(ids):
        raise ValidationError("部分申领已不存在，请刷新后重试。")
    for claim in locked:
        if claim.status not in QUEUE_STATUSES:
            raise ValidationError(
                f"申领 #{claim.pk} 的状态为“{claim.get_status_display()}”，"
                "不能编入拨付批次（可能已被编入其他批次），请刷新后重试。"
            )
        if not claim.region_id.startswith(region.prefix):
            raise ValidationError(f"申领 #{claim.pk} 不属于{region.name}，不能编入。")
        if not claim.payee_account_hash:
            raise ValidationError(f"申领 #{claim.pk} 没有收款账号，不能拨付。")
    groups: dict[tuple, list[Claim]] = defaultdict(list)
    for claim in locked:
        key = (claim.payee_kind, claim.payee_name, claim.payee_account_hash)
        groups[key].append(claim)
    total = cents(sum(c.amount for c in locked))
    batch = DisbursementBatch(
        code=_next_code(region, timezone.localdate()),
        region=region,
        declared_count=len(locked),
        declared_amount=total,
        created_by=actor,
    )
    batch.full_clean()
    batch.save()
    for number, members in enumerate(groups.values(), start=1):
        first = members[0]
        payment = Payment(
            batch=batch,
            reference=f"{batch.code}-{number:04d}",
            payee_kind=first.payee_kind,
            payee_name=first.payee_name,
            account_kind=first.account_kind,
            payee_account=first.payee_account,
            amount=cents(sum(c.amount for c in members)),
            claim_count=len(members),
        )
        payment.full_clean(exclude=["batch"])
        payment.save()
        for status in QUEUE_STATUSES:
            same = [c for c in members if c.status == status]
            if same:
                workflow.claims_move(
                    claims=same,
                    to=ClaimStatus.IN_BATCH,
                    actor=actor,
                    changes={"payment": payment},
                    after={"batch": batch.code, "payment": payment.reference},
                    request=request,
                )
    audit_record(
        actor=actor,
        action="subsidies.batch.create",
        obj=batch,
        after={
            "code": batch.code,
            "declared_count": batch.declared_count,
            "declared_amount": str(batch.declared_amount),
            "lines": len(groups),
        },
        request=request,
    )
    return batch


def _lock(batch: DisbursementBatch) -> DisbursementBatch:
    return DisbursementBatch.objects.select_for_update().get(pk=batch.pk)


# --- approve ---------------------------------------------------------------------------

MAKER_MAY_NOT_APPROVE = "制单人不能复核自己制作的批次，请由本地区另一位工作人员复核。"


def approve_refusal(batch: DisbursementBatch, actor) -> str:
    """Why ``actor`` may not approve ``batch`` now ("" when they may)."""
    if batch.status != BatchStatus.DRAFT:
        return f"批次状态为“{batch.get_status_display()}”，不能复核。"
    if not policies.is_bureau_over(actor, batch.region_id):
        return "只有本地区人社部门的工作人员可以复核拨付批次。"
    if actor.pk == batch.created_by_id:
        return MAKER_MAY_NOT_APPROVE
    return ""


@transaction.atomic
def batch_approve(*, batch: DisbursementBatch, actor, request=None):
    """复核: another bureau user of the region, control totals re-checked first."""
    batch = _lock(batch)
    refusal = approve_refusal(batch, actor)
    if refusal:
        if refusal.startswith("只有"):
            raise PermissionDenied(refusal)
        raise ValidationError(refusal)
    problems = totals_mismatches(batch)
    if problems:
        raise ValidationError(
            ["控制总数核对不符，不能复核：", *problems], code="totals_mismatch"
        )
    return status_change(
        obj=batch,
        to=BatchStatus.APPROVED,
        actor=actor,
        action="subsidies.batch.approve",
        changes={"approved_by": actor, "approved_at": timezone.now()},
        after={
            "declared_count": batch.declared_count,
            "declared_amount": str(batch.declared_amount),
        },
        request=request,
    )


# --- remove a claim, cancel ------------------------------------------------------------


def _require_draft(batch: DisbursementBatch, what: str) -> None:
    if batch.status != BatchStatus.DRAFT:
        raise ValidationError(
            f"批次状态为“{batch.get_status_display()}”，不能{what}（只有待复核的批次可以）。"
        )


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"{what}须填写原因。")
    return reason


@transaction.atomic
def batch_remove_claim(
    *, batch: DisbursementBatch, claim: Claim, reason: str, actor, request=None
) -> DisbursementBatch:
    """Take one claim out of a draft batch (back to 公示期满待拨付); the line and the
    declared totals shrink by its amount."""
    reason = _require_reason(reason, "移出批次")
    batch = _lock(batch)
    _require_bureau(actor, batch.region_id)
    _require_draft(batch, "移出申领")
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if locked.status == ClaimStatus.PAID:
        raise ValidationError("申领已拨付，不能再更改。")
    if locked.payment_id is None or locked.payment.batch_id != batch.pk:
        raise ValidationError("该申领不在本批次中。")
    payment = Payment.objects.select_for_update().get(pk=locked.payment_id)
    workflow.claim_move(
        claim=locked,
        to=ClaimStatus.NOTICED,
        actor=actor,
        reason=reason,
        changes={"payment": None},
        after={"batch": batch.code},
        request=request,
    )
    if payment.claim_count <= 1:
        payment.delete()
    else:
        payment.amount = cents(payment.amount - locked.amount)
        payment.claim_count -= 1
        payment.save(update_fields=["amount", "claim_count"])
    before = {
        "declared_count": batch.declared_count,
        "declared_amount": str(batch.declared_amount),
    }
    batch.declared_count -= 1
    batch.declared_amount = cents(batch.declared_amount - locked.amount)
    if batch.declared_count == 0:
        batch.status = BatchStatus.CANCELLED
    batch.save(update_fields=["declared_count", "declared_amount", "status"])
    audit_record(
        actor=actor,
        action="subsidies.batch.remove_claim",
        obj=batch,
        before=before,
        after={
            "claim": locked.pk,
            "declared_count": batch.declared_count,
            "declared_amount": str(batch.declared_amount),
        },
        reason=reason,
        request=request,
    )
    return batch


@transaction.atomic
def batch_cancel(
    *, batch: DisbursementBatch, reason: str, actor, request=None
) -> DisbursementBatch:
    """作废 a draft batch: every claim back to 公示期满待拨付, the lines dropped."""
    reason = _require_reason(reason, "作废批次")
    batch = _lock(batch)
    _require_bureau(actor, batch.region_id)
    _require_draft(batch, "作废")
    claims = list(Claim.objects.filter(payment__batch=batch).order_by("pk"))
    if claims:
        workflow.claims_move(
            claims=claims,
            to=ClaimStatus.NOTICED,
            actor=actor,
            reason=reason,
            changes={"payment": None},
            after={"batch": batch.code},
            request=request,
        )
    Payment.objects.filter(batch=batch).delete()
    return status_change(
        obj=batch,
        to=BatchStatus.CANCELLED,
        actor=actor,
        action="subsidies.batch.cancel",
        reason=reason,
        request=request,
    )


# --- bank file -------------------------------------------------------------------------

BANK_FILE_HEADERS = (
    "序号",
    "支付参考号",
    "收款人",
    "账户类型",
    "收款账号",
    "金额（元）",
    "申领笔数",
)


def batch_bank_file(*, batch: DisbursementBatch, actor, request=None) -> bytes:
    """The bank file (xlsx): the batch code and control totals, then one row per line.

    Accounts in full only for a role holding ``subsidies.reveal_account`` (audited);
    masked for everyone else. Only an approved batch is exported."""
    if batch.status != BatchStatus.APPROVED:
        raise ValidationError("只有已复核的批次可以导出银行文件。")
    if not access.can_view(actor, batch):
        raise PermissionDenied("您无权查看此批次。")
    reveal = may_reveal_account(actor)
    lines = list(batch.payments.order_by("pk"))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="拨付明细")
    for letter, width in zip("ABCDEFG", (8, 30, 20, 14, 26, 14, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)

    def row(values, *, font=None, text=()):
        cells = []
        for i, value in enumerate(values):
            cell = WriteOnlyCell(
                sheet, value=xlsx.neutralise(value) if isinstance(value, str) else value
            )
            if i in text:
                cell.number_format = "@"
            if font is not None:
                cell.font = font
            cells.append(cell)
        sheet.append(cells)

    row(["批次编号", batch.code], font=bold)
    row(["地区", batch.region.name])
    row(["申领笔数", batch.declared_count])
    row(["合计金额（元）", batch.declared_amount])
    row(["明细条数", len(lines)])
    row([])
    row(list(BANK_FILE_HEADERS), font=bold)
    for number, line in enumerate(lines, start=1):
        row(
            [
                number,
                line.reference,
                line.payee_name,
                line.get_account_kind_display(),
                line.payee_account if reveal else line.masked_account,
                line.amount,
                line.claim_count,
            ],
            text={1, 4},
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit_record(
        actor=actor,
        action=(
            "subsidies.batch.reveal_account" if reveal else "subsidies.batch.export"
        ),
        obj=batch,
        after={"lines": len(lines), "accounts": "full" if reveal else "masked"},
        request=request,
    )
    return buffer.getvalue()


# --- settle lines ----------------------------------------------------------------------


def settle_paid(
    *, payment: Payment, bank_reference: str, on: dt.date, by, how: str, request=None
) -> None:
    """One line paid: the line and its claims (a SYSTEM step; ``by`` in the trail).
    The caller holds the batch's lock."""
    claims = list(Claim.objects.filter(payment=payment).order_by("pk"))
    workflow.claims_move(
        claims=claims,
        to=ClaimStatus.PAID,
        actor=None,
        changes={"paid_on": on, "bank_reference": bank_reference},
        after={"payment": payment.reference, how: getattr(by, "pk", None)},
        request=request,
    )
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.PAID,
        bank_reference=bank_reference,
        settled_on=on,
        failure_code="",
    )


def settle_failed(
    *,
    payment: Payment,
    failure_code: str,
    note: str,
    bank_reference: str,
    on: dt.date | None,
    by,
    how: str,
    request=None,
) -> None:
    """One line failed: its claims back to the queue as 拨付失败 (a SYSTEM step)."""
    claims = list(Claim.objects.filter(payment=payment).order_by("pk"))
    label = FailureCode(failure_code).label
    workflow.claims_move(
        claims=claims,
        to=ClaimStatus.PAYMENT_FAILED,
        actor=None,
        reason=f"银行退回：{label}" + (f"（{note}）" if note else ""),
        after={"payment": payment.reference, how: getattr(by, "pk", None)},
        request=request,
    )
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.FAILED,
        failure_code=failure_code,
        failure_note=note[:200],
        bank_reference=bank_reference,
        settled_on=on,
    )


def reconcile_if_settled(batch: DisbursementBatch, *, actor, request=None) -> bool:
    """对账完成 once every line is settled (paid, failed or reversed)."""
    if batch.status != BatchStatus.APPROVED:
        return False
    if batch.payments.filter(status__in=OPEN_LINES).exists():
        return False
    status_change(
        obj=batch,
        to=BatchStatus.RECONCILED,
        actor=actor,
        action="subsidies.batch.reconciled",
        changes={"reconciled_at": timezone.now()},
        request=request,
    )
    return True


@transaction.atomic
def payment_resolve(
    *,
    payment: Payment,
    paid: bool,
    actor,
    bank_reference: str = "",
    failure_code: str = "",
    note: str = "",
    on: dt.date | None = None,
    request=None,
) -> Payment:
    """Settle an exception (a line the bank return left open) by hand: paid with the
    bank's reference, or failed with a reason code."""
    batch = _lock(payment.batch)
    _require_bureau(actor, batch.region_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if batch.status != BatchStatus.APPROVED or payment.status not in OPEN_LINES:
        raise ValidationError(
            f"该明细状态为“{payment.get_status_display()}”，不需要处理。"
        )
    bank_reference = (bank_reference or "").strip()
    on = on or timezone.localdate()
    before = {"status": payment.status}
    if paid:
        if not bank_reference:
            raise ValidationError("已到账须填写银行流水号。")
        settle_paid(
            payment=payment,
            bank_reference=bank_reference,
            on=on,
            by=actor,
            how="resolved_by",
            request=request,
        )
    else:
        if failure_code not in FailureCode.values:
            raise ValidationError("请选择失败原因。")
        settle_failed(
            payment=payment,
            failure_code=failure_code,
            note=(note or "").strip(),
            bank_reference=bank_reference,
            on=on,
            by=actor,
            how="resolved_by",
            request=request,
        )
    payment.refresh_from_db()
    audit_record(
        actor=actor,
        action="subsidies.payment.resolve",
        obj=payment,
        before=before,
        after={"status": payment.status, "failure_code": payment.failure_code},
        reason=note,
        request=request,
    )
    reconcile_if_settled(batch, actor=actor, request=request)
    return payment


@transaction.atomic
def payment_reverse(
    *,
    payment: Payment,
    amount,
    reason: str,
    bank_reference: str,
    on: dt.date,
    actor,
    request=None,
) -> Reversal:
    """冲正: money the bank took back after paying. Recorded; the paid claims stay."""
    batch = _lock(payment.batch)
    _require_bureau(actor, batch.region_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.PAID:
        raise ValidationError("只有已到账的明细可以登记冲正。")
    reason = _require_reason(reason, "冲正")
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationError("请填写冲正的银行流水号。")
    try:
        amount = cents(amount)
    except ArithmeticError:
        raise ValidationError("冲正金额格式不正确。") from None
    already = cents(payment.reversals.aggregate(s=Sum("amount"))["s"])
    left = cents(payment.amount - already)
    if amount <= 0 or amount > left:
        raise ValidationError(f"冲正金额须大于 0 且不超过未冲正的 {left:,} 元。")
    reversal = Reversal(
        payment=payment,
        amount=amount,
        reason=reason[:200],
        bank_reference=bank_reference,
        on=on,
        recorded_by=actor,
    )
    reversal.full_clean()
    reversal.save()
    if amount == left:
        Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.REVERSED)
    audit_record(
        actor=actor,
        action="subsidies.payment.reverse",
        obj=payment,
        after={"amount": str(amount), "bank_reference": bank_reference},
        reason=reason,
        request=request,
    )
    return reversal
