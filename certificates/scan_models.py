"""核查记录: an auditor's spot-check session from the scanner (``/verify/scan/``), saved.

A session (:class:`SpotCheck`) says who checked, when and where; its items
(:class:`SpotCheckItem`) what each scanned QR was: the certificate when the QR was
genuinely ours, the signature verdict and the certificate's status, all worked out on
the server when the session is saved (the browser's own verdicts are not trusted).
Imported by ``certificates.models`` so that Django sees the models.
"""

from django.conf import settings
from django.db import models

from certificates.models import Certificate, DisplayStatus


class SpotCheckVerdict(models.TextChoices):
    """What the QR's signature said (``signing.verify_qr_text``), in the auditor's words."""

    GENUINE = "genuine", "签名有效"
    TAMPERED = "tampered", "签名无效（内容被篡改）"
    UNKNOWN_KEY = "unknown_key", "未知的签名密钥"
    MISMATCH = "mismatch", "签名与网址中的证书不符"
    MALFORMED = "malformed", "格式错误"
    FOREIGN = "foreign", "不是本平台的证书二维码"


class SpotCheckStatus(models.TextChoices):
    """The certificate's status when the session was saved ("" when the QR was not ours)."""

    VALID = DisplayStatus.VALID.value, DisplayStatus.VALID.label
    EXPIRED = DisplayStatus.EXPIRED.value, DisplayStatus.EXPIRED.label
    REVOKED = DisplayStatus.REVOKED.value, DisplayStatus.REVOKED.label
    SUPERSEDED = DisplayStatus.SUPERSEDED.value, DisplayStatus.SUPERSEDED.label
    NOT_FOUND = "not_found", "平台上未找到"
    NONE = "", "—"


class SpotCheck(models.Model):
    """核查记录: one saved spot-check session (抽查)."""

    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="核查人",
    )
    saved_at = models.DateTimeField("保存时间", auto_now_add=True, db_index=True)
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间")
    place = models.CharField("核查地点", max_length=200, blank=True)
    latitude = models.DecimalField(
        "纬度", max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        "经度", max_digits=9, decimal_places=6, null=True, blank=True
    )

    class Meta:
        verbose_name = "核查记录"
        verbose_name_plural = "核查记录"
        ordering = ["-saved_at", "-id"]

    def __str__(self):
        return f"核查记录 {self.pk}（{self.started_at:%Y-%m-%d %H:%M}）"


class SpotCheckItem(models.Model):
    """One scanned QR of a spot-check session."""

    spot_check = models.ForeignKey(
        SpotCheck,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name="核查记录",
    )
    certificate = models.ForeignKey(
        Certificate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="spot_checks",
        verbose_name="证书",
    )
    number = models.CharField("证书编号", max_length=40, blank=True)
    verdict = models.CharField(
        "签名核验", max_length=12, choices=SpotCheckVerdict.choices
    )
    status = models.CharField(
        "证书状态", max_length=12, choices=SpotCheckStatus.choices, blank=True
    )
    scanned_at = models.DateTimeField("扫码时间")

    class Meta:
        verbose_name = "核查条目"
        verbose_name_plural = "核查条目"
        ordering = ["scanned_at", "id"]

    def __str__(self):
        return f"{self.number or '—'} {self.get_verdict_display()}"

    @property
    def holder_masked(self) -> str:
        return self.certificate.masked_holder_name if self.certificate_id else "—"
