"""Certificates: issued from a qualifying fact, numbered, signed, verifiable, revocable.

A certificate freezes what it says about its holder at issue (name, masked ID, the keyed
hash of the ID for the public number + name + ID query): later edits to the person never
change an issued certificate. Status moves valid → revoked or valid → superseded (by a
reissue); "expired" is not stored, it is read from ``expires_on``.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bases.models import TrainingInstitution
from courses.models import Enrolment, TrainingClass
from trainees.models import Trainee
from training_platform import pii
from training_platform.imports.models import ImportJob
from training_platform.jobs import job_percent
from training_platform.reference.models import (
    CertificateKind,
    Occupation,
    Region,
    SkillLevel,
)


def new_token() -> str:
    """A random verification token: 128 bits, URL-safe, 22 characters."""
    return secrets.token_urlsafe(16)


class CertificateStatus(models.TextChoices):
    VALID = "valid", "有效"
    REVOKED = "revoked", "已撤销"
    SUPERSEDED = "superseded", "已换发"


class DisplayStatus(models.TextChoices):
    """What a verifier is told: the stored status, with expiry read from the dates."""

    VALID = "valid", "有效"
    EXPIRED = "expired", "已过期"
    REVOKED = "revoked", "已撤销"
    SUPERSEDED = "superseded", "已换发新证"


def display_status_of(
    status: str, expires_on: dt.date | None, today: dt.date | None = None
) -> str:
    """What a verifier is told for a stored status and expiry date."""
    if status == CertificateStatus.REVOKED:
        return DisplayStatus.REVOKED
    if status == CertificateStatus.SUPERSEDED:
        return DisplayStatus.SUPERSEDED
    if expires_on is not None and expires_on < (today or timezone.localdate()):
        return DisplayStatus.EXPIRED
    return DisplayStatus.VALID


def display_status_q(value: str) -> Q:
    """The rows :func:`display_status_of` gives ``value`` for, as a query."""
    today = timezone.localdate()
    not_expired = Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    return {
        DisplayStatus.VALID: Q(status=CertificateStatus.VALID) & not_expired,
        DisplayStatus.EXPIRED: Q(status=CertificateStatus.VALID, expires_on__lt=today),
        DisplayStatus.REVOKED: Q(status=CertificateStatus.REVOKED),
        DisplayStatus.SUPERSEDED: Q(status=CertificateStatus.SUPERSEDED),
    }[value]


class IssueBasis(models.TextChoices):
    ASSESSMENT = "assessment", "培训考核合格"
    AWARD = "award", "竞赛获奖"
    EVALUATION = "evaluation", "评价机构认定"
    REISSUE = "reissue", "换发"


class Certificate(models.Model):
    """证书. Personal data (PIPL): ``holder_name`` in full; the ID only masked and hashed."""

    number = models.CharField("证书编号", max_length=32, unique=True)
    token = models.CharField(
        "核验码", max_length=32, unique=True, default=new_token, editable=False
    )
    kind = models.CharField("证书类型", max_length=20, choices=CertificateKind.choices)
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", verbose_name="职业"
    )
    # Frozen at issue, like the holder: renaming the occupation in the reference data
    # later does not change what an issued certificate says.
    occupation_name = models.CharField("职业（工种）名称", max_length=120)
    level = models.CharField(
        "等级", max_length=1, choices=SkillLevel.choices, blank=True
    )
    trainee = models.ForeignKey(
        Trainee,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name="持证人",
    )
    # Frozen at issue (the person's later edits do not change the certificate).
    holder_name = models.CharField("持证人姓名", max_length=40)
    holder_id_masked = models.CharField("持证人证件号（脱敏）", max_length=18)
    holder_id_hash = models.CharField(
        "持证人身份证号索引", max_length=64, db_index=True, editable=False
    )
    issuer = models.ForeignKey(
        TrainingInstitution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发证机构",
    )
    issuer_name = models.CharField("发证机构名称", max_length=100)
    # Where it was issued (the issuer's region, or the province): regional roles' scope.
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="发证地区"
    )
    issued_on = models.DateField("发证日期")
    expires_on = models.DateField("有效期至", null=True, blank=True)
    basis = models.CharField("发证依据", max_length=12, choices=IssueBasis.choices)
    # The qualifying fact, as a key unique among original issues: "enrolment:<id>:<kind>",
    # "award:<key>", "evaluation:<org>:<person>:<occupation>:<level>:<kind>".
    fact_key = models.CharField("依据标识", max_length=120, editable=False)
    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
        verbose_name="培训报名",
    )
    basis_note = models.TextField("认定理由", blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="签发人",
    )
    status = models.CharField(
        "状态",
        max_length=12,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
    )
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_reason = models.TextField("撤销原因", blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name="原证书",
    )
    # Denormalised from the reissue so that verification needs no reverse lookup.
    superseded_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="换发的新证书",
    )
    superseded_at = models.DateTimeField("换发时间", null=True, blank=True)
    reissue_reason = models.TextField("换发原因", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "证书"
        verbose_name_plural = "证书"
        ordering = ["-issued_on", "-id"]
        permissions = [("issue_certificate", "可签发证书")]
        constraints = [
            # Never twice for the same fact; a reissue carries its original's fact.
            models.UniqueConstraint(
                fields=["fact_key"],
                condition=Q(replaces__isnull=True),
                name="one_certificate_per_fact",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(expires_on__gte=models.F("issued_on")),
                name="certificate_expiry_after_issue",
            ),
            models.CheckConstraint(
                condition=~Q(status=CertificateStatus.REVOKED)
                | Q(revoked_at__isnull=False),
                name="revoked_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=CertificateStatus.SUPERSEDED)
                | Q(superseded_by__isnull=False),
                name="superseded_has_successor",
            ),
        ]
        indexes = [models.Index(fields=["trainee", "issued_on"])]

    def __str__(self):
        return f"{self.number} {self.get_kind_display()}"

    def display_status(self, today: dt.date | None = None) -> str:
        return display_status_of(self.status, self.expires_on, today)

    @property
    def masked_holder_name(self) -> str:
        return pii.mask_name(self.holder_name)


class CertificateSeries(models.Model):
    """The last serial used under one number prefix; rows are locked by UPDATE."""

    prefix = models.CharField("编号前缀", max_length=24, unique=True)
    last_serial = models.PositiveIntegerField("已用序号", default=0)

    class Meta:
        verbose_name = "证书编号序列"
        verbose_name_plural = "证书编号序列"

    def __str__(self):
        return f"{self.prefix} → {self.last_serial}"


class VerificationChannel(models.TextChoices):
    PAGE = "page", "核验页面"
    API = "api", "接口"
    QUERY = "query", "编号+姓名+证件号查询"


class VerificationOutcome(models.TextChoices):
    VALID = "valid", "有效"
    EXPIRED = "expired", "已过期"
    REVOKED = "revoked", "已撤销"
    SUPERSEDED = "superseded", "已换发"
    NOT_FOUND = "not_found", "未找到"
    TAMPERED = "tampered", "签名无效"


# What a log row's ``signature`` says, in words (None: the link carried no signature).
SIGNATURE_LABELS = {True: "签名有效", False: "签名无效", None: "无签名"}


class VerificationLog(models.Model):
    """One verification, for auditors. Never stores a name or an ID number."""

    # Written on every public verification: keep Wagtail's reference index (queries
    # on each save) out of that hot path; nothing refers to a log row.
    wagtail_reference_index_ignore = True

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    channel = models.CharField(
        "方式", max_length=8, choices=VerificationChannel.choices
    )
    # What was asked: the token, or for a query the certificate number (truncated).
    asked = models.CharField("查询内容", max_length=64)
    certificate = models.ForeignKey(
        Certificate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="verifications",
        db_constraint=False,
        verbose_name="证书",
    )
    outcome = models.CharField(
        "结果", max_length=12, choices=VerificationOutcome.choices
    )
    signature = models.BooleanField("二维码签名有效", null=True, blank=True)
    client_ip = models.GenericIPAddressField("客户端", null=True, blank=True)

    class Meta:
        verbose_name = "核验记录"
        verbose_name_plural = "核验记录"
        ordering = ["-at", "-id"]
        indexes = [
            # Auditors search the log by certificate number: a query that found
            # nothing is known only by the number asked (prefix search on PostgreSQL).
            models.Index(
                fields=["asked"],
                name="verification_query_asked",
                condition=Q(channel="query"),
                opclasses=["varchar_pattern_ops"],
            )
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.asked} {self.outcome}"

    @property
    def signature_label(self) -> str:
        """The QR signature's verdict in words: 签名有效 / 签名无效 / 无签名."""
        return SIGNATURE_LABELS[self.signature]

    @property
    def holder_masked(self) -> str:
        """The holder as the certificate page shows them (masked), or —."""
        return self.certificate.masked_holder_name if self.certificate_id else "—"


class IssueBatchStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "发证中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class IssueBatch(models.Model):
    """批量发证: certificates for every qualifying enrolment of a class, in the background."""

    training_class = models.ForeignKey(
        TrainingClass,
        on_delete=models.CASCADE,
        related_name="certificate_batches",
        verbose_name="培训班",
    )
    kind = models.CharField("证书类型", max_length=20, choices=CertificateKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="申请人",
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    status = models.CharField(
        "状态",
        max_length=8,
        choices=IssueBatchStatus.choices,
        default=IssueBatchStatus.QUEUED,
    )
    total = models.PositiveIntegerField("待发证人数", default=0)
    done = models.PositiveIntegerField("已处理", default=0)
    summary = models.JSONField("结果摘要", default=dict, blank=True)
    task_id = models.CharField("后台任务", max_length=64, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "批量发证"
        verbose_name_plural = "批量发证"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.training_class_id} · {self.get_kind_display()}"

    @property
    def percent(self) -> int:
        return job_percent(self.done, self.total)


class EvaluationUpload(ImportJob):
    """One uploaded file of evaluation decisions (认定结果) of an evaluation organisation,
    from preview to issue: the pipeline's job row (``training_platform.imports``), with
    the organisation as its target (``certificates.evaluation_import``).

    Personal data (PIPL): see ``ImportJob``; the file (names, ID numbers) is encrypted,
    deleted once the certificates are issued and after 7 days otherwise.
    """

    FILE_PURPOSE = "certificates.evaluationupload.file"

    organisation = models.ForeignKey(
        TrainingInstitution,
        on_delete=models.CASCADE,
        related_name="evaluation_uploads",
        verbose_name="评价机构",
    )
    file = models.FileField("文件", upload_to="evaluations/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "认定结果导入"
        verbose_name_plural = "认定结果导入"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The cleanup looks for old uploads that never completed.
            models.Index(fields=["created_at", "status"], name="evaluationupload_age"),
        ]

    def __str__(self):
        return f"{self.organisation_id} · {self.original_name}"

    @property
    def target(self) -> TrainingInstitution:
        return self.organisation


# --- c14-scanner ---
# 核查记录 (the scanner's saved spot-check sessions) live in their own module.
from certificates.scan_models import (  # noqa: E402, F401
    SpotCheck,
    SpotCheckItem,
)

# --- end c14-scanner ---
