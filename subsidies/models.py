"""Training subsidies (培训补贴 / 证书直补): standards, claims, checks, notice, batches.

Money follows a verified result. A claim rests on a certificate and/or an enrolment and
on the standard (补贴标准) that applied on the certificate's date; every pre-check is
stored with a sentence a reviewer can read; every move of a claim goes through
``subsidies.workflow`` (one transition table, each step audited).

No entitlement is paid twice: live claims hold their entitlement (person + kind +
occupation + level) and one of the person's yearly use slots under unique constraints,
and the services lock rows. A paid claim is frozen by a database trigger
(``training_platform.sql.frozen_paid_claim_sql``, installed by a migration).

Personal data: ``payee_account`` is encrypted at rest and shown masked.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from bases.models import TrainingInstitution
from certificates.models import Certificate
from courses.models import Enrolment
from trainees.models import Trainee
from training_platform import pii
from training_platform.imports.models import ImportJob
from training_platform.reference.models import (
    CertificateKind,
    KeyGroup,
    Occupation,
    Region,
    SkillLevel,
)

PAYEE_ACCOUNT_PURPOSE = "subsidies.claim.payee_account"


def payee_account_hash(account: str) -> str:
    """The keyed blind index of an account number ("" for none)."""
    account = (account or "").replace(" ", "")
    return pii.blind_index(account, purpose=PAYEE_ACCOUNT_PURPOSE) if account else ""


#: The most use slots a person can hold in one year: 3 for all training subsidies, plus
#: the 2 extra uses of 急需紧缺 occupations (domain.md §3). The standards say how many a
#: given case may use; the database refuses anything above this.
MAX_USE_SLOTS = 5


class SubsidyKind(models.TextChoices):
    TRAINING = "training", "职业培训补贴"
    SKILL_UPGRADE = "skill_upgrade", "技能提升补贴"
    EVALUATION = "evaluation", "职业技能评价补贴"
    LIVING = "living", "生活费补贴"
    WORK_FOR_TRAINING = "work_for_training", "以工代训补贴"


class PayeeKind(models.TextChoices):
    PERSON = "person", "个人"
    INSTITUTION = "institution", "培训机构"


class AccountKind(models.TextChoices):
    BANK = "bank", "银行账户"
    SOCIAL_SECURITY = "social_security", "社会保障卡"
    INSTITUTION = "institution", "机构基本账户"


class SubsidyStandard(models.Model):
    """补贴标准: what a case is worth, where and when (edited by the province bureau)."""

    name = models.CharField("标准名称", max_length=80)
    kind = models.CharField("补贴类型", max_length=20, choices=SubsidyKind.choices)
    payee = models.CharField("补贴对象", max_length=12, choices=PayeeKind.choices)
    certificate_kind = models.CharField(
        "证书类型", max_length=20, choices=CertificateKind.choices
    )
    level = models.CharField(
        "等级",
        max_length=1,
        choices=SkillLevel.choices,
        blank=True,
        help_text="留空表示不分等级（如专项职业能力证书、培训合格证书）",
    )
    occupations = models.ManyToManyField(
        Occupation,
        blank=True,
        related_name="+",
        verbose_name="适用职业（工种）",
        help_text="留空表示所有职业；填写时（如急需紧缺职业目录）优先于不限职业的标准",
    )
    amount = models.DecimalField("补贴金额（元）", max_digits=10, decimal_places=2)
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="适用地区",
        help_text="全省或某一市（州）；市（州）标准优先于全省标准",
    )
    key_groups = models.ManyToManyField(
        KeyGroup,
        blank=True,
        related_name="+",
        verbose_name="适用重点群体",
        help_text="留空表示不限群体",
    )
    attendance_threshold = models.DecimalField(
        "出勤率要求（%）", max_digits=5, decimal_places=2, default=80
    )
    claim_window_months = models.PositiveSmallIntegerField(
        "申领期限（月）", default=12, help_text="自发证之日起"
    )
    uses_per_year = models.PositiveSmallIntegerField(
        "每人每年次数",
        default=3,
        help_text="本人当年同类补贴次数上限（各类合计另有每年 3 次的上限）",
    )
    extra_uses_per_year = models.PositiveSmallIntegerField(
        "额外次数", default=0, help_text="如急需紧缺职业每年另加 2 次"
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "补贴标准"
        verbose_name_plural = "补贴标准"
        ordering = ["kind", "certificate_kind", "level", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="subsidy_standard_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="subsidy_standard_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(attendance_threshold__gte=0)
                & Q(attendance_threshold__lte=100),
                name="subsidy_standard_threshold_percent",
            ),
        ]

    def __str__(self):
        return self.name

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (
            self.valid_to is None or day <= self.valid_to
        )


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    UNDER_REVIEW = "under_review", "审核中"
    RETURNED = "returned", "退回补正"
    REJECTED = "rejected", "不予通过"
    APPROVED = "approved", "审核通过"
    IN_NOTICE = "in_notice", "公示中"
    NOTICED = "noticed", "公示期满待拨付"
    IN_BATCH = "in_batch", "拨付中"
    PAID = "paid", "已拨付"
    PAYMENT_FAILED = "payment_failed", "拨付失败"
    WITHDRAWN = "withdrawn", "已撤回"


#: Claims that hold their entitlement and a yearly use slot. Draft, rejected and withdrawn
#: claims hold nothing (a new claim may be filed).
LIVE_STATUSES = (
    ClaimStatus.SUBMITTED,
    ClaimStatus.UNDER_REVIEW,
    ClaimStatus.RETURNED,
    ClaimStatus.APPROVED,
    ClaimStatus.IN_NOTICE,
    ClaimStatus.NOTICED,
    ClaimStatus.IN_BATCH,
    ClaimStatus.PAID,
    ClaimStatus.PAYMENT_FAILED,
)
LIVE_Q = Q(status__in=LIVE_STATUSES)


class FiledBy(models.TextChoices):
    TRAINEE = "trainee", "本人申领"
    INSTITUTION = "institution", "机构代为申领"


class Claim(models.Model):
    """补贴申领: one entitlement of one person, resting on a certificate and/or enrolment."""

    trainee = models.ForeignKey(
        Trainee, on_delete=models.PROTECT, related_name="+", verbose_name="学员"
    )
    kind = models.CharField("补贴类型", max_length=20, choices=SubsidyKind.choices)
    standard = models.ForeignKey(
        SubsidyStandard,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name="适用标准",
    )
    amount = models.DecimalField("补贴金额（元）", max_digits=10, decimal_places=2)
    certificate = models.ForeignKey(
        Certificate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="证书",
    )
    enrolment = models.ForeignKey(
        Enrolment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="培训记录",
    )
    # The entitlement, copied from the certificate (or the class) when filed.
    occupation = models.ForeignKey(
        Occupation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="职业（工种）",
    )
    level = models.CharField(
        "等级", max_length=1, choices=SkillLevel.choices, blank=True
    )
    # The date the standard was chosen by (the certificate's date, else the class's end).
    basis_date = models.DateField("依据日期")
    use_year = models.PositiveSmallIntegerField("计次年度")
    use_slot = models.PositiveSmallIntegerField(
        "年度第几次", null=True, blank=True, editable=False
    )
    # Whose bureau reviews it: the class's region, else the certificate's.
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="所属地区"
    )
    institution = models.ForeignKey(
        TrainingInstitution,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="培训机构",
    )
    filed_by = models.CharField("申领方式", max_length=12, choices=FiledBy.choices)
    payee_kind = models.CharField("补贴对象", max_length=12, choices=PayeeKind.choices)
    payee_name = models.CharField("收款人", max_length=100)
    account_kind = models.CharField(
        "账户类型", max_length=16, choices=AccountKind.choices
    )
    # Personal data: encrypted; shown masked (last four digits).
    payee_account = pii.EncryptedTextField(
        "收款账号", purpose=PAYEE_ACCOUNT_PURPOSE, blank=True
    )
    payee_account_hash = models.CharField(
        "收款账号索引", max_length=64, blank=True, db_index=True, editable=False
    )
    status = models.CharField(
        "状态", max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT
    )
    checks_failed = models.PositiveSmallIntegerField(
        "未通过的预审项", default=0, editable=False
    )
    override_reason = models.TextField("特批理由", blank=True, editable=False)
    decision_reason = models.TextField("审核意见", blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="填报人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_at = models.DateTimeField(
        "提交时间", null=True, blank=True, editable=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="审核人",
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True, editable=False)
    notice_round = models.ForeignKey(
        "NoticeRound",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name="公示批次",
    )
    payment = models.ForeignKey(
        "Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name="拨付明细",
    )
    paid_on = models.DateField("拨付日期", null=True, blank=True, editable=False)
    bank_reference = models.CharField(
        "银行流水号", max_length=64, blank=True, editable=False
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "补贴申领"
        verbose_name_plural = "补贴申领"
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_claim", "可审核补贴申领"),
            ("reveal_account", "可查看完整收款账号（记录审计）"),
        ]
        constraints = [
            # The entitlement: one live claim per person, kind, occupation and level.
            models.UniqueConstraint(
                fields=["trainee", "kind", "occupation", "level"],
                condition=Q(status__in=LIVE_STATUSES),
                name="claim_one_live_per_entitlement",
            ),
            # The yearly-use rule: each live claim holds one of the person's slots.
            models.UniqueConstraint(
                fields=["trainee", "use_year", "use_slot"],
                condition=Q(status__in=LIVE_STATUSES),
                name="claim_one_live_per_use_slot",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=LIVE_STATUSES)
                | (Q(use_slot__gte=1) & Q(use_slot__lte=MAX_USE_SLOTS)),
                name="claim_live_holds_a_use_slot",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="claim_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(certificate__isnull=False) | Q(enrolment__isnull=False),
                name="claim_rests_on_a_result",
            ),
            models.CheckConstraint(
                condition=~Q(status=ClaimStatus.PAID)
                | (Q(paid_on__isnull=False) & ~Q(bank_reference="")),
                name="claim_paid_has_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "region"]),
            models.Index(fields=["trainee", "use_year"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.payee_name} · {self.amount} 元"

    def save(self, *args, **kwargs):
        # The blind index finds claims sharing one account (anomalies) without the number.
        self.payee_account_hash = payee_account_hash(self.payee_account)
        super().save(*args, **kwargs)

    @property
    def masked_account(self) -> str:
        return pii.mask_account(self.payee_account)

    @property
    def payee_shown(self) -> str:
        """The payee as screens show it: a person masked (张*), an institution by name."""
        if self.payee_kind == PayeeKind.PERSON:
            return pii.mask_name(self.payee_name)
        return self.payee_name


class CheckCode(models.TextChoices):
    """The pre-checks, in the order a reviewer reads them."""

    CERTIFICATE_VALID = "certificate_valid", "证书有效"
    ATTENDANCE = "attendance", "出勤达标"
    KEY_GROUP = "key_group", "属于补贴群体"
    ONCE_PER_LEVEL = "once_per_level", "同一职业同一等级仅补贴一次"
    NO_LOWER_LEVEL = "no_lower_level", "不低于已补贴等级"
    YEARLY_USES = "yearly_uses", "年度次数未超"
    CLAIM_WINDOW = "claim_window", "在申领期限内"
    NO_DUPLICATE = "no_duplicate", "无重复申领"
    PAYEE_ACCOUNT = "payee_account", "收款账户齐全"


class ClaimCheck(models.Model):
    """One pre-check result of a claim's latest run (each run replaces the last)."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="checks", verbose_name="申领"
    )
    code = models.CharField("预审项", max_length=20, choices=CheckCode.choices)
    passed = models.BooleanField("通过")
    message = models.CharField("说明", max_length=300)
    checked_at = models.DateTimeField("预审时间")

    class Meta:
        verbose_name = "预审结果"
        verbose_name_plural = "预审结果"
        ordering = ["claim", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "code"], name="claim_check_once")
        ]

    def __str__(self):
        return f"{self.get_code_display()}：{'通过' if self.passed else '未通过'}"


class NoticeStatus(models.TextChoices):
    OPEN = "open", "公示中"
    CLOSED = "closed", "已结束"


class NoticeRound(models.Model):
    """公示批次: approved claims shown on /notice/ for a number of working days."""

    title = models.CharField("公示标题", max_length=120)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="地区"
    )
    starts_on = models.DateField("公示开始")
    working_days = models.PositiveSmallIntegerField("公示期（工作日）", default=5)
    ends_on = models.DateField("公示截止")
    status = models.CharField(
        "状态", max_length=8, choices=NoticeStatus.choices, default=NoticeStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发布人",
    )
    created_at = models.DateTimeField("发布时间", auto_now_add=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "公示批次"
        verbose_name_plural = "公示批次"
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.title


class ObjectionStatus(models.TextChoices):
    OPEN = "open", "待答复"
    ANSWERED = "answered", "已答复"


class Objection(models.Model):
    """异议: a member of the public questions a claim in notice; holds it until answered."""

    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="objections", verbose_name="申领"
    )
    text = models.TextField("异议内容", max_length=2000)
    contact_name = models.CharField("联系人", max_length=40, blank=True)
    # Personal data of the objector: shown only to the reviewing bureau.
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=ObjectionStatus.choices,
        default=ObjectionStatus.OPEN,
    )
    answer = models.TextField("答复", blank=True)
    upheld = models.BooleanField("异议成立", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="答复人",
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    created_at = models.DateTimeField("提出时间", auto_now_add=True)

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"异议 #{self.pk}"


class BatchStatus(models.TextChoices):
    DRAFT = "draft", "待复核"
    APPROVED = "approved", "已复核待拨付"
    RECONCILED = "reconciled", "已对账"
    CANCELLED = "cancelled", "已作废"


class DisbursementBatch(models.Model):
    """拨付批次: noticed claims grouped by payee, with control totals every step matches."""

    code = models.CharField("批次编号", max_length=30, unique=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="地区"
    )
    status = models.CharField(
        "状态", max_length=12, choices=BatchStatus.choices, default=BatchStatus.DRAFT
    )
    # Control totals, declared when the batch is made; every later step must match them.
    declared_count = models.PositiveIntegerField("申领笔数")
    declared_amount = models.DecimalField(
        "合计金额（元）", max_digits=14, decimal_places=2
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="制单人",
    )
    created_at = models.DateTimeField("制单时间", auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="复核人",
    )
    approved_at = models.DateTimeField("复核时间", null=True, blank=True)
    reconciled_at = models.DateTimeField("对账时间", null=True, blank=True)

    class Meta:
        verbose_name = "拨付批次"
        verbose_name_plural = "拨付批次"
        ordering = ["-created_at", "-id"]
        constraints = [
            # Maker-checker: the person who made a batch never approves it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | ~Q(approved_by=models.F("created_by")),
                name="batch_maker_is_not_checker",
            ),
        ]

    def __str__(self):
        return self.code


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "待银行回盘"
    PAID = "paid", "已到账"
    FAILED = "failed", "失败"
    EXCEPTION = "exception", "异常待处理"
    REVERSED = "reversed", "已退回（冲正）"


class FailureCode(models.TextChoices):
    ACCOUNT_CLOSED = "account_closed", "账户已销户"
    NAME_MISMATCH = "name_mismatch", "户名不符"
    ACCOUNT_INVALID = "account_invalid", "账号错误"
    ACCOUNT_FROZEN = "account_frozen", "账户冻结"
    OTHER = "other", "其他"


class Payment(models.Model):
    """One line of a batch's bank file: one payee, the sum of their claims in the batch."""

    batch = models.ForeignKey(
        DisbursementBatch,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name="拨付批次",
    )
    reference = models.CharField("支付参考号", max_length=40, unique=True)
    payee_kind = models.CharField("补贴对象", max_length=12, choices=PayeeKind.choices)
    payee_name = models.CharField("收款人", max_length=100)
    account_kind = models.CharField(
        "账户类型", max_length=16, choices=AccountKind.choices
    )
    # Personal data: encrypted; shown masked unless the role may reveal it.
    payee_account = pii.EncryptedTextField(
        "收款账号", purpose=PAYEE_ACCOUNT_PURPOSE, blank=True
    )
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    claim_count = models.PositiveIntegerField("申领笔数")
    status = models.CharField(
        "状态",
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
    )
    bank_reference = models.CharField("银行流水号", max_length=64, blank=True)
    failure_code = models.CharField(
        "失败原因", max_length=20, choices=FailureCode.choices, blank=True
    )
    failure_note = models.CharField("说明", max_length=200, blank=True)
    settled_on = models.DateField("银行处理日期", null=True, blank=True)

    class Meta:
        verbose_name = "拨付明细"
        verbose_name_plural = "拨付明细"
        ordering = ["batch", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_amount_positive"
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def masked_account(self) -> str:
        return pii.mask_account(self.payee_account)

    @property
    def payee_shown(self) -> str:
        """The payee as screens show it: a person masked (张*), an institution by name."""
        if self.payee_kind == PayeeKind.PERSON:
            return pii.mask_name(self.payee_name)
        return self.payee_name


class Reversal(models.Model):
    """冲正: money the bank took back after a payment; the paid claim itself never changes."""

    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        related_name="reversals",
        verbose_name="拨付明细",
    )
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    reason = models.CharField("原因", max_length=200)
    bank_reference = models.CharField("银行流水号", max_length=64)
    on = models.DateField("冲正日期")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "冲正记录"
        verbose_name_plural = "冲正记录"
        ordering = ["-recorded_at", "-id"]

    def __str__(self):
        return f"冲正 {self.payment.reference}"


class BankReturnUpload(ImportJob):
    """A bank's returned file (回盘文件) for one batch, through the import pipeline."""

    FILE_PURPOSE = "subsidies.bankreturn.file"

    batch = models.ForeignKey(
        DisbursementBatch,
        on_delete=models.PROTECT,
        related_name="returns",
        verbose_name="拨付批次",
    )
    file = models.FileField("文件", upload_to="bank_returns/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "银行回盘文件"
        verbose_name_plural = "银行回盘文件"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.batch.code} 回盘"

    @property
    def target(self) -> DisbursementBatch:
        return self.batch


# --- bulk approval (maker-checker) -----------------------------------------------------


class ApprovalListStatus(models.TextChoices):
    PREPARED = "prepared", "待复核"
    CONFIRMED = "confirmed", "已复核"


class ApprovalList(models.Model):
    """批量审核通过清单: one reviewer prepares it, another bureau user over the claims'
    region confirms it (each claim is rechecked then, and only those still passing every
    check are approved)."""

    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="制单人",
    )
    prepared_at = models.DateTimeField("制单时间", auto_now_add=True)
    claims = models.ManyToManyField(
        Claim, related_name="approval_lists", verbose_name="申领"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="复核人",
    )
    confirmed_at = models.DateTimeField("复核时间", null=True, blank=True)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=ApprovalListStatus.choices,
        default=ApprovalListStatus.PREPARED,
    )
    # What the confirmation did: approved ids and those left under review (with why).
    outcome = models.JSONField("复核结果", default=dict, blank=True)

    class Meta:
        verbose_name = "批量审核清单"
        verbose_name_plural = "批量审核清单"
        ordering = ["-prepared_at", "-id"]
        constraints = [
            # Maker-checker: the person who prepared a list never confirms it.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True)
                | ~Q(confirmed_by=models.F("prepared_by")),
                name="approval_list_maker_is_not_checker",
            ),
        ]

    def __str__(self):
        return f"批量审核清单 {self.pk}"
