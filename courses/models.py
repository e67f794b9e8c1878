"""Courses (培训项目), classes (培训班) and enrolments, with attendance and assessment."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from bases.models import TrainingBase, TrainingInstitution
from trainees.models import Trainee
from training_platform.imports.models import ImportJob
from training_platform.reference.models import Occupation, Region, SkillLevel


class CourseKind(models.TextChoices):
    EMPLOYMENT = "employment", "就业技能培训"
    UPGRADE = "upgrade", "岗位技能提升培训"
    ENTREPRENEURSHIP = "entrepreneurship", "创业培训"
    WORK_FOR_TRAINING = "work_for_training", "以工代训"
    APPRENTICESHIP = "apprenticeship", "企业新型学徒制"
    SPECIAL_ABILITY = "special_ability", "专项职业能力培训"


class CourseMode(models.TextChoices):
    OFFLINE = "offline", "线下"
    ONLINE = "online", "线上"
    BLENDED = "blended", "线上线下混合"


class Course(models.Model):
    institution = models.ForeignKey(
        TrainingInstitution,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name="培训机构",
    )
    occupation = models.ForeignKey(
        Occupation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="职业（工种）",
    )
    title = models.CharField("项目名称", max_length=120)
    target_level = models.CharField(
        "培训等级",
        max_length=1,
        choices=SkillLevel.choices,
        blank=True,
        help_text="创业培训等不对应等级的项目可留空。",
    )
    kind = models.CharField("培训类型", max_length=20, choices=CourseKind.choices)
    hours = models.PositiveIntegerField(
        "课时", validators=[MinValueValidator(1), MaxValueValidator(2000)]
    )
    fee = models.DecimalField(
        "收费标准（元）",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    subsidised = models.BooleanField("补贴性培训", default=True)
    mode = models.CharField(
        "培训方式",
        max_length=10,
        choices=CourseMode.choices,
        default=CourseMode.OFFLINE,
    )
    description = models.TextField("项目简介", blank=True)
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "培训项目"
        verbose_name_plural = "培训项目"
        ordering = ["institution_id", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fee__gte=0), name="course_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=1), name="course_hours_positive"
            ),
        ]

    def __str__(self):
        return self.title


class ClassStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    FILED = "filed", "已备案待审批"
    REJECTED = "rejected", "已退回"
    APPROVED = "approved", "已批准"
    OPEN = "open", "报名中"
    RUNNING = "running", "培训中"
    FINISHED = "finished", "已结业"
    CANCELLED = "cancelled", "已取消"


class TrainingClass(models.Model):
    """培训班: one run of a course, filed by the institution and approved by a bureau."""

    code = models.CharField("班级编号", max_length=30, unique=True)
    course = models.ForeignKey(
        Course,
        on_delete=models.PROTECT,
        related_name="classes",
        verbose_name="培训项目",
    )
    # Where the class takes place; approval and regional statistics follow it.
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="培训地点（县区）",
    )
    venue = models.ForeignKey(
        TrainingBase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="classes",
        verbose_name="实训基地",
    )
    address = models.CharField("培训地址", max_length=200, blank=True)
    start_date = models.DateField("开班日期")
    end_date = models.DateField("结业日期")
    capacity = models.PositiveIntegerField(
        "计划人数", validators=[MinValueValidator(1)]
    )
    # Kept in step with active enrolments under a row lock; the check constraint makes
    # overbooking impossible even if a code path forgot the lock.
    seats_taken = models.PositiveIntegerField("已报名人数", default=0, editable=False)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=ClassStatus.choices,
        default=ClassStatus.DRAFT,
        db_index=True,
    )
    filed_at = models.DateTimeField("备案时间", null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name="审批人",
    )
    approving_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name="审批部门辖区",
    )
    approved_at = models.DateTimeField(
        "审批时间", null=True, blank=True, editable=False
    )
    rejection_reason = models.TextField("退回原因", blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "培训班"
        verbose_name_plural = "培训班"
        ordering = ["-start_date", "code"]
        indexes = [models.Index(fields=["status", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="class_not_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="class_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.course}"

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", "已报名"
    WITHDRAWN = "withdrawn", "已退出"


class EnrolmentSource(models.TextChoices):
    SELF = "self", "学员自主报名"
    ROSTER = "roster", "机构花名册导入"
    STAFF = "staff", "机构录入"


class AssessmentResult(models.TextChoices):
    PASSED = "passed", "合格"
    FAILED = "failed", "不合格"
    ABSENT = "absent", "缺考"


class Enrolment(models.Model):
    trainee = models.ForeignKey(
        Trainee,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name="学员",
    )
    training_class = models.ForeignKey(
        TrainingClass,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name="培训班",
    )
    status = models.CharField(
        "状态",
        max_length=10,
        choices=EnrolmentStatus.choices,
        default=EnrolmentStatus.ENROLLED,
    )
    source = models.CharField("来源", max_length=10, choices=EnrolmentSource.choices)
    enrolled_at = models.DateTimeField("报名时间", auto_now_add=True)
    withdrawn_at = models.DateTimeField("退出时间", null=True, blank=True)
    attendance_hours = models.DecimalField(
        "出勤课时",
        max_digits=6,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    score = models.DecimalField(
        "考核成绩",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    result = models.CharField(
        "考核结果", max_length=10, choices=AssessmentResult.choices, blank=True
    )
    assessed_at = models.DateTimeField("考核录入时间", null=True, blank=True)

    class Meta:
        verbose_name = "报名"
        verbose_name_plural = "报名"
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            # One person, one place in a class; withdrawing and coming back reuses it.
            models.UniqueConstraint(
                fields=["trainee", "training_class"], name="uniq_enrolment"
            ),
            models.CheckConstraint(
                condition=Q(attendance_hours__gte=0), name="attendance_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.trainee} · {self.training_class.code}"

    @property
    def is_active(self) -> bool:
        return self.status == EnrolmentStatus.ENROLLED


class UploadKind(models.TextChoices):
    ROSTER = "roster", "花名册"
    RESULTS = "results", "出勤和考核结果"


class ImportUpload(ImportJob):
    """One uploaded import file of a class (花名册, or 出勤和考核结果 by ``kind``), from
    preview to import: the pipeline's job row (``training_platform.imports``), with
    the class as its target.

    Personal data (PIPL): see ``ImportJob``; the file is encrypted, deleted after a
    successful import and after 7 days otherwise (``courses.tasks.upload_cleanup``).
    """

    # The purpose the stored files were encrypted under: kept as it was.
    FILE_PURPOSE = "courses.rosterupload.file"

    training_class = models.ForeignKey(
        TrainingClass,
        on_delete=models.CASCADE,
        related_name="roster_uploads",
        verbose_name="培训班",
    )
    kind = models.CharField(
        "导入内容",
        max_length=10,
        choices=UploadKind.choices,
        default=UploadKind.ROSTER,
    )
    file = models.FileField("文件", upload_to="rosters/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "导入文件"
        verbose_name_plural = "导入文件"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The cleanup looks for old uploads that never completed.
            models.Index(fields=["created_at", "status"], name="rosterupload_age"),
        ]

    def __str__(self):
        return f"{self.training_class.code} · {self.original_name}"

    @property
    def target(self) -> TrainingClass:
        return self.training_class
