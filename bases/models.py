"""Training institutions, training bases, skill-master studios and staff memberships."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from training_platform.reference.models import Occupation, Region, SkillLevel
from training_platform.roles import ORGANISATION_ROLES, REGION_ROLES, Role
from training_platform.validators import normalize_credit_code, validate_credit_code


class InstitutionKind(models.TextChoices):
    TECHNICAL_SCHOOL = "technical_school", "技工院校"
    VOCATIONAL_SCHOOL = "vocational_school", "职业院校"
    ENTERPRISE = "enterprise", "企业"
    PRIVATE_SCHOOL = "private_school", "民办培训机构"
    EVALUATION_ORG = "evaluation_org", "社会培训评价组织"
    BASE_OPERATOR = "base_operator", "公共实训基地运营单位"


class QualificationStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已认定"
    SUSPENDED = "suspended", "暂停"
    REVOKED = "revoked", "已撤销"


class TrainingInstitution(ClusterableModel):
    name = models.CharField("机构名称", max_length=100)
    credit_code = models.CharField(
        "统一社会信用代码",
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    kind = models.CharField("机构类型", max_length=24, choices=InstitutionKind.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="所在地"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    contact_name = models.CharField("联系人", max_length=40, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    status = models.CharField(
        "资质状态",
        max_length=12,
        choices=QualificationStatus.choices,
        default=QualificationStatus.PENDING,
    )
    approved_at = models.DateField("认定日期", null=True, blank=True)
    occupations = models.ManyToManyField(
        Occupation,
        through="InstitutionOccupation",
        related_name="+",
        blank=True,
        verbose_name="可培训/评价职业",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "培训机构"
        verbose_name_plural = "培训机构"
        ordering = ["region_id", "name"]
        permissions = [("approve_traininginstitution", "可认定培训机构资质")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.credit_code:
            self.credit_code = normalize_credit_code(self.credit_code)


class InstitutionOccupation(models.Model):
    """An occupation an institution is filed for, up to a level, to train and/or evaluate."""

    institution = ParentalKey(
        TrainingInstitution,
        on_delete=models.CASCADE,
        related_name="filings",
        verbose_name="培训机构",
    )
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", verbose_name="职业"
    )
    max_level = models.CharField("最高等级", max_length=1, choices=SkillLevel.choices)
    can_train = models.BooleanField("可培训", default=True)
    can_evaluate = models.BooleanField("可评价", default=False)
    filing_no = models.CharField("备案文号", max_length=60, blank=True)

    class Meta:
        verbose_name = "备案职业"
        verbose_name_plural = "备案职业"
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "occupation"], name="uniq_institution_occupation"
            ),
        ]

    def __str__(self):
        return f"{self.occupation_id} ≤ {self.get_max_level_display()}"


class BaseKind(models.TextChoices):
    PUBLIC_TRAINING = "public_training", "公共实训基地"
    HIGH_SKILL = "high_skill", "高技能人才培训基地"
    COMPETITION = "competition", "竞赛集训基地"
    FARMER = "farmer_education", "农民教育培训基地"


class BuildType(models.TextChoices):
    """How a base entered the plan period. The plan (《贵州省"十四五"…规划》专栏 7 之 02)
    speaks of 市（州）级公共实训基地 "完善提升" and of 市（州）级 / 县级 "新建"."""

    NEW = "new", "新建"
    UPGRADE = "upgrade", "提质升级（完善提升）"


class RegistryStatus(models.TextChoices):
    BUILDING = "building", "建设中"
    OPERATING = "operating", "运行中"
    REVOKED = "revoked", "已撤销"


#: 领办人 must hold 技师 or above (二级/技师, 一级/高级技师, 特级技师, 首席技师).
MASTER_LEVELS = frozenset(
    {SkillLevel.LEVEL_2, SkillLevel.LEVEL_1, SkillLevel.PRINCIPAL, SkillLevel.CHIEF}
)
MASTER_LEVEL_MESSAGE = (
    "领办人须具有技师（二级）及以上职业技能等级，当前为“{level}”，不予登记。"
)


def check_master_level(level: str) -> None:
    """Refuse a leading master below 技师 (the rule forms and services share)."""
    if level and level not in MASTER_LEVELS:
        raise ValidationError(
            {
                "master_level": MASTER_LEVEL_MESSAGE.format(
                    level=SkillLevel(level).label
                    if level in SkillLevel.values
                    else level
                )
            }
        )


def _year_validators():
    return [MinValueValidator(1990), MaxValueValidator(2100)]


class ApprovalLevel(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    PREFECTURE = "prefecture", "市（州）级"
    COUNTY = "county", "县级"


class TrainingBase(ClusterableModel):
    name = models.CharField("基地名称", max_length=100)
    kind = models.CharField("基地类型", max_length=20, choices=BaseKind.choices)
    level = models.CharField("级别", max_length=12, choices=ApprovalLevel.choices)
    host = models.ForeignKey(
        TrainingInstitution,
        on_delete=models.PROTECT,
        related_name="bases",
        verbose_name="依托单位",
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="所在地"
    )
    stations = models.PositiveIntegerField("工位数", default=0)
    occupations = models.ManyToManyField(
        Occupation, related_name="+", blank=True, verbose_name="实训职业"
    )
    approval_year = models.PositiveSmallIntegerField("批准年份", null=True, blank=True)
    approval_doc_no = models.CharField("批准文号", max_length=60, blank=True)
    funding = models.DecimalField(
        "建设资金（元）",
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    description = models.TextField("简介", blank=True)
    build_type = models.CharField(
        "建设类型",
        max_length=10,
        choices=BuildType.choices,
        blank=True,
        help_text="规划期内新建或提质升级（完善提升）的基地填写，计入规划目标",
    )
    build_year = models.PositiveSmallIntegerField(
        "建设年份",
        null=True,
        blank=True,
        validators=_year_validators(),
        help_text="新建或提质升级立项的年份",
    )
    status = models.CharField(
        "状态",
        max_length=10,
        choices=RegistryStatus.choices,
        default=RegistryStatus.OPERATING,
    )

    class Meta:
        verbose_name = "培训基地"
        verbose_name_plural = "培训基地"
        ordering = ["region_id", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.build_type and not self.build_year:
            raise ValidationError(
                {"build_year": "填写了建设类型，请同时填写建设年份。"}
            )
        if self.build_year and not self.build_type:
            raise ValidationError(
                {"build_type": "填写了建设年份，请同时选择建设类型。"}
            )


class SkillMasterStudio(ClusterableModel):
    name = models.CharField("工作室名称", max_length=100)
    level = models.CharField("级别", max_length=12, choices=ApprovalLevel.choices)
    host = models.ForeignKey(
        TrainingInstitution,
        on_delete=models.PROTECT,
        related_name="studios",
        verbose_name="依托单位",
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="所在地"
    )
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", verbose_name="职业"
    )
    master_name = models.CharField("领办人", max_length=40)
    master_level = models.CharField(
        "领办人技能等级", max_length=1, choices=SkillLevel.choices
    )
    master_honours = models.CharField(
        "领办人荣誉",
        max_length=200,
        blank=True,
        help_text="如：中华技能大奖、全国技术能手、贵州省技术能手",
    )
    approval_year = models.PositiveSmallIntegerField("批准年份", null=True, blank=True)
    approval_doc_no = models.CharField("批准文号", max_length=60, blank=True)
    funding = models.DecimalField(
        "资助资金（元）",
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    apprentices_mentored = models.PositiveIntegerField("累计带徒人数", default=0)
    results = models.TextField("攻关成果", blank=True)
    master_trainee = models.ForeignKey(
        "trainees.Trainee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="领办人平台档案",
        help_text="领办人在平台有学员档案时关联，平台上获得的荣誉将一并展示",
    )
    master_occupation = models.ForeignKey(
        Occupation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="领办人职业（工种）",
    )
    build_start = models.DateField("建设期起", null=True, blank=True)
    build_end = models.DateField("建设期止", null=True, blank=True)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=RegistryStatus.choices,
        default=RegistryStatus.OPERATING,
    )

    class Meta:
        verbose_name = "技能大师工作室"
        verbose_name_plural = "技能大师工作室"
        ordering = ["region_id", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        check_master_level(self.master_level)
        if self.build_start and self.build_end and self.build_end < self.build_start:
            raise ValidationError({"build_end": "建设期止不能早于建设期起。"})


class HonourKind(models.TextChoices):
    CHINA_SKILL_AWARD = "china_skill_award", "中华技能大奖"
    NATIONAL_EXPERT = "national_expert", "全国技术能手"
    PROVINCIAL_EXPERT = "provincial_expert", "贵州省技术能手"
    INTANGIBLE_HERITAGE = "intangible_heritage", "非遗传承人"
    OTHER = "other", "其他"


class StudioHonour(models.Model):
    """An honour of the leading master as declared on the studio's application."""

    studio = ParentalKey(
        SkillMasterStudio,
        on_delete=models.CASCADE,
        related_name="honours",
        verbose_name="工作室",
    )
    kind = models.CharField("荣誉类别", max_length=20, choices=HonourKind.choices)
    name = models.CharField(
        "荣誉名称", max_length=100, blank=True, help_text="类别为“其他”时必填"
    )
    year = models.PositiveSmallIntegerField(
        "获得年份", null=True, blank=True, validators=_year_validators()
    )
    document_no = models.CharField("文号/证书编号", max_length=60, blank=True)

    class Meta:
        verbose_name = "领办人荣誉"
        verbose_name_plural = "领办人荣誉"
        ordering = ["year", "pk"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == HonourKind.OTHER or not self.kind:
            return self.name
        return self.name or self.get_kind_display()

    def clean(self):
        if self.kind == HonourKind.OTHER and not self.name:
            raise ValidationError({"name": "类别为“其他”时请填写荣誉名称。"})


class StudioMember(models.Model):
    studio = ParentalKey(
        SkillMasterStudio,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name="工作室",
    )
    name = models.CharField("姓名", max_length=40)
    role = models.CharField("团队分工", max_length=40, blank=True)
    level = models.CharField(
        "技能等级", max_length=1, choices=SkillLevel.choices, blank=True
    )
    trainee = models.ForeignKey(
        "trainees.Trainee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="平台档案",
    )

    class Meta:
        verbose_name = "团队成员"
        verbose_name_plural = "团队成员"
        ordering = ["pk"]

    def __str__(self):
        return self.name


class StudioApprentice(models.Model):
    """An apprentice mentored in a year (年带徒), with the level reached."""

    studio = ParentalKey(
        SkillMasterStudio,
        on_delete=models.CASCADE,
        related_name="apprentices",
        verbose_name="工作室",
    )
    year = models.PositiveSmallIntegerField("带徒年份", validators=_year_validators())
    name = models.CharField("姓名", max_length=40)
    level_reached = models.CharField(
        "达到等级", max_length=1, choices=SkillLevel.choices, blank=True
    )
    trainee = models.ForeignKey(
        "trainees.Trainee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="平台档案",
    )

    class Meta:
        verbose_name = "带徒"
        verbose_name_plural = "带徒"
        ordering = ["-year", "pk"]

    def __str__(self):
        return f"{self.year} {self.name}"


class AchievementKind(models.TextChoices):
    BREAKTHROUGH = "breakthrough", "攻关成果"
    PATENT = "patent", "专利"
    STANDARD = "standard", "标准"
    OTHER = "other", "其他"


class StudioAchievement(models.Model):
    studio = ParentalKey(
        SkillMasterStudio,
        on_delete=models.CASCADE,
        related_name="achievements",
        verbose_name="工作室",
    )
    kind = models.CharField("成果类别", max_length=12, choices=AchievementKind.choices)
    title = models.CharField("成果名称", max_length=200)
    year = models.PositiveSmallIntegerField(
        "年份", null=True, blank=True, validators=_year_validators()
    )
    reference = models.CharField(
        "编号/出处", max_length=100, blank=True, help_text="专利号、标准号等"
    )

    class Meta:
        verbose_name = "成果"
        verbose_name_plural = "成果"
        ordering = ["-year", "pk"]

    def __str__(self):
        return self.title


class EvaluationResult(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"


class StudioEvaluation(models.Model):
    studio = ParentalKey(
        SkillMasterStudio,
        on_delete=models.CASCADE,
        related_name="evaluations",
        verbose_name="工作室",
    )
    year = models.PositiveSmallIntegerField("考核年份", validators=_year_validators())
    result = models.CharField(
        "考核结果", max_length=10, choices=EvaluationResult.choices
    )
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "考核结果"
        verbose_name_plural = "考核结果"
        ordering = ["-year", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "year"], name="uniq_studio_evaluation_year"
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.get_result_display()}"


class FundingSource(models.TextChoices):
    CENTRAL = "central", "中央财政"
    PROVINCIAL = "provincial", "省级财政"
    LOCAL = "local", "市县财政"
    SELF = "self", "自筹"


class Funding(models.Model):
    """Money a base or a studio received: one row per year and source."""

    base = ParentalKey(
        TrainingBase,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="funding_rows",
        verbose_name="培训基地",
    )
    studio = ParentalKey(
        SkillMasterStudio,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="funding_rows",
        verbose_name="工作室",
    )
    year = models.PositiveSmallIntegerField("年份", validators=_year_validators())
    amount = models.DecimalField(
        "金额（元）",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    source = models.CharField("资金来源", max_length=10, choices=FundingSource.choices)
    document_no = models.CharField("文号", max_length=60, blank=True)

    class Meta:
        verbose_name = "资金到位"
        verbose_name_plural = "资金到位"
        ordering = ["year", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(base__isnull=False, studio__isnull=True)
                | Q(base__isnull=True, studio__isnull=False),
                name="funding_for_base_or_studio",
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.get_source_display()} {self.amount}"


class LevelChange(models.Model):
    """A change of a base's or a studio's level (认定、晋升、降级), written only by
    ``bases.services.base_level_change`` / ``studio_level_change``."""

    base = models.ForeignKey(
        TrainingBase,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="level_changes",
        verbose_name="培训基地",
    )
    studio = models.ForeignKey(
        SkillMasterStudio,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="level_changes",
        verbose_name="工作室",
    )
    from_level = models.CharField(
        "原级别", max_length=12, choices=ApprovalLevel.choices, blank=True
    )
    to_level = models.CharField("新级别", max_length=12, choices=ApprovalLevel.choices)
    changed_on = models.DateField("变更日期")
    document_no = models.CharField("文号", max_length=60)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "级别变更"
        verbose_name_plural = "级别变更"
        ordering = ["-changed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(base__isnull=False, studio__isnull=True)
                | Q(base__isnull=True, studio__isnull=False),
                name="level_change_for_base_or_studio",
            ),
        ]

    def __str__(self):
        return f"{self.get_from_level_display() or '—'} → {self.get_to_level_display()}"


class StaffMembership(models.Model):
    """A user's role with its scope: an organisation (institution staff, evaluators) or a
    region (bureau staff, auditors). A user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name="用户",
    )
    role = models.CharField(
        "角色",
        max_length=12,
        choices=[
            (r.value, r.label) for r in Role if r in ORGANISATION_ROLES | REGION_ROLES
        ],
    )
    institution = models.ForeignKey(
        TrainingInstitution,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name="机构",
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="辖区",
    )
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "工作人员身份"
        verbose_name_plural = "工作人员身份"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=sorted(ORGANISATION_ROLES),
                        institution__isnull=False,
                        region__isnull=True,
                    )
                    | Q(
                        role__in=sorted(REGION_ROLES),
                        region__isnull=False,
                        institution__isnull=True,
                    )
                ),
                name="membership_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "institution"],
                condition=Q(institution__isnull=False),
                name="uniq_org_membership",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=Q(region__isnull=False),
                name="uniq_region_membership",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.institution or self.region}"


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已退回"


class InstitutionChangeRequest(ClusterableModel):
    """A change of an institution's identity (name, credit code, kind, region, filings)
    asked for by its staff and waiting for the bureau.

    The institution row keeps the last *approved* values, which is what certificates
    print; the values asked for live here until the bureau approves them.
    """

    institution = models.ForeignKey(
        TrainingInstitution,
        on_delete=models.CASCADE,
        related_name="change_requests",
        verbose_name="机构",
    )
    name = models.CharField("机构名称", max_length=100)
    credit_code = models.CharField(
        "统一社会信用代码", max_length=18, validators=[validate_credit_code]
    )
    kind = models.CharField("机构类型", max_length=24, choices=InstitutionKind.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="所在地"
    )
    note = models.TextField("变更说明", blank=True)
    #: the approved values when the request was filed: what the reviewer compares with
    before = models.JSONField("变更前", default=dict, editable=False)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.PENDING,
        editable=False,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="申请人",
        editable=False,
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="审核人",
        editable=False,
    )
    reviewed_at = models.DateTimeField(
        "审核时间", null=True, blank=True, editable=False
    )
    review_note = models.TextField("审核意见", blank=True, editable=False)

    class Meta:
        verbose_name = "机构变更申请"
        verbose_name_plural = "机构变更申请"
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution"],
                condition=Q(status=ChangeRequestStatus.PENDING),
                name="one_pending_change_per_institution",
            ),
        ]

    def __str__(self):
        return f"{self.before.get('name') or self.name} · {self.get_status_display()}"

    def clean(self):
        if self.credit_code:
            self.credit_code = normalize_credit_code(self.credit_code)


class ChangeRequestFiling(models.Model):
    """A filing as the change request asks for it (the whole list replaces the old one)."""

    request = ParentalKey(
        InstitutionChangeRequest,
        on_delete=models.CASCADE,
        related_name="filings",
        verbose_name="变更申请",
    )
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", verbose_name="职业"
    )
    max_level = models.CharField("最高等级", max_length=1, choices=SkillLevel.choices)
    can_train = models.BooleanField("可培训", default=True)
    can_evaluate = models.BooleanField("可评价", default=False)
    filing_no = models.CharField("备案文号", max_length=60, blank=True)

    class Meta:
        verbose_name = "申请备案职业"
        verbose_name_plural = "申请备案职业"

    def __str__(self):
        return f"{self.occupation_id} ≤ {self.get_max_level_display()}"


class ApiToken(models.Model):
    """A token an institution's staff made for the institution's own systems to call
    /api/v1/ with (``Authorization: Bearer qjt_…``), written only by ``bases.tokens``.

    The plain token is shown once, when it is made; the row keeps its first 8
    characters (to tell tokens apart in lists) and an HMAC-SHA256 of it (to find it).
    """

    institution = models.ForeignKey(
        TrainingInstitution,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name="机构",
    )
    name = models.CharField("名称", max_length=60)
    prefix = models.CharField("前缀", max_length=8, editable=False)
    key_hash = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)
    # SET_NULL: deleting the account keeps the token's history; a token without its
    # maker authenticates nothing (bases.tokens).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="创建人",
        editable=False,
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("有效期至")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="撤销人",
        editable=False,
    )
    last_used_at = models.DateTimeField(
        "最近使用", null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["institution", "-created_at"])]

    def __str__(self):
        return f"{self.name}（{self.prefix}…）"

    def status_at(self, now) -> str:
        """有效 / 已过期 / 已撤销 at ``now``."""
        if self.revoked_at is not None:
            return "已撤销"
        if self.expires_at <= now:
            return "已过期"
        return "有效"

    def is_live(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now
