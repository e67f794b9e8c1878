"""The job row of an import: an abstract model, made concrete by the app that owns the
import's target (``courses.models.ImportUpload``, keyed by its training class)."""

import io
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models

from training_platform import pii


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "已预览待确认"
    QUEUED = "queued", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已导入"
    REFUSED = "refused", "未导入（有错误）"
    FAILED = "failed", "导入失败"
    EXPIRED = "expired", "已过期（文件已删除）"


# Errors kept in ``ImportJob.summary``; the total is kept beside them.
SUMMARY_ERRORS_KEPT = 1000


class ImportJob(models.Model):
    """One uploaded import file, from preview to import.

    Personal data (PIPL): ``file`` holds what the file holds (names, ID numbers,
    phones), stored encrypted (``store_file`` / ``open_file``, AES-GCM under the PII
    key ring, purpose ``FILE_PURPOSE``). It is deleted as soon as the import succeeds;
    uploads that never got that far lose their file after 7 days
    (``services.upload_cleanup``, status ``expired``). ``summary`` holds only counts
    and row-numbered error messages, never an ID number or a name, and at most
    ``SUMMARY_ERRORS_KEPT`` errors (``set_summary``).

    The concrete model adds the import's target (a foreign key) and ``target``, a
    property returning it.
    """

    FILE_PURPOSE = "imports.file"  # the concrete model keeps the one its files have

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="上传人",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    original_name = models.CharField("原文件名", max_length=255, blank=True)
    row_count = models.PositiveIntegerField("数据行数", default=0)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=ImportStatus.choices,
        default=ImportStatus.PREVIEWED,
    )
    summary = models.JSONField("结果摘要", default=dict, blank=True)
    progress = models.PositiveIntegerField("已处理行数", default=0)
    task_id = models.CharField("后台任务", max_length=64, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def target(self):
        raise NotImplementedError

    def set_summary(self, summary: dict) -> None:
        """Keep ``summary`` with its first ``SUMMARY_ERRORS_KEPT`` errors and the total
        (``error_count``), so a huge bad file cannot grow the row without bound."""
        summary = dict(summary)
        errors = summary.get("errors") or []
        summary["error_count"] = summary.get("error_count", len(errors))
        summary["errors"] = list(errors[:SUMMARY_ERRORS_KEPT])
        self.summary = summary

    @property
    def error_count(self) -> int:
        """Every error found, including those not kept in ``summary``."""
        summary = self.summary or {}
        return summary.get("error_count", len(summary.get("errors") or []))

    @property
    def errors_truncated(self) -> bool:
        return self.error_count > len((self.summary or {}).get("errors") or [])

    def store_file(self, fileobj) -> None:
        """Keep the uploaded bytes encrypted at rest under a random name."""
        sealed = pii.encrypt_bytes(fileobj.read(), purpose=self.FILE_PURPOSE)
        self.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(sealed), save=False)

    def open_file(self) -> io.BytesIO:
        """The uploaded file, decrypted in memory."""
        with self.file.open("rb") as stored:
            return io.BytesIO(
                pii.decrypt_bytes(stored.read(), purpose=self.FILE_PURPOSE)
            )
