"""银行回盘文件: the bank's answer to a batch's file, applied through the import pipeline.

Each row names a payment line by its reference (支付参考号, echoed by the bank), its
amount, the result (成功/失败), the bank's 流水号, a failure reason (账户已销户、户名不符、
账号错误、账户冻结、其他) and the date. The file is refused as a whole (nothing applied)
when it contradicts itself (a reference twice), names a reference not in the batch, an
amount differs from the line, or its totals exceed the batch's declared control totals.

Applying: a 成功 line and its claims become paid (paid_on, bank reference), a 失败 line
fails with its reason code and its claims go back to the queue (拨付失败); lines the
file does not mention become exceptions to resolve by hand (``batches.payment_resolve``).
Claims move as a SYSTEM step (no actor); the uploader is named in each event's ``after``.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from subsidies import batches, policies
from subsidies.models import (
    BatchStatus,
    DisbursementBatch,
    FailureCode,
    Payment,
    PaymentStatus,
)
from training_platform import xlsx
from training_platform.audit.services import audit_record
from training_platform.errors import error_text
from training_platform.imports.kinds import (
    Column,
    ImportKind,
    PlannedRow,
    RowError,
    errors_as_dicts,
)

COLUMNS: tuple[Column, ...] = (
    Column("reference", "支付参考号", ("参考号", "业务参考号", "附言"), required=True),
    Column("amount", "金额", ("金额（元）", "交易金额", "金额(元)"), required=True),
    Column("result", "处理结果", ("结果", "交易状态", "状态"), required=True),
    Column("bank_reference", "银行流水号", ("流水号", "交易流水号")),
    Column("failure", "失败原因", ("失败原因代码", "原因")),
    Column("date", "处理日期", ("交易日期", "日期")),
)
HEADERS = {c.key: c.header for c in COLUMNS}

PAID = "paid"
FAILED = "failed"
ALREADY = "already"
RESULTS = {
    "成功": PAID,
    "已成功": PAID,
    "成功到账": PAID,
    "已到账": PAID,
    "失败": FAILED,
    "已失败": FAILED,
    "退回": FAILED,
}
FAILURES = {c.label: c.value for c in FailureCode} | {
    c.value: c.value for c in FailureCode
}
FAILURE_CHOICES_TEXT = "、".join(FailureCode.labels)


def parse_amount(text: str) -> Decimal | None:
    text = (text or "").replace(",", "").replace("，", "").replace("元", "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.quantize(batches.CENT):
        return None
    return value.quantize(batches.CENT)


@dataclass(slots=True)
class Line:
    row: int
    payment: Payment
    result: str  # PAID / FAILED / ALREADY
    amount: Decimal
    bank_reference: str
    failure_code: str = ""
    note: str = ""
    on: dt.date | None = None


@dataclass
class ReturnPlan:
    batch: DisbursementBatch
    rows: int = 0
    lines: list[Line] = field(default_factory=list)
    missing: list[Payment] = field(default_factory=list)  # become exceptions
    errors: list[RowError] = field(default_factory=list)
    entries: list[PlannedRow] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for line in self.lines if line.result == result)

    def summary(self) -> dict:
        return _summary(
            rows=self.rows,
            paid=self.count(PAID),
            failed=self.count(FAILED),
            exceptions=len(self.missing),
            already=self.count(ALREADY),
            errors=self.errors,
        )

    def people(self) -> list[PlannedRow]:
        return list(self.entries)


def _summary(*, rows, paid, failed, exceptions, already, errors) -> dict:
    return {
        "rows": rows,
        "paid": paid,
        "failed": failed,
        "exceptions": exceptions,
        "already": already,
        "errors": errors_as_dicts(errors),
    }


def _settled_as(payment: Payment) -> str:
    return {PaymentStatus.PAID: PAID, PaymentStatus.FAILED: FAILED}.get(
        payment.status, ""
    )


def return_plan(*, batch: DisbursementBatch, rows) -> ReturnPlan:
    """Check the whole file against the batch and plan each line (no writes)."""
    batch = DisbursementBatch.objects.get(pk=batch.pk)
    plan = ReturnPlan(batch=batch)
    if batch.status not in (BatchStatus.APPROVED, BatchStatus.RECONCILED):
        plan.errors.append(RowError(0, "", "只有已复核的批次可以上传回盘文件。"))
    payments = {p.reference: p for p in batch.payments.order_by("pk")}
    seen: dict[str, int] = {}
    total = Decimal("0.00")
    claim_total = 0
    for number, cells in rows:
        plan.rows += 1
        errors: list[str] = []

        def error(key, message, errors=errors, number=number):
            errors.append(message)
            plan.errors.append(RowError(number, HEADERS[key] if key else "", message))

        reference = (cells.get("reference") or "").strip()
        payment = payments.get(reference)
        if not reference:
            error("reference", "请填写支付参考号。")
        elif reference in seen:
            error(
                "reference",
                f"支付参考号“{reference}”与第 {seen[reference]} 行重复，文件前后矛盾。",
            )
        elif payment is None:
            error("reference", f"支付参考号“{reference}”不属于批次 {batch.code}。")
        else:
            seen[reference] = number
        amount = parse_amount(cells.get("amount") or "")
        if amount is None:
            error("amount", "金额格式不正确，应为数字，最多两位小数。")
        elif payment is not None and amount != payment.amount:
            error(
                "amount", f"金额 {amount:,} 元与拨付明细的 {payment.amount:,} 元不符。"
            )
        result = RESULTS.get((cells.get("result") or "").strip(), "")
        if not result:
            error("result", "处理结果应填“成功”或“失败”。")
        bank_reference = (cells.get("bank_reference") or "").strip()[:64]
        failure_code = ""
        if result == PAID and not bank_reference:
            error("bank_reference", "成功的明细须有银行流水号。")
        if result == FAILED:
            failure_code = FAILURES.get((cells.get("failure") or "").strip(), "")
            if not failure_code:
                error("failure", f"失败的明细须填写失败原因：{FAILURE_CHOICES_TEXT}。")
        on = None
        if text := (cells.get("date") or "").strip():
            try:
                on = xlsx.parse_date(text)
            except ValidationError as exc:
                error("date", error_text(exc))
        if payment is not None and amount is not None:
            total += amount
            claim_total += payment.claim_count
        who = payment.payee_shown if payment is not None else ""
        ident = payment.masked_account if payment is not None else ""
        if errors:
            plan.entries.append(
                PlannedRow(number, who, "error", "；".join(errors), ident)
            )
            continue
        settled = _settled_as(payment)
        if payment.status not in batches.OPEN_LINES:
            if settled == result:
                plan.lines.append(
                    Line(number, payment, ALREADY, amount, bank_reference)
                )
                plan.entries.append(
                    PlannedRow(number, who, ALREADY, "此前已对账，不重复处理", ident)
                )
            else:
                message = (
                    f"该明细此前已对账为“{payment.get_status_display()}”，"
                    "与本文件不符，请核实后手工处理。"
                )
                plan.errors.append(RowError(number, HEADERS["result"], message))
                plan.entries.append(PlannedRow(number, who, "error", message, ident))
            continue
        line = Line(
            number,
            payment,
            result,
            amount,
            bank_reference,
            failure_code=failure_code,
            on=on,
        )
        plan.lines.append(line)
        if result == PAID:
            detail = f"{amount:,} 元到账，{payment.claim_count} 笔申领标记为已拨付"
        else:
            detail = (
                f"拨付失败（{FailureCode(failure_code).label}），"
                f"{payment.claim_count} 笔申领退回待拨付队列"
            )
        plan.entries.append(PlannedRow(number, who, result, detail, ident))
    if total > batch.declared_amount or claim_total > batch.declared_count:
        plan.errors.append(
            RowError(
                0,
                "",
                f"文件合计 {total:,} 元、{claim_total} 笔，超过批次申报的"
                f" {batch.declared_amount:,} 元、{batch.declared_count} 笔。",
            )
        )
    if not plan.errors:
        plan.missing = [
            p
            for ref, p in payments.items()
            if ref not in seen and p.status in batches.OPEN_LINES
        ]
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _require_uploader(actor, batch: DisbursementBatch) -> None:
    if not policies.is_bureau_over(actor, batch.region_id):
        raise PermissionDenied("只有本地区人社部门的工作人员可以上传回盘文件。")


class _Refused(Exception):
    pass


def return_apply(*, plan: ReturnPlan, actor, request=None) -> dict:
    """Apply a plan without errors, all or nothing, under the batch's lock (re-planned
    there so a line settled meanwhile is not settled twice)."""
    _require_uploader(actor, plan.batch)
    if plan.errors:
        raise ValidationError("回盘文件有错误，未做任何处理。")
    with transaction.atomic():
        batch = DisbursementBatch.objects.select_for_update().get(pk=plan.batch.pk)
        # The lines as they are now (a hand resolution may have come first).
        fresh = {
            p.pk: p
            for p in Payment.objects.select_for_update()
            .filter(batch=batch)
            .order_by("pk")
        }
        for line in plan.lines:
            current = fresh[line.payment.pk]
            if line.result != ALREADY and current.status not in batches.OPEN_LINES:
                raise ValidationError(
                    "对账期间批次发生了变化，本次未做任何处理，请重新上传。"
                )
        on_default = timezone.localdate()
        for line in plan.lines:
            payment = fresh[line.payment.pk]
            if line.result == PAID:
                batches.settle_paid(
                    payment=payment,
                    bank_reference=line.bank_reference,
                    on=line.on or on_default,
                    by=actor,
                    how="uploaded_by",
                    request=request,
                )
            elif line.result == FAILED:
                batches.settle_failed(
                    payment=payment,
                    failure_code=line.failure_code,
                    note="",
                    bank_reference=line.bank_reference,
                    on=line.on,
                    by=actor,
                    how="uploaded_by",
                    request=request,
                )
        missing = [p.pk for p in plan.missing]
        Payment.objects.filter(pk__in=missing, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.EXCEPTION, failure_note="回盘文件中没有此笔，待核实"
        )
        summary = _summary(
            rows=plan.rows,
            paid=plan.count(PAID),
            failed=plan.count(FAILED),
            exceptions=len(missing),
            already=plan.count(ALREADY),
            errors=[],
        )
        audit_record(
            actor=actor,
            action="subsidies.batch.bank_return",
            obj=batch,
            after={k: v for k, v in summary.items() if k != "errors"},
            request=request,
        )
        batches.reconcile_if_settled(batch, actor=actor, request=request)
    return summary


class BankReturnImport(ImportKind):
    key = "bank_return"
    noun = "回盘文件"
    columns = COLUMNS
    counts = ("paid", "failed", "exceptions", "already")
    text_keys = frozenset({"reference", "bank_reference"})
    empty_message = "回盘文件中没有明细，请核对后再上传。"
    outcomes = (
        (PAID, "到账"),
        (FAILED, "失败"),
        (ALREADY, "此前已对账"),
    )
    who_key = "reference"
    ident_key = "bank_reference"

    def authorize(self, *, actor, target) -> None:
        _require_uploader(actor, target)

    def plan(self, *, target, rows) -> ReturnPlan:
        return return_plan(batch=target, rows=rows)

    def apply(self, *, plan, actor=None, request=None) -> dict:
        return return_apply(plan=plan, actor=actor, request=request)


BANK_RETURN = BankReturnImport()


def return_template(batch: DisbursementBatch) -> bytes:
    """A return file pre-filled with the batch's references and amounts (for banks
    that fill in ours; also what the tests write)."""
    return xlsx.write_xlsx(
        [c.header for c in COLUMNS],
        [
            [p.reference, p.amount, "", "", "", ""]
            for p in batch.payments.order_by("pk")
        ],
        sheet_title="回盘",
        text_columns={0, 3},
        validations={2: ["成功", "失败"], 4: list(FailureCode.labels)},
    )
